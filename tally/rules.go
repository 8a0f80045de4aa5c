package tally

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Matter is what a motion decides; the rule set says whether it is an
// ordinary or a special matter.
type Matter string

// The matters of DESIGN §4, by their wire names.
const (
	SelectPropertyFirm   Matter = "SELECT_PROPERTY_FIRM"
	RenewPropertyFirm    Matter = "RENEW_PROPERTY_FIRM"
	DismissPropertyFirm  Matter = "DISMISS_PROPERTY_FIRM"
	ElectCommittee       Matter = "ELECT_COMMITTEE"
	AssemblyRules        Matter = "ASSEMBLY_RULES"
	OwnersCovenant       Matter = "OWNERS_COVENANT"
	UseMaintenanceFund   Matter = "USE_MAINTENANCE_FUND"
	RaiseMaintenanceFund Matter = "RAISE_MAINTENANCE_FUND"
	RebuildOrRenovate    Matter = "REBUILD_OR_RENOVATE"
	ChangeCommonUse      Matter = "CHANGE_COMMON_USE"
	OtherMajor           Matter = "OTHER_MAJOR"
)

// Matters returns every known matter in the order of DESIGN §4.
func Matters() []Matter {
	return []Matter{SelectPropertyFirm, RenewPropertyFirm, DismissPropertyFirm, ElectCommittee,
		AssemblyRules, OwnersCovenant, UseMaintenanceFund, RaiseMaintenanceFund, RebuildOrRenovate,
		ChangeCommonUse, OtherMajor}
}

// Valid reports whether m is a known matter.
func (m Matter) Valid() bool { return slices.Contains(Matters(), m) }

// ZH returns the matter's name in Chinese.
func (m Matter) ZH() string {
	switch m {
	case SelectPropertyFirm:
		return "选聘物业服务企业"
	case RenewPropertyFirm:
		return "续聘物业服务企业"
	case DismissPropertyFirm:
		return "解聘物业服务企业"
	case ElectCommittee:
		return "选举业主委员会"
	case AssemblyRules:
		return "制定和修改业主大会议事规则"
	case OwnersCovenant:
		return "制定和修改管理规约"
	case UseMaintenanceFund:
		return "使用维修资金"
	case RaiseMaintenanceFund:
		return "筹集维修资金"
	case RebuildOrRenovate:
		return "改建、重建建筑物及其附属设施"
	case ChangeCommonUse:
		return "改变共有部分用途或利用共有部分从事经营活动"
	case OtherMajor:
		return "其他重大事项"
	}
	return string(m)
}

// EN returns the matter's name in English.
func (m Matter) EN() string {
	switch m {
	case SelectPropertyFirm:
		return "select a property-management firm"
	case RenewPropertyFirm:
		return "renew the property-management firm"
	case DismissPropertyFirm:
		return "dismiss the property-management firm"
	case ElectCommittee:
		return "elect the owners' committee"
	case AssemblyRules:
		return "assembly rules"
	case OwnersCovenant:
		return "owners' covenant"
	case UseMaintenanceFund:
		return "use the maintenance fund"
	case RaiseMaintenanceFund:
		return "raise the maintenance fund"
	case RebuildOrRenovate:
		return "rebuild or renovate buildings and facilities"
	case ChangeCommonUse:
		return "change the use of common parts or run a business on them"
	case OtherMajor:
		return "other major matter"
	}
	return string(m)
}

// Threshold is a fraction Num/Den of a base that a figure must reach:
// strictly more than it ("过半数": exactly half fails) when Strict, at least
// it ("以上": the boundary passes) otherwise.
type Threshold struct {
	Num, Den int64
	Strict   bool
}

// String formats t as "> 1/2" or "≥ 3/4".
func (t Threshold) String() string {
	if t.Strict {
		return "> " + t.Fraction()
	}
	return "≥ " + t.Fraction()
}

// Fraction formats t's fraction as "2/3".
func (t Threshold) Fraction() string {
	return strconv.FormatInt(t.Num, 10) + "/" + strconv.FormatInt(t.Den, 10)
}

// ParseFraction parses "p/q" with 0 <= p <= q and 0 < q into a
// threshold that is strict or not as given.
func ParseFraction(s string, strict bool) (Threshold, error) {
	p, q, ok := strings.Cut(s, "/")
	num, err1 := strconv.ParseInt(p, 10, 64)
	den, err2 := strconv.ParseInt(q, 10, 64)
	if !ok || err1 != nil || err2 != nil || !allDigits(p) || !allDigits(q) {
		return Threshold{}, fmt.Errorf("%w: %q is not a fraction like 2/3", ErrBadRuleSet, s)
	}
	t := Threshold{Num: num, Den: den, Strict: strict}
	return t, t.validate()
}

func (t Threshold) validate() error {
	switch {
	case t.Den <= 0 || t.Num < 0 || t.Num > t.Den:
		return fmt.Errorf("%w: fraction %d/%d is not between 0 and 1", ErrBadRuleSet, t.Num, t.Den)
	case t.Strict && t.Num == t.Den:
		return fmt.Errorf("%w: more than %d/%d can never be reached", ErrBadRuleSet, t.Num, t.Den)
	case !t.Strict && t.Num == 0:
		return fmt.Errorf("%w: at least 0/%d is no requirement", ErrBadRuleSet, t.Den)
	}
	return nil
}

// met reports whether a/b passes t, by exact cross-multiplication in 128
// bits: a·Den > Num·b (strict) or a·Den ≥ Num·b. A test over an empty base
// (b == 0) is never met. a and b must be non-negative.
func (t Threshold) met(a, b int64) bool {
	if b <= 0 {
		return false
	}
	c := cmp128(uint64(a), uint64(t.Den), uint64(t.Num), uint64(b))
	if t.Strict {
		return c > 0
	}
	return c >= 0
}

// Base says which figures a requirement's fraction is taken of.
type Base int

const (
	// OfParticipants takes the fraction of the owners taking part in the
	// vote on the motion (civil-code-2021).
	OfParticipants Base = iota
	// OfAll takes the fraction of all owners' area and headcount
	// (property-law-2007).
	OfAll
)

// String returns "PARTICIPANTS" or "ALL".
func (b Base) String() string {
	if b == OfAll {
		return "ALL"
	}
	return "PARTICIPANTS"
}

// Requirement is the agreement a motion needs: a threshold on both axes,
// area and headcount, of a base.
type Requirement struct {
	Threshold
	Of Base
}

// RuleSet is the law a tally applies. It is plain data: CivilCode2021 and
// PropertyLaw2007 return the built-in ones; a custom rule set fills in the
// fields from local regulations.
type RuleSet struct {
	// Name is "civil-code-2021", "property-law-2007" or "custom".
	Name string
	// Quorum is the share of ALL owners' area and of all owners' headcount
	// that must take part in the vote on a motion.
	Quorum Threshold
	// Ordinary is the agreement an ordinary matter needs.
	Ordinary Requirement
	// Special is the agreement a special matter needs.
	Special Requirement
	// SpecialMatters lists the matters that need Special; all others need
	// Ordinary.
	SpecialMatters []Matter
}

// Names of the built-in rule sets and of a custom one.
const (
	CivilCode2021Name   = "civil-code-2021"
	PropertyLaw2007Name = "property-law-2007"
	CustomName          = "custom"
)

// ErrBadRuleSet is wrapped by errors about a rule set or an unknown rule set
// name.
var ErrBadRuleSet = errors.New("bad rule set")

// CivilCode2021 returns the default rule set: PRC Civil Code art. 278 and the
// SPC interpretation on building division ownership. Quorum ≥ 2/3 of all area
// and headcount; ordinary matters > 1/2 and special matters ≥ 3/4 of the
// participating area and headcount; special matters are raising the
// maintenance fund, rebuilding or renovating, and changing the use of common
// parts.
func CivilCode2021() RuleSet {
	return RuleSet{
		Name:           CivilCode2021Name,
		Quorum:         Threshold{Num: 2, Den: 3},
		Ordinary:       Requirement{Threshold{Num: 1, Den: 2, Strict: true}, OfParticipants},
		Special:        Requirement{Threshold{Num: 3, Den: 4}, OfParticipants},
		SpecialMatters: []Matter{RaiseMaintenanceFund, RebuildOrRenovate, ChangeCommonUse},
	}
}

// PropertyLaw2007 returns the rule set of the 2007 Property Law art. 76:
// quorum > 1/2 of all area and headcount; ordinary matters > 1/2 of ALL
// owners' area and headcount; raising or using the maintenance fund and
// rebuilding ≥ 2/3 of ALL. Changing the use of common parts is ordinary.
func PropertyLaw2007() RuleSet {
	return RuleSet{
		Name:           PropertyLaw2007Name,
		Quorum:         Threshold{Num: 1, Den: 2, Strict: true},
		Ordinary:       Requirement{Threshold{Num: 1, Den: 2, Strict: true}, OfAll},
		Special:        Requirement{Threshold{Num: 2, Den: 3}, OfAll},
		SpecialMatters: []Matter{UseMaintenanceFund, RaiseMaintenanceFund, RebuildOrRenovate},
	}
}

// RuleSetByName returns a built-in rule set by name. A custom rule set has no
// fixed content and is an error here.
func RuleSetByName(name string) (RuleSet, error) {
	switch name {
	case CivilCode2021Name:
		return CivilCode2021(), nil
	case PropertyLaw2007Name:
		return PropertyLaw2007(), nil
	}
	return RuleSet{}, fmt.Errorf("%w: unknown rule set %q (want %s or %s, or %s with its rules)",
		ErrBadRuleSet, name, CivilCode2021Name, PropertyLaw2007Name, CustomName)
}

// Validate checks that rs is a built-in rule set unchanged or a custom one
// with sound fractions and known matters.
func (rs RuleSet) Validate() error {
	switch rs.Name {
	case CivilCode2021Name, PropertyLaw2007Name:
		want, _ := RuleSetByName(rs.Name)
		if !rs.equal(want) {
			return fmt.Errorf("%w: %s differs from the built-in rule set; name it %s", ErrBadRuleSet, rs.Name, CustomName)
		}
		return nil
	case CustomName:
	default:
		_, err := RuleSetByName(rs.Name)
		return err
	}
	for _, c := range []struct {
		name string
		t    Threshold
	}{{"quorum", rs.Quorum}, {"ordinary", rs.Ordinary.Threshold}, {"special", rs.Special.Threshold}} {
		if err := c.t.validate(); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	for _, r := range []Requirement{rs.Ordinary, rs.Special} {
		if r.Of != OfParticipants && r.Of != OfAll {
			return fmt.Errorf("%w: unknown base %d", ErrBadRuleSet, r.Of)
		}
	}
	seen := map[Matter]bool{}
	for _, m := range rs.SpecialMatters {
		if !m.Valid() {
			return fmt.Errorf("%w: unknown special matter %q", ErrBadRuleSet, m)
		}
		if seen[m] {
			return fmt.Errorf("%w: special matter %q listed twice", ErrBadRuleSet, m)
		}
		seen[m] = true
	}
	return nil
}

func (rs RuleSet) equal(o RuleSet) bool {
	a, b := slices.Clone(rs.SpecialMatters), slices.Clone(o.SpecialMatters)
	slices.Sort(a)
	slices.Sort(b)
	return rs.Name == o.Name && rs.Quorum == o.Quorum && rs.Ordinary == o.Ordinary &&
		rs.Special == o.Special && slices.Equal(a, b)
}

// IsSpecial reports whether rs classes m as a special matter.
func (rs RuleSet) IsSpecial(m Matter) bool { return slices.Contains(rs.SpecialMatters, m) }

// RequirementFor returns the requirement rs sets for a motion on m.
func (rs RuleSet) RequirementFor(m Matter) Requirement {
	if rs.IsSpecial(m) {
		return rs.Special
	}
	return rs.Ordinary
}

// Abstention says how an abstaining ballot counts. The zero value is the
// safe default, AbstentionParticipates.
type Abstention int

const (
	// AbstentionParticipates: an abstainer takes part in the vote and is in
	// the approval denominator, so abstaining weighs against passing.
	AbstentionParticipates Abstention = iota
	// AbstentionExcludedFromDenominator: an abstainer takes part for the
	// quorum but is left out of the approval denominator.
	AbstentionExcludedFromDenominator
	// AbstentionNotParticipating: an abstainer counts neither toward the
	// quorum nor in the approval denominator.
	AbstentionNotParticipating
)

// String returns the wire name: PARTICIPATES, EXCLUDED_FROM_DENOMINATOR or
// NOT_PARTICIPATING.
func (a Abstention) String() string {
	switch a {
	case AbstentionParticipates:
		return "PARTICIPATES"
	case AbstentionExcludedFromDenominator:
		return "EXCLUDED_FROM_DENOMINATOR"
	case AbstentionNotParticipating:
		return "NOT_PARTICIPATING"
	}
	return "Abstention(" + strconv.Itoa(int(a)) + ")"
}

// ParseAbstention parses a wire name as returned by Abstention.String.
func ParseAbstention(s string) (Abstention, error) {
	for a := AbstentionParticipates; a <= AbstentionNotParticipating; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w: abstention %q is not PARTICIPATES, EXCLUDED_FROM_DENOMINATOR or NOT_PARTICIPATING", ErrBadAssembly, s)
}
