package audit

import (
	"bytes"
	"fmt"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

var hasher = rfc6962.DefaultHasher

// LeafHash is the RFC 6962 hash of a leaf.
func LeafHash(data []byte) []byte { return hasher.HashLeaf(data) }

var rangeFactory = compact.RangeFactory{Hash: hasher.HashChildren}

// Tree is the appendable state of a log: its size and the hashes of its
// compact range [0, size).
type Tree struct {
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"hashes"`
}

// Append adds a leaf and calls store for every perfect subtree node it
// completes (the leaf itself included), so that proofs can be built later.
func (t *Tree) Append(leafHash []byte, store func(id compact.NodeID, hash []byte)) error {
	r, err := rangeFactory.NewRange(0, t.Size, t.Hashes)
	if err != nil {
		return err
	}
	if err := r.Append(leafHash, store); err != nil {
		return err
	}
	t.Size, t.Hashes = r.End(), r.Hashes()
	return nil
}

// Root returns the tree's root hash (the hash of the empty string for an
// empty tree).
func (t *Tree) Root() ([]byte, error) {
	if t.Size == 0 {
		return hasher.EmptyRoot(), nil
	}
	r, err := rangeFactory.NewRange(0, t.Size, t.Hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// RootOf computes the root of a list of leaves.
func RootOf(leaves [][]byte) ([]byte, error) {
	var t Tree
	for _, l := range leaves {
		if err := t.Append(LeafHash(l), func(compact.NodeID, []byte) {}); err != nil {
			return nil, err
		}
	}
	return t.Root()
}

// NodeFetcher returns the hashes of perfect subtree nodes.
type NodeFetcher func(ids []compact.NodeID) ([][]byte, error)

// InclusionProof builds the proof that leaf index is in the tree of size.
func InclusionProof(index, size uint64, fetch NodeFetcher) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	hashes, err := fetch(nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// ConsistencyProof builds the proof that the tree of size1 is a prefix of
// the tree of size2.
func ConsistencyProof(size1, size2 uint64, fetch NodeFetcher) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	hashes, err := fetch(nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// VerifyInclusion checks an inclusion proof of leaf data at index against
// a root of a tree of size.
func VerifyInclusion(data []byte, index, size uint64, p [][]byte, root []byte) error {
	return proof.VerifyInclusion(hasher, index, size, LeafHash(data), p, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(hasher, size1, size2, p, root1, root2)
}

// Origin is the checkpoint origin line of an assembly's log.
func Origin(assemblyID string) string { return "ownervote/assembly/" + assemblyID }

// SignCheckpoint signs a checkpoint of an assembly's log.
func SignCheckpoint(s note.Signer, assemblyID string, size uint64, root []byte) ([]byte, error) {
	cp := log.Checkpoint{Origin: Origin(assemblyID), Size: size, Hash: root}
	return note.Sign(&note.Note{Text: string(cp.Marshal())}, s)
}

// OpenCheckpoint verifies a signed checkpoint of an assembly's log with the
// log's verifier key (a note verifier key string).
func OpenCheckpoint(signed []byte, verifierKey, assemblyID string) (*log.Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("audit: log verifier key: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(bytes.TrimSpace(signed), Origin(assemblyID), v)
	if err != nil {
		// ParseCheckpoint wants the note exactly as signed.
		cp, _, _, err = log.ParseCheckpoint(signed, Origin(assemblyID), v)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint: %w", err)
	}
	return cp, nil
}
