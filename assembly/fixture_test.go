package assembly_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// fixture is an open assembly of one community on a real bbolt file, with
// a registered platform key.
type fixture struct {
	st       *store.Bolt
	book     *roll.Book
	reg      *assembly.Registry
	now      atomic.Pointer[time.Time]
	asm      assembly.Assembly
	voters   []string
	platform ed25519.PrivateKey
	nonce    atomic.Uint64
}

func (f *fixture) clock() time.Time { return *f.now.Load() }

func newFixture(tb testing.TB, households int, settings assembly.Settings) *fixture {
	tb.Helper()
	ctx := context.Background()
	f := &fixture{}
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	f.now.Store(&start)
	var err error
	f.st, err = store.OpenBolt(filepath.Join(tb.TempDir(), "a.db"), store.BoltOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.st.Close() })
	f.book, err = roll.NewBook(f.st, roll.Config{Secret: bytes.Repeat([]byte{1}, 32), Now: f.clock})
	if err != nil {
		tb.Fatal(err)
	}
	signer, vkey, _ := audit.LogKey(bytes.Repeat([]byte{2}, 32))
	f.reg, err = assembly.NewRegistry(f.st, assembly.Config{ReceiptKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)),
		LogSigner: signer, LogVerifierKey: vkey, Now: f.clock})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.book.CreateCommunity(ctx, roll.Community{ID: "bench", Name: "小区", StreetOffice: "街道"}); err != nil {
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
	if _, err := f.book.Import(ctx, "bench", units); err != nil {
		tb.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	f.platform = priv
	if _, err := f.reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.PlatformSigner, ID: "platform", Name: "平台", PublicKey: pub}, "t"); err != nil {
		tb.Fatal(err)
	}
	mpub, _, _ := ed25519.GenerateKey(nil)
	if _, err := f.reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.CommitteeSigner, ID: "m", Name: "委员", CommunityID: "bench", PublicKey: mpub}, "t"); err != nil {
		tb.Fatal(err)
	}
	a, err := f.reg.Create(ctx, assembly.Assembly{ID: "a1", CommunityID: "bench", Title: "表决",
		Motions: []assembly.Motion{{ID: "m1", Title: "选聘物业", Matter: tally.SelectPropertyFirm}},
		Opens:   start.Add(20 * 24 * time.Hour), Closes: start.Add(25 * 24 * time.Hour), Channels: []ballot.Channel{ballot.Platform},
		Settings: settings, Committee: assembly.Committee{Members: []string{ballot.KeyID(mpub)}, K: 1}}, "t")
	if err != nil {
		tb.Fatal(err)
	}
	if f.asm, err = f.reg.Publish(ctx, a.ID); err != nil {
		tb.Fatal(err)
	}
	during := start.Add(21 * 24 * time.Hour)
	f.now.Store(&during)
	all, err := f.book.Units(ctx, "bench")
	if err != nil {
		tb.Fatal(err)
	}
	for _, u := range all {
		f.voters = append(f.voters, u.Voter())
	}
	return f
}

// signed returns a signed PLATFORM ballot of voter i.
func (f *fixture) signed(tb testing.TB, i int, choice string) assembly.Submission {
	b := &ballot.Ballot{Assembly: f.asm.ID, RollDigest: f.asm.RollDigest, Voter: f.voters[i], Channel: ballot.Platform,
		Signer: ballot.SignerPlatform, KeyID: ballot.KeyID(f.platform.Public().(ed25519.PublicKey)),
		Nonce: fmt.Sprintf("%032x", f.nonce.Add(1)), Time: f.clock().Truncate(time.Second), PlatformVoteID: fmt.Sprint("v", i),
		Choices: []ballot.Choice{{Motion: "m1", Values: []string{choice}}}}
	canonical, sig, err := ballot.Sign(b, f.platform)
	if err != nil {
		tb.Fatal(err)
	}
	return assembly.Submission{Assembly: f.asm.ID, Canonical: canonical, Signature: sig, By: "platform-token"}
}
