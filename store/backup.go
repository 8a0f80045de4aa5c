package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	// ErrNotDatabase means a file is not an ownervote database (not a bbolt
	// file, truncated, or without a schema version).
	ErrNotDatabase = errors.New("store: not an ownervote database")
	// ErrCorrupt means bbolt's consistency check found problems.
	ErrCorrupt = errors.New("store: database fails the consistency check")
)

// Backup writes a consistent copy of the whole database to w: the file as
// of one read transaction, taken while writers go on (bbolt Tx.WriteTo),
// once the journal is applied up to that moment. The copy is a database
// file that OpenBolt and VerifyFile accept. Backup stops with ctx's error
// when ctx ends, e.g. when an HTTP client goes away. It returns the number
// of bytes written.
//
// The read transaction ends before w is written: the copy goes first to a
// file without a name beside the database (as fast as the disk), and is
// sent from there. Held while a slow or stalled client reads, it would
// stop the journal's applier as soon as the database file had to grow
// (bbolt remaps it only when no read transaction is open), and every
// transaction after it.
//
// The copy takes the database's size on its disk while the client reads:
// it is made only with room for it and for the journal to go on (twice its
// segments, and a tenth more), and one at a time. Otherwise, where the
// copy cannot be made (on a file system that cannot remove an open file,
// say), and on a store opened read-only, which has no writers to stop, the
// copy is sent as it is read.
func (b *Bolt) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !b.readOnly && b.spooling.TryLock() {
		n, sent, err := b.spooledBackup(ctx, w)
		b.spooling.Unlock()
		if err == nil || sent || ctx.Err() != nil {
			return n, err
		}
		// Nothing sent yet: sent as it is read instead.
	}
	tx, err := b.snapshot()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	return tx.WriteTo(ctxWriter{ctx: ctx, w: w})
}

// spooledBackup is Backup through a file without a name beside the
// database; nothing is sent to w (sent is false) unless the copy was
// written whole.
func (b *Bolt) spooledBackup(ctx context.Context, w io.Writer) (n int64, sent bool, err error) {
	dir := filepath.Dir(b.Path())
	if fi, err := os.Stat(b.Path()); err == nil {
		need := uint64(fi.Size()) + uint64(fi.Size())/10 + 2*segmentBytes
		if free, ok := freeSpace(dir); ok && free < need {
			return 0, false, fmt.Errorf("store: backup: %d bytes free beside the database, %d wanted for a copy", free, need)
		}
	}
	spool, err := os.CreateTemp(dir, ".backup-*")
	if err != nil {
		return 0, false, fmt.Errorf("store: backup: the copy's file beside the database: %w", err)
	}
	defer spool.Close()
	// Nothing is left behind, whatever happens next.
	if err := os.Remove(spool.Name()); err != nil {
		return 0, false, fmt.Errorf("store: backup: %w", err)
	}
	tx, err := b.snapshot()
	if err != nil {
		return 0, false, err
	}
	copied, err := tx.WriteTo(ctxWriter{ctx: ctx, w: spool})
	tx.Rollback()
	if err != nil {
		return 0, false, fmt.Errorf("store: backup: writing the copy beside the database: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return 0, false, err
	}
	n, err = io.Copy(ctxWriter{ctx: ctx, w: w}, spool)
	if err == nil && n != copied {
		err = fmt.Errorf("store: backup: sent %d bytes of the %d copied", n, copied)
	}
	return n, true, err
}

// snapshot returns a read transaction over buckets that hold every
// committed write.
func (b *Bolt) snapshot() (*bolt.Tx, error) {
	if b.readOnly {
		if n := b.ov.pendingWrites(); n > 0 {
			return nil, fmt.Errorf("store: the journal holds %d writes that an unclean stop left unapplied; "+
				"open the database read-write once (start the server) to apply them", n)
		}
		return b.db.Begin(false)
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if err := b.applyAll(); err != nil {
		return nil, err
	}
	return b.db.Begin(false)
}

// Unapplied is the number of writes the journal holds that the database
// file does not: those of an unclean stop, on a store opened read-only
// (read-write, opening applies them).
func (b *Bolt) Unapplied() int { return b.ov.pendingWrites() }

// ctxWriter fails writes once its context has ended.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// FileInfo describes a verified database file.
type FileInfo struct {
	// SchemaVersion is the file's schema version (1 up to SchemaVersion).
	SchemaVersion uint64
	// Size is the file's size in bytes.
	Size int64
	// Meta is what the file's Meta bucket holds, by key.
	Meta map[string][]byte
}

// VerifyFile checks that the file at path is a complete ownervote database
// that this program can open: a bbolt file not shorter than its own meta
// page says, with a schema version from 1 up to SchemaVersion, that passes
// bbolt's consistency check. It opens the file read-only and never changes
// it. Errors wrap ErrNotDatabase, ErrSchemaTooNew or ErrCorrupt, or
// ErrLocked for a file a running server holds.
func VerifyFile(path string) (FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return FileInfo{}, err
	}
	if !fi.Mode().IsRegular() {
		return FileInfo{}, fmt.Errorf("%w: %s is not a regular file", ErrNotDatabase, path)
	}
	info := FileInfo{Size: fi.Size()}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		// Another process holds it for writing: a running server.
		return info, fmt.Errorf("%w: %s (stop the server, or take an online backup)", ErrLocked, path)
	case errors.Is(err, fs.ErrPermission):
		return info, fmt.Errorf("%s cannot be read: %w", path, err)
	case err != nil:
		return info, fmt.Errorf("%w: %s: %v", ErrNotDatabase, path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		// A truncated copy would make the check read past the end of the
		// mapped file: compare with the size the meta page records first.
		if need := tx.Size(); need > info.Size {
			return fmt.Errorf("%w: %s is truncated: %d bytes, the database needs %d", ErrNotDatabase, path, info.Size, need)
		}
		if tx.Bucket([]byte(Meta)) == nil {
			return fmt.Errorf("%w: %s has no %q bucket", ErrNotDatabase, path, Meta)
		}
		v, err := readVersion(&boltTx{tx: tx})
		if err != nil {
			if errors.Is(err, ErrSchemaTooNew) {
				return err
			}
			return fmt.Errorf("%w: %s: %v", ErrNotDatabase, path, err)
		}
		if v == 0 {
			return fmt.Errorf("%w: %s has no schema version", ErrNotDatabase, path)
		}
		info.SchemaVersion = v
		info.Meta = map[string][]byte{}
		tx.Bucket([]byte(Meta)).ForEach(func(k, v []byte) error {
			info.Meta[string(k)] = bytes.Clone(v)
			return nil
		})
		var errs []error
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		if len(errs) > 0 {
			return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, errors.Join(errs...))
		}
		return nil
	})
	return info, err
}
