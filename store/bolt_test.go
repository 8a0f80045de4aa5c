package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/store/storetest"
)

func openTemp(t *testing.T) *store.Bolt {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "test.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestBoltConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestBoltReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := store.OpenBolt(path, store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(store.Communities, []byte("c"), []byte("kept")) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.OpenBolt(path, store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.View(ctx, func(tx store.Tx) error {
		if got := tx.Get(store.Communities, []byte("c")); string(got) != "kept" {
			t.Errorf("after reopen Get = %q, want kept", got)
		}
		return nil
	})
	if err := st.Check(); err != nil {
		t.Errorf("Check() = %v", err)
	}
}

// fileOfSchema makes a closed database file that says it is of schema
// version v.
func fileOfSchema(t *testing.T, v uint64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := store.OpenBolt(path, store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(store.Meta)).Put([]byte("schema_version"), store.Seq(v))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBoltRefusesNewerSchema(t *testing.T) {
	path := fileOfSchema(t, store.SchemaVersion+1)
	_, err := store.OpenBolt(path, store.BoltOptions{})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("OpenBolt(newer schema) = %v, want ErrSchemaTooNew", err)
	}
	_, err = store.OpenBolt(path, store.BoltOptions{ReadOnly: true})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("OpenBolt(newer schema, read-only) = %v, want ErrSchemaTooNew", err)
	}
}

func TestBoltLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	st, err := store.OpenBolt(path, store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = store.OpenBolt(path, store.BoltOptions{LockTimeout: 50e6})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second OpenBolt = %v, want ErrLocked", err)
	}
}

// A file of every older schema version opens and is brought to the
// current one.
func TestBoltUpgradesOlderSchemas(t *testing.T) {
	for v := uint64(1); v < store.SchemaVersion; v++ {
		st, err := store.OpenBolt(fileOfSchema(t, v), store.BoltOptions{})
		if err != nil {
			t.Fatalf("OpenBolt(schema %d) = %v", v, err)
		}
		var got uint64
		err = st.View(context.Background(), func(tx store.Tx) error {
			got = binary.BigEndian.Uint64(tx.Get(store.Meta, []byte("schema_version")))
			return nil
		})
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("schema %d: %v", v, err)
		}
		if got != store.SchemaVersion {
			t.Errorf("schema %d opened as %d, want %d", v, got, store.SchemaVersion)
		}
	}
}
