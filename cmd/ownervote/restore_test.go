package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dirState is what a data directory holds: every file's path and the
// SHA-256 of its bytes (directories by their files).
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == restoreLockFile { // made by the first restore, and kept
			return nil
		}
		sum := sha256.Sum256(b)
		state[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// TestRestoreKilledPartWay: a restore killed (SIGKILL, as a power cut) at
// each step of its swap leaves a directory that nothing opens — not the
// server, not the offline backup — until the restore is undone, which puts
// back exactly what was there, or run again, which finishes it. Before,
// a restore killed after moving the journal aside and before renaming the
// new database in left the old database without its journal, and the
// server started on it, its acknowledged writes gone.
func TestRestoreKilledPartWay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := ownervoteBinary(t, "ownervote_faults")
	dir := t.TempDir()
	a := serveInProc(t, dir, "--demo")
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, out, errOut := runCmd("backup", "--api", a.base, "--token", a.token, "--out", backup); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	// A write after the backup, so that what was there differs from it.
	if code, out, errOut := runCmd("demo", "vote", "--api", a.base, "--token", a.token); code != 0 {
		t.Fatalf("demo vote: %d %s %s", code, out, errOut)
	}
	a.stop()
	// Other signing keys (a rotation, with --force), so that the swap has
	// every kind of step: the database linked aside, its journal moved
	// aside, each signing key linked aside and replaced, the new database
	// renamed in.
	otherKeys := t.TempDir()
	for _, name := range keyFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name != secretFile {
			b = bytes.Clone(b)
			b[0] ^= 1
		}
		if err := os.WriteFile(filepath.Join(otherKeys, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := dirState(t, dir)
	binRun := func(env []string, args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	restore := []string{"restore", "--from", backup, "--data", dir, "--keys-from", otherKeys, "--force"}
	for n := 1; ; n++ {
		code, out := binRun([]string{"OWNERVOTE_FAULT_KILL_RESTORE=" + strconv.Itoa(n)}, restore...)
		if code == 0 {
			t.Logf("the restore has %d steps", n-1)
			if n-1 != 7 {
				t.Errorf("the restore ended after %d steps, want 7 (database, journal, two key files and their links, database)", n-1)
			}
			break
		}
		if !strings.Contains(out, "signal: killed") && code != -1 {
			t.Fatalf("restore killed after step %d: exit %d %s", n, code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, restorePlanFile)); err != nil {
			t.Fatalf("killed after step %d: no plan left: %v", n, err)
		}
		for _, args := range [][]string{
			{"serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"},
			{"backup", "--data", dir, "--out", filepath.Join(t.TempDir(), "b.db")},
			{"token", "list", "--data", dir},
		} {
			if code, out := binRun(nil, args...); code == 0 || !strings.Contains(out, "unfinished restore") {
				t.Errorf("killed after step %d: %s: exit %d %s; want it refused as an unfinished restore", n, args[0], code, out)
			}
		}
		plan, _, err := readRestorePlan(dir)
		if err != nil {
			t.Fatal(err)
		}
		finished := true
		for _, s := range plan.Steps {
			finished = finished && s.done()
		}
		if finished {
			// Cut off after its last step: finished, not undone.
			if code, out := binRun(nil, "restore", "--undo", "--data", dir); code != 0 || !strings.Contains(out, "it is finished") {
				t.Fatalf("restore --undo after the last step: %d %s", code, out)
			}
			if db, _ := os.ReadFile(backup); dirState(t, dir)[dbFile] != hexSum(db) {
				t.Errorf("finished after the last step: the database is not the backup")
			}
			putBack(t, dir, before)
			continue
		}
		if n%2 == 1 {
			// Undone: exactly what was there, nothing kept aside.
			if code, out := binRun(nil, "restore", "--undo", "--data", dir); code != 0 || !strings.Contains(out, "undid the unfinished restore") {
				t.Fatalf("restore --undo after step %d: %d %s", n, code, out)
			}
			after := dirState(t, dir)
			for path, sum := range before {
				if after[path] != sum {
					t.Errorf("undone after step %d: %s differs", n, path)
				}
			}
			for path := range after {
				if _, ok := before[path]; !ok {
					t.Errorf("undone after step %d: %s is left", n, path)
				}
			}
			continue
		}
		// Run again: undoes, then restores whole; put back as it was for
		// the next round.
		if code, out := binRun(nil, restore...); code != 0 || !strings.Contains(out, "undid the unfinished restore") || !strings.Contains(out, "restored") {
			t.Fatalf("restore again after step %d: %d %s", n, code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, restorePlanFile)); err == nil {
			t.Fatalf("restored again after step %d: the plan is left", n)
		}
		restored := dirState(t, dir)
		if db, _ := os.ReadFile(backup); restored[dbFile] != hexSum(db) {
			t.Errorf("restored again after step %d: the database is not the backup", n)
		}
		for _, name := range keyFiles {
			if b, _ := os.ReadFile(filepath.Join(otherKeys, name)); hexSum(b) != restored[name] {
				t.Errorf("restored again after step %d: %s is not --keys-from's", n, name)
			}
		}
		putBack(t, dir, before)
	}
	if _, err := os.Stat(filepath.Join(dir, restorePlanFile)); err == nil {
		t.Error("a finished restore left its plan")
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// putBack undoes a finished restore by hand for the next round: the files
// kept aside go back to their names, the restored ones go.
func putBack(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var aside []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".replaced-") {
			aside = append(aside, e.Name())
		}
	}
	for _, name := range aside {
		orig := name[:strings.Index(name, ".replaced-")]
		if strings.HasSuffix(name, ".journal") { // the database's journal, aside with it
			orig += ".journal"
		}
		os.RemoveAll(filepath.Join(dir, orig))
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, orig)); err != nil {
			t.Fatal(err)
		}
	}
	after := dirState(t, dir)
	var diff []string
	for path, sum := range before {
		if after[path] != sum {
			diff = append(diff, path)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			diff = append(diff, path)
		}
	}
	if len(diff) > 0 {
		slices.Sort(diff)
		t.Fatalf("putting the directory back by hand: %v differ", diff)
	}
}

// TestRestoreRefusesADatabaseWithUnappliedJournal: the database file of a
// server that stopped uncleanly lacks the writes its journal holds; a
// restore from that file alone would lose them, so it is refused, naming
// the way out (here the file is of an earlier schema, whose journal only a
// server reads; store's TestJournalReplayAfterCrash counts the writes of a
// current one). Once a server has applied them, the file restores.
func TestRestoreRefusesADatabaseWithUnappliedJournal(t *testing.T) {
	src := oldDataDir(t, "schema2-crash")
	dst := filepath.Join(t.TempDir(), "restored")
	code, out, errOut := runCmd("restore", "--from", filepath.Join(src, dbFile), "--data", dst, "--keys-from", src)
	if code == 0 || !strings.Contains(errOut, "writes the file lacks") || !strings.Contains(errOut, "backup --data") || !strings.Contains(errOut, "Start a server on its directory") {
		t.Fatalf("restore from a crashed server's database file: %d %s %s; want it refused", code, out, errOut)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("the refused restore left %s (%v)", dst, err)
	}
	d, err := openData(src) // as a server starting on it: the journal is applied
	if err != nil {
		t.Fatal(err)
	}
	d.st.Close()
	// A server's own file has no digest beside it: restored only when told
	// so.
	if code, _, errOut := runCmd("restore", "--from", filepath.Join(src, dbFile), "--data", dst, "--keys-from", src); code == 0 || !strings.Contains(errOut, "--unchecked") {
		t.Errorf("restore of a file without its digest: %d %s; want it refused, naming --unchecked", code, errOut)
	}
	if code, out, errOut := runCmd("restore", "--from", filepath.Join(src, dbFile), "--data", dst, "--keys-from", src, "--unchecked"); code != 0 {
		t.Errorf("restore once the journal is applied: %d %s %s", code, out, errOut)
	}
}

// TestBackupDigest: a backup is written with its SHA-256 beside it, in
// sha256sum's format; restore checks it, so that a bit flipped on a disk or
// a stick since — which bbolt's check does not see in the data: a unit's
// area changed, say — is refused before anything is written. Also on a
// file system without hard links (FAT, exFAT).
// TestBackupRemovesStalePartials: a backup removes the partial copies of
// its file that killed backups left, once untouched for an hour, and says
// so; a fresher one, perhaps another backup's at work, stays.
func TestBackupRemovesStalePartials(t *testing.T) {
	dir := t.TempDir()
	serveInProc(t, dir, "--demo").stop()
	outDir := t.TempDir()
	stale, fresh, other := filepath.Join(outDir, ".b.db.partial-111"), filepath.Join(outDir, ".b.db.partial-222"), filepath.Join(outDir, ".c.db.partial-333")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("cut short"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	os.Chtimes(other, old, old)
	code, _, errOut := runCmd("backup", "--data", dir, "--out", filepath.Join(outDir, "b.db"))
	if code != 0 || !strings.Contains(errOut, "removed "+stale+": the partial copy of a backup that did not finish") {
		t.Fatalf("backup: %d %s", code, errOut)
	}
	for p, want := range map[string]bool{stale: false, fresh: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: present %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

func TestBackupDigest(t *testing.T) {
	dir := t.TempDir()
	a := serveInProc(t, dir, "--demo")
	backup := filepath.Join(t.TempDir(), "b.db")
	code, out, errOut := runCmd("backup", "--api", a.base, "--token", a.token, "--out", backup)
	if code != 0 || !strings.Contains(out, "b.db.sha256") {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	a.stop()
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if sidecar, _ := os.ReadFile(backup + ".sha256"); string(sidecar) != hexSum(raw)+"  b.db\n" {
		t.Errorf("b.db.sha256 = %q, want sha256sum's line for b.db", sidecar)
	}
	// Not over an existing digest either.
	other := filepath.Join(t.TempDir(), "c.db")
	os.WriteFile(other+".sha256", []byte("x"), 0o600)
	if code, _, errOut := runCmd("backup", "--data", dir, "--out", other); code == 0 || !strings.Contains(errOut, "c.db.sha256 exists") {
		t.Errorf("backup beside an existing digest: %d %s", code, errOut)
	}

	// One byte of the area of a unit, as stored (a JSON number), changed:
	// bbolt's check passes, the digest does not.
	i := bytes.Index(raw, []byte(`"registered":`))
	if i < 0 {
		t.Fatal("no unit area found in the backup")
	}
	i += len(`"registered":`)
	flipped := bytes.Clone(raw)
	flipped[i] = '0' + ('9'-flipped[i]+1)%10
	damaged := filepath.Join(t.TempDir(), "b.db")
	os.WriteFile(damaged, flipped, 0o600)
	os.WriteFile(damaged+".sha256", []byte(hexSum(raw)+"  b.db\n"), 0o600)
	dst := filepath.Join(t.TempDir(), "restored")
	if code, _, errOut := runCmd("restore", "--from", damaged, "--data", dst, "--keys-from", dir); code == 0 || !strings.Contains(errOut, "has changed since it was backed up") {
		t.Errorf("restore of a damaged backup: %d %s; want it refused", code, errOut)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("the refused restore left %s", dst)
	}
	if code, out, errOut := runCmd("restore", "--from", backup, "--data", dst, "--keys-from", dir); code != 0 {
		t.Errorf("restore of the backup with its digest: %d %s %s", code, out, errOut)
	}

	// Without hard links, the backup's name is taken exclusively, then the
	// file renamed over it.
	link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} }
	t.Cleanup(func() { link = os.Link })
	fat := filepath.Join(t.TempDir(), "fat.db")
	if code, out, errOut := runCmd("backup", "--data", dir, "--out", fat); code != 0 {
		t.Fatalf("backup without hard links: %d %s %s", code, out, errOut)
	}
	if _, err := checkDigest(fat, false); err != nil {
		t.Errorf("the backup written without hard links: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(fat), ".fat.db.partial-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestServeChecksTheKeyFiles: the database records the fingerprints of
// the key files it is served with; a server started with another identity
// secret is refused (no owner would be recognised: their ids derive from
// it), and one started with another signing key logs it as a rotation.
func TestServeChecksTheKeyFiles(t *testing.T) {
	dir := t.TempDir()
	a := serveInProc(t, dir, "--demo")
	a.stop()
	secret := filepath.Join(dir, secretFile)
	orig, err := os.ReadFile(secret)
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Clone(orig)
	other[0] ^= 1
	os.WriteFile(secret, other, 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "is not the identity secret of") || !strings.Contains(errOut.String(), "--accept-identity-secret") {
		t.Errorf("serve with another identity secret: %d %s; want it refused, naming the way out", code, errOut.String())
	}
	// Told it is right (the database was once started with a wrong one):
	// taken, with a warning, and recorded.
	s := serveInProc(t, dir, "--accept-identity-secret")
	s.stop()
	if !strings.Contains(s.stderr.String(), "taken as its own") {
		t.Errorf("serve --accept-identity-secret logged:\n%s", s.stderr.String())
	}
	s = serveInProc(t, dir)
	s.stop()
	os.WriteFile(secret, orig, 0o600)
	s = serveInProc(t, dir, "--accept-identity-secret")
	s.stop()
	receipt := filepath.Join(dir, receiptKeyFile)
	b, _ := os.ReadFile(receipt)
	b[0] ^= 1
	os.WriteFile(receipt, b, 0o600)
	s = serveInProc(t, dir)
	s.stop()
	if !strings.Contains(s.stderr.String(), "a key rotation") || !strings.Contains(s.stderr.String(), "receipt.key (key") {
		t.Errorf("serve with another receipt key logged:\n%s\nwant the rotation named", s.stderr.String())
	}
	// Recorded: the next start says nothing of it.
	s = serveInProc(t, dir)
	s.stop()
	if strings.Contains(s.stderr.String(), "a key rotation") {
		t.Errorf("the rotation was logged again at the next start:\n%s", s.stderr.String())
	}
}

// TestServeRefusesAJournalWithoutItsDatabase: a data directory whose
// database file is missing but whose journal is there is refused, and
// nothing is made: a new, empty database would take the journal's place
// (and a restore into the directory would then be refused as replacing a
// database).
func TestServeRefusesAJournalWithoutItsDatabase(t *testing.T) {
	dir := oldDataDir(t, "schema2-crash")
	if err := os.Rename(filepath.Join(dir, dbFile), filepath.Join(t.TempDir(), dbFile)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "the database is missing") {
		t.Errorf("serve on a journal without its database: %d %s; want it refused", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); !os.IsNotExist(err) {
		t.Errorf("a database was made beside the journal (%v)", err)
	}
}

// TestOneRestoreAtATime: a restore or an undo into a directory another
// holds (its restore lock) is refused before it does anything — two at
// once would undo each other's steps — and a link is undone only when it
// is the file still in place.
func TestOneRestoreAtATime(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockRestore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, args := range [][]string{
		{"restore", "--from", filepath.Join(t.TempDir(), "none.db"), "--data", dir, "--unchecked"},
		{"restore", "--undo", "--data", dir},
	} {
		if code, _, errOut := runCmd(args...); code == 0 || !strings.Contains(errOut, "another restore into") {
			t.Errorf("%v while another holds the lock: %d %s", args, code, errOut)
		}
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("a"), 0o600)
	os.WriteFile(b, []byte("b"), 0o600)
	if err := (step{Link: true, From: a, To: b}).undo(); err == nil || !exists(a) || !exists(b) {
		t.Errorf("undoing a link between two files: %v; want it refused, both kept", err)
	}
}

// TestTokenBeforeTheFirstStart: the first admin token of a new
// installation, made before the server first starts (which makes a data
// directory with its own identity secret), does not bind the database to
// that secret: the server's first start with its identity secret kept
// elsewhere (--identity-secret) is not refused.
func TestTokenBeforeTheFirstStart(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCmd("token", "create", "--data", dir, "--role", "STREET_ADMIN", "--label", "管理员"); code != 0 {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	elsewhere := filepath.Join(t.TempDir(), "identity.secret")
	os.WriteFile(elsewhere, bytes.Repeat([]byte{9}, 32), 0o600)
	s := serveInProc(t, dir, "--identity-secret", elsewhere)
	s.stop()
	// From then on, that one is the database's.
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if code := run(ctx, []string{"serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "is not the identity secret of") {
		t.Errorf("serve with the data directory's stray secret after the first start: %d %s; want it refused", code, errOut.String())
	}
}
