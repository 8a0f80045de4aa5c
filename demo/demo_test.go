package demo_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownervote/ownervote/demo"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/tally"
)

func TestDemoRoll(t *testing.T) {
	if diff := cmp.Diff(demo.Units(), demo.Units()); diff != "" {
		t.Fatalf("Units() is not deterministic:\n%s", diff)
	}
	ident, _ := roll.NewIdentifier(bytes.Repeat([]byte{1}, 32))
	b, err := roll.Build(ident, demo.Units())
	if err != nil {
		t.Fatalf("Build(demo) = %v", err)
	}
	f, err := roll.ComputeFigures(b.Units)
	if err != nil {
		t.Fatal(err)
	}
	// 166 units; three owners hold two units each (−3 heads), four
	// developer-held units count as one (−3), the co-owned unit as one.
	if f.Units != demo.Households || f.Total.Head != 160 || f.MultiUnitOwners != 3 || f.CoOwnedUnits != 1 || f.DeveloperUnits != 4 {
		t.Errorf("demo figures = %+v; want 166 units, 160 heads, 3 multi-unit owners, 1 co-owned, 4 developer units", f)
	}
	var sum tally.Area
	precedence := map[string]int{}
	for _, u := range b.Units {
		sum += u.Area()
		switch {
		case u.Registered != nil:
			precedence["registered"]++
		case u.Surveyed != nil:
			precedence["surveyed"]++
		default:
			precedence["contract"]++
		}
	}
	if sum != f.Total.Area {
		t.Errorf("sum of unit areas %s != total %s", sum, f.Total.Area)
	}
	if precedence["surveyed"] == 0 || precedence["contract"] == 0 {
		t.Errorf("demo should exercise area precedence, got %v", precedence)
	}
	for _, u := range demo.Units() {
		for _, o := range u.Owners {
			if o.IDNumber[:6] != "990000" || o.Phone[:3] != "100" {
				t.Errorf("unit %s: demo identity %s… / phone %s… must be in the made-up ranges", u.ID, o.IDNumber[:6], o.Phone[:3])
			}
		}
	}
}
