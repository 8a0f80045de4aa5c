package store

import (
	"context"
	"errors"
)

// Bucket names a keyspace. The set of buckets is fixed by the schema.
type Bucket string

// Store is ownervote's durable state.
type Store interface {
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction. If fn returns an error
	// nothing it wrote is kept. When Update returns nil the writes are
	// committed and on stable storage.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the store; pending transactions finish first.
	Close() error
}

// Tx is one transaction, for one goroutine at a time. Byte slices returned
// by Get and passed to Scan callbacks are valid only until the transaction
// ends; copy them to keep them. Slices passed to Put must not be changed
// until it ends.
type Tx interface {
	// Get returns the value for key, or nil if there is none.
	Get(b Bucket, key []byte) []byte
	// Put stores value under key.
	Put(b Bucket, key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(b Bucket, key []byte) error
	// Scan calls fn for each key with the given prefix that sorts after
	// after (all keys with the prefix if after is nil), in key order, until
	// fn returns false or an error.
	Scan(b Bucket, prefix, after []byte, fn func(k, v []byte) (more bool, err error)) error
	// NextSequence returns the bucket's next sequence number, starting at 1.
	NextSequence(b Bucket) (uint64, error)
	// Writable reports whether the transaction may write.
	Writable() bool
}

var (
	// ErrSchemaTooNew means the file was written by a newer ownervote.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this program")
	// ErrLocked means another process holds the database file.
	ErrLocked = errors.New("store: database file is in use by another process")
	// ErrReadOnly is returned by writes in a View transaction.
	ErrReadOnly = errors.New("store: write in a read-only transaction")
	// ErrUnknownBucket is returned for a bucket the schema does not define.
	ErrUnknownBucket = errors.New("store: unknown bucket")
	// ErrWriteFailed means the disk failed an fdatasync, or a write that
	// could not be undone, or applying the journal to the database other
	// than for being full: the write was not acknowledged, and the store
	// takes no more (what the kernel still holds cannot be trusted) until
	// it is opened again. What was acknowledged before is kept.
	ErrWriteFailed = errors.New("store: the disk failed a write; nothing more is taken until the server restarts")
	// ErrUnavailable means the disk refused a write for now (it is full,
	// say): nothing of it was written, and a later one may succeed.
	ErrUnavailable = errors.New("store: the disk refused a write; nothing was written")
)
