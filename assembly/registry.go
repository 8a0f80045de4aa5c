package assembly

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// Config configures a Registry.
type Config struct {
	// ReceiptKey signs ballot receipts.
	ReceiptKey ed25519.PrivateKey
	// LogSigner signs log checkpoints; LogVerifierKey is its public
	// verifier key (note format), given out with exports.
	LogSigner      note.Signer
	LogVerifierKey string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational messages; slog.Default when nil.
	Logger *slog.Logger
}

// Registry keeps assemblies, signers and ballots in a store.
type Registry struct {
	st         store.Store
	now        func() time.Time
	receiptKey ed25519.PrivateKey
	receiptID  string
	logSigner  note.Signer
	logVKey    string
	log        *slog.Logger

	mu       sync.Mutex
	watchers map[string]chan struct{}

	records  recordCache
	signers  signerCache
	prepared preparedKeys
	progress progressCache

	cpMu        sync.Mutex
	checkpoints map[string]signedCheckpoint
	cpSigning   map[string]*signing // by assembly, the checkpoint being signed

	treesMu sync.Mutex
	trees   map[string]audit.Tree // the last committed tree of each assembly's log (logState)

	votedMu sync.Mutex
	voted   map[string][]VotedUnit // of closed votes (VotedUnits)

	// The intake's group commit (see enqueue).
	qmu        sync.Mutex
	queue      []*pendingBallot
	committing bool
}

// NewRegistry returns a Registry over st.
func NewRegistry(st store.Store, cfg Config) (*Registry, error) {
	if len(cfg.ReceiptKey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: receipt key must be an ed25519 private key", ErrInvalid)
	}
	if cfg.LogSigner == nil {
		return nil, fmt.Errorf("%w: a log signer is required", ErrInvalid)
	}
	if v, err := note.NewVerifier(cfg.LogVerifierKey); err != nil || v.KeyHash() != cfg.LogSigner.KeyHash() || v.Name() != cfg.LogSigner.Name() {
		return nil, fmt.Errorf("%w: the log verifier key does not match the log signer", ErrInvalid)
	}
	r := &Registry{st: st, now: cfg.Now, receiptKey: cfg.ReceiptKey, logSigner: cfg.LogSigner, logVKey: cfg.LogVerifierKey,
		log: cfg.Logger, watchers: make(map[string]chan struct{}), checkpoints: make(map[string]signedCheckpoint), cpSigning: make(map[string]*signing),
		trees: make(map[string]audit.Tree), voted: make(map[string][]VotedUnit)}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.receiptID = ballot.KeyID(cfg.ReceiptKey.Public().(ed25519.PublicKey))
	return r, nil
}

// LogVerifierKey is the note verifier key of the log's checkpoints.
func (r *Registry) LogVerifierKey() string { return r.logVKey }

// ReceiptPublicKey is the public key that verifies receipts.
func (r *Registry) ReceiptPublicKey() ed25519.PublicKey {
	return r.receiptKey.Public().(ed25519.PublicKey)
}

// Now is the registry's clock.
func (r *Registry) Now() time.Time { return r.now() }

func keyHash(pub []byte) []byte {
	h := sha256.Sum256(pub)
	return h[:]
}

// record is the stored assembly with its preliminary result.
type record struct {
	Assembly
	Result       *tally.Result `json:"result,omitempty"`
	ResultDigest string        `json:"result_digest,omitempty"`
}

// decodedCache keeps decoded JSON records by their stored bytes, for the
// read-only hot paths of intake: decoding the assembly's record for every
// ballot cost more than the rest of the decision.
type decodedCache[T any] struct {
	mu sync.Mutex
	m  map[string]decoded[T]
}

type decoded[T any] struct {
	raw []byte
	v   *T
}

// view returns the decoded value stored under key in bucket b, or nil if
// there is none, for reading only: callers must not change it or anything
// it points to.
func (c *decodedCache[T]) view(tx store.Tx, b store.Bucket, key string) (*T, error) {
	raw := tx.Get(b, []byte(key))
	if raw == nil {
		return nil, nil
	}
	if v, ok := c.lookup(key, raw); ok {
		return v, nil
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("assembly: corrupt record in %s: %w", b, err)
	}
	c.remember(key, bytes.Clone(raw), v)
	return v, nil
}

// lookup returns the value cached for key if it was decoded from raw.
func (c *decodedCache[T]) lookup(key string, raw []byte) (*T, bool) {
	c.mu.Lock()
	d, ok := c.m[key]
	c.mu.Unlock()
	if ok && bytes.Equal(d.raw, raw) {
		return d.v, true
	}
	return nil, false
}

// remember caches v as what raw decodes to; both are kept as they are.
func (c *decodedCache[T]) remember(key string, raw []byte, v *T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]decoded[T])
	}
	c.m[key] = decoded[T]{raw: raw, v: v}
}

// recordCache keeps decoded assembly records.
type recordCache struct{ decodedCache[record] }

// view returns the record of assembly id for reading only.
func (c *recordCache) view(tx store.Tx, id string) (*record, error) {
	rec, err := c.decodedCache.view(tx, store.Assemblies, id)
	if err == nil && rec == nil {
		err = fmt.Errorf("%w: assembly %q", ErrNotFound, id)
	}
	return rec, err
}

// signerCache keeps decoded signing keys.
type signerCache struct{ decodedCache[Signer] }

// view returns the signer with key id keyID for reading only.
func (c *signerCache) view(tx store.Tx, keyID string) (*Signer, error) {
	s, err := c.decodedCache.view(tx, store.Signers, keyID)
	if err == nil && s == nil {
		err = fmt.Errorf("%w: %q", ErrSignerNotFound, keyID)
	}
	return s, err
}

// preparedKeys keeps the keys of PLATFORM and STAFF signers prepared for
// checking signatures (ballot.PreparedKey, about 40% of ed25519.Verify's
// cost): they sign most ballots, the city platform's key every online one.
// An owner's or a proxy's key signs one ballot per assembly and is checked
// by ed25519.Verify.
type preparedKeys struct {
	mu sync.Mutex
	m  map[string]*ballot.PreparedKey // by the public key's bytes
}

// maxPreparedKeys bounds the memory the prepared keys take (about 30 KiB
// each); keys beyond it are checked by ed25519.Verify.
const maxPreparedKeys = 256

// get returns pub's prepared key, prepared on its first use, or nil when
// there is no room or pub cannot be prepared (then ed25519.Verify refuses
// every signature too).
func (p *preparedKeys) get(pub ed25519.PublicKey) *ballot.PreparedKey {
	p.mu.Lock()
	k, ok := p.m[string(pub)]
	full := len(p.m) >= maxPreparedKeys
	p.mu.Unlock()
	if ok || full {
		return k
	}
	k, err := ballot.PrepareKey(pub)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]*ballot.PreparedKey)
	}
	if prev, ok := p.m[string(pub)]; ok {
		return prev
	}
	if len(p.m) < maxPreparedKeys {
		p.m[string(pub)] = k
	}
	return k
}

func getRecord(tx store.Tx, id string) (*record, error) {
	var rec record
	ok, err := store.GetJSON(tx, store.Assemblies, []byte(id), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: assembly %q", ErrNotFound, id)
	}
	return &rec, nil
}

// Create stores a new assembly as a DRAFT. An empty ID is generated; an
// empty convener is the owners' committee where the community has one, the
// residents' committee otherwise.
func (r *Registry) Create(ctx context.Context, a Assembly, by string) (Assembly, error) {
	if a.ID == "" {
		var b [5]byte
		rand.Read(b[:])
		a.ID = "a-" + hex.EncodeToString(b[:])
	}
	a.Opens, a.Closes = a.Opens.UTC(), a.Closes.UTC()
	if a.RuleSet.Name == "" {
		a.RuleSet = tally.CivilCode2021()
	}
	a.ShortNoticeReason = strings.TrimSpace(a.ShortNoticeReason)
	err := r.st.Update(ctx, func(tx store.Tx) error {
		c, err := roll.CommunityTx(tx, a.CommunityID)
		if err != nil {
			return err
		}
		if a.Convener.Kind == "" {
			a.Convener.Kind = ResidentsCommittee
			if c.HasOwnersCommittee {
				a.Convener.Kind = OwnersCommittee
			}
		}
		if a.Convener.Name == "" {
			a.Convener.Name = c.ResidentsCommittee
			if a.Convener.Kind == OwnersCommittee {
				a.Convener.Name = c.Name + "业主委员会"
			}
		}
		if err := a.validate(); err != nil {
			return err
		}
		if a.ObjectionDays == 0 {
			a.ObjectionDays = DefaultObjectionDays
		}
		people, signIns := map[string]int{}, map[string]int{}
		for i, m := range a.Committee.Members {
			s, err := getSigner(tx, m)
			switch {
			case errors.Is(err, ErrSignerNotFound):
				return l10n.ZH(fmt.Errorf("%w: committee.member_key_ids[%d]: no signer with key id %q", ErrInvalid, i, m), "没有这个委员密钥："+m)
			case err != nil:
				return err
			case s.Kind != CommitteeSigner || !s.Active() || !s.InScope(a.CommunityID):
				return l10n.ZH(fmt.Errorf("%w: committee.member_key_ids[%d]: %s is not an active committee member of %s", ErrInvalid, i, m, a.CommunityID), "认证委员须为本小区已生效的委员密钥："+m)
			}
			// k of n counts people: one member with two keys is one member.
			if j, dup := people[s.ID]; dup {
				return l10n.ZH(fmt.Errorf("%w: committee.member_key_ids[%d]: %s is the same member (%s) as committee.member_key_ids[%d]", ErrInvalid, i, m, s.ID, j),
					fmt.Sprintf("第%d个认证委员密钥与第%d个是同一位委员（%s）的：k/n 按人计，每位委员只选一个密钥", i+1, j+1, s.ID))
			}
			people[s.ID] = i
			// And one sign-in is one person: keys enrolled through the same
			// sign-in (a member's, under two member ids) are one hand
			// holding both. Keys a street admin registered (RegisterSigner,
			// not enrolled: a public key a member brings on paper or a
			// stick) rest on the admin's word, as a sign-in issued at the
			// desk does.
			if s.Approved.IsZero() {
				continue
			}
			if j, dup := signIns[s.RegisteredBy]; dup {
				return l10n.ZH(fmt.Errorf("%w: committee.member_key_ids[%d]: %s was enrolled through the same sign-in (%s) as committee.member_key_ids[%d]: k of n counts people, and each member enrols their own key through a sign-in issued to them", ErrInvalid, i, m, s.RegisteredBy, j),
					fmt.Sprintf("认证委员密钥 %s 与第%d个委员密钥经同一登录凭证（%s）登记：k/n 按人计，每位委员须通过发给本人的登录凭证登记自己的密钥", m, j+1, s.RegisteredBy))
			}
			signIns[s.RegisteredBy] = i
		}
		if tx.Get(store.Assemblies, []byte(a.ID)) != nil {
			return l10n.ZH(fmt.Errorf("%w: %s", ErrExists, a.ID), fmt.Sprintf("会议编号 %s 已被使用：请换一个，或留空由系统生成", a.ID))
		}
		a.State = Draft
		a.Created = r.now().UTC()
		a.CreatedBy = by
		return store.PutJSON(tx, store.Assemblies, []byte(a.ID), record{Assembly: a})
	})
	if err != nil {
		return Assembly{}, err
	}
	return a, nil
}

// Get returns an assembly with its stored state (see Assembly.StateAt).
// The slices of the result are shared: do not change them.
func (r *Registry) Get(ctx context.Context, id string) (Assembly, error) {
	var a Assembly
	err := r.st.View(ctx, func(tx store.Tx) error {
		rec, err := r.records.view(tx, id)
		if err == nil {
			a = rec.Assembly
		}
		return err
	})
	return a, err
}

// List returns the assemblies of a community, newest first.
func (r *Registry) List(ctx context.Context, communityID string) ([]Assembly, error) {
	var out []Assembly
	err := r.st.View(ctx, func(tx store.Tx) error {
		if _, err := roll.CommunityTx(tx, communityID); err != nil {
			return err
		}
		return tx.Scan(store.Assemblies, nil, nil, func(_, v []byte) (bool, error) {
			var rec record
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, fmt.Errorf("assembly: corrupt assembly: %w", err)
			}
			if rec.CommunityID == communityID {
				out = append(out, rec.Assembly)
			}
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b Assembly) int { return b.Created.Compare(a.Created) })
	return out, err
}

// voterRecord is a voter of a frozen roll.
type voterRecord struct {
	Figures Figures  `json:"figures"`
	Units   []string `json:"units"`
	// Counted is the sequence number of the voter's counted ballot, 0 if
	// none.
	Counted uint64 `json:"counted,omitempty"`
	// Waiting are the sequence numbers of the voter's ballots that wait
	// for a second staff member's check (maker-checker), in order. Kept
	// from schema version 4 on (the upgrade fills it in).
	Waiting []uint64 `json:"waiting,omitempty"`
}

// firstWaiting returns the first of the voter's ballots that wait for
// their check, if one does.
func (vr *voterRecord) firstWaiting(tx store.Tx, assemblyID string) (w BallotRecord, ok bool, err error) {
	if len(vr.Waiting) == 0 {
		return w, false, nil
	}
	w, err = getBallot(tx, assemblyID, vr.Waiting[0])
	return w, err == nil, err
}

// unwait takes ballot seq off its voter's waiting ballots: it was
// confirmed, rejected, or refused at the close.
func unwait(tx store.Tx, assemblyID, voter string, seq uint64) error {
	var vr voterRecord
	ok, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(assemblyID, voter), &vr)
	if err != nil || !ok {
		return err
	}
	i := slices.Index(vr.Waiting, seq)
	if i < 0 {
		return nil
	}
	vr.Waiting = slices.Delete(vr.Waiting, i, i+1)
	return store.PutJSON(tx, store.AssemblyVoters, store.Key(assemblyID, voter), &vr)
}

// another tells why the voter may not cast a ballot besides the one that
// counts for them, if they may not: one counted ballot per voter, unless
// the assembly allows changing one's vote and no unit of theirs was sold
// during the vote with the ballot kept (the seller owns it no more).
// The refusal names the counted ballot by its sequence number and its id,
// which GetBallotReceipt takes.
func (vr *voterRecord) another(tx store.Tx, a *Assembly, voter string) (reason error, detail string, err error) {
	if vr.Counted == 0 {
		return nil, "", nil
	}
	kept := ""
	for _, am := range a.Amendments {
		if am.Effect == BallotKept && am.PreviousVoter == voter && am.NewVoter != voter {
			kept = fmt.Sprintf(" and is kept as cast: unit %s was sold during the vote", am.UnitID)
			break
		}
	}
	if a.Settings.AllowRevote && kept == "" {
		return nil, "", nil
	}
	counted, err := countedBallot(tx, a.ID, vr.Counted)
	if err != nil {
		return nil, "", err
	}
	if a.Settings.AllowRevote {
		return ErrAlreadyVoted, fmt.Sprintf("ballot %d (%s) counts for %s%s", vr.Counted, counted, voter, kept), nil
	}
	return ErrAlreadyVoted, fmt.Sprintf("ballot %d (%s) counts for %s", vr.Counted, counted, voter), nil
}

// noticeZH writes a notice period for people: days and hours.
func noticeZH(d time.Duration) string {
	// (Cut, not rounded: 14 days and 23 hours 59.9 minutes is no 15 days.)
	d = d.Truncate(time.Minute)
	days, hours, minutes := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%d 日 %d 小时", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d 小时 %d 分钟", hours, minutes)
	}
	return fmt.Sprintf("%d 分钟", minutes)
}

// Publish freezes the roll and the agenda and publishes the notice. The
// vote must open at least audit.MinNotice later, unless the assembly records why
// the notice is shorter and its settings do not refuse a short notice.
func (r *Registry) Publish(ctx context.Context, id string) (Assembly, error) {
	var a Assembly
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if rec.State != Draft {
			return l10n.ZH(fmt.Errorf("%w: %s is %s; only a DRAFT can be published", ErrWrongState, id, rec.State), "本会议已不是草稿（已发布或已取消），不能发布")
		}
		now := r.now().UTC()
		// A draft's window is not changed: one whose time has passed, or
		// whose notice would be too short, is cancelled and made again.
		if !rec.Opens.After(now) {
			return l10n.ZH(fmt.Errorf("%w: opens_at %s has passed; cancel this draft and create the assembly again with a new window", ErrWrongState, audit.FormatChinaTime(rec.Opens)),
				fmt.Sprintf("投票开始时间（%s）已过，不能发布：请取消本草稿，按新的投票时间重新创建", audit.FormatChinaTime(rec.Opens)))
		}
		if p := audit.NoticeProblem(rec.Opens.Sub(now), rec.ShortNoticeReason, rec.Settings.RefuseShortNotice); p != "" {
			hint, zh := "cancel this draft and create it again with a later opens_at or a short_notice_reason", "本草稿未记录缩短公告期的理由，不能发布：请取消本草稿，按更晚的投票开始时间（或记录缩短的理由）重新创建"
			if rec.Settings.RefuseShortNotice {
				hint, zh = "cancel this draft and create it again with a later opens_at", "本会议设定不得缩短公告期，不能发布：请取消本草稿，按更晚的投票开始时间重新创建"
			}
			return l10n.ZH(fmt.Errorf("%w: %s; %s", ErrShortNotice, p, hint),
				fmt.Sprintf("现在发布，公告期只有 %s，不足 15 日，且%s", noticeZH(rec.Opens.Sub(now)), zh))
		}
		units, err := roll.UnitsTx(tx, rec.CommunityID)
		if err != nil {
			return err
		}
		if len(units) == 0 {
			return l10n.ZH(fmt.Errorf("%w: %s", ErrEmptyRoll, rec.CommunityID), "本小区的业主名册为空，不能发布：请先导入名册")
		}
		tu := make([]tally.Unit, len(units))
		for i, u := range units {
			tu[i] = u.TallyUnit()
		}
		total, err := tally.Totals(tu)
		if err != nil {
			return fmt.Errorf("%w: roll of %s: %v", ErrInvalid, rec.CommunityID, err)
		}
		voters := make(map[string]*voterRecord)
		for _, u := range tu {
			if err := store.PutJSON(tx, store.AssemblyUnits, store.Key(id, u.ID), u); err != nil {
				return err
			}
			v := audit.BallotVoter(tally.VoterOf(u))
			vr := voters[v]
			if vr == nil {
				vr = &voterRecord{Figures: Figures{Head: 1}}
				voters[v] = vr
			}
			vr.Figures.Area += int64(u.Area)
			vr.Units = append(vr.Units, u.ID)
		}
		// In key order: bbolt then appends instead of shifting a growing
		// node at every insert (quadratic for a large roll).
		for _, v := range slices.Sorted(maps.Keys(voters)) {
			if err := store.PutJSON(tx, store.AssemblyVoters, store.Key(id, v), voters[v]); err != nil {
				return err
			}
		}
		rec.RollDigest = audit.RollDigest(tu)
		rec.RollUnits = len(tu)
		rec.RollTotal = figuresOf(total)
		rec.State = Published
		rec.Published, rec.Rules = now, audit.Rules
		if err := putProgress(tx, id, newProgress(&rec.Assembly)); err != nil {
			return err
		}
		lw, err := r.logWriter(tx, id, now)
		if err != nil {
			return err
		}
		if _, err := lw.add(audit.Entry{Kind: audit.KindRoll, Roll: &audit.RollEntry{Digest: rec.RollDigest, Units: len(tu),
			TotalArea: total.Area.String(), TotalHead: total.Head}}); err != nil {
			return err
		}
		ag, err := agendaEntry(tx, &rec.Assembly)
		if err != nil {
			return err
		}
		if _, err := lw.add(audit.Entry{Kind: audit.KindAgenda, Agenda: ag}); err != nil {
			return err
		}
		if err := lw.finish(); err != nil {
			return err
		}
		a = rec.Assembly
		return store.PutJSON(tx, store.Assemblies, []byte(id), rec)
	})
	return a, err
}

// Cancel cancels an assembly that has not closed, with a reason.
//
// A vote that has opened may be cancelled by a street admin only (byAdmin),
// as only an admin may close it early: staff may cancel a draft or a
// published assembly before voting opens.
func (r *Registry) Cancel(ctx context.Context, id, reason string, byAdmin bool) (Assembly, error) {
	reason = strings.TrimSpace(reason)
	if en, zh := ballot.ReasonProblem(reason, "取消会议的理由"); en != "" {
		return Assembly{}, l10n.ZH(fmt.Errorf("%w: reason (why the assembly is cancelled; public): %s", ErrInvalid, en), zh)
	}
	var a Assembly
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		now, err := r.logClock(tx, id, r.now().UTC())
		if err != nil {
			return err
		}
		switch s := rec.StateAt(now); {
		case s != Draft && s != Published && s != Open:
			return fmt.Errorf("%w: %s is %s; only an assembly that has not closed can be cancelled", ErrWrongState, id, s)
		case s == Open && !byAdmin:
			return l10n.ZH(fmt.Errorf("%w: voting in %s opened %s", ErrAdminOnly, id, audit.FormatChinaTime(rec.Opens)),
				"投票已经开始，只有街道管理员可以取消（投票开始前，工作人员可以取消）")
		}
		if rec.State == Published {
			lw, err := r.logWriter(tx, id, now)
			if err != nil {
				return err
			}
			// Ballots still waiting for their check are refused first,
			// as at a close: none is left waiting in a cancelled vote.
			if err := refuseUnconfirmed(tx, lw, &rec.Assembly); err != nil {
				return err
			}
			if _, err := lw.add(audit.Entry{Kind: audit.KindCancel, Cancel: &audit.CancelEntry{Reason: reason}}); err != nil {
				return err
			}
			if err := lw.finish(); err != nil {
				return err
			}
		}
		rec.State, rec.CancelledAt, rec.CancelReason = Cancelled, now, reason
		a = rec.Assembly
		return store.PutJSON(tx, store.Assemblies, []byte(id), rec)
	})
	if err == nil {
		r.notify(id)
	}
	return a, err
}

// CloseEarly closes an open vote before its window ends, with a reason,
// and stores the preliminary result.
func (r *Registry) CloseEarly(ctx context.Context, id, reason, by string) (Assembly, error) {
	reason = strings.TrimSpace(reason)
	if en, zh := ballot.ReasonProblem(reason, "提前结束投票的理由"); en != "" {
		return Assembly{}, l10n.ZH(fmt.Errorf("%w: reason (why the vote closes early; public): %s", ErrInvalid, en), zh)
	}
	var a Assembly
	err := r.st.Update(ctx, func(tx store.Tx) error {
		rec, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		now, err := r.logClock(tx, id, r.now().UTC())
		if err != nil {
			return err
		}
		if s := rec.StateAt(now); s != Open {
			return fmt.Errorf("%w: %s is %s; only an OPEN vote can be closed early", ErrWrongState, id, s)
		}
		rec.Closes, rec.CloseReason, rec.ClosedBy = now, reason, by
		if err := r.closeTx(tx, rec, now); err != nil {
			return err
		}
		a = rec.Assembly
		return nil
	})
	if err == nil {
		r.notify(id)
	}
	return a, err
}

// CloseDue closes every published assembly whose window has ended and
// stores its preliminary result. It returns the ids it closed.
func (r *Registry) CloseDue(ctx context.Context) ([]string, error) {
	now := r.now().UTC()
	var due []string
	err := r.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(store.Assemblies, nil, nil, func(k, v []byte) (bool, error) {
			var rec record
			if err := json.Unmarshal(v, &rec); err != nil {
				return false, fmt.Errorf("assembly: corrupt assembly %q: %w", k, err)
			}
			if rec.StateAt(now) == Closed {
				due = append(due, rec.ID)
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	var closed []string
	var errs []error
	for _, id := range due {
		err := r.st.Update(ctx, func(tx store.Tx) error {
			rec, err := getRecord(tx, id)
			if err != nil {
				return err
			}
			if rec.StateAt(now) != Closed {
				return nil // closed meanwhile
			}
			at, err := r.logClock(tx, id, now)
			if err != nil {
				return err
			}
			return r.closeTx(tx, rec, at)
		})
		if err != nil {
			// The others are still closed; this one is tried again next time.
			errs = append(errs, fmt.Errorf("closing %s: %w", id, err))
			continue
		}
		closed = append(closed, id)
		r.notify(id)
	}
	return closed, errors.Join(errs...)
}

// closeTx refuses the ballots still waiting for confirmation, tallies the
// counted ballots and stores the preliminary result.
func (r *Registry) closeTx(tx store.Tx, rec *record, now time.Time) error {
	lw, err := r.logWriterAt(tx, rec.ID, now) // now is logClock's
	if err != nil {
		return err
	}
	if err := refuseUnconfirmed(tx, lw, &rec.Assembly); err != nil {
		return err
	}
	units, err := frozenUnits(tx, rec.ID)
	if err != nil {
		return err
	}
	ballots, err := countedBallots(tx, rec.ID)
	if err != nil {
		return err
	}
	res, err := tally.Count(units, rec.TallyAssembly(), ballots)
	if err != nil {
		return fmt.Errorf("assembly: tally of %s: %w", rec.ID, err)
	}
	d := res.Digest()
	rec.Result, rec.ResultDigest = &res, hex.EncodeToString(d[:])
	rec.State, rec.ClosedAt = Preliminary, now
	if _, err := lw.add(audit.Entry{Kind: audit.KindClose, Close: &audit.CloseEntry{Early: rec.CloseReason != "", Reason: rec.CloseReason, By: rec.ClosedBy}}); err != nil {
		return err
	}
	if _, err := lw.add(audit.Entry{Kind: audit.KindResult, Result: &audit.ResultEntry{Digest: rec.ResultDigest}}); err != nil {
		return err
	}
	if err := lw.finish(); err != nil {
		return err
	}
	return store.PutJSON(tx, store.Assemblies, []byte(rec.ID), rec)
}

// refuseUnconfirmed refuses, in the log and in their records, the ballots
// that still wait for a second staff member when the vote closes or is
// cancelled: every ballot received ends counted, refused or superseded.
func refuseUnconfirmed(tx store.Tx, lw *logWriter, a *Assembly) error {
	p, err := getProgress(tx, a)
	if err != nil || (p.Pending == 0 && !a.Settings.MakerChecker) {
		return err
	}
	var pending []BallotRecord
	err = tx.Scan(store.Ballots, store.Prefix(a.ID), nil, func(k, v []byte) (bool, error) {
		var br BallotRecord
		if err := json.Unmarshal(v, &br); err != nil {
			return false, fmt.Errorf("assembly: corrupt ballot %q: %w", k, err)
		}
		if br.Status == Pending {
			pending = append(pending, br)
		}
		// Every ballot is read, whatever the counter says: it runs once.
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, br := range pending {
		br.Status, br.Reason, br.ReasonCode = Refused, ErrNotConfirmed.Error(), refusalCode(ErrNotConfirmed)
		br.ConfirmLogIndex, err = lw.add(audit.Entry{Kind: audit.KindStatus, Status: &audit.StatusEntry{Seq: br.Seq, ID: br.ID, Status: string(br.Status), Reason: br.Reason}})
		if err != nil {
			return err
		}
		if err := putBallot(tx, a.ID, &br); err != nil {
			return err
		}
		if err := unwait(tx, a.ID, br.Voter, br.Seq); err != nil {
			return err
		}
		p.Refused++
	}
	p.Pending = 0
	return putProgress(tx, a.ID, p)
}

func frozenUnits(tx store.Tx, id string) ([]tally.Unit, error) {
	var units []tally.Unit
	err := tx.Scan(store.AssemblyUnits, store.Prefix(id), nil, func(k, v []byte) (bool, error) {
		var u tally.Unit
		if err := json.Unmarshal(v, &u); err != nil {
			return false, fmt.Errorf("assembly: corrupt frozen unit %q: %w", k, err)
		}
		units = append(units, u)
		return true, nil
	})
	return units, err
}

// FrozenRoll returns the roll an assembly froze at publication.
func (r *Registry) FrozenRoll(ctx context.Context, id string) ([]tally.Unit, error) {
	var units []tally.Unit
	err := r.st.View(ctx, func(tx store.Tx) error {
		if _, err := getRecord(tx, id); err != nil {
			return err
		}
		var err error
		units, err = frozenUnits(tx, id)
		return err
	})
	return units, err
}

// Result returns an assembly's preliminary (or certified) result and its
// digest.
func (r *Registry) Result(ctx context.Context, id string) (Assembly, *tally.Result, string, error) {
	var rec *record
	err := r.st.View(ctx, func(tx store.Tx) (err error) {
		rec, err = getRecord(tx, id)
		return err
	})
	if err != nil {
		return Assembly{}, nil, "", err
	}
	if rec.Result == nil {
		if st := rec.StateAt(r.now()); st == Closed {
			// Past its closing time, not yet closed by the server's closer.
			return rec.Assembly, nil, "", fmt.Errorf("%w: %s has passed its closing time; the result is being counted, ask again in a moment", ErrWrongState, id)
		}
		return rec.Assembly, nil, "", fmt.Errorf("%w: %s is %s; the result exists once the vote has closed", ErrWrongState, id, rec.StateAt(r.now()))
	}
	return rec.Assembly, rec.Result, rec.ResultDigest, nil
}
