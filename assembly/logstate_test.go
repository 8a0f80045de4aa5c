package assembly_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/store"
)

// TestLogStateWrittenAsJSON opens a log whose state an earlier ownervote
// stored as JSON (the whole compact range): the checkpoint is the same,
// and the log grows on with proofs that verify.
func TestLogStateWrittenAsJSON(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 20, assembly.Settings{})
	for i := range 5 {
		if _, err := f.reg.Submit(ctx, f.signed(t, i, "AGREE")); err != nil {
			t.Fatal(err)
		}
	}
	before, size, err := f.reg.Checkpoint(ctx, f.Assembly.ID)
	if err != nil {
		t.Fatal(err)
	}
	err = f.st.Update(ctx, func(tx store.Tx) error {
		var tree audit.Tree
		err := tx.Scan(store.LogEntries, store.Prefix(f.Assembly.ID), nil, func(_, v []byte) (bool, error) {
			return true, tree.Append(audit.LeafHash(v), func(compact.NodeID, []byte) {})
		})
		if err != nil {
			return err
		}
		if tree.Size != size {
			t.Fatalf("%d entries stored, checkpoint of %d", tree.Size, size)
		}
		return store.PutJSON(tx, store.LogState, []byte(f.Assembly.ID), map[string]any{"tree": tree})
	})
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := f.reg.Checkpoint(ctx, f.Assembly.ID)
	if err != nil || string(after) != string(before) {
		t.Fatalf("checkpoint from the JSON state:\n%s\nwant\n%s (%v)", after, before, err)
	}
	out, err := f.reg.Submit(ctx, f.signed(t, 5, "OPPOSE"))
	if err != nil {
		t.Fatal(err)
	}
	if out.LogSize != size+1 {
		t.Errorf("log size after one more ballot = %d, want %d", out.LogSize, size+1)
	}
	cp, err := audit.OpenCheckpoint(out.Checkpoint, f.reg.LogVerifierKey(), f.Assembly.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyInclusion(out.LogEntry, out.LogIndex, out.LogSize, out.InclusionProof, cp.Hash); err != nil {
		t.Errorf("inclusion proof after the JSON state: %v", err)
	}
	var raw []byte
	f.st.View(ctx, func(tx store.Tx) error {
		raw = append(raw, tx.Get(store.LogState, []byte(f.Assembly.ID))...)
		return nil
	})
	if len(raw) != 8 {
		t.Errorf("log state rewritten as %q, want 8 bytes", raw)
	}
}

// countingSigner counts signatures and takes its time over each, so that
// concurrent requests for the same checkpoint meet.
type countingSigner struct {
	note.Signer
	n atomic.Int64
}

func (s *countingSigner) Sign(msg []byte) ([]byte, error) {
	s.n.Add(1)
	time.Sleep(50 * time.Millisecond)
	return s.Signer.Sign(msg)
}

// The receipts of one group's ballots ask for their assembly's checkpoint
// of the same size at once: it is signed once.
func TestCheckpointSignedOnceForConcurrentRequests(t *testing.T) {
	f := newFixture(t, 20, assembly.Settings{})
	ctx := context.Background()
	if _, err := f.reg.Submit(ctx, f.signed(t, 0, "AGREE")); err != nil {
		t.Fatal(err)
	}
	logSigner, vkey, _ := audit.LogKey(bytes.Repeat([]byte{2}, 32))
	cs := &countingSigner{Signer: logSigner}
	reg, err := assembly.NewRegistry(f.st, assembly.Config{ReceiptKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)),
		LogSigner: cs, LogVerifierKey: vkey, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	notes := make([][]byte, 16)
	for i := range notes {
		wg.Go(func() {
			cp, _, err := reg.Checkpoint(ctx, f.Assembly.ID)
			if err != nil {
				t.Error(err)
			}
			notes[i] = cp
		})
	}
	wg.Wait()
	if n := cs.n.Load(); n != 1 {
		t.Errorf("16 concurrent requests for the same checkpoint signed it %d times, want once", n)
	}
	for _, cp := range notes[1:] {
		if !bytes.Equal(cp, notes[0]) {
			t.Fatal("concurrent requests got different checkpoints")
		}
	}
}
