package recount

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownervote/ownervote/tally"
)

const votesHeader = "owner_id,motion_id,choice\n"

// fixture returns a roll with a multi-unit owner (o1), two DEVELOPER
// owner_ids (buyer, dev), an owner on both kinds of rows (both), and an
// assembly with an agree/oppose motion, a candidate motion and a 2-seat
// election.
func fixture() (*Roll, tally.Assembly, error) {
	roll, err := ParseRoll("roll.csv", strings.NewReader(rollHeader+
		"u1,o1,,60,,\nu2,o2,,60,,\nu3,o3,,60,,\nu4,o1,,60,,\n"+
		"d1,buyer,DEVELOPER,60,,\nd2,dev,DEVELOPER,60,,\n"+
		"d3,both,DEVELOPER,60,,\nu5,both,PERSON,60,,\n"))
	if err != nil {
		return nil, tally.Assembly{}, err
	}
	a, err := ParseAssembly("assembly.json", strings.NewReader(`{"motions": [
		{"id": "m1", "matter": "OTHER_MAJOR"},
		{"id": "firm", "matter": "SELECT_PROPERTY_FIRM", "options": ["firm-a", "firm-b"]},
		{"id": "committee", "matter": "ELECT_COMMITTEE", "options": ["a", "b", "c"], "seats": 2}]}`))
	return roll, a, err
}

func testRollAndAssembly(t *testing.T) (*Roll, tally.Assembly) {
	t.Helper()
	roll, a, err := fixture()
	if err != nil {
		t.Fatalf("fixture() error = %v", err)
	}
	return roll, a
}

func TestParseVotes(t *testing.T) {
	roll, a := testRollAndAssembly(t)
	in := votesHeader +
		"o1,m1,AGREE\n" +
		"o2,committee,b\n" +
		"buyer,m1,OPPOSE\n" + // any DEVELOPER owner_id votes for the developer
		"o2,committee,a\n" +
		"o3,committee,ABSTAIN\n" +
		"dev,firm,firm-b\n" +
		"o1,committee,INVALID\n" +
		"o2,firm,firm-a\r\n"
	got, err := ParseVotes("votes.csv", strings.NewReader(in), roll, a)
	if err != nil {
		t.Fatalf("ParseVotes() error = %v", err)
	}
	want := []tally.Ballot{
		{Voter: "o1", Motion: "m1", Choices: []tally.Choice{tally.Agree}},
		{Voter: "o2", Motion: "committee", Choices: []tally.Choice{"b", "a"}},
		{Voter: tally.DeveloperVoter, Motion: "m1", Choices: []tally.Choice{tally.Oppose}},
		{Voter: "o3", Motion: "committee", Choices: []tally.Choice{tally.Abstain}},
		{Voter: tally.DeveloperVoter, Motion: "firm", Choices: []tally.Choice{"firm-b"}},
		{Voter: "o1", Motion: "committee", Choices: []tally.Choice{tally.Invalid}},
		{Voter: "o2", Motion: "firm", Choices: []tally.Choice{"firm-a"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseVotes() mismatch (-want +got):\n%s", diff)
	}
	if _, err := tally.Count(roll.Units, a, got); err != nil {
		t.Errorf("tally.Count(parsed votes) error = %v", err)
	}
}

func TestParseVotesErrors(t *testing.T) {
	roll, a := testRollAndAssembly(t)
	tests := []struct {
		name string
		in   string
		want error
		at   []where
	}{
		{"empty file", "", ErrEmptyFile, []where{{0, ""}}},
		{"wrong header", "owner,motion,choice\n", ErrHeader, []where{{1, ""}, {1, ""}, {1, ""}, {1, ""}}},
		{"unknown owner", votesHeader + "o9,m1,AGREE\n", ErrUnknownOwner, []where{{2, "owner_id"}}},
		{"owner on both PERSON and DEVELOPER rows", votesHeader + "both,m1,AGREE\n", ErrAmbiguousOwner, []where{{2, "owner_id"}}},
		{"empty owner", votesHeader + ",m1,AGREE\n", ErrBadField, []where{{2, "owner_id"}}},
		{"unknown motion", votesHeader + "o1,m9,AGREE\n", tally.ErrUnknownMotion, []where{{2, "motion_id"}}},
		{"misspelt choice", votesHeader + "o1,m1,AGREE\no2,m1,AGRE\n", tally.ErrBadChoice, []where{{3, "choice"}}},
		{"lower-case choice", votesHeader + "o1,m1,agree\n", tally.ErrBadChoice, []where{{2, "choice"}}},
		{"spaces around a choice", votesHeader + "o1,m1, AGREE\n", ErrBadField, []where{{2, "choice"}}},
		{"empty choice", votesHeader + "o1,m1,\n", ErrBadField, []where{{2, "choice"}}},
		{"option on an agree/oppose motion", votesHeader + "o1,m1,firm-a\n", tally.ErrBadChoice, []where{{2, "choice"}}},
		{"AGREE on a candidate motion", votesHeader + "o1,firm,AGREE\n", tally.ErrBadChoice, []where{{2, "choice"}}},
		{"unknown option", votesHeader + "o1,firm,firm-c\n", tally.ErrBadChoice, []where{{2, "choice"}}},
		{"duplicate vote", votesHeader + "o1,m1,AGREE\no2,m1,AGREE\no1,m1,OPPOSE\n", tally.ErrDuplicateBallot, []where{{4, "owner_id"}}},
		{"duplicate vote through a second unit's owner", votesHeader + "o1,firm,firm-a\no1,firm,firm-a\n", tally.ErrDuplicateBallot, []where{{3, "owner_id"}}},
		{"two DEVELOPER owner_ids on one motion", votesHeader + "buyer,m1,AGREE\ndev,m1,AGREE\n", tally.ErrDuplicateBallot, []where{{3, "owner_id"}}},
		{"second row for a candidate motion", votesHeader + "o1,firm,firm-a\no1,firm,firm-b\n", tally.ErrDuplicateBallot, []where{{3, "owner_id"}}},
		{"candidate marked twice", votesHeader + "o1,committee,a\no1,committee,a\n", tally.ErrDuplicateBallot, []where{{3, "choice"}}},
		{"more marks than seats", votesHeader + "o1,committee,a\no1,committee,b\no1,committee,c\n", tally.ErrTooManyChoices, []where{{4, "choice"}}},
		{"ABSTAIN beside a mark", votesHeader + "o1,committee,a\no1,committee,ABSTAIN\n", tally.ErrBadChoice, []where{{3, "choice"}}},
		{"a mark after INVALID", votesHeader + "o1,committee,INVALID\no1,committee,b\n", tally.ErrBadChoice, []where{{3, "choice"}}},
		{"too many fields", votesHeader + "o1,m1,AGREE,extra\n", ErrBadField, []where{{2, ""}}},
		{"every bad row at once", votesHeader + "o9,m1,AGREE\no1,m9,AGREE\no2,m1,AGRE\no3,m1,AGREE\no3,m1,AGREE\n", tally.ErrDuplicateBallot,
			[]where{{2, "owner_id"}, {3, "motion_id"}, {4, "choice"}, {6, "owner_id"}}},
	}
	for _, tc := range tests {
		_, err := ParseVotes("votes.csv", strings.NewReader(tc.in), roll, a)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: ParseVotes() error = %v, want error wrapping %v", tc.name, err, tc.want)
			continue
		}
		if diff := cmp.Diff(tc.at, positions(err)); diff != "" {
			t.Errorf("%s: ParseVotes() error positions mismatch (-want +got):\n%s\nerror: %v", tc.name, diff, err)
		}
	}
}

func TestParseVotesMessage(t *testing.T) {
	roll, a := testRollAndAssembly(t)
	// Blank lines are skipped but counted: the bad rows are on lines 14–17.
	in := votesHeader + "o1,m1,AGREE\n" + strings.Repeat("\n", 11) + "o2,m1,AGRE\no2,firm,AGREE\nbuyer,m1,AGREE\ndev,m1,OPPOSE\n"
	_, err := ParseVotes("votes.csv", strings.NewReader(in), roll, a)
	var got []string
	for _, e := range fileErrors(err) {
		got = append(got, e.Error())
	}
	want := []string{
		`votes.csv:14: field choice: "AGRE" is not AGREE, OPPOSE, ABSTAIN or INVALID (motion m1 is voted for or against)`,
		`votes.csv:15: field choice: "AGREE" is not an option of motion firm (firm-a, firm-b), ABSTAIN or INVALID`,
		`votes.csv:17: field owner_id: second vote of the developer (owner_id "dev") on motion m1 (first on line 16 under owner_id "buyer"; all DEVELOPER units are one voter)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseVotes() messages mismatch (-want +got):\n%s", diff)
	}
}
