package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ownervote/ownervote/ballot"
)

func init() {
	commands["ballot"] = command{summary: "sign or verify a ballot (reference tool for integrators)", run: runBallot}
}

const ballotUsage = "ownervote ballot keygen --out KEYFILE | sign --key KEYFILE [--in BALLOT.json] | verify --pub PUBLIC_KEY [--in SIGNED.json] (see docs/ballot-format.md)"

// runBallot is the reference tool for integrators of the ballot format:
// keygen makes a signing key, sign turns a ballot in the JSON form into the
// canonical bytes and their signature, verify checks them.
func runBallot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := groupHelp(args, stderr, strings.TrimPrefix(ballotUsage, "ownervote ")); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, ballotUsage)
	}
	fl := flag.NewFlagSet("ballot "+args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	parse := func() error {
		if err := parseFlags(fl, args[1:]); err != nil {
			return err
		}
		if fl.NArg() > 0 {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
		}
		return nil
	}
	switch args[0] {
	case "keygen":
		out := fl.String("out", "", "file to write the new private key (seed) to; must not exist")
		if err := parse(); err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("%w: --out is required", errUsage)
		}
		return ballotKeygen(*out, stdout, stderr)
	case "sign":
		key := fl.String("key", "", "private key file: the 32-byte ed25519 seed as 64 hex digits")
		in := fl.String("in", "-", "ballot in the JSON form (- for standard input)")
		if err := parse(); err != nil {
			return err
		}
		if *key == "" {
			return fmt.Errorf("%w: --key is required", errUsage)
		}
		return ballotSign(*key, *in, stdout, stderr)
	case "verify":
		pub := fl.String("pub", "", "public key of the signer: 64 hex digits or base64")
		in := fl.String("in", "-", "output of `ballot sign`, or any JSON object with ballot and signature in base64 (- for standard input)")
		if err := parse(); err != nil {
			return err
		}
		if *pub == "" {
			return fmt.Errorf("%w: --pub is required", errUsage)
		}
		return ballotVerify(*pub, *in, stdout)
	}
	return fmt.Errorf("%w: unknown ballot command %q; %s", errUsage, args[0], ballotUsage)
}

// ballotKeygen writes a new random seed to path, readable by its owner
// only, and prints the public key and key id (never the seed).
func ballotKeygen(path string, stdout, stderr io.Writer) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing the key: %w", err)
	}
	_, err = io.WriteString(f, hex.EncodeToString(priv.Seed())+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing the key: %w", err)
	}
	fmt.Fprintf(stderr, "wrote a new private key to %s; keep it secret, register the public key below\n", path)
	fmt.Fprintf(stdout, "public key (base64): %s\n", base64.StdEncoding.EncodeToString(pub))
	fmt.Fprintf(stdout, "public key (hex): %s\n", hex.EncodeToString(pub))
	fmt.Fprintf(stdout, "key id: %s\n", ballot.KeyID(pub))
	return nil
}

// readKeyFile reads a private key file: the seed as 64 hex digits and an
// optional line end. Its content never appears in an error.
func readKeyFile(path string, stderr io.Writer) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the key: %w", err)
	}
	text := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	seed, err := hex.DecodeString(text)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s is not a key file: want the 32-byte ed25519 seed as 64 hex digits on one line", path)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "warning: %s can be read by others (mode %v); chmod 600 it\n", path, st.Mode().Perm())
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// readInput reads the file name, or standard input for "-".
func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// signedBallot is the output of `ballot sign` and the input of `ballot
// verify`: ballot and signature as SubmitBallot takes them.
type signedBallot struct {
	Ballot    string `json:"ballot"`    // canonical bytes, standard base64
	Signature string `json:"signature"` // 64 bytes, standard base64
	BallotID  string `json:"ballot_id,omitempty"`
	Canonical string `json:"canonical,omitempty"`
}

func ballotSign(keyFile, in string, stdout, stderr io.Writer) error {
	priv, err := readKeyFile(keyFile, stderr)
	if err != nil {
		return err
	}
	data, err := readInput(in)
	if err != nil {
		return err
	}
	var b ballot.Ballot
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("reading the ballot: %w", err)
	}
	var filled []string
	if b.KeyID == "" {
		b.KeyID = ballot.KeyID(priv.Public().(ed25519.PublicKey))
		filled = append(filled, "key")
	}
	if b.Signer == "" && b.Channel.Signer() != "" {
		b.Signer = b.Channel.Signer()
		filled = append(filled, "signer")
	}
	if b.Nonce == "" {
		nonce := make([]byte, 16)
		if _, err := rand.Read(nonce); err != nil {
			return err
		}
		b.Nonce = hex.EncodeToString(nonce)
		filled = append(filled, "nonce")
	}
	if b.Time.IsZero() {
		b.Time = time.Now().UTC().Truncate(time.Second)
		filled = append(filled, "time")
	}
	canonical, sig, err := ballot.Sign(&b, priv)
	if err != nil {
		return err
	}
	if len(filled) > 0 {
		fmt.Fprintf(stderr, "filled in: %s\n", strings.Join(filled, ", "))
	}
	return writeJSON(stdout, signedBallot{
		Ballot:    base64.StdEncoding.EncodeToString(canonical),
		Signature: base64.StdEncoding.EncodeToString(sig),
		BallotID:  ballot.ID(canonical),
		Canonical: string(canonical),
	})
}

// parsePublicKey reads an ed25519 public key as 64 hex digits or as
// standard base64.
func parsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	var err error
	if len(s) == 2*ed25519.PublicKeySize {
		raw, err = hex.DecodeString(s)
	} else {
		raw, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: --pub: want a 32-byte ed25519 public key as 64 hex digits or base64", errUsage)
	}
	return ed25519.PublicKey(raw), nil
}

func ballotVerify(pubText, in string, stdout io.Writer) error {
	pub, err := parsePublicKey(pubText)
	if err != nil {
		return err
	}
	data, err := readInput(in)
	if err != nil {
		return err
	}
	var sb signedBallot
	if err := json.Unmarshal(data, &sb); err != nil {
		return fmt.Errorf("reading the signed ballot: %w", err)
	}
	if sb.Ballot == "" || sb.Signature == "" {
		return errors.New("reading the signed ballot: want a JSON object with \"ballot\" and \"signature\" in base64")
	}
	canonical, err := base64.StdEncoding.DecodeString(sb.Ballot)
	if err != nil {
		return fmt.Errorf("\"ballot\" is not standard base64: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(sb.Signature)
	if err != nil {
		return fmt.Errorf("\"signature\" is not standard base64: %w", err)
	}
	if sb.Canonical != "" && !bytes.Equal([]byte(sb.Canonical), canonical) {
		return errors.New("\"canonical\" is not the text of \"ballot\"; only \"ballot\" is signed")
	}
	b, err := ballot.Verify(canonical, sig, pub)
	if err != nil {
		return fmt.Errorf("the ballot does not verify: %w", err)
	}
	id := ballot.ID(canonical)
	if sb.BallotID != "" && sb.BallotID != id {
		return fmt.Errorf("the signature is good but \"ballot_id\" is %s, the ballot's id is %s", sb.BallotID, id)
	}
	return writeJSON(stdout, struct {
		Verified bool           `json:"verified"`
		BallotID string         `json:"ballot_id"`
		KeyID    string         `json:"key_id"`
		Ballot   *ballot.Ballot `json:"ballot"`
	}{true, id, ballot.KeyID(pub), b})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
