package tally

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const h = Area(6000) // 60.00 m², a household of the seed story

// TestCountRules covers every rule and boundary of DESIGN §2, one motion
// "m" per case.
func TestCountRules(t *testing.T) {
	custom := RuleSet{
		Name:           CustomName,
		Quorum:         Threshold{Num: 1, Den: 2},
		Ordinary:       Requirement{Threshold{Num: 2, Den: 3}, OfParticipants},
		Special:        Requirement{Threshold{Num: 4, Den: 5, Strict: true}, OfAll},
		SpecialMatters: []Matter{SelectPropertyFirm},
	}
	lowCustom := custom
	lowCustom.Ordinary = Requirement{Threshold{Num: 1, Den: 3}, OfParticipants}
	lowCustom.SpecialMatters = nil

	with := func(a Assembly, f func(*Assembly)) Assembly { f(&a); return a }
	law2007 := func(ms ...Motion) Assembly { return Assembly{RuleSet: PropertyLaw2007(), Motions: ms} }
	ordinary := agreeOppose("m", OtherMajor)
	firms := Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"a", "b", "c"}}
	twoFirms := Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"a", "b"}}
	committee := func(seats int) Motion {
		return Motion{ID: "m", Matter: ElectCommittee, Options: []string{"a", "b", "c", "d", "e"}, Seats: seats}
	}
	abstentionCase := concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 4), ballots("m", Abstain, 5, 6))
	areas := func(as ...Area) []Unit {
		us := owners(len(as), 0)
		for i, a := range as {
			us[i].Area = a
		}
		return us
	}
	seed := owners(166, h)

	tests := []struct {
		name    string
		units   []Unit
		a       Assembly
		ballots []Ballot
		want    summary
	}{
		// Quorum.
		{
			name: "exactly 2/3 taking part meets the quorum", units: owners(3, h), a: civil(ordinary),
			ballots: ballots("m", Agree, 1, 2),
			want:    summary{Participating: fig(2*h, 2), QuorumMet: true, Outcome: Passed, Base: fig(2*h, 2)},
		},
		{
			name: "0.01 m² under 2/3 of the area misses the quorum", units: areas(h, h, h+1), a: civil(ordinary),
			ballots: ballots("m", Agree, 1, 2),
			want:    summary{Participating: fig(2*h, 2), Outcome: NoQuorum, Base: fig(2*h, 2)},
		},
		{
			name: "2/3 of the area but 1/3 of the headcount misses the quorum", units: areas(2*h, h/2, h/2), a: civil(ordinary),
			ballots: ballots("m", Agree, 1, 1),
			want:    summary{Participating: fig(2*h, 1), Outcome: NoQuorum, Base: fig(2*h, 1)},
		},
		// Ordinary and special majorities.
		{
			name: "exactly 1/2 agreement fails", units: owners(4, h), a: civil(ordinary),
			ballots: concat(ballots("m", Agree, 1, 2), ballots("m", Oppose, 3, 4)),
			want:    summary{Participating: fig(4*h, 4), QuorumMet: true, Outcome: Failed, Base: fig(4*h, 4)},
		},
		{
			name: "3 of 5 agreeing passes an ordinary matter", units: owners(5, h), a: civil(ordinary),
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 5)),
			want:    summary{Participating: fig(5*h, 5), QuorumMet: true, Outcome: Passed, Base: fig(5*h, 5)},
		},
		{
			name: "exactly 3/4 passes a special matter", units: owners(4, h), a: civil(agreeOppose("m", RaiseMaintenanceFund)),
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 4)),
			want:    summary{Participating: fig(4*h, 4), QuorumMet: true, Outcome: Passed, Base: fig(4*h, 4)},
		},
		{
			name: "0.01 m² under 3/4 of the area fails a special matter", units: areas(h, h, h, h+1),
			a:       civil(agreeOppose("m", RebuildOrRenovate)),
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 4)),
			want:    summary{Participating: fig(4*h+1, 4), QuorumMet: true, Outcome: Failed, Base: fig(4*h+1, 4)},
		},
		{
			name: "changing the use of common parts is special under civil-code-2021", units: owners(3, h),
			a:       civil(agreeOppose("m", ChangeCommonUse)),
			ballots: concat(ballots("m", Agree, 1, 2), ballots("m", Oppose, 3, 3)),
			want:    summary{Participating: fig(3*h, 3), QuorumMet: true, Outcome: Failed, Base: fig(3*h, 3)},
		},
		{
			name: "an area-only majority fails", units: areas(10000, 1000, 1000), a: civil(ordinary),
			ballots: concat(ballots("m", Agree, 1, 1), ballots("m", Oppose, 2, 3)),
			want:    summary{Participating: fig(12000, 3), QuorumMet: true, Outcome: Failed, Base: fig(12000, 3)},
		},
		{
			name: "a head-only majority fails", units: areas(10000, 1000, 1000), a: civil(ordinary),
			ballots: concat(ballots("m", Oppose, 1, 1), ballots("m", Agree, 2, 3)),
			want:    summary{Participating: fig(12000, 3), QuorumMet: true, Outcome: Failed, Base: fig(12000, 3)},
		},
		// Voters.
		{
			name: "an owner of several units is one voter whose areas add up",
			units: []Unit{
				{ID: "u1", OwnerID: "o1", Area: 5000}, {ID: "u2", OwnerID: "o1", Area: 5000},
				{ID: "u3", OwnerID: "o2", Area: 6000}, {ID: "u4", OwnerID: "o3", Area: 6000},
			},
			a:       civil(ordinary),
			ballots: concat(ballots("m", Agree, 1, 1), ballots("m", Oppose, 2, 3)),
			// Agreeing area 10,000 is not more than half of 22,000, and one of
			// three heads is not more than half either.
			want: summary{Participating: fig(22000, 3), QuorumMet: true, Outcome: Failed, Base: fig(22000, 3)},
		},
		{
			name: "all developer units are one voter, whatever their owner IDs",
			units: []Unit{
				{ID: "d1", OwnerID: "buyer1", Developer: true, Area: 5000},
				{ID: "d2", OwnerID: "buyer2", Developer: true, Area: 5000},
				{ID: "d3", Developer: true, Area: 5000},
				{ID: "p1", OwnerID: "o1", Area: 6000}, {ID: "p2", OwnerID: "o2", Area: 6000},
			},
			a:       civil(ordinary),
			ballots: concat([]Ballot{vote(DeveloperVoter, "m", Agree)}, ballots("m", Oppose, 1, 2)),
			// 15,000 of 27,000 m² agree, but one head of three.
			want: summary{Participating: fig(27000, 3), QuorumMet: true, Outcome: Failed, Base: fig(27000, 3)},
		},
		{
			name: "a co-owned unit is one voter acting through its representative",
			units: []Unit{
				{ID: "u1", OwnerID: "rep", Area: 9000}, // co-owned by rep and spouse
				{ID: "u2", OwnerID: "o1", Area: 4000}, {ID: "u3", OwnerID: "o2", Area: 4000},
			},
			a:       civil(ordinary),
			ballots: concat([]Ballot{vote("rep", "m", Agree)}, ballots("m", Agree, 1, 1), ballots("m", Oppose, 2, 2)),
			want:    summary{Participating: fig(17000, 3), QuorumMet: true, Outcome: Passed, Base: fig(17000, 3)},
		},
		// Candidates.
		{
			name: "three candidates with no majority: nobody wins, never a plurality", units: owners(10, h), a: civil(firms),
			ballots: concat(ballots("m", "a", 1, 4), ballots("m", "b", 5, 7), ballots("m", "c", 8, 10)),
			want:    summary{Participating: fig(10*h, 10), QuorumMet: true, Outcome: Failed, Base: fig(10*h, 10)},
		},
		{
			name: "a candidate with the majority on both axes wins", units: owners(10, h), a: civil(firms),
			ballots: concat(ballots("m", "a", 1, 6), ballots("m", "b", 7, 8), ballots("m", "c", 9, 10)),
			want: summary{Participating: fig(10*h, 10), QuorumMet: true, Outcome: Passed, Winner: "a",
				Qualified: []string{"a"}, Base: fig(10*h, 10)},
		},
		{
			name: "a candidate with an area-only majority does not win", units: areas(30000, h, h, h, h), a: civil(firms),
			ballots: concat(ballots("m", "a", 1, 1), ballots("m", "b", 2, 3), ballots("m", "c", 4, 5)),
			want:    summary{Participating: fig(54000, 5), QuorumMet: true, Outcome: Failed, Base: fig(54000, 5)},
		},
		{
			name: "a candidate with exactly half does not win", units: owners(4, h), a: civil(twoFirms),
			ballots: concat(ballots("m", "a", 1, 2), ballots("m", "b", 3, 4)),
			want:    summary{Participating: fig(4*h, 4), QuorumMet: true, Outcome: Failed, Base: fig(4*h, 4)},
		},
		{
			name: "two candidates both qualifying under a low custom fraction: nobody wins", units: owners(6, h),
			a:       Assembly{RuleSet: lowCustom, Motions: []Motion{firms}},
			ballots: concat(ballots("m", "a", 1, 3), ballots("m", "b", 4, 5), ballots("m", "c", 6, 6)),
			want: summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Failed,
				Qualified: []string{"a", "b"}, Base: fig(6*h, 6)},
		},
		// property-law-2007.
		{
			name: "2007: exactly half taking part misses the quorum", units: owners(10, h), a: law2007(ordinary),
			ballots: ballots("m", Agree, 1, 5),
			want:    summary{Participating: fig(5*h, 5), Outcome: NoQuorum, Base: fig(10*h, 10)},
		},
		{
			name: "2007: an ordinary matter needs more than half of ALL owners", units: owners(10, h), a: law2007(ordinary),
			ballots: concat(ballots("m", Agree, 1, 5), ballots("m", Oppose, 6, 6)),
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Failed, Base: fig(10*h, 10)},
		},
		{
			name: "2007: 6 of 10 owners agreeing passes an ordinary matter", units: owners(10, h), a: law2007(ordinary),
			ballots: concat(ballots("m", Agree, 1, 6), ballots("m", Oppose, 7, 7)),
			want:    summary{Participating: fig(7*h, 7), QuorumMet: true, Outcome: Passed, Base: fig(10*h, 10)},
		},
		{
			name: "2007: using the maintenance fund passes with exactly 2/3 of ALL", units: owners(9, h),
			a:       law2007(agreeOppose("m", UseMaintenanceFund)),
			ballots: ballots("m", Agree, 1, 6),
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Base: fig(9*h, 9)},
		},
		{
			name: "2007: using the maintenance fund fails with 5 of 9", units: owners(9, h),
			a:       law2007(agreeOppose("m", UseMaintenanceFund)),
			ballots: concat(ballots("m", Agree, 1, 5), ballots("m", Oppose, 6, 7)),
			want:    summary{Participating: fig(7*h, 7), QuorumMet: true, Outcome: Failed, Base: fig(9*h, 9)},
		},
		{
			name: "2007: changing the use of common parts is ordinary", units: owners(10, h),
			a:       law2007(agreeOppose("m", ChangeCommonUse)),
			ballots: ballots("m", Agree, 1, 6),
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Base: fig(10*h, 10)},
		},
		// custom.
		{
			name: "custom: at least 1/2 taking part meets its quorum", units: owners(10, h),
			a:       Assembly{RuleSet: custom, Motions: []Motion{ordinary}},
			ballots: concat(ballots("m", Agree, 1, 4), ballots("m", Oppose, 5, 5)),
			want:    summary{Participating: fig(5*h, 5), QuorumMet: true, Outcome: Passed, Base: fig(5*h, 5)},
		},
		{
			name: "custom: exactly 2/3 passes its inclusive ordinary fraction", units: owners(6, h),
			a:       Assembly{RuleSet: custom, Motions: []Motion{ordinary}},
			ballots: concat(ballots("m", Agree, 1, 4), ballots("m", Oppose, 5, 6)),
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Base: fig(6*h, 6)},
		},
		{
			name: "custom: exactly 4/5 of all fails its strict special fraction", units: owners(10, h),
			a:       Assembly{RuleSet: custom, Motions: []Motion{agreeOppose("m", SelectPropertyFirm)}},
			ballots: concat(ballots("m", Agree, 1, 8), ballots("m", Oppose, 9, 10)),
			want:    summary{Participating: fig(10*h, 10), QuorumMet: true, Outcome: Failed, Base: fig(10*h, 10)},
		},
		{
			name: "custom: 9 of 10 passes its special matter", units: owners(10, h),
			a:       Assembly{RuleSet: custom, Motions: []Motion{agreeOppose("m", SelectPropertyFirm)}},
			ballots: ballots("m", Agree, 1, 9),
			want:    summary{Participating: fig(9*h, 9), QuorumMet: true, Outcome: Passed, Base: fig(10*h, 10)},
		},
		// Abstention modes: 3 agree, 1 opposes, 2 abstain of 9.
		{
			name: "abstentions take part and weigh against passing", units: owners(9, h), a: civil(ordinary),
			ballots: abstentionCase,
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Failed, Base: fig(6*h, 6)},
		},
		{
			name: "abstentions excluded from the denominator", units: owners(9, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.Abstention = AbstentionExcludedFromDenominator }),
			ballots: abstentionCase,
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Base: fig(4*h, 4)},
		},
		{
			name: "abstentions not taking part", units: owners(9, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.Abstention = AbstentionNotParticipating }),
			ballots: abstentionCase,
			want:    summary{Participating: fig(4*h, 4), Outcome: NoQuorum, Base: fig(4*h, 4)},
		},
		// Invalid ballots.
		{
			name: "invalid ballots do not count toward the quorum by default", units: owners(9, h), a: civil(ordinary),
			ballots: concat(ballots("m", Agree, 1, 5), ballots("m", Invalid, 6, 6)),
			want:    summary{Participating: fig(5*h, 5), Outcome: NoQuorum, Base: fig(5*h, 5)},
		},
		{
			name: "invalid ballots toward the quorum", units: owners(9, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.InvalidCountsTowardQuorum = true }),
			ballots: concat(ballots("m", Agree, 1, 5), ballots("m", Invalid, 6, 6)),
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Base: fig(6*h, 6)},
		},
		{
			name: "counted invalid ballots weigh against passing", units: owners(9, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.InvalidCountsTowardQuorum = true }),
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 5), ballots("m", Invalid, 6, 6)),
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Failed, Base: fig(6*h, 6)},
		},
		{
			name: "counted invalid ballots stay in the base when abstentions are excluded", units: owners(9, h),
			a: with(civil(ordinary), func(a *Assembly) {
				a.InvalidCountsTowardQuorum = true
				a.Abstention = AbstentionExcludedFromDenominator
			}),
			ballots: concat(ballots("m", Agree, 1, 2), ballots("m", Oppose, 3, 3), ballots("m", Abstain, 4, 4), ballots("m", Invalid, 5, 6)),
			want:    summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Failed, Base: fig(5*h, 5)},
		},
		// Deemed consent.
		{
			name: "deemed consent adds owners without a ballot to an agreeing majority", units: owners(9, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.DeemedConsent = true }),
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 5), ballots("m", Abstain, 6, 6)),
			want: summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Base: fig(9*h, 9),
				DeemedChoice: Agree, Deemed: fig(3*h, 3), Without: Failed},
		},
		{
			name: "deemed consent follows an opposing majority", units: owners(9, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.DeemedConsent = true }),
			ballots: concat(ballots("m", Agree, 1, 2), ballots("m", Oppose, 3, 6)),
			want: summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Failed, Base: fig(9*h, 9),
				DeemedChoice: Oppose, Deemed: fig(3*h, 3), Without: Failed},
		},
		{
			name: "deemed consent needs a majority opinion on both axes", units: areas(30000, h, h, h, h, h, h, h, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.DeemedConsent = true }),
			ballots: concat(ballots("m", Agree, 1, 1), ballots("m", Oppose, 2, 3), ballots("m", Abstain, 4, 6)),
			want: summary{Participating: fig(60000, 6), QuorumMet: true, Outcome: Failed, Base: fig(60000, 6),
				Without: Failed},
		},
		{
			name: "deemed consent does not make the quorum", units: owners(9, h),
			a:       with(civil(ordinary), func(a *Assembly) { a.DeemedConsent = true }),
			ballots: ballots("m", Agree, 1, 5),
			want:    summary{Participating: fig(5*h, 5), Outcome: NoQuorum, Base: fig(5*h, 5), Without: NoQuorum},
		},
		{
			name: "deemed consent for a leading candidate", units: owners(9, h),
			a:       with(civil(twoFirms), func(a *Assembly) { a.DeemedConsent = true }),
			ballots: concat(ballots("m", "a", 1, 3), ballots("m", "b", 4, 5), ballots("m", Abstain, 6, 6)),
			want: summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Winner: "a",
				Qualified: []string{"a"}, Base: fig(9*h, 9), DeemedChoice: "a", Deemed: fig(3*h, 3), Without: Failed},
		},
		{
			name: "2007: deemed consent against a base of all owners", units: owners(10, h),
			a:       with(law2007(ordinary), func(a *Assembly) { a.DeemedConsent = true }),
			ballots: concat(ballots("m", Agree, 1, 5), ballots("m", Oppose, 6, 6)),
			want: summary{Participating: fig(6*h, 6), QuorumMet: true, Outcome: Passed, Base: fig(10*h, 10),
				DeemedChoice: Agree, Deemed: fig(4*h, 4), Without: Failed},
		},
		{
			name: "deemed consent does not apply to elections", units: owners(3, h),
			a:       with(civil(committee(1)), func(a *Assembly) { a.DeemedConsent = true }),
			ballots: ballots("m", "a", 1, 2),
			want: summary{Participating: fig(2*h, 2), QuorumMet: true, Outcome: Passed, Qualified: []string{"a"},
				Elected: []string{"a"}, Base: fig(2*h, 2)},
		},
		// The seed story: 166 equal households.
		{
			name: "seed story: 110 of 166 taking part miss the quorum", units: seed, a: civil(agreeOppose("m", SelectPropertyFirm)),
			ballots: ballots("m", Agree, 1, 110),
			want:    summary{Participating: fig(110*h, 110), Outcome: NoQuorum, Base: fig(110*h, 110)},
		},
		{
			name: "seed story: 111 taking part, 55 agreeing fails", units: seed, a: civil(agreeOppose("m", SelectPropertyFirm)),
			ballots: concat(ballots("m", Agree, 1, 55), ballots("m", Oppose, 56, 111)),
			want:    summary{Participating: fig(111*h, 111), QuorumMet: true, Outcome: Failed, Base: fig(111*h, 111)},
		},
		{
			name: "seed story: 111 taking part, 56 agreeing passes", units: seed, a: civil(agreeOppose("m", SelectPropertyFirm)),
			ballots: concat(ballots("m", Agree, 1, 56), ballots("m", Oppose, 57, 111)),
			want:    summary{Participating: fig(111*h, 111), QuorumMet: true, Outcome: Passed, Base: fig(111*h, 111)},
		},
		{
			name: "seed story: firm a chosen by 56 of 111", units: seed, a: civil(twoFirms),
			ballots: concat(ballots("m", "a", 1, 56), ballots("m", "b", 57, 110), ballots("m", Abstain, 111, 111)),
			want: summary{Participating: fig(111*h, 111), QuorumMet: true, Outcome: Passed, Winner: "a",
				Qualified: []string{"a"}, Base: fig(111*h, 111)},
		},
		{
			name: "seed story: 55 of 111 for firm a is no win, whatever b has", units: seed, a: civil(twoFirms),
			ballots: concat(ballots("m", "a", 1, 55), ballots("m", "b", 56, 105), ballots("m", Abstain, 106, 111)),
			want:    summary{Participating: fig(111*h, 111), QuorumMet: true, Outcome: Failed, Base: fig(111*h, 111)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Count(tc.units, tc.a, tc.ballots)
			if err != nil {
				t.Fatalf("Count() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, summarize(res.Motions[0])); diff != "" {
				t.Errorf("Count() motion m mismatch (-want +got):\n%s\nexplanation: %s", diff, res.Motions[0].Decision.Explanation.EN)
			}
		})
	}
}
