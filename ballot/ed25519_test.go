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
		// A key whose public half is not its seed's: both sign with the
		// stored half in the hash, and neither checks it.
		odd := append(ed25519.PrivateKey{}, priv[:ed25519.SeedSize]...)
		odd = append(odd, seed[:]...)
		if got, want := ballot.SignBytes(odd, msg), ed25519.Sign(odd, msg); !bytes.Equal(got, want) {
			t.Fatalf("key %d with a foreign public half: SignBytes gave %x, crypto/ed25519 %x", i, got, want)
		}
	}
}

func TestSignBytesRefusesBadKeyLength(t *testing.T) {
	defer func() {
		if r := recover(); r != "ballot: bad ed25519 private key length" {
			t.Fatalf("SignBytes with a 32-byte private key: panic %v, want its own", r)
		}
	}()
	ballot.SignBytes(make(ed25519.PrivateKey, 32), []byte("x"))
}

// FuzzSignBytes: for any private key and message SignBytes and
// crypto/ed25519.Sign give the same signature. A key of 64 bytes or more is
// taken as it is (its public half need not match its seed, which neither
// implementation checks); a shorter one is hashed into a seed.
func FuzzSignBytes(f *testing.F) {
	f.Add(make([]byte, 32), []byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 64), []byte("ownervote-receipt/1\n"))
	f.Fuzz(func(t *testing.T, key, msg []byte) {
		var priv ed25519.PrivateKey
		if len(key) >= ed25519.PrivateKeySize {
			priv = key[:ed25519.PrivateKeySize]
		} else {
			seed := sha256.Sum256(key)
			priv = ed25519.NewKeyFromSeed(seed[:])
		}
		if got, want := ballot.SignBytes(priv, msg), ed25519.Sign(priv, msg); !bytes.Equal(got, want) {
			t.Fatalf("SignBytes gave %x, crypto/ed25519 %x", got, want)
		}
	})
}

// BenchmarkSign compares SignBytes with crypto/ed25519.Sign on a
// receipt-sized message.
func BenchmarkSign(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	msg := bytes.Repeat([]byte("r"), 250)
	b.Run("SignBytes", func(b *testing.B) {
		for b.Loop() {
			ballot.SignBytes(priv, msg)
		}
	})
	b.Run("crypto-ed25519", func(b *testing.B) {
		for b.Loop() {
			ed25519.Sign(priv, msg)
		}
	})
}
