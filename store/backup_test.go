package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ownervote/ownervote/store"
)

// TestBackupWhileWriting: a backup taken while writers go on is a
// consistent snapshot that opens as a database: every key of one
// transaction or none.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	put := func(i int) error {
		// Two keys per transaction: a snapshot holds both or neither.
		return st.Update(ctx, func(tx store.Tx) error {
			k := []byte(fmt.Sprintf("k%05d", i))
			if err := tx.Put(store.Communities, k, bytes.Repeat([]byte{'v'}, 200)); err != nil {
				return err
			}
			return tx.Put(store.Units, k, []byte("pair"))
		})
	}
	err := st.Update(ctx, func(tx store.Tx) error {
		for i := range 500 {
			k := []byte(fmt.Sprintf("k%05d", i))
			if err := tx.Put(store.Communities, k, bytes.Repeat([]byte{'v'}, 200)); err != nil {
				return err
			}
			if err := tx.Put(store.Units, k, []byte("pair")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 500 + w; i < 2500; i += 16 {
				if err := put(i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.Backup(ctx, f)
	f.Close()
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	info, err := store.VerifyFile(path)
	if err != nil || info.SchemaVersion != store.SchemaVersion || info.Size != n {
		t.Fatalf("VerifyFile(backup) = %+v, %v; want schema %d, %d bytes", info, err, store.SchemaVersion, n)
	}
	copied, err := store.OpenBolt(path, store.BoltOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	var a, b int
	copied.View(ctx, func(tx store.Tx) error {
		tx.Scan(store.Communities, nil, nil, func(k, _ []byte) (bool, error) {
			a++
			if tx.Get(store.Units, k) == nil {
				t.Errorf("backup holds %s of one transaction without its pair", k)
			}
			return true, nil
		})
		tx.Scan(store.Units, nil, nil, func(_, _ []byte) (bool, error) { b++; return true, nil })
		return nil
	})
	if a != b || a < 500 {
		t.Errorf("backup holds %d and %d keys; want equal counts, at least the 500 written before", a, b)
	}
}

func TestBackupStopsWithItsContext(t *testing.T) {
	st := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if _, err := st.Backup(ctx, &buf); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup(cancelled) = %v, want context.Canceled", err)
	}
}

func TestVerifyFileRefusesWhatIsNotADatabase(t *testing.T) {
	dir := t.TempDir()
	st := openTemp(t)
	var good bytes.Buffer
	if _, err := st.Backup(context.Background(), &good); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newer := fileOfSchema(t, store.SchemaVersion+1)
	plain := filepath.Join(dir, "plain-bbolt.db")
	db, err := bolt.Open(plain, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		name string
		path string
		want error
	}{
		{"truncated copy", write("truncated.db", good.Bytes()[:good.Len()-4096]), store.ErrNotDatabase},
		{"random bytes", write("random.db", bytes.Repeat([]byte("ownervote"), 2000)), store.ErrNotDatabase},
		{"empty file", write("empty.db", nil), store.ErrNotDatabase},
		{"bbolt file of another program", plain, store.ErrNotDatabase},
		{"newer schema", newer, store.ErrSchemaTooNew},
		{"directory", dir, store.ErrNotDatabase},
	}
	for _, tc := range tests {
		if _, err := store.VerifyFile(tc.path); !errors.Is(err, tc.want) {
			t.Errorf("VerifyFile(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := store.VerifyFile(write("good.db", good.Bytes())); err != nil {
		t.Errorf("VerifyFile(good copy) = %v", err)
	}
}

// stallWriter is a backup's client that stops reading: its first Write
// says so and waits until released.
type stallWriter struct {
	started, release chan struct{}
	once             sync.Once
}

func (w *stallWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	<-w.release
	return len(p), nil
}

// TestBackupToAStalledClientStopsNoWriter: while a backup's client stops
// reading, writes go on, the journal is applied to a database file that
// has to grow, and reads go on; the copy, once read, is whole.
func TestBackupToAStalledClientStopsNoWriter(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	sw := &stallWriter{started: make(chan struct{}), release: make(chan struct{})}
	var release sync.Once
	// (Before the store closes, which waits for the backup, if the test fails.)
	t.Cleanup(func() { release.Do(func() { close(sw.release) }) })
	done := make(chan error, 1)
	go func() {
		_, err := st.Backup(ctx, sw)
		done <- err
	}()
	<-sw.started
	within := func(what string, f func() error) {
		t.Helper()
		errc := make(chan error, 1)
		go func() { errc <- f() }()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s is held up by the stalled backup", what)
		}
	}
	big := bytes.Repeat([]byte{'v'}, 1<<20)
	within("64 MiB of writes", func() error {
		for i := range 64 {
			if err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(store.Units, fmt.Appendf(nil, "big%03d", i), big) }); err != nil {
				return err
			}
		}
		return nil
	})
	within("applying the journal (the file grows)", st.Flush)
	within("a read", func() error { return st.View(ctx, func(store.Tx) error { return nil }) })
	release.Do(func() { close(sw.release) })
	if err := <-done; err != nil {
		t.Errorf("the backup, once read: %v", err)
	}
}
