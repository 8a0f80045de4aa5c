//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockRestore takes the data directory's restore lock, exclusively, for
// one restore or undo at a time: two at once would undo each other's
// steps. It fails at once when another holds it.
func lockRestore(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, restoreLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another restore into %s is running (%s is locked); nothing done", dir, restoreLockFile)
	}
	return func() { f.Close() }, nil
}
