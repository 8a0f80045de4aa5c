package ballot_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/ownervote/ownervote/ballot"
)

// TestSignBytesMatchesStdlib: SignBytes returns crypto/ed25519.Sign's bytes
// for keys and messages of every size a receipt, a checkpoint or a ballot
// has, and beyond.
func TestSignBytesMatchesStdlib(t *testing.T) {
	seed := sha256.Sum256([]byte("ownervote sign bytes"))
	for i := range 300 {
		seed = sha256.Sum256(seed[:])
		priv := ed25519.NewKeyFromSeed(seed[:])
		msg := bytes.Repeat(seed[:], 70)[:7*i] // 0 to 2093 bytes
		got, want := ballot.SignBytes(priv, msg), ed25519.Sign(priv, msg)
		if !bytes.Equal(got, want) {
			t.Fatalf("key %d, %d-byte message: SignBytes gave %x, crypto/ed25519 %x", i, len(msg), got, want)
		}
		if !ed25519.Verify(priv.Public().(ed25519.PublicKey), msg, got) {
			t.Fatalf("key %d: crypto/ed25519 refuses SignBytes' signature", i)
		}
	}
}

func TestSignBytesRefusesBadKeyLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("SignBytes signed with a 32-byte private key")
		}
	}()
	ballot.SignBytes(make(ed25519.PrivateKey, 32), []byte("x"))
}

// FuzzSignBytes: for any seed and message SignBytes and crypto/ed25519.Sign
// give the same signature.
func FuzzSignBytes(f *testing.F) {
	f.Add(make([]byte, 32), []byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 32), []byte("ownervote-receipt/1\n"))
	f.Fuzz(func(t *testing.T, seed, msg []byte) {
		if len(seed) != ed25519.SeedSize {
			return
		}
		priv := ed25519.NewKeyFromSeed(seed)
		if got, want := ballot.SignBytes(priv, msg), ed25519.Sign(priv, msg); !bytes.Equal(got, want) {
			t.Fatalf("SignBytes gave %x, crypto/ed25519 %x", got, want)
		}
	})
}
