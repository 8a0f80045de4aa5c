package assembly

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/tally"
)

// State is where an assembly is in its lifecycle.
type State string

// The states. OPEN and CLOSED follow from PUBLISHED and the clock.
const (
	Draft       State = "DRAFT"
	Published   State = "PUBLISHED"
	Open        State = "OPEN"
	Closed      State = "CLOSED"
	Preliminary State = "PRELIMINARY"
	Certified   State = "CERTIFIED"
	Cancelled   State = "CANCELLED"
)

// ConvenerKind is who convenes the assembly.
type ConvenerKind string

// The conveners.
const (
	OwnersCommittee    ConvenerKind = "OWNERS_COMMITTEE"
	ResidentsCommittee ConvenerKind = "RESIDENTS_COMMITTEE"
)

// DefaultObjectionDays is the objection window when an assembly sets none.
const DefaultObjectionDays = 3

// Option is a candidate of a motion.
type Option struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Motion is an item on the agenda.
type Motion struct {
	ID     string       `json:"id"`
	Title  string       `json:"title"`
	Matter tally.Matter `json:"matter"`
	// Options are the candidates; none for an agree/oppose motion.
	Options []Option `json:"options,omitempty"`
	// Seats is the number of seats of a committee election.
	Seats int `json:"seats,omitempty"`
}

// TallyMotion is the motion as the tally package sees it.
func (m Motion) TallyMotion() tally.Motion {
	tm := tally.Motion{ID: m.ID, Matter: m.Matter, Seats: m.Seats}
	for _, o := range m.Options {
		tm.Options = append(tm.Options, o.ID)
	}
	return tm
}

// Settings are the per-assembly choices where practice differs.
type Settings struct {
	Abstention                tally.Abstention `json:"abstention"`
	InvalidCountsTowardQuorum bool             `json:"invalid_counts_toward_quorum"`
	DeemedConsent             bool             `json:"deemed_consent"`
	// AllowRevote lets a voter change their vote until closing: the last
	// ballot counts. By default the first counted ballot stands.
	AllowRevote bool `json:"allow_revote"`
	// MakerChecker makes phone, visit and paper ballots wait for a second staff
	// member's confirmation before they count.
	MakerChecker bool `json:"maker_checker"`
	// ProxyCap is the most voters one proxy holder may act for; 0 means no
	// cap.
	ProxyCap int `json:"proxy_cap"`
	// RefuseShortNotice refuses a notice shorter than audit.MinNotice even with a
	// recorded reason.
	RefuseShortNotice bool `json:"refuse_short_notice,omitempty"`
}

// Committee is who certifies the result: k of the members' signatures.
type Committee struct {
	// Members are the key ids of COMMITTEE signers: those named at
	// creation, each replaced by its member's new key where one was lost
	// (Registry.ReplaceCommitteeKey).
	Members []string `json:"members"`
	K       int      `json:"k"`
	// Replacements are the keys replaced since publication, in order;
	// Pending, the replacements waiting for more vouches.
	Replacements []KeyReplacement `json:"replacements,omitempty"`
	Pending      []KeyReplacement `json:"pending,omitempty"`
}

// Original returns the key named at the assembly's creation whose place
// keyID holds, after the replacements made: keyID itself if it replaced none.
func (c Committee) Original(keyID string) string {
	for i := len(c.Replacements) - 1; i >= 0; i-- {
		if c.Replacements[i].KeyID == keyID {
			keyID = c.Replacements[i].Replaces
		}
	}
	return keyID
}

// KeyReplacement is a committee member's lost key (Replaces) replaced by a
// new one on other members' signed word.
type KeyReplacement struct {
	Replaces string  `json:"replaces"`
	KeyID    string  `json:"key_id"`
	Vouches  []Vouch `json:"vouches"`
	// At is when the new key took the old one's place.
	At time.Time `json:"at,omitzero"`
}

// Vouch is a member's signature of audit.KeyReplacementStatement with
// their key Endorser, made through the sign-in By.
type Vouch struct {
	Endorser  string    `json:"endorser"`
	Signature []byte    `json:"signature"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// Convener is who convenes the assembly.
type Convener struct {
	Kind ConvenerKind `json:"kind"`
	Name string       `json:"name"`
}

// Assembly is an owners' assembly and its state.
type Assembly struct {
	ID          string           `json:"id"`
	CommunityID string           `json:"community_id"`
	Title       string           `json:"title"`
	Motions     []Motion         `json:"motions"`
	Opens       time.Time        `json:"opens"`
	Closes      time.Time        `json:"closes"`
	Channels    []ballot.Channel `json:"channels"`
	RuleSet     tally.RuleSet    `json:"rule_set"`
	Settings    Settings         `json:"settings"`
	Convener    Convener         `json:"convener"`
	Committee   Committee        `json:"committee"`
	// ShortNoticeReason records why the notice is shorter than audit.MinNotice;
	// without it such a publication is refused.
	ShortNoticeReason string `json:"short_notice_reason,omitempty"`
	// Rules is the version of the procedure rules the assembly follows, set
	// at publication (audit.Rules); 0 for one published before it was kept.
	Rules int `json:"rules,omitempty"`
	// ObjectionDays is the length of the objection window (询异) after the
	// preliminary result, in days; DefaultObjectionDays when zero at
	// creation.
	ObjectionDays int `json:"objection_days"`

	State      State     `json:"state"`
	Created    time.Time `json:"created"`
	CreatedBy  string    `json:"created_by"`
	Published  time.Time `json:"published,omitzero"`
	RollDigest string    `json:"roll_digest,omitempty"`
	RollUnits  int       `json:"roll_units,omitempty"`
	RollTotal  Figures   `json:"roll_total,omitzero"`
	// Amendments are the roll changes recorded during the vote.
	Amendments   []Amendment `json:"amendments,omitempty"`
	ClosedAt     time.Time   `json:"closed_at,omitzero"`
	CloseReason  string      `json:"close_reason,omitempty"`
	ClosedBy     string      `json:"closed_by,omitempty"`
	CancelledAt  time.Time   `json:"cancelled_at,omitzero"`
	CancelReason string      `json:"cancel_reason,omitempty"`
	// Objections to the preliminary result, with responses.
	Objections []Objection `json:"objections,omitempty"`
	// Certificate holds the committee's signatures; CertifiedAt is set when
	// k of them are in.
	Certificate []CertSignature `json:"certificate,omitempty"`
	CertifiedAt time.Time       `json:"certified_at,omitzero"`
	// Uncounted are the keys of Certificate whose signatures did not count
	// when k were in (revoked since they signed): logged then as revoked
	// (KEY_REVOKED), and left out of the certificate exported.
	Uncounted []string `json:"uncounted,omitempty"`
}

// Figures are an area (0.01 m²) and a headcount, as stored.
type Figures struct {
	Area int64 `json:"area"`
	Head int64 `json:"head"`
}

func figuresOf(f tally.Figures) Figures { return Figures{Area: int64(f.Area), Head: f.Head} }

// Tally returns f as the tally package's figures.
func (f Figures) Tally() tally.Figures { return tally.Figures{Area: tally.Area(f.Area), Head: f.Head} }

func (f Figures) add(g Figures) Figures { return Figures{f.Area + g.Area, f.Head + g.Head} }
func (f Figures) sub(g Figures) Figures { return Figures{f.Area - g.Area, f.Head - g.Head} }

// StateAt is the assembly's state at time now: a published assembly is
// OPEN inside its window and CLOSED after it until the tally is stored.
func (a *Assembly) StateAt(now time.Time) State {
	if a.State != Published {
		return a.State
	}
	switch {
	case !now.Before(a.Closes):
		return Closed
	case !now.Before(a.Opens):
		return Open
	}
	return Published
}

// TallyAssembly is the assembly as the tally package sees it.
func (a *Assembly) TallyAssembly() tally.Assembly {
	ta := tally.Assembly{
		RuleSet: a.RuleSet, Abstention: a.Settings.Abstention,
		InvalidCountsTowardQuorum: a.Settings.InvalidCountsTowardQuorum, DeemedConsent: a.Settings.DeemedConsent,
		EarlyWording: audit.EarlyWording(a.Rules),
	}
	for _, m := range a.Motions {
		ta.Motions = append(ta.Motions, m.TallyMotion())
	}
	return ta
}

// Motion returns the motion with the given id.
func (a *Assembly) Motion(id string) (Motion, bool) {
	for _, m := range a.Motions {
		if m.ID == id {
			return m, true
		}
	}
	return Motion{}, false
}

// Accepts reports whether the assembly takes ballots from channel c.
func (a *Assembly) Accepts(c ballot.Channel) bool { return slices.Contains(a.Channels, c) }

// Sentinel errors.
var (
	ErrInvalid    = errors.New("assembly: invalid argument")
	ErrNotFound   = errors.New("assembly: not found")
	ErrExists     = errors.New("assembly: already exists")
	ErrWrongState = errors.New("assembly: not allowed in this state")
	// ErrAdminOnly: in this state, only a street admin may do it.
	ErrAdminOnly       = errors.New("assembly: only a street admin may do this now")
	ErrShortNotice     = errors.New("assembly: notice shorter than 15 days")
	ErrEmptyRoll       = errors.New("assembly: the community's roll is empty")
	ErrSignerNotFound  = errors.New("assembly: signer not found")
	ErrSignerExists    = errors.New("assembly: signer key already registered")
	ErrBallotNotFound  = errors.New("assembly: ballot not found")
	ErrProxyCap        = errors.New("assembly: proxy holder has reached the cap")
	ErrProxyNotFound   = errors.New("assembly: no proxy authorisation on record")
	ErrNotPending      = errors.New("assembly: ballot is not waiting for confirmation")
	ErrSameStaff       = errors.New("assembly: the confirming staff member must differ from the one who took the ballot")
	ErrMalformedBallot = errors.New("assembly: malformed ballot")
	// ErrWrongAssembly: a ballot sent to another assembly than its own.
	ErrWrongAssembly    = fmt.Errorf("%w: wrong assembly", ErrInvalid)
	ErrBadSignature     = errors.New("assembly: signature does not verify")
	ErrUnknownSignerKey = errors.New("assembly: signing key not registered")
)

// ErrBadConfirmation is a checker's confirmation signature that does not
// verify; it is an ErrBadSignature.
var ErrBadConfirmation = fmt.Errorf("%w: the confirmation signature", ErrBadSignature)

// ErrBadRejection is a checker's rejection signature that does not verify.
var ErrBadRejection = fmt.Errorf("%w: the rejection signature", ErrBadSignature)

// allChannels are the channels an assembly may accept.
var allChannels = []ballot.Channel{ballot.Online, ballot.Platform, ballot.Phone, ballot.Visit, ballot.Paper, ballot.Proxy}

// validate checks a new assembly's definition.
// publicTexts refuses a person's phone or identity number
// (ballot.PersonalNumber) in what the public notice,
// the log and every role read: the title, the short notice's reason, the
// convener, the motions and the candidates.
func publicTexts(a *Assembly) error {
	type text struct{ field, zh, s string }
	texts := []text{{"title", "会议名称", a.Title}, {"short_notice_reason", "缩短公告期的理由", a.ShortNoticeReason}, {"convener.name", "召集人名称", a.Convener.Name}}
	for i, m := range a.Motions {
		texts = append(texts, text{fmt.Sprintf("motions[%d].title", i), fmt.Sprintf("第%d项议题", i+1), m.Title})
		for j, o := range m.Options {
			texts = append(texts, text{fmt.Sprintf("motions[%d].options[%d].name", i, j), fmt.Sprintf("第%d项议题的第%d个候选", i+1, j+1), o.Name})
		}
	}
	for _, t := range texts {
		// A tender's or contract's number may stand in a title: only a
		// person's phone or identity number is refused.
		if ballot.PersonalNumber(t.s) >= 0 {
			return l10n.ZH(fmt.Errorf("%w: %s: a phone or identity number is not allowed; it is published", ErrInvalid, t.field), t.zh+"将公开，不能含电话或身份证号码")
		}
	}
	return nil
}

func (a *Assembly) validate() error {
	// Each refusal names the field, in English for integrators and in
	// Chinese for the staff who fill in the console's form.
	bad := func(field, zh, format string, args ...any) error {
		return l10n.ZH(fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...)), zh)
	}
	idRule, idRuleZH := ballot.IDRule, ballot.IDRuleZH
	a.Title = strings.TrimSpace(a.Title)
	switch {
	case ballot.PersonalNumber(a.ID) >= 0:
		// Published on every ballot and notice; not echoed.
		return bad("assembly_id", "会议编号会公开，不能用电话或身份证号码", "a phone or identity number is no assembly id (it is published)")
	case a.ID != "" && !ballot.ValidID(a.ID):
		return bad("assembly_id", "会议编号"+idRuleZH, "%q: want %s", a.ID, idRule)
	case a.Title == "":
		return bad("title", "请填写会议名称", "the assembly needs a title")
	case len([]rune(a.Title)) > 200:
		return bad("title", "会议名称至多 200 字", "at most 200 characters")
	case len(a.Motions) == 0:
		return bad("motions", "议程中至少要有一项表决事项", "the agenda has no motion")
	case len(a.Motions) > 50:
		return bad("motions", "一次会议至多 50 项表决事项", "at most 50 motions")
	case a.Opens.IsZero() || a.Closes.IsZero():
		return bad("opens_at", "请填写投票开始和截止时间", "the voting window needs an opening and a closing time")
	case !a.Closes.After(a.Opens):
		return bad("closes_at", fmt.Sprintf("投票截止时间（%s）须晚于开始时间（%s）", audit.FormatChinaTime(a.Closes), audit.FormatChinaTime(a.Opens)),
			"closing (%s) must be after opening (%s)", audit.FormatChinaTime(a.Closes), audit.FormatChinaTime(a.Opens))
	case len(a.Channels) == 0:
		return bad("channels", "请至少选择一种表决方式", "accept at least one channel")
	case a.Settings.ProxyCap < 0:
		return bad("settings.proxy_cap", "每名受托人代理户数上限不能为负数", "must not be negative")
	case a.Settings.RefuseShortNotice && a.ShortNoticeReason != "":
		return bad("short_notice_reason", "已设定“不得缩短公告期”，不能再填写缩短理由", "settings.refuse_short_notice admits no short notice, whatever the reason")
	case a.ObjectionDays < 0 || a.ObjectionDays > 30:
		return bad("objection_days", "询异期须为 1 至 30 日（不填或 0 为默认的 3 日）", "0 to 30 days (0 for the default, 3)")
	}
	for i, c := range a.Channels {
		if !slices.Contains(allChannels, c) {
			return bad(fmt.Sprintf("channels[%d]", i), "未知的表决方式："+string(c), "%q is not one of %v", c, allChannels)
		}
		if slices.Index(a.Channels, c) != i {
			return bad(fmt.Sprintf("channels[%d]", i), "表决方式重复："+string(c), "%s listed twice", c)
		}
	}
	for i, m := range a.Motions {
		f := fmt.Sprintf("motions[%d]", i)
		if !ballot.ValidID(m.ID) {
			return bad(f+".motion_id", fmt.Sprintf("第%d项议题的编号%s", i+1, idRuleZH), "%q: want %s", m.ID, idRule)
		}
		if strings.TrimSpace(m.Title) == "" {
			return bad(f+".title", fmt.Sprintf("请填写第%d项议题的内容（业主表决的事项）", i+1), "the motion needs a title (what owners vote on)")
		}
		for j, o := range m.Options {
			if !ballot.ValidID(o.ID) {
				return bad(fmt.Sprintf("%s.options[%d].option_id", f, j), fmt.Sprintf("第%d项议题第%d个候选的编号%s", i+1, j+1, idRuleZH), "%q: want %s", o.ID, idRule)
			}
			if strings.TrimSpace(o.Name) == "" {
				return bad(fmt.Sprintf("%s.options[%d].name", f, j), fmt.Sprintf("请填写第%d项议题第%d个候选的名称", i+1, j+1), "the candidate needs a name")
			}
		}
	}
	if err := publicTexts(a); err != nil {
		return err
	}
	if err := a.TallyAssembly().Validate(); err != nil {
		// The counting rules' own refusal, with its Chinese where it has one.
		wrapped := fmt.Errorf("%w: %v", ErrInvalid, err)
		if zh := l10n.Of(err); zh != "" {
			return l10n.ZH(wrapped, zh)
		}
		return wrapped
	}
	switch a.Convener.Kind {
	case OwnersCommittee, ResidentsCommittee:
	default:
		return bad("convener.kind", "召集人须为业主委员会，或代行其职责的居民委员会", "%q is not OWNERS_COMMITTEE or RESIDENTS_COMMITTEE", a.Convener.Kind)
	}
	c := a.Committee
	switch {
	case len(c.Members) == 0:
		return bad("committee.member_key_ids", "请选择认证表决结果的委员（其已生效的委员密钥）", "name the committee members who will certify the result (their signer key ids)")
	case c.K < 1 || c.K > len(c.Members):
		return bad("committee.k", fmt.Sprintf("认证所需签名数须在 1 至 %d（委员人数）之间，现为 %d", len(c.Members), c.K), "%d signatures of %d members: want 1 ≤ k ≤ n", c.K, len(c.Members))
	}
	for i, m := range c.Members {
		if slices.Index(c.Members, m) != i {
			return bad(fmt.Sprintf("committee.member_key_ids[%d]", i), "认证委员密钥重复："+m, "%s listed twice", m)
		}
	}
	return nil
}
