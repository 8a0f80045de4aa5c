package ballot_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"testing"

	"filippo.io/edwards25519"

	"github.com/ownervote/ownervote/ballot"
)

// smallOrder are the canonical encodings of the eight points of order
// dividing 8, and two non-canonical ones of the identity (y = p+1, and
// x = 0 with the sign bit set), which crypto/ed25519 also decodes.
var smallOrder = []string{
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0100000000000000000000000000000000000000000000000000000000000080",
}

func torsion(t *testing.T) []*edwards25519.Point {
	t.Helper()
	var ps []*edwards25519.Point
	for _, h := range smallOrder {
		b, _ := hex.DecodeString(h)
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			t.Fatalf("small-order encoding %s does not decode: %v", h, err)
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%s: 8 times it is not the identity", h)
		}
		ps = append(ps, p)
	}
	return ps
}

// sign makes a signature as RFC 8032 does, but for any public key bytes
// pubBytes (which may be a's point plus a small-order one, or not its point
// at all) and with the nonce point rPlus added to R: the inputs a careless
// or hostile signer can make, which ed25519.Verify accepts or refuses by
// the cofactorless equation.
func sign(a *edwards25519.Scalar, pubBytes []byte, nonce [64]byte, rPlus *edwards25519.Point, msg []byte) []byte {
	r, _ := edwards25519.NewScalar().SetUniformBytes(nonce[:])
	R := new(edwards25519.Point).ScalarBaseMult(r)
	if rPlus != nil {
		R.Add(R, rPlus)
	}
	h := sha512.New()
	h.Write(R.Bytes())
	h.Write(pubBytes)
	h.Write(msg)
	k, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	S := edwards25519.NewScalar().MultiplyAdd(k, a, r)
	return append(R.Bytes(), S.Bytes()...)
}

// same checks that the prepared key answers as crypto/ed25519 does, and
// counts the answers.
func same(t *testing.T, pub ed25519.PublicKey, msg, sig []byte, accepted, refused *int, what string) {
	t.Helper()
	want := ed25519.Verify(pub, msg, sig)
	k, err := ballot.PrepareKey(pub)
	if err != nil {
		if want {
			t.Fatalf("%s: PrepareKey(%x) failed (%v) but ed25519.Verify accepts", what, pub, err)
		}
		*refused++
		return
	}
	if got := k.Verify(msg, sig); got != want {
		t.Fatalf("%s: key %x, signature %x: prepared key says %v, ed25519.Verify %v", what, pub, sig, got, want)
	}
	if want {
		*accepted++
	} else {
		*refused++
	}
}

// TestPreparedKeyMatchesStdlib: a prepared key accepts exactly what
// ed25519.Verify accepts — honest signatures, tampered ones, non-canonical
// S, the high bits of S set, keys and nonce points with small-order
// components (accepted by the cofactorless equation for some messages
// only), small-order and non-canonically encoded keys — and each kind of
// case includes both answers, so that the comparison decides something.
func TestPreparedKeyMatchesStdlib(t *testing.T) {
	tors := torsion(t)
	L, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	seed := sha256.Sum256([]byte("ownervote prepared key"))
	next := func() [32]byte { seed = sha256.Sum256(seed[:]); return seed }
	type count struct{ accepted, refused int }
	counts := map[string]*count{}
	check := func(kind string, pub ed25519.PublicKey, msg, sig []byte) {
		c := counts[kind]
		if c == nil {
			c = &count{}
			counts[kind] = c
		}
		same(t, pub, msg, sig, &c.accepted, &c.refused, kind)
	}
	for i := range 60 {
		s := next()
		priv := ed25519.NewKeyFromSeed(s[:])
		pub := priv.Public().(ed25519.PublicKey)
		h := sha512.Sum512(s[:])
		a, _ := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
		A, _ := new(edwards25519.Point).SetBytes(pub)
		msg := bytes.Repeat(s[:], 25)[:13*i]

		sig := ed25519.Sign(priv, msg)
		check("honest", pub, msg, sig)
		for _, at := range []int{0, 31, 32, 63} {
			bad := bytes.Clone(sig)
			bad[at] ^= 1 << (i % 5)
			check("tampered", pub, msg, bad)
		}
		check("tampered", pub, append(bytes.Clone(msg), 'x'), sig)

		// S + L: the same scalar, not canonical (refused), where it fits
		// under the high bits.
		var sPlusL [32]byte
		carry := 0
		for j := range 32 {
			v := int(sig[32+j]) + int(L[j]) + carry
			sPlusL[j], carry = byte(v), v>>8
		}
		check("non-canonical S", pub, msg, append(bytes.Clone(sig[:32]), sPlusL[:]...))
		high := bytes.Clone(sig)
		high[63] |= 0x20
		check("non-canonical S", pub, msg, high)

		// The key's point plus a small-order point, with the real scalar:
		// the cofactorless equation holds when k·T is the identity.
		for j, T := range tors {
			mixed := new(edwards25519.Point).Add(A, T).Bytes()
			var nonce [64]byte
			copy(nonce[:], s[:])
			nonce[40] = byte(j)
			check("mixed-order key", mixed, msg, sign(a, mixed, nonce, nil, msg))
			check("mixed-order R", pub, msg, sign(a, pub, nonce, T, msg))
		}
	}
	// Small-order keys: with A of order 8, [S]B − [k]A is R exactly when
	// k·A is the identity, whatever the "private key".
	for i, h := range smallOrder {
		pub, _ := hex.DecodeString(h)
		for m := range 24 {
			msg := []byte{byte(i), byte(m)}
			s := next()
			S, _ := edwards25519.NewScalar().SetCanonicalBytes(append(s[:31], 0))
			R := new(edwards25519.Point).ScalarBaseMult(S)
			check("small-order key", pub, msg, append(R.Bytes(), S.Bytes()...))
		}
	}
	// Bytes that are no point: PrepareKey fails, and ed25519.Verify
	// refuses everything.
	notPoint, _ := hex.DecodeString("0200000000000000000000000000000000000000000000000000000000000000")
	if _, err := new(edwards25519.Point).SetBytes(notPoint); err == nil {
		t.Fatal("test setup: 02 00… decodes")
	}
	if _, err := ballot.PrepareKey(notPoint); !errors.Is(err, ballot.ErrWrongKey) {
		t.Fatalf("PrepareKey of no point: %v, want ErrWrongKey", err)
	}
	if _, err := ballot.PrepareKey(notPoint[:31]); !errors.Is(err, ballot.ErrWrongKey) {
		t.Fatalf("PrepareKey of 31 bytes: %v, want ErrWrongKey", err)
	}

	for _, kind := range []string{"honest", "tampered", "non-canonical S", "mixed-order key", "mixed-order R", "small-order key"} {
		c := counts[kind]
		t.Logf("%s: %d accepted, %d refused", kind, c.accepted, c.refused)
		switch kind {
		case "honest":
			if c.refused != 0 || c.accepted == 0 {
				t.Errorf("honest signatures: %d accepted, %d refused", c.accepted, c.refused)
			}
		case "tampered", "non-canonical S":
			if c.accepted != 0 || c.refused == 0 {
				t.Errorf("%s: %d accepted, %d refused", kind, c.accepted, c.refused)
			}
		default:
			if c.accepted == 0 || c.refused == 0 {
				t.Errorf("%s: %d accepted, %d refused: the case decides nothing", kind, c.accepted, c.refused)
			}
		}
	}
}

// TestPreparedKeyVerifyParsed: a prepared key checks a ballot's key id and
// signature with VerifyParsed's errors.
func TestPreparedKeyVerifyParsed(t *testing.T) {
	canonical, sig, pub := signed(t, "platform")
	b, err := ballot.Parse(canonical)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ballot.PrepareKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.PublicKey(), pub) {
		t.Fatalf("PublicKey() = %x, want %x", k.PublicKey(), pub)
	}
	if err := k.VerifyParsed(b, canonical, sig); err != nil {
		t.Fatalf("honest ballot: %v", err)
	}
	bad := bytes.Clone(sig)
	bad[5] ^= 1
	if err := k.VerifyParsed(b, canonical, bad); !errors.Is(err, ballot.ErrBadSignature) {
		t.Fatalf("tampered signature: %v, want ErrBadSignature", err)
	}
	if err := k.VerifyParsed(b, canonical, sig[:63]); !errors.Is(err, ballot.ErrBadSignature) {
		t.Fatalf("short signature: %v, want ErrBadSignature", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	ko, _ := ballot.PrepareKey(other)
	if err := ko.VerifyParsed(b, canonical, sig); !errors.Is(err, ballot.ErrWrongKey) {
		t.Fatalf("another key: %v, want ErrWrongKey", err)
	}
}

// FuzzPreparedKey: for any key, message and signature, a prepared key
// answers as ed25519.Verify does (and cannot be prepared only where
// ed25519.Verify refuses everything).
func FuzzPreparedKey(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	f.Add([]byte(pub), []byte("m"), ed25519.Sign(priv, []byte("m")))
	for _, h := range smallOrder {
		b, _ := hex.DecodeString(h)
		f.Add(b, []byte{}, make([]byte, 64))
	}
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			return
		}
		want := ed25519.Verify(pub, msg, sig)
		k, err := ballot.PrepareKey(pub)
		if err != nil {
			if want {
				t.Fatalf("PrepareKey failed (%v) where ed25519.Verify accepts", err)
			}
			return
		}
		if got := k.Verify(msg, sig); got != want {
			t.Fatalf("prepared key says %v, ed25519.Verify %v", got, want)
		}
	})
}

// BenchmarkVerify compares a prepared key's check with ed25519.Verify on a
// ballot-sized message.
func BenchmarkVerify(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	msg := bytes.Repeat([]byte("b"), 600)
	sig := ed25519.Sign(priv, msg)
	k, _ := ballot.PrepareKey(pub)
	b.Run("prepared", func(b *testing.B) {
		for b.Loop() {
			k.Verify(msg, sig)
		}
	})
	b.Run("crypto-ed25519", func(b *testing.B) {
		for b.Loop() {
			ed25519.Verify(pub, msg, sig)
		}
	})
	b.Run("prepare", func(b *testing.B) {
		for b.Loop() {
			ballot.PrepareKey(pub)
		}
	})
}
