package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownervote/ownervote/ballot"
)

var keygenLine = regexp.MustCompile(`(?m)^(public key \(base64\)|public key \(hex\)|key id): (\S+)$`)

// keygen runs `ballot keygen` and returns the key file and what it printed.
func keygen(t *testing.T, dir string) (keyFile string, printed map[string]string) {
	t.Helper()
	keyFile = filepath.Join(dir, "owner.key")
	code, stdout, stderr := runCmd("ballot", "keygen", "--out", keyFile)
	if code != 0 {
		t.Fatalf("ballot keygen = %d, want 0; stderr:\n%s", code, stderr)
	}
	printed = map[string]string{}
	for _, m := range keygenLine.FindAllStringSubmatch(stdout, -1) {
		printed[m[1]] = m[2]
	}
	if len(printed) != 3 {
		t.Fatalf("ballot keygen printed:\n%s\nwant the public key in base64 and hex and the key id", stdout)
	}
	return keyFile, printed
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBallotKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	keyFile, printed := keygen(t, dir)

	st, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", st.Mode().Perm())
	}
	content, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(strings.TrimSuffix(string(content), "\n"))
	if err != nil || len(seed) != ed25519.SeedSize || !strings.HasSuffix(string(content), "\n") {
		t.Fatalf("key file = %q, want 64 hex digits and a newline", content)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	want := map[string]string{
		"public key (base64)": base64.StdEncoding.EncodeToString(pub),
		"public key (hex)":    hex.EncodeToString(pub),
		"key id":              ballot.KeyID(pub),
	}
	if diff := cmp.Diff(want, printed); diff != "" {
		t.Errorf("ballot keygen printed (-want +got):\n%s", diff)
	}
	if code, _, _ := runCmd("ballot", "keygen", "--out", keyFile); code == 0 {
		t.Error("ballot keygen over an existing file = 0, want a failure")
	}
	if again, _ := os.ReadFile(keyFile); !bytes.Equal(again, content) {
		t.Error("ballot keygen overwrote an existing key file")
	}

	// A ballot without key, signer, nonce and time: sign fills them in.
	in := writeFile(t, filepath.Join(dir, "ballot.json"), `{
  "assembly": "asm-qd-2026-05-firm",
  "roll": "5afa519e1a3075bc1c26b605681bc081db527d30dca2e75d7b2ba5482652c377",
  "voter": "owner-0001",
  "channel": "ONLINE",
  "choice": {"m1": ["AGREE"]}
}`)
	code, stdout, stderr := runCmd("ballot", "sign", "--key", keyFile, "--in", in)
	if code != 0 {
		t.Fatalf("ballot sign = %d, want 0; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, hex.EncodeToString(seed)) {
		t.Fatal("ballot sign printed the private key")
	}
	var out signedBallot
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("ballot sign printed %q: %v", stdout, err)
	}
	canonical, err := base64.StdEncoding.DecodeString(out.Ballot)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(out.Signature)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ballot.Verify(canonical, sig, pub)
	if err != nil {
		t.Fatalf("ballot.Verify(output of sign) = %v", err)
	}
	if b.Signer != ballot.SignerOwner || b.KeyID != ballot.KeyID(pub) || len(b.Nonce) != 32 || b.Time.IsZero() {
		t.Errorf("ballot sign did not fill in signer, key, nonce and time: %+v", b)
	}
	if out.Canonical != string(canonical) || out.BallotID != ballot.ID(canonical) {
		t.Errorf("ballot sign printed canonical %q and id %s, want %q and %s", out.Canonical, out.BallotID, canonical, ballot.ID(canonical))
	}

	signedFile := writeFile(t, filepath.Join(dir, "signed.json"), stdout)
	for _, pubArg := range []string{printed["public key (base64)"], printed["public key (hex)"]} {
		code, stdout, stderr := runCmd("ballot", "verify", "--pub", pubArg, "--in", signedFile)
		if code != 0 {
			t.Fatalf("ballot verify --pub %s = %d, want 0; stderr:\n%s", pubArg, code, stderr)
		}
		var v struct {
			Verified bool           `json:"verified"`
			BallotID string         `json:"ballot_id"`
			Ballot   *ballot.Ballot `json:"ballot"`
		}
		if err := json.Unmarshal([]byte(stdout), &v); err != nil {
			t.Fatalf("ballot verify printed %q: %v", stdout, err)
		}
		if !v.Verified || v.BallotID != out.BallotID {
			t.Errorf("ballot verify printed %+v, want verified with id %s", v, out.BallotID)
		}
		if diff := cmp.Diff(b, v.Ballot); diff != "" {
			t.Errorf("ballot verify printed another ballot (-want +got):\n%s", diff)
		}
	}

	// One byte of the ballot changed, with the rest of the output kept.
	altered := bytes.Replace(canonical, []byte("AGREE"), []byte("AGREF"), 1)
	for name, signedJSON := range map[string]string{
		"choice changed":         `{"ballot":"` + base64.StdEncoding.EncodeToString(bytes.Replace(canonical, []byte("=AGREE"), []byte("=OPPOSE"), 1)) + `","signature":"` + out.Signature + `"}`,
		"byte changed":           `{"ballot":"` + base64.StdEncoding.EncodeToString(altered) + `","signature":"` + out.Signature + `"}`,
		"canonical text differs": strings.Replace(stdout, `"canonical": "ownervote-ballot/1\nassembly=asm-qd`, `"canonical": "ownervote-ballot/1\nassembly=asm-qe`, 1),
		"ballot id differs":      strings.Replace(stdout, out.BallotID, strings.Repeat("0", 64), 1),
		"signature truncated":    `{"ballot":"` + out.Ballot + `","signature":"` + base64.StdEncoding.EncodeToString(sig[:63]) + `"}`,
		"no signature":           `{"ballot":"` + out.Ballot + `"}`,
		"not base64":             `{"ballot":"!!","signature":"` + out.Signature + `"}`,
	} {
		f := writeFile(t, filepath.Join(dir, "bad.json"), signedJSON)
		code, _, stderr := runCmd("ballot", "verify", "--pub", printed["public key (hex)"], "--in", f)
		if code != 1 || stderr == "" {
			t.Errorf("%s: ballot verify = %d, stderr %q; want 1 and a message", name, code, stderr)
		}
	}

	// Another key.
	otherKey, otherPrinted := keygen(t, t.TempDir())
	if code, _, _ := runCmd("ballot", "verify", "--pub", otherPrinted["public key (hex)"], "--in", signedFile); code != 1 {
		t.Errorf("ballot verify with another key = %d, want 1", code)
	}
	// Signing a ballot that names another key fails.
	if code, _, stderr := runCmd("ballot", "sign", "--key", otherKey, "--in", writeFile(t, filepath.Join(dir, "b.json"), string(mustMarshal(t, b)))); code != 1 {
		t.Errorf("ballot sign of a ballot naming another key = %d, want 1; stderr %q", code, stderr)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBallotSignVectors signs every test vector with its test key: Ed25519
// is deterministic, so the tool must print exactly the vector.
func TestBallotSignVectors(t *testing.T) {
	data, err := os.ReadFile("../../ballot/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vf struct {
		Ballots []struct {
			Name            string          `json:"name"`
			Seed            string          `json:"seed"`
			PublicKeyBase64 string          `json:"public_key_base64"`
			Ballot          json.RawMessage `json:"ballot"`
			CanonicalBase64 string          `json:"canonical_base64"`
			BallotID        string          `json:"ballot_id"`
			SignatureBase64 string          `json:"signature_base64"`
		} `json:"ballots"`
	}
	if err := json.Unmarshal(data, &vf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, v := range vf.Ballots {
		key := writeFile(t, filepath.Join(dir, v.Name+".key"), v.Seed+"\n")
		in := writeFile(t, filepath.Join(dir, v.Name+".json"), string(v.Ballot))
		code, stdout, stderr := runCmd("ballot", "sign", "--key", key, "--in", in)
		if code != 0 {
			t.Fatalf("%s: ballot sign = %d; stderr:\n%s", v.Name, code, stderr)
		}
		var out signedBallot
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		if out.Ballot != v.CanonicalBase64 || out.Signature != v.SignatureBase64 || out.BallotID != v.BallotID {
			t.Errorf("%s: ballot sign printed %+v, want the vector", v.Name, out)
		}
		signed := writeFile(t, filepath.Join(dir, v.Name+".signed.json"), stdout)
		if code, _, stderr := runCmd("ballot", "verify", "--pub", v.PublicKeyBase64, "--in", signed); code != 0 {
			t.Errorf("%s: ballot verify = %d; stderr:\n%s", v.Name, code, stderr)
		}
	}
}

func TestBallotUsage(t *testing.T) {
	dir := t.TempDir()
	badKey := writeFile(t, filepath.Join(dir, "bad.key"), "zzzz-secret-zzzz\n")
	ballotJSON := writeFile(t, filepath.Join(dir, "b.json"), `{"assembly":"a","voter":"v","channel":"ONLINE","choice":{"m1":["AGREE"]}}`)
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"ballot"}, 2},
		{[]string{"ballot", "frobnicate"}, 2},
		{[]string{"ballot", "keygen"}, 2},
		{[]string{"ballot", "keygen", "--out", filepath.Join(dir, "k"), "extra"}, 2},
		{[]string{"ballot", "sign"}, 2},
		{[]string{"ballot", "sign", "--nope"}, 2},
		{[]string{"ballot", "verify"}, 2},
		{[]string{"ballot", "verify", "--pub", "abc"}, 2},
		{[]string{"ballot", "sign", "--key", badKey, "--in", ballotJSON}, 1},
		{[]string{"ballot", "sign", "--key", filepath.Join(dir, "missing.key"), "--in", ballotJSON}, 1},
		{[]string{"ballot", "sign", "--help"}, 0},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(tt.args...)
		if code != tt.code {
			t.Errorf("%v = %d, want %d; stderr:\n%s", tt.args, code, tt.code, stderr)
		}
		if strings.Contains(stderr, "zzzz-secret-zzzz") {
			t.Errorf("%v printed the key file's content: %s", tt.args, stderr)
		}
	}
	// The roll digest is missing: sign fills in only key, signer, nonce and
	// time, and refuses an invalid ballot.
	keyFile, _ := keygen(t, dir)
	if code, _, stderr := runCmd("ballot", "sign", "--key", keyFile, "--in", ballotJSON); code != 1 || stderr == "" {
		t.Errorf("ballot sign of a ballot without roll = %d, stderr %q; want 1 and a message", code, stderr)
	}
}
