package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// sigItem is one signature for batchVerify.
type sigItem struct {
	pub, msg, sig []byte
}

// batchSize is how many signatures batchVerify checks at once: past a few
// dozen the saving per signature hardly grows, and a failed batch costs
// this many single verifications to find the bad one.
const batchSize = 64

// batchVerify reports whether every signature in items is valid, checking
// them together: RFC 8032's cofactored group equation
//
//	[8]( Σ z_i·R_i + Σ (z_i·k_i)·A_i − (Σ z_i·S_i)·B ) = 0
//
// with secret random 128-bit z_i, in one multi-scalar multiplication — about
// four times cheaper per signature than checking them one by one. Encodings
// are decoded as RFC 8032 §5.1.3 says (non-canonical y or "negative zero"
// x refused) and S must be canonical. A batch that fails says nothing of
// which signature is bad: badSignatures then checks each alone.
//
// A signature that ed25519.Verify accepts always passes here, or fails the
// batch over to ed25519.Verify (a non-canonical public key encoding, which
// ed25519.Verify takes). The reverse differs only where R or the public key
// carries a small-order component: only the key's holder can make such a
// signature, and RFC 8032's equation accepts it.
func batchVerify(items []sigItem) bool {
	if len(items) == 0 {
		return true
	}
	scalars := make([]*edwards25519.Scalar, 0, 2*len(items))
	points := make([]*edwards25519.Point, 0, 2*len(items))
	keys := map[string]int{} // public key → index of its summed scalar
	sSum := edwards25519.NewScalar()
	random := make([]byte, 16*len(items))
	if _, err := rand.Read(random); err != nil {
		return false
	}
	var zb [64]byte
	h := sha512.New()
	var digest [64]byte
	for i, it := range items {
		if len(it.pub) != ed25519.PublicKeySize || len(it.sig) != ed25519.SignatureSize {
			return false
		}
		R, ok := decodePoint(it.sig[:32])
		if !ok {
			return false
		}
		S, err := edwards25519.NewScalar().SetCanonicalBytes(it.sig[32:])
		if err != nil {
			return false
		}
		h.Reset()
		h.Write(it.sig[:32])
		h.Write(it.pub)
		h.Write(it.msg)
		k, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(digest[:0]))
		if err != nil {
			return false
		}
		copy(zb[:16], random[16*i:])
		z, err := edwards25519.NewScalar().SetUniformBytes(zb[:])
		if err != nil {
			return false
		}
		sSum.MultiplyAdd(z, S, sSum)
		scalars = append(scalars, z)
		points = append(points, R)
		j, seen := keys[string(it.pub)]
		if !seen {
			A, ok := decodePoint(it.pub)
			if !ok {
				return false
			}
			j = len(scalars)
			keys[string(it.pub)] = j
			scalars = append(scalars, edwards25519.NewScalar())
			points = append(points, A)
		}
		scalars[j].MultiplyAdd(z, k, scalars[j])
	}
	acc := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	acc.Subtract(acc, new(edwards25519.Point).ScalarBaseMult(sSum))
	acc.MultByCofactor(acc)
	return acc.Equal(edwards25519.NewIdentityPoint()) == 1
}

// badSignatures says which of items are bad signatures. A signature is
// good when the cofactored equation (batchVerify) or ed25519.Verify
// accepts it — the same rule alone or in a batch, so that its fate does not
// depend on the batch it falls in. Items are checked together, and one by
// one only when the batch fails.
func badSignatures(items []sigItem) []bool {
	bad := make([]bool, len(items))
	if batchVerify(items) {
		return bad
	}
	for i, it := range items {
		ok := len(it.pub) == ed25519.PublicKeySize && ed25519.Verify(it.pub, it.msg, it.sig)
		bad[i] = !ok && !batchVerify(items[i:i+1])
	}
	return bad
}

// decodePoint decodes a point as RFC 8032 §5.1.3 does: it refuses what
// edwards25519's more lenient SetBytes accepts, a y not below p and x = 0
// with the sign bit set.
func decodePoint(b []byte) (*edwards25519.Point, bool) {
	// y < p = 2^255 − 19, read little-endian with the sign bit cleared.
	var y [32]byte
	copy(y[:], b)
	sign := y[31] >> 7
	y[31] &= 0x7f
	if !below(y[:], fieldP[:]) {
		return nil, false
	}
	// x = 0 only for y = 1 and y = p − 1; then the sign bit must be 0.
	if sign == 1 && (y == fieldOne || y == fieldMinusOne) {
		return nil, false
	}
	p, err := new(edwards25519.Point).SetBytes(b)
	return p, err == nil
}

var (
	fieldP        = [32]byte{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	fieldOne      = [32]byte{1}
	fieldMinusOne = [32]byte{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
)

// below reports whether little-endian a < b (equal lengths).
func below(a, b []byte) bool {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
