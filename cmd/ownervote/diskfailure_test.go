//go:build unix

package main

import (
	"errors"
	"math/rand/v2"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeStopsWhenTheDiskFails runs the real binary, built with the fault
// hook of faults.go, and makes its journal's fdatasync fail with EIO in
// the middle of concurrent intake, as a failing disk's would. What the
// clients and a supervisor must see:
//   - the writes caught by the failure are answered UNAVAILABLE
//     STORAGE_FAILED, never acknowledged;
//   - serve logs the failure and exits by itself with status 1;
//   - started again on the same directory (the disk healthy again), it
//     serves every ballot acknowledged before the failure, counted as the
//     ledger says, and a resend of each unanswered ballot counts once.
func TestServeStopsWhenTheDiskFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	bin := ownervoteBinary(t, "ownervote_faults")
	rng := rand.New(rand.NewPCG(*crashSeed, 0x6469736b))
	cv := &crashVote{dataDir: t.TempDir(), community: "disk", assembly: "disk-vote"}
	cv.admin = adminToken(t, cv.dataDir)
	p := startProc(t, bin, cv.dataDir, "--rate-limit", "0")
	if !p.waitReady(t) {
		t.Fatalf("serve exited: %v\n%s", p.waitErr, p.stderr.String())
	}
	cv.setUp(t, p, rng, 600)
	l := newLedger()

	// The disk fails once 200 ballots are answered, with most of the
	// jobs still to send, however fast the machine.
	failDisk := func() {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
			l.mu.Lock()
			answered := len(l.accepted) + len(l.refused)
			l.mu.Unlock()
			if answered >= 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("only %d ballots answered in a minute:\n%s", answered, p.state())
				break
			}
		}
		p.cmd.Process.Signal(syscall.SIGUSR1)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			t.Errorf("serve still running 30 s after its disk failed:\n%s", p.state())
			p.kill()
		}
	}
	cv.intake(t, p, l, cv.jobs(t, rng, 1, 3000), 0, failDisk)

	var exit *exec.ExitError
	if !errors.As(p.waitErr, &exit) || exit.ExitCode() != 1 {
		t.Errorf("serve after its disk failed: %v, want exit status 1", p.waitErr)
	}
	if log := p.stderr.String(); !strings.Contains(log, `msg="the disk failed a write, shutting down`) || !strings.Contains(log, "input/output error") {
		t.Errorf("serve's log does not say the disk failed (with its error):\n%s", p.state())
	}
	if len(l.accepted) == 0 || l.storageFailed == 0 {
		t.Fatalf("%d ballots acknowledged before the failure, %d answered STORAGE_FAILED: want both > 0 (%d sent without an answer)",
			len(l.accepted), l.storageFailed, len(l.unknown))
	}
	t.Logf("%d accepted and %d refused before the disk failed; %d answered STORAGE_FAILED, %d unanswered in all",
		len(l.accepted), len(l.refused), l.storageFailed, len(l.unknown))
	cv.checkOffline(t, l, 1)

	p = startProc(t, bin, cv.dataDir, "--rate-limit", "0")
	if !p.waitReady(t) {
		t.Fatalf("serve did not start again after its disk failed: %v\n%s", p.waitErr, p.stderr.String())
	}
	cv.check(t, p, l, 1)
}
