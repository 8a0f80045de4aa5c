package recount

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownervote/ownervote/tally"
)

func TestParseAssembly(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want tally.Assembly
	}{
		{
			name: "defaults",
			in:   `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM", "options": ["firm-a", "firm-b"]}]}`,
			want: tally.Assembly{RuleSet: tally.CivilCode2021(), Motions: []tally.Motion{
				{ID: "m1", Matter: tally.SelectPropertyFirm, Options: []string{"firm-a", "firm-b"}},
			}},
		},
		{
			name: "saved by Notepad: a byte order mark",
			in:   "\ufeff" + `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM", "options": ["firm-a", "firm-b"]}]}`,
			want: tally.Assembly{RuleSet: tally.CivilCode2021(), Motions: []tally.Motion{
				{ID: "m1", Matter: tally.SelectPropertyFirm, Options: []string{"firm-a", "firm-b"}},
			}},
		},
		{
			name: "DESIGN §4 example with every key",
			in: `{"rule_set": "civil-code-2021", "abstention": "PARTICIPATES",
			"invalid_counts_toward_quorum": false, "deemed_consent": false, "motions": [{"id": "m1",
			"matter": "SELECT_PROPERTY_FIRM", "options": ["firm-a", "firm-b"]}]}`,
			want: tally.Assembly{RuleSet: tally.CivilCode2021(), Motions: []tally.Motion{
				{ID: "m1", Matter: tally.SelectPropertyFirm, Options: []string{"firm-a", "firm-b"}},
			}},
		},
		{
			name: "property-law-2007 with settings, an election and an agree/oppose motion",
			in: `{"rule_set": "property-law-2007", "abstention": "EXCLUDED_FROM_DENOMINATOR",
			"invalid_counts_toward_quorum": true, "deemed_consent": true, "motions": [
			{"id": "fund", "matter": "RAISE_MAINTENANCE_FUND"},
			{"id": "committee", "matter": "ELECT_COMMITTEE", "options": ["a", "b", "c"], "seats": 2}]}`,
			want: tally.Assembly{RuleSet: tally.PropertyLaw2007(), Abstention: tally.AbstentionExcludedFromDenominator,
				InvalidCountsTowardQuorum: true, DeemedConsent: true, Motions: []tally.Motion{
					{ID: "fund", Matter: tally.RaiseMaintenanceFund},
					{ID: "committee", Matter: tally.ElectCommittee, Options: []string{"a", "b", "c"}, Seats: 2},
				}},
		},
		{
			name: "custom rule set",
			in: `{"rule_set": "custom", "custom_rule_set": {"quorum": {"at_least": "1/2"},
			"ordinary": {"more_than": "1/2"}, "special": {"at_least": "2/3", "of": "ALL"},
			"special_matters": ["CHANGE_COMMON_USE", "OTHER_MAJOR"]},
			"abstention": "NOT_PARTICIPATING", "motions": [{"id": "m", "matter": "OTHER_MAJOR"}]}`,
			want: tally.Assembly{
				RuleSet: tally.RuleSet{
					Name:           tally.CustomName,
					Quorum:         tally.Threshold{Num: 1, Den: 2},
					Ordinary:       tally.Requirement{Threshold: tally.Threshold{Num: 1, Den: 2, Strict: true}},
					Special:        tally.Requirement{Threshold: tally.Threshold{Num: 2, Den: 3}, Of: tally.OfAll},
					SpecialMatters: []tally.Matter{tally.ChangeCommonUse, tally.OtherMajor},
				},
				Abstention: tally.AbstentionNotParticipating,
				Motions:    []tally.Motion{{ID: "m", Matter: tally.OtherMajor}},
			},
		},
	}
	for _, tc := range tests {
		got, err := ParseAssembly("assembly.json", strings.NewReader(tc.in))
		if err != nil {
			t.Errorf("%s: ParseAssembly() error = %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: ParseAssembly() mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestParseAssemblyErrors(t *testing.T) {
	m := `"motions": [{"id": "m1", "matter": "OTHER_MAJOR"}]`
	custom := func(rules string) string {
		return `{"rule_set": "custom", "custom_rule_set": ` + rules + `, ` + m + `}`
	}
	okRules := `"quorum": {"at_least": "2/3"}, "ordinary": {"more_than": "1/2"}, "special": {"at_least": "3/4"}, "special_matters": []`
	tests := []struct {
		name string
		in   string
		want error
		at   []where
	}{
		{"empty file", ``, ErrSyntax, []where{{1, ""}}},
		{"not JSON", "{\n  motions: []\n}", ErrSyntax, []where{{2, ""}}},
		{"truncated", "{\n\"motions\": [\n", ErrSyntax, []where{{3, ""}}},
		{"trailing data", `{` + m + `} {}`, ErrSyntax, []where{{1, ""}}},
		{"invalid UTF-8", "{\n\"rule_set\": \"\xff\"}", ErrSyntax, []where{{2, ""}}},
		{"not an object", `[]`, ErrBadField, []where{{1, ""}}},
		{"no motions", `{}`, ErrMissingKey, []where{{1, "motions"}}},
		{"duplicate key in a motion", `{"motions": [{"id": "m1",` + "\n" + `"id": "m2", "matter": "OTHER_MAJOR"}]}`, ErrDuplicateKey, []where{{2, "motions[0].id"}}},
		{"empty motions", `{"motions": []}`, ErrEmptyFile, []where{{1, "motions"}}},
		// A motion's own problems at the line of the field they are about.
		{"more seats than candidates", "{\"motions\": [{\"id\": \"m1\", \"matter\": \"ELECT_COMMITTEE\",\n\"options\": [\"a\", \"b\"],\n\"seats\": 3}]}", tally.ErrBadMotion, []where{{3, "motions[0].seats"}}},
		{"one candidate", "{\"motions\": [{\"id\": \"m1\", \"matter\": \"SELECT_PROPERTY_FIRM\",\n\"options\": [\"a\"]}]}", tally.ErrBadMotion, []where{{2, "motions[0].options"}}},
		{"motions not an array", `{"motions": {}}`, ErrBadField, []where{{1, "motions"}}},
		{"duplicate key", "{\"deemed_consent\": true,\n\"deemed_consent\": false, " + m + `}`, ErrDuplicateKey, []where{{2, "deemed_consent"}}},
		{"unknown key", "{\"rule_set\": \"civil-code-2021\",\n \"quorum\": \"2/3\", " + m + `}`, ErrUnknownKey, []where{{2, "quorum"}}},
		{"unknown rule set", `{"rule_set": "civil-code", ` + m + `}`, tally.ErrBadRuleSet, []where{{1, "rule_set"}}},
		{"rule set not a string", `{"rule_set": 2021, ` + m + `}`, ErrBadField, []where{{1, "rule_set"}}},
		{"empty rule set", `{"rule_set": "", ` + m + `}`, tally.ErrBadRuleSet, []where{{1, "rule_set"}}},
		{"unknown abstention", `{"abstention": "ABSTAINS", ` + m + `}`, tally.ErrBadAssembly, []where{{1, "abstention"}}},
		{"boolean as a string", `{"deemed_consent": "false", ` + m + `}`, ErrBadField, []where{{1, "deemed_consent"}}},
		{"null setting", `{"invalid_counts_toward_quorum": null, ` + m + `}`, ErrBadField, []where{{1, "invalid_counts_toward_quorum"}}},
		{"custom without rules", `{"rule_set": "custom", ` + m + `}`, ErrMissingKey, []where{{1, "custom_rule_set"}}},
		{"rules without custom", `{"custom_rule_set": {` + okRules + `}, ` + m + `}`, tally.ErrBadRuleSet, []where{{1, "custom_rule_set"}}},
		{"custom missing a threshold", custom(`{"quorum": {"at_least": "2/3"}, "ordinary": {"more_than": "1/2"}, "special_matters": []}`),
			ErrMissingKey, []where{{1, "custom_rule_set.special"}}},
		{"custom both kinds of threshold", custom(`{"quorum": {"at_least": "2/3", "more_than": "1/2"}, "ordinary": {"more_than": "1/2"}, "special": {"at_least": "3/4"}, "special_matters": []}`),
			tally.ErrBadRuleSet, []where{{1, "custom_rule_set.quorum"}}},
		{"custom quorum with a base", custom(`{"quorum": {"at_least": "2/3", "of": "ALL"}, "ordinary": {"more_than": "1/2"}, "special": {"at_least": "3/4"}, "special_matters": []}`),
			ErrUnknownKey, []where{{1, "custom_rule_set.quorum.of"}}},
		{"custom fraction over one", custom(`{"quorum": {"at_least": "4/3"}, "ordinary": {"more_than": "1/2"}, "special": {"at_least": "3/4"}, "special_matters": []}`),
			tally.ErrBadRuleSet, []where{{1, "custom_rule_set.quorum.at_least"}}},
		{"custom decimal fraction", custom(`{"quorum": {"at_least": "0.67"}, "ordinary": {"more_than": "1/2"}, "special": {"at_least": "3/4"}, "special_matters": []}`),
			tally.ErrBadRuleSet, []where{{1, "custom_rule_set.quorum.at_least"}}},
		{"custom unknown base", custom(`{"quorum": {"at_least": "2/3"}, "ordinary": {"more_than": "1/2", "of": "OWNERS"}, "special": {"at_least": "3/4"}, "special_matters": []}`),
			tally.ErrBadRuleSet, []where{{1, "custom_rule_set.ordinary.of"}}},
		{"custom unknown matter", custom(`{` + strings.Replace(okRules, `[]`, `["PAINT"]`, 1) + `}`),
			tally.ErrBadRuleSet, []where{{1, "custom_rule_set.special_matters[0]"}}},
		{"motion without matter", `{"motions": [{"id": "m1"}]}`, ErrMissingKey, []where{{1, "motions[0].matter"}}},
		{"unknown matter", "{\"motions\": [\n{\"id\": \"m1\",\n \"matter\": \"PAINT\"}]}", tally.ErrBadMotion, []where{{3, "motions[0].matter"}}},
		{"unknown motion key", `{"motions": [{"id": "m1", "matter": "OTHER_MAJOR", "title": "x"}]}`, ErrUnknownKey, []where{{1, "motions[0].title"}}},
		{"empty motion id", `{"motions": [{"id": "", "matter": "OTHER_MAJOR"}]}`, tally.ErrBadMotion, []where{{1, "motions[0].id"}}},
		{"duplicate motion id", "{\"motions\": [{\"id\": \"m1\", \"matter\": \"OTHER_MAJOR\"},\n{\"id\": \"m1\", \"matter\": \"OTHER_MAJOR\"}]}",
			tally.ErrBadMotion, []where{{2, "motions[1].id"}}},
		{"empty options", `{"motions": [{"id": "m1", "matter": "OTHER_MAJOR", "options": []}]}`, tally.ErrBadMotion, []where{{1, "motions[0].options"}}},
		{"one option", `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM", "options": ["a"]}]}`, tally.ErrBadMotion, []where{{1, "motions[0].options"}}},
		{"reserved option", `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM", "options": ["a", "AGREE"]}]}`, tally.ErrBadMotion, []where{{1, "motions[0].options[1]"}}},
		{"repeated option", `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM", "options": ["a", "a"]}]}`, tally.ErrBadMotion, []where{{1, "motions[0].options[1]"}}},
		{"option not a string", `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM", "options": ["a", 2]}]}`, ErrBadField, []where{{1, "motions[0].options[1]"}}},
		{"seats on a firm", `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM", "options": ["a", "b"], "seats": 1}]}`, tally.ErrBadMotion, []where{{1, "motions[0].seats"}}},
		{"more seats than candidates", `{"motions": [{"id": "m1", "matter": "ELECT_COMMITTEE", "options": ["a", "b"], "seats": 3}]}`, tally.ErrBadMotion, []where{{1, "motions[0].seats"}}},
		{"fractional seats", `{"motions": [{"id": "m1", "matter": "ELECT_COMMITTEE", "options": ["a", "b"], "seats": 1.5}]}`, ErrBadField, []where{{1, "motions[0].seats"}}},
		{"zero seats", `{"motions": [{"id": "m1", "matter": "ELECT_COMMITTEE", "options": ["a", "b"], "seats": 0}]}`, ErrBadField, []where{{1, "motions[0].seats"}}},
		{"seats as a string", `{"motions": [{"id": "m1", "matter": "ELECT_COMMITTEE", "options": ["a", "b"], "seats": "2"}]}`, ErrBadField, []where{{1, "motions[0].seats"}}},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), ErrSyntax, []where{{1, ""}}},
		{"every error at once", "{\"abstention\": \"X\",\n\"deemed_consent\": 1,\n\"motions\": [{\"id\": \"m1\", \"matter\": \"Y\"}]}", tally.ErrBadMotion,
			[]where{{1, "abstention"}, {2, "deemed_consent"}, {3, "motions[0].matter"}}},
	}
	for _, tc := range tests {
		_, err := ParseAssembly("assembly.json", strings.NewReader(tc.in))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: ParseAssembly() error = %v, want error wrapping %v", tc.name, err, tc.want)
			continue
		}
		if diff := cmp.Diff(tc.at, positions(err)); diff != "" {
			t.Errorf("%s: ParseAssembly() error positions mismatch (-want +got):\n%s\nerror: %v", tc.name, diff, err)
		}
	}
}
