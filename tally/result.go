package tally

import (
	"cmp"
	"slices"
)

// Outcome is the decision on a motion.
type Outcome string

// The outcomes of a motion.
const (
	Passed   Outcome = "PASSED"
	Failed   Outcome = "FAILED"
	NoQuorum Outcome = "NO_QUORUM"
)

// Tally is the area and headcount of the ballots with one choice. For an
// Election motion an option's tally is its support: the voters who marked it.
type Tally struct {
	Choice Choice
	Figures
}

// Explanation is a short text, in Chinese and in English, that names the
// numbers and fractions behind a decision.
type Explanation struct {
	ZH string // zh-CN, shown first
	EN string
}

// Decision is how a motion was decided from its tallies.
type Decision struct {
	// Base is the denominator of the approval test: all owners' figures
	// for a requirement of OfAll; otherwise the participants', less
	// abstainers under AbstentionExcludedFromDenominator, plus Deemed.
	Base Figures
	// DeemedChoice is the majority opinion that owners without a ballot
	// were deemed to agree with ("" when deemed consent was not applied or
	// there was no majority opinion on both axes); Deemed is their figures.
	DeemedChoice Choice
	Deemed       Figures
	// Qualified lists, in option order, the options that met the
	// requirement on both axes (Candidates and Election motions).
	Qualified []string
	Outcome   Outcome
	// Winner is the option that won a Candidates motion, or "".
	Winner string
	// Elected lists the options elected to seats of an Election motion,
	// by support (area) descending, then option order.
	Elected []string
	// Tied lists, in option order, the qualified options tied on area for
	// the last seat(s) of an Election motion; the tie is reported, never
	// broken, and those seats stay vacant.
	Tied        []string
	Explanation Explanation
}

// MotionResult is the tally and decision of one motion.
type MotionResult struct {
	Motion      Motion
	Kind        Kind
	Requirement Requirement
	// Total is the figures of all owners on the roll.
	Total Figures
	// Participating is the figures of the owners who take part in the vote
	// on this motion: every ballot with a decision choice, plus abstentions
	// unless AbstentionNotParticipating, plus invalid ballots if they count
	// toward the quorum. It never includes owners deemed to consent.
	Participating Figures
	QuorumMet     bool
	// Tallies has, in this order, AGREE and OPPOSE (AgreeOppose motions) or
	// one entry per option in option order, then ABSTAIN and INVALID.
	Tallies []Tally
	// NoBallot is the figures of the owners who returned no ballot on this
	// motion.
	NoBallot Figures
	// Decision is the official decision: with deemed consent applied when
	// the assembly has it.
	Decision Decision
	// WithoutDeemedConsent is the decision without deemed consent; set only
	// when the assembly has deemed consent and the motion is not an
	// Election (deemed consent does not apply to elections).
	WithoutDeemedConsent *Decision
}

// Result is the tally of an assembly.
type Result struct {
	RuleSet                   RuleSet
	Abstention                Abstention
	InvalidCountsTowardQuorum bool
	DeemedConsent             bool
	// Total is the roll's total area and headcount (see Totals).
	Total   Figures
	Motions []MotionResult
}

// meets reports whether f meets t of base on both axes.
func meets(t Threshold, f, base Figures) bool {
	return t.met(int64(f.Area), int64(base.Area)) && t.met(f.Head, base.Head)
}

// decide turns one motion's accumulated ballots into its result.
func decide(a Assembly, total Figures, mc *motionCount) MotionResult {
	rs := a.RuleSet
	req := rs.RequirementFor(mc.m.Matter)
	mr := MotionResult{
		Motion:      cloneMotion(mc.m),
		Kind:        mc.kind,
		Requirement: req,
		Total:       total,
		NoBallot:    total.sub(mc.marked).sub(mc.abstain).sub(mc.invalid),
	}
	part := mc.marked
	if a.Abstention != AbstentionNotParticipating {
		part = part.add(mc.abstain)
	}
	if a.InvalidCountsTowardQuorum {
		part = part.add(mc.invalid)
	}
	mr.Participating = part
	mr.QuorumMet = meets(rs.Quorum, part, total)

	if mc.kind == AgreeOppose {
		mr.Tallies = append(mr.Tallies, Tally{Agree, mc.tallies[0]}, Tally{Oppose, mc.tallies[1]})
	} else {
		for i, o := range mc.m.Options {
			mr.Tallies = append(mr.Tallies, Tally{Choice(o), mc.tallies[i]})
		}
	}
	mr.Tallies = append(mr.Tallies, Tally{Abstain, mc.abstain}, Tally{Invalid, mc.invalid})

	base := total
	if req.Of == OfParticipants {
		base = part
		if a.Abstention == AbstentionExcludedFromDenominator {
			base = base.sub(mc.abstain)
		}
	}
	if !a.DeemedConsent || mc.kind == Election {
		mr.Decision = mr.decision(a, base, "", Figures{}, plainDecision)
		return mr
	}
	plain := mr.decision(a, base, "", Figures{}, withoutDeemed)
	mr.WithoutDeemedConsent = &plain
	opinion := Choice("")
	if mr.QuorumMet {
		opinion = mr.majorityOpinion()
	}
	var deemed Figures
	if opinion != "" {
		deemed = mr.NoBallot
		if req.Of == OfParticipants {
			base = base.add(deemed)
		}
	}
	mr.Decision = mr.decision(a, base, opinion, deemed, officialDeemed)
	return mr
}

func cloneMotion(m Motion) Motion {
	m.Options = slices.Clone(m.Options)
	return m
}

// majorityOpinion returns the choice that leads every other decision choice
// strictly on both axes among the ballots cast, or "" when none does.
func (mr *MotionResult) majorityOpinion() Choice {
	decisive := mr.Tallies[:len(mr.Tallies)-2] // without ABSTAIN and INVALID
	for i, t := range decisive {
		lead := true
		for j, u := range decisive {
			if i != j && (t.Area <= u.Area || t.Head <= u.Head) {
				lead = false
				break
			}
		}
		if lead {
			return t.Choice
		}
	}
	return ""
}

// support returns the figures for choice c, including deemed consent.
func support(t Tally, opinion Choice, deemed Figures) Figures {
	if t.Choice == opinion {
		return t.Figures.add(deemed)
	}
	return t.Figures
}

// decision decides the motion against base, with deemed figures added to
// the opinion's tally.
func (mr *MotionResult) decision(a Assembly, base Figures, opinion Choice, deemed Figures, v variant) Decision {
	d := Decision{Base: base, DeemedChoice: opinion, Deemed: deemed}
	t := mr.Requirement.Threshold
	switch {
	case !mr.QuorumMet:
		d.Outcome = NoQuorum
	case mr.Kind == AgreeOppose:
		d.Outcome = Failed
		if meets(t, support(mr.Tallies[0], opinion, deemed), base) {
			d.Outcome = Passed
		}
	default:
		for _, tl := range mr.Tallies[:len(mr.Motion.Options)] {
			if meets(t, support(tl, opinion, deemed), base) {
				d.Qualified = append(d.Qualified, string(tl.Choice))
			}
		}
		if mr.Kind == Candidates {
			d.Outcome = Failed
			if len(d.Qualified) == 1 {
				d.Winner = d.Qualified[0]
				d.Outcome = Passed
			}
		} else {
			d.Elected, d.Tied = mr.seats(d.Qualified)
			d.Outcome = Failed
			if len(d.Elected) == mr.Motion.Seats {
				d.Outcome = Passed
			}
		}
	}
	d.Explanation = explain(a, mr, &d, v)
	return d
}

// seats ranks the qualified options by area-weighted support and fills the
// seats. When the last seats cannot be told apart by area, the options tied
// at that area are returned in tied and not elected.
func (mr *MotionResult) seats(qualified []string) (elected, tied []string) {
	area := map[string]Area{}
	order := map[string]int{}
	for i, t := range mr.Tallies[:len(mr.Motion.Options)] {
		area[string(t.Choice)] = t.Area
		order[string(t.Choice)] = i
	}
	ranked := slices.Clone(qualified)
	slices.SortFunc(ranked, func(x, y string) int {
		if c := cmp.Compare(area[y], area[x]); c != 0 {
			return c
		}
		return cmp.Compare(order[x], order[y])
	})
	k := mr.Motion.Seats
	if len(ranked) <= k {
		return ranked, nil
	}
	cut := area[ranked[k-1]]
	if area[ranked[k]] != cut {
		return ranked[:k], nil
	}
	for _, o := range ranked {
		switch {
		case area[o] > cut:
			elected = append(elected, o)
		case area[o] == cut:
			tied = append(tied, o)
		}
	}
	slices.SortFunc(tied, func(x, y string) int { return cmp.Compare(order[x], order[y]) })
	return elected, tied
}
