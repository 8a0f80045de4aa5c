//go:build !linux

package store

import "os"

// fdatasync flushes f; where there is no fdatasync(2), with its times.
func fdatasync(f *os.File) error { return f.Sync() }
