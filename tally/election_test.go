package tally

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// marks returns one election ballot per element of lists, voter o1, o2, …;
// each element is the marked options as letters ("abc") or "-" to abstain.
func marks(m string, lists ...string) []Ballot {
	var bs []Ballot
	for i, l := range lists {
		var cs []Choice
		if l == "-" {
			cs = []Choice{Abstain}
		} else {
			for _, r := range l {
				cs = append(cs, Choice(string(r)))
			}
		}
		bs = append(bs, Ballot{Voter: fmt.Sprintf("o%d", i+1), Motion: m, Choices: cs})
	}
	return bs
}

func TestCountElection(t *testing.T) {
	committee := func(options string, seats int) Motion {
		return Motion{ID: "m", Matter: ElectCommittee, Options: strings.Split(options, ""), Seats: seats}
	}
	// Every 3-of-5 combination twice: each candidate is marked 12 times.
	var twice []string
	for range 2 {
		twice = append(twice, "abc", "abd", "abe", "acd", "ace", "ade", "bcd", "bce", "bde", "cde")
	}
	twice[5] = "a" // one voter marks only a: d and e drop to 11
	weighted := owners(7, h)
	weighted[0].Area = 2 * h

	tests := []struct {
		name    string
		units   []Unit
		m       Motion
		ballots []Ballot
		want    summary
	}{
		{
			name: "three seats filled by area of support", units: owners(10, h), m: committee("abcde", 3),
			ballots: marks("m", "abc", "abc", "abc", "abc", "abd", "abd", "acd", "bcd", "e", "-"),
			want: summary{Participating: fig(10*h, 10), QuorumMet: true, Outcome: Passed,
				Qualified: []string{"a", "b", "c"}, Elected: []string{"a", "b", "c"}, Base: fig(10*h, 10)},
		},
		{
			name: "a tie for the last seat is reported, not broken", units: owners(10, h), m: committee("abcde", 3),
			ballots: marks("m", "abc", "abc", "abc", "abc", "abd", "abd", "acd", "bcd", "d", "d"),
			want: summary{Participating: fig(10*h, 10), QuorumMet: true, Outcome: Failed,
				Qualified: []string{"a", "b", "c", "d"}, Elected: []string{"a", "b"}, Tied: []string{"c", "d"},
				Base: fig(10*h, 10)},
		},
		{
			name: "a tie across every seat elects nobody", units: owners(10, h), m: committee("abc", 2),
			ballots: marks("m", "ab", "ab", "ab", "ac", "ac", "ac", "bc", "bc", "bc", "-"),
			want: summary{Participating: fig(10*h, 10), QuorumMet: true, Outcome: Failed,
				Qualified: []string{"a", "b", "c"}, Tied: []string{"a", "b", "c"}, Base: fig(10*h, 10)},
		},
		{
			name: "ties within the seats and below the cut are no tie for the last seat", units: owners(20, h),
			m: committee("abcde", 3), ballots: marks("m", twice...),
			want: summary{Participating: fig(20*h, 20), QuorumMet: true, Outcome: Passed,
				Qualified: []string{"a", "b", "c", "d", "e"}, Elected: []string{"a", "b", "c"}, Base: fig(20*h, 20)},
		},
		{
			name: "fewer qualified candidates than seats leaves seats vacant", units: owners(10, h), m: committee("abcde", 3),
			ballots: marks("m", "ab", "ab", "ab", "ab", "ab", "ab", "cde", "cde", "cde", "cde"),
			want: summary{Participating: fig(10*h, 10), QuorumMet: true, Outcome: Failed,
				Qualified: []string{"a", "b"}, Elected: []string{"a", "b"}, Base: fig(10*h, 10)},
		},
		{
			name: "seats go by area of support, not headcount", units: []Unit{
				{ID: "u1", OwnerID: "o1", Area: 3 * h}, {ID: "u2", OwnerID: "o2", Area: h}, {ID: "u3", OwnerID: "o3", Area: h},
				{ID: "u4", OwnerID: "o4", Area: h}, {ID: "u5", OwnerID: "o5", Area: h},
			},
			m: committee("abc", 2), ballots: marks("m", "ab", "ac", "ac", "bc", "bc"),
			want: summary{Participating: fig(7*h, 5), QuorumMet: true, Outcome: Passed,
				Qualified: []string{"a", "b", "c"}, Elected: []string{"a", "b"}, Base: fig(7*h, 5)},
		},
		{
			name: "equal area with different headcounts is still a tie", units: weighted, m: committee("abcd", 3),
			ballots: marks("m", "acd", "abc", "abc", "abd", "bcd", "bcd", "cd"),
			want: summary{Participating: fig(8*h, 7), QuorumMet: true, Outcome: Failed,
				Qualified: []string{"a", "b", "c", "d"}, Elected: []string{"c", "d"}, Tied: []string{"a", "b"},
				Base: fig(8*h, 7)},
		},
		{
			name: "an election without quorum elects nobody", units: owners(10, h), m: committee("abcde", 3),
			ballots: marks("m", "abc", "abc", "abc", "abc", "abc", "abc"),
			want:    summary{Participating: fig(6*h, 6), Outcome: NoQuorum, Base: fig(6*h, 6)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Count(tc.units, civil(tc.m), tc.ballots)
			if err != nil {
				t.Fatalf("Count() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, summarize(res.Motions[0])); diff != "" {
				t.Errorf("Count() motion m mismatch (-want +got):\n%s\nexplanation: %s", diff, res.Motions[0].Decision.Explanation.EN)
			}
		})
	}
}
