package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/tally"
)

// Kind is the kind of a log entry.
type Kind string

// The kinds of log entry.
const (
	KindRoll          Kind = "ROLL"
	KindAgenda        Kind = "AGENDA"
	KindKey           Kind = "KEY"
	KindProxy         Kind = "PROXY"
	KindBallot        Kind = "BALLOT"
	KindStatus        Kind = "STATUS"
	KindAmendment     Kind = "AMENDMENT"
	KindClose         Kind = "CLOSE"
	KindResult        Kind = "RESULT"
	KindObjection     Kind = "OBJECTION"
	KindResponse      Kind = "RESPONSE"
	KindCertSignature Kind = "CERT_SIGNATURE"
	KindCertified     Kind = "CERTIFIED"
	KindCancel        Kind = "CANCEL"
	// KindCommitteeKey: a committee member's lost key replaced by a new
	// one, on other members' signed word (CommitteeKeyEntry).
	KindCommitteeKey Kind = "COMMITTEE_KEY"
	// KindProxyWithdrawn: a proxy authorisation withdrawn (or recorded in
	// error); the holder votes for the voter no more.
	KindProxyWithdrawn Kind = "PROXY_WITHDRAWN"
	// KindKeyRevoked: a key logged before (KEY) revoked while the vote
	// takes ballots; it signs nothing that counts from then on.
	KindKeyRevoked Kind = "KEY_REVOKED"
	// KindRejection: a ballot waiting for confirmation (maker-checker)
	// found wrong by the second staff member and refused, on their signed
	// word (RejectionEntry).
	KindRejection Kind = "REJECTION"
)

// Entry is one leaf of an assembly's log. Its leaf data is the JSON
// encoding of the Entry exactly as stored; exactly one of the kind-specific
// fields is set.
type Entry struct {
	Index    uint64    `json:"index"`
	Kind     Kind      `json:"kind"`
	Assembly string    `json:"assembly"`
	Time     time.Time `json:"time"`

	Roll           *RollEntry           `json:"roll,omitempty"`
	Agenda         *AgendaEntry         `json:"agenda,omitempty"`
	Key            *KeyEntry            `json:"key,omitempty"`
	Proxy          *ProxyEntry          `json:"proxy,omitempty"`
	Ballot         *BallotEntry         `json:"ballot,omitempty"`
	Status         *StatusEntry         `json:"status,omitempty"`
	Amendment      *AmendmentEntry      `json:"amendment,omitempty"`
	Close          *CloseEntry          `json:"close,omitempty"`
	Result         *ResultEntry         `json:"result,omitempty"`
	Objection      *ObjectionEntry      `json:"objection,omitempty"`
	Response       *ResponseEntry       `json:"response,omitempty"`
	CertSignature  *CertSignatureEntry  `json:"cert_signature,omitempty"`
	Certified      *CertifiedEntry      `json:"certified,omitempty"`
	Cancel         *CancelEntry         `json:"cancel,omitempty"`
	CommitteeKey   *CommitteeKeyEntry   `json:"committee_key,omitempty"`
	ProxyWithdrawn *ProxyWithdrawnEntry `json:"proxy_withdrawn,omitempty"`
	KeyRevoked     *KeyRevokedEntry     `json:"key_revoked,omitempty"`
	Rejection      *RejectionEntry      `json:"rejection,omitempty"`
}

// RollEntry commits to the frozen roll: the SHA-256 of its canonical
// encoding (see assembly.CanonicalRoll) and its figures.
type RollEntry struct {
	Digest    string `json:"digest"`
	Units     int    `json:"units"`
	TotalArea string `json:"total_area_m2"`
	TotalHead int64  `json:"total_head"`
}

// MinNotice is the least time between the notice (the agenda's entry) and
// the opening of the vote, unless the agenda records why it is shorter
// (DESIGN §2 "Procedure").
const MinNotice = 15 * 24 * time.Hour

// ChinaTime is the time zone of the calendar days that periods are counted
// in (UTC+8, no daylight saving).
var ChinaTime = time.FixedZone("CST", 8*3600)

// Rules is the version of the procedure rules an assembly published now
// follows, logged in its agenda (AgendaEntry.Rules; 0 where it is absent).
// The server refuses unconfirmed ballots at the close, keeps a sold unit's
// ballot unchanged, refuses early ballots, has a sale wait for its
// seller's pending ballot, refuses a ballot while one of its voter's
// waits and counts a withdrawn proxy whose ballot counts toward its
// holder's cap in every assembly, these being what DESIGN §2 asks (one ballot per
// voter, the first deciding where votes may not be changed); for logs of earlier rules the verifier also accepts what the
// server did before, and the objection window of an assembly published
// under rules 0 stays as announced:
//   - 6: a ballot recording a call, visit or paper dated more than
//     ClockSkew after the server's clock is refused (FUTURE_BALLOT), as
//     one whose own time is so dated always was (FutureProblem; the server
//     refuses such calls in every assembly, whatever its rules); each log
//     entry is dated no earlier than the one before it; and the objection
//     window of a vote closed on schedule counts from its scheduled
//     closing, not from the moment the server wrote the close
//     (ObjectionStart).
//   - 5: a paper ballot is one voter's: a PAPER ballot is refused
//     (PAPER_REUSED) when its serial (whatever its case) or its scan's
//     digest (PaperMarks) is carried by a ballot of another voter that
//     was taken (counted, or waiting for its check) and is not refused
//     since; superseded by its voter's later ballot, it still holds them. The server applies this
//     to assemblies of rules 5 on only: it keeps the index that decides
//     it from their publication. INVALID is a returned paper ballot's
//     choice only: another channel's ballot saying it is refused
//     (BAD_CHOICE).
//   - 4: where votes may not be changed, no ballot staff take (PHONE,
//     VISIT, PAPER) is taken while another of the voter's waits for
//     confirmation (it is refused, BALLOT_WAITING), so that the order of
//     the checks decides nothing; the voter's own ballot (ONLINE,
//     PLATFORM, PROXY) is taken and counts, and the waiting one is refused
//     at its check. No proxy is recorded for a voter whose ballot counts.
//     Ballots still waiting when the vote is cancelled are refused then,
//     just before the CANCEL, as at a close.
//     A withdrawn proxy authorisation counts
//     toward its holder's cap while the ballot the holder cast under it
//     counts. Under maker-checker a paper ballot, entered by staff like a
//     phone or visit one, waits for a second staff member's check too.
//   - 3: a unit's sale is not recorded while a ballot of its voter waits
//     for confirmation (it is confirmed or rejected first).
//   - 2: a ballot dated before voting opened, or recording a call, visit
//     or paper dated then, is refused (BallotTimeProblem).
//   - 1: the objection window counted in calendar days
//     (ObjectionDeadline); a ballot still waiting for confirmation when
//     the vote closes is refused at the close; a seller's ballot kept for
//     a unit sold during the vote can no longer be changed.
//   - 0: the window counted from the close to the second (days × 24 h);
//     ballots could be left waiting at the close; a seller could change a
//     kept ballot where votes may be changed.
const Rules = 6

// PaperRules is the first version of the procedure rules under which a
// paper sheet is one voter's (PaperMarks) and INVALID a paper ballot's
// choice only.
const PaperRules = 5

// PaperMarks are what makes a paper ballot's sheet one voter's from
// procedure rules 5 on: its serial, compared without regard to case (P-0061
// and p-0061 are one sheet), and its scan's digest: "serial P-0061" and
// "scan <hex>".
func PaperMarks(a *ballot.Attestation) [2]string {
	return [2]string{"serial " + strings.ToUpper(a.PaperSerial), "scan " + strings.ToLower(a.ScanSHA256)}
}

// EarlyWording tells whether an assembly of these procedure rules has its
// result's explanations worded as before rules 3 (tally.Assembly's
// EarlyWording), so that results stored and exported then verify as
// written.
func EarlyWording(rules int) bool { return rules < 3 }

// ClockSkew is how far a ballot's own time may differ from the server's
// clock: a ballot dated later than the server's time by more is refused as
// from the future, one dated earlier than the opening by more as from
// before the vote (BallotTimeProblem).
const ClockSkew = 5 * time.Minute

// TimeRules is the first version of the procedure rules (6) under which a
// ballot's attestation may not be dated after the server's clock (by more
// than ClockSkew), a log entry not before the one logged before it, and an
// objection window counts from the scheduled closing of a vote closed on
// schedule (ObjectionStart).
const TimeRules = 6

// ObjectionStart is the close an objection window counts from: the close
// as logged, or, from procedure rules 6 on, the scheduled closing where the
// vote closed on schedule, that is up to ClockSkew after it: the server's
// closer writes a close at 24:00 a moment into the next day, which is not
// the day the vote closed. A close written later (the server was down)
// counts from itself, so that the window is not shortened after the result
// appears; an early close, from itself.
func ObjectionStart(closed, scheduled time.Time, rules int) time.Time {
	if rules >= TimeRules && !closed.Before(scheduled) && closed.Sub(scheduled) <= ClockSkew {
		return scheduled
	}
	return closed
}

// FutureProblem says why a ballot received at now is from the future, or
// "": it is dated, or the call, visit or paper its attestation records is
// dated, more than ClockSkew after now. The server refuses such a ballot
// in every assembly, whatever its rules; the verifier refuses a logged
// ballot taken so, by its attestation's time from rules 6 on (TimeRules).
func FutureProblem(b *ballot.Ballot, now time.Time, rules int) string {
	late := now.Add(ClockSkew)
	switch {
	case b.Time.After(late):
		return fmt.Sprintf("ballot time %s, server time %s", FormatChinaTime(b.Time), FormatChinaTime(now))
	case b.Attestation != nil && b.Attestation.At.After(late) && rules >= TimeRules:
		return fmt.Sprintf("attestation time %s (of the call, visit or paper), server time %s", FormatChinaTime(b.Attestation.At), FormatChinaTime(now))
	}
	return ""
}

// BallotTimeProblem says why a ballot's own time, or that of the call,
// visit or paper its attestation records, is not in the vote that opened
// at opens, or "": a ballot signed, or a vote taken, before voting opened
// was not cast in this vote.
func BallotTimeProblem(b *ballot.Ballot, opens time.Time) string {
	early := opens.Add(-ClockSkew)
	switch {
	case b.Time.Before(early):
		return fmt.Sprintf("ballot time %s is before voting opened %s", FormatChinaTime(b.Time), FormatChinaTime(opens))
	case b.Attestation != nil && b.Attestation.At.Before(early):
		return fmt.Sprintf("attestation time %s is before voting opened %s", FormatChinaTime(b.Attestation.At), FormatChinaTime(opens))
	}
	return ""
}

// NoticeProblem says why a notice published notice before voting opens may
// not stand (DESIGN §2), or "": shorter than MinNotice, where the assembly
// admits no short notice (refuse) or records no reason. The server refuses
// such a publication, the verifier such an agenda.
func NoticeProblem(notice time.Duration, reason string, refuse bool) string {
	switch {
	case notice >= MinNotice:
		return ""
	case refuse:
		return fmt.Sprintf("voting opens %s after the notice, less than 15 days, and the assembly admits no short notice", notice.Round(time.Minute))
	case reason == "":
		return fmt.Sprintf("voting opens %s after the notice, less than 15 days, and the assembly records no reason", notice.Round(time.Minute))
	}
	return ""
}

// FormatChinaTime writes a time for people to read in messages and reports:
// RFC 3339 in China time (2026-05-12T15:37:00+08:00).
func FormatChinaTime(t time.Time) string { return t.In(ChinaTime).Format(time.RFC3339) }

// ObjectionDeadline is when the objection window of days calendar days
// after a close at closed ends, under the procedure rules of that version
// (Rules). From version 1, as Civil Code arts. 201 and 203 count a period
// in days: it starts on the day after the close and ends at 24:00 of its
// last day, in China time, a close at 00:00 being the end of the day
// before. Before, days × 24 h after the close. With no days there is no
// window: it ends at the close.
func ObjectionDeadline(closed time.Time, days, rules int) time.Time {
	switch {
	case days <= 0:
		return closed
	case rules < 1:
		return closed.Add(time.Duration(days) * 24 * time.Hour)
	}
	y, m, d := closed.In(ChinaTime).Add(-time.Nanosecond).Date()
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, ChinaTime)
}

// AgendaEntry is the published assembly: agenda, window, rules, settings
// and the committee with its members' public keys.
type AgendaEntry struct {
	CommunityID       string           `json:"community_id"`
	Title             string           `json:"title"`
	Motions           []Motion         `json:"motions"`
	Opens             time.Time        `json:"opens"`
	Closes            time.Time        `json:"closes"`
	Channels          []string         `json:"channels"`
	RuleSet           tally.RuleSet    `json:"rule_set"`
	Abstention        tally.Abstention `json:"abstention"`
	InvalidCounts     bool             `json:"invalid_counts_toward_quorum"`
	DeemedConsent     bool             `json:"deemed_consent"`
	AllowRevote       bool             `json:"allow_revote"`
	MakerChecker      bool             `json:"maker_checker"`
	ProxyCap          int              `json:"proxy_cap"`
	RefuseShortNotice bool             `json:"refuse_short_notice,omitempty"`
	// Rules is the version of the procedure rules the assembly follows
	// (audit.Rules); absent in agendas logged before it was.
	Rules             int      `json:"rules,omitempty"`
	ObjectionDays     int      `json:"objection_days"`
	Committee         []Member `json:"committee"`
	CommitteeK        int      `json:"committee_k"`
	ShortNoticeReason string   `json:"short_notice_reason,omitempty"`
	RollDigest        string   `json:"roll_digest"`
}

// Motion is an agenda item.
type Motion struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Matter  string   `json:"matter"`
	Options []Option `json:"options,omitempty"`
	Seats   int      `json:"seats,omitempty"`
}

// Option is a candidate.
type Option struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Member is a committee member who may certify.
type Member struct {
	KeyID     string `json:"key_id"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	PublicKey []byte `json:"public_key"`
}

// KeyEntry records a signing key the first time it signs in this
// assembly, with what it may sign.
type KeyEntry struct {
	KeyID     string `json:"key_id"`
	PublicKey []byte `json:"public_key"`
	// Role is OWNER, PLATFORM, STAFF or PROXY.
	Role string `json:"role"`
	// Holder is the owner id (OWNER, PROXY: the voter it acts for) or the
	// signer id (PLATFORM, STAFF).
	Holder string `json:"holder"`
	// Community is the community a PLATFORM or STAFF key acts in; "" for all.
	Community  string    `json:"community,omitempty"`
	Registered time.Time `json:"registered"`
}

// ProxyEntry records a written proxy authorisation. The holder's name
// stays in the server's records: exports are public.
type ProxyEntry struct {
	Voter string `json:"voter"`
	// Holder is the holder's pseudonym in this assembly (a keyed hash of
	// their identity number that by itself links to no owner id and no
	// other assembly), by which the proxy cap counts; empty in logs
	// written before it was.
	Holder         string `json:"holder,omitempty"`
	HolderKeyID    string `json:"holder_key_id"`
	DocumentSHA256 string `json:"document_sha256"`
	RecordedBy     string `json:"recorded_by"`
}

// KeyRevokedEntry records that a key this log names (a KEY entry: an
// owner's, the platform's or a staff member's) was revoked at the entry's
// time: a ballot or confirmation it signs later does not count.
type KeyRevokedEntry struct {
	KeyID string `json:"key_id"`
}

// ProxyWithdrawnEntry records that a voter's proxy authorisation is
// withdrawn: the holder's key signs for the voter no more (a ballot it
// signed before stays as it is), the holder acts for one voter fewer
// under the cap, and another proxy may be recorded for the voter.
type ProxyWithdrawnEntry struct {
	Voter       string `json:"voter"`
	HolderKeyID string `json:"holder_key_id"`
	Reason      string `json:"reason"`
	By          string `json:"by"`
}

// BallotEntry records a received, authentic ballot and what became of it.
type BallotEntry struct {
	Seq       uint64 `json:"seq"`
	ID        string `json:"id"`
	Ballot    []byte `json:"ballot"`
	Signature []byte `json:"signature"`
	// Status is ACCEPTED, PENDING_CONFIRMATION or REFUSED.
	Status      string `json:"status"`
	Reason      string `json:"reason,omitempty"`
	SubmittedBy string `json:"submitted_by"`
}

// StatusEntry records a later change of a ballot's status: SUPERSEDED by a
// later ballot, or ACCEPTED / REFUSED at a maker-checker confirmation.
type StatusEntry struct {
	Seq    uint64 `json:"seq"`
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by"`
	// KeyID and Signature, on a confirmation, are the confirming staff
	// member's key and signature of ConfirmationStatement.
	KeyID     string `json:"key_id,omitempty"`
	Signature []byte `json:"signature,omitempty"`
}

// RejectionEntry records a ballot waiting for confirmation refused by the
// second staff member's check (the owner did not vote so, the call or
// visit went otherwise): their STAFF key, their reason, and their
// signature of RejectionStatement. The voter may vote again.
type RejectionEntry struct {
	Seq       uint64 `json:"seq"`
	ID        string `json:"id"`
	Reason    string `json:"reason"`
	By        string `json:"by"`
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// AmendmentEntry records a unit sold during the vote.
type AmendmentEntry struct {
	UnitID         string `json:"unit_id"`
	PreviousVoter  string `json:"previous_voter"`
	NewVoter       string `json:"new_voter"`
	Effect         string `json:"effect"`
	DocumentSHA256 string `json:"document_sha256"`
	By             string `json:"by"`
}

// CloseEntry records the end of the vote.
type CloseEntry struct {
	Early  bool   `json:"early"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
}

// ResultEntry records the preliminary result's digest (tally.Result.Digest,
// hex).
type ResultEntry struct {
	Digest string `json:"digest"`
}

// ObjectionEntry records an objection (询异) to the preliminary result.
type ObjectionEntry struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	By   string `json:"by"`
}

// ResponseEntry records the response to an objection.
type ResponseEntry struct {
	ObjectionID string `json:"objection_id"`
	Text        string `json:"text"`
	By          string `json:"by"`
}

// CertSignatureEntry records a committee member's signature of the
// certification statement.
type CertSignatureEntry struct {
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// CertifiedEntry records that k valid signatures were in.
type CertifiedEntry struct {
	ResultDigest string   `json:"result_digest"`
	Signers      []string `json:"signers"`
}

// CommitteeKeyEntry records that a committee member's key, lost and
// revoked, is replaced by a new key of the same member: from then on the
// new key signs for that member, and a signature made with the old one no
// longer counts. VouchesNeeded(k) other members vouch for the new key, each
// signing KeyReplacementStatement with their own current committee key, so
// that replacing a key takes as many people as certifying a result.
type CommitteeKeyEntry struct {
	// Replaces is the member's key being replaced: one of the agenda's
	// committee keys or a key that replaced one.
	Replaces  string  `json:"replaces"`
	KeyID     string  `json:"key_id"`
	PublicKey []byte  `json:"public_key"`
	Vouches   []Vouch `json:"vouches"`
}

// Vouch is a committee member's signature, with their key KeyID, of a key
// replacement statement.
type Vouch struct {
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// VouchesNeeded is how many other members of a committee that certifies
// with k signatures vouch for a member's new key: k − 1, at least one.
// With the member, that is as many people as a certification.
func VouchesNeeded(k int) int { return max(1, k-1) }

// CancelEntry records a cancellation.
type CancelEntry struct {
	Reason string `json:"reason"`
}

// Marshal returns the entry's leaf data.
func (e *Entry) Marshal() ([]byte, error) { return json.Marshal(e) }

// ErrMalformedEntry means leaf data is not a well-formed entry.
var ErrMalformedEntry = errors.New("audit: malformed log entry")

// ParseEntry decodes leaf data and checks that exactly the kind's field is
// set.
func ParseEntry(data []byte) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedEntry, err)
	}
	set := map[Kind]bool{
		KindRoll: e.Roll != nil, KindAgenda: e.Agenda != nil, KindKey: e.Key != nil, KindProxy: e.Proxy != nil,
		KindBallot: e.Ballot != nil, KindStatus: e.Status != nil, KindAmendment: e.Amendment != nil, KindClose: e.Close != nil,
		KindResult: e.Result != nil, KindObjection: e.Objection != nil, KindResponse: e.Response != nil,
		KindCertSignature: e.CertSignature != nil, KindCertified: e.Certified != nil, KindCancel: e.Cancel != nil,
		KindCommitteeKey: e.CommitteeKey != nil, KindProxyWithdrawn: e.ProxyWithdrawn != nil, KindKeyRevoked: e.KeyRevoked != nil,
		KindRejection: e.Rejection != nil,
	}
	n := 0
	for _, v := range set {
		if v {
			n++
		}
	}
	if _, known := set[e.Kind]; !known {
		return nil, fmt.Errorf("%w: unknown kind %q: written by a newer ownervote? update ownervote", ErrMalformedEntry, e.Kind)
	}
	if !set[e.Kind] || n != 1 {
		return nil, fmt.Errorf("%w: kind %q with %d bodies", ErrMalformedEntry, e.Kind, n)
	}
	return &e, nil
}

// ConfirmationStatement is the exact bytes a second staff member signs to
// confirm a phone, visit or paper ballot (maker-checker).
func ConfirmationStatement(assemblyID, ballotID string) []byte {
	return fmt.Appendf(nil, "ownervote-confirmation/1\nassembly=%s\nballot=%s\n", assemblyID, ballotID)
}

// RejectionStatement is the exact bytes a second staff member signs to
// refuse a ballot waiting for confirmation; the reason is one line
// (ValidRejectionReason).
func RejectionStatement(assemblyID, ballotID, reason string) []byte {
	return fmt.Appendf(nil, "ownervote-rejection/1\nassembly=%s\nballot=%s\nreason=%s\n", assemblyID, ballotID, reason)
}

// VisibleText reports whether s holds no invisible or direction-changing
// character (zero-width spaces and joiners, marks, bidi embeddings and
// isolates, word joiners, the byte-order mark), which make a text read
// otherwise than it is: what intake asks of a rejection's reason.
func VisibleText(s string) bool {
	for _, r := range s {
		if (r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2060 && r <= 0x2069) || r == 0xfeff || r == 0x061c {
			return false
		}
	}
	return true
}

// ValidRejectionReason reports whether a rejection's reason can be signed
// and logged: 1 to 200 characters of one line, no control characters.
func ValidRejectionReason(reason string) bool {
	if !utf8.ValidString(reason) {
		return false
	}
	n := 0
	for _, r := range reason {
		// Control characters and line separators: the reason is one line
		// of the signed statement. (Intake refuses invisible and
		// direction-changing characters too: VisibleText.)
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return false
		}
		n++
	}
	return n >= 1 && n <= 200 && strings.TrimSpace(reason) == reason
}

// CertificationStatement is the exact bytes a committee member signs to
// certify an assembly's result.
func CertificationStatement(assemblyID, rollDigest, resultDigest string) []byte {
	return fmt.Appendf(nil, "ownervote-certificate/1\nassembly=%s\nroll=%s\nresult=%s\n", assemblyID, rollDigest, resultDigest)
}

// KeyReplacementStatement is the exact bytes a committee member signs to
// vouch that the key newKeyID belongs to the member whose key replaces
// was, in the assembly assemblyID.
func KeyReplacementStatement(assemblyID, replaces, newKeyID string) []byte {
	return fmt.Appendf(nil, "ownervote-committee-key/1\nassembly=%s\nreplaces=%s\nkey=%s\n", assemblyID, replaces, newKeyID)
}
