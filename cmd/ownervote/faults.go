//go:build ownervote_faults && unix

package main

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/ownervote/ownervote/store"
)

// In a binary built with -tags ownervote_faults, as
// TestServeStopsWhenTheDiskFails builds it (no release is), SIGUSR1 to
// `ownervote serve` makes every later fdatasync of its journal fail with
// EIO, as a failing disk's would.
//
// OWNERVOTE_FAULT_KILL_RESTORE=N makes `ownervote restore` kill itself
// (SIGKILL: no deferred cleanup) after the Nth step of its swap.
func init() {
	if n, err := strconv.Atoi(os.Getenv("OWNERVOTE_FAULT_KILL_RESTORE")); err == nil {
		steps := 0
		restoreStepHook = func(step) {
			if steps++; steps == n {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
	}
	storeOpened = func(st *store.Bolt) {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			<-usr1
			store.FailSyncs(st, syscall.EIO)
		}()
	}
}
