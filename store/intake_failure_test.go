package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/assembly/assemblytest"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
)

// TestIntakeOnAFailingDisk drives the real intake — concurrent Submits,
// group-committed — into a journal whose fdatasync starts failing. No
// ballot after that point is acknowledged (each Submit returns
// ErrWriteFailed, no receipt), the durable counters do not move, and after
// the store is closed and opened again every ballot, sent again, is
// counted exactly once. (Whether a group was decided while the failing one
// was being fsynced is left to the scheduler.)
func TestIntakeOnAFailingDisk(t *testing.T) {
	const n, before = 60, 10
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ownervote.db")
	now := assemblytest.Start
	clock := func() time.Time { return now }
	open := func() (*store.Bolt, *roll.Book, *assembly.Registry) {
		t.Helper()
		st, err := store.OpenBolt(path, store.BoltOptions{})
		if err != nil {
			t.Fatal(err)
		}
		book, reg := assemblytest.Open(t, st, st, clock)
		return st, book, reg
	}
	st, book, reg := open()
	defer func() { st.Close() }()
	city := assemblytest.NewCity(t, book, reg, n, assembly.Settings{})
	a := city.Assembly
	now = assemblytest.During
	subs := make([]assembly.Submission, n)
	for i := range subs {
		subs[i] = city.Ballot(t, i, "AGREE", uint64(i+1), now)
	}
	for _, s := range subs[:before] {
		if _, err := reg.Submit(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	store.FailSyncs(st, syscall.EIO)
	outs, errs := make([]assembly.Outcome, n), make([]error, n)
	var wg sync.WaitGroup
	for i := before; i < n; i++ {
		wg.Go(func() { outs[i], errs[i] = reg.Submit(ctx, subs[i]) })
	}
	wg.Wait()
	for i := before; i < n; i++ {
		if !errors.Is(errs[i], store.ErrWriteFailed) || outs[i].Receipt != nil {
			t.Errorf("ballot %d after the disk failed: receipt %v, %v; want no receipt and ErrWriteFailed", i, outs[i].Receipt, errs[i])
		}
	}
	select {
	case <-st.Failed():
	default:
		t.Error("the store's Failed is not closed")
	}
	if p, err := reg.Progress(ctx, a.ID); err != nil || p.Counted != before {
		t.Errorf("progress after the failure: %d counted (%v), want %d", p.Counted, err, before)
	}

	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, _, reg = open()
	for i, s := range subs {
		out, err := reg.Submit(ctx, s)
		if err != nil || out.Receipt == nil || out.Replayed != (i < before) {
			t.Errorf("ballot %d sent again after the restart: replayed %v, receipt %v, %v", i, out.Replayed, out.Receipt != nil, err)
		}
	}
	p, err := reg.Progress(ctx, a.ID)
	if err != nil || p.Counted != n || p.Refused != 0 {
		t.Errorf("after the restart: %d counted, %d refused (%v); want %d, 0", p.Counted, p.Refused, err, n)
	}
}
