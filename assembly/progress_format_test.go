package assembly_test

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/store"
)

// TestHourlyCountsOfEarlierFiles reads a progress record that keeps its
// hourly counts inside (as files written before did): they are reported,
// and the next ballot moves them to the hour keys without counting twice.
func TestHourlyCountsOfEarlierFiles(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 20, assembly.Settings{})
	for i := range 2 {
		if _, err := f.reg.Submit(ctx, f.signed(t, i, "AGREE")); err != nil {
			t.Fatal(err)
		}
	}
	hour := f.clock().UTC().Format("2006-01-02T15")
	earlier := f.clock().UTC().Add(-time.Hour).Format("2006-01-02T15")
	// The record as an earlier file held it: 4 more ballots an hour before,
	// inside the record.
	err := f.st.Update(ctx, func(tx store.Tx) error {
		var rec map[string]any
		if _, err := store.GetJSON(tx, store.Progress, []byte(f.Assembly.ID), &rec); err != nil {
			return err
		}
		rec["hourly"] = map[string]int64{earlier: 4}
		return store.PutJSON(tx, store.Progress, []byte(f.Assembly.ID), rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string, want map[string]int64) {
		t.Helper()
		p, err := f.reg.Progress(ctx, f.Assembly.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(p.Hourly, want) {
			t.Errorf("%s: hourly = %v, want %v", when, p.Hourly, want)
		}
	}
	check("earlier record", map[string]int64{earlier: 4, hour: 2})
	if _, err := f.reg.Submit(ctx, f.signed(t, 2, "AGREE")); err != nil {
		t.Fatal(err)
	}
	check("after the next ballot", map[string]int64{earlier: 4, hour: 3})
	var rec map[string]json.RawMessage
	f.st.View(ctx, func(tx store.Tx) error {
		_, err := store.GetJSON(tx, store.Progress, []byte(f.Assembly.ID), &rec)
		return err
	})
	if _, ok := rec["hourly"]; ok {
		t.Errorf("the record still holds hourly counts after a write: %s", rec["hourly"])
	}
}
