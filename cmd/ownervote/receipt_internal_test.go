package main

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
)

// TestReceiptCheckBindsTheBallotBytes: a receipt checks out only where
// the log entry it proves holds the very ballot the receipt names (its id
// is the hash of its bytes), and the check shows the choices recorded; a
// log holding another ballot under the owner's ballot id is refused, even
// under a checkpoint the log key signed.
func TestReceiptCheckBindsTheBallotBytes(t *testing.T) {
	const asm = "select-2026"
	at := time.Date(2026, 5, 9, 8, 0, 0, 0, time.UTC)
	platform := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	signed := func(choice string) (canonical, sig []byte) {
		b := &ballot.Ballot{Assembly: asm, RollDigest: strings.Repeat("ab", 32), Voter: "o-1", Channel: ballot.Platform, Signer: ballot.SignerPlatform,
			KeyID: ballot.KeyID(platform.Public().(ed25519.PublicKey)), Nonce: strings.Repeat("0", 32), Time: at, PlatformVoteID: "qd-1",
			Choices: []ballot.Choice{{Motion: "m1", Values: []string{choice}}}}
		c, s, err := ballot.Sign(b, platform)
		if err != nil {
			t.Fatal(err)
		}
		return c, s
	}
	agree, agreeSig := signed("AGREE")
	oppose, opposeSig := signed("OPPOSE")
	receiptKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	rc, rs, err := ballot.SignReceipt(&ballot.Receipt{BallotID: ballot.ID(agree), Assembly: asm, Seq: 1, Status: ballot.StatusAccepted, Received: at,
		ServerKeyID: ballot.KeyID(receiptKey.Public().(ed25519.PublicKey))}, receiptKey)
	if err != nil {
		t.Fatal(err)
	}
	logSigner, logVerifier, err := audit.LogKey(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	keys := keysFile{ReceiptPublicKey: receiptKey.Public().(ed25519.PublicKey), LogVerifierKey: logVerifier}
	receiptFor := func(logged, sig []byte) receiptFile {
		e := audit.Entry{Kind: audit.KindBallot, Assembly: asm, Time: at, Ballot: &audit.BallotEntry{Seq: 1, ID: ballot.ID(agree), Ballot: logged,
			Signature: sig, Status: "ACCEPTED", SubmittedBy: "tok-p"}}
		line, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		cp, err := audit.SignCheckpoint(logSigner, asm, 1, audit.LeafHash(line))
		if err != nil {
			t.Fatal(err)
		}
		return receiptFile{BallotID: ballot.ID(agree), Receipt: rc, ReceiptSignature: rs, LogEntry: line, LogSize: 1, Checkpoint: string(cp)}
	}
	got, err := checkReceipt(receiptFor(agree, agreeSig), keys)
	if err != nil || !strings.Contains(got.summary, "was counted when the log held 1 entries") || !strings.Contains(got.summary, "choices recorded: m1=AGREE") ||
		!strings.Contains(got.summary, "log key: "+logVerifier) {
		t.Fatalf("checkReceipt(the logged ballot is the owner's) = %+v, %v; want counted, with the choices and the log key", got, err)
	}
	// What the receipt signs is what the log holds: the entry's own
	// number, assembly and the ballot's number.
	for _, tc := range []struct {
		what string
		edit func(e *audit.Entry)
		says string
	}{
		{"an entry of another assembly", func(e *audit.Entry) { e.Assembly = "other-asm" }, "of assembly other-asm"},
		{"an entry numbered otherwise", func(e *audit.Entry) { e.Index = 999 }, "is entry 999"},
		{"another ballot number", func(e *audit.Entry) { e.Ballot.Seq = 77 }, "holds ballot 77"},
	} {
		rf := receiptFor(agree, agreeSig)
		e, err := audit.ParseEntry(rf.LogEntry)
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(e)
		if rf.LogEntry, err = e.Marshal(); err != nil {
			t.Fatal(err)
		}
		cp, err := audit.SignCheckpoint(logSigner, asm, 1, audit.LeafHash(rf.LogEntry))
		if err != nil {
			t.Fatal(err)
		}
		rf.Checkpoint = string(cp)
		if _, err := checkReceipt(rf, keys); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("checkReceipt(%s) = %v, want it refused saying %q", tc.what, err, tc.says)
		}
	}
	if _, err := checkReceipt(receiptFor(oppose, opposeSig), keys); err == nil || !strings.Contains(err.Error(), "another ballot under this one's id") {
		t.Errorf("checkReceipt(another ballot logged under the owner's ballot id) = %v, want refused", err)
	}
	noEntry := receiptFor(agree, agreeSig)
	noEntry.LogEntry = nil
	if _, err := checkReceipt(noEntry, keys); err == nil || !strings.Contains(err.Error(), "no log_entry") {
		t.Errorf("checkReceipt(no log entry) = %v", err)
	}
	wrongIndex := receiptFor(agree, agreeSig)
	wrongIndex.LogIndex = 1
	if _, err := checkReceipt(wrongIndex, keys); err == nil || !strings.Contains(err.Error(), "does not lead to the signed root") || strings.Contains(err.Error(), "[") {
		t.Errorf("checkReceipt(another index) = %v, want the root named in hex", err)
	}
}

// TestSupersession: a receipt checked against an export finds the entry
// that supersedes its ballot, after the ballot's own, and no other.
func TestSupersession(t *testing.T) {
	at := time.Date(2026, 5, 9, 8, 0, 0, 0, time.UTC)
	var entries [][]byte
	add := func(e audit.Entry) {
		e.Index, e.Assembly, e.Time = uint64(len(entries)), "a", at
		line, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, line)
	}
	add(audit.Entry{Kind: audit.KindStatus, Status: &audit.StatusEntry{Seq: 3, ID: "x", Status: "SUPERSEDED", Reason: "before"}})
	add(audit.Entry{Kind: audit.KindBallot, Ballot: &audit.BallotEntry{Seq: 3, ID: "x", Status: "ACCEPTED"}})
	add(audit.Entry{Kind: audit.KindStatus, Status: &audit.StatusEntry{Seq: 4, ID: "y", Status: "SUPERSEDED", Reason: "another ballot"}})
	if i, _, err := supersession(entries, 1, 3); err != nil || i != 0 {
		t.Errorf("supersession(none of ballot 3 after it) = %d, %v; want none", i, err)
	}
	add(audit.Entry{Kind: audit.KindStatus, Status: &audit.StatusEntry{Seq: 3, ID: "x", Status: "SUPERSEDED", Reason: "superseded by ballot 9"}})
	if i, why, err := supersession(entries, 1, 3); err != nil || i != 3 || why != "superseded by ballot 9" {
		t.Errorf("supersession(ballot 3 superseded at entry 3) = %d, %q, %v", i, why, err)
	}
}
