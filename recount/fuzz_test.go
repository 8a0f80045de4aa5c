package recount

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownervote/ownervote/tally"
)

// addFiles adds the named files under testdata/ to f's corpus, beside the
// corpus in testdata/fuzz/.
func addFiles(f *testing.F, names ...string) {
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func encodeRoll(units []tally.Unit) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(rollColumns)
	for _, u := range units {
		kind := KindPerson
		if u.Developer {
			kind = KindDeveloper
		}
		w.Write([]string{u.ID, u.OwnerID, kind, "", u.Area.String(), ""})
	}
	w.Flush()
	return b.Bytes()
}

// FuzzParseRoll checks that ParseRoll never panics, that what it accepts can
// be counted, and that writing the units back and parsing them again gives
// the same units.
func FuzzParseRoll(f *testing.F) {
	addFiles(f, "seed/roll.csv", "committee/roll.csv")
	f.Add([]byte(rollHeader + "u1,o1,,1.5,,\n"))
	f.Add([]byte(rollHeader + "u1,o1,,1.555,,\n\"u2\",,DEVELOPER,,2,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		roll, err := ParseRoll("roll.csv", bytes.NewReader(data))
		if err != nil {
			if len(fileErrors(err)) == 0 {
				t.Fatalf("ParseRoll() error %v is no *Error", err)
			}
			return
		}
		if _, err := tally.Totals(roll.Units); err != nil {
			t.Fatalf("ParseRoll() accepted a roll that tally.Totals refuses: %v", err)
		}
		again, err := ParseRoll("roll.csv", bytes.NewReader(encodeRoll(roll.Units)))
		if err != nil {
			t.Fatalf("ParseRoll(re-encoded) error = %v", err)
		}
		if diff := cmp.Diff(roll.Units, again.Units); diff != "" {
			t.Fatalf("ParseRoll(re-encoded) mismatch (-first +second):\n%s", diff)
		}
	})
}

func encodeThreshold(t tally.Threshold, of *tally.Base) map[string]string {
	m := map[string]string{}
	if t.Strict {
		m["more_than"] = t.Fraction()
	} else {
		m["at_least"] = t.Fraction()
	}
	if of != nil {
		m["of"] = of.String()
	}
	return m
}

func encodeAssembly(a tally.Assembly) []byte {
	out := map[string]any{
		"rule_set":                     a.RuleSet.Name,
		"abstention":                   a.Abstention.String(),
		"invalid_counts_toward_quorum": a.InvalidCountsTowardQuorum,
		"deemed_consent":               a.DeemedConsent,
	}
	if a.RuleSet.Name == tally.CustomName {
		rs := a.RuleSet
		out["custom_rule_set"] = map[string]any{
			"quorum":          encodeThreshold(rs.Quorum, nil),
			"ordinary":        encodeThreshold(rs.Ordinary.Threshold, &rs.Ordinary.Of),
			"special":         encodeThreshold(rs.Special.Threshold, &rs.Special.Of),
			"special_matters": append([]tally.Matter{}, rs.SpecialMatters...),
		}
	}
	var ms []map[string]any
	for _, m := range a.Motions {
		jm := map[string]any{"id": m.ID, "matter": m.Matter}
		if m.Options != nil {
			jm["options"] = m.Options
		}
		if m.Seats > 0 {
			jm["seats"] = m.Seats
		}
		ms = append(ms, jm)
	}
	out["motions"] = ms
	b, _ := json.Marshal(out)
	return b
}

// FuzzParseAssembly checks that ParseAssembly never panics, that what it
// accepts is a valid assembly, and that encoding it again and parsing gives
// the same assembly.
func FuzzParseAssembly(f *testing.F) {
	addFiles(f, "seed/assembly.json", "committee/assembly.json", "law2007/assembly.json", "custom/assembly.json")
	f.Add([]byte(`{"motions": [{"id": "m1", "matter": "OTHER_MAJOR"}], "motions": []}`))
	f.Add([]byte(`{"rule_set": "custom", "custom_rule_set": {"quorum": {"more_than": "1/2"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAssembly("assembly.json", bytes.NewReader(data))
		if err != nil {
			if len(fileErrors(err)) == 0 {
				t.Fatalf("ParseAssembly() error %v is no *Error", err)
			}
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("ParseAssembly() accepted an invalid assembly: %v", err)
		}
		again, err := ParseAssembly("assembly.json", bytes.NewReader(encodeAssembly(a)))
		if err != nil {
			t.Fatalf("ParseAssembly(re-encoded %s) error = %v", encodeAssembly(a), err)
		}
		if diff := cmp.Diff(a, again); diff != "" {
			t.Fatalf("ParseAssembly(re-encoded) mismatch (-first +second):\n%s", diff)
		}
	})
}

// FuzzParseVotes checks that ParseVotes never panics and that the ballots
// it accepts, against a fixed roll and assembly, are accepted by the tally
// and survive being written back.
func FuzzParseVotes(f *testing.F) {
	f.Add([]byte(votesHeader + "o1,m1,AGREE\no2,committee,a\no2,committee,b\nbuyer,firm,firm-a\n"))
	f.Add([]byte(votesHeader + "o1,committee,a\no1,committee,ABSTAIN\nboth,m1,OPPOSE\n"))
	f.Add([]byte("owner_id,choice,motion_id\r\no3,INVALID,firm\r\n"))
	roll, a, err := fixture()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ballots, err := ParseVotes("votes.csv", bytes.NewReader(data), roll, a)
		if err != nil {
			if len(fileErrors(err)) == 0 {
				t.Fatalf("ParseVotes() error %v is no *Error", err)
			}
			return
		}
		if _, err := tally.Count(roll.Units, a, ballots); err != nil {
			t.Fatalf("ParseVotes() accepted ballots that tally.Count refuses: %v", err)
		}
		// Write one row per choice, under a unit owner_id of the voter.
		owner := map[string]string{}
		for _, u := range roll.Units {
			if roll.kinds[u.OwnerID] != personBit|developerBit {
				owner[tally.VoterOf(u)] = u.OwnerID
			}
		}
		var b strings.Builder
		b.WriteString(votesHeader)
		for _, bl := range ballots {
			for _, c := range bl.Choices {
				b.WriteString(owner[bl.Voter] + "," + bl.Motion + "," + string(c) + "\n")
			}
		}
		again, err := ParseVotes("votes.csv", strings.NewReader(b.String()), roll, a)
		if err != nil {
			t.Fatalf("ParseVotes(re-encoded) error = %v", err)
		}
		if diff := cmp.Diff(ballots, again); diff != "" {
			t.Fatalf("ParseVotes(re-encoded) mismatch (-first +second):\n%s", diff)
		}
	})
}
