//go:build ownervote_faults && unix

package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/ownervote/ownervote/store"
)

// In a binary built with -tags ownervote_faults, as
// TestServeStopsWhenTheDiskFails builds it (no release is), SIGUSR1 to
// `ownervote serve` makes every later fdatasync of its journal fail with
// EIO, as a failing disk's would.
func init() {
	storeOpened = func(st *store.Bolt) {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			<-usr1
			store.FailSyncs(st, syscall.EIO)
		}()
	}
}
