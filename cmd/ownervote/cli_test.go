package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every command and subcommand answers -h and --help with its usage and
// exit status 0, and a flag it does not know with status 2.
func TestHelpAndBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve"}, {"token"}, {"token", "create"}, {"token", "list"}, {"token", "revoke"}, {"roll"}, {"roll", "import"},
		{"recount"}, {"ballot"}, {"ballot", "sign"}, {"demo"}, {"demo", "vote"}, {"export"}, {"verify"}, {"receipt"},
		{"receipt", "check"}, {"backup"}, {"restore"}, {"bench"},
	} {
		for _, help := range []string{"-h", "--help"} {
			if code, _, errOut := runCmd(append(append([]string{}, args...), help)...); code != 0 || !strings.Contains(strings.ToLower(errOut), "usage") {
				t.Errorf("ownervote %s %s: exit %d, stderr %q; want 0 and the usage", strings.Join(args, " "), help, code, errOut)
			}
		}
		if len(args) == 1 && (args[0] == "token" || args[0] == "roll" || args[0] == "ballot" || args[0] == "demo" || args[0] == "receipt") {
			continue // a group: its subcommand takes the flags
		}
		if code, _, _ := runCmd(append(append([]string{}, args...), "--no-such-flag")...); code != 2 {
			t.Errorf("ownervote %s --no-such-flag: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}

// serve checks every flag, the listen addresses and that the ports are
// free before it touches the data directory: a refused start leaves no
// directory, so no token nobody was shown. (That the demo is seeded only
// once the server listens has no test of its own: a port taken between
// the check and the listen cannot be arranged here.)
func TestServeRefusesBeforeWriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{
		{"--max-request-bytes", "0"},
		{"--rate-burst", "0"},
		{"--phone-reveal-quota", "-1"},
		{"--tls-cert", "/no/such/cert.pem", "--tls-key", "/no/such/key.pem"},
	} {
		code, _, errOut := runCmd(append([]string{"serve", "--demo", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, args...)...)
		if code == 0 {
			t.Errorf("serve %v: exit 0 (%s)", args, errOut)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("serve %v refused, but made %s (%v)", args, dir, err)
		}
	}
	// Not loopback without TLS, or no address at all: command-line
	// mistakes, found before the directory is made.
	for _, addr := range []string{"0.0.0.0:0", ":0", "nonsense"} {
		if code, _, errOut := runCmd("serve", "--data", dir, "--grpc-addr", addr, "--http-addr", "127.0.0.1:0"); code != 2 {
			t.Errorf("serve --grpc-addr %s: exit %d (%s), want 2", addr, code, errOut)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("serve --grpc-addr %s refused, but made %s (%v)", addr, dir, err)
		}
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if code, _, _ := runCmd("serve", "--demo", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", busy.Addr().String()); code == 0 {
		t.Fatal("serve on a port in use succeeded")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("serve on a port in use made %s (%v)", dir, err)
	}
}

// Command-line mistakes are named as such (exit status 2), not reported as
// what they are not: a directory that is not there is no bad export.
func TestCommandLineMistakes(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"verify", filepath.Join(t.TempDir(), "no-such-export")}, "no such file or directory"},
		{[]string{"token", "create", "--data", t.TempDir(), "--role", "auditor"}, "--label"},
		{[]string{"token", "list", "--data", t.TempDir(), "extra"}, "unexpected argument"},
		{[]string{"demo", "vote", "--token", "--api", "http://127.0.0.1:7780"}, "unexpected argument \"http://127.0.0.1:7780\""},
		{[]string{"backup", "--api", "127.0.0.1:7780", "--token", "x", "--out", filepath.Join(t.TempDir(), "b.db")}, "give the JSON API's URL"},
		{[]string{"backup", "--data", t.TempDir(), "--out", filepath.Join(t.TempDir(), "no-such-dir", "b.db")}, "does not exist"},
		{[]string{"receipt", "check", "--keys", writeFile(t, filepath.Join(t.TempDir(), "keys.json"), `{"ballot_id": "x"}`), writeFile(t, filepath.Join(t.TempDir(), "receipt.json"), `{}`)}, "no receipt_public_key"},
	} {
		code, _, errOut := runCmd(c.args...)
		if code != 2 || !strings.Contains(errOut, c.says) {
			t.Errorf("ownervote %s: exit %d %q; want 2 saying %q", strings.Join(c.args, " "), code, errOut, c.says)
		}
	}
	// A file that is no export's archive fails verification, saying why.
	if code, _, errOut := runCmd("verify", writeFile(t, filepath.Join(t.TempDir(), "export.zip"), "not a zip")); code != 1 ||
		!strings.Contains(errOut, "核验未通过 / verification failed: ") || !strings.Contains(errOut, "not an export's ZIP archive: zip: not a valid zip file") {
		t.Errorf("verify a file that is no ZIP archive: exit %d %q", code, errOut)
	}
}

// rfc3339At is where the first RFC 3339 time of s starts, or -1.
func rfc3339At(s string) int {
	if loc := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`).FindStringIndex(s); loc != nil {
		return loc[0]
	}
	return -1
}

// TestTokenIssuedToOnePerson: `token create --signer-id` issues a token to
// one person, and `token list` says whom; a bad id is refused, nothing
// created.
func TestTokenIssuedToOnePerson(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCmd("token", "create", "--data", dir, "--role", "street-admin", "--label", "admin"); code != 0 || !strings.HasPrefix(out, "ovt_") {
		t.Fatalf("token create: exit %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runCmd("token", "create", "--data", dir, "--role", "street-admin", "--label", "王工作人员", "--signer-id", "staff-wang"); code != 0 {
		t.Fatalf("token create --signer-id: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCmd("token", "create", "--data", dir, "--role", "street-admin", "--label", "王工作人员（新手机）", "--signer-id", "staff-wang"); code != 0 ||
		!strings.Contains(errOut, "note: staff-wang also holds active token(s) tok-") {
		t.Errorf("a second token issued to staff-wang: exit %d %s; want a note naming the first", code, errOut)
	}
	if code, _, errOut := runCmd("token", "create", "--data", dir, "--role", "platform", "--label", "city", "--signer-id", "city"); code == 0 || !strings.Contains(errOut, "signer_id") {
		t.Errorf("a platform token issued to a person: exit %d %s, want refused", code, errOut)
	}
	code, out, errOut := runCmd("token", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "ISSUED TO") || !strings.Contains(out, "staff-wang") || strings.Count(out, "\ntok-") != 3 {
		t.Errorf("token list: exit %d\n%s%s\nwant three tokens, two issued to staff-wang", code, out, errOut)
	}
	// Columns line up in a terminal: the Chinese label, which tabwriter
	// counts narrower than it shows, is the last.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	created := strings.Index(lines[0], "CREATED")
	for _, l := range lines[1:] {
		if i := rfc3339At(l); i != created || !strings.HasSuffix(l, "王工作人员") && !strings.HasSuffix(l, "王工作人员（新手机）") && !strings.HasSuffix(l, "admin") {
			t.Errorf("token list row %q: its time at column %d, the header's CREATED at %d; want them aligned and the label last", l, i, created)
		}
	}
}

// TestTokenValidFor: `token create --valid-for` makes a token that expires,
// which `token list` shows; a bad duration is refused, nothing created.
func TestTokenValidFor(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd("token", "create", "--data", dir, "--role", "auditor", "--label", "临时审计", "--valid-for", "30d")
	if code != 0 || !strings.HasPrefix(out, "ovt_") || !strings.Contains(errOut, ", until 20") {
		t.Fatalf("token create --valid-for 30d: exit %d %s %s", code, out, errOut)
	}
	for _, bad := range []string{"0d", "thirty", "-2h", "9999d"} {
		if code, _, errOut := runCmd("token", "create", "--data", dir, "--role", "auditor", "--label", "x", "--valid-for", bad); code == 0 || !strings.Contains(errOut, "--valid-for") {
			t.Errorf("--valid-for %s: exit %d %s, want refused", bad, code, errOut)
		}
	}
	code, out, _ = runCmd("token", "list", "--data", dir)
	want := time.Now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 || !strings.Contains(lines[0], "EXPIRES") || !strings.Contains(lines[1], want) {
		t.Errorf("token list: exit %d\n%s\nwant one token expiring %s", code, out, want)
	}
}

// TestRosterRefusalInChinese: a roster refused as a whole is said in
// Chinese first, for the staff who fix it, then in English.
func TestRosterRefusalInChinese(t *testing.T) {
	f := filepath.Join(t.TempDir(), "roster.ods")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd("roll", "import", "--check", f)
	zh, en := strings.Index(errOut, "花名册须为 .xlsx 工作簿或 .csv 文件"), strings.Index(errOut, "unknown roster format")
	if code == 0 || zh < 0 || en < zh {
		t.Errorf("roll import --check of a .ods: exit %d\n%s\nwant the Chinese, then the English", code, errOut)
	}
}
