package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"

	"filippo.io/edwards25519"
	"github.com/oasisprotocol/curve25519-voi/curve"
	voiscalar "github.com/oasisprotocol/curve25519-voi/curve/scalar"
)

// A PreparedKey is an ed25519 public key made ready to check many
// signatures: it keeps a table of multiples of the key's negated point
// (about 30 KiB, built in about 60 µs), so that a check costs about 40% of
// ed25519.Verify's. It is meant for the keys that sign most ballots — the
// city platform's, which signs every online ballot, and the staff's — not
// for an owner's key, which signs one ballot per assembly.
//
// Verify accepts exactly the signatures crypto/ed25519.Verify accepts: it
// makes the same checks in the same order (Go 1.26's
// crypto/internal/fips140/ed25519.verifyWithDom), decodes the key and S with
// the same code (filippo.io/edwards25519, which crypto/ed25519's copy comes
// from), and compares the same point's encoding with R. Only the
// computation of that point, [S]B + [k](-A), is another algorithm: two
// fixed-base multiplications by tables (curve25519-voi) instead of one
// double-base multiplication. Both are exact for every point of the curve,
// small-order components included, so the point, and with it the answer,
// is the same (TestPreparedKeyMatchesStdlib, FuzzPreparedKey).
type PreparedKey struct {
	pub  [ed25519.PublicKeySize]byte
	negA *curve.EdwardsBasepointTable
}

// PrepareKey builds pub's table. It fails where crypto/ed25519.Verify
// refuses every signature: pub is not 32 bytes, or not the encoding of a
// curve point.
func PrepareKey(pub ed25519.PublicKey) (*PreparedKey, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("ballot: %w: public key has %d bytes, want %d", ErrWrongKey, len(pub), ed25519.PublicKeySize)
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, fmt.Errorf("ballot: %w: public key %s is not a point of the curve", ErrWrongKey, KeyID(pub))
	}
	// -A's canonical encoding, which both libraries decode to one point.
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(new(edwards25519.Point).Negate(A).Bytes()); err != nil {
		return nil, fmt.Errorf("ballot: preparing key %s: %w", KeyID(pub), err)
	}
	var negA curve.EdwardsPoint
	if _, err := negA.SetCompressedY(&c); err != nil {
		return nil, fmt.Errorf("ballot: preparing key %s: %w", KeyID(pub), err)
	}
	k := &PreparedKey{negA: curve.NewEdwardsBasepointTable(&negA)}
	copy(k.pub[:], pub)
	return k, nil
}

// PublicKey returns a copy of the key k was prepared from.
func (k *PreparedKey) PublicKey() ed25519.PublicKey {
	return bytes.Clone(k.pub[:])
}

// Verify reports whether sig is the key's signature of msg, with the answer
// of ed25519.Verify(k.PublicKey(), msg, sig).
func (k *PreparedKey) Verify(msg, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize || sig[63]&224 != 0 {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(k.pub[:])
	h.Write(msg)
	var digest [sha512.Size]byte
	var kk voiscalar.Scalar
	if _, err := kk.SetBytesModOrderWide(h.Sum(digest[:0])); err != nil {
		return false // 64 bytes: cannot happen
	}
	if _, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	var S voiscalar.Scalar
	if _, err := S.SetCanonicalBytes(sig[32:]); err != nil {
		return false // accepted just above: cannot happen
	}
	var R, kNegA curve.EdwardsPoint
	R.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, &S)
	kNegA.MulBasepoint(k.negA, &kk)
	R.Add(&R, &kNegA)
	var enc curve.CompressedEdwardsY
	enc.SetEdwardsPoint(&R)
	return subtle.ConstantTimeCompare(enc[:], sig[:32]) == 1
}
