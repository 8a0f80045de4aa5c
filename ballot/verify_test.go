package ballot_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownervote/ownervote/ballot"
)

func signed(t *testing.T, name string) (canonical, sig []byte, pub ed25519.PublicKey) {
	t.Helper()
	s := sampleNamed(name)
	canonical, sig, err := ballot.Sign(s.ballot, testKey(s.key))
	if err != nil {
		t.Fatalf("Sign(%s) = %v", name, err)
	}
	return canonical, sig, pubOf(testKey(s.key))
}

func TestSignVerify(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			canonical, sig, err := ballot.Sign(s.ballot, testKey(s.key))
			if err != nil {
				t.Fatalf("Sign() = %v", err)
			}
			if want, _ := s.ballot.Canonical(); !bytes.Equal(canonical, want) {
				t.Errorf("Sign() canonical = %q, want %q", canonical, want)
			}
			if len(sig) != ed25519.SignatureSize {
				t.Errorf("Sign() signature has %d bytes, want %d", len(sig), ed25519.SignatureSize)
			}
			got, err := ballot.Verify(canonical, sig, pubOf(testKey(s.key)))
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			if diff := cmp.Diff(normalized(s.ballot), got); diff != "" {
				t.Errorf("Verify() ballot differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSignRejects(t *testing.T) {
	s := sampleNamed("online")
	other := testKey("owner-0007")
	if _, _, err := ballot.Sign(s.ballot, other); !errors.Is(err, ballot.ErrWrongKey) {
		t.Errorf("Sign() with a key the ballot does not name = %v, want ErrWrongKey", err)
	}
	if _, _, err := ballot.Sign(s.ballot, testKey(s.key)[:32]); !errors.Is(err, ballot.ErrWrongKey) {
		t.Errorf("Sign() with a 32-byte private key = %v, want ErrWrongKey", err)
	}
	if _, _, err := ballot.Sign(s.ballot, nil); !errors.Is(err, ballot.ErrWrongKey) {
		t.Errorf("Sign() with no key = %v, want ErrWrongKey", err)
	}
	s.ballot.Nonce = ""
	if _, _, err := ballot.Sign(s.ballot, testKey(s.key)); !errors.Is(err, ballot.ErrInvalid) {
		t.Errorf("Sign() of an invalid ballot = %v, want ErrInvalid", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	canonical, sig, pub := signed(t, "phone")
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	nonceAt := bytes.Index(canonical, []byte("nonce=")) + len("nonce=")

	// A ballot that names the owner's key, signed by another key.
	impostor := sampleNamed("online")
	forged := impostor.ballot
	forgedCanonical, _ := forged.Canonical()
	forgedSig := ed25519.Sign(testKey("owner-0007"), forgedCanonical)

	// A ballot that names another key and is signed by it.
	otherCanonical, otherSig, _ := signed(t, "committee")

	tests := []struct {
		name      string
		canonical []byte
		sig       []byte
		pub       ed25519.PublicKey
		want      error
	}{
		{"nonce changed", flip(canonical, nonceAt), sig, pub, ballot.ErrBadSignature},
		{"choice changed", bytes.Replace(canonical, []byte("=AGREE"), []byte("=OPPOSE"), 1), sig, pub, ballot.ErrBadSignature},
		{"note changed", bytes.Replace(canonical, []byte("同意"), []byte("反对"), 1), sig, pub, ballot.ErrBadSignature},
		{"signature bit flipped", canonical, flip(sig, 10), pub, ballot.ErrBadSignature},
		{"signature of another ballot", canonical, otherSig, pub, ballot.ErrBadSignature},
		{"signed by another key than it names", forgedCanonical, forgedSig, pubOf(testKey(impostor.key)), ballot.ErrBadSignature},
		{"names another key than the one given", otherCanonical, otherSig, pub, ballot.ErrWrongKey},
		{"truncated signature", canonical, sig[:63], pub, ballot.ErrBadSignature},
		{"empty signature", canonical, nil, pub, ballot.ErrBadSignature},
		{"signature with a byte more", canonical, append(bytes.Clone(sig), 0), pub, ballot.ErrBadSignature},
		{"public key too short", canonical, sig, pub[:31], ballot.ErrWrongKey},
		{"no public key", canonical, sig, nil, ballot.ErrWrongKey},
		{"not canonical", append(bytes.Clone(canonical), '\n'), sig, pub, ballot.ErrMalformed},
		{"truncated ballot", canonical[:len(canonical)-1], sig, pub, ballot.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := ballot.Verify(tt.canonical, tt.sig, tt.pub); !errors.Is(err, tt.want) {
				t.Errorf("Verify() = %+v, %v, want %v", b, err, tt.want)
			}
		})
	}
}

// TestVerifyEveryByteChanged changes each byte of a signed ballot in turn:
// Verify must refuse every one, with ErrBadSignature when the change still
// parses and names the same key.
func TestVerifyEveryByteChanged(t *testing.T) {
	for _, name := range []string{"online", "phone", "paper"} {
		canonical, sig, pub := signed(t, name)
		for i := range canonical {
			for _, x := range []byte{0x01, 0x20, 0x80} {
				c := bytes.Clone(canonical)
				c[i] ^= x
				b, err := ballot.Verify(c, sig, pub)
				switch {
				case err == nil:
					t.Fatalf("%s: Verify() with byte %d changed to %q = %+v, nil, want an error", name, i, c[i], b)
				case errors.Is(err, ballot.ErrBadSignature), errors.Is(err, ballot.ErrMalformed), errors.Is(err, ballot.ErrWrongKey):
				default:
					t.Fatalf("%s: Verify() with byte %d changed = %v, want ErrBadSignature, ErrMalformed or ErrWrongKey", name, i, err)
				}
				if _, perr := ballot.Parse(c); perr == nil && !errors.Is(err, ballot.ErrBadSignature) && !errors.Is(err, ballot.ErrWrongKey) {
					t.Errorf("%s: Verify() of a parsable change at byte %d = %v, want ErrBadSignature or ErrWrongKey", name, i, err)
				}
			}
		}
	}
}

func TestIDAndKeyID(t *testing.T) {
	// The ballot id of no bytes is the SHA-256 of the empty string.
	if got, want := ballot.ID(nil), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("ID(nil) = %s, want %s", got, want)
	}
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	if got := ballot.KeyID(pub); len(got) != 32 || got != ballot.ID(pub)[:32] {
		t.Errorf("KeyID(pub) = %s, want the first 32 hex digits of %s", got, ballot.ID(pub))
	}
}
