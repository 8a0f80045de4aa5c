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
	out, err := checkReceipt(receiptFor(agree, agreeSig), keys)
	if err != nil || !strings.Contains(out, "is counted") || !strings.Contains(out, "choices recorded: m1=AGREE") {
		t.Fatalf("checkReceipt(the logged ballot is the owner's) = %q, %v; want counted, with the choices", out, err)
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
