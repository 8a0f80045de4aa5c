package tally

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ownervote/ownervote/l10n"
)

// Choice is what a ballot says on a motion: Agree, Oppose, Abstain, Invalid,
// or an option ID of a candidate or election motion.
type Choice string

// The choices that are not option IDs. No option may be named like them.
const (
	Agree   Choice = "AGREE"
	Oppose  Choice = "OPPOSE"
	Abstain Choice = "ABSTAIN"
	// Invalid records a ballot that was returned but is invalid (spoilt,
	// unreadable, more marks than seats, …).
	Invalid Choice = "INVALID"
)

func reservedChoice(c Choice) bool {
	return c == Agree || c == Oppose || c == Abstain || c == Invalid
}

// Kind is the form of a motion.
type Kind int

const (
	// AgreeOppose is a motion voted AGREE, OPPOSE or ABSTAIN.
	AgreeOppose Kind = iota
	// Candidates is a choice of one option among several (e.g. firms); an
	// option wins only with the motion's requirement on both axes, never by
	// plurality.
	Candidates
	// Election is a committee election with Seats seats: a ballot marks from
	// one to Seats options.
	Election
)

// String returns AGREE_OPPOSE, CANDIDATES or ELECTION.
func (k Kind) String() string {
	switch k {
	case Candidates:
		return "CANDIDATES"
	case Election:
		return "ELECTION"
	}
	return "AGREE_OPPOSE"
}

// Motion is one item of the published agenda.
type Motion struct {
	ID     string
	Matter Matter
	// Options are the candidates' IDs for a Candidates or Election motion,
	// in ballot order; empty for an AgreeOppose motion.
	Options []string
	// Seats is the number of seats of an Election motion (Matter
	// ElectCommittee with Options); zero for other motions.
	Seats int
}

// Kind returns the motion's form, from its Options and Seats.
func (m Motion) Kind() Kind {
	switch {
	case m.Seats > 0:
		return Election
	case len(m.Options) > 0:
		return Candidates
	}
	return AgreeOppose
}

// Assembly is what the tally needs of an assembly: its rule set, its
// settings and its motions.
type Assembly struct {
	RuleSet    RuleSet
	Abstention Abstention
	// InvalidCountsTowardQuorum makes returned invalid ballots count as
	// taking part; they then weigh against passing like an abstention that
	// takes part (in the approval denominator, whatever Abstention says), and
	// never count as agreement.
	InvalidCountsTowardQuorum bool
	// DeemedConsent applies the community rule "未参与表决的业主视为同意多数意见"
	// (owners who return no ballot are deemed to agree with the majority
	// opinion). The result then reports the decision with and without it.
	DeemedConsent bool
	Motions       []Motion
	// EarlyWording words the explanations as they were for assemblies
	// published under procedure rules 0 to 2, whose stored results and
	// exports keep that text: an empty approval base compared like any
	// other ("0.00 m² < 3/4 of 0.00 m²"), and a base with abstentions
	// excluded and deemed consent named by the deemed consent alone.
	// Explanations are not in the result digest.
	EarlyWording bool
}

// Ballot is one voter's counted ballot on one motion.
type Ballot struct {
	// Voter is the voter key: VoterOf of the voter's units.
	Voter  string
	Motion string
	// Choices holds exactly one choice, except on an Election motion where
	// it holds one to Seats distinct option IDs (or exactly one of Abstain
	// and Invalid). Their order does not matter.
	Choices []Choice
}

// Errors about the assembly and the ballots.
var (
	ErrBadAssembly     = errors.New("bad assembly")
	ErrBadMotion       = errors.New("bad motion")
	ErrUnknownVoter    = errors.New("voter not on the roll")
	ErrUnknownMotion   = errors.New("motion not on the agenda")
	ErrBadChoice       = errors.New("choice not allowed on this motion")
	ErrTooManyChoices  = errors.New("more choices than seats")
	ErrDuplicateBallot = errors.New("second ballot of a voter on a motion")
)

// maxBallotErrors caps the number of ballot errors Count reports in detail.
const maxBallotErrors = 20

// Validate checks the assembly's rule set, settings and motions.
func (a Assembly) Validate() error {
	if err := a.RuleSet.Validate(); err != nil {
		return err
	}
	if a.Abstention < AbstentionParticipates || a.Abstention > AbstentionNotParticipating {
		return fmt.Errorf("%w: unknown abstention mode %d", ErrBadAssembly, a.Abstention)
	}
	if len(a.Motions) == 0 {
		return fmt.Errorf("%w: no motions", ErrBadAssembly)
	}
	ids := map[string]bool{}
	for i, m := range a.Motions {
		if err := m.Validate(); err != nil {
			wrapped := fmt.Errorf("motion %d: %w", i, err)
			if zh := l10n.Of(err); zh != "" {
				return l10n.ZH(wrapped, fmt.Sprintf("第%d项议题：%s", i+1, zh))
			}
			return wrapped
		}
		if ids[m.ID] {
			return l10n.ZH(fmt.Errorf("%w: motion ID %q used twice", ErrBadMotion, m.ID), fmt.Sprintf("第%d项议题的编号 %s 与前面的议题重复", i+1, m.ID))
		}
		ids[m.ID] = true
	}
	return nil
}

// Validate checks one motion: a non-empty ID, a known matter, distinct
// non-empty options not named like a reserved choice, at least two options
// for a Candidates motion, and Seats only on an ElectCommittee motion with at
// least as many options as seats.
func (m Motion) Validate() error {
	switch {
	case m.ID == "":
		return fmt.Errorf("%w: empty motion ID", ErrBadMotion)
	case !m.Matter.Valid():
		return fmt.Errorf("%w: motion %q: unknown matter %q", ErrBadMotion, m.ID, m.Matter)
	case m.Seats < 0:
		return l10n.ZH(fmt.Errorf("%w: motion %q: negative seats", ErrBadMotion, m.ID), "应选人数不能为负数")
	case m.Seats > 0 && m.Matter != ElectCommittee:
		return l10n.ZH(fmt.Errorf("%w: motion %q: seats on a %s motion; only %s motions have seats", ErrBadMotion, m.ID, m.Matter, ElectCommittee), "只有选举业主委员会的议题有应选人数")
	case m.Seats > len(m.Options):
		return l10n.ZH(fmt.Errorf("%w: motion %q: %d seats but %d candidates", ErrBadMotion, m.ID, m.Seats, len(m.Options)),
			fmt.Sprintf("应选 %d 人，候选人只有 %d 名：候选人不能少于应选人数", m.Seats, len(m.Options)))
	case m.Seats == 0 && len(m.Options) == 1:
		return l10n.ZH(fmt.Errorf("%w: motion %q: a choice among candidates needs at least two options (vote AGREE/OPPOSE on a single one)", ErrBadMotion, m.ID),
			"在候选中选择至少要有两个候选；只有一个的，请不列候选，由业主表决同意或反对")
	}
	seen := map[string]bool{}
	for _, o := range m.Options {
		switch {
		case o == "":
			return l10n.ZH(fmt.Errorf("%w: motion %q: empty option ID", ErrBadMotion, m.ID), "候选的编号不能为空")
		case reservedChoice(Choice(o)):
			return l10n.ZH(fmt.Errorf("%w: motion %q: option ID %q is a reserved choice", ErrBadMotion, m.ID, o), fmt.Sprintf("候选的编号不能用 %s（保留给同意、反对、弃权、无效）", o))
		case seen[o]:
			return l10n.ZH(fmt.Errorf("%w: motion %q: option %q listed twice", ErrBadMotion, m.ID, o), fmt.Sprintf("候选编号 %s 重复", o))
		}
		seen[o] = true
	}
	return nil
}

// motionCount accumulates the ballots of one motion.
type motionCount struct {
	m       Motion
	kind    Kind
	options map[Choice]int // option ID → index into tallies
	seen    []bool         // by voter index
	tallies []Figures      // AGREE, OPPOSE for AgreeOppose; one per option otherwise
	marked  Figures        // ballots with AGREE, OPPOSE or options
	abstain Figures
	invalid Figures
}

// Count tallies the ballots on the motions of a under the frozen roll units.
// It is a pure function: deterministic, and independent of the order of
// units, of ballots and of choices within a ballot. A ballot of an unknown
// voter or on an unknown motion, with a choice the motion does not allow, or
// a second ballot of a voter on a motion is an error (ErrUnknownVoter,
// ErrUnknownMotion, ErrBadChoice, ErrTooManyChoices, ErrDuplicateBallot);
// the first maxBallotErrors such errors are joined. Nothing is skipped.
func Count(units []Unit, a Assembly, ballots []Ballot) (Result, error) {
	if err := a.Validate(); err != nil {
		return Result{}, err
	}
	if len(units) == 0 {
		return Result{}, ErrEmptyRoll
	}
	r, err := indexRoll(units)
	if err != nil {
		return Result{}, err
	}
	nv := len(r.area)
	motions := make(map[string]*motionCount, len(a.Motions))
	counts := make([]*motionCount, len(a.Motions))
	for i, m := range a.Motions {
		mc := &motionCount{m: m, kind: m.Kind(), seen: make([]bool, nv)}
		if mc.kind == AgreeOppose {
			mc.tallies = make([]Figures, 2)
		} else {
			mc.tallies = make([]Figures, len(m.Options))
			mc.options = make(map[Choice]int, len(m.Options))
			for j, o := range m.Options {
				mc.options[Choice(o)] = j
			}
		}
		motions[m.ID] = mc
		counts[i] = mc
	}

	var errs []error
	nerr := 0
	fail := func(i int, b Ballot, err error) {
		nerr++
		if len(errs) < maxBallotErrors {
			errs = append(errs, fmt.Errorf("ballot %d (voter %q, motion %q): %w", i, b.Voter, b.Motion, err))
		}
	}
	var marks []int
	for i, b := range ballots {
		mc, ok := motions[b.Motion]
		if !ok {
			fail(i, b, ErrUnknownMotion)
			continue
		}
		v, ok := r.voter[b.Voter]
		if !ok {
			fail(i, b, ErrUnknownVoter)
			continue
		}
		marks, err = mc.check(b.Choices, marks[:0])
		if err != nil {
			fail(i, b, err)
			continue
		}
		if mc.seen[v] {
			fail(i, b, ErrDuplicateBallot)
			continue
		}
		mc.seen[v] = true
		f := Figures{r.area[v], 1}
		switch {
		case len(marks) == 0 && b.Choices[0] == Abstain:
			mc.abstain = mc.abstain.add(f)
		case len(marks) == 0:
			mc.invalid = mc.invalid.add(f)
		default:
			mc.marked = mc.marked.add(f)
			for _, k := range marks {
				mc.tallies[k] = mc.tallies[k].add(f)
			}
		}
	}
	if nerr > 0 {
		if nerr > len(errs) {
			errs = append(errs, fmt.Errorf("… and %d more ballot errors", nerr-len(errs)))
		}
		return Result{}, errors.Join(errs...)
	}

	res := Result{
		RuleSet:                   a.RuleSet,
		Abstention:                a.Abstention,
		InvalidCountsTowardQuorum: a.InvalidCountsTowardQuorum,
		DeemedConsent:             a.DeemedConsent,
		Total:                     r.total,
		Motions:                   make([]MotionResult, len(counts)),
	}
	for i, mc := range counts {
		res.Motions[i] = decide(a, r.total, mc)
	}
	return res, nil
}

// check validates a ballot's choices for the motion and returns the indices
// of the tallies it adds to (none for Abstain and Invalid).
func (mc *motionCount) check(cs []Choice, marks []int) ([]int, error) {
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w: no choice", ErrBadChoice)
	}
	if len(cs) == 1 && (cs[0] == Abstain || cs[0] == Invalid) {
		return marks, nil
	}
	if mc.kind == AgreeOppose {
		if len(cs) > 1 {
			return nil, fmt.Errorf("%w: %d choices on a motion voted AGREE/OPPOSE/ABSTAIN", ErrTooManyChoices, len(cs))
		}
		switch cs[0] {
		case Agree:
			return append(marks, 0), nil
		case Oppose:
			return append(marks, 1), nil
		}
		return nil, fmt.Errorf("%w: %q is not AGREE, OPPOSE, ABSTAIN or INVALID", ErrBadChoice, cs[0])
	}
	limit := 1
	if mc.kind == Election {
		limit = mc.m.Seats
	}
	if len(cs) > limit {
		return nil, fmt.Errorf("%w: %d choices, at most %d allowed", ErrTooManyChoices, len(cs), limit)
	}
	for _, c := range cs {
		k, ok := mc.options[c]
		if !ok {
			return nil, fmt.Errorf("%w: %q is not an option of motion %q, ABSTAIN or INVALID (alone)", ErrBadChoice, c, mc.m.ID)
		}
		if slices.Contains(marks, k) {
			return nil, fmt.Errorf("%w: option %q marked twice", ErrBadChoice, c)
		}
		marks = append(marks, k)
	}
	return marks, nil
}
