package tally

import (
	"fmt"
	"strconv"
	"testing"
)

// benchInput builds a roll of n units (one owner in twenty holds two units,
// one unit in a thousand is the developer's) and, for perMotion false,
// exactly n ballots spread over three motions, or, for perMotion true, a
// ballot of every voter on each of the three motions.
func benchInput(n int, perMotion bool) ([]Unit, Assembly, []Ballot) {
	units := make([]Unit, n)
	for i := range units {
		owner := i
		if i%20 == 1 {
			owner = i - 1
		}
		units[i] = Unit{ID: "3-" + strconv.Itoa(i), OwnerID: "owner-" + strconv.Itoa(owner), Area: Area(5000 + i%9000)}
		if i%1000 == 999 {
			units[i].Developer = true
		}
	}
	a := civil(
		agreeOppose("fund", UseMaintenanceFund),
		Motion{ID: "firm", Matter: SelectPropertyFirm, Options: []string{"firm-a", "firm-b", "firm-c"}},
		Motion{ID: "committee", Matter: ElectCommittee, Options: []string{"c1", "c2", "c3", "c4", "c5"}, Seats: 3},
	)
	yn := [][]Choice{{Agree}, {Agree}, {Oppose}, {Abstain}, {Invalid}}
	firm := [][]Choice{{"firm-a"}, {"firm-b"}, {"firm-a"}, {"firm-c"}, {Abstain}}
	committee := [][]Choice{{"c1", "c2", "c3"}, {"c2", "c4"}, {"c1"}, {"c3", "c5", "c1"}, {Abstain}}
	var voters []string
	seen := make(map[string]bool, n)
	for _, u := range units {
		if v := VoterOf(u); !seen[v] {
			seen[v] = true
			voters = append(voters, v)
		}
	}
	ids := []string{"fund", "firm", "committee"}
	choices := [][][]Choice{yn, firm, committee}
	ballot := func(i, m int) Ballot {
		return Ballot{Voter: voters[i], Motion: ids[m], Choices: choices[m][i%5]}
	}
	var bs []Ballot
	if perMotion {
		bs = make([]Ballot, 0, 3*len(voters))
		for i := range voters {
			bs = append(bs, ballot(i, 0), ballot(i, 1), ballot(i, 2))
		}
		return units, a, bs
	}
	// Every voter on one motion, then some voters on a second one, up to n.
	bs = make([]Ballot, 0, n)
	for i := range n {
		if i < len(voters) {
			bs = append(bs, ballot(i, i%3))
		} else {
			j := i - len(voters)
			bs = append(bs, ballot(j, (j+1)%3))
		}
	}
	return units, a, bs
}

// BenchmarkCount tallies a roll of 1,000,000 units with 1,000,000 ballots
// over three motions (ballots=1M) and with a ballot of every voter on each
// motion (ballots=3M).
func BenchmarkCount(b *testing.B) {
	for _, perMotion := range []bool{false, true} {
		units, a, bs := benchInput(1_000_000, perMotion)
		b.Run(fmt.Sprintf("units=1M/ballots=%.1fM", float64(len(bs))/1e6), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Count(units, a, bs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bs)), "ns/ballot")
		})
	}
}
