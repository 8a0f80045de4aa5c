package tally

import (
	"errors"
	"math"
	"testing"
	"testing/quick"

	"github.com/google/go-cmp/cmp"
)

func TestParseArea(t *testing.T) {
	tests := []struct {
		in   string
		want Area
	}{
		{"123.45", 12345},
		{"123.4", 12340},
		{"123", 12300},
		{"0", 0},
		{"0.01", 1},
		{"0.5", 50},
		{"007.50", 750},
		{"92233720368547758.07", math.MaxInt64},
	}
	for _, tc := range tests {
		got, err := ParseArea(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseArea(%q) = %d, %v, want %d, nil", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "123.456", "-1", "+1", "1e3", "1E3", ".5", "5.", " 5", "5 ", "1,234.00", "1.2.3", "0x10",
		"92233720368547758.08", "99999999999999999999", "１２", "12.3a", "NaN", "∞",
	} {
		if got, err := ParseArea(in); !errors.Is(err, ErrBadArea) {
			t.Errorf("ParseArea(%q) = %d, %v, want error wrapping ErrBadArea", in, got, err)
		}
	}
}

func TestAreaString(t *testing.T) {
	tests := []struct {
		a              Area
		plain, grouped string
	}{
		{0, "0.00", "0.00"},
		{1, "0.01", "0.01"},
		{12340, "123.40", "123.40"},
		{892050, "8920.50", "8,920.50"},
		{1328000, "13280.00", "13,280.00"},
		{100000000, "1000000.00", "1,000,000.00"},
		{-150, "-1.50", "-1.50"},
		{math.MaxInt64, "92233720368547758.07", "92,233,720,368,547,758.07"},
		{math.MinInt64, "-92233720368547758.08", "-92,233,720,368,547,758.08"},
	}
	for _, tc := range tests {
		if got := tc.a.String(); got != tc.plain {
			t.Errorf("Area(%d).String() = %q, want %q", int64(tc.a), got, tc.plain)
		}
		if got := tc.a.Grouped(); got != tc.grouped {
			t.Errorf("Area(%d).Grouped() = %q, want %q", int64(tc.a), got, tc.grouped)
		}
	}
}

func TestAreaRoundTrip(t *testing.T) {
	f := func(n int64) bool {
		if n < 0 {
			n = -(n + 1)
		}
		got, err := ParseArea(Area(n).String())
		return err == nil && got == Area(n)
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}

func TestGroupedInt(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 166: "166", 1000: "1,000", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := GroupedInt(n); got != want {
			t.Errorf("GroupedInt(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestEffectiveArea(t *testing.T) {
	p := func(a Area) *Area { return &a }
	tests := []struct {
		name                           string
		registered, surveyed, contract *Area
		want                           Area
		ok                             bool
	}{
		{"registered first", p(100), p(200), p(300), 100, true},
		{"registered zero still wins", p(0), p(200), p(300), 0, true},
		{"surveyed without registered", nil, p(200), p(300), 200, true},
		{"contract last", nil, nil, p(300), 300, true},
		{"none", nil, nil, nil, 0, false},
	}
	for _, tc := range tests {
		got, ok := EffectiveArea(tc.registered, tc.surveyed, tc.contract)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: EffectiveArea() = %v, %v, want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTotals(t *testing.T) {
	tests := []struct {
		name  string
		units []Unit
		want  Figures
	}{
		{"empty roll", nil, Figures{}},
		{"one unit one owner", owners(3, h), fig(3*h, 3)},
		{"several units of one owner are one head", []Unit{
			{ID: "u1", OwnerID: "o1", Area: 100}, {ID: "u2", OwnerID: "o1", Area: 200}, {ID: "u3", OwnerID: "o2", Area: 300},
		}, fig(600, 2)},
		{"developer units are one head, whatever their owner IDs", []Unit{
			{ID: "d1", OwnerID: "buyer", Developer: true, Area: 100}, {ID: "d2", Developer: true, Area: 200},
			{ID: "d3", OwnerID: "o1", Developer: true, Area: 50}, {ID: "u1", OwnerID: "o1", Area: 300},
		}, fig(650, 2)},
		{"zero-area unit still counts a head", []Unit{{ID: "u1", OwnerID: "o1"}}, fig(0, 1)},
	}
	for _, tc := range tests {
		got, err := Totals(tc.units)
		if err != nil {
			t.Errorf("%s: Totals() error = %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Totals() mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestTotalsErrors(t *testing.T) {
	tests := []struct {
		name  string
		units []Unit
		want  error
	}{
		{"empty unit ID", []Unit{{OwnerID: "o1", Area: 1}}, ErrEmptyUnitID},
		{"duplicate unit ID", []Unit{{ID: "u1", OwnerID: "o1"}, {ID: "u1", OwnerID: "o2"}}, ErrDuplicateUnit},
		{"empty owner", []Unit{{ID: "u1", Area: 1}}, ErrEmptyOwner},
		{"reserved owner", []Unit{{ID: "u1", OwnerID: DeveloperVoter, Area: 1}}, ErrReservedOwner},
		{"negative area", []Unit{{ID: "u1", OwnerID: "o1", Area: -1}}, ErrNegativeArea},
		{"total area overflows", []Unit{
			{ID: "u1", OwnerID: "o1", Area: math.MaxInt64}, {ID: "u2", OwnerID: "o2", Area: 1},
		}, ErrAreaOverflow},
	}
	for _, tc := range tests {
		if got, err := Totals(tc.units); !errors.Is(err, tc.want) {
			t.Errorf("%s: Totals() = %v, %v, want error wrapping %v", tc.name, got, err, tc.want)
		}
	}
}

func TestVoterOf(t *testing.T) {
	if got := VoterOf(Unit{ID: "u1", OwnerID: "o1"}); got != "o1" {
		t.Errorf("VoterOf(person unit of o1) = %q, want %q", got, "o1")
	}
	if got := VoterOf(Unit{ID: "u1", OwnerID: "o1", Developer: true}); got != DeveloperVoter {
		t.Errorf("VoterOf(developer unit) = %q, want DeveloperVoter", got)
	}
}

func TestThresholdMetAtExtremes(t *testing.T) {
	const max = math.MaxInt64
	tests := []struct {
		t    Threshold
		a, b int64
		want bool
	}{
		{Threshold{1, 2, true}, max / 2, max - 1, false}, // exactly half
		{Threshold{1, 2, true}, max/2 + 1, max, true},
		{Threshold{2, 3, false}, 2 * (max / 3), max / 3 * 3, true}, // exactly 2/3
		{Threshold{2, 3, false}, 2*(max/3) - 1, max / 3 * 3, false},
		{Threshold{max - 1, max, false}, max - 1, max, true}, // products near 2¹²⁶
		{Threshold{max - 1, max, true}, max - 1, max, false},
		{Threshold{1, 2, false}, 0, 0, false}, // empty base is never met
	}
	for _, tc := range tests {
		if got := tc.t.met(tc.a, tc.b); got != tc.want {
			t.Errorf("Threshold%v.met(%d, %d) = %v, want %v", tc.t, tc.a, tc.b, got, tc.want)
		}
	}
}
