// Package assemblytest builds, for tests of the intake, one community with
// an open assembly on a registry and book that the test opened on its
// store.
package assemblytest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/roll"
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
