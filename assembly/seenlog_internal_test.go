package assembly

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/store"
)

// The entries a group appends are proved from what its log writer saw
// alone: the compact range it started from and the nodes and entries it
// added.
func TestSeenLogProvesNewEntries(t *testing.T) {
	st := tempStore(t)
	var err error
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	entry := func(i int) audit.Entry {
		return audit.Entry{Kind: audit.KindClose, Close: &audit.CloseEntry{Reason: fmt.Sprint("entry ", i)}}
	}
	err = st.Update(context.Background(), func(tx store.Tx) error {
		for start := range 70 {
			// A log of start entries, as an earlier group left it.
			lw := &logWriter{tx: tx, asm: fmt.Sprint("a", start), now: now}
			for i := range start {
				if _, err := lw.add(entry(i)); err != nil {
					return err
				}
			}
			before := lw.st.Tree
			for added := 1; added <= 9; added++ {
				g := &logWriter{tx: tx, asm: lw.asm, now: now,
					st: logState{Tree: audit.Tree{Size: before.Size, Hashes: append([][]byte(nil), before.Hashes...)}}}
				g.seen = newSeenLog(g.st.Tree)
				for i := range added {
					if _, err := g.add(entry(start + i)); err != nil {
						return err
					}
				}
				if err := g.finish(); err != nil {
					return err
				}
				root, err := g.seen.rootHash()
				if err != nil {
					return err
				}
				if stored, err := rootAt(tx, g.asm, g.seen.tree.Size); err != nil || !bytes.Equal(stored, root) {
					return fmt.Errorf("log of %d, %d added: seen root %x, stored %x (%v)", start, added, root, stored, err)
				}
				for idx := uint64(start); idx < uint64(start+added); idx++ {
					p, err := audit.InclusionProof(idx, g.seen.tree.Size, g.seen.fetch)
					if err != nil {
						return fmt.Errorf("log of %d, %d added: %v", start, added, err)
					}
					if err := audit.VerifyInclusion(g.seen.entries[idx], idx, g.seen.tree.Size, p, root); err != nil {
						return fmt.Errorf("log of %d, %d added: proof of %d does not verify: %v", start, added, idx, err)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
