package recount

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownervote/ownervote/tally"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenCases are the recounts under testdata/: each directory has
// roll.csv, assembly.json and votes.csv, and the expected result.json and
// result.txt.
var goldenCases = []string{
	"seed",      // the 166-household Qingdao dormitory: a firm chosen, the fund used
	"committee", // developer units, a multi-unit owner, deemed consent, a tie for the last seat
	"law2007",   // property-law-2007, abstentions excluded, invalid ballots toward the quorum
	"custom",    // a custom rule set; three firms and no majority
	"election",  // two seats, three candidates who qualify: the third is told it qualified
}

func recountCase(t *testing.T, dir string) tally.Result {
	t.Helper()
	open := func(name string) Source {
		p := filepath.Join("testdata", dir, name)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return Source{Name: p, R: f}
	}
	res, err := Recount(open("roll.csv"), open("assembly.json"), open("votes.csv"))
	if err != nil {
		t.Fatalf("Recount(%s) error = %v", dir, err)
	}
	return res
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func TestGolden(t *testing.T) {
	for _, dir := range goldenCases {
		t.Run(dir, func(t *testing.T) {
			res := recountCase(t, dir)
			var j, txt bytes.Buffer
			if err := WriteJSON(&j, res); err != nil {
				t.Fatal(err)
			}
			if err := WriteText(&txt, res); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", dir, "result.json"), j.Bytes())
			checkGolden(t, filepath.Join("testdata", dir, "result.txt"), txt.Bytes())
		})
	}
}

// TestJSONContract checks the output fields that DESIGN §4 promises, by
// name and type, so that renaming one breaks a test.
func TestJSONContract(t *testing.T) {
	for _, dir := range goldenCases {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, recountCase(t, dir)); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Motions []map[string]json.RawMessage `json:"motions"`
		}
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Motions {
			var (
				id, outcome, explanation string
				total, participating     struct {
					Area string `json:"area_m2"`
					Head *int64 `json:"head"`
				}
				quorum  bool
				tallies []struct {
					Choice string `json:"choice"`
					Area   string `json:"area_m2"`
					Head   *int64 `json:"head"`
				}
			)
			for key, dst := range map[string]any{"id": &id, "outcome": &outcome, "explanation": &explanation,
				"total": &total, "participating": &participating, "quorum_met": &quorum, "tallies": &tallies} {
				raw, ok := m[key]
				if !ok {
					t.Errorf("%s: motion %s has no %q", dir, m["id"], key)
					continue
				}
				if err := json.Unmarshal(raw, dst); err != nil {
					t.Errorf("%s: motion %s: %q: %v", dir, m["id"], key, err)
				}
			}
			if outcome != "PASSED" && outcome != "FAILED" && outcome != "NO_QUORUM" {
				t.Errorf("%s: motion %s outcome = %q, want PASSED, FAILED or NO_QUORUM", dir, id, outcome)
			}
			for _, f := range []struct {
				area string
				head *int64
			}{{total.Area, total.Head}, {participating.Area, participating.Head}} {
				if _, err := tally.ParseArea(f.area); err != nil || len(f.area) < 4 || f.area[len(f.area)-3] != '.' || f.head == nil {
					t.Errorf("%s: motion %s figures %q, %v: want an area with two decimals and a head", dir, id, f.area, f.head)
				}
			}
			if len(tallies) == 0 {
				t.Errorf("%s: motion %s has no tallies", dir, id)
			}
			if w, ok := m["winner"]; ok && string(w) == `""` {
				t.Errorf("%s: motion %s has an empty winner; it must be absent when there is none", dir, id)
			}
		}
	}
}
