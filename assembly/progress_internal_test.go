package assembly

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ownervote/ownervote/store"

	"github.com/ownervote/ownervote/tally"
)

func TestApprovalAndQuorumLines(t *testing.T) {
	half := tally.Requirement{Threshold: tally.Threshold{Num: 1, Den: 2, Strict: true}}
	threeQuarters := tally.Requirement{Threshold: tally.Threshold{Num: 3, Den: 4}}
	unanimity := tally.Requirement{Threshold: tally.Threshold{Num: 1, Den: 1}}
	ofAll := tally.Requirement{Threshold: tally.Threshold{Num: 1, Den: 2, Strict: true}, Of: tally.OfAll}
	f := func(head int64) tally.Figures { return tally.Figures{Area: tally.Area(head * 8000), Head: head} }
	total := f(166)
	tests := []struct {
		name            string
		req             tally.Requirement
		base, have, not tally.Figures
		wantRemaining   int64 // heads
		wantReachable   bool
	}{
		// 111 take part: more than half is 56; 55 agreeing need one more.
		{"55 of 111", half, f(111), f(55), f(55), 2, true},
		{"56 of 111", half, f(111), f(56), f(55), 0, true},
		// A new agreeing voter joins the base too: 50 of 100 need 1 more
		// (51 of 101 > 1/2).
		{"50 of 100", half, f(100), f(50), f(66), 1, true},
		{"3/4 inclusive: 75 of 100", threeQuarters, f(100), f(75), f(66), 0, true},
		{"3/4: 74 of 100 need 4 (78 of 104)", threeQuarters, f(100), f(74), f(66), 4, true},
		{"unanimity with nobody yet", unanimity, f(0), f(0), f(166), 1, true},
		{"unanimity broken", unanimity, f(10), f(9), f(156), 1, false},
		{"of all owners: 84 of 166", ofAll, f(100), f(60), f(66), 24, true},
		{"of all owners out of reach", ofAll, f(160), f(60), f(6), 24, false},
	}
	for _, tc := range tests {
		l := approvalLine(tc.req, total, tc.base, tc.have, tc.not)
		if l.Remaining.Head != tc.wantRemaining || l.Reachable != tc.wantReachable {
			t.Errorf("%s: approvalLine remaining %d heads, reachable %v; want %d, %v", tc.name, l.Remaining.Head, l.Reachable, tc.wantRemaining, tc.wantReachable)
		}
	}
	q := quorumLine(tally.Threshold{Num: 2, Den: 3}, total, f(110), f(56))
	if q.Required.Head != 111 || q.Remaining.Head != 1 || !q.Reachable {
		t.Errorf("quorum with 110 of 166: %+v, want 111 required, 1 remaining", q)
	}
}

// The intake's cached counters are copied for each group: changing a copy
// must leave the cache (and the next group's copy) as stored.
func TestProgressCloneIsDeep(t *testing.T) {
	a := &Assembly{ID: "a1", Motions: []Motion{{ID: "m1"}}}
	p := newProgress(a)
	p.Counted, p.ByChannel["PLATFORM"] = 3, 3
	p.Motions["m1"].Choices["AGREE"] = Figures{Area: 100, Head: 1}
	p.Motions["m1"].Decided = Figures{Area: 100, Head: 1}
	p.Hourly = map[string]int64{"2026-05-08T08": 2}
	p.addHour("2026-05-08T09", 1) // not yet stored: not the copy's
	c := p.clone()
	if c.hourDelta != nil {
		t.Errorf("the copy has the original's unstored hours: %v", c.hourDelta)
	}
	c.Counted++
	c.ByChannel["PLATFORM"]++
	c.Motions["m1"].Choices["AGREE"] = Figures{Area: 200, Head: 2}
	c.Motions["m1"].Decided.Head++
	c.Hourly["2026-05-08T08"]++
	c.addHour("2026-05-08T09", 1)
	switch {
	case p.Counted != 3 || p.ByChannel["PLATFORM"] != 3:
		t.Errorf("changing the copy changed the counters: %+v", p)
	case p.Motions["m1"].Choices["AGREE"] != (Figures{Area: 100, Head: 1}) || p.Motions["m1"].Decided.Head != 1:
		t.Errorf("changing the copy changed the motion counters: %+v", *p.Motions["m1"])
	case p.Hourly["2026-05-08T08"] != 2:
		t.Errorf("changing the copy changed the hourly counts: %v", p.Hourly)
	case p.hourDelta["2026-05-08T09"] != 1:
		t.Errorf("changing the copy added hours to the original: %v", p.hourDelta)
	}
}

// What the writer stored comes back from the cache exactly as decoding the
// stored bytes gives it.
func TestProgressCacheMatchesStoredRecord(t *testing.T) {
	st := tempStore(t)
	var err error
	ctx := context.Background()
	a := &Assembly{ID: "a1", Motions: []Motion{{ID: "m1"}, {ID: "m2"}}}
	var c progressCache
	p := newProgress(a)
	p.NextSeq, p.Counted, p.ByChannel["PHONE"] = 7, 5, 5
	p.Motions["m2"].Choices["opt-1"] = Figures{Area: 12345, Head: 2}
	p.addHour("2026-05-08T09", 5)
	if err := st.Update(ctx, func(tx store.Tx) error { return c.put(tx, a.ID, p) }); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx store.Tx) error {
		got, err := c.get(tx, a)
		if err != nil {
			return err
		}
		decoded, err := getProgress(tx, a)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, decoded) {
			t.Errorf("cached counters %+v, stored %+v", got, decoded)
		}
		cached := c.decoded.m[a.ID].v
		if cached == got {
			t.Error("get handed out the cached record itself, not a copy")
		}
		// The next get comes from the cache, not from decoding: a mark
		// made in the cached record shows in it.
		cached.Refused = 42
		if again, _ := c.get(tx, a); again.Refused != 42 {
			t.Error("get decoded the stored record again instead of copying the cached one")
		}
		cached.Refused = 0
		got.Counted++ // the caller's copy
		again, _ := c.get(tx, a)
		if again.Counted != 5 {
			t.Errorf("changing a copy changed the cache: counted %d", again.Counted)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A writer that decoded the counters itself (an empty cache: after a
// restart) owns what it got: if its group is rolled back, the next group
// reads the stored counters, not the abandoned changes.
func TestProgressCacheForgetsRolledBackChanges(t *testing.T) {
	st := tempStore(t)
	var err error
	ctx := context.Background()
	a := &Assembly{ID: "a1", Motions: []Motion{{ID: "m1"}}}
	p := newProgress(a)
	p.Counted, p.Motions["m1"].Choices["YES"] = 3, Figures{Area: 100, Head: 3}
	if err := st.Update(ctx, func(tx store.Tx) error { return putProgress(tx, a.ID, p) }); err != nil {
		t.Fatal(err)
	}
	var c progressCache // empty, as after a restart
	rollBack := errors.New("the group failed")
	err = st.Update(ctx, func(tx store.Tx) error {
		got, err := c.get(tx, a)
		if err != nil {
			return err
		}
		got.Counted++
		got.Motions["m1"].Choices["YES"] = Figures{Area: 999, Head: 4}
		return rollBack
	})
	if !errors.Is(err, rollBack) {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx store.Tx) error {
		got, err := c.get(tx, a)
		if err != nil {
			return err
		}
		if got.Counted != 3 || got.Motions["m1"].Choices["YES"] != (Figures{Area: 100, Head: 3}) {
			t.Errorf("after a rolled-back group the counters are %+v, %+v; want the stored 3 and 100/3", got.Counted, got.Motions["m1"].Choices)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The latest hour's count stays in the counters record: a group writes
// one key per assembly for its counters. An hour moves to its own key when
// a later one begins; a count for an earlier hour (a late confirmation)
// goes to that hour's key.
func TestHourCountsKeys(t *testing.T) {
	st := tempStore(t)
	const id = "asm-1"
	h0, h1, h3 := "2026-05-01T08", "2026-05-01T09", "2026-05-01T11"
	p := &progressRecord{ByChannel: map[string]int64{}, Motions: map[string]*motionCounter{}}
	step := func(name string, add map[string]int64, wantPuts int, wantKeys, wantAll map[string]int64) {
		t.Helper()
		err := st.Update(context.Background(), func(tx store.Tx) error {
			for h, n := range add {
				p.addHour(h, n)
			}
			writes := 0
			counting := &countingTx{Tx: tx, puts: &writes}
			if err := putProgress(counting, id, p); err != nil {
				return err
			}
			if writes != wantPuts {
				t.Errorf("%s: %d keys written, want %d", name, writes, wantPuts)
			}
			if got := keysOf(t, tx, id); !reflect.DeepEqual(got, wantKeys) {
				t.Errorf("%s: hour keys %v, want %v", name, got, wantKeys)
			}
			all, err := hourly(tx, id, p)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(all, wantAll) {
				t.Errorf("%s: hourly %v, want %v", name, all, wantAll)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	step("first hour", map[string]int64{h1: 2}, 1, map[string]int64{}, map[string]int64{h1: 2})
	step("same hour", map[string]int64{h1: 3}, 1, map[string]int64{}, map[string]int64{h1: 5})
	step("an earlier hour", map[string]int64{h0: 1}, 2, map[string]int64{h0: 1}, map[string]int64{h0: 1, h1: 5})
	step("a later hour", map[string]int64{h3: 1}, 2, map[string]int64{h0: 1, h1: 5}, map[string]int64{h0: 1, h1: 5, h3: 1})
	if p.Hour != h3 || p.HourCount != 1 {
		t.Errorf("record holds %s: %d, want %s: 1", p.Hour, p.HourCount, h3)
	}
}

// keysOf reads an assembly's hour keys.
func keysOf(t *testing.T, tx store.Tx, id string) map[string]int64 {
	t.Helper()
	got, err := hourly(tx, id, &progressRecord{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

type countingTx struct {
	store.Tx
	puts *int
}

func (c *countingTx) Put(b store.Bucket, k, v []byte) error {
	*c.puts++
	return c.Tx.Put(b, k, v)
}

// tempStore is a new store in a temporary directory, closed when the test
// ends.
func tempStore(t *testing.T) *store.Bolt {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "a.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
