//go:build linux && (amd64 || arm64)

package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestURingSyncer(t *testing.T) {
	u, err := newURingSyncer(nil)
	skipWithoutURing(t, err)
	defer u.close()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// More requests than the ring has entries: each is reaped in turn.
	for i := range 3 * uringSyncerEntries {
		if _, err := f.WriteAt(make([]byte, 8192), int64(i)*8192); err != nil {
			t.Fatal(err)
		}
		if used, err := u.fdatasync(f); !used || err != nil {
			t.Fatalf("fdatasync %d: used %v, err %v; want the ring used, no error", i, used, err)
		}
	}
	if u.done != 3*uringSyncerEntries {
		t.Fatalf("%d fdatasyncs completed through the ring, want %d", u.done, 3*uringSyncerEntries)
	}
	// A closed file is an error, as fdatasync(2) would report, and the
	// syncer stays usable.
	g, err := os.Create(filepath.Join(t.TempDir(), "g"))
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	if used, err := u.fdatasync(g); !used || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("fdatasync of a closed file: used %v, err %v; want EBADF", used, err)
	}
	if used, err := u.fdatasync(f); !used || err != nil {
		t.Fatalf("fdatasync after an error: used %v, err %v", used, err)
	}
}

// A file without fdatasync (/dev/null) gets fdatasync(2)'s answer: the
// request's result is the fdatasync's own. A request io_uring_enter does
// not take did nothing: the syncer says why once, and leaves the
// fdatasync to the caller from then on.
func TestURingSyncerGivesUp(t *testing.T) {
	u, err := newURingSyncer(nil)
	skipWithoutURing(t, err)
	defer u.close()
	var told []error
	u.gaveUp = func(err error) { told = append(told, err) }
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if used, err := u.fdatasync(f); !used || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("fdatasync(%s) = used %v, %v; want used, EINVAL", os.DevNull, used, err)
	}
	ring := u.fd
	u.fd = -1 // a ring io_uring_enter refuses (EBADF)
	for range 2 {
		if used, err := u.fdatasync(f); used || err != nil {
			t.Fatalf("fdatasync through a refused ring = used %v, %v; want not used", used, err)
		}
	}
	u.fd = ring
	if len(told) != 1 || !errors.Is(told[0], syscall.EBADF) {
		t.Fatalf("told %v, want EBADF once", told)
	}
}

// Closing a syncer unmaps its rings and closes its files, in whatever
// state it is.
func TestURingSyncerCloseFreesItsRing(t *testing.T) {
	nr := func() (rings, files int) { return mappedAndOpen(t, "[io_uring]") }
	u, err := newURingSyncer(nil)
	skipWithoutURing(t, err)
	u.close()
	rings, files := nr()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files++
	for i := range 20 {
		u, err := newURingSyncer(nil)
		skipWithoutURing(t, err)
		if r, _ := nr(); r <= rings {
			t.Fatalf("an open syncer's rings are not among the mappings (%d, as before)", r)
		}
		if i%2 == 0 {
			if used, err := u.fdatasync(f); !used || err != nil {
				t.Fatalf("fdatasync: used %v, err %v", used, err)
			}
		} else {
			u.dead = true
		}
		u.close()
	}
	if r, fs := nr(); r != rings || fs != files {
		t.Fatalf("%d rings mapped and %d files open before, %d and %d after 20 syncers opened and closed", rings, files, r, fs)
	}
}

// skipWithoutURing skips where the system offers no io_uring (a kernel
// without it, io_uring disabled by sysctl or a seccomp profile, the
// locked-memory limit of an old kernel) and fails on any other error.
func skipWithoutURing(t *testing.T, err error) {
	t.Helper()
	switch {
	case errors.Is(err, syscall.ENOSYS), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOMEM), errors.Is(err, errors.ErrUnsupported):
		t.Skipf("no io_uring here: %v", err)
	case err != nil:
		t.Fatal(err)
	}
}

// The journal fdatasyncs through io_uring where the system has it, through
// AIO where it has only that, and by blocking calls where it has neither;
// the log says which, and every acknowledged write is durable either way.
func TestJournalSyncers(t *testing.T) {
	refuse := func(e syscall.Errno) func(func(error)) (*uringSyncer, error) {
		return func(func(error)) (*uringSyncer, error) { return nil, fmt.Errorf("io_uring_setup: %w", e) }
	}
	refuseAIO := func(func(error)) (*aioSyncer, error) { return nil, syscall.EPERM }
	hasURing := func(t *testing.T) {
		u, err := newURingSyncer(nil)
		skipWithoutURing(t, err)
		u.close()
	}
	hasAIO := func(t *testing.T) {
		a, err := newAIOSyncer(nil)
		skipWithoutAIO(t, err)
		a.close()
	}
	for _, c := range []struct {
		name    string
		uring   func(func(error)) (*uringSyncer, error)
		aio     func(func(error)) (*aioSyncer, error)
		has     func(*testing.T) // skips where the system lacks the syncer
		want    string           // the syncer's type
		wantLog string
	}{
		{"io_uring", newURingSyncer, newAIOSyncer, hasURing, "*store.uringSyncer", ""},
		{"AIO", refuse(syscall.EPERM), newAIOSyncer, hasAIO, "*store.aioSyncer", "fdatasync through Linux AIO: io_uring_setup: operation not permitted"},
		{"blocking", refuse(syscall.ENOSYS), refuseAIO, func(*testing.T) {}, "<nil>", "blocking fdatasync: io_uring_setup: function not implemented"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.has(t)
			defer func(u func(func(error)) (*uringSyncer, error), a func(func(error)) (*aioSyncer, error)) {
				newURing, newAIO = u, a
			}(newURing, newAIO)
			newURing, newAIO = c.uring, c.aio
			var log bytes.Buffer
			path := filepath.Join(t.TempDir(), "db")
			b, err := OpenBolt(path, BoltOptions{Logger: slog.New(slog.NewTextHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", b.journal.syncer); got != c.want {
				t.Errorf("the journal's syncer is %s, want %s", got, c.want)
			}
			if c.wantLog == "" && log.Len() > 0 || !strings.Contains(log.String(), c.wantLog) {
				t.Errorf("logged %q, want %q", log.String(), c.wantLog)
			}
			for i := range 5 {
				put(t, b, Owners, fmt.Sprint("k", i), "v")
			}
			switch s := b.journal.syncer.(type) {
			case *uringSyncer:
				s.mu.Lock()
				if s.done < 5 {
					t.Errorf("%d of 5 acknowledged writes were fdatasynced through io_uring", s.done)
				}
				s.mu.Unlock()
			case *aioSyncer:
				s.mu.Lock()
				if s.done < 5 {
					t.Errorf("%d of 5 acknowledged writes were fdatasynced through AIO", s.done)
				}
				s.mu.Unlock()
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			b, err = OpenBolt(path, BoltOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if err := b.View(t.Context(), func(tx Tx) error {
				for i := range 5 {
					if v := tx.Get(Owners, []byte(fmt.Sprint("k", i))); string(v) != "v" {
						return fmt.Errorf("k%d = %q after reopening, want v", i, v)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
