package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// BoltOptions configure OpenBolt.
type BoltOptions struct {
	// LockTimeout is how long to wait for another process to release the
	// file; zero means one second.
	LockTimeout time.Duration
	// ReadOnly opens the file without write access.
	ReadOnly bool
}

// Bolt is the bbolt implementation of Store.
type Bolt struct {
	db *bolt.DB
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens or creates the database file at path and brings it to the
// current schema.
func OpenBolt(path string, opts BoltOptions) (*Bolt, error) {
	timeout := opts.LockTimeout
	if timeout == 0 {
		timeout = time.Second
	}
	// The freelist is not written at every commit but rebuilt when the file
	// is opened (as etcd does): a commit then writes only the pages it
	// changed, and the hash-map freelist keeps allocation cheap in a large
	// file.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s (is an ownervote server running on it?)", ErrLocked, path)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	b := &Bolt{db: db}
	if opts.ReadOnly {
		err = db.View(func(btx *bolt.Tx) error { return checkVersion(&boltTx{tx: btx}) })
	} else {
		err = db.Update(func(btx *bolt.Tx) error {
			for _, name := range buckets {
				if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
					return err
				}
			}
			return migrate(&boltTx{tx: btx})
		})
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return b, nil
}

func checkVersion(tx Tx) error {
	v, err := readVersion(tx)
	if err != nil {
		return err
	}
	if v != SchemaVersion {
		return fmt.Errorf("store: file has schema version %d, not %d; open it read-write once to migrate", v, SchemaVersion)
	}
	return nil
}

// View implements Store.
func (b *Bolt) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.View(func(btx *bolt.Tx) error { return fn(&boltTx{tx: btx}) })
}

// Update implements Store. bbolt fsyncs the file before Commit returns.
func (b *Bolt) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Update(func(btx *bolt.Tx) error { return fn(&boltTx{tx: btx}) })
}

// PagesWritten is the number of pages the file's write transactions have
// written since it was opened (a measure of write amplification).
func (b *Bolt) PagesWritten() int64 {
	st := b.db.Stats()
	return st.TxStats.GetWrite()
}

// Close implements Store.
func (b *Bolt) Close() error { return b.db.Close() }

// Path returns the database file's path.
func (b *Bolt) Path() string { return b.db.Path() }

// Check runs bbolt's own consistency check and returns every problem found.
func (b *Bolt) Check() error {
	var errs []error
	err := b.db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

type boltTx struct {
	tx *bolt.Tx
}

func (t *boltTx) bucket(b Bucket) (*bolt.Bucket, error) {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownBucket, b)
	}
	return bk, nil
}

func (t *boltTx) Get(b Bucket, key []byte) []byte {
	bk, err := t.bucket(b)
	if err != nil {
		return nil
	}
	return bk.Get(key)
}

func (t *boltTx) Put(b Bucket, key, value []byte) error {
	if !t.tx.Writable() {
		return ErrReadOnly
	}
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	return bk.Put(key, value)
}

func (t *boltTx) Delete(b Bucket, key []byte) error {
	if !t.tx.Writable() {
		return ErrReadOnly
	}
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	return bk.Delete(key)
}

func (t *boltTx) Scan(b Bucket, prefix, after []byte, fn func(k, v []byte) (bool, error)) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	c := bk.Cursor()
	var k, v []byte
	if after != nil {
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func (t *boltTx) NextSequence(b Bucket) (uint64, error) {
	if !t.tx.Writable() {
		return 0, ErrReadOnly
	}
	bk, err := t.bucket(b)
	if err != nil {
		return 0, err
	}
	return bk.NextSequence()
}

func (t *boltTx) Writable() bool { return t.tx.Writable() }
