package assembly

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// Refusals: an authentic ballot that does not count. Each is stored with
// the ballot and its reason before the refusal is returned.
var (
	ErrNotOpen            = errors.New("voting is not open yet")
	ErrVotingClosed       = errors.New("voting has closed")
	ErrChannelNotAccepted = errors.New("the assembly does not accept this channel")
	ErrRollMismatch       = errors.New("the ballot names another roll than the assembly's frozen roll")
	ErrNotOnRoll          = errors.New("the voter is not on the frozen roll")
	ErrNoRight            = errors.New("the signer may not sign for this voter")
	ErrKeyRevoked         = errors.New("the signing key is revoked")
	ErrNotOnAgenda        = errors.New("a motion is not on the published agenda")
	ErrBadChoice          = errors.New("a choice is not allowed on its motion")
	ErrAlreadyVoted       = errors.New("the voter already has a counted ballot")
	ErrFutureBallot       = errors.New("the ballot's time is in the future")
	// ErrEarlyBallot: a ballot, or the vote it records, dated before
	// voting opened (audit.BallotTimeProblem).
	ErrEarlyBallot = errors.New("the ballot's time is before voting opened")
	// ErrNotConfirmed: a phone, visit or paper ballot still waited for a second
	// staff member's confirmation when the vote closed.
	ErrNotConfirmed = errors.New("the ballot was not confirmed by a second staff member before the vote closed")
	// ErrVoterWaiting: where votes may not be changed, a ballot taken by
	// staff while another of the voter's waits for a second staff
	// member's check.
	ErrVoterWaiting = errors.New("a ballot of the voter waits for a second staff member's check")
)

// refusalCodes name the refusals in stored ballot records, so that a
// replayed refused ballot gets its sentinel back.
var refusalCodes = map[string]error{
	"NOT_OPEN": ErrNotOpen, "VOTING_CLOSED": ErrVotingClosed, "CHANNEL_NOT_ACCEPTED": ErrChannelNotAccepted,
	"ROLL_MISMATCH": ErrRollMismatch, "NOT_ON_ROLL": ErrNotOnRoll, "NO_RIGHT": ErrNoRight, "KEY_REVOKED": ErrKeyRevoked,
	"NOT_ON_AGENDA": ErrNotOnAgenda, "BAD_CHOICE": ErrBadChoice, "ALREADY_VOTED": ErrAlreadyVoted, "FUTURE_BALLOT": ErrFutureBallot, "EARLY_BALLOT": ErrEarlyBallot,
	"NOT_CONFIRMED": ErrNotConfirmed, "NOT_YOUR_KEY": ErrNotYourKey, "REJECTED_AT_CHECK": ErrRejectedAtCheck,
	"BALLOT_WAITING": ErrVoterWaiting, "PAPER_REUSED": ErrPaperReused,
}

// RefusalOf is a refused ballot's reason as its sentinel error (ErrAlreadyVoted, ErrNotConfirmed…):
// by the stored code or, in a record written before codes were stored, by
// its reason, which starts with the sentinel's text (see reasonText).
// ErrRefused when neither names one.
func RefusalOf(br *BallotRecord) error {
	if reason, ok := refusalCodes[br.ReasonCode]; ok {
		return reason
	}
	if br.ReasonCode == "" {
		for _, reason := range refusalCodes {
			if rest, ok := strings.CutPrefix(br.Reason, reason.Error()); ok && (rest == "" || strings.HasPrefix(rest, ": ")) {
				return reason
			}
		}
	}
	return ErrRefused
}

// countedBallot is the id of the voter's counted ballot of sequence number
// seq, "" for 0.
func countedBallot(tx store.Tx, assemblyID string, seq uint64) (string, error) {
	if seq == 0 {
		return "", nil
	}
	var br struct {
		ID string `json:"id"`
	}
	_, err := store.GetJSON(tx, store.Ballots, ballotKey(assemblyID, seq), &br)
	return br.ID, err
}

// refusalCode is the stored code of a refusal's sentinel.
func refusalCode(reason error) string {
	for code, e := range refusalCodes {
		if e == reason {
			return code
		}
	}
	return ""
}

// ErrRefused matches every refusal.
var ErrRefused = errors.New("ballot refused")

// Refusal is a refused ballot's error: it matches ErrRefused and the
// specific reason under errors.Is.
type Refusal struct {
	Reason error
	// Detail is the stored reason text: the reason and its particulars.
	Detail   string
	BallotID string
	Seq      uint64
	// Counted is, for ErrAlreadyVoted, the id of the ballot that counts
	// for the voter (GetBallotReceipt takes it).
	Counted string
	// Waiting is, for ErrVoterWaiting, the id of the voter's ballot that
	// waits for its check, while it waits.
	Waiting string
	// Received is set on the refusal of a ballot sent again: when it was
	// first received and refused (the answer is that one's, replayed).
	Received time.Time
	// ZH, when set, is a sentence in Chinese about this very refusal, to be
	// sent in place of its reason's general one (a replay whose cause has
	// gone, while voting is open).
	ZH string
}

func (e *Refusal) Error() string {
	if !e.Received.IsZero() {
		return fmt.Sprintf("ballot %s was refused when first received (%s): %s", short(e.BallotID), audit.FormatChinaTime(e.Received), e.Detail)
	}
	return fmt.Sprintf("ballot %s refused: %s", short(e.BallotID), e.Detail)
}

// Unwrap returns ErrRefused and the reason.
func (e *Refusal) Unwrap() []error { return []error{ErrRefused, e.Reason} }

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// BallotStatus is what became of a ballot.
type BallotStatus string

// The statuses.
const (
	Accepted   BallotStatus = "ACCEPTED"
	Pending    BallotStatus = "PENDING_CONFIRMATION"
	Superseded BallotStatus = "SUPERSEDED"
	Refused    BallotStatus = "REFUSED"
)

// BallotRecord is a stored ballot with its outcome.
type BallotRecord struct {
	Seq     uint64         `json:"seq"`
	ID      string         `json:"id"`
	Voter   string         `json:"voter"`
	Channel ballot.Channel `json:"channel"`
	KeyID   string         `json:"key_id"`
	// Canonical and Signature are kept once, in the ballot's log entry;
	// getBallot fills them in.
	Canonical []byte       `json:"-"`
	Signature []byte       `json:"-"`
	Status    BallotStatus `json:"status"`
	// Reason is the refusal reason, or why a ballot was superseded;
	// ReasonCode names a refusal's sentinel (see refusalCodes).
	Reason      string    `json:"reason,omitempty"`
	ReasonCode  string    `json:"reason_code,omitempty"`
	Received    time.Time `json:"received"`
	SubmittedBy string    `json:"submitted_by"`
	// ConfirmedBy and ConfirmedAt are the second staff member's token and
	// time, whether the check confirmed or rejected the ballot.
	ConfirmedBy  string    `json:"confirmed_by,omitempty"`
	ConfirmedAt  time.Time `json:"confirmed_at,omitzero"`
	SupersededBy uint64    `json:"superseded_by,omitempty"`
	// LogIndex is the index of the ballot's BALLOT log entry;
	// ConfirmLogIndex that of its confirmation or rejection, if any.
	LogIndex        uint64 `json:"log_index"`
	ConfirmLogIndex uint64 `json:"confirm_log_index,omitempty"`
}

// Submission is a ballot as received.
type Submission struct {
	// Community, when set, must be the assembly's community.
	Community string
	Assembly  string
	Canonical []byte
	Signature []byte
	// By is the submitting token's id, for the record.
	By string
}

// Outcome is an accepted or pending ballot's answer.
type Outcome struct {
	Record BallotRecord
	// Receipt and its signature, for a counted ballot; nil while pending.
	Receipt          *ballot.Receipt
	ReceiptCanonical []byte
	ReceiptSignature []byte
	// Replayed is true when this exact ballot had been submitted before.
	Replayed bool
	// LogEntry is the log entry that records the ballot's outcome (its
	// confirmation for a maker-checker ballot), at LogIndex; InclusionProof
	// proves it is in the log of LogSize entries that Checkpoint signs.
	LogEntry       []byte
	LogIndex       uint64
	LogSize        uint64
	Checkpoint     []byte
	InclusionProof [][]byte
}

// signerKey finds the public key a ballot claims to be signed with. It
// fails only when no such key is on record (the ballot is then not stored:
// anyone can send bytes, and only authentic ballots are kept).
func (r *Registry) signerKey(tx store.Tx, a *Assembly, b *ballot.Ballot) (ed25519.PublicKey, audit.KeyEntry, error) {
	var ke audit.KeyEntry
	err := func() error {
		switch b.Signer {
		case ballot.SignerOwner:
			k, err := roll.OwnerKeyTx(tx, a.CommunityID, b.Voter, b.KeyID)
			if err != nil {
				return fmt.Errorf("%w: %s is not a registered key of voter %s", ErrUnknownSignerKey, b.KeyID, b.Voter)
			}
			ke = audit.KeyEntry{KeyID: k.ID, PublicKey: k.PublicKey, Role: string(ballot.SignerOwner), Holder: k.OwnerID, Community: a.CommunityID, Registered: k.Created}
		case ballot.SignerPlatform, ballot.SignerStaff:
			s, err := r.signers.view(tx, b.KeyID)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrUnknownSignerKey, b.KeyID)
			}
			role := map[SignerKind]string{PlatformSigner: string(ballot.SignerPlatform), StaffSigner: string(ballot.SignerStaff), CommitteeSigner: "COMMITTEE"}[s.Kind]
			ke = audit.KeyEntry{KeyID: s.KeyID, PublicKey: s.PublicKey, Role: role, Holder: s.ID, Community: s.CommunityID, Registered: s.Created}
		case ballot.SignerProxy:
			p, ok, err := proxyOf(tx, a.ID, b.Voter, b.KeyID)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: no proxy authorisation for voter %s with key %s", ErrUnknownSignerKey, b.Voter, b.KeyID)
			}
			ke = audit.KeyEntry{KeyID: p.HolderKeyID, PublicKey: p.HolderPublicKey, Role: string(ballot.SignerProxy), Holder: p.Voter, Registered: p.Recorded}
		default:
			return fmt.Errorf("%w: unknown signer %q", ErrMalformedBallot, b.Signer)
		}
		return nil
	}()
	return ke.PublicKey, ke, err
}

// verifyBallot checks b's key id and signature (ballot.VerifyParsed), with
// the signer's prepared key where it is a PLATFORM or STAFF key.
func (r *Registry) verifyBallot(b *ballot.Ballot, s Submission, pub ed25519.PublicKey) error {
	if b.Signer == ballot.SignerPlatform || b.Signer == ballot.SignerStaff {
		if k := r.prepared.get(pub); k != nil {
			return k.VerifyParsed(b, s.Canonical, s.Signature)
		}
	}
	return ballot.VerifyParsed(b, s.Canonical, s.Signature, pub)
}

// Submit takes a signed ballot through intake. The signature is checked
// first, outside any write; then one group-committed transaction decides
// the ballot's fate and stores it, fsynced before Submit returns. A refused
// ballot is stored too and returned as a *Refusal. Resubmitting the same
// bytes returns the first answer again and counts nothing twice.
func (r *Registry) Submit(ctx context.Context, s Submission) (Outcome, error) {
	b, err := ballot.Parse(s.Canonical)
	if err != nil {
		return Outcome{}, unstored(s.Canonical, fmt.Errorf("%w: %v", ErrMalformedBallot, err))
	}
	if b.Assembly != s.Assembly {
		return Outcome{}, unstored(s.Canonical, fmt.Errorf("%w: the ballot is for assembly %q, submitted to %q", ErrWrongAssembly, b.Assembly, s.Assembly))
	}
	var pub ed25519.PublicKey
	var keyEntry audit.KeyEntry
	err = r.st.View(ctx, func(tx store.Tx) error {
		rec, err := r.records.view(tx, s.Assembly)
		if s.Community != "" && (errors.Is(err, ErrNotFound) || err == nil && rec.CommunityID != s.Community) {
			// As for a request naming another community's assembly.
			return fmt.Errorf("%w: assembly %q in community %q", ErrNotFound, s.Assembly, s.Community)
		}
		if err != nil {
			return err
		}
		pub, keyEntry, err = r.signerKey(tx, &rec.Assembly, b)
		return err
	})
	if errors.Is(err, ErrUnknownSignerKey) || errors.Is(err, ErrMalformedBallot) {
		return Outcome{}, unstored(s.Canonical, err)
	}
	if err != nil {
		return Outcome{}, err
	}
	if err := r.verifyBallot(b, s, pub); err != nil {
		return Outcome{}, unstored(s.Canonical, fmt.Errorf("%w: %v", ErrBadSignature, err))
	}
	id := ballot.ID(s.Canonical)
	p := &pendingBallot{s: s, b: b, id: id, key: keyEntry, noteErr: ballot.NoteHoldsNumber(b), done: make(chan struct{})}
	r.enqueue(p)
	<-p.done
	if p.err != nil {
		return Outcome{}, p.err
	}
	out := p.out
	if !out.Replayed && out.Record.ID != "" {
		r.notify(s.Assembly)
	}
	if p.refusal != nil {
		return out, p.refusal
	}
	if err := r.finishOutcome(ctx, &out, s.Assembly, p.seen); err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// unstored is the refusal of a ballot refused before the intake's writer,
// which stores it not: it names the ballot by the id of its bytes, as a
// stored refusal does, so that the sender can match the answer to what it
// sent.
func unstored(canonical []byte, reason error) error {
	if len(canonical) == 0 {
		return reason
	}
	return &Refusal{Reason: reason, Detail: reason.Error() + "; the ballot was not stored", BallotID: ballot.ID(canonical)}
}

// pendingBallot is a verified ballot waiting for the intake's group
// commit.
type pendingBallot struct {
	s   Submission
	b   *ballot.Ballot
	id  string
	key audit.KeyEntry
	// noteErr is why the note may not be stored (ballot.NoteHoldsNumber),
	// found before the writer: a new ballot with it is refused unstored.
	noteErr error

	out     Outcome
	refusal *Refusal
	err     error
	done    chan struct{}
	// seen is the ballot's log as its group committed it, to prove the
	// ballot's entry without reading the store.
	seen *seenLog
}

// MaxGroup bounds the ballots of one intake transaction (bench's ceiling
// batches its records up to the same bound).
const MaxGroup = 256

// enqueue hands a ballot to the group commit. Ballots that arrive while a
// transaction commits wait and go together into the next one: one
// transaction and one fsync for all of them, one checkpoint per assembly.
// The goroutine that finds nobody committing commits; when it is done and
// more ballots wait, a new goroutine takes over, so that no submitter waits
// for more than its own group.
func (r *Registry) enqueue(p *pendingBallot) {
	r.qmu.Lock()
	r.queue = append(r.queue, p)
	lead := !r.committing
	r.committing = true
	r.qmu.Unlock()
	if lead {
		r.commitQueued()
	}
}

func (r *Registry) commitQueued() {
	r.qmu.Lock()
	n := min(len(r.queue), MaxGroup)
	group := r.queue[:n:n]
	r.queue = r.queue[n:]
	r.qmu.Unlock()

	// The next group may be decided while this one is fsynced (see
	// store.Bolt.UpdateThen): the leader hands over as soon as the store
	// allows, and at the latest when its group is done.
	var once sync.Once
	handOver := func() {
		once.Do(func() {
			r.qmu.Lock()
			if len(r.queue) == 0 {
				r.committing = false
				r.qmu.Unlock()
				return
			}
			r.qmu.Unlock()
			go r.commitQueued()
		})
	}
	r.commitGroup(group, handOver)
	handOver()
}

// pipeliner is a store whose Update can let the next one begin before its
// writes are durable (store.Bolt).
type pipeliner interface {
	UpdateThen(ctx context.Context, fn func(store.Tx) error, then func(written bool)) error
}

// txAssembly caches one assembly's state inside an intake transaction.
type txAssembly struct {
	rec *record
	// ls is its log's stored state as the group found it; now the
	// group's time for this assembly (logClock), or clockErr why there is
	// none.
	ls       logState
	now      time.Time
	clockErr error
	p        *progressRecord
	lw       *logWriter
	dirty    bool
}

// commitGroup decides and stores a group of ballots in one transaction,
// then wakes their submitters. A storage failure fails the whole group:
// nothing of it is kept.
func (r *Registry) commitGroup(group []*pendingBallot, handOver func()) {
	defer func() {
		// A panic must not leave submitters waiting forever: they get an
		// error (nothing of the group was committed), and the panic goes on.
		if p := recover(); p != nil {
			for _, b := range group {
				b.err, b.out, b.refusal = fmt.Errorf("assembly: intake failed: %v", p), Outcome{}, nil
				close(b.done)
			}
			r.qmu.Lock()
			r.committing = false
			r.qmu.Unlock()
			panic(p)
		}
	}()
	now := r.now().UTC()
	var cache map[string]*txAssembly
	// Once the group's record is written, its trees are what the next
	// group reads (as it may begin before the record is durable; if the
	// fsync fails, the store takes no more writes).
	then := func(written bool) {
		if written {
			for id, c := range cache {
				if c.lw != nil {
					r.rememberTree(id, c.lw.st.Tree)
				}
			}
		}
		handOver()
	}
	update := func(ctx context.Context, fn func(store.Tx) error) error {
		if p, ok := r.st.(pipeliner); ok {
			return p.UpdateThen(ctx, fn, then)
		}
		err := r.st.Update(ctx, fn)
		then(err == nil)
		return err
	}
	err := update(context.Background(), func(tx store.Tx) error {
		cache = map[string]*txAssembly{}
		for _, p := range group {
			p.out, p.refusal = Outcome{}, nil
			if err := r.decide(tx, cache, p, now); err != nil {
				return err
			}
		}
		for id, c := range cache {
			if !c.dirty {
				continue
			}
			if err := r.progress.put(tx, id, c.p); err != nil {
				return err
			}
			if err := c.lw.finish(); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, p := range group {
			if c := cache[p.s.Assembly]; c != nil && c.lw != nil && !p.out.Replayed {
				p.seen = c.lw.seen
			}
		}
	}
	for _, p := range group {
		if err != nil {
			p.err, p.out, p.refusal = err, Outcome{}, nil
		}
		close(p.done)
	}
}

// decide applies the intake rules to one ballot inside the group's
// transaction and stores it with its outcome.
func (r *Registry) decide(tx store.Tx, cache map[string]*txAssembly, p *pendingBallot, now time.Time) error {
	s, b, id := p.s, p.b, p.id
	c := cache[s.Assembly]
	if c == nil {
		rec, err := r.records.view(tx, s.Assembly)
		if err != nil {
			return err
		}
		ls, err := getLogState(tx, s.Assembly)
		if err != nil {
			return err
		}
		at, err := r.logClockOf(tx, s.Assembly, ls, now)
		if err != nil && !errors.Is(err, ErrClockBehind) {
			return err
		}
		c = &txAssembly{rec: rec, ls: ls, now: at, clockErr: err}
		cache[s.Assembly] = c
	}
	// One time for the assembly's decisions and entries in this group.
	rec, now := c.rec, c.now
	if raw := tx.Get(store.BallotIDs, store.Key(s.Assembly, id)); raw != nil {
		br, err := getBallot(tx, s.Assembly, binary.BigEndian.Uint64(raw))
		if err != nil {
			return err
		}
		p.out.Record, p.out.Replayed = br, true
		if br.Status == Refused {
			p.refusal = &Refusal{Reason: RefusalOf(&br), Detail: br.Reason, BallotID: id, Seq: br.Seq, Received: br.Received}
			if p.refusal.Reason == ErrAlreadyVoted || p.refusal.Reason == ErrVoterWaiting {
				var vr voterRecord
				if _, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(s.Assembly, br.Voter), &vr); err != nil {
					return err
				}
				if p.refusal.Counted, err = countedBallot(tx, s.Assembly, vr.Counted); err != nil {
					return err
				}
				if p.refusal.Reason == ErrVoterWaiting && len(vr.Waiting) == 0 && vr.Counted == 0 && rec.StateAt(now) == Open {
					p.refusal.Detail += "; that ballot has since been settled without counting: a new ballot may be taken"
					p.refusal.ZH = "本票当时因该业主另有一张选票待复核而不计入；那张选票已复核完毕且未计入，可以重新录入（作为新的选票）"
				}
				// The waiting ballot while it waits; once confirmed, the
				// replay names it as the one that counts.
				if p.refusal.Reason == ErrVoterWaiting {
					w, _, err := vr.firstWaiting(tx, s.Assembly)
					if err != nil {
						return err
					}
					p.refusal.Waiting = w.ID
				}
			}
			if p.refusal.Reason == ErrPaperReused && rec.StateAt(now) == Open {
				still, _, err := paperHeld(tx, &rec.Assembly, b)
				if err != nil {
					return err
				}
				if still == nil {
					p.refusal.Detail += "; the ballot that held the sheet has since been refused: the sheet may be entered again, as a new ballot"
					p.refusal.ZH = "本票当时因这张纸质表决票已为另一户录入而不计入；那次录入现已不计入，这张表决票可以重新录入（作为新的选票）"
				}
			}
		}
		return nil
	}
	if p.noteErr != nil {
		// Never stored, as the log would keep the number for good (a
		// ballot stored before this rule got its first answer above).
		p.refusal = &Refusal{Reason: ErrMalformedBallot, Detail: fmt.Sprintf("%v: %v; the ballot was not stored", ErrMalformedBallot, p.noteErr), BallotID: id}
		return nil
	}
	if namesItsOwner(tx, rec.CommunityID, b) {
		// Nor a note naming the owner (业主张三本人接听): publications
		// never name owners, and the log keeps the note for good.
		p.refusal = &Refusal{Reason: ErrMalformedBallot, BallotID: id,
			Detail: fmt.Sprintf("%v: attestation.note names the owner by their name on the roll, and the log is public: write the unit's number instead; the ballot was not stored", ErrMalformedBallot),
			ZH:     "走访或电话说明会随选票公开，不能写业主姓名（可写房号）；本票未保存，请修改说明后重新签名提交"}
		return nil
	}
	switch st := rec.StateAt(now); st {
	case Open:
	case Draft:
		p.refusal = &Refusal{Reason: ErrNotOpen, Detail: fmt.Sprintf("%v: assembly is a DRAFT; the ballot was not stored", ErrNotOpen), BallotID: id}
		return nil
	case Published:
		// Not stored either: the same bytes count when sent again once
		// voting opens (a ballot's time may be up to audit.ClockSkew before
		// the opening), which a stored refusal, replayed, would prevent.
		p.refusal = &Refusal{Reason: ErrNotOpen, BallotID: id,
			Detail: fmt.Sprintf("%v: voting opens %s; the ballot was not stored: send it again once voting opens", ErrNotOpen, audit.FormatChinaTime(rec.Opens))}
		return nil
	default:
		// The log of a closed assembly takes no more ballots.
		p.refusal = &Refusal{Reason: ErrVotingClosed, Detail: fmt.Sprintf("%v: assembly is %s; the ballot was not stored", ErrVotingClosed, st), BallotID: id}
		return nil
	}
	// (Refusals that write nothing are answered whatever the clock.)
	if c.clockErr != nil {
		p.err = c.clockErr // nothing of this assembly is written (the others' are)
		return nil
	}
	if c.p == nil {
		p, err := r.progress.get(tx, &rec.Assembly)
		if err != nil {
			return err
		}
		c.p = p
		lw, err := r.logWriterOf(tx, s.Assembly, c.ls, now)
		if err != nil {
			return err
		}
		lw.seen = newSeenLog(lw.st.Tree) // the receipts' proofs come from it
		c.lw = lw
	}
	prog, lw := c.p, c.lw
	c.dirty = true
	if err := lw.logKey(p.key); err != nil {
		return err
	}
	br := BallotRecord{Seq: prog.NextSeq, ID: id, Voter: b.Voter, Channel: b.Channel, KeyID: b.KeyID,
		Canonical: s.Canonical, Signature: s.Signature, Received: now, SubmittedBy: s.By}
	prog.NextSeq++
	vr, reason, detail, err := r.admissible(tx, &rec.Assembly, b, s.By, now)
	if err != nil {
		return err
	}
	var waiting BallotRecord
	if reason == nil && len(vr.Waiting) > 0 && !rec.Settings.AllowRevote && b.Channel.StaffTaken() {
		// Where votes may not be changed, another ballot taken by staff
		// while one waits for its check would make the order of the
		// checks decide which counts: it is refused. The voter's own
		// ballot (ONLINE, PLATFORM, or through their proxy) is taken and
		// counts, and the waiting one is refused at its check
		// (ALREADY_VOTED): an unchecked entry by staff does not keep an
		// owner from voting.
		if waiting, _, err = vr.firstWaiting(tx, s.Assembly); err != nil {
			return err
		}
		reason, detail = ErrVoterWaiting, waitingDetail(&waiting, b.Voter)
	}
	switch {
	case reason != nil:
		br.Status, br.Reason, br.ReasonCode = Refused, reasonText(reason, detail), refusalCode(reason)
		prog.Refused++
		p.refusal = &Refusal{Reason: reason, Detail: br.Reason, BallotID: id, Seq: br.Seq, Waiting: waiting.ID}
		if reason == ErrAlreadyVoted {
			if p.refusal.Counted, err = countedBallot(tx, s.Assembly, vr.Counted); err != nil {
				return err
			}
		}
	case rec.Settings.MakerChecker && b.Channel.StaffTaken():
		br.Status = Pending
		prog.Pending++
		vr.Waiting = append(vr.Waiting, br.Seq)
		if err := store.PutJSON(tx, store.AssemblyVoters, store.Key(s.Assembly, b.Voter), vr); err != nil {
			return err
		}
	default:
		br.Status = Accepted
	}
	br.LogIndex, err = lw.add(audit.Entry{Kind: audit.KindBallot, Ballot: &audit.BallotEntry{Seq: br.Seq, ID: id, Ballot: s.Canonical,
		Signature: s.Signature, Status: string(br.Status), Reason: br.Reason, SubmittedBy: s.By}})
	if err != nil {
		return err
	}
	if br.Status == Accepted {
		if err := r.count(tx, lw, &rec.Assembly, prog, vr, b, &br, s.By); err != nil {
			return err
		}
	}
	if br.Status != Refused {
		if err := indexPaper(tx, &rec.Assembly, b, br.Seq); err != nil {
			return err
		}
	}
	if err := putBallot(tx, s.Assembly, &br); err != nil {
		return err
	}
	p.out.Record = br
	return nil
}

// namesItsOwner reports whether a staff ballot's note names its voter by
// their name on the roll (roll.NamesOwner; the console's hint asks for no
// name at all).
func namesItsOwner(tx store.Tx, communityID string, b *ballot.Ballot) bool {
	if b.Attestation == nil || b.Attestation.Note == "" {
		return false
	}
	name, err := roll.OwnerNameTx(tx, communityID, b.Voter)
	return err == nil && roll.NamesOwner(b.Attestation.Note, name)
}

// waitingDetail is ErrVoterWaiting's particulars: the voter's ballot w
// waits for its check.
func waitingDetail(w *BallotRecord, voter string) string {
	return fmt.Sprintf("ballot %d (%s) of %s, a %s ballot, waits for its check: it decides among the ballots staff take; if it is rejected, staff may take a new one (the voter's own ballot, online, through the platform or a proxy, is taken meanwhile and counts)",
		w.Seq, w.ID, voter, w.Channel)
}

// finishOutcome signs the receipt of a counted ballot and adds the log
// entry's inclusion proof against the latest checkpoint, or against the
// log as the ballot's group left it (seen, when not nil).
func (r *Registry) finishOutcome(ctx context.Context, out *Outcome, assemblyID string, seen *seenLog) error {
	// Only a ballot that counts gets a signed receipt: a superseded one
	// shows its status, and its log entries tell what became of it.
	if out.Record.Status == Accepted {
		if err := r.sign(out, assemblyID); err != nil {
			return err
		}
	}
	if seen != nil {
		idx := out.Record.LogIndex
		p, err := audit.InclusionProof(idx, seen.tree.Size, seen.fetch)
		if err != nil {
			return err
		}
		root, err := seen.rootHash()
		if err != nil {
			return err
		}
		out.LogIndex, out.LogSize, out.InclusionProof, out.LogEntry = idx, seen.tree.Size, p, seen.entries[idx]
		out.Checkpoint, err = r.signCheckpoint(assemblyID, out.LogSize, root)
		return err
	}
	var root []byte
	err := r.st.View(ctx, func(tx store.Tx) error {
		st, err := r.logState(tx, assemblyID)
		if err != nil {
			return err
		}
		idx := out.Record.LogIndex
		if out.Record.ConfirmLogIndex != 0 {
			idx = out.Record.ConfirmLogIndex
		}
		p, err := audit.InclusionProof(idx, st.Tree.Size, fetcher(tx, assemblyID))
		if err != nil {
			return err
		}
		if root, err = st.Tree.Root(); err != nil {
			return err
		}
		out.LogIndex, out.LogSize, out.InclusionProof = idx, st.Tree.Size, p
		out.LogEntry = append([]byte(nil), tx.Get(store.LogEntries, seqKey(assemblyID, idx))...)
		return nil
	})
	if err != nil {
		return err
	}
	out.Checkpoint, err = r.signCheckpoint(assemblyID, out.LogSize, root)
	return err
}

// admissible checks a ballot (check) and then the one-ballot rule
// (voterRecord.another): why it does not count, if it does not.
func (r *Registry) admissible(tx store.Tx, a *Assembly, b *ballot.Ballot, by string, now time.Time) (vr *voterRecord, reason error, detail string, err error) {
	vr, reason, detail, err = r.check(tx, a, b, by, now)
	if err == nil && reason == nil {
		reason, detail, err = vr.another(tx, a, b.Voter)
	}
	if err == nil && reason == nil {
		reason, detail, err = paperHeld(tx, a, b)
	}
	return vr, reason, detail, err
}

// check applies every intake rule but the one-ballot rule and returns the
// voter's record. A broken rule is returned as reason (with detail); err is
// for storage failures only.
func (r *Registry) check(tx store.Tx, a *Assembly, b *ballot.Ballot, by string, now time.Time) (vr *voterRecord, reason error, detail string, err error) {
	switch st := a.StateAt(now); st {
	case Open:
	case Draft, Published:
		return nil, ErrNotOpen, fmt.Sprintf("assembly is %s; voting opens %s", st, audit.FormatChinaTime(a.Opens)), nil
	default:
		return nil, ErrVotingClosed, fmt.Sprintf("assembly is %s", st), nil
	}
	if !a.Accepts(b.Channel) {
		return nil, ErrChannelNotAccepted, fmt.Sprintf("%s is not among %v", b.Channel, a.Channels), nil
	}
	if b.RollDigest != a.RollDigest {
		return nil, ErrRollMismatch, "", nil
	}
	if p := audit.FutureProblem(b, now, audit.Rules); p != "" {
		return nil, ErrFutureBallot, p, nil
	}
	if p := audit.BallotTimeProblem(b, a.Opens); p != "" {
		return nil, ErrEarlyBallot, p, nil
	}
	vr = &voterRecord{}
	ok, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(a.ID, b.Voter), vr)
	if err != nil {
		return nil, nil, "", err
	}
	if !ok {
		if tx.Get(store.Owners, store.Key(a.CommunityID, b.Voter)) != nil {
			// An owner of record who is no voter: a co-owner other than the
			// unit's representative, most often.
			return nil, ErrNotOnRoll, b.Voter + " is an owner of record but votes for no unit of the frozen roll (a co-owned unit votes through its representative, the unit's voter_owner_id; " +
				"a unit sold during the vote keeps its ballot, or goes to its buyer once the sale is recorded)", nil
		}
		return nil, ErrNotOnRoll, b.Voter, nil
	}
	if reason, detail, err := r.checkSigner(tx, a, b, by); reason != nil || err != nil {
		return nil, reason, detail, err
	}
	if reason, detail := checkChoices(a, b); reason != nil {
		return nil, reason, detail, nil
	}
	return vr, nil, "", nil
}

// checkSigner checks the signer's right to sign for the voter on this
// channel, now, in a ballot submitted through the token by.
func (r *Registry) checkSigner(tx store.Tx, a *Assembly, b *ballot.Ballot, by string) (error, string, error) {
	switch b.Signer {
	case ballot.SignerOwner:
		k, err := roll.OwnerKeyTx(tx, a.CommunityID, b.Voter, b.KeyID)
		if err != nil {
			return ErrNoRight, "key is not the voter's", nil
		}
		if !k.Active() {
			return ErrKeyRevoked, fmt.Sprintf("owner key %s revoked %s", b.KeyID, audit.FormatChinaTime(k.Revoked)), nil
		}
	case ballot.SignerPlatform, ballot.SignerStaff:
		s, err := r.signers.view(tx, b.KeyID)
		if err != nil {
			return ErrNoRight, "signer not registered", nil
		}
		want := PlatformSigner
		if b.Signer == ballot.SignerStaff {
			want = StaffSigner
		}
		switch {
		case s.Kind != want:
			return ErrNoRight, fmt.Sprintf("key %s belongs to a %s signer, not %s", b.KeyID, s.Kind, want), nil
		case s.Pending && s.Revoked.IsZero():
			return ErrNoRight, fmt.Sprintf("signer key %s of %s waits for an admin's approval", b.KeyID, s.ID), nil
		case !s.Active():
			return ErrKeyRevoked, fmt.Sprintf("signer key %s revoked %s", b.KeyID, audit.FormatChinaTime(s.Revoked)), nil
		case !s.InScope(a.CommunityID):
			return ErrNoRight, fmt.Sprintf("signer %s acts in community %s only", s.ID, s.CommunityID), nil
		case b.Signer == ballot.SignerStaff && b.Attestation.StaffID != s.ID:
			return ErrNoRight, fmt.Sprintf("attestation names staff %s but the key is %s's", b.Attestation.StaffID, s.ID), nil
		case !s.UsableBy(by):
			return ErrNotYourKey, fmt.Sprintf("signer key %s of %s", b.KeyID, s.ID), nil
		}
	case ballot.SignerProxy:
		p, ok, err := proxyOf(tx, a.ID, b.Voter, b.KeyID)
		if err != nil {
			return nil, "", err
		}
		switch {
		case !ok:
			return ErrNoRight, "no proxy authorisation on record for this holder", nil
		case !p.Revoked.IsZero():
			return ErrKeyRevoked, "proxy authorisation withdrawn", nil
		case p.DocumentSHA256 != b.ProxyAuthorization:
			return ErrNoRight, "the ballot names another authorisation document than the one on record", nil
		}
	}
	return nil, "", nil
}

// checkChoices checks every choice against the published agenda; a ballot
// carries a choice (ABSTAIN at least) for every motion, since it is the
// voter's one counted ballot.
func checkChoices(a *Assembly, b *ballot.Ballot) (error, string) {
	if len(b.Choices) < len(a.Motions) {
		for _, m := range a.Motions {
			if !slices.ContainsFunc(b.Choices, func(c ballot.Choice) bool { return c.Motion == m.ID }) {
				return ErrBadChoice, fmt.Sprintf("no choice on motion %s: a ballot covers every motion (ABSTAIN where the owner does not choose)", m.ID)
			}
		}
	}
	for _, c := range b.Choices {
		m, ok := a.Motion(c.Motion)
		if !ok {
			return ErrNotOnAgenda, fmt.Sprintf("motion %q", c.Motion)
		}
		if len(c.Values) == 1 && c.Values[0] == string(tally.Invalid) && b.Channel != ballot.Paper && a.Rules >= audit.PaperRules {
			return ErrBadChoice, fmt.Sprintf("motion %s: INVALID is for a returned paper ballot (it cannot be read for the motion), not a %s ballot; an owner who does not choose abstains (ABSTAIN)", m.ID, b.Channel)
		}
		if len(c.Values) == 1 && (c.Values[0] == string(tally.Abstain) || c.Values[0] == string(tally.Invalid)) {
			continue
		}
		if len(m.Options) == 0 {
			if len(c.Values) != 1 || (c.Values[0] != string(tally.Agree) && c.Values[0] != string(tally.Oppose)) {
				return ErrBadChoice, fmt.Sprintf("motion %s takes one of AGREE, OPPOSE, ABSTAIN, INVALID; got %s", m.ID, strings.Join(c.Values, ","))
			}
			continue
		}
		maxMarks := 1
		if m.Seats > 0 {
			maxMarks = m.Seats
		}
		if len(c.Values) > maxMarks {
			return ErrBadChoice, fmt.Sprintf("motion %s takes at most %d candidates; got %d", m.ID, maxMarks, len(c.Values))
		}
		for _, v := range c.Values {
			if !slices.ContainsFunc(m.Options, func(o Option) bool { return o.ID == v }) {
				return ErrBadChoice, fmt.Sprintf("motion %s has no candidate %q", m.ID, v)
			}
		}
	}
	return nil, ""
}

// count makes br the voter's counted ballot, superseding (and logging the
// supersession of) an earlier one.
func (r *Registry) count(tx store.Tx, lw *logWriter, a *Assembly, p *progressRecord, vr *voterRecord, b *ballot.Ballot, br *BallotRecord, by string) error {
	if vr.Counted != 0 {
		old, err := getBallot(tx, a.ID, vr.Counted)
		if err != nil {
			return err
		}
		ob, err := ballot.Parse(old.Canonical)
		if err != nil {
			return fmt.Errorf("assembly: stored ballot %d unreadable: %w", old.Seq, err)
		}
		p.apply(ob, vr.Figures, old.Received, -1)
		old.Status, old.SupersededBy, old.Reason = Superseded, br.Seq, fmt.Sprintf("superseded by ballot %d", br.Seq)
		p.Superseded++
		if _, err := lw.add(audit.Entry{Kind: audit.KindStatus, Status: &audit.StatusEntry{Seq: old.Seq, ID: old.ID, Status: string(Superseded), Reason: old.Reason, By: by}}); err != nil {
			return err
		}
		if err := putBallot(tx, a.ID, &old); err != nil {
			return err
		}
	}
	p.apply(b, vr.Figures, br.Received, +1)
	vr.Counted = br.Seq
	return store.PutJSON(tx, store.AssemblyVoters, store.Key(a.ID, b.Voter), vr)
}

func (r *Registry) sign(out *Outcome, assemblyID string) error {
	rc := &ballot.Receipt{BallotID: out.Record.ID, Assembly: assemblyID, Seq: out.Record.Seq, Status: "ACCEPTED",
		Received: out.Record.Received.Truncate(time.Millisecond), ServerKeyID: r.receiptID}
	if !out.Record.ConfirmedAt.IsZero() {
		rc.Received = out.Record.ConfirmedAt.Truncate(time.Millisecond)
	}
	c, sig, err := ballot.SignReceipt(rc, r.receiptKey)
	if err != nil {
		return err
	}
	out.Receipt, out.ReceiptCanonical, out.ReceiptSignature = rc, c, sig
	return nil
}

func reasonText(reason error, detail string) string {
	if detail == "" {
		return reason.Error()
	}
	return reason.Error() + ": " + detail
}

func getBallot(tx store.Tx, assemblyID string, seq uint64) (BallotRecord, error) {
	var br BallotRecord
	ok, err := store.GetJSON(tx, store.Ballots, ballotKey(assemblyID, seq), &br)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s #%d", ErrBallotNotFound, assemblyID, seq)
	}
	if err != nil {
		return br, err
	}
	return br, fillBallot(tx, assemblyID, &br)
}

// fillBallot reads a ballot's bytes and signature from its log entry.
func fillBallot(tx store.Tx, assemblyID string, br *BallotRecord) error {
	raw := tx.Get(store.LogEntries, seqKey(assemblyID, br.LogIndex))
	if raw == nil {
		return fmt.Errorf("assembly: log entry %d of ballot %d of %s missing", br.LogIndex, br.Seq, assemblyID)
	}
	var e struct {
		Ballot *audit.BallotEntry `json:"ballot"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Ballot == nil || e.Ballot.Seq != br.Seq {
		return fmt.Errorf("assembly: log entry %d is not ballot %d of %s", br.LogIndex, br.Seq, assemblyID)
	}
	br.Canonical, br.Signature = e.Ballot.Ballot, e.Ballot.Signature
	return nil
}

func ballotKey(assemblyID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(store.Prefix(assemblyID), seq)
}

func putBallot(tx store.Tx, assemblyID string, br *BallotRecord) error {
	if err := store.PutJSON(tx, store.Ballots, ballotKey(assemblyID, br.Seq), br); err != nil {
		return err
	}
	return tx.Put(store.BallotIDs, store.Key(assemblyID, br.ID), binary.BigEndian.AppendUint64(nil, br.Seq))
}

// Confirmation is a second staff member's signed confirmation of a pending
// ballot: their STAFF key and its signature of audit.ConfirmationStatement
// (or, for a rejection, of audit.RejectionStatement).
type Confirmation struct {
	KeyID     string
	Signature []byte
	// By is the confirming token's id.
	By string
}

// ErrRejectedAtCheck: the second staff member's check of a phone, visit or paper
// ballot found it wrong (Reject).
var ErrRejectedAtCheck = errors.New("the second staff member's check found the ballot wrong")

// Confirm counts a phone, visit or paper ballot that waits for a second staff
// member (maker-checker). The confirmation is signed with the confirming
// staff member's own key: another person than the one whose attestation the
// ballot carries, through another token than the one that submitted it.
func (r *Registry) Confirm(ctx context.Context, assemblyID, ballotID string, c Confirmation) (Outcome, error) {
	return r.settle(ctx, assemblyID, ballotID, c, nil)
}

// Reject refuses a phone, visit or paper ballot that waits for a second staff
// member, whose check found it wrong (the owner did not vote so, the call
// or visit went otherwise): signed like a confirmation, with the reason in
// the statement (audit.RejectionStatement), logged, and answered with the
// ballot's record and the entry's inclusion proof. The voter may vote
// again. The reason is public: it holds no phone or identity number.
func (r *Registry) Reject(ctx context.Context, assemblyID, ballotID, reason string, c Confirmation) (Outcome, error) {
	switch {
	case !audit.ValidRejectionReason(reason):
		return Outcome{}, l10n.ZH(fmt.Errorf("%w: reason: 1 to 200 characters on one line, without spaces around: what the check found", ErrInvalid), "请填写驳回理由（1至200字、一行，首尾不留空格，将公开记录）")
	case !audit.VisibleText(reason):
		return Outcome{}, l10n.ZH(fmt.Errorf("%w: reason: invisible or direction-changing characters (zero-width spaces, bidi controls) are not allowed: type the reason again", ErrInvalid), "驳回理由含不可见字符或文字方向控制符（常见于复制粘贴），请重新输入")
	case ballot.LongNumber(reason) >= 0:
		return Outcome{}, l10n.ZH(fmt.Errorf("%w: reason: %s", ErrInvalid, ballot.LongNumberRule), "理由"+ballot.LongNumberRuleZH)
	}
	return r.settle(ctx, assemblyID, ballotID, c, &reason)
}

// settle confirms a pending ballot, or rejects it where rejection is not
// nil.
func (r *Registry) settle(ctx context.Context, assemblyID, ballotID string, c Confirmation, rejection *string) (Outcome, error) {
	by := c.By
	if c.KeyID == "" || len(c.Signature) == 0 {
		if rejection != nil {
			return Outcome{}, l10n.ZH(fmt.Errorf("%w: key_id, signature: sign the rejection with your own staff key", ErrInvalid), "请用您本人的工作人员签名密钥对驳回签名")
		}
		return Outcome{}, l10n.ZH(fmt.Errorf("%w: key_id, signature: sign the confirmation with your own staff key", ErrInvalid), "请用您本人的工作人员签名密钥对复核签名")
	}
	var out Outcome
	var refusal *Refusal
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := getRecord(tx, assemblyID)
		if err != nil {
			return err
		}
		raw := tx.Get(store.BallotIDs, store.Key(assemblyID, ballotID))
		if raw == nil {
			return fmt.Errorf("%w: %s in %s", ErrBallotNotFound, ballotID, assemblyID)
		}
		br, err := getBallot(tx, assemblyID, binary.BigEndian.Uint64(raw))
		if err != nil {
			return err
		}
		if br.Status != Pending {
			// The same confirmation or rejection sent again (its answer
			// lost) gets the same answer.
			if same, err := settledWith(tx, assemblyID, &br, c); err != nil || !same {
				if err != nil {
					return err
				}
				zh, why := "该选票已不在待复核状态", ""
				switch {
				case br.ReasonCode == refusalCode(ErrNotConfirmed):
					zh = "投票截止时该选票仍未复核，已按未复核拒收，不能再复核"
				case br.Status == Accepted:
					zh = "该选票已复核计入"
				}
				if br.Reason != "" {
					why = ": " + br.Reason
				}
				return l10n.ZH(fmt.Errorf("%w: ballot %s is %s%s", ErrNotPending, short(ballotID), br.Status, why), zh)
			}
			out.Record, out.Replayed = br, true
			if br.Status == Refused && br.ReasonCode != refusalCode(ErrRejectedAtCheck) {
				refusal = &Refusal{Reason: RefusalOf(&br), Detail: br.Reason, BallotID: ballotID, Seq: br.Seq}
			}
			return nil
		}
		if br.SubmittedBy == by {
			return ErrSameStaff
		}
		// One reading of the clock for the state and the entry's time.
		now, err := r.logClock(tx, assemblyID, r.now().UTC())
		if err != nil {
			return err
		}
		if st := rec.StateAt(now); st != Open {
			return fmt.Errorf("%w: %s is %s; ballots are confirmed or rejected while voting is open", ErrWrongState, assemblyID, st)
		}
		b, err := ballot.Parse(br.Canonical)
		if err != nil {
			return fmt.Errorf("assembly: stored ballot %d unreadable: %w", br.Seq, err)
		}
		statement, bad := audit.ConfirmationStatement(assemblyID, ballotID), ErrBadConfirmation
		if rejection != nil {
			statement, bad = audit.RejectionStatement(assemblyID, ballotID, *rejection), ErrBadRejection
		}
		checker, err := getSigner(tx, c.KeyID)
		switch {
		case errors.Is(err, ErrSignerNotFound):
			return fmt.Errorf("%w: key %s", ErrUnknownSignerKey, c.KeyID)
		case err != nil:
			return err
		case checker.Kind != StaffSigner || !checker.Active() || !checker.InScope(rec.CommunityID):
			return l10n.ZH(fmt.Errorf("%w: key %s is not an active staff key of %s", ErrNoRight, c.KeyID, rec.CommunityID),
				"复核所用的签名密钥不是本小区有效的工作人员密钥（已注销、尚待审批或属于其他小区）")
		case b.Attestation != nil && checker.ID == b.Attestation.StaffID:
			return fmt.Errorf("%w: %s took this ballot", ErrSameStaff, checker.ID)
		case !checker.UsableBy(by):
			return fmt.Errorf("%w: key %s of %s", ErrNotYourKey, c.KeyID, checker.ID)
		case !ed25519.Verify(checker.PublicKey, statement, c.Signature):
			return fmt.Errorf("%w of %s", bad, c.KeyID)
		}
		p, err := getProgress(tx, &rec.Assembly)
		if err != nil {
			return err
		}
		p.Pending--
		if err := unwait(tx, assemblyID, b.Voter, br.Seq); err != nil {
			return err
		}
		lw, err := r.logWriter(tx, assemblyID, now)
		if err != nil {
			return err
		}
		if err := lw.logKey(audit.KeyEntry{KeyID: checker.KeyID, PublicKey: checker.PublicKey, Role: string(ballot.SignerStaff),
			Holder: checker.ID, Community: checker.CommunityID, Registered: checker.Created}); err != nil {
			return err
		}
		br.ConfirmedBy, br.ConfirmedAt = by, now
		if rejection != nil {
			br.Status, br.Reason, br.ReasonCode = Refused, reasonText(ErrRejectedAtCheck, *rejection), refusalCode(ErrRejectedAtCheck)
			p.Refused++
			br.ConfirmLogIndex, err = lw.add(audit.Entry{Kind: audit.KindRejection, Rejection: &audit.RejectionEntry{Seq: br.Seq, ID: br.ID,
				Reason: *rejection, By: by, KeyID: c.KeyID, Signature: c.Signature}})
		} else {
			var vr *voterRecord
			var reason error
			var detail string
			if vr, reason, detail, err = r.admissible(tx, &rec.Assembly, b, br.SubmittedBy, now); err != nil {
				return err
			}
			switch {
			case reason != nil:
				br.Status, br.Reason, br.ReasonCode = Refused, reasonText(reason, detail), refusalCode(reason)
				p.Refused++
				refusal = &Refusal{Reason: reason, Detail: br.Reason, BallotID: ballotID, Seq: br.Seq}
				if reason == ErrAlreadyVoted {
					if refusal.Counted, err = countedBallot(tx, assemblyID, vr.Counted); err != nil {
						return err
					}
				}
			case vr.Counted > br.Seq:
				// The voter cast a later ballot meanwhile: the last one counts.
				br.Status, br.Reason = Superseded, fmt.Sprintf("confirmed after the later ballot %d, which counts", vr.Counted)
				p.Superseded++
			default:
				br.Status = Accepted
			}
			br.ConfirmLogIndex, err = lw.add(audit.Entry{Kind: audit.KindStatus, Status: &audit.StatusEntry{Seq: br.Seq, ID: br.ID, Status: string(br.Status),
				Reason: br.Reason, By: by, KeyID: c.KeyID, Signature: c.Signature}})
			if err == nil && br.Status == Accepted {
				err = r.count(tx, lw, &rec.Assembly, p, vr, b, &br, by)
			}
		}
		if err != nil {
			return err
		}
		if err := putBallot(tx, assemblyID, &br); err != nil {
			return err
		}
		out.Record = br
		if err := putProgress(tx, assemblyID, p); err != nil {
			return err
		}
		return lw.finish()
	})
	if err != nil {
		return Outcome{}, err
	}
	if !out.Replayed {
		r.notify(assemblyID)
	}
	if refusal != nil {
		return out, refusal
	}
	return out, r.finishOutcome(ctx, &out, assemblyID, nil)
}

// settledWith reports whether the ballot was confirmed or rejected with
// c's key and signature, through c's token.
func settledWith(tx store.Tx, assemblyID string, br *BallotRecord, c Confirmation) (bool, error) {
	if br.ConfirmLogIndex == 0 || br.ConfirmedBy != c.By {
		return false, nil
	}
	raw := tx.Get(store.LogEntries, seqKey(assemblyID, br.ConfirmLogIndex))
	if raw == nil {
		return false, fmt.Errorf("assembly: log entry %d of ballot %d of %s missing", br.ConfirmLogIndex, br.Seq, assemblyID)
	}
	e, err := audit.ParseEntry(raw)
	if err != nil {
		return false, err
	}
	switch {
	case e.Status != nil && e.Status.Seq == br.Seq:
		return e.Status.KeyID == c.KeyID && bytes.Equal(e.Status.Signature, c.Signature), nil
	case e.Rejection != nil && e.Rejection.Seq == br.Seq:
		return e.Rejection.KeyID == c.KeyID && bytes.Equal(e.Rejection.Signature, c.Signature), nil
	}
	return false, nil
}

// Ballots lists an assembly's ballots in arrival order after sequence
// number after, at most limit, with their status and reason: refused and
// superseded ones included.
func (r *Registry) Ballots(ctx context.Context, assemblyID string, after uint64, limit int) ([]BallotRecord, error) {
	return r.BallotsIn(ctx, assemblyID, "", after, limit)
}

// BallotsIn lists, like Ballots, the ballots now in status st (all of
// them where st is empty).
func (r *Registry) BallotsIn(ctx context.Context, assemblyID string, st BallotStatus, after uint64, limit int) ([]BallotRecord, error) {
	var out []BallotRecord
	err := r.st.View(ctx, func(tx store.Tx) error {
		if _, err := getRecord(tx, assemblyID); err != nil {
			return err
		}
		var afterKey []byte
		if after > 0 {
			afterKey = ballotKey(assemblyID, after)
		}
		return tx.Scan(store.Ballots, store.Prefix(assemblyID), afterKey, func(k, v []byte) (bool, error) {
			if len(out) == limit {
				return false, nil
			}
			var br BallotRecord
			if err := json.Unmarshal(v, &br); err != nil {
				return false, fmt.Errorf("assembly: corrupt ballot %q: %w", k, err)
			}
			if st != "" && br.Status != st {
				return true, nil
			}
			if err := fillBallot(tx, assemblyID, &br); err != nil {
				return false, err
			}
			out = append(out, br)
			return true, nil
		})
	})
	return out, err
}

// Receipt returns the signed receipt of a counted ballot.
func (r *Registry) Receipt(ctx context.Context, assemblyID, ballotID string) (Outcome, error) {
	br, err := r.Ballot(ctx, assemblyID, ballotID)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Record: br}
	return out, r.finishOutcome(ctx, &out, assemblyID, nil)
}

// Ballot returns a ballot's record, with its bytes.
func (r *Registry) Ballot(ctx context.Context, assemblyID, ballotID string) (br BallotRecord, err error) {
	err = r.st.View(ctx, func(tx store.Tx) error {
		raw := tx.Get(store.BallotIDs, store.Key(assemblyID, ballotID))
		if raw == nil {
			return fmt.Errorf("%w: %s in %s", ErrBallotNotFound, ballotID, assemblyID)
		}
		br, err = getBallot(tx, assemblyID, binary.BigEndian.Uint64(raw))
		return err
	})
	return br, err
}

// countedBallots returns the tally's ballots: one per voter and motion of
// every counted ballot.
func countedBallots(tx store.Tx, assemblyID string) ([]tally.Ballot, error) {
	var out []tally.Ballot
	err := tx.Scan(store.AssemblyVoters, store.Prefix(assemblyID), nil, func(k, v []byte) (bool, error) {
		var vr voterRecord
		if err := json.Unmarshal(v, &vr); err != nil {
			return false, fmt.Errorf("assembly: corrupt voter %q: %w", k, err)
		}
		if vr.Counted == 0 {
			return true, nil
		}
		br, err := getBallot(tx, assemblyID, vr.Counted)
		if err != nil {
			return false, err
		}
		b, err := ballot.Parse(br.Canonical)
		if err != nil {
			return false, fmt.Errorf("assembly: stored ballot %d unreadable: %w", br.Seq, err)
		}
		for _, c := range b.Choices {
			tb := tally.Ballot{Voter: audit.TallyVoter(b.Voter), Motion: c.Motion}
			for _, v := range c.Values {
				tb.Choices = append(tb.Choices, tally.Choice(v))
			}
			out = append(out, tb)
		}
		return true, nil
	})
	return out, err
}

// CountedBallots returns the ballots that count, as the tally takes them.
func (r *Registry) CountedBallots(ctx context.Context, assemblyID string) ([]tally.Ballot, error) {
	var out []tally.Ballot
	err := r.st.View(ctx, func(tx store.Tx) (err error) {
		if _, err := getRecord(tx, assemblyID); err != nil {
			return err
		}
		out, err = countedBallots(tx, assemblyID)
		return err
	})
	return out, err
}

// NonVoter is a voter without a counted ballot.
type NonVoter struct {
	Voter   string
	Units   []string
	Figures tally.Figures
	// Phone is the full number for the caller to mask.
	Phone string
	// Waiting is the id of the voter's ballot that waits for its check,
	// if one does.
	Waiting string
}

// NonVoters lists the voters who have not voted yet, in voter order.
func (r *Registry) NonVoters(ctx context.Context, assemblyID string) ([]NonVoter, error) {
	var out []NonVoter
	err := r.st.View(ctx, func(tx store.Tx) error {
		rec, err := getRecord(tx, assemblyID)
		if err != nil {
			return err
		}
		return tx.Scan(store.AssemblyVoters, store.Prefix(assemblyID), nil, func(k, v []byte) (bool, error) {
			var vr voterRecord
			if err := json.Unmarshal(v, &vr); err != nil {
				return false, fmt.Errorf("assembly: corrupt voter %q: %w", k, err)
			}
			if vr.Counted != 0 {
				return true, nil
			}
			voter := string(k[len(assemblyID)+1:])
			nv := NonVoter{Voter: voter, Units: vr.Units, Figures: vr.Figures.Tally()}
			w, _, err := vr.firstWaiting(tx, assemblyID)
			if err != nil {
				return false, err
			}
			nv.Waiting = w.ID
			if voter != audit.DeveloperVoter {
				if nv.Phone, err = roll.OwnerPhoneTx(tx, rec.CommunityID, voter); err != nil && !errors.Is(err, roll.ErrOwnerNotFound) {
					return false, err
				}
			}
			out = append(out, nv)
			return true, nil
		})
	})
	return out, err
}
