package ballot_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ownervote/ownervote/ballot"
)

// addVectorSeeds adds the canonical ballots (or receipts) of the test
// vectors, their prefixes and a few broken variants to the seed corpus.
// Inputs that make a fuzz test fail are kept by go test in testdata/fuzz/
// and then run as seeds too.
func addVectorSeeds(f *testing.F, receipts bool, add func(canonical, sig []byte)) {
	f.Helper()
	vf := loadVectors(f)
	var items [][2]string
	if receipts {
		for _, v := range vf.Receipts {
			items = append(items, [2]string{v.CanonicalBase64, v.Signature})
		}
	} else {
		for _, v := range vf.Ballots {
			items = append(items, [2]string{v.CanonicalBase64, v.Signature})
		}
	}
	for _, it := range items {
		c, err := base64.StdEncoding.DecodeString(it[0])
		if err != nil {
			f.Fatal(err)
		}
		sig, err := hex.DecodeString(it[1])
		if err != nil {
			f.Fatal(err)
		}
		add(c, sig)
		// Every prefix ending at a line end, so that the fuzzer also starts
		// from short inputs that stop at each field.
		for i, b := range c[:len(c)-1] {
			if b == '\n' {
				add(c[:i+1], sig)
			}
		}
		add(c[:len(c)-1], sig)
		add(bytes.ReplaceAll(c, []byte("\n"), []byte("\r\n")), sig)
		add(append(bytes.Clone(c), "x=y\n"...), sig)
		add(c, sig[:63])
	}
}

// FuzzParse checks that Parse never panics, that it fails only with
// ErrMalformed, and that whatever it accepts is canonical: Canonical of the
// result is the input, byte for byte.
func FuzzParse(f *testing.F) {
	addVectorSeeds(f, false, func(c, _ []byte) { f.Add(c) })
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ballot.Parse(data)
		if err != nil {
			if !errors.Is(err, ballot.ErrMalformed) {
				t.Fatalf("Parse() = %v, want ErrMalformed", err)
			}
			return
		}
		c, err := b.Canonical()
		if err != nil {
			t.Fatalf("Parse(%q) accepted a ballot that Canonical refuses: %v", data, err)
		}
		if !bytes.Equal(c, data) {
			t.Fatalf("Canonical(Parse(%q)) = %q", data, c)
		}
	})
}

// FuzzVerify checks that Verify never panics, fails only with the
// documented errors, and accepts only a canonical ballot that the key
// signed.
func FuzzVerify(f *testing.F) {
	pubs := map[string]ed25519.PublicKey{}
	for _, name := range []string{"owner-0001", "platform", "staff-li", "proxy-zhao", "owner-0007"} {
		pubs[keyIDOf(name)] = pubOf(testKey(name))
	}
	addVectorSeeds(f, false, func(c, sig []byte) { f.Add(c, sig) })
	f.Fuzz(func(t *testing.T, data, sig []byte) {
		b, perr := ballot.Parse(data)
		pub := pubs[keyIDOf("owner-0001")]
		if perr == nil && pubs[b.KeyID] != nil {
			pub = pubs[b.KeyID]
		}
		got, err := ballot.Verify(data, sig, pub)
		if err != nil {
			if !errors.Is(err, ballot.ErrMalformed) && !errors.Is(err, ballot.ErrBadSignature) && !errors.Is(err, ballot.ErrWrongKey) {
				t.Fatalf("Verify() = %v, want one of the documented errors", err)
			}
			return
		}
		if perr != nil || !ed25519.Verify(pub, data, sig) || got.KeyID != ballot.KeyID(pub) {
			t.Fatalf("Verify(%q, %x) accepted a ballot that is not canonical or not signed by its key", data, sig)
		}
	})
}

// FuzzParseReceipt checks ParseReceipt as FuzzParse checks Parse.
func FuzzParseReceipt(f *testing.F) {
	addVectorSeeds(f, true, func(c, _ []byte) { f.Add(c) })
	f.Add([]byte("ownervote-receipt/1\nballot_id=" + ballot.ID(nil) + "\nassembly=a\nseq=18446744073709551615\nstatus=ACCEPTED\nreceived=9999-12-31T23:59:59.999Z\nserver_key=00000000000000000000000000000000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ballot.ParseReceipt(data)
		if err != nil {
			if !errors.Is(err, ballot.ErrMalformed) {
				t.Fatalf("ParseReceipt() = %v, want ErrMalformed", err)
			}
			return
		}
		c, err := r.Canonical()
		if err != nil {
			t.Fatalf("ParseReceipt(%q) accepted a receipt that Canonical refuses: %v", data, err)
		}
		if !bytes.Equal(c, data) {
			t.Fatalf("Canonical(ParseReceipt(%q)) = %q", data, c)
		}
	})
}
