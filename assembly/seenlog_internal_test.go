package assembly

import (
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/compact"

	"github.com/ownervote/ownervote/audit"
)

// The entries a group appends are proved from what the group saw alone:
// the compact range it started from and the nodes it added.
func TestSeenLogProvesNewEntries(t *testing.T) {
	leaf := func(i uint64) []byte { return []byte(fmt.Sprintf("entry %d", i)) }
	for start := uint64(0); start < 70; start++ {
		var before audit.Tree
		for i := range start {
			if err := before.Append(audit.LeafHash(leaf(i)), func(compact.NodeID, []byte) {}); err != nil {
				t.Fatal(err)
			}
		}
		for added := uint64(1); added <= 9; added++ {
			tree := audit.Tree{Size: before.Size, Hashes: append([][]byte(nil), before.Hashes...)}
			seen := newSeenLog(tree)
			for i := start; i < start+added; i++ {
				err := tree.Append(audit.LeafHash(leaf(i)), func(id compact.NodeID, h []byte) { seen.nodes[id] = h })
				if err != nil {
					t.Fatal(err)
				}
				seen.entries[i] = leaf(i)
			}
			seen.tree = tree
			root, err := tree.Root()
			if err != nil {
				t.Fatal(err)
			}
			for i := start; i < start+added; i++ {
				p, err := audit.InclusionProof(i, tree.Size, func(ids []compact.NodeID) ([][]byte, error) {
					h, ok := seen.fetch(ids)
					if !ok {
						return nil, fmt.Errorf("a node of leaf %d's proof is not in memory", i)
					}
					return h, nil
				})
				if err != nil {
					t.Fatalf("log of %d, %d added: %v", start, added, err)
				}
				if err := audit.VerifyInclusion(leaf(i), i, tree.Size, p, root); err != nil {
					t.Fatalf("log of %d, %d added: proof of %d does not verify: %v", start, added, i, err)
				}
			}
		}
	}
}
