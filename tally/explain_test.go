package tally

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExplanation(t *testing.T) {
	seed := owners(166, h)
	firm := agreeOppose("m", SelectPropertyFirm)
	twoFirms := Motion{ID: "m", Matter: SelectPropertyFirm, Options: []string{"firm-a", "firm-b"}}
	deemed := civil(agreeOppose("m", OtherMajor))
	deemed.DeemedConsent = true
	tests := []struct {
		name    string
		units   []Unit
		a       Assembly
		ballots []Ballot
		want    Explanation
		without *Explanation
	}{
		{
			name: "seed story: 56 of 111 agree", units: seed, a: civil(firm),
			ballots: concat(ballots("m", Agree, 1, 56), ballots("m", Oppose, 57, 111)),
			want: Explanation{
				ZH: "参与表决面积 6,660.00 m² ≥ 总面积 9,960.00 m² 的 2/3，参与表决人数 111 ≥ 总人数 166 的 2/3，达到表决要求。" +
					"同意面积 3,360.00 m² > 参与表决面积 6,660.00 m² 的 1/2，同意人数 56 > 参与表决人数 111 的 1/2" +
					"（普通事项，面积和人数均须超过 1/2）：通过。",
				EN: "Participating area 6,660.00 m² ≥ 2/3 of the total area 9,960.00 m², participating headcount 111 ≥ 2/3 " +
					"of the total headcount 166: quorum met. Agreeing area 3,360.00 m² > 1/2 of the participating area " +
					"6,660.00 m², agreeing headcount 56 > 1/2 of the participating headcount 111 (ordinary matter: more " +
					"than 1/2 needed on both): passed.",
			},
		},
		{
			name: "seed story: 110 of 166 take part", units: seed, a: civil(firm),
			ballots: ballots("m", Agree, 1, 110),
			want: Explanation{
				ZH: "参与表决面积 6,600.00 m² < 总面积 9,960.00 m² 的 2/3，参与表决人数 110 < 总人数 166 的 2/3，" +
					"未达到表决要求（面积和人数均须满足），本议题不作决定。",
				EN: "Participating area 6,600.00 m² < 2/3 of the total area 9,960.00 m², participating headcount 110 < 2/3 " +
					"of the total headcount 166: quorum not met (both are needed), so the motion is not decided.",
			},
		},
		{
			name: "special matter at exactly 3/4", units: owners(4, h), a: civil(agreeOppose("m", RaiseMaintenanceFund)),
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 4)),
			want: Explanation{
				ZH: "参与表决面积 240.00 m² ≥ 总面积 240.00 m² 的 2/3，参与表决人数 4 ≥ 总人数 4 的 2/3，达到表决要求。" +
					"同意面积 180.00 m² ≥ 参与表决面积 240.00 m² 的 3/4，同意人数 3 ≥ 参与表决人数 4 的 3/4" +
					"（特别事项，面积和人数均须达到 3/4 及以上）：通过。",
				EN: "Participating area 240.00 m² ≥ 2/3 of the total area 240.00 m², participating headcount 4 ≥ 2/3 of the " +
					"total headcount 4: quorum met. Agreeing area 180.00 m² ≥ 3/4 of the participating area 240.00 m², " +
					"agreeing headcount 3 ≥ 3/4 of the participating headcount 4 (special matter: at least 3/4 needed on both): passed.",
			},
		},
		{
			name: "no candidate with a majority", units: owners(4, h), a: civil(twoFirms),
			ballots: concat(ballots("m", "firm-a", 1, 2), ballots("m", "firm-b", 3, 3), ballots("m", Abstain, 4, 4)),
			want: Explanation{
				ZH: "参与表决面积 240.00 m² ≥ 总面积 240.00 m² 的 2/3，参与表决人数 4 ≥ 总人数 4 的 2/3，达到表决要求。" +
					"每名候选的得票须在参与表决面积 240.00 m² 和参与表决人数 4 上都超过 1/2（普通事项），不以相对多数决定：" +
					"firm-a 面积 120.00 m² ≤ 1/2，人数 2 ≤ 1/2，未达到；firm-b 面积 60.00 m² ≤ 1/2，人数 1 ≤ 1/2，未达到。" +
					"没有候选达到要求，无人当选（需另行表决）：未通过。",
				EN: "Participating area 240.00 m² ≥ 2/3 of the total area 240.00 m², participating headcount 4 ≥ 2/3 of the " +
					"total headcount 4: quorum met. Each candidate needs more than 1/2 of the participating area 240.00 m² " +
					"and of the participating headcount 4 (ordinary matter), never a plurality: firm-a area 120.00 m² ≤ 1/2, " +
					"headcount 2 ≤ 1/2, does not qualify; firm-b area 60.00 m² ≤ 1/2, headcount 1 ≤ 1/2, does not qualify. " +
					"No candidate qualifies, so nobody wins (a new vote is needed): failed.",
			},
		},
		{
			name: "deemed consent", units: owners(9, h), a: deemed,
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 5), ballots("m", Abstain, 6, 6)),
			want: Explanation{
				ZH: "参与表决面积 360.00 m² ≥ 总面积 540.00 m² 的 2/3，参与表决人数 6 ≥ 总人数 9 的 2/3，达到表决要求。" +
					"按业主大会议事规则，未投票的 3 名业主（面积 180.00 m²）视为同意多数意见（同意），计入该意见的票数和计票基数。" +
					"同意（含视为同意）面积 360.00 m² > 参与表决（含视为同意）面积 540.00 m² 的 1/2，" +
					"同意（含视为同意）人数 6 > 参与表决（含视为同意）人数 9 的 1/2（普通事项，面积和人数均须超过 1/2）：通过。",
				EN: "Participating area 360.00 m² ≥ 2/3 of the total area 540.00 m², participating headcount 6 ≥ 2/3 of the " +
					"total headcount 9: quorum met. Under the community's rules the 3 owners (180.00 m²) who returned no " +
					"ballot are deemed to agree with the majority opinion (AGREE) and are counted with it and in the base. " +
					"Agreeing (deemed consent included) area 360.00 m² > 1/2 of the participating (deemed consent included) " +
					"area 540.00 m², agreeing (deemed consent included) headcount 6 > 1/2 of the participating (deemed " +
					"consent included) headcount 9 (ordinary matter: more than 1/2 needed on both): passed.",
			},
			without: &Explanation{
				ZH: "（不计视为同意）参与表决面积 360.00 m² ≥ 总面积 540.00 m² 的 2/3，参与表决人数 6 ≥ 总人数 9 的 2/3，达到表决要求。" +
					"同意面积 180.00 m² ≤ 参与表决面积 360.00 m² 的 1/2，同意人数 3 ≤ 参与表决人数 6 的 1/2" +
					"（普通事项，面积和人数均须超过 1/2）：未通过。",
				EN: "(Without deemed consent) Participating area 360.00 m² ≥ 2/3 of the total area 540.00 m², participating " +
					"headcount 6 ≥ 2/3 of the total headcount 9: quorum met. Agreeing area 180.00 m² ≤ 1/2 of the " +
					"participating area 360.00 m², agreeing headcount 3 ≤ 1/2 of the participating headcount 6 (ordinary " +
					"matter: more than 1/2 needed on both): failed.",
			},
		},
	}
	for _, tc := range tests {
		res, err := Count(tc.units, tc.a, tc.ballots)
		if err != nil {
			t.Fatalf("%s: Count() error = %v", tc.name, err)
		}
		m := res.Motions[0]
		if diff := cmp.Diff(tc.want, m.Decision.Explanation); diff != "" {
			t.Errorf("%s: Count() explanation mismatch (-want +got):\n%s", tc.name, diff)
		}
		var without *Explanation
		if m.WithoutDeemedConsent != nil {
			without = &m.WithoutDeemedConsent.Explanation
		}
		if diff := cmp.Diff(tc.without, without); diff != "" {
			t.Errorf("%s: Count() explanation without deemed consent mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestExplanationNamesItsBase: the explanation says which base the
// approval test used, and states no false comparison over an empty one.
func TestExplanationNamesItsBase(t *testing.T) {
	excluded := civil(agreeOppose("m", RaiseMaintenanceFund))
	excluded.Abstention = AbstentionExcludedFromDenominator
	both := civil(agreeOppose("m", OtherMajor))
	both.Abstention, both.DeemedConsent = AbstentionExcludedFromDenominator, true
	for _, tc := range []struct {
		name    string
		units   []Unit
		a       Assembly
		ballots []Ballot
		want    []string
		not     []string
	}{
		{
			name: "all abstain, abstentions excluded", units: owners(3, h), a: excluded, ballots: ballots("m", Abstain, 1, 3),
			want: []string{"参与表决（不含弃权）面积和人数均为零（无人计入计票基数），特别事项须达到 3/4 及以上，无从满足：未通过。",
				"The participating (abstentions excluded) area and headcount are both zero (nobody is in the base), so the special matter's at least 3/4 cannot be met: failed."},
			not: []string{"< 3/4 of"},
		},
		{
			name: "abstentions excluded and deemed consent", units: owners(10, h), a: both,
			ballots: concat(ballots("m", Agree, 1, 3), ballots("m", Oppose, 4, 5), ballots("m", Abstain, 6, 7)),
			want:    []string{"参与表决（不含弃权，含视为同意）面积 480.00 m²", "the participating (abstentions excluded, deemed consent included) area 480.00 m²"},
		},
	} {
		res, err := Count(tc.units, tc.a, tc.ballots)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		e := res.Motions[0].Decision.Explanation
		for _, w := range tc.want {
			if !strings.Contains(e.ZH+e.EN, w) {
				t.Errorf("%s: explanation\n%s\n%s\nwant %q", tc.name, e.ZH, e.EN, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(e.ZH+e.EN, w) {
				t.Errorf("%s: explanation %s says %q", tc.name, e.EN, w)
			}
		}
		// Assemblies of procedure rules 0-2 keep their results' words, so
		// that what was stored and exported then verifies as written.
		early := tc.a
		early.EarlyWording = true
		res, err = Count(tc.units, early, tc.ballots)
		if err != nil {
			t.Fatal(err)
		}
		if e := res.Motions[0].Decision.Explanation; strings.Contains(e.ZH+e.EN, tc.want[0]) || !strings.Contains(e.EN, "of the participating (") {
			t.Errorf("%s, early wording: %s", tc.name, e.EN)
		}
	}
}
