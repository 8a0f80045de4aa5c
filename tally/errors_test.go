package tally

import (
	"errors"
	"fmt"
	"testing"
)

func TestCountBallotErrors(t *testing.T) {
	units := []Unit{
		{ID: "u1", OwnerID: "o1", Area: h}, {ID: "u2", OwnerID: "o2", Area: h},
		{ID: "u3", OwnerID: "rep", Area: h}, // co-owned by rep and spouse
		{ID: "d1", OwnerID: "buyer", Developer: true, Area: h}, {ID: "d2", OwnerID: "dev", Developer: true, Area: h},
	}
	a := civil(
		agreeOppose("yes-no", OtherMajor),
		Motion{ID: "firm", Matter: SelectPropertyFirm, Options: []string{"a", "b"}},
		Motion{ID: "committee", Matter: ElectCommittee, Options: []string{"a", "b", "c"}, Seats: 2},
	)
	tests := []struct {
		name    string
		ballots []Ballot
		want    error
	}{
		{"unknown voter", []Ballot{vote("o9", "yes-no", Agree)}, ErrUnknownVoter},
		{"a co-owner who is not the representative", []Ballot{vote("spouse", "yes-no", Agree)}, ErrUnknownVoter},
		{"the buyer of an undelivered unit", []Ballot{vote("buyer", "yes-no", Agree)}, ErrUnknownVoter},
		{"unknown motion", []Ballot{vote("o1", "m9", Agree)}, ErrUnknownMotion},
		{"no choice", []Ballot{vote("o1", "yes-no")}, ErrBadChoice},
		{"an option on an agree/oppose motion", []Ballot{vote("o1", "yes-no", "a")}, ErrBadChoice},
		{"AGREE on a candidate motion", []Ballot{vote("o1", "firm", Agree)}, ErrBadChoice},
		{"OPPOSE on an election", []Ballot{vote("o1", "committee", Oppose)}, ErrBadChoice},
		{"unknown option", []Ballot{vote("o1", "firm", "z")}, ErrBadChoice},
		{"lower-case choice", []Ballot{vote("o1", "yes-no", "agree")}, ErrBadChoice},
		{"two choices on an agree/oppose motion", []Ballot{vote("o1", "yes-no", Agree, Oppose)}, ErrTooManyChoices},
		{"two options on a candidate motion", []Ballot{vote("o1", "firm", "a", "b")}, ErrTooManyChoices},
		{"more marks than seats", []Ballot{vote("o1", "committee", "a", "b", "c")}, ErrTooManyChoices},
		{"an option marked twice", []Ballot{vote("o1", "committee", "a", "a")}, ErrBadChoice},
		{"ABSTAIN with an option", []Ballot{vote("o1", "committee", "a", Abstain)}, ErrBadChoice},
		{"duplicate ballot", []Ballot{vote("o1", "yes-no", Agree), vote("o1", "yes-no", Oppose)}, ErrDuplicateBallot},
		{"duplicate ballot with the same choice", []Ballot{vote("o1", "firm", "a"), vote("o1", "firm", "a")}, ErrDuplicateBallot},
		{"second ballot of the developer", []Ballot{vote(DeveloperVoter, "yes-no", Agree), vote(DeveloperVoter, "yes-no", Abstain)}, ErrDuplicateBallot},
	}
	for _, tc := range tests {
		if _, err := Count(units, a, tc.ballots); !errors.Is(err, tc.want) {
			t.Errorf("%s: Count() error = %v, want error wrapping %v", tc.name, err, tc.want)
		}
	}
}

func TestCountReportsEveryBadBallot(t *testing.T) {
	units := owners(3, h)
	a := civil(agreeOppose("m", OtherMajor))
	bs := []Ballot{vote("o9", "m", Agree), vote("o1", "m9", Agree), vote("o2", "m", "NO")}
	_, err := Count(units, a, bs)
	for _, want := range []error{ErrUnknownVoter, ErrUnknownMotion, ErrBadChoice} {
		if !errors.Is(err, want) {
			t.Errorf("Count(three bad ballots) error = %v, want it to wrap %v", err, want)
		}
	}

	var many []Ballot
	for i := range 100 {
		many = append(many, vote(fmt.Sprintf("x%d", i), "m", Agree))
	}
	_, err = Count(units, a, many)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != maxBallotErrors+1 {
		t.Errorf("Count(100 bad ballots) error = %v, want %d errors and a count of the rest", err, maxBallotErrors)
	}
}

func TestCountAssemblyErrors(t *testing.T) {
	ok := agreeOppose("m", OtherMajor)
	bad := func(f func(*RuleSet)) RuleSet { rs := CivilCode2021(); f(&rs); return rs }
	tests := []struct {
		name string
		a    Assembly
		want error
	}{
		{"no rule set", Assembly{Motions: []Motion{ok}}, ErrBadRuleSet},
		{"unknown rule set", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Name = "civil-code-2020" }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"altered built-in rule set", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Quorum.Num = 1 }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"custom fraction over 1", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Name = CustomName; rs.Special.Num = 5 }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"custom zero denominator", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Name = CustomName; rs.Quorum.Den = 0 }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"custom more than 1/1", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Name = CustomName; rs.Ordinary.Threshold = Threshold{1, 1, true} }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"custom at least 0", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Name = CustomName; rs.Quorum = Threshold{0, 3, false} }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"custom unknown base", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Name = CustomName; rs.Special.Of = 7 }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"custom unknown special matter", Assembly{RuleSet: bad(func(rs *RuleSet) { rs.Name = CustomName; rs.SpecialMatters = []Matter{"PAINT"} }), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"custom special matter twice", Assembly{RuleSet: bad(func(rs *RuleSet) {
			rs.Name = CustomName
			rs.SpecialMatters = []Matter{RebuildOrRenovate, RebuildOrRenovate}
		}), Motions: []Motion{ok}}, ErrBadRuleSet},
		{"unknown abstention mode", Assembly{RuleSet: CivilCode2021(), Abstention: 3, Motions: []Motion{ok}}, ErrBadAssembly},
		{"no motions", civil(), ErrBadAssembly},
		{"empty motion ID", civil(agreeOppose("", OtherMajor)), ErrBadMotion},
		{"unknown matter", civil(agreeOppose("m", "PAINT_FENCE")), ErrBadMotion},
		{"duplicate motion ID", civil(ok, ok), ErrBadMotion},
		{"one option", civil(Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"a"}}), ErrBadMotion},
		{"empty option", civil(Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"a", ""}}), ErrBadMotion},
		{"duplicate option", civil(Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"a", "a"}}), ErrBadMotion},
		{"reserved option", civil(Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"a", "ABSTAIN"}}), ErrBadMotion},
		{"seats on another matter", civil(Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"a", "b"}, Seats: 1}), ErrBadMotion},
		{"more seats than candidates", civil(Motion{ID: "m", Matter: ElectCommittee, Options: []string{"a", "b"}, Seats: 3}), ErrBadMotion},
		{"negative seats", civil(Motion{ID: "m", Matter: ElectCommittee, Options: []string{"a", "b"}, Seats: -1}), ErrBadMotion},
	}
	for _, tc := range tests {
		if _, err := Count(owners(3, h), tc.a, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: Count() error = %v, want error wrapping %v", tc.name, err, tc.want)
		}
	}
	if _, err := Count(nil, civil(ok), nil); !errors.Is(err, ErrEmptyRoll) {
		t.Errorf("Count(empty roll) error = %v, want error wrapping ErrEmptyRoll", err)
	}
	if _, err := Count([]Unit{{ID: "u1", OwnerID: "o1"}, {ID: "u1", OwnerID: "o2"}}, civil(ok), nil); !errors.Is(err, ErrDuplicateUnit) {
		t.Errorf("Count(duplicate unit) error = %v, want error wrapping ErrDuplicateUnit", err)
	}
}

func TestRuleSets(t *testing.T) {
	for _, name := range []string{CivilCode2021Name, PropertyLaw2007Name} {
		rs, err := RuleSetByName(name)
		if err != nil || rs.Name != name || rs.Validate() != nil {
			t.Errorf("RuleSetByName(%q) = %+v, %v, want a valid rule set of that name", name, rs, err)
		}
	}
	if _, err := RuleSetByName(CustomName); !errors.Is(err, ErrBadRuleSet) {
		t.Errorf("RuleSetByName(%q) error = %v, want ErrBadRuleSet", CustomName, err)
	}
	// Built-in rule sets are fresh values: changing one does not change the next.
	rs := CivilCode2021()
	rs.SpecialMatters[0] = OtherMajor
	if CivilCode2021().SpecialMatters[0] != RaiseMaintenanceFund {
		t.Errorf("CivilCode2021() shares its SpecialMatters between calls")
	}
	cc, pl := CivilCode2021(), PropertyLaw2007()
	for _, tc := range []struct {
		rs      RuleSet
		m       Matter
		special bool
	}{
		{cc, RaiseMaintenanceFund, true}, {cc, RebuildOrRenovate, true}, {cc, ChangeCommonUse, true},
		{cc, UseMaintenanceFund, false}, {cc, SelectPropertyFirm, false}, {cc, ElectCommittee, false},
		{pl, UseMaintenanceFund, true}, {pl, RaiseMaintenanceFund, true}, {pl, RebuildOrRenovate, true},
		{pl, ChangeCommonUse, false}, {pl, DismissPropertyFirm, false},
	} {
		if got := tc.rs.IsSpecial(tc.m); got != tc.special {
			t.Errorf("%s.IsSpecial(%s) = %v, want %v", tc.rs.Name, tc.m, got, tc.special)
		}
	}
}

func TestParseFraction(t *testing.T) {
	got, err := ParseFraction("2/3", false)
	if err != nil || got != (Threshold{2, 3, false}) {
		t.Errorf("ParseFraction(2/3, false) = %v, %v, want ≥ 2/3", got, err)
	}
	for _, s := range []string{"", "2", "2/", "/3", "3/2", "-1/2", "1/0", "+1/2", "1/ 2", "1.5/2", "0/3"} {
		if got, err := ParseFraction(s, false); !errors.Is(err, ErrBadRuleSet) {
			t.Errorf("ParseFraction(%q, false) = %v, %v, want ErrBadRuleSet", s, got, err)
		}
	}
	if got, err := ParseFraction("1/1", true); !errors.Is(err, ErrBadRuleSet) {
		t.Errorf("ParseFraction(1/1, true) = %v, %v, want ErrBadRuleSet", got, err)
	}
}

func TestParseAbstention(t *testing.T) {
	for a := AbstentionParticipates; a <= AbstentionNotParticipating; a++ {
		if got, err := ParseAbstention(a.String()); err != nil || got != a {
			t.Errorf("ParseAbstention(%q) = %v, %v, want %v", a.String(), got, err, a)
		}
	}
	if _, err := ParseAbstention("participates"); !errors.Is(err, ErrBadAssembly) {
		t.Errorf("ParseAbstention(participates) error = %v, want ErrBadAssembly", err)
	}
}
