package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recountFiles returns the recount flags for a case under recount/testdata.
func recountFiles(dir string) []string {
	p := func(name string) string { return filepath.Join("..", "..", "recount", "testdata", dir, name) }
	return []string{"--roll", p("roll.csv"), "--assembly", p("assembly.json"), "--votes", p("votes.csv")}
}

func TestRecountEndToEnd(t *testing.T) {
	tests := []struct {
		dir, format, golden string
	}{
		{"seed", "", "result.json"},
		{"seed", "text", "result.txt"},
		{"committee", "json", "result.json"},
		{"committee", "text", "result.txt"},
		{"law2007", "text", "result.txt"},
	}
	for _, tc := range tests {
		args := append([]string{"recount"}, recountFiles(tc.dir)...)
		if tc.format != "" {
			args = append(args, "--format", tc.format)
		}
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 0 {
			t.Errorf("run(%q) = %d, want 0; stderr:\n%s", args, code, errOut.String())
			continue
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "recount", "testdata", tc.dir, tc.golden))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), out.String()); diff != "" {
			t.Errorf("run(%q) stdout mismatch (-want +got):\n%s", args, diff)
		}
		if errOut.Len() != 0 {
			t.Errorf("run(%q) stderr = %q, want nothing", args, errOut.String())
		}
	}
}

func TestRecountBadInput(t *testing.T) {
	t.Chdir(t.TempDir())
	files := map[string]string{
		"roll.csv": "unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2,contract_area_m2\n" +
			"1-101,o1,,60.00,,\n1-102,o2,,60.00,,\n1-103,o3,,60.00,,\n2-101,dev,DEVELOPER,,,75.5\n",
		"assembly.json": `{"motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM"},
  {"id": "m2", "matter": "SELECT_PROPERTY_FIRM", "options": ["firm-a", "firm-b"]}]}` + "\n",
		"votes.csv": "owner_id,motion_id,choice\n" +
			"o1,m1,AGREE\n" +
			"o2,m1,AGRE\n" +
			"o9,m1,AGREE\n" +
			"o1,m1,OPPOSE\n" +
			"o3,m3,AGREE\n" +
			"dev,m2,firm-c\n",
	}
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"recount", "--roll", "roll.csv", "--assembly", "assembly.json", "--votes", "votes.csv"}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), args, &out, &errOut); code != 1 {
		t.Errorf("run(%q) = %d, want 1", args, code)
	}
	want := `votes.csv:3: field choice: "AGRE" is not AGREE, OPPOSE, ABSTAIN or INVALID (motion m1 is voted for or against)
votes.csv:4: field owner_id: owner "o9" is not on the roll
votes.csv:5: field owner_id: second vote of owner "o1" on motion m1 (first on line 2)
votes.csv:6: field motion_id: "m3" is not a motion of the assembly (m1, m2)
votes.csv:7: field choice: "firm-c" is not an option of motion m2 (firm-a, firm-b), ABSTAIN or INVALID
ownervote recount: bad input (5 errors): nothing counted
`
	if diff := cmp.Diff(want, errOut.String()); diff != "" {
		t.Errorf("run(%q) stderr mismatch (-want +got):\n%s", args, diff)
	}
	if out.Len() != 0 {
		t.Errorf("run(%q) stdout = %q, want nothing", args, out.String())
	}

	// Errors in the roll and the assembly are reported together.
	os.WriteFile("roll.csv", []byte("unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2,contract_area_m2\n1-101,o1,,60.001,,\n"), 0o644)
	os.WriteFile("assembly.json", []byte("{\"motions\": [{\"id\": \"m1\",\n \"matter\": \"PAINT\"}]}\n"), 0o644)
	errOut.Reset()
	if code := run(context.Background(), args, &out, &errOut); code != 1 {
		t.Errorf("run(%q) = %d, want 1", args, code)
	}
	want = `roll.csv:2: field registered_area_m2: not an area in m²: "60.001" has more than two decimals
assembly.json:2: field motions[0].matter: "PAINT" is not one of SELECT_PROPERTY_FIRM, RENEW_PROPERTY_FIRM, DISMISS_PROPERTY_FIRM, ELECT_COMMITTEE, ASSEMBLY_RULES, OWNERS_COVENANT, USE_MAINTENANCE_FUND, RAISE_MAINTENANCE_FUND, REBUILD_OR_RENOVATE, CHANGE_COMMON_USE, OTHER_MAJOR
ownervote recount: bad input (2 errors): nothing counted
`
	if diff := cmp.Diff(want, errOut.String()); diff != "" {
		t.Errorf("run(%q) stderr mismatch (-want +got):\n%s", args, diff)
	}
}

// TestRecountCountsEveryError: past the errors it details, recount says
// how many more there are, and the count covers them all.
func TestRecountCountsEveryError(t *testing.T) {
	t.Chdir(t.TempDir())
	votes := "owner_id,motion_id,choice\n" + strings.Repeat("o9,m1,AGREE\n", 25)
	os.WriteFile("roll.csv", []byte("unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2,contract_area_m2\n1-101,o1,,60.00,,\n"), 0o644)
	os.WriteFile("assembly.json", []byte(`{"motions": [{"id": "m1", "matter": "OTHER_MAJOR"}]}`), 0o644)
	os.WriteFile("votes.csv", []byte(votes), 0o644)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"recount", "--roll", "roll.csv", "--assembly", "assembly.json", "--votes", "votes.csv"}, &out, &errOut)
	if got := errOut.String(); code != 1 || !strings.Contains(got, "… and 5 more errors") || !strings.HasSuffix(got, "bad input (25 errors): nothing counted\n") {
		t.Errorf("recount of 25 bad votes: exit %d\n%s", code, got)
	}
}

func TestRecountUsage(t *testing.T) {
	files := recountFiles("seed")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no flags", nil, 2, "missing --roll, --assembly, --votes"},
		{"no votes", files[:4], 2, "missing --votes"},
		{"unknown flag", append(files, "--rules", "x"), 2, "flag provided but not defined: -rules"},
		{"bad format", append(files, "--format", "xml"), 2, `--format "xml": want json or text`},
		{"extra argument", append(files, "votes2.csv"), 2, "unexpected arguments"},
		{"missing file", []string{"--roll", "nonexistent.csv", "--assembly", "a.json", "--votes", "v.csv"}, 1, "nonexistent.csv"},
		{"help", []string{"--help"}, 0, "usage: ownervote recount --roll ROLL.csv"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		args := append([]string{"recount"}, tc.args...)
		if code := run(context.Background(), args, &out, &errOut); code != tc.code {
			t.Errorf("%s: run(%q) = %d, want %d; stderr:\n%s", tc.name, args, code, tc.code, errOut.String())
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%s: run(%q) stderr = %q, want it to contain %q", tc.name, args, errOut.String(), tc.want)
		}
	}
}

func TestRecountIsListed(t *testing.T) {
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"help"}, &out, &errOut)
	if !strings.Contains(errOut.String(), "recount") {
		t.Errorf("run(help) = %q, want it to list recount", errOut.String())
	}
}
