package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%s exists; choose a new file name", *out)
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
		st, err := store.OpenBolt(filepath.Join(*dataDir, dbFile), store.BoltOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer st.Close()
		write = func(w io.Writer) (int64, error) { return st.Backup(ctx, w) }
	}
	info, err := writeVerified(*out, write)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written: %s (%d bytes, schema version %d, bbolt check passed)\n", *out, info.Size, info.SchemaVersion)
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
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("backup download broke off after %d bytes: %w", n, err)
	}
	return n, nil
}

// writeVerified writes a database file through a temporary file next to
// path, fsyncs it, verifies it (store.VerifyFile) and only then gives it
// its name. path must not exist.
func writeVerified(path string, write func(io.Writer) (int64, error)) (store.FileInfo, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return store.FileInfo{}, err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename this finds nothing
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return store.FileInfo{}, err
	}
	if _, err := write(f); err != nil {
		f.Close()
		return store.FileInfo{}, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return store.FileInfo{}, err
	}
	if err := f.Close(); err != nil {
		return store.FileInfo{}, err
	}
	info, err := store.VerifyFile(tmp)
	if err != nil {
		return info, fmt.Errorf("the copy does not verify, nothing written: %w", err)
	}
	// Link rather than rename: fails if path appeared meanwhile.
	if err := os.Link(tmp, path); err != nil {
		return info, err
	}
	return info, store.SyncDir(filepath.Dir(path))
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("restore", flag.ContinueOnError)
	fl.SetOutput(stderr)
	from := fl.String("from", "", "backup file to restore (required)")
	dataDir := fl.String("data", "", "data directory to restore into (required); the server must be stopped")
	keysFrom := fl.String("keys-from", "", "directory holding the kept copies of "+strings.Join(keyFiles, ", ")+" (e.g. the old data directory)")
	force := fl.Bool("force", false, "replace an existing database, and key files that differ from --keys-from's (each kept next to it as NAME.replaced-TIME)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	case *from == "" || *dataDir == "":
		return fmt.Errorf("%w: restore --from FILE --data DIR [--keys-from DIR] [--force]", errUsage)
	}
	info, err := store.VerifyFile(*from)
	if err != nil {
		return fmt.Errorf("%s is not a usable backup, nothing restored: %w", *from, err)
	}
	if fi, err := os.Stat(*dataDir); err == nil && !fi.IsDir() {
		return fmt.Errorf("%w: --data %s is a file, not a directory", errUsage, *dataDir)
	}
	if *keysFrom != "" {
		if fi, err := os.Stat(*keysFrom); err != nil || !fi.IsDir() {
			return fmt.Errorf("nothing restored: --keys-from %s is not a directory", *keysFrom)
		}
	}
	keys, err := planKeyFiles(*keysFrom, *dataDir, *force)
	if err != nil {
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
		// from under it.
		st, err := store.OpenBolt(dbPath, store.BoltOptions{ReadOnly: true, LockTimeout: 500 * time.Millisecond})
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("nothing restored: %w", err)
		}
		if err == nil {
			st.Close()
		}
	}
	// Everything is checked. Now everything new is written beside its
	// place and checked (the database, the key files); then what was there
	// goes aside and the new files into place, by renames undone in reverse
	// if one fails.
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return err
	}
	src, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer src.Close()
	tmpPath := dbPath + ".restoring"
	os.Remove(tmpPath)
	staged := []string{tmpPath}
	defer func() {
		for _, p := range staged {
			os.Remove(p) // gone after the renames
		}
	}()
	if _, err := writeVerified(tmpPath, func(w io.Writer) (int64, error) { return io.Copy(w, src) }); err != nil {
		return err
	}
	// What is replaced is first linked aside (a new name that must not
	// exist), then the new file renamed over it: at every moment the
	// directory holds a database and every key file.
	stamp := time.Now().UTC().Format("20060102T150405Z")
	var steps []step
	dbAside := asideName(dbPath, stamp)
	if existing {
		steps = append(steps, step{link: true, from: dbPath, to: dbAside})
	}
	// The journal belongs to the database it was written for: it goes
	// aside with it, where opening the kept database finds it (the
	// restored file's writes are all in the file).
	if _, err := os.Stat(store.JournalDir(dbPath)); err == nil {
		to := store.JournalDir(dbAside)
		if _, err := os.Lstat(to); err == nil {
			to = asideName(store.JournalDir(dbPath), stamp)
		}
		steps = append(steps, step{from: store.JournalDir(dbPath), to: to})
	}
	for _, k := range keys {
		target := filepath.Join(*dataDir, k.name)
		stage := target + ".restoring"
		os.Remove(stage) // left by a restore that was killed
		if err := writeNewFile(stage, k.b, 0o600); err != nil {
			return err
		}
		staged = append(staged, stage)
		if k.replaces {
			steps = append(steps, step{link: true, from: target, to: asideName(target, stamp)})
		}
		steps = append(steps, step{from: stage, to: target})
	}
	steps = append(steps, step{from: tmpPath, to: dbPath})
	for n, st := range steps {
		if err := st.do(); err != nil {
			var stuck []string
			for j := n - 1; j >= 0; j-- {
				if uerr := steps[j].undo(); uerr != nil {
					stuck = append(stuck, uerr.Error())
				}
			}
			if len(stuck) > 0 {
				return fmt.Errorf("nothing restored, but not all of what was there is back in place (%s): %w", strings.Join(stuck, "; "), err)
			}
			return fmt.Errorf("nothing restored (what was there is back in place): %w", err)
		}
	}
	for _, st := range steps {
		if strings.Contains(filepath.Base(st.to), ".replaced-") {
			fmt.Fprintf(stderr, "the %s that was there is kept as %s\n", filepath.Base(st.from), st.to)
		}
	}
	if err := store.SyncDir(*dataDir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s (%d bytes, schema version %d); start the server with --data %s\n", *from, dbPath, info.Size, info.SchemaVersion, *dataDir)
	return nil
}

// step is one change of restore's swap: a file linked to a new name (what
// is kept aside), or renamed (over what was there, or aside).
type step struct {
	link     bool
	from, to string
}

func (s step) do() error {
	if s.link {
		return os.Link(s.from, s.to)
	}
	return os.Rename(s.from, s.to)
}

// undo reverses do: the link goes away, the rename goes back. (The new
// file renamed over one kept aside by link goes back to its staging name;
// the link's undo, which runs after, then puts the old one back.)
func (s step) undo() error {
	if s.link {
		if _, err := os.Stat(s.from); errors.Is(err, fs.ErrNotExist) {
			return os.Rename(s.to, s.from)
		}
		return os.Remove(s.to)
	}
	return os.Rename(s.to, s.from)
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
func planKeyFiles(src, dst string, force bool) ([]keyFile, error) {
	var plan []keyFile
	var missing []string
	for _, name := range keyFiles {
		target := filepath.Join(dst, name)
		old, err := os.ReadFile(target)
		have := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		var b []byte
		if src != "" {
			b, err = os.ReadFile(filepath.Join(src, name))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		switch {
		case b == nil && have, have && bytes.Equal(old, b):
			// The one there is kept.
		case b == nil:
			missing = append(missing, name)
		case have && !force:
			return nil, fmt.Errorf("nothing restored: %s differs from %s (use --force to replace it; the old one is kept aside)", target, filepath.Join(src, name))
		default:
			plan = append(plan, keyFile{name: name, b: b, replaces: have})
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("nothing restored: %s lacks %s; give --keys-from DIR with the kept copies "+
			"(without the identity secret, owners can no longer be matched to their identity numbers; without the receipt key, new receipts are signed by a new key)",
			dst, strings.Join(missing, ", "))
	}
	return plan, nil
}
