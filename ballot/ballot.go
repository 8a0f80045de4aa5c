package ballot

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors returned by this package; match them with errors.Is.
var (
	// ErrInvalid means that a Ballot or Receipt value breaks a rule of the format
	// (returned by Validate, Canonical, Sign and SignReceipt as a
	// *FieldError).
	ErrInvalid = errors.New("invalid")
	// ErrMalformed means that bytes are not a canonical ballot or receipt (returned by
	// Parse and ParseReceipt as a *ParseError, and by UnmarshalJSON).
	ErrMalformed = errors.New("malformed")
	// ErrBadSignature means that the signature is not a valid ed25519 signature of the
	// bytes by the given public key.
	ErrBadSignature = errors.New("bad signature")
	// ErrWrongKey means that the key does not match the key id named in the ballot or
	// receipt, or is not an ed25519 key of the right size.
	ErrWrongKey = errors.New("wrong key")
)

// FieldError reports the field of a Ballot or Receipt that breaks a rule,
// named as in the canonical encoding (e.g. "attestation.phone" or
// "choice.m1"). It wraps ErrInvalid.
type FieldError struct {
	Record string // "ballot" or "receipt"
	Field  string
	Reason string
}

// Error names the record, the field and the reason.
func (e *FieldError) Error() string {
	return e.Record + ": field " + e.Field + ": " + e.Reason
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Channel is how a ballot reached the assembly.
type Channel string

// The channels.
const (
	Online   Channel = "ONLINE"   // signed by the owner's own registered key
	Platform Channel = "PLATFORM" // relayed by the city smart-property platform
	Phone    Channel = "PHONE"    // taken by staff during a phone call
	Visit    Channel = "VISIT"    // taken by staff during a home visit
	Paper    Channel = "PAPER"    // a returned paper ballot entered by staff
	Proxy    Channel = "PROXY"    // cast by a proxy under a written authorisation
)

// SignerRole is the kind of key that signs a ballot.
type SignerRole string

// The signer roles.
const (
	SignerOwner    SignerRole = "OWNER"
	SignerPlatform SignerRole = "PLATFORM"
	SignerStaff    SignerRole = "STAFF"
	SignerProxy    SignerRole = "PROXY"
)

// Signer returns the role whose key signs ballots of channel c, or "" for an
// unknown channel.
func (c Channel) Signer() SignerRole {
	switch c {
	case Online:
		return SignerOwner
	case Platform:
		return SignerPlatform
	case Phone, Visit, Paper:
		return SignerStaff
	case Proxy:
		return SignerProxy
	}
	return ""
}

// StaffTaken reports whether staff take or enter ballots of channel c
// (PHONE, VISIT, PAPER): those a second staff member checks under
// maker-checker.
func (c Channel) StaffTaken() bool { return c.Signer() == SignerStaff }

// The choice keywords. A choice is exactly one keyword, or one or more
// option ids. The format does not know the agenda, so an agenda must not use
// a keyword as an option id.
const (
	Agree   = "AGREE"
	Oppose  = "OPPOSE"
	Abstain = "ABSTAIN"
	Invalid = "INVALID" // a returned ballot that is invalid for this motion
)

// DeveloperVoter is the Voter of the ballot cast for all of the developer's
// unsold or undelivered units, which count as one voter.
const DeveloperVoter = "developer"

// Limits of the format.
const (
	MaxChoices       = 256   // motions per ballot
	MaxValues        = 256   // values per choice
	MaxNoteBytes     = 500   // bytes of attestation.note
	MaxCanonicalSize = 65536 // bytes of a canonical ballot
)

// Choice is the voter's choice on one motion: exactly one of AGREE, OPPOSE,
// ABSTAIN, INVALID, or one or more distinct option ids (several only for
// committee elections; the format does not know the agenda, it only requires
// distinct values, and a keyword alone). Canonical sorts the values; Parse
// returns them sorted.
type Choice struct {
	Motion string
	Values []string
}

// Attestation records how staff took a vote (PHONE, VISIT) or entered a
// paper ballot (PAPER).
type Attestation struct {
	StaffID         string    // the recording staff member's id
	At              time.Time // when the call or visit took place or the paper was received (UTC, whole seconds)
	MaskedPhone     string    // PHONE: required, e.g. "138****5678"; forbidden otherwise
	Note            string    // VISIT: required; PHONE: optional; PAPER: forbidden
	RecordingSHA256 string    // PHONE, VISIT: optional SHA-256 (hex) of the recording; PAPER: forbidden
	PaperSerial     string    // PAPER: required; forbidden otherwise
	ScanSHA256      string    // PAPER: required SHA-256 (hex) of the scan; forbidden otherwise
}

// Ballot is one voter's signed vote on the motions of one assembly. Its
// canonical encoding (Canonical) is what is signed; docs/ballot-format.md
// specifies it.
type Ballot struct {
	Assembly           string       // assembly id
	RollDigest         string       // 64 lowercase hex: SHA-256 digest of the frozen roll
	Voter              string       // owner id of the voter, or DeveloperVoter
	Channel            Channel      // how the ballot was cast
	Signer             SignerRole   // must equal Channel.Signer()
	KeyID              string       // 32 lowercase hex: KeyID of the signing key
	Nonce              string       // 32 lowercase hex (16 random bytes)
	Time               time.Time    // when the ballot was cast or signed, UTC, whole seconds
	PlatformVoteID     string       // PLATFORM: required, the platform's own vote id; forbidden otherwise
	ProxyAuthorization string       // PROXY: required, 64 lowercase hex: SHA-256 of the written authorisation; forbidden otherwise
	Attestation        *Attestation // PHONE, VISIT, PAPER: required; forbidden otherwise
	Choices            []Choice     // at least one; motion ids distinct
}

// Validate checks every rule of the format and returns the first broken one
// as a *FieldError wrapping ErrInvalid.
func (b *Ballot) Validate() error {
	if err := b.validateFields(); err != nil {
		return err
	}
	if n := len(b.encode()); n > MaxCanonicalSize {
		return b.fieldErr("choice", fmt.Sprintf("the canonical ballot has %d bytes, more than %d", n, MaxCanonicalSize))
	}
	return nil
}

func (b *Ballot) fieldErr(field, reason string) error {
	return &FieldError{Record: "ballot", Field: field, Reason: reason}
}

func (b *Ballot) validateFields() error {
	check := func(field, reason string) error {
		if reason == "" {
			return nil
		}
		return b.fieldErr(field, reason)
	}
	for _, c := range []struct{ field, reason string }{
		{"assembly", checkID(b.Assembly)},
		{"roll", checkHex(b.RollDigest, 64)},
		{"voter", checkID(b.Voter)},
		{"channel", checkChannel(b.Channel)},
		{"signer", checkSigner(b.Signer, b.Channel)},
		{"key", checkHex(b.KeyID, 32)},
		{"nonce", checkHex(b.Nonce, 32)},
		{"time", checkTime(b.Time, time.Second)},
		{"platform_vote_id", checkPresence(b.Channel, b.PlatformVoteID != "", checkID(b.PlatformVoteID), Platform)},
		{"proxy_authorization", checkPresence(b.Channel, b.ProxyAuthorization != "", checkHex(b.ProxyAuthorization, 64), Proxy)},
	} {
		if err := check(c.field, c.reason); err != nil {
			return err
		}
	}
	if err := b.validateAttestation(); err != nil {
		return err
	}
	return b.validateChoices()
}

func (b *Ballot) validateAttestation() error {
	a := b.Attestation
	attested := b.Channel == Phone || b.Channel == Visit || b.Channel == Paper
	switch {
	case a == nil && attested:
		return b.fieldErr("attestation", "required for channel "+string(b.Channel))
	case a == nil:
		return nil
	case !attested:
		return b.fieldErr("attestation", "must be absent for channel "+string(b.Channel))
	}
	ch := b.Channel
	for _, c := range []struct{ field, reason string }{
		{"attestation.staff", checkID(a.StaffID)},
		{"attestation.time", checkTime(a.At, time.Second)},
		{"attestation.phone", checkPresence(ch, a.MaskedPhone != "", checkMaskedPhone(a.MaskedPhone), Phone)},
		{"attestation.note", checkOptional(ch, a.Note != "", checkNote(a.Note), []Channel{Visit}, []Channel{Phone})},
		{"attestation.recording", checkOptional(ch, a.RecordingSHA256 != "", checkHex(a.RecordingSHA256, 64), nil, []Channel{Phone, Visit})},
		{"attestation.paper_serial", checkPresence(ch, a.PaperSerial != "", checkID(a.PaperSerial), Paper)},
		{"attestation.scan", checkPresence(ch, a.ScanSHA256 != "", checkHex(a.ScanSHA256, 64), Paper)},
	} {
		if c.reason != "" {
			return b.fieldErr(c.field, c.reason)
		}
	}
	return nil
}

func (b *Ballot) validateChoices() error {
	switch {
	case len(b.Choices) == 0:
		return b.fieldErr("choice", "at least one choice is required")
	case len(b.Choices) > MaxChoices:
		return b.fieldErr("choice", fmt.Sprintf("%d choices, at most %d allowed", len(b.Choices), MaxChoices))
	}
	seen := make(map[string]bool, len(b.Choices))
	for i, c := range b.Choices {
		if r := checkID(c.Motion); r != "" {
			return b.fieldErr(fmt.Sprintf("choice[%d].motion", i), r)
		}
		if seen[c.Motion] {
			return b.fieldErr("choice."+c.Motion, "more than one choice for this motion")
		}
		seen[c.Motion] = true
		if r := checkValues(c.Values); r != "" {
			return b.fieldErr("choice."+c.Motion, r)
		}
	}
	return nil
}

// Canonical validates b and returns its canonical encoding: the exact bytes
// that are signed.
func (b *Ballot) Canonical() ([]byte, error) {
	if err := b.validateFields(); err != nil {
		return nil, err
	}
	out := b.encode()
	if len(out) > MaxCanonicalSize {
		return nil, b.fieldErr("choice", fmt.Sprintf("the canonical ballot has %d bytes, more than %d", len(out), MaxCanonicalSize))
	}
	return out, nil
}

// ballotHeader is the domain separator, the first line of every ballot.
const ballotHeader = "ownervote-ballot/1"

// secondsLayout and millisLayout are the time formats of ballots and
// receipts.
const (
	secondsLayout = "2006-01-02T15:04:05Z"
	millisLayout  = "2006-01-02T15:04:05.000Z"
)

// encode writes the canonical form of b without validating it.
func (b *Ballot) encode() []byte {
	var w bytes.Buffer
	line := func(name, value string) {
		w.WriteString(name)
		w.WriteByte('=')
		w.WriteString(value)
		w.WriteByte('\n')
	}
	w.WriteString(ballotHeader + "\n")
	line("assembly", b.Assembly)
	line("roll", b.RollDigest)
	line("voter", b.Voter)
	line("channel", string(b.Channel))
	line("signer", string(b.Signer))
	line("key", b.KeyID)
	line("nonce", b.Nonce)
	line("time", b.Time.Format(secondsLayout))
	if b.PlatformVoteID != "" {
		line("platform_vote_id", b.PlatformVoteID)
	}
	if b.ProxyAuthorization != "" {
		line("proxy_authorization", b.ProxyAuthorization)
	}
	if a := b.Attestation; a != nil {
		line("attestation.staff", a.StaffID)
		line("attestation.time", a.At.Format(secondsLayout))
		if a.MaskedPhone != "" {
			line("attestation.phone", a.MaskedPhone)
		}
		if a.Note != "" {
			line("attestation.note", a.Note)
		}
		if a.RecordingSHA256 != "" {
			line("attestation.recording", a.RecordingSHA256)
		}
		if a.PaperSerial != "" {
			line("attestation.paper_serial", a.PaperSerial)
		}
		if a.ScanSHA256 != "" {
			line("attestation.scan", a.ScanSHA256)
		}
	}
	choices := slices.Clone(b.Choices)
	slices.SortFunc(choices, func(x, y Choice) int { return cmp.Compare(x.Motion, y.Motion) })
	for _, c := range choices {
		values := slices.Clone(c.Values)
		slices.Sort(values)
		line("choice."+c.Motion, strings.Join(values, ","))
	}
	return w.Bytes()
}

// ID returns the ballot id of a canonical ballot: the lowercase hex SHA-256
// of its bytes. The signature is not part of it.
func ID(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// KeyID returns the id of an ed25519 public key: the lowercase hex of the
// first 16 bytes of the SHA-256 of its 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Sign validates b, refuses a note holding a phone or identity number
// (NoteHoldsNumber), checks that b.KeyID is the id of priv's public key
// (ErrWrongKey otherwise) and returns the canonical ballot and its ed25519
// signature.
func Sign(b *Ballot, priv ed25519.PrivateKey) (canonical, sig []byte, err error) {
	canonical, err = b.Canonical()
	if err != nil {
		return nil, nil, err
	}
	if err := NoteHoldsNumber(b); err != nil {
		return nil, nil, fmt.Errorf("ballot: %w", err)
	}
	if err := checkPrivate(priv, b.KeyID); err != nil {
		return nil, nil, fmt.Errorf("ballot: %w", err)
	}
	return canonical, SignBytes(priv, canonical), nil
}

// Verify parses a canonical ballot (ErrMalformed), checks that it names
// pub's key id (ErrWrongKey) and that sig is pub's signature of it
// (ErrBadSignature). A ballot that names another key id is ErrWrongKey even
// when that key signed it; a ballot that names pub's key id but was signed by
// another key is ErrBadSignature.
func Verify(canonical, sig []byte, pub ed25519.PublicKey) (*Ballot, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("ballot: %w: public key has %d bytes, want %d", ErrWrongKey, len(pub), ed25519.PublicKeySize)
	}
	b, err := Parse(canonical)
	if err != nil {
		return nil, err
	}
	if err := VerifyParsed(b, canonical, sig, pub); err != nil {
		return nil, err
	}
	return b, nil
}

// VerifyParsed is Verify for b, already parsed from canonical: the key id
// and the signature.
func VerifyParsed(b *Ballot, canonical, sig []byte, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("ballot: %w: public key has %d bytes, want %d", ErrWrongKey, len(pub), ed25519.PublicKeySize)
	}
	return verifyParsed(b, canonical, sig, pub, nil)
}

// VerifyParsed is ballot.VerifyParsed with k's public key, checked by k.
func (k *PreparedKey) VerifyParsed(b *Ballot, canonical, sig []byte) error {
	return verifyParsed(b, canonical, sig, k.pub[:], k)
}

// verifyParsed checks b's key id against pub and sig by pub: by k, pub's
// prepared key, when not nil.
func verifyParsed(b *Ballot, canonical, sig []byte, pub ed25519.PublicKey, k *PreparedKey) error {
	if id := KeyID(pub); id != b.KeyID {
		return fmt.Errorf("ballot: %w: the ballot names key %s, the public key is %s", ErrWrongKey, b.KeyID, id)
	}
	if err := checkSignature(canonical, sig, pub, k); err != nil {
		return fmt.Errorf("ballot: %w", err)
	}
	return nil
}

func checkPrivate(priv ed25519.PrivateKey, keyID string) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: private key has %d bytes, want %d", ErrWrongKey, len(priv), ed25519.PrivateKeySize)
	}
	if id := KeyID(priv.Public().(ed25519.PublicKey)); id != keyID {
		return fmt.Errorf("%w: key id is %s, the private key's is %s", ErrWrongKey, keyID, id)
	}
	return nil
}

func checkSignature(msg, sig []byte, pub ed25519.PublicKey, k *PreparedKey) error {
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature has %d bytes, want %d", ErrBadSignature, len(sig), ed25519.SignatureSize)
	}
	var ok bool
	if k != nil {
		ok = k.Verify(msg, sig)
	} else {
		ok = ed25519.Verify(pub, msg, sig)
	}
	if !ok {
		return fmt.Errorf("%w: not a signature of these bytes by key %s", ErrBadSignature, KeyID(pub))
	}
	return nil
}
