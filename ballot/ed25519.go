package ballot

import (
	"crypto/ed25519"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// SignBytes returns priv's ed25519 signature of msg. An RFC 8032 signature
// is a function of the key and the message alone, so these are the very
// bytes crypto/ed25519.Sign returns (TestSignBytesMatchesStdlib,
// FuzzSignBytes); curve25519-voi computes them in about 60% of the time,
// which counts for every ballot the server takes (its receipt, and its
// assembly's checkpoint, signed once per group of ballots). Signatures are
// still verified with crypto/ed25519: the rules of acceptance stay those of
// the reference implementation.
//
// Like crypto/ed25519.Sign it panics if priv is not 64 bytes long.
func SignBytes(priv ed25519.PrivateKey, msg []byte) []byte {
	if len(priv) != ed25519.PrivateKeySize {
		panic("ballot: bad ed25519 private key length")
	}
	return voi.Sign(voi.PrivateKey(priv), msg)
}
