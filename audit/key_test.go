package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ownervote/ownervote/audit"
	"golang.org/x/mod/sumdb/note"
)

// TestLogKeySignsAsNote: the log key's checkpoints are the bytes x/mod's own
// note signer of the same key makes, and its verifier key opens them.
func TestLogKeySignsAsNote(t *testing.T) {
	seed := bytes.Repeat([]byte{5}, ed25519.SeedSize)
	signer, vkey, err := audit.LogKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(vkey, "+")
	reference, err := note.NewSigner("PRIVATE+KEY+" + parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed...)))
	if err != nil {
		t.Fatal(err)
	}
	for size := uint64(1); size <= 50; size++ {
		root := bytes.Repeat([]byte{byte(size)}, 32)
		got, err := audit.SignCheckpoint(signer, "a-1", size, root)
		if err != nil {
			t.Fatal(err)
		}
		want, err := audit.SignCheckpoint(reference, "a-1", size, root)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("size %d: checkpoint\n%s\nwant (x/mod's signer)\n%s", size, got, want)
		}
		cp, err := audit.OpenCheckpoint(got, vkey, "a-1")
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if cp.Size != size || !bytes.Equal(cp.Hash, root) {
			t.Fatalf("size %d: opened size %d root %x", size, cp.Size, cp.Hash)
		}
	}
}
