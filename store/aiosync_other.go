//go:build !linux || !(amd64 || arm64)

package store

import (
	"errors"
	"os"
)

// aioSyncer and uringSyncer are Linux's (aiosync_linux.go,
// uringsync_linux.go); elsewhere files are fdatasynced by a blocking call.
type aioSyncer struct{}

func newAIOSyncer(func(error)) (*aioSyncer, error) { return nil, errors.ErrUnsupported }

func (a *aioSyncer) fdatasync(*os.File) (used bool, err error) { return false, nil }

func (a *aioSyncer) close() {}

type uringSyncer struct{}

func newURingSyncer(func(error)) (*uringSyncer, error) { return nil, errors.ErrUnsupported }

func (u *uringSyncer) fdatasync(*os.File) (used bool, err error) { return false, nil }

func (u *uringSyncer) close() {}
