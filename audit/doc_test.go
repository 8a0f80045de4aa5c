package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
)

// TestDocExampleEntry: the BALLOT entry docs/export-format.md shows is a
// log line exactly as the server writes one, of the `online` test vector.
func TestDocExampleEntry(t *testing.T) {
	doc, err := os.ReadFile("../docs/export-format.md")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for l := range strings.Lines(string(doc)) {
		if strings.HasPrefix(l, `{"index":5,"kind":"BALLOT"`) {
			line = strings.TrimSuffix(l, "\n")
		}
	}
	if line == "" {
		t.Fatal("docs/export-format.md shows no BALLOT entry")
	}
	var e audit.Entry
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(e)
	if err != nil || string(again) != line {
		t.Errorf("the example is not an entry as written:\n doc %s\nours %s", line, again)
	}
	var v struct {
		Ballots []struct {
			Name      string `json:"name"`
			Canonical string `json:"canonical"`
		} `json:"ballots"`
	}
	raw, err := os.ReadFile("../ballot/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.Ballots[0].Name != "online" {
		t.Fatalf("vectors: %v", err)
	}
	if e.Ballot == nil || !bytes.Equal(e.Ballot.Ballot, []byte(v.Ballots[0].Canonical)) || e.Ballot.ID != ballot.ID(e.Ballot.Ballot) {
		t.Error("the example's ballot is not the online test vector under its id")
	}
}

// TestCheckpointByTheDoc checks a signed checkpoint by the rules
// docs/export-format.md gives for doing it without Go's note package.
func TestCheckpointByTheDoc(t *testing.T) {
	signer, vkey, err := audit.LogKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	root := sha256.Sum256([]byte("root"))
	signed, err := audit.SignCheckpoint(signer, "asm-1", 42, root[:])
	if err != nil {
		t.Fatal(err)
	}
	// The verifier key: ownervote-log+HHHHHHHH+base64(0x01 || public key).
	parts := strings.Split(vkey, "+")
	if len(parts) != 3 || parts[0] != "ownervote-log" {
		t.Fatalf("verifier key %q", vkey)
	}
	keyBytes, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(keyBytes) != 33 || keyBytes[0] != 1 {
		t.Fatalf("verifier key's key: %x, %v", keyBytes, err)
	}
	pub := ed25519.PublicKey(keyBytes[1:])
	h := sha256.Sum256(append([]byte("ownervote-log\n"), keyBytes...))
	if parts[1] != hex.EncodeToString(h[:4]) {
		t.Errorf("key hash %s, want the first 4 bytes of SHA-256(name, \\n, 0x01, key) = %x", parts[1], h[:4])
	}
	// The text: the three lines before the blank line; then one signature
	// line, "— ownervote-log " and base64(key hash || signature).
	text, sigs, ok := strings.Cut(string(signed), "\n\n")
	text += "\n"
	if !ok || strings.Count(text, "\n") != 3 || !strings.HasPrefix(text, "ownervote/assembly/asm-1\n42\n") {
		t.Fatalf("checkpoint %q", signed)
	}
	b64, ok := strings.CutPrefix(strings.TrimSuffix(sigs, "\n"), "\u2014 ownervote-log ")
	sig, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(sig) != 68 || !bytes.Equal(sig[:4], h[:4]) {
		t.Fatalf("signature line %q", sigs)
	}
	if !ed25519.Verify(pub, []byte(text), sig[4:]) {
		t.Error("the signature does not verify over the text as the doc says")
	}
}
