// Package assemblytest builds, for tests of the intake, one community with
// an open assembly on a registry and book that the test opened on its
// store.
package assemblytest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"sync/atomic"
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

// Start is when the city is built (the book's and registry's clock must
// say so); voting is open from Start+20 days to Start+25 days.
var Start = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

// During is a moment inside the voting window.
var During = Start.Add(21 * 24 * time.Hour)

// City is community "bench" with one owner per household (80.00 m²
// each), a registered platform key and the published assembly "a1" with
// one motion, which takes PLATFORM ballots.
type City struct {
	Assembly assembly.Assembly
	Voters   []string // one per household, in unit order
	Platform ed25519.PrivateKey
}

// NewCity builds the city with the given number of households and
// assembly settings, with the clock at Start.
func NewCity(tb testing.TB, book *roll.Book, reg *assembly.Registry, households int, settings assembly.Settings) *City {
	tb.Helper()
	ctx := context.Background()
	c := &City{}
	if _, err := book.CreateCommunity(ctx, roll.Community{ID: "bench", Name: "小区", StreetOffice: "街道"}); err != nil {
		tb.Fatal(err)
	}
	units := make([]roll.UnitInput, households)
	for i := range units {
		first := fmt.Sprintf("99000019800101%03d", i%1000)
		if i >= 1000 {
			first = fmt.Sprintf("990000%04d0101%03d", 1900+i/1000, i%1000)
		}
		units[i] = roll.UnitInput{ID: fmt.Sprintf("u%05d", i), Registered: "80.00",
			Owners: []roll.OwnerInput{{Name: fmt.Sprintf("业主%d", i), IDNumber: first + string(roll.ResidentIDCheck(first))}}}
	}
	if _, err := book.Import(ctx, "bench", units); err != nil {
		tb.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	c.Platform = priv
	if _, err := reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.PlatformSigner, ID: "platform", Name: "平台", PublicKey: pub}, "t"); err != nil {
		tb.Fatal(err)
	}
	mpub, _, _ := ed25519.GenerateKey(nil)
	if _, err := reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.CommitteeSigner, ID: "m", Name: "委员", CommunityID: "bench", PublicKey: mpub}, "t"); err != nil {
		tb.Fatal(err)
	}
	a, err := reg.Create(ctx, assembly.Assembly{ID: "a1", CommunityID: "bench", Title: "表决",
		Motions: []assembly.Motion{{ID: "m1", Title: "选聘物业", Matter: tally.SelectPropertyFirm}},
		Opens:   Start.Add(20 * 24 * time.Hour), Closes: Start.Add(25 * 24 * time.Hour), Channels: []ballot.Channel{ballot.Platform},
		Settings: settings, Committee: assembly.Committee{Members: []string{ballot.KeyID(mpub)}, K: 1}}, "t")
	if err != nil {
		tb.Fatal(err)
	}
	if c.Assembly, err = reg.Publish(ctx, a.ID); err != nil {
		tb.Fatal(err)
	}
	all, err := book.Units(ctx, "bench")
	if err != nil {
		tb.Fatal(err)
	}
	for _, u := range all {
		c.Voters = append(c.Voters, u.Voter())
	}
	return c
}

// Ballot is voter i's PLATFORM ballot choosing choice on the motion, with
// the given nonce and time, signed by the platform key.
func (c *City) Ballot(tb testing.TB, i int, choice string, nonce uint64, at time.Time) assembly.Submission {
	tb.Helper()
	b := &ballot.Ballot{Assembly: c.Assembly.ID, RollDigest: c.Assembly.RollDigest, Voter: c.Voters[i], Channel: ballot.Platform,
		Signer: ballot.SignerPlatform, KeyID: ballot.KeyID(c.Platform.Public().(ed25519.PublicKey)),
		Nonce: fmt.Sprintf("%032x", nonce), Time: at.Truncate(time.Second), PlatformVoteID: fmt.Sprint("v", i),
		Choices: []ballot.Choice{{Motion: "m1", Values: []string{choice}}}}
	canonical, sig, err := ballot.Sign(b, c.Platform)
	if err != nil {
		tb.Fatal(err)
	}
	return assembly.Submission{Assembly: c.Assembly.ID, Canonical: canonical, Signature: sig, By: "platform-token"}
}

// Disk is a store for a registry under test: it counts the read
// transactions opened on it (in Views, when set) and, while FailSync is
// set, reports a failed fdatasync for every Update after the real one
// wrote its record (a record the kernel may yet write: what a restart
// finds is either). A disk's failure cannot be caused here.
type Disk struct {
	*store.Bolt
	Views    *atomic.Int64
	FailSync *atomic.Bool
}

// View counts and runs a read transaction.
func (d *Disk) View(ctx context.Context, fn func(store.Tx) error) error {
	if d.Views != nil {
		d.Views.Add(1)
	}
	return d.Bolt.View(ctx, fn)
}

// Update is UpdateThen without then.
func (d *Disk) Update(ctx context.Context, fn func(store.Tx) error) error {
	return d.UpdateThen(ctx, fn, nil)
}

// UpdateThen is the store's, failed while FailSync is set.
func (d *Disk) UpdateThen(ctx context.Context, fn func(store.Tx) error, then func(bool)) error {
	err := d.Bolt.UpdateThen(ctx, fn, then)
	if err == nil && d.FailSync != nil && d.FailSync.Load() {
		return fmt.Errorf("%w: journal fdatasync failed: %w", store.ErrWriteFailed, syscall.EIO)
	}
	return err
}

// Open is a book on st and a registry on regStore (st itself, or a Disk
// around it), with fixed test keys and the clock now, as a server starting
// on st has them.
func Open(tb testing.TB, st, regStore store.Store, now func() time.Time) (*roll.Book, *assembly.Registry) {
	tb.Helper()
	book, err := roll.NewBook(st, roll.Config{Secret: bytes.Repeat([]byte{1}, 32), Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	signer, vkey, err := audit.LogKey(bytes.Repeat([]byte{2}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := assembly.NewRegistry(regStore, assembly.Config{ReceiptKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)),
		LogSigner: signer, LogVerifierKey: vkey, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return book, reg
}
