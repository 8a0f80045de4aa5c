//go:build linux && (amd64 || arm64)

package store

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestAIOSyncer(t *testing.T) {
	a, err := newAIOSyncer()
	if errors.Is(err, syscall.ENOSYS) {
		t.Skip("this kernel has no AIO")
	}
	if err != nil {
		t.Fatal(err)
	}
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

// The store's journal syncs through AIO where the kernel has it.
func TestJournalUsesAIO(t *testing.T) {
	if _, err := newAIOSyncer(); errors.Is(err, syscall.ENOSYS) {
		t.Skip("this kernel has no AIO")
	}
	b, err := OpenBolt(filepath.Join(t.TempDir(), "db"), BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.journal.aio == nil {
		t.Fatal("the journal fdatasyncs by blocking calls, not through AIO")
	}
}
