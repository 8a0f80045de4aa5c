package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
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
	// Logger receives the background applier's failures; none when nil.
	Logger *slog.Logger
}

// Bolt is the bbolt implementation of Store, with a write journal (see
// journal.go): an Update is one fsynced append to the journal, and a
// background applier writes the journal to the buckets in large batches.
type Bolt struct {
	db       *bolt.DB
	ov       *overlay
	journal  *journalFile // nil when read-only
	readOnly bool

	wmu sync.Mutex // serialises Updates: journal order is commit order

	spooling sync.Mutex // held by the one backup copied beside the database (Backup)

	amu      sync.Mutex // one apply at a time
	applyErr error      // the last apply's failure, nil after a success; under amu
	failing  atomic.Bool
	// applyTx applies records in a bbolt transaction: applyRecords, or a
	// test's stand-in for a disk that fails.
	applyTx   func(*bolt.Tx, []*record) error
	maxWait   int // maxPendingWrites; tests lower it
	log       *slog.Logger
	wake      chan struct{}
	stop      chan struct{}
	applierWG sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// The applier runs when this many writes are pending, and at least every
// applyInterval while any are: larger batches share more pages. While the
// journal cannot be applied because the disk is full, Updates go on until
// maxPendingWrites wait, and then fail with ErrUnavailable. Any other
// failure of an apply stops the store (see apply).
const (
	applyWrites      = 128 << 10
	applyInterval    = 500 * time.Millisecond
	maxPendingWrites = 4 << 20
)

var _ Store = (*Bolt)(nil)

// OpenBolt opens or creates the database file at path and brings it to the
// current schema. Read-write, it first applies what the journal holds (the
// writes of an unclean stop); read-only, it reads them.
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
	b := &Bolt{db: db, ov: newOverlay(), readOnly: opts.ReadOnly, wake: make(chan struct{}, 1), stop: make(chan struct{}), log: opts.Logger, maxWait: maxPendingWrites,
		applyTx: applyRecords}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if err := b.openJournal(path); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		b.applierWG.Add(1)
		go b.applier()
	}
	return b, nil
}

// openJournal brings the file to the current schema and the buckets up to
// date with the journal (read-write), or reads the journal into the
// overlay (read-only).
func (b *Bolt) openJournal(path string) error {
	var id []byte
	var applied uint64
	readMeta := func(btx *bolt.Tx) { id, applied = journalMeta(btx) }
	dir := JournalDir(path)
	if b.readOnly {
		err := b.db.View(func(btx *bolt.Tx) error {
			readMeta(btx)
			return checkVersion(&boltTx{tx: btx})
		})
		if err != nil || id == nil {
			return err
		}
		_, recs, err := readUnapplied(dir, id, applied)
		for _, r := range recs {
			b.ov.add(r)
			b.ov.setDurable(r.seq)
		}
		return err
	}
	// The journal is read before anything is written: a journal that
	// cannot be read (damaged, unreadable) leaves the file as it was, in
	// the schema of the program that wrote it, for that program or a
	// person to look at. Its records, written by that program, are
	// applied before the file is brought to the current schema, in the
	// same transaction: a migration sees every acknowledged write.
	err := b.db.View(func(btx *bolt.Tx) error {
		readMeta(btx)
		v, err := readVersion(&boltTx{tx: btx})
		if k, _ := btx.Cursor().First(); err == nil && v == 0 && k != nil {
			// Version 0 is a new, empty file.
			return fmt.Errorf("store: %s is not an ownervote database: it holds data but no schema version", path)
		}
		return err
	})
	if err != nil {
		return err
	}
	// Read even for a file without a journal id (a new one, or a
	// schema-1 file): a journal there is another database's, with its
	// acknowledged writes, and is refused rather than written over.
	segs, recs, err := readUnapplied(dir, id, applied)
	if err != nil {
		return err
	}
	err = b.db.Update(func(btx *bolt.Tx) error {
		if len(recs) > 0 {
			if err := applyRecords(btx, recs); err != nil {
				return fmt.Errorf("store: applying the journal: %w", err)
			}
		}
		for _, name := range buckets {
			if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		if err := migrate(&boltTx{tx: btx}); err != nil {
			return err
		}
		if id == nil {
			id = make([]byte, journalIDLen)
			if _, err := rand.Read(id); err != nil {
				return err
			}
			return btx.Bucket([]byte(Meta)).Put(journalIDKey, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(recs) > 0 {
		applied = recs[len(recs)-1].seq
	}
	// Everything readable is applied: the old segments (and a torn frame at
	// the end of the last) go.
	for _, s := range segs {
		if err := os.Remove(s.path); err != nil {
			return err
		}
	}
	if len(segs) > 0 {
		if err := SyncDir(dir); err != nil {
			return err
		}
	}
	b.ov.head.Store(applied)
	b.ov.durable.Store(applied)
	b.ov.appliedTo, b.ov.dropped = applied, applied
	b.journal, err = openJournalFile(dir, id, nil, applied+1, b.ov.setDurable, func(err error) {
		b.log.Info("the write journal is fdatasynced in a slower way than through io_uring here (intake is slower)", "err", err)
	})
	return err
}

// readUnapplied reads the journal's segments and the records in them after
// applied, checking that nothing is missing.
func readUnapplied(dir string, id []byte, applied uint64) ([]segment, []*record, error) {
	jr, err := readJournalDir(dir, id)
	if err == nil {
		err = segmentsFollow(jr.segs, applied)
	}
	if err != nil {
		return nil, nil, err
	}
	recs, err := unapplied(dir, jr.recs, applied)
	return jr.segs, recs, err
}

// segmentsFollow checks that each segment ends where the next begins,
// wherever records after applied depend on it: a segment cut short by
// damage at its end shows so (the next is named after the record that
// should have followed).
func segmentsFollow(segs []segment, applied uint64) error {
	for i := 1; i < len(segs); i++ {
		prev, next := segs[i-1], segs[i]
		if next.first-1 > applied && prev.last != next.first-1 {
			return fmt.Errorf("%w: %s ends at record %d but %s begins at %d: records %d to %d are missing - the end of %s is damaged, or a segment between them (%s) is missing; "+
				"acknowledged writes may be in them, so the journal is left as it is",
				ErrJournal, prev.path, prev.last, next.path, next.first, prev.last+1, next.first-1, prev.path, segmentName(prev.last+1))
		}
	}
	return nil
}

// unapplied returns the records after applied, which must follow it
// without a gap. (Segments that were applied and deleted may come back
// after a crash, in any combination: they are skipped.)
func unapplied(dir string, recs []*record, applied uint64) ([]*record, error) {
	var out []*record
	next := applied + 1
	for _, r := range recs {
		switch {
		case r.seq < next && len(out) == 0:
			continue
		case r.seq != next:
			return nil, fmt.Errorf("%w: %s holds record %d where %d was due (the database has applied up to %d; was an older backup restored? move %s aside)",
				ErrJournal, dir, r.seq, next, applied, dir)
		}
		out = append(out, r)
		next++
	}
	return out, nil
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
	floor := b.ov.enter()
	defer b.ov.leave(floor)
	return b.db.View(func(btx *bolt.Tx) error {
		// The head is read after the snapshot is taken: the snapshot holds
		// no record beyond it (only durable records are applied).
		return fn(&journalTx{btx: btx, ov: b.ov, head: b.ov.durable.Load()})
	})
}

// Update implements Store. fn reads a snapshot of the buckets amended by
// the journal; its writes become one journal record, fsynced before Update
// returns. Updates run one at a time.
func (b *Bolt) Update(ctx context.Context, fn func(Tx) error) error {
	return b.UpdateThen(ctx, fn, nil)
}

// UpdateThen is Update that calls then (when not nil) as soon as the next
// Update may begin: fn has returned, and its writes are in the journal's
// order and visible to later Updates but not yet durable (nor visible to
// Views). The next Update's fn then runs while these writes are fsynced;
// its own writes wait for that fsync, so a crash can cut short only the
// last record. then is told whether fn succeeded and its writes (if any)
// are in the journal; it is called once, whatever the outcome, unless fn
// panics. then must not wait for an Update that writes: that Update's
// record waits for this one's fsync, which waits for then.
func (b *Bolt) UpdateThen(ctx context.Context, fn func(Tx) error, then func(written bool)) error {
	rec, read, err := b.write(ctx, fn)
	if then != nil {
		then(err == nil)
	}
	// What fn read must be durable before Update returns, even when fn
	// wrote nothing or failed: it may have read the last Update's record
	// while that was still being fsynced, and its answer depends on it.
	upTo := read
	if rec != nil {
		upTo = rec.seq
	}
	if upTo > b.ov.durable.Load() {
		if serr := b.journal.sync(upTo); serr != nil {
			if err != nil && !errors.Is(err, ErrWriteFailed) {
				// fn's own answer rests on what was not made durable:
				// the failure is the answer, and fn's is not told (it
				// may say what was read, as a refused import does).
				return fmt.Errorf("%w (the transaction's own answer, which rested on it, is withheld)", serr)
			}
			return serr
		}
	}
	if err != nil {
		return err
	}
	if b.ov.pendingWrites() >= applyWrites {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// write runs fn and writes its record to the journal, unsynced. read is
// the last record fn could read.
func (b *Bolt) write(ctx context.Context, fn func(Tx) error) (rec *record, read uint64, err error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if b.readOnly {
		return nil, 0, bolterrors.ErrDatabaseReadOnly
	}
	// A stopped store takes nothing more: say so before fn runs.
	select {
	case <-b.Failed():
		return nil, 0, b.WriteErr()
	default:
	}
	if b.failing.Load() && b.ov.pendingWrites() >= b.maxWait {
		// (An apply that failed otherwise has stopped the journal, which
		// refuses the write itself.)
		b.amu.Lock()
		err := b.applyErr
		b.amu.Unlock()
		if err != nil && diskFull(err) {
			return nil, 0, fmt.Errorf("%w: the journal cannot be applied to the database until the disk has room: %w", ErrUnavailable, err)
		}
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	floor := b.ov.enter()
	defer b.ov.leave(floor)
	btx, err := b.db.Begin(false)
	if err != nil {
		return nil, 0, err
	}
	defer btx.Rollback()
	head := b.ov.head.Load()
	tx := &journalTx{btx: btx, ov: b.ov, head: head, ws: &writeSet{}}
	if err := fn(tx); err != nil {
		return nil, head, err
	}
	if rec = tx.ws.record(head + 1); rec == nil {
		return nil, head, nil
	}
	if err := b.journal.write(rec); err != nil {
		return nil, head, err
	}
	b.ov.add(rec)
	return rec, head, nil
}

// journalMeta reads the file's journal id and the sequence number of the
// last record applied to it (nil and 0 when it has none).
func journalMeta(btx *bolt.Tx) (id []byte, applied uint64) {
	meta := btx.Bucket([]byte(Meta))
	if meta == nil {
		return nil, 0
	}
	id = bytes.Clone(meta.Get(journalIDKey))
	if v := meta.Get(appliedKey); len(v) == 8 {
		applied = binary.BigEndian.Uint64(v)
	}
	return id, applied
}

// PeekMeta returns the value of key in the Meta bucket of the database at
// path, its unapplied journal included, or nil. Nothing is applied,
// migrated or written: the file is opened read-only and the journal only
// read, so an older file stays one that an older ownervote opens. A journal
// that cannot be read is an error, as it is to OpenBolt.
func PeekMeta(path string, key []byte) ([]byte, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	var v, id []byte
	var applied uint64
	err = db.View(func(btx *bolt.Tx) error {
		if meta := btx.Bucket([]byte(Meta)); meta != nil {
			v = bytes.Clone(meta.Get(key))
		}
		id, applied = journalMeta(btx)
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil || id == nil {
		return v, err
	}
	_, recs, err := readUnapplied(JournalDir(path), id, applied)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		for _, o := range r.ops {
			if o.bucket != Meta || !bytes.Equal(o.key, key) {
				continue
			}
			switch o.kind {
			case opPut:
				v = bytes.Clone(o.val)
			case opDelete:
				v = nil
			}
		}
	}
	return v, nil
}

// applier applies the journal in the background until Close.
func (b *Bolt) applier() {
	defer b.applierWG.Done()
	t := time.NewTicker(applyInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.wake:
		}
		if err := b.apply(); err != nil && !b.failing.Load() {
			// Applied; apply logs its own failures.
			b.log.Warn("deleting applied journal segments failed; tried again at the next apply", "err", err)
		}
	}
}

// apply writes every pending record to the buckets in one transaction and
// deletes the journal's segments that are then fully applied. On failure
// the records stay in the journal and in memory, to be applied at the next
// open, or at the next try if the disk was full.
//
// Any other failure stops the store as a failed journal fdatasync does
// (ErrWriteFailed, Failed): bbolt rolls the transaction back in memory,
// but the pages and the meta page it wrote before the failure may be on
// the disk, and a later commit reusing those pages could, if the process
// then died, leave a meta page on the disk that points at overwritten
// pages. So no commit follows in this process, not even at Close; the
// next open starts from what is on the disk and applies the journal again.
func (b *Bolt) apply() error {
	b.amu.Lock()
	defer b.amu.Unlock()
	if b.applyErr != nil && !diskFull(b.applyErr) {
		return b.applyErr // stopped: no commit follows
	}
	recs := b.ov.toApply()
	if len(recs) == 0 {
		return nil
	}
	wasFailing := b.failing.Load()
	b.applyErr = b.db.Update(func(btx *bolt.Tx) error { return b.applyTx(btx, recs) })
	b.failing.Store(b.applyErr != nil)
	switch {
	case b.applyErr != nil && !diskFull(b.applyErr):
		b.journal.stop(fmt.Errorf("%w: applying the journal to the database failed: %w", ErrWriteFailed, b.applyErr))
		b.log.Error("applying the write journal to the database failed; no more writes are taken", "err", b.applyErr, "pending_writes", b.ov.pendingWrites())
		return b.applyErr
	case b.applyErr != nil:
		if !wasFailing {
			b.log.Error("applying the write journal to the database failed: the disk is full; trying again", "err", b.applyErr, "pending_writes", b.ov.pendingWrites())
		}
		return b.applyErr
	case wasFailing:
		b.log.Info("the write journal is applied to the database again")
	}
	b.ov.markApplied(len(recs))
	return b.journal.release(recs[len(recs)-1].seq)
}

// diskFull tells whether err is a write that found the disk full, which
// passes: bbolt writes a commit's pages before its meta page, so nothing
// of it is in the tree. The same errno from an fdatasync (NFS can say so)
// may have lost written pages, and bbolt's growing the file reports none:
// both stop the store.
func diskFull(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Op == "write" && (errors.Is(pe.Err, syscall.ENOSPC) || errors.Is(pe.Err, syscall.EDQUOT))
}

// applyAll applies every written record, once the last is durable. b.wmu
// is held, so that none is written meanwhile.
func (b *Bolt) applyAll() error {
	b.journal.quiesce()
	return b.apply()
}

// Flush applies the journal to the buckets now.
func (b *Bolt) Flush() error { return b.apply() }

// PagesWritten is the number of pages (4 KiB) the database's transactions
// and the journal's appends have written since it was opened (a measure of
// write amplification).
func (b *Bolt) PagesWritten() int64 {
	st := b.db.Stats()
	n := st.TxStats.GetWrite()
	if b.journal != nil {
		n += b.journal.pagesWritten()
	}
	return n
}

// Close implements Store: it applies the journal, deletes it and closes
// the file. A journal it cannot apply stays, to be applied at the next
// open.
func (b *Bolt) Close() error {
	b.closeOnce.Do(func() {
		close(b.stop)
		b.applierWG.Wait()
		var errs []error
		if !b.readOnly {
			b.wmu.Lock()
			err := b.applyAll()
			errs = append(errs, err, b.journal.close(err == nil))
			b.wmu.Unlock()
		}
		errs = append(errs, b.db.Close())
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// Failed is closed when the store stops taking writes: the disk failed a
// journal fdatasync, a journal write that could not be undone, or an apply
// to the database other than for being full (ErrWriteFailed, which every
// later Update that writes, or reads what was not durable, returns). Close
// still applies what was acknowledged, unless an apply failed; only
// opening the store again takes writes again, and the server stops when it
// sees this.
// Never closed for a read-only store.
func (b *Bolt) Failed() <-chan struct{} {
	if b.journal == nil {
		return nil
	}
	return b.journal.failed
}

// WriteErr is the failure that closed Failed (nil before).
func (b *Bolt) WriteErr() error {
	if b.journal == nil {
		return nil
	}
	b.journal.mu.Lock()
	defer b.journal.mu.Unlock()
	if !errors.Is(b.journal.broken, ErrWriteFailed) {
		return nil
	}
	return b.journal.broken
}

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
	k, v := seek(c, prefix, after)
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// seek moves c to the first key of a Scan: the first after after, or the
// first from prefix on.
func seek(c *bolt.Cursor, prefix, after []byte) (k, v []byte) {
	if after == nil {
		return c.Seek(prefix)
	}
	k, v = c.Seek(after)
	if k != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	return k, v
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
