package tally

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scenario is a random but valid roll, assembly and set of ballots.
type scenario struct {
	units   []Unit
	a       Assembly
	ballots []Ballot
}

func randomThreshold(r *rand.Rand) Threshold {
	den := int64(1 + r.IntN(6))
	t := Threshold{Num: 1 + r.Int64N(den), Den: den, Strict: r.IntN(2) == 0}
	if t.Strict && t.Num == t.Den {
		t.Strict = false
	}
	return t
}

func randomRuleSet(r *rand.Rand) RuleSet {
	switch r.IntN(3) {
	case 0:
		return CivilCode2021()
	case 1:
		return PropertyLaw2007()
	}
	rs := RuleSet{
		Name:     CustomName,
		Quorum:   randomThreshold(r),
		Ordinary: Requirement{randomThreshold(r), Base(r.IntN(2))},
		Special:  Requirement{randomThreshold(r), Base(r.IntN(2))},
	}
	for _, m := range Matters() {
		if r.IntN(3) == 0 {
			rs.SpecialMatters = append(rs.SpecialMatters, m)
		}
	}
	return rs
}

// randomScenario draws a roll of up to 60 units (some owners with several
// units, some developer units, all of one area in half the draws), three motions (agree/oppose "yn",
// candidates "firm", a 2-seat election "committee") and ballots from most
// voters.
func randomScenario(r *rand.Rand) scenario {
	var s scenario
	n := 1 + r.IntN(60)
	owners := 1 + r.IntN(n)
	equal := r.IntN(2) == 0 // equal households, as in many communities, make ties
	for i := range n {
		u := Unit{ID: fmt.Sprintf("u%d", i), OwnerID: fmt.Sprintf("o%d", r.IntN(owners)), Area: Area(1 + r.IntN(20000))}
		if equal {
			u.Area = h
		}
		if r.IntN(10) == 0 {
			u.Developer = true
		}
		s.units = append(s.units, u)
	}
	matters := Matters()
	s.a = Assembly{
		RuleSet:                   randomRuleSet(r),
		Abstention:                Abstention(r.IntN(3)),
		InvalidCountsTowardQuorum: r.IntN(2) == 0,
		DeemedConsent:             r.IntN(2) == 0,
		Motions: []Motion{
			{ID: "yn", Matter: matters[r.IntN(len(matters))]},
			{ID: "firm", Matter: SelectPropertyFirm, Options: []string{"a", "b", "c"}},
			{ID: "committee", Matter: ElectCommittee, Options: []string{"p", "q", "r", "s"}, Seats: 2},
		},
	}
	voters := map[string]bool{}
	for _, u := range s.units {
		voters[VoterOf(u)] = true
	}
	keys := make([]string, 0, len(voters))
	for k := range voters {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	participation := r.Float64()
	pick := func(cs ...Choice) Choice { return cs[r.IntN(len(cs))] }
	for _, v := range keys {
		if r.Float64() < participation {
			s.ballots = append(s.ballots, vote(v, "yn", pick(Agree, Agree, Oppose, Abstain, Invalid)))
		}
		if r.Float64() < participation {
			s.ballots = append(s.ballots, vote(v, "firm", pick("a", "a", "b", "c", Abstain, Invalid)))
		}
		if r.Float64() < participation {
			switch r.IntN(6) {
			case 0:
				s.ballots = append(s.ballots, vote(v, "committee", Abstain))
			case 1:
				s.ballots = append(s.ballots, vote(v, "committee", Invalid))
			case 2:
				s.ballots = append(s.ballots, vote(v, "committee", pick("p", "q", "r", "s")))
			default: // two of p, q, r: the three are close, and often tie
				opts := []Choice{"p", "q", "r"}
				r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
				s.ballots = append(s.ballots, vote(v, "committee", opts[:2]...))
			}
		}
	}
	return s
}

const propertyRuns = 400

func TestCountIndependentOfOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range propertyRuns {
		s := randomScenario(r)
		want, err := Count(s.units, s.a, s.ballots)
		if err != nil {
			t.Fatalf("run %d: Count() error = %v", i, err)
		}
		units := slices.Clone(s.units)
		r.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
		bs := make([]Ballot, len(s.ballots))
		for j, b := range s.ballots {
			b.Choices = slices.Clone(b.Choices)
			slices.Reverse(b.Choices)
			bs[j] = b
		}
		r.Shuffle(len(bs), func(i, j int) { bs[i], bs[j] = bs[j], bs[i] })
		got, err := Count(units, s.a, bs)
		if err != nil {
			t.Fatalf("run %d: Count(shuffled) error = %v", i, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("run %d: Count(shuffled) mismatch (-want +got):\n%s", i, diff)
		}
		if want.Digest() != got.Digest() {
			t.Fatalf("run %d: Count(shuffled).Digest() = %x, want %x", i, got.Digest(), want.Digest())
		}
	}
}

func TestAddingAnAgreeVoteNeverUndoesPassing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for i := 0; checked < propertyRuns; i++ {
		s := randomScenario(r)
		before, err := Count(s.units, s.a, s.ballots)
		if err != nil {
			t.Fatalf("run %d: Count() error = %v", i, err)
		}
		if before.Motions[0].Decision.Outcome != Passed {
			continue
		}
		// Turn one voter without an AGREE on "yn" into an agreeing one.
		voted := map[string]int{}
		for j, b := range s.ballots {
			if b.Motion == "yn" {
				voted[b.Voter] = j
			}
		}
		var candidates []string
		for _, u := range s.units {
			v := VoterOf(u)
			if j, ok := voted[v]; !ok || s.ballots[j].Choices[0] != Agree {
				candidates = append(candidates, v)
			}
		}
		if len(candidates) == 0 {
			continue
		}
		checked++
		v := candidates[r.IntN(len(candidates))]
		bs := slices.Clone(s.ballots)
		if j, ok := voted[v]; ok {
			bs[j] = vote(v, "yn", Agree)
		} else {
			bs = append(bs, vote(v, "yn", Agree))
		}
		after, err := Count(s.units, s.a, bs)
		if err != nil {
			t.Fatalf("run %d: Count(one more agree) error = %v", i, err)
		}
		if got := after.Motions[0].Decision.Outcome; got != Passed {
			t.Fatalf("run %d: Count(one more agree by %q) outcome = %s, want PASSED\nbefore: %s\nafter: %s",
				i, v, got, before.Motions[0].Decision.Explanation.EN, after.Motions[0].Decision.Explanation.EN)
		}
	}
}

// decisions returns what scaling the areas must not change: every motion's
// quorum and decisions.
func decisions(res Result) []summary {
	var out []summary
	for _, m := range res.Motions {
		s := summarize(m)
		s.Participating, s.Base, s.Deemed = Figures{}, Figures{}, Figures{}
		out = append(out, s)
	}
	return out
}

func TestScalingAreasChangesNoOutcome(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range propertyRuns {
		s := randomScenario(r)
		want, err := Count(s.units, s.a, s.ballots)
		if err != nil {
			t.Fatalf("run %d: Count() error = %v", i, err)
		}
		k := Area(2 + r.IntN(100000))
		units := slices.Clone(s.units)
		for j := range units {
			units[j].Area *= k
		}
		got, err := Count(units, s.a, s.ballots)
		if err != nil {
			t.Fatalf("run %d: Count(areas ×%d) error = %v", i, k, err)
		}
		if diff := cmp.Diff(decisions(want), decisions(got)); diff != "" {
			t.Fatalf("run %d: Count(areas ×%d) decisions mismatch (-want +got):\n%s", i, k, diff)
		}
		if got.Total.Area != want.Total.Area*k || got.Motions[0].Participating.Area != want.Motions[0].Participating.Area*k {
			t.Fatalf("run %d: Count(areas ×%d) total %v, participating %v, want %v and %v scaled", i, k,
				got.Total, got.Motions[0].Participating, want.Total, want.Motions[0].Participating)
		}
	}
}

// TestScenariosCoverEveryOutcome guards the property tests against a
// generator that never produces the cases they are about.
func TestScenariosCoverEveryOutcome(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	seen := map[string]bool{}
	for range propertyRuns {
		s := randomScenario(r)
		res, err := Count(s.units, s.a, s.ballots)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Motions {
			seen[m.Kind.String()+" "+string(m.Decision.Outcome)] = true
			if len(m.Decision.Tied) > 0 {
				seen["tie"] = true
			}
			if m.Decision.DeemedChoice != "" {
				seen["deemed"] = true
			}
		}
	}
	for _, k := range []Kind{AgreeOppose, Candidates, Election} {
		for _, o := range []Outcome{Passed, Failed, NoQuorum} {
			if !seen[k.String()+" "+string(o)] {
				t.Errorf("random scenarios never produce %s %s", k, o)
			}
		}
	}
	for _, k := range []string{"tie", "deemed"} {
		if !seen[k] {
			t.Errorf("random scenarios never produce a %s", k)
		}
	}
}
