package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"filippo.io/edwards25519"
)

func testKeys(n int) []ed25519.PrivateKey {
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		keys[i] = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
	}
	return keys
}

func signedItems(n int, keys []ed25519.PrivateKey) []sigItem {
	items := make([]sigItem, n)
	for i := range items {
		k := keys[i%len(keys)]
		msg := fmt.Appendf(nil, "ownervote-ballot/1\nvoter=o%d\n", i)
		items[i] = sigItem{pub: k.Public().(ed25519.PublicKey), msg: msg, sig: ed25519.Sign(k, msg)}
	}
	return items
}

// TestBatchVerify checks that a batch of valid signatures under several
// keys passes and that any one changed byte — of a signature's R or S, the
// message or the key — fails the whole batch.
func TestBatchVerify(t *testing.T) {
	keys := testKeys(3)
	items := signedItems(100, keys)
	if !batchVerify(items) {
		t.Fatal("a batch of valid signatures failed")
	}
	if !batchVerify(nil) {
		t.Error("an empty batch failed")
	}
	mutations := map[string]func(it *sigItem){
		"R":       func(it *sigItem) { it.sig[3] ^= 1 },
		"S":       func(it *sigItem) { it.sig[40] ^= 1 },
		"message": func(it *sigItem) { it.msg[len(it.msg)-2] ^= 1 },
		"key":     func(it *sigItem) { it.pub = keys[1].Public().(ed25519.PublicKey) }, // signed with keys[0]
		"short":   func(it *sigItem) { it.sig = it.sig[:63] },
	}
	for name, mutate := range mutations {
		for _, at := range []int{0, 57, 99} {
			bad := signedItems(100, keys)
			mutate(&bad[at])
			if batchVerify(bad) {
				t.Errorf("changed %s of signature %d: the batch passed", name, at)
			}
		}
	}
}

// TestBatchVerifyWeights changes two signatures under two keys so that
// their errors cancel (S₀ + δ and S₁ − δ): only distinct random weights
// catch that; equal or unit weights would pass the batch.
func TestBatchVerifyWeights(t *testing.T) {
	items := signedItems(2, testKeys(2))
	d, _ := edwards25519.NewScalar().SetCanonicalBytes(append([]byte{7}, make([]byte, 31)...))
	s0, _ := edwards25519.NewScalar().SetCanonicalBytes(items[0].sig[32:])
	s1, _ := edwards25519.NewScalar().SetCanonicalBytes(items[1].sig[32:])
	copy(items[0].sig[32:], s0.Add(s0, d).Bytes())
	copy(items[1].sig[32:], s1.Subtract(s1, d).Bytes())
	for range 20 {
		if batchVerify(items) {
			t.Fatal("two signatures whose errors cancel passed the batch")
		}
	}
	if got := badSignatures(items); !got[0] || !got[1] {
		t.Errorf("badSignatures = %v, want both bad", got)
	}
}

// TestBadSignaturesIndependentOfBatch puts a good signature, a torsioned
// one (good by RFC 8032's equation, see TestBatchVerifyTorsion) and two bad
// ones in one batch: exactly the bad ones are named, whatever else shares
// their batch.
func TestBadSignaturesIndependentOfBatch(t *testing.T) {
	keys := testKeys(3)
	items := signedItems(6, keys)
	items = append(items, torsioned(t))
	items[1].sig[40] ^= 1
	items[4].msg = append(items[4].msg, '!')
	want := []bool{false, true, false, false, true, false, false}
	if got := badSignatures(items); !slices.Equal(got, want) {
		t.Errorf("badSignatures = %v, want %v", got, want)
	}
	if got := badSignatures(items[5:]); slices.Contains(got, true) {
		t.Errorf("a good and a torsioned signature alone: %v, want none bad", got)
	}
}

// torsioned is a signature whose R carries a small-order component.
func torsioned(t *testing.T) sigItem {
	t.Helper()
	var seed [64]byte
	seed[0], seed[1] = 9, 9
	a, _ := edwards25519.NewScalar().SetUniformBytes(seed[:])
	seed[0] = 10
	r, _ := edwards25519.NewScalar().SetUniformBytes(seed[:])
	pub := new(edwards25519.Point).ScalarBaseMult(a).Bytes()
	small, _ := hex.DecodeString("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
	T, err := new(edwards25519.Point).SetBytes(small)
	if err != nil {
		t.Fatal(err)
	}
	if new(edwards25519.Point).MultByCofactor(T).Equal(edwards25519.NewIdentityPoint()) != 1 || T.Equal(edwards25519.NewIdentityPoint()) == 1 {
		t.Fatal("T is not a non-trivial small-order point")
	}
	R := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(r), T)
	msg := []byte("ownervote-ballot/1\n")
	return sigItem{pub: pub, msg: msg, sig: signWith(a, r, R.Bytes(), pub, msg)}
}

// signWith signs msg with secret scalar a and nonce point R given as its
// encoding and scalar r (R = rB plus whatever the caller added), the way
// an attacker holding the key could.
func signWith(a, r *edwards25519.Scalar, rEnc, pub, msg []byte) []byte {
	h := sha512.New()
	h.Write(rEnc)
	h.Write(pub)
	h.Write(msg)
	k, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	s := edwards25519.NewScalar().MultiplyAdd(k, a, r)
	return append(append([]byte(nil), rEnc...), s.Bytes()...)
}

// TestBatchVerifyEncodings checks the RFC 8032 decoding rules that
// edwards25519's SetBytes does not apply by itself: a signature whose R is
// a non-canonical encoding (y ≥ p, or x = 0 with the sign bit set) is
// refused, as ed25519.Verify refuses it, and so is a non-canonical S.
func TestBatchVerifyEncodings(t *testing.T) {
	var seed [64]byte
	seed[0] = 42
	a, _ := edwards25519.NewScalar().SetUniformBytes(seed[:])
	pub := new(edwards25519.Point).ScalarBaseMult(a).Bytes()
	msg := []byte("ownervote-ballot/1\n")
	zero := edwards25519.NewScalar()
	identity := edwards25519.NewIdentityPoint().Bytes()
	// With r = 0, R is the identity; its canonical encoding verifies.
	good := signWith(a, zero, identity, pub, msg)
	if !ed25519.Verify(pub, msg, good) || !batchVerify([]sigItem{{pub, msg, good}}) {
		t.Fatal("the identity-R signature should verify both ways")
	}
	nonCanonicalY, _ := hex.DecodeString("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f") // y = p + 1
	negativeZero := append(bytes.Clone(identity[:31]), 0x80)                                                 // x = 0, sign 1
	for name, rEnc := range map[string][]byte{"y = p + 1": nonCanonicalY, "negative zero": negativeZero} {
		sig := signWith(a, zero, rEnc, pub, msg)
		if ed25519.Verify(pub, msg, sig) {
			t.Fatalf("%s: ed25519.Verify accepts it; the test is wrong", name)
		}
		if batchVerify([]sigItem{{pub, msg, sig}}) {
			t.Errorf("R encoded as %s: the batch passed", name)
		}
	}
	// A public key encoded non-canonically (the identity as y = p + 1),
	// which ed25519.Verify decodes: the batch fails, so that the caller's
	// one-by-one ed25519.Verify decides, as at intake.
	var rs [64]byte
	rs[0] = 5
	r, _ := edwards25519.NewScalar().SetUniformBytes(rs[:])
	rEnc := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	odd := append(bytes.Clone(rEnc), r.Bytes()...) // S = r: valid for the identity key
	if !ed25519.Verify(nonCanonicalY, msg, odd) {
		t.Fatal("ed25519.Verify refuses the non-canonical identity key; the test is wrong")
	}
	if batchVerify([]sigItem{{nonCanonicalY, msg, odd}}) {
		t.Error("a non-canonical public key passed the batch instead of falling over to ed25519.Verify")
	}
	// S + L encodes the same scalar non-canonically.
	sig := bytes.Clone(good)
	l, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	var carry uint16
	for i := range 32 {
		v := uint16(sig[32+i]) + uint16(l[i]) + carry
		sig[32+i], carry = byte(v), v>>8
	}
	if ed25519.Verify(pub, msg, sig) || batchVerify([]sigItem{{pub, msg, sig}}) {
		t.Error("a non-canonical S passed")
	}
}

// TestBatchVerifyTorsion pins down the one documented difference from
// ed25519.Verify: a signature whose R carries a small-order component,
// which only the key's holder can make, satisfies RFC 8032's cofactored
// equation (batchVerify) but not the cofactorless one (ed25519.Verify).
func TestBatchVerifyTorsion(t *testing.T) {
	it := torsioned(t)
	if ed25519.Verify(it.pub, it.msg, it.sig) {
		t.Error("ed25519.Verify accepts a torsioned R; the documented difference is gone")
	}
	if !batchVerify([]sigItem{it}) {
		t.Error("the cofactored batch equation refuses a torsioned R; the documentation says it accepts it")
	}
}

// FuzzBatchVerify changes one byte of a signature, message or key and
// checks that batchVerify and ed25519.Verify agree on a batch of it and a
// valid signature.
func FuzzBatchVerify(f *testing.F) {
	f.Add([]byte("ownervote-ballot/1\n"), uint8(0), uint16(3), byte(1))
	f.Add([]byte("x"), uint8(1), uint16(0), byte(0x80))
	f.Add([]byte(""), uint8(2), uint16(40), byte(0))
	keys := testKeys(2)
	other := signedItems(1, keys[1:])[0]
	f.Fuzz(func(t *testing.T, msg []byte, part uint8, at uint16, xor byte) {
		pub := keys[0].Public().(ed25519.PublicKey)
		it := sigItem{pub: bytes.Clone(pub), msg: bytes.Clone(msg), sig: ed25519.Sign(keys[0], msg)}
		if target := [][]byte{it.sig, it.msg, it.pub}[int(part)%3]; len(target) > 0 {
			target[int(at)%len(target)] ^= xor
		}
		want := ed25519.Verify(it.pub, it.msg, it.sig)
		if got := batchVerify([]sigItem{it, other}); got != want {
			t.Fatalf("batchVerify = %v, ed25519.Verify = %v (sig %x, pub %x)", got, want, it.sig, it.pub)
		}
	})
}
