package assembly

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// Strings that encoding/json writes as they are, and ones it escapes or
// mends (HTML characters, quotes, controls, line separators, bad UTF-8).
var jsonTestStrings = []string{"", "1-1-101", "A座 3单元 1201", "<b>&amp;</b>", `say "hi"\`, "tab\tnew\nline\x00\x1f\x7f",
	"\u2028\u2029", "bad \xff\xfe utf-8", "AGREE", "2026-05-08T09", "opt-2"}

func randomString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return jsonTestStrings[r.IntN(len(jsonTestStrings))]
	}
	b := make([]byte, r.IntN(12))
	for i := range b {
		b[i] = byte(0x20 + r.IntN(0x5f))
	}
	return string(b)
}

func randomInt(r *rand.Rand) int64 {
	switch r.IntN(5) {
	case 0:
		return 0
	case 1:
		return []int64{math.MinInt64, math.MaxInt64, -1, 1}[r.IntN(4)]
	default:
		return r.Int64N(2_000_000) - 1_000_000
	}
}

func randomFigures(r *rand.Rand) Figures { return Figures{Area: randomInt(r), Head: randomInt(r)} }

func randomVoter(r *rand.Rand) voterRecord {
	vr := voterRecord{Figures: randomFigures(r)}
	if n := r.IntN(5); n > 0 { // nil, empty, or 1 to 3 units
		vr.Units = make([]string, n-1)
		for i := range vr.Units {
			vr.Units[i] = randomString(r)
		}
	}
	if r.IntN(2) == 0 {
		vr.Counted = []uint64{1, 42, math.MaxUint64, r.Uint64()}[r.IntN(4)]
	}
	switch r.IntN(3) {
	case 0:
		vr.Waiting = []uint64{}
	case 1:
		for range 1 + r.IntN(3) {
			vr.Waiting = append(vr.Waiting, r.Uint64N(1e6))
		}
	}
	return vr
}

func randomProgress(r *rand.Rand) *progressRecord {
	p := &progressRecord{NextSeq: r.Uint64(), Counted: randomInt(r), Pending: randomInt(r), Refused: randomInt(r), Superseded: randomInt(r)}
	counts := func() map[string]int64 {
		if r.IntN(4) == 0 {
			return nil
		}
		m := map[string]int64{}
		for range r.IntN(4) {
			m[randomString(r)] = randomInt(r)
		}
		return m
	}
	p.ByChannel, p.Hourly = counts(), counts()
	if r.IntN(4) > 0 {
		p.Motions = map[string]*motionCounter{}
		for range r.IntN(4) {
			var m *motionCounter
			if r.IntN(5) > 0 {
				m = &motionCounter{Decided: randomFigures(r), Abstain: randomFigures(r), Invalid: randomFigures(r)}
				if r.IntN(4) > 0 {
					m.Choices = map[string]Figures{}
					for range r.IntN(4) {
						m.Choices[randomString(r)] = randomFigures(r)
					}
				}
			}
			p.Motions[randomString(r)] = m
		}
	}
	if r.IntN(2) == 0 {
		p.Hour, p.HourCount = randomString(r), randomInt(r)
	}
	p.hourDelta = map[string]int64{"2026-05-08T09": 3} // not written
	return p
}

// The hand-written records are json.Marshal's bytes, and a voter's record
// reads back as json.Unmarshal reads it.
func TestRecordJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		vr := randomVoter(r)
		want, err := json.Marshal(vr)
		if err != nil {
			t.Fatal(err)
		}
		if got := vr.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("voter %d: AppendJSON\n%s\njson.Marshal\n%s", i, got, want)
		}
		checkVoterDecode(t, want)

		p := randomProgress(r)
		want, err = json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.appendJSON(nil); string(got) != string(want) {
			t.Fatalf("progress %d: appendJSON\n%s\njson.Marshal\n%s", i, got, want)
		}
	}
}

// Records in other shapes than AppendJSON's read as encoding/json reads
// them, and what it refuses is refused.
func TestVoterRecordDecodeOtherShapes(t *testing.T) {
	for _, raw := range []string{
		`{"figures":{"area":90,"head":1},"units":["1-101"],"counted":7}`,
		`{"units":["1-101"],"figures":{"area":90,"head":1}}`, // another order
		`{"figures":{"area":90,"head":1},"units":["1-101"]} `,
		`{"figures":{"area":90,"head":1},"units":["1-101"],"counted":7,"counted":8}`,
		`{"Figures":{"Area":90,"head":1},"units":[]}`,
		`{"figures":{"area":90,"head":1},"units":["1-\u0031"]}`,
		`{"figures":{"area":90,"head":1},"units":null,"waiting":[]}`,
		`{"figures":{"area":-0,"head":1},"units":null}`,
		`{"figures":{"area":01,"head":1},"units":null}`,
		`{"figures":{"area":1.5,"head":1},"units":null}`,
		`{"figures":{"area":1e3,"head":1},"units":null}`,
		`{"figures":{"area":9223372036854775808,"head":1},"units":null}`,
		`{"figures":{"area":-9223372036854775808,"head":1},"units":null}`,
		`{"figures":{"area":-9223372036854775809,"head":1},"units":null}`,
		`{"figures":{"area":1,"head":1},"units":null,"counted":18446744073709551616}`,
		`{"figures":{"area":1,"head":1},"units":null,"counted":-1}`,
		`{"figures":{"area":1,"head":1},"units":["a",]}`,
		`{"figures":{"area":1,"head":1},"units":["a"]`,
		`{"figures":{"area":1,"head":1},"units":["a"]}}`,
		`{"figures":{"area":1,"head":1},"units":["a"],"waiting":[1,2,]}`,
		`{"figures":{"area":-,"head":1},"units":null}`,
		`null`, ``, `[]`,
	} {
		checkVoterDecode(t, []byte(raw))
	}
}

func checkVoterDecode(t *testing.T, raw []byte) {
	t.Helper()
	var want, got voterRecord
	werr := json.Unmarshal(raw, &want)
	gerr := got.DecodeJSON(raw)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: decode error %v, json.Unmarshal error %v", raw, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: decode read %#v, json.Unmarshal %#v", raw, got, want)
	}
}

func FuzzVoterRecordDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		vr := randomVoter(r)
		f.Add(vr.AppendJSON(nil))
	}
	f.Add([]byte(`{"figures":{"area":1,"head":1},"units":["a"],"counted":5,"waiting":[1,2]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkVoterDecode(t, raw)
	})
}

// A record as AppendJSON writes it is read by hand, not by encoding/json
// (which allocates several times more).
func TestVoterRecordDecodeByHand(t *testing.T) {
	raw := (&voterRecord{Figures: Figures{Area: 9012, Head: 1}, Units: []string{"1-1-101"}, Counted: 7, Waiting: []uint64{3}}).AppendJSON(nil)
	allocs := testing.AllocsPerRun(100, func() {
		var vr voterRecord
		if err := vr.DecodeJSON(raw); err != nil || vr.Counted != 7 {
			t.Fatal(vr, err)
		}
	})
	if allocs > 4 { // the record, the units, the unit's id, the waiting list (json.Unmarshal: 10)
		t.Fatalf("decode allocated %v times: not the hand-written reader", allocs)
	}
}
