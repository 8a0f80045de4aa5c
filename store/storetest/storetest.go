// Package storetest is the conformance suite that every store.Store
// implementation must pass.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ownervote/ownervote/store"
)

// Opener opens a fresh, empty store for one subtest.
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite against the stores that open returns.
func Run(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("PutGetDelete", func(t *testing.T) {
		st := open(t)
		err := st.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put(store.Units, []byte("k"), []byte("v1")); err != nil {
				return err
			}
			if got := tx.Get(store.Units, []byte("k")); string(got) != "v1" {
				return fmt.Errorf("Get in same tx = %q, want v1", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		st.View(ctx, func(tx store.Tx) error {
			if got := tx.Get(store.Units, []byte("k")); string(got) != "v1" {
				t.Errorf("Get after commit = %q, want v1", got)
			}
			if got := tx.Get(store.Units, []byte("missing")); got != nil {
				t.Errorf("Get(missing) = %q, want nil", got)
			}
			return nil
		})
		if err := st.Update(ctx, func(tx store.Tx) error { return tx.Delete(store.Units, []byte("k")) }); err != nil {
			t.Fatal(err)
		}
		st.View(ctx, func(tx store.Tx) error {
			if got := tx.Get(store.Units, []byte("k")); got != nil {
				t.Errorf("Get after Delete = %q, want nil", got)
			}
			return nil
		})
	})

	t.Run("FailedUpdateWritesNothing", func(t *testing.T) {
		st := open(t)
		boom := errors.New("boom")
		err := st.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put(store.Units, []byte("a"), []byte("1")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want %v", err, boom)
		}
		st.View(ctx, func(tx store.Tx) error {
			if got := tx.Get(store.Units, []byte("a")); got != nil {
				t.Errorf("Get after failed Update = %q, want nil", got)
			}
			return nil
		})
	})

	t.Run("ViewIsReadOnly", func(t *testing.T) {
		st := open(t)
		st.View(ctx, func(tx store.Tx) error {
			if err := tx.Put(store.Units, []byte("a"), []byte("1")); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("Put in View = %v, want ErrReadOnly", err)
			}
			if _, err := tx.NextSequence(store.Units); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("NextSequence in View = %v, want ErrReadOnly", err)
			}
			if tx.Writable() {
				t.Error("Writable() = true in View")
			}
			return nil
		})
	})

	t.Run("UnknownBucket", func(t *testing.T) {
		st := open(t)
		err := st.Update(ctx, func(tx store.Tx) error { return tx.Put("no-such-bucket", []byte("a"), nil) })
		if !errors.Is(err, store.ErrUnknownBucket) {
			t.Errorf("Put(unknown bucket) = %v, want ErrUnknownBucket", err)
		}
	})

	t.Run("ScanPrefixAfterStop", func(t *testing.T) {
		st := open(t)
		keys := [][]byte{store.Key("c1", "a"), store.Key("c1", "b"), store.Key("c1", "c"), store.Key("c10", "a"), store.Key("c2", "a")}
		err := st.Update(ctx, func(tx store.Tx) error {
			for _, k := range keys {
				if err := tx.Put(store.Units, k, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		scan := func(prefix, after []byte, limit int) []string {
			var got []string
			st.View(ctx, func(tx store.Tx) error {
				return tx.Scan(store.Units, prefix, after, func(k, v []byte) (bool, error) {
					if !bytes.Equal(k, v) {
						t.Errorf("Scan value %q for key %q", v, k)
					}
					got = append(got, string(bytes.ReplaceAll(k, []byte{0}, []byte("/"))))
					return len(got) < limit, nil
				})
			})
			return got
		}
		tests := []struct {
			name          string
			prefix, after []byte
			limit         int
			want          string
		}{
			{"prefix excludes c10", store.Prefix("c1"), nil, 10, "c1/a c1/b c1/c"},
			{"after", store.Prefix("c1"), store.Key("c1", "a"), 10, "c1/b c1/c"},
			{"after a missing key", store.Prefix("c1"), store.Key("c1", "aa"), 10, "c1/b c1/c"},
			{"stop", store.Prefix("c1"), nil, 2, "c1/a c1/b"},
			{"all", nil, nil, 10, "c1/a c1/b c1/c c10/a c2/a"},
		}
		for _, tc := range tests {
			got := fmt.Sprint(scan(tc.prefix, tc.after, tc.limit))
			if got != "["+tc.want+"]" {
				t.Errorf("%s: Scan = %s, want [%s]", tc.name, got, tc.want)
			}
		}
		boom := errors.New("boom")
		err = st.View(ctx, func(tx store.Tx) error {
			return tx.Scan(store.Units, nil, nil, func(k, v []byte) (bool, error) { return true, boom })
		})
		if !errors.Is(err, boom) {
			t.Errorf("Scan with failing callback = %v, want %v", err, boom)
		}
	})

	t.Run("NextSequence", func(t *testing.T) {
		st := open(t)
		for want := uint64(1); want <= 3; want++ {
			var got uint64
			err := st.Update(ctx, func(tx store.Tx) (err error) {
				got, err = tx.NextSequence(store.AccessLog)
				return err
			})
			if err != nil || got != want {
				t.Errorf("NextSequence = %d, %v; want %d", got, err, want)
			}
		}
	})

	t.Run("ConcurrentUpdatesAllLand", func(t *testing.T) {
		st := open(t)
		var wg sync.WaitGroup
		for i := range 32 {
			wg.Go(func() {
				err := st.Update(ctx, func(tx store.Tx) error {
					n, err := tx.NextSequence(store.AccessLog)
					if err != nil {
						return err
					}
					return tx.Put(store.AccessLog, store.Seq(n), []byte{byte(i)})
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		n := 0
		st.View(ctx, func(tx store.Tx) error {
			return tx.Scan(store.AccessLog, nil, nil, func(k, v []byte) (bool, error) { n++; return true, nil })
		})
		if n != 32 {
			t.Errorf("%d records after 32 concurrent updates, want 32", n)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		st := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		called := false
		err := st.Update(cctx, func(tx store.Tx) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Errorf("Update(cancelled) = %v, called %v; want context.Canceled, not called", err, called)
		}
	})
}
