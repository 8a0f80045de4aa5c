package recount

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownervote/ownervote/tally"
)

const rollHeader = "unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2,contract_area_m2\n"

// fileErrors returns the *Error values joined in err.
func fileErrors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// where is the position an error must name.
type where struct {
	Line  int
	Field string
}

func positions(err error) []where {
	var out []where
	for _, e := range fileErrors(err) {
		out = append(out, where{e.Line, e.Field})
	}
	return out
}

func TestParseRoll(t *testing.T) {
	in := "\uFEFF" + rollHeader +
		"1-101,o1,PERSON,60.5,61,62\r\n" + // registered wins
		"1-102,o2,,,70.25,71\r\n" + // surveyed without registered
		"1-103,o1,,,,80\r\n" + // contract only; o1 owns two units
		`"1-104, shop","Zhang, Wei",PERSON,0.01,,` + "\r\n" + // quoted fields with commas
		",,,,,\r\n   \r\n" + // a sheet's empty rows
		"\r\n" +
		"2-101,buyer,DEVELOPER,90.00,,\r\n" +
		"2-102,,DEVELOPER,,,90.01\r\n"
	roll, err := ParseRoll("roll.csv", strings.NewReader(in))
	if err != nil {
		t.Fatalf("ParseRoll() error = %v", err)
	}
	want := []tally.Unit{
		{ID: "1-101", OwnerID: "o1", Area: 6050},
		{ID: "1-102", OwnerID: "o2", Area: 7025},
		{ID: "1-103", OwnerID: "o1", Area: 8000},
		{ID: "1-104, shop", OwnerID: "Zhang, Wei", Area: 1},
		{ID: "2-101", OwnerID: "buyer", Developer: true, Area: 9000},
		{ID: "2-102", Developer: true, Area: 9001},
	}
	if diff := cmp.Diff(want, roll.Units); diff != "" {
		t.Errorf("ParseRoll() units mismatch (-want +got):\n%s", diff)
	}
	for owner, want := range map[string]string{"o1": "o1", "Zhang, Wei": "Zhang, Wei", "buyer": tally.DeveloperVoter} {
		if got, err := roll.voter(owner); err != nil || got != want {
			t.Errorf("roll.voter(%q) = %q, %v, want %q", owner, got, err, want)
		}
	}
	if _, err := roll.voter("o9"); !errors.Is(err, ErrUnknownOwner) {
		t.Errorf("roll.voter(o9) error = %v, want ErrUnknownOwner", err)
	}
}

func TestParseRollErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
		at   []where
	}{
		{"empty file", "", ErrEmptyFile, []where{{0, ""}}},
		{"header only", rollHeader, ErrEmptyFile, []where{{0, ""}}},
		{"missing column", "unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2\nu1,o1,,1,\n", ErrHeader, []where{{1, ""}}},
		{"unknown column", strings.TrimSuffix(rollHeader, "\n") + ",remark\nu1,o1,,1,,,x\n", ErrHeader, []where{{1, ""}}},
		{"misspelt column", "unit_id,owner_id,owner_kind,registerd_area_m2,surveyed_area_m2,contract_area_m2\n", ErrHeader, []where{{1, ""}, {1, ""}}},
		{"repeated column", "unit_id,unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2,contract_area_m2\n", ErrHeader, []where{{1, ""}}},
		{"bare quote", rollHeader + "u1,o\"1,,1,,\n", ErrSyntax, []where{{2, ""}}},
		{"unterminated quote", rollHeader + "u1,\"o1,,1,,\nu2,o2,,1,,\n", ErrSyntax, []where{{2, ""}}},
		{"bad rows after a bare quote", rollHeader + "u1,o\"1,,1,,\nu2,o2,,x,,\nu3,o3,,1,,\n", ErrSyntax, []where{{2, ""}, {3, "registered_area_m2"}}},
		{"too few fields", rollHeader + "u1,o1,,1,\n", ErrBadField, []where{{2, ""}}},
		{"empty unit_id", rollHeader + ",o1,,1,,\n", ErrBadField, []where{{2, "unit_id"}}},
		{"duplicate unit", rollHeader + "u1,o1,,1,,\nu2,o2,,1,,\nu1,o3,,1,,\n", tally.ErrDuplicateUnit, []where{{4, "unit_id"}}},
		{"empty owner of a person", rollHeader + "u1,,PERSON,1,,\n", ErrBadField, []where{{2, "owner_id"}}},
		{"spaces around an owner", rollHeader + "u1, o1,,1,,\n", ErrBadField, []where{{2, "owner_id"}}},
		{"control character", rollHeader + "u1,o\x001,,1,,\n", ErrBadField, []where{{2, "owner_id"}}},
		{"zero-width space", rollHeader + "u1,o1,,1,,\nu2,o1\u200b,,1,,\n", ErrBadField, []where{{3, "owner_id"}}},
		{"byte order mark inside", rollHeader + "u1,\ufeffo1,,1,,\n", ErrBadField, []where{{2, "owner_id"}}},
		{"direction mark", rollHeader + "u\u202e1,o1,,1,,\n", ErrBadField, []where{{2, "unit_id"}}},
		{"invalid UTF-8", rollHeader + "u\xff,o1,,1,,\n", ErrEncoding, []where{{2, ""}}},
		{"UTF-16", "\xff\xfeu\x00n\x00", ErrEncoding, []where{{1, ""}}},
		{"CR line ends", strings.ReplaceAll(rollHeader, "\n", "\r") + "u1,o1,,1,,\r", ErrEncoding, []where{{1, ""}}},
		{"lower-case kind", rollHeader + "u1,o1,developer,1,,\n", ErrBadOwnerKind, []where{{2, "owner_kind"}}},
		{"no area", rollHeader + "u1,o1,,,,\n", ErrNoArea, []where{{2, "registered_area_m2"}}},
		{"three decimals", rollHeader + "u1,o1,,60.123,,\n", tally.ErrBadArea, []where{{2, "registered_area_m2"}}},
		{"zero area", rollHeader + "u1,o1,,0,80.5,\n", tally.ErrBadArea, []where{{2, "registered_area_m2"}}},
		{"negative area", rollHeader + "u1,o1,,-5,,\n", tally.ErrBadArea, []where{{2, "registered_area_m2"}}},
		{"thousands separator", rollHeader + "u1,o1,,\"1,234.00\",,\n", tally.ErrBadArea, []where{{2, "registered_area_m2"}}},
		{"bad area not chosen", rollHeader + "u1,o1,,60,6O.5,\n", tally.ErrBadArea, []where{{2, "surveyed_area_m2"}}},
		{"multi-line record", rollHeader + "\"u\n1\",o1,,x,,\n", tally.ErrBadArea, []where{{2, "unit_id"}, {3, "registered_area_m2"}}},
		{"total area overflows", rollHeader + "u1,o1,,92233720368547758.07,,\nu2,o2,,1,,\n", tally.ErrAreaOverflow, []where{{0, ""}}},
		{"every bad row at once", rollHeader + "u1,o1,,1,,\nu2,,,1,,\nu3,o3,,,,\nu4,o4,X,1,,\n", ErrBadField,
			[]where{{3, "owner_id"}, {4, "registered_area_m2"}, {5, "owner_kind"}}},
	}
	for _, tc := range tests {
		_, err := ParseRoll("roll.csv", strings.NewReader(tc.in))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: ParseRoll() error = %v, want error wrapping %v", tc.name, err, tc.want)
			continue
		}
		if diff := cmp.Diff(tc.at, positions(err)); diff != "" {
			t.Errorf("%s: ParseRoll() error positions mismatch (-want +got):\n%s\nerror: %v", tc.name, diff, err)
		}
		for _, e := range fileErrors(err) {
			if e.File != "roll.csv" {
				t.Errorf("%s: ParseRoll() error names file %q, want roll.csv", tc.name, e.File)
			}
		}
	}
}

func TestParseRollCapsDetailedErrors(t *testing.T) {
	in := rollHeader + strings.Repeat("u,,,,,\n", 100)
	_, err := ParseRoll("roll.csv", strings.NewReader(in))
	errs := fileErrors(err)
	if len(errs) != maxErrors+1 || errs[maxErrors].Line != 0 {
		t.Fatalf("ParseRoll(100 bad rows) = %d errors, want %d and a count of the rest", len(errs), maxErrors+1)
	}
	// Each row lacks an owner and an area; all but the first repeat unit "u".
	if got, want := errs[maxErrors].Error(), "roll.csv: … and 279 more errors"; got != want {
		t.Errorf("ParseRoll(100 bad rows) last error = %q, want %q", got, want)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "votes.csv", Line: 14, Field: "choice", Err: detail(tally.ErrBadChoice, "%q is not AGREE", "AGRE")}
	if got, want := e.Error(), `votes.csv:14: field choice: "AGRE" is not AGREE`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, tally.ErrBadChoice) {
		t.Errorf("errors.Is(%v, tally.ErrBadChoice) = false, want true", e)
	}
}

// TestAreaRefusalsSayWhy: an area refused says what is wrong with it, not
// only what an area looks like.
func TestAreaRefusalsSayWhy(t *testing.T) {
	for area, want := range map[string]string{
		"12.345":               "more than two decimals",
		"92233720368547758.08": "too large",
		"1e2":                  "like 123.45",
	} {
		_, err := ParseRoll("roll.csv", strings.NewReader(rollHeader+"u1,o1,,"+area+",,\n"))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "roll.csv:2: field registered_area_m2") {
			t.Errorf("area %s: %v, want it to say %q at roll.csv:2", area, err, want)
		}
	}
}

// TestThousandsSeparatorHint: an area written 1,234.50 without quotes
// splits its row; the refusal says why.
func TestThousandsSeparatorHint(t *testing.T) {
	_, err := ParseRoll("roll.csv", strings.NewReader(rollHeader+"u1,o1,,1,234.50,,\n"))
	if err == nil || !strings.Contains(err.Error(), "7 fields") || !strings.Contains(err.Error(), "thousands separator") {
		t.Errorf("an unquoted 1,234.50: %v, want the field count and the hint", err)
	}
	_, err = ParseRoll("roll.csv", strings.NewReader(rollHeader+"u1,o1,,12,x,,\n"))
	if err == nil || strings.Contains(err.Error(), "thousands separator") {
		t.Errorf("a row with an extra field that is no number: %v, want no hint", err)
	}
}
