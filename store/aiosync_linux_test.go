//go:build linux && (amd64 || arm64)

package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestAIOSyncer(t *testing.T) {
	a, err := newAIOSyncer(nil)
	skipWithoutAIO(t, err)
	defer a.close()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := f.WriteAt(make([]byte, 8192), int64(i)*8192); err != nil {
			t.Fatal(err)
		}
		if used, err := a.fdatasync(f); !used || err != nil {
			t.Fatalf("fdatasync %d: used %v, err %v; want AIO used, no error", i, used, err)
		}
	}
	// A closed file is an error, as fdatasync(2) would report, and the
	// syncer stays usable.
	g, err := os.Create(filepath.Join(t.TempDir(), "g"))
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	if used, err := a.fdatasync(g); !used || err == nil {
		t.Fatalf("fdatasync of a closed file: used %v, err %v; want an error", used, err)
	}
	if used, err := a.fdatasync(f); !used || err != nil {
		t.Fatalf("fdatasync after an error: used %v, err %v", used, err)
	}
	f.Close()
}

// skipWithoutAIO skips where the system offers no AIO context (a kernel
// without it, a sandbox that forbids it, the system's limit reached) and
// fails on any other error, which would be the syncer's own.
func skipWithoutAIO(t *testing.T, err error) {
	t.Helper()
	switch {
	case errors.Is(err, syscall.ENOSYS), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EAGAIN):
		t.Skipf("no AIO here: %v", err)
	case err != nil:
		t.Fatal(err)
	}
}

// Closing a syncer frees its context, even one that gave up on AIO.
func TestAIOSyncerCloseFreesItsContext(t *testing.T) {
	// Each context maps its ring into the process as "/[aio]"; each
	// eventfd is an open file.
	nr := func() (contexts, files int) { return mappedAndOpen(t, "/[aio]") }
	a, err := newAIOSyncer(nil)
	skipWithoutAIO(t, err)
	a.close()
	contexts, files := nr()
	for range 20 {
		a, err := newAIOSyncer(nil)
		skipWithoutAIO(t, err)
		a.dead = true
		a.close()
	}
	if c, f := nr(); c != contexts || f != files {
		t.Fatalf("%d AIO contexts mapped and %d files open before, %d and %d after 20 syncers opened and closed", contexts, files, c, f)
	}
}

// A file AIO cannot fdatasync (/dev/null has no fsync): the syncer says
// why once and leaves the fdatasync to the caller from then on.
func TestAIOSyncerGivesUp(t *testing.T) {
	a, err := newAIOSyncer(nil)
	skipWithoutAIO(t, err)
	defer a.close()
	var told []error
	a.gaveUp = func(err error) { told = append(told, err) }
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range 2 {
		if used, err := a.fdatasync(f); used || err != nil {
			t.Fatalf("fdatasync(%s) = used %v, %v; want not used", os.DevNull, used, err)
		}
	}
	if len(told) != 1 {
		t.Fatalf("told %d times (%v), want once", len(told), told)
	}
}

// mappedAndOpen counts the process's mappings whose line names name, and
// its open files.
func mappedAndOpen(t *testing.T, name string) (mappings, files int) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc/self/maps")
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return strings.Count(string(b), name), len(fds)
}
