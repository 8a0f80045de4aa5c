package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/recount"
	"github.com/ownervote/ownervote/tally"
)

// syntheticBundle builds a closed assembly's export with n voters who all
// voted through the platform: a real log, real signatures and checkpoints.
func syntheticBundle(tb testing.TB, n int) *audit.Bundle {
	tb.Helper()
	const asm = "bench-assembly"
	units := make([]tally.Unit, n)
	for i := range units {
		units[i] = tally.Unit{ID: fmt.Sprintf("u%07d", i), OwnerID: fmt.Sprintf("o%015x", i), Area: 8000}
	}
	rollBytes := audit.CanonicalRoll(units)
	rollDigest := audit.RollDigest(units)
	total, _ := tally.Totals(units)
	platform := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	ppub := platform.Public().(ed25519.PublicKey)
	agenda := &audit.AgendaEntry{CommunityID: "c", Title: "t", Motions: []audit.Motion{{ID: "m1", Title: "选聘", Matter: "SELECT_PROPERTY_FIRM"}},
		Opens: time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC), Closes: time.Date(2026, 5, 13, 0, 0, 0, 0, time.UTC), Channels: []string{"PLATFORM"},
		RuleSet: tally.CivilCode2021(), CommitteeK: 1, RollDigest: rollDigest}
	member := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{10}, 32)).Public().(ed25519.PublicKey)
	agenda.Committee = []audit.Member{{KeyID: ballot.KeyID(member), ID: "m", Name: "委员", PublicKey: member}}
	at := agenda.Opens.Add(time.Hour)
	entries := []audit.Entry{
		{Kind: audit.KindRoll, Roll: &audit.RollEntry{Digest: rollDigest, Units: n, TotalArea: total.Area.String(), TotalHead: total.Head}},
		{Kind: audit.KindAgenda, Agenda: agenda},
		{Kind: audit.KindKey, Key: &audit.KeyEntry{KeyID: ballot.KeyID(ppub), PublicKey: ppub, Role: "PLATFORM", Holder: "platform", Registered: at}},
	}
	ballots := make([]audit.Entry, n)
	var tb2 []tally.Ballot
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				b := &ballot.Ballot{Assembly: asm, RollDigest: rollDigest, Voter: units[i].OwnerID, Channel: ballot.Platform, Signer: ballot.SignerPlatform,
					KeyID: ballot.KeyID(ppub), Nonce: fmt.Sprintf("%032x", i), Time: at, PlatformVoteID: fmt.Sprint(i),
					Choices: []ballot.Choice{{Motion: "m1", Values: []string{"AGREE"}}}}
				c, sig, err := ballot.Sign(b, platform)
				if err != nil {
					panic(err)
				}
				ballots[i] = audit.Entry{Kind: audit.KindBallot, Ballot: &audit.BallotEntry{Seq: uint64(i + 1), ID: ballot.ID(c), Ballot: c, Signature: sig, Status: "ACCEPTED"}}
			}
		})
	}
	wg.Wait()
	for i := range units {
		tb2 = append(tb2, tally.Ballot{Voter: units[i].OwnerID, Motion: "m1", Choices: []tally.Choice{tally.Agree}})
	}
	res, err := tally.Count(units, agenda.TallyAssembly(), tb2)
	if err != nil {
		tb.Fatal(err)
	}
	d := res.Digest()
	entries = append(entries, ballots...)
	entries = append(entries, audit.Entry{Kind: audit.KindClose, Close: &audit.CloseEntry{}}, audit.Entry{Kind: audit.KindResult, Result: &audit.ResultEntry{Digest: hex.EncodeToString(d[:])}})
	b := &audit.Bundle{Roll: rollBytes}
	var tree audit.Tree
	for i := range entries {
		entries[i].Index, entries[i].Assembly, entries[i].Time = uint64(i), asm, at
		switch {
		case i < 2: // the roll and the agenda, published 20 days before the vote
			entries[i].Time = agenda.Opens.Add(-20 * 24 * time.Hour)
		case i >= len(entries)-2: // the close and the result
			entries[i].Time = agenda.Closes
		}
		data, err := entries[i].Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		b.Entries = append(b.Entries, data)
		tree.Append(audit.LeafHash(data), func(compact.NodeID, []byte) {})
	}
	signer, vkey, _ := audit.LogKey(bytes.Repeat([]byte{8}, 32))
	root, _ := tree.Root()
	cp, err := audit.SignCheckpoint(signer, asm, tree.Size, root)
	if err != nil {
		tb.Fatal(err)
	}
	b.Checkpoints = [][]byte{cp}
	b.Keys = audit.Keys{Assembly: asm, LogVerifier: vkey}
	b.Agenda, _ = agendaJSON(agenda)
	var out bytes.Buffer
	recount.WriteJSON(&out, res)
	b.Result = out.Bytes()
	return b
}

// BenchmarkVerifyExport verifies an export of 100,000 ballots and reports
// its rate as a ratio to verifying the same signatures alone on all cores
// (target ≥ 0.8).
func BenchmarkVerifyExport(b *testing.B) {
	const n = 100000
	bundle := syntheticBundle(b, n)
	// The all-core ed25519 rate over the same ballots, measured here.
	var sigs [][3][]byte
	for _, data := range bundle.Entries {
		e, _ := audit.ParseEntry(data)
		if e.Ballot != nil {
			sigs = append(sigs, [3][]byte{e.Ballot.Ballot, e.Ballot.Signature})
		}
	}
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey)
	rawVerify := func() time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(sigs); i += workers {
					if !ed25519.Verify(pub, sigs[i][0], sigs[i][1]) {
						panic("bad signature")
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	b.ResetTimer()
	// The raw rate and the export's are measured in turn, in the same
	// iterations, so that a noisy machine weighs on both alike.
	var raw, full time.Duration
	for range b.N {
		raw += rawVerify()
		start := time.Now()
		rep, err := audit.Verify(bundle)
		if err != nil || rep.Counted != n {
			b.Fatalf("Verify = %v, %v", rep, err)
		}
		full += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/full.Seconds(), "ballots/s")
	b.ReportMetric(float64(n*b.N)/raw.Seconds(), "raw-verify/s")
	b.ReportMetric(raw.Seconds()/full.Seconds(), "ratio")
}

// BenchmarkInclusionProof builds inclusion proofs in a log of 100,000
// entries from stored perfect subtrees.
func BenchmarkInclusionProof(b *testing.B) {
	const n = 100000
	nodes := map[compact.NodeID][]byte{}
	var tree audit.Tree
	for i := range n {
		tree.Append(audit.LeafHash(fmt.Appendf(nil, "entry %d", i)), func(id compact.NodeID, h []byte) { nodes[id] = h })
	}
	root, _ := tree.Root()
	fetch := func(ids []compact.NodeID) ([][]byte, error) {
		out := make([][]byte, len(ids))
		for i, id := range ids {
			out[i] = nodes[id]
		}
		return out, nil
	}
	b.ResetTimer()
	for i := range b.N {
		idx := uint64(i*7919) % n
		p, err := audit.InclusionProof(idx, n, fetch)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			if err := audit.VerifyInclusion(fmt.Appendf(nil, "entry %d", idx), idx, n, p, root); err != nil {
				b.Fatal(err)
			}
		}
	}
}
