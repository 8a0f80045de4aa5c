package store_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// TestIntakeOnAFailingDisk drives the real intake — concurrent Submits
// group-committed, the next group decided while the last is fsynced — into
// a journal whose fdatasync starts failing. No ballot after that point is
// acknowledged (each Submit returns ErrWriteFailed, no receipt), the
// counters do not move, and after the store is closed and opened again
// every ballot, sent again, is counted exactly once.
func TestIntakeOnAFailingDisk(t *testing.T) {
	const n, before = 60, 10
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ownervote.db")
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	open := func() (*store.Bolt, *roll.Book, *assembly.Registry) {
		t.Helper()
		st, err := store.OpenBolt(path, store.BoltOptions{})
		if err != nil {
			t.Fatal(err)
		}
		book, err := roll.NewBook(st, roll.Config{Secret: bytes.Repeat([]byte{1}, 32), Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		signer, vkey, _ := audit.LogKey(bytes.Repeat([]byte{2}, 32))
		reg, err := assembly.NewRegistry(st, assembly.Config{ReceiptKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)),
			LogSigner: signer, LogVerifierKey: vkey, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return st, book, reg
	}
	st, book, reg := open()
	defer func() { st.Close() }()
	if _, err := book.CreateCommunity(ctx, roll.Community{ID: "dorm", Name: "小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	units := make([]roll.UnitInput, n)
	for i := range units {
		first := fmt.Sprintf("99000019800101%03d", i)
		units[i] = roll.UnitInput{ID: fmt.Sprintf("u%03d", i), Registered: "80.00",
			Owners: []roll.OwnerInput{{Name: fmt.Sprintf("业主%d", i), IDNumber: first + string(roll.ResidentIDCheck(first))}}}
	}
	if _, err := book.Import(ctx, "dorm", units); err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	if _, err := reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.PlatformSigner, ID: "platform", Name: "平台", PublicKey: pub}, "t"); err != nil {
		t.Fatal(err)
	}
	mpub, _, _ := ed25519.GenerateKey(nil)
	if _, err := reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.CommitteeSigner, ID: "m", Name: "委员", CommunityID: "dorm", PublicKey: mpub}, "t"); err != nil {
		t.Fatal(err)
	}
	a, err := reg.Create(ctx, assembly.Assembly{ID: "a1", CommunityID: "dorm", Title: "表决",
		Motions: []assembly.Motion{{ID: "m1", Title: "选聘物业", Matter: tally.SelectPropertyFirm}},
		Opens:   start.Add(20 * 24 * time.Hour), Closes: start.Add(25 * 24 * time.Hour), Channels: []ballot.Channel{ballot.Platform},
		Committee: assembly.Committee{Members: []string{ballot.KeyID(mpub)}, K: 1}}, "t")
	if err != nil {
		t.Fatal(err)
	}
	if a, err = reg.Publish(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	now = start.Add(21 * 24 * time.Hour)
	all, err := book.Units(ctx, "dorm")
	if err != nil {
		t.Fatal(err)
	}
	subs := make([]assembly.Submission, n)
	for i, u := range all {
		b := &ballot.Ballot{Assembly: a.ID, RollDigest: a.RollDigest, Voter: u.Voter(), Channel: ballot.Platform,
			Signer: ballot.SignerPlatform, KeyID: ballot.KeyID(pub), Nonce: fmt.Sprintf("%032x", i+1), Time: now,
			PlatformVoteID: fmt.Sprint("v", i), Choices: []ballot.Choice{{Motion: "m1", Values: []string{"AGREE"}}}}
		canonical, sig, err := ballot.Sign(b, priv)
		if err != nil {
			t.Fatal(err)
		}
		subs[i] = assembly.Submission{Assembly: a.ID, Canonical: canonical, Signature: sig, By: "platform"}
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
