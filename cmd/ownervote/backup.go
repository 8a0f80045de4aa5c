package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ownervote/ownervote/server"
	"github.com/ownervote/ownervote/store"
)

func init() {
	commands["backup"] = command{summary: "copy the database: online from a running server (--api) or offline (--data)", run: runBackup}
	commands["restore"] = command{summary: "put a verified backup in place as a data directory's database", run: runRestore}
}

// keyFiles are the files of a data directory that are not in a database
// backup and must be kept with it: the identity secret (without it owners
// can no longer be matched to their identity numbers) and the server's
// signing keys (receipts, log checkpoints). They never change once created, so one copy, kept
// offline, is enough.
var keyFiles = []string{secretFile, receiptKeyFile, logKeyFile}

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("backup", flag.ContinueOnError)
	fl.SetOutput(stderr)
	api := fl.String("api", "", "base URL of a running server's JSON API, e.g. https://vote.example:7780 (online backup)")
	token := fl.String("token", "", "street-admin token for all communities (default: $OWNERVOTE_TOKEN)")
	dataDir := fl.String("data", "", "data directory of a stopped server (offline backup)")
	out := fl.String("out", "", "file to write the backup to (required; never overwritten)")
	tlsFiles := addClientTLSFlags(fl)
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	case *out == "":
		return fmt.Errorf("%w: --out FILE is required", errUsage)
	case (*api == "") == (*dataDir == ""):
		return fmt.Errorf("%w: give either --api URL (server running) or --data DIR (server stopped)", errUsage)
	}
	for _, p := range []string{*out, digestPath(*out)} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists; choose a new file name", p)
		}
	}
	if fi, err := os.Stat(filepath.Dir(*out)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: --out %s: the directory %s does not exist", errUsage, *out, filepath.Dir(*out))
	}
	if *api != "" && !strings.HasPrefix(*api, "http://") && !strings.HasPrefix(*api, "https://") {
		return fmt.Errorf("%w: --api %s: give the JSON API's URL, e.g. https://vote.example:7780 or http://127.0.0.1:7780", errUsage, *api)
	}
	var write func(io.Writer) (int64, error)
	if *api != "" {
		token, err := tokenOrEnv(*token, "a street-admin token for all communities")
		if err != nil {
			return err
		}
		tlsCfg, err := tlsFiles.config()
		if err != nil {
			return err
		}
		write = func(w io.Writer) (int64, error) {
			return fetchBackup(ctx, httpClient(tlsCfg), strings.TrimRight(*api, "/")+server.BackupPath, token, w)
		}
	} else {
		if err := refuseUnfinishedRestore(*dataDir); err != nil {
			return err
		}
		st, err := store.OpenBolt(filepath.Join(*dataDir, dbFile), store.BoltOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer st.Close()
		write = func(w io.Writer) (int64, error) { return st.Backup(ctx, w) }
	}
	removeStalePartials(*out, "a backup", stderr)
	info, sum, err := writeVerified(*out, write)
	if err != nil {
		return err
	}
	if err := writeDigest(*out, sum); err != nil {
		return fmt.Errorf("backup written: %s, but not its digest: %w", *out, err)
	}
	fmt.Fprintf(stdout, "backup written: %s (%d bytes, schema version %d, bbolt check passed) with its SHA-256 in %s\n", *out, info.Size, info.SchemaVersion, digestPath(*out))
	fmt.Fprintf(stderr, "note: the backup holds the database only; keep a copy of %s from the data directory too (see docs/security.md)\n",
		strings.Join(keyFiles, ", "))
	return nil
}

// fetchBackup streams GET /v1/admin/backup into w.
func fetchBackup(ctx context.Context, c *http.Client, url, token string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return 0, apiError("GET "+url, resp.StatusCode, raw)
	}
	lw := &lastWriteErr{w: w}
	n, err := io.Copy(lw, resp.Body)
	switch {
	case lw.err != nil:
		// Here, not the server's side: a full or failing disk.
		return n, fmt.Errorf("writing the backup here failed after %d bytes: %w", n, lw.err)
	case err != nil:
		return n, fmt.Errorf("backup download broke off after %d bytes: %w", n, err)
	}
	return n, nil
}

// lastWriteErr remembers its writer's error, to tell a failed write here
// from a download that broke off.
type lastWriteErr struct {
	w   io.Writer
	err error
}

func (l *lastWriteErr) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err != nil {
		l.err = err
	}
	return n, err
}

// stalePartial is how long a partial copy (writeVerified's temporary file,
// or an export's temporary directory) must have been left untouched before
// a backup or export to the same path takes it for one that a killed run
// left behind: a run at work touches its copy as the data comes.
const stalePartial = time.Hour

// removeStalePartials removes the partial copies of path that runs killed
// while they wrote it left behind, and says so on w, naming the run ("a
// backup").
func removeStalePartials(path, run string, w io.Writer) {
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return
	}
	prefix := "." + filepath.Base(path) + ".partial-"
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) || !(e.Type().IsRegular() || e.IsDir()) {
			continue
		}
		p := filepath.Join(filepath.Dir(path), e.Name())
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > stalePartial && os.RemoveAll(p) == nil {
			fmt.Fprintf(w, "removed %s: the partial copy of %s that did not finish (untouched since %s)\n", p, run, fi.ModTime().Format(time.RFC3339))
		}
	}
}

// writeVerified writes a database file through a temporary file next to
// path, fsyncs it, verifies it (store.VerifyFile) and only then gives it
// its name. path must not exist. It returns the SHA-256 of what it wrote,
// in hex.
func writeVerified(path string, write func(io.Writer) (int64, error)) (store.FileInfo, string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return store.FileInfo{}, "", err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename this finds nothing
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return store.FileInfo{}, "", err
	}
	h := sha256.New()
	if _, err := write(io.MultiWriter(f, h)); err != nil {
		f.Close()
		return store.FileInfo{}, "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return store.FileInfo{}, "", err
	}
	if err := f.Close(); err != nil {
		return store.FileInfo{}, "", err
	}
	info, err := store.VerifyFile(tmp)
	if err != nil {
		return info, "", fmt.Errorf("the copy does not verify, nothing written: %w", err)
	}
	if err := linkNew(tmp, path); err != nil {
		return info, "", err
	}
	return info, hex.EncodeToString(h.Sum(nil)), store.SyncDir(filepath.Dir(path))
}

// linkNew gives the file at tmp the name path, which must not exist: by a
// hard link, which fails if path appeared meanwhile. Where the file system
// has no hard links (FAT and exFAT, as on USB sticks), path is created empty
// and exclusively first, then tmp renamed over it.
func linkNew(tmp, path string) error {
	err := link(tmp, path)
	if err == nil || !(errors.Is(err, fs.ErrPermission) || errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EMLINK)) {
		return err
	}
	f, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if cerr != nil {
		return cerr
	}
	f.Close()
	if rerr := os.Rename(tmp, path); rerr != nil {
		os.Remove(path)
		return fmt.Errorf("%w (and %w)", err, rerr)
	}
	return nil
}

// link is os.Link; tests put a file system without hard links in its place.
var link = os.Link

// digestPath is where a backup's SHA-256 is kept: beside it, in the format
// of sha256sum (so that `sha256sum -c FILE.sha256` checks it too).
func digestPath(backup string) string { return backup + ".sha256" }

func writeDigest(backup, sum string) error {
	if err := writeNewFile(digestPath(backup), []byte(sum+"  "+filepath.Base(backup)+"\n"), 0o600); err != nil {
		return err
	}
	return store.SyncDir(filepath.Dir(backup))
}

// checkDigest compares a backup with the SHA-256 beside it. A backup
// without one is refused unless unchecked: its bytes may have changed since
// it was taken (a bit flipped on a disk or a stick), which bbolt's own
// check does not see in the data.
func checkDigest(backup string, unchecked bool) (want string, err error) {
	b, err := os.ReadFile(digestPath(backup))
	switch {
	case errors.Is(err, fs.ErrNotExist) && unchecked:
		return "", nil
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("nothing restored: %s has no %s beside it, so its bytes cannot be checked against what was backed up; "+
			"copy the .sha256 file with the backup, or give --unchecked to restore it anyway (a server's own database file has none)", backup, filepath.Base(digestPath(backup)))
	case err != nil:
		return "", err
	}
	want, _, _ = strings.Cut(strings.TrimSpace(string(b)), " ")
	if len(want) != sha256.Size*2 {
		return "", fmt.Errorf("nothing restored: %s does not hold a SHA-256 (64 hex digits, then the file's name)", digestPath(backup))
	}
	f, err := os.Open(backup)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return "", fmt.Errorf("nothing restored: %s has changed since it was backed up: its SHA-256 is %s, %s says %s (a damaged disk, stick or copy; take another backup)",
			backup, got, filepath.Base(digestPath(backup)), want)
	}
	return strings.ToLower(want), nil
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("restore", flag.ContinueOnError)
	fl.SetOutput(stderr)
	from := fl.String("from", "", "backup file to restore (required)")
	dataDir := fl.String("data", "", "data directory to restore into (required); the server must be stopped")
	keysFrom := fl.String("keys-from", "", "directory holding the kept copies of "+strings.Join(keyFiles, ", ")+" (e.g. the old data directory)")
	force := fl.Bool("force", false, "replace an existing database, and key files that differ from --keys-from's (each kept next to it as NAME.replaced-TIME)")
	unchecked := fl.Bool("unchecked", false, "restore a file that has no FILE.sha256 beside it (not written by ownervote backup), its bytes unchecked")
	undo := fl.Bool("undo", false, "only undo an unfinished restore into --data (one that was killed or lost power part way)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	case *undo && *dataDir != "" && *from == "":
		unlock, err := lockRestore(*dataDir)
		if err != nil {
			return err
		}
		defer unlock()
		if _, ok, err := readRestorePlan(*dataDir); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("%s holds no unfinished restore; nothing to undo", *dataDir)
			}
			return err
		}
		return undoRestore(*dataDir, stdout)
	case *undo:
		return fmt.Errorf("%w: restore --undo --data DIR", errUsage)
	case *from == "" || *dataDir == "":
		return fmt.Errorf("%w: restore --from FILE --data DIR [--keys-from DIR] [--force], or restore --undo --data DIR", errUsage)
	}
	// One restore at a time. A restore that was interrupted is undone
	// first: what it left is neither what was there nor what it meant to
	// put.
	locked := false
	if fi, err := os.Stat(*dataDir); err == nil && fi.IsDir() {
		unlock, err := lockRestore(*dataDir)
		if err != nil {
			return err
		}
		defer unlock()
		locked = true
		if err := undoRestore(*dataDir, stdout); err != nil {
			return err
		}
	}
	info, err := store.VerifyFile(*from)
	if err != nil {
		return fmt.Errorf("%s is not a usable backup, nothing restored: %w", *from, err)
	}
	// A server's own database file, left by an unclean stop, has writes in
	// the journal beside it that the file lacks: copied alone, they would
	// be lost.
	if _, err := os.Stat(store.JournalDir(*from)); err == nil {
		const way = "Start a server on its directory once (it applies them), or take a backup of it with `ownervote backup --data DIR`, and restore that"
		st, err := store.OpenBolt(*from, store.BoltOptions{ReadOnly: true})
		if err != nil {
			return fmt.Errorf("nothing restored: %s is a server's database, and the journal beside it, which may hold writes the file lacks, cannot be read here (%v). %s", *from, err, way)
		}
		n := st.Unapplied()
		st.Close()
		if n > 0 {
			return fmt.Errorf("nothing restored: %s is a database a server stopped uncleanly, and its journal %s holds %d writes the file lacks. %s",
				*from, store.JournalDir(*from), n, way)
		}
	}
	sum, err := checkDigest(*from, *unchecked)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(*dataDir); err == nil && !fi.IsDir() {
		return fmt.Errorf("%w: --data %s is a file, not a directory", errUsage, *dataDir)
	}
	if *keysFrom != "" {
		if fi, err := os.Stat(*keysFrom); err != nil || !fi.IsDir() {
			return fmt.Errorf("nothing restored: --keys-from %s is not a directory", *keysFrom)
		}
	}
	keys, final, err := planKeyFiles(*keysFrom, *dataDir, *force)
	if err != nil {
		return err
	}
	if err := keysForBackup(info, final, *force); err != nil {
		return err
	}
	dbPath := filepath.Join(*dataDir, dbFile)
	existing := false
	switch _, err := os.Stat(dbPath); {
	case err == nil:
		existing = true
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if existing {
		if !*force {
			return fmt.Errorf("%s already holds a database; nothing restored (use --force to replace it; the old one is kept aside)", *dataDir)
		}
		// A running server holds the file's lock: never pull the database
		// from under it. The lock taken here is held until the swap is
		// done, so that no server starts on the old file meanwhile.
		st, err := store.OpenBolt(dbPath, store.BoltOptions{ReadOnly: true, LockTimeout: 500 * time.Millisecond})
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("nothing restored: %w", err)
		}
		if err == nil {
			defer st.Close()
		}
	}
	// Everything is checked. The plan goes down first (from now on the
	// directory is refused until the restore ends or is undone); then
	// everything new is written beside its place and checked (the
	// database, the key files); then what was there goes aside and the new
	// files into place, by renames undone in reverse if one fails.
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return err
	}
	if !locked {
		unlock, err := lockRestore(*dataDir)
		if err != nil {
			return err
		}
		defer unlock()
	}
	tmpPath := dbPath + ".restoring"
	plan := restorePlan{From: *from, Started: time.Now().UTC(), Staged: []string{tmpPath}}
	for _, k := range keys {
		plan.Staged = append(plan.Staged, filepath.Join(*dataDir, k.name)+".restoring")
	}
	for _, f := range plan.Staged {
		os.Remove(f) // left by a restore that was killed before its plan
	}
	if err := writeRestorePlan(*dataDir, plan); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			// Staged files and the plan go; what was there is in place.
			undoRestore(*dataDir, io.Discard)
		}
	}()
	src, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer src.Close()
	_, copied, err := writeVerified(tmpPath, func(w io.Writer) (int64, error) { return io.Copy(w, src) })
	if err != nil {
		return err
	}
	if sum != "" && copied != sum {
		return fmt.Errorf("nothing restored: %s changed while it was being restored (its SHA-256 is now %s)", *from, copied)
	}
	// What is replaced is first linked aside (a new name that must not
	// exist), then the new file renamed over it: at every moment the
	// directory holds a database and every key file.
	stamp := time.Now().UTC().Format("20060102T150405Z")
	dbAside := asideName(dbPath, stamp)
	if existing {
		plan.Steps = append(plan.Steps, step{Link: true, From: dbPath, To: dbAside})
	}
	// The journal belongs to the database it was written for: it goes
	// aside with it, where opening the kept database finds it (the
	// restored file's writes are all in the file).
	if _, err := os.Stat(store.JournalDir(dbPath)); err == nil {
		to := store.JournalDir(dbAside)
		if _, err := os.Lstat(to); err == nil {
			to = asideName(store.JournalDir(dbPath), stamp)
		}
		plan.Steps = append(plan.Steps, step{From: store.JournalDir(dbPath), To: to})
	}
	for _, k := range keys {
		target := filepath.Join(*dataDir, k.name)
		stage := target + ".restoring"
		if err := writeNewFile(stage, k.b, 0o600); err != nil {
			return err
		}
		if k.replaces {
			plan.Steps = append(plan.Steps, step{Link: true, From: target, To: asideName(target, stamp)})
		}
		plan.Steps = append(plan.Steps, step{From: stage, To: target})
	}
	plan.Steps = append(plan.Steps, step{From: tmpPath, To: dbPath})
	if err := writeRestorePlan(*dataDir, plan); err != nil {
		return err
	}
	for _, st := range plan.Steps {
		if err := st.do(); err != nil {
			done = true // undone here, once, and said how it went
			if uerr := undoRestore(*dataDir, io.Discard); uerr != nil {
				return fmt.Errorf("nothing restored, but not all of what was there is back in place: %w (%v)", uerr, err)
			}
			return fmt.Errorf("nothing restored (what was there is back in place): %w", err)
		}
		restoreStepHook(st)
	}
	for _, st := range plan.Steps {
		if strings.Contains(filepath.Base(st.To), ".replaced-") {
			fmt.Fprintf(stderr, "the %s that was there is kept as %s\n", filepath.Base(st.From), st.To)
		}
	}
	if err := store.SyncDir(*dataDir); err != nil {
		return err
	}
	done = true
	if err := os.Remove(filepath.Join(*dataDir, restorePlanFile)); err != nil {
		return err
	}
	if err := store.SyncDir(*dataDir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s (%d bytes, schema version %d); start the server with --data %s\n", *from, dbPath, info.Size, info.SchemaVersion, *dataDir)
	return nil
}

// asideName is a name to keep path aside under that nothing has yet:
// PATH.replaced-STAMP, with -2, -3… when restores follow within a second.
func asideName(path, stamp string) string {
	name := path + ".replaced-" + stamp
	for n := 2; ; n++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s.replaced-%s-%d", path, stamp, n)
	}
}

// keysForBackup checks the key files a restore leaves in the data
// directory (final, by name) against those the backup's database was
// served with, as it records them (older databases record none): the
// identity secret must be its own; other signing keys are a rotation,
// done only with force.
func keysForBackup(info store.FileInfo, final map[string][]byte, force bool) error {
	have, err := printsOfFiles(final)
	if err != nil {
		return fmt.Errorf("nothing restored: %w", err)
	}
	raw := info.Meta[string(keyPrintsKey)]
	if raw == nil {
		return nil
	}
	var want keyPrints
	if err := json.Unmarshal(raw, &want); err != nil {
		return fmt.Errorf("nothing restored: the backup's key fingerprints: %w", err)
	}
	identity, signing := have.mismatch(want)
	switch {
	case identity:
		return fmt.Errorf("nothing restored: the %s the directory would have is not the one this backup's database was served with: owner ids derive from it, and no owner would be recognised. "+
			"Give --keys-from the directory that holds the key files kept with this database", secretFile)
	case len(signing) > 0 && !force:
		return fmt.Errorf("nothing restored: other signing keys than this backup's database was served with: %s. "+
			"Give --keys-from the key files kept with this database (a restore is no key rotation: receipts and checkpoints already handed out name the old keys), or --force to rotate them now (docs/security.md)",
			strings.Join(signing, "; "))
	}
	return nil
}

// keyFile is a key file restore writes: its bytes, and whether one that
// differs is there (kept aside first).
type keyFile struct {
	name     string
	b        []byte
	replaces bool
}

// planKeyFiles decides, before anything is written, which key files a
// restore into dst writes from src (--keys-from; "" for none). The data
// directory must end up with every key file: from src where src has it,
// else the one already in dst. One in dst that differs from src's is
// replaced only with force (and kept aside): a database restored with
// another identity secret no longer matches owners to their identity
// numbers.
func planKeyFiles(src, dst string, force bool) ([]keyFile, map[string][]byte, error) {
	var plan []keyFile
	var missing []string
	final := map[string][]byte{} // what dst will hold
	for _, name := range keyFiles {
		target := filepath.Join(dst, name)
		old, err := os.ReadFile(target)
		have := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		var b []byte
		if src != "" {
			b, err = os.ReadFile(filepath.Join(src, name))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, nil, err
			}
		}
		switch {
		case b == nil && have, have && bytes.Equal(old, b):
			final[name] = old // the one there is kept
		case b == nil:
			missing = append(missing, name)
		case have && !force:
			return nil, nil, fmt.Errorf("nothing restored: %s differs from %s (use --force to replace it; the old one is kept aside)", target, filepath.Join(src, name))
		default:
			plan = append(plan, keyFile{name: name, b: b, replaces: have})
			final[name] = b
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("nothing restored: %s lacks %s; give --keys-from DIR with the kept copies "+
			"(without the identity secret, owners can no longer be matched to their identity numbers; without the receipt key, new receipts are signed by a new key)",
			dst, strings.Join(missing, ", "))
	}
	return plan, final, nil
}
