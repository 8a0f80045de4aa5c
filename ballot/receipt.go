package ballot

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// StatusAccepted is the status of a receipt for a ballot that the intake
// accepted. It is the only status of receipt format 1.
const StatusAccepted = "ACCEPTED"

// receiptHeader is the domain separator, the first line of every receipt.
const receiptHeader = "ownervote-receipt/1"

// maxReceiptSize bounds ParseReceipt's input; a receipt is under 300 bytes.
const maxReceiptSize = 1024

// Receipt is the server's signed acknowledgement that it accepted a ballot.
type Receipt struct {
	BallotID    string    // ID of the canonical ballot (64 lowercase hex)
	Assembly    string    // assembly id, as in the ballot
	Seq         uint64    // the ballot's sequence number in the assembly's intake: 1, 2, ...
	Status      string    // StatusAccepted
	Received    time.Time // server time of acceptance, UTC, whole milliseconds
	ServerKeyID string    // KeyID of the server's receipt key (32 lowercase hex)
}

// Validate checks every rule of the receipt format and returns the first
// broken one as a *FieldError wrapping ErrInvalid.
func (r *Receipt) Validate() error {
	seq := ""
	if r.Seq == 0 {
		seq = "must be at least 1"
	}
	status := ""
	if r.Status != StatusAccepted {
		status = fmt.Sprintf("is %q, want %s", r.Status, StatusAccepted)
	}
	for _, c := range []struct{ field, reason string }{
		{"ballot_id", checkHex(r.BallotID, 64)},
		{"assembly", checkID(r.Assembly)},
		{"seq", seq},
		{"status", status},
		{"received", checkTime(r.Received, time.Millisecond)},
		{"server_key", checkHex(r.ServerKeyID, 32)},
	} {
		if c.reason != "" {
			return &FieldError{Record: "receipt", Field: c.field, Reason: c.reason}
		}
	}
	return nil
}

// Canonical validates r and returns its canonical encoding: the exact bytes
// that the server signs.
func (r *Receipt) Canonical() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r.encode(), nil
}

func (r *Receipt) encode() []byte {
	var w bytes.Buffer
	w.WriteString(receiptHeader + "\n")
	for _, l := range [][2]string{
		{"ballot_id", r.BallotID},
		{"assembly", r.Assembly},
		{"seq", strconv.FormatUint(r.Seq, 10)},
		{"status", r.Status},
		{"received", r.Received.Format(millisLayout)},
		{"server_key", r.ServerKeyID},
	} {
		w.WriteString(l[0] + "=" + l[1] + "\n")
	}
	return w.Bytes()
}

// ParseReceipt parses a canonical receipt, the strict inverse of
// Receipt.Canonical. Errors are *ParseError wrapping ErrMalformed.
func ParseReceipt(canonical []byte) (*Receipt, error) {
	p := newReader("receipt", receiptHeader, canonical, maxReceiptSize)
	r := &Receipt{}
	r.BallotID = p.field("ballot_id", hexOf(64))
	r.Assembly = p.field("assembly", checkID)
	seq := p.field("seq", checkSeq)
	r.Seq, _ = strconv.ParseUint(seq, 10, 64)
	r.Status = p.field("status", func(v string) string {
		if v != StatusAccepted {
			return fmt.Sprintf("is %q, want %s", v, StatusAccepted)
		}
		return ""
	})
	r.Received = p.time("received", millisLayout)
	r.ServerKeyID = p.field("server_key", hexOf(32))
	p.end()
	if p.err != nil {
		return nil, p.err
	}
	if err := r.Validate(); err != nil {
		var fe *FieldError
		errors.As(err, &fe)
		return nil, &ParseError{Record: "receipt", Field: fe.Field, Reason: fe.Reason}
	}
	if !bytes.Equal(r.encode(), canonical) {
		return nil, &ParseError{Record: "receipt", Reason: "not in canonical form"}
	}
	return r, nil
}

// checkSeq checks a decimal sequence number: 1 to 2^64-1, no sign, no
// leading zeros.
func checkSeq(v string) string {
	n, err := strconv.ParseUint(v, 10, 64)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a decimal number from 1 to %d", v, uint64(1<<64-1))
	case n == 0:
		return "must be at least 1"
	case strconv.FormatUint(n, 10) != v:
		return fmt.Sprintf("%q has leading zeros", v)
	}
	return ""
}

// SignReceipt validates r, checks that r.ServerKeyID is the id of priv's
// public key (ErrWrongKey otherwise) and returns the canonical receipt and
// its ed25519 signature.
func SignReceipt(r *Receipt, priv ed25519.PrivateKey) (canonical, sig []byte, err error) {
	canonical, err = r.Canonical()
	if err != nil {
		return nil, nil, err
	}
	if err := checkPrivate(priv, r.ServerKeyID); err != nil {
		return nil, nil, fmt.Errorf("receipt: %w", err)
	}
	return canonical, SignBytes(priv, canonical), nil
}

// VerifyReceipt parses a canonical receipt (ErrMalformed), checks that it
// names pub's key id (ErrWrongKey) and that sig is pub's signature of it
// (ErrBadSignature).
func VerifyReceipt(canonical, sig []byte, pub ed25519.PublicKey) (*Receipt, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("receipt: %w: public key has %d bytes, want %d", ErrWrongKey, len(pub), ed25519.PublicKeySize)
	}
	r, err := ParseReceipt(canonical)
	if err != nil {
		return nil, err
	}
	if id := KeyID(pub); id != r.ServerKeyID {
		return nil, fmt.Errorf("receipt: %w: the receipt names server key %s, the public key is %s", ErrWrongKey, r.ServerKeyID, id)
	}
	if err := checkSignature(canonical, sig, pub, nil); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	return r, nil
}
