// Package ballot is the canonical signed-ballot format of ownervote and the
// server's signed receipts. docs/ballot-format.md specifies both byte for
// byte, and testdata/vectors.json holds test vectors made with fixed
// test-only keys.
//
// A Ballot is one voter's vote on the motions of one assembly, from one of
// the channels (ONLINE, PLATFORM, PHONE, VISIT, PAPER, PROXY). Its canonical
// encoding, returned by Canonical, is UTF-8 text: the domain separator line
// "ownervote-ballot/1", then name=value lines in a fixed order, each ending
// in "\n". That encoding is what is signed, with ed25519 (Sign, Verify), and
// its SHA-256 is the ballot id (ID). Parse is the strict inverse of
// Canonical: it accepts exactly the bytes Canonical produces, so one ballot
// has one encoding and one id.
//
// A Receipt is the server's signed acknowledgement of an accepted ballot,
// encoded the same way under the domain separator "ownervote-receipt/1".
//
// Ballot and Receipt also have a JSON form (MarshalJSON, UnmarshalJSON)
// with the canonical names as keys, used by the test vectors and by
// `ownervote ballot sign|verify`; it is never what is signed.
//
// The package is pure: no I/O, no clock, no randomness. Callers supply the
// nonce and the time. Errors wrap the sentinels ErrInvalid (a value breaks a
// rule; *FieldError names the field), ErrMalformed (bytes are not canonical;
// *ParseError names the line), ErrWrongKey and ErrBadSignature.
package ballot
