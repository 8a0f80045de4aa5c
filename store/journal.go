package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/google/btree"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// The write journal.
//
// An Update reads a snapshot of the buckets as the journal amends them, and
// its writes become one record appended to the journal's current segment
// and fsynced before Update returns (journalfile.go): one sequential write
// and one fdatasync, however many buckets and keys the record touches. The
// committed record is kept in memory, in the overlay, which every later
// transaction reads before the buckets. A background applier writes the
// records to their buckets in large batches, each in one bbolt transaction
// that also notes the last record applied (Meta "journal_applied"), so that
// the pages a batch shares are written once instead of once per Update;
// segments whose records are all applied are then deleted. A record is
// atomic (one checksummed frame), records are applied in order, and a
// database opened read-write applies what the journal holds beyond
// "journal_applied" (the writes of an unclean stop) before anything else
// runs; a read-only open reads those records into the overlay instead.

// The kinds of writes in a record.
const (
	opPut      byte = 1
	opDelete   byte = 2
	opSequence byte = 3 // sets the bucket's sequence to val (8 bytes)
)

type op struct {
	kind   byte
	bucket Bucket
	key    []byte
	val    []byte
}

// record is one Update's writes, at most one per key, ordered by bucket and
// key.
type record struct {
	seq uint64
	ops []op
}

// appendEncoding lays the record out as, for each write: kind, then the bucket
// name, key and value, each preceded by its length as a uvarint.
func (r *record) appendEncoding(buf []byte) []byte {
	n := 0
	for _, o := range r.ops {
		n += 1 + 3*binary.MaxVarintLen32 + len(o.bucket) + len(o.key) + len(o.val)
	}
	buf = slices.Grow(buf, n)
	for _, o := range r.ops {
		buf = append(buf, o.kind)
		buf = binary.AppendUvarint(buf, uint64(len(o.bucket)))
		buf = append(buf, o.bucket...)
		buf = binary.AppendUvarint(buf, uint64(len(o.key)))
		buf = append(buf, o.key...)
		buf = binary.AppendUvarint(buf, uint64(len(o.val)))
		buf = append(buf, o.val...)
	}
	return buf
}

// decodeRecord reads a record laid out by appendEncoding. It copies nothing: the
// record refers to data.
func decodeRecord(seq uint64, data []byte) (*record, error) {
	r := &record{seq: seq}
	field := func() ([]byte, error) {
		n, w := binary.Uvarint(data)
		if w <= 0 || n > uint64(len(data)-w) {
			return nil, errors.New("truncated field")
		}
		f := data[w : w+int(n) : w+int(n)] // no room to grow into the next field
		data = data[w+int(n):]
		return f, nil
	}
	for len(data) > 0 {
		kind := data[0]
		data = data[1:]
		b, err := field()
		if err != nil {
			return nil, err
		}
		key, err := field()
		if err != nil {
			return nil, err
		}
		val, err := field()
		if err != nil {
			return nil, err
		}
		switch {
		case kind == opPut || kind == opDelete:
			if len(key) == 0 {
				return nil, errors.New("write without a key")
			}
		case kind == opSequence:
			if len(val) != 8 {
				return nil, errors.New("sequence of the wrong length")
			}
		default:
			return nil, fmt.Errorf("unknown write kind %d", kind)
		}
		r.ops = append(r.ops, op{kind: kind, bucket: Bucket(b), key: key, val: val})
	}
	return r, nil
}

// appliedKey is the Meta key of the sequence number of the last record
// applied to the buckets.
var appliedKey = []byte("journal_applied")

// journalIDKey is the Meta key of the database's journal id.
var journalIDKey = []byte("journal_id")

// PackedFill is how full the applier packs the pages it splits in the
// buckets whose keys come in sequence: an assembly's ballots, log entries
// and Merkle nodes, its hourly counts, the access log, and the frozen roll
// of units and voters (written in key order when the assembly is
// published, then rewritten in place as its voters vote). bbolt's default,
// half, suits keys inserted in random order; but these buckets take a few
// hundred sequences side by side whose full pages are never written again,
// and each apply rewrites every page it touches, so pages left half empty
// cost twice the writes. The other buckets (ballot ids, key and token
// hashes, calls, proxies) take their keys in random order and keep bbolt's
// default: packed, their pages would split at almost every later insert.
const PackedFill = 0.95

// packed lists the buckets whose pages the applier packs (PackedFill).
var packed = map[Bucket]bool{Ballots: true, LogEntries: true, LogNodes: true, Progress: true, AccessLog: true,
	AssemblyUnits: true, AssemblyVoters: true, AccessIndex: true}

// applyRecords writes recs, in order, to their buckets and notes the last
// as applied. Only the last write of each key is applied, in key order.
func applyRecords(btx *bolt.Tx, recs []*record) error {
	if len(recs) == 0 {
		return nil
	}
	n := 0
	for _, r := range recs {
		n += len(r.ops)
	}
	// Every write in bucket and key order, and in record order among
	// writes of the same key, of which only the last is applied. (Sorted
	// by their place in record order too, rather than stably: faster.)
	type write struct {
		o *op
		n int // its place in record order
	}
	all := make([]write, 0, n)
	for _, r := range recs {
		for i := range r.ops {
			all = append(all, write{&r.ops[i], len(all)})
		}
	}
	slices.SortFunc(all, func(a, b write) int {
		if a.o.bucket != b.o.bucket {
			return strings.Compare(string(a.o.bucket), string(b.o.bucket))
		}
		if c := bytes.Compare(a.o.key, b.o.key); c != 0 {
			return c
		}
		return cmp.Compare(a.n, b.n)
	})
	var bk *bolt.Bucket
	var bkName Bucket
	for i, w := range all {
		o := w.o
		if i+1 < len(all) && all[i+1].o.bucket == o.bucket && bytes.Equal(all[i+1].o.key, o.key) {
			continue // a later record writes the key again
		}
		if bk == nil || bkName != o.bucket {
			if bk, bkName = btx.Bucket([]byte(o.bucket)), o.bucket; bk == nil {
				return fmt.Errorf("%w %q in the journal", ErrUnknownBucket, o.bucket)
			}
			if packed[o.bucket] {
				bk.FillPercent = PackedFill
			}
		}
		var err error
		switch o.kind {
		case opPut:
			err = bk.Put(o.key, o.val)
		case opDelete:
			err = bk.Delete(o.key)
		case opSequence:
			err = bk.SetSequence(binary.BigEndian.Uint64(o.val))
		}
		if err != nil {
			return fmt.Errorf("store: applying journal to %s: %w", o.bucket, err)
		}
	}
	return btx.Bucket([]byte(Meta)).Put(appliedKey, Seq(recs[len(recs)-1].seq))
}

// writeSet collects an Update's writes until it commits.
type writeSet struct {
	buckets map[Bucket]*wbucket
	n       int
	// The write set's copies of keys and values, and its ops, are cut
	// from chunks (never grown in place, so that what was handed out stays
	// put): an intake group writes ~8 keys per ballot, and one allocation
	// each for a key, its map key, its op and its value was a tenth of a
	// ballot's allocations. The bytes are never changed once copied, and
	// live as long as the record that refers to them.
	bytes []byte
	slab  []op
}

// writeSetChunk is the size of a chunk of copied bytes.
const writeSetChunk = 16 << 10

// copyIn returns a copy of b (non-nil, even when empty).
func (w *writeSet) copyIn(b []byte) []byte {
	if len(b) == 0 {
		return []byte{}
	}
	if cap(w.bytes)-len(w.bytes) < len(b) {
		w.bytes = make([]byte, 0, max(writeSetChunk, len(b)))
	}
	start := len(w.bytes)
	w.bytes = append(w.bytes, b...)
	return w.bytes[start:len(w.bytes):len(w.bytes)]
}

// newOp returns a new op of the write set.
func (w *writeSet) newOp() *op {
	if len(w.slab) == cap(w.slab) {
		w.slab = make([]op, 0, 64)
	}
	w.slab = append(w.slab, op{})
	return &w.slab[len(w.slab)-1]
}

type wbucket struct {
	ops    map[string]*op
	order  *btree.BTreeG[string] // the keys of ops, built at the bucket's first Scan
	seq    uint64
	hasSeq bool
}

func (w *writeSet) bucket(b Bucket) *wbucket {
	if w.buckets == nil {
		w.buckets = map[Bucket]*wbucket{}
	}
	wb := w.buckets[b]
	if wb == nil {
		wb = &wbucket{ops: map[string]*op{}}
		w.buckets[b] = wb
	}
	return wb
}

func (w *writeSet) set(b Bucket, kind byte, key, val []byte) {
	wb := w.bucket(b)
	if o := wb.ops[string(key)]; o != nil {
		o.kind, o.val = kind, val
		return
	}
	k := w.copyIn(key)
	o := w.newOp()
	*o = op{kind: kind, bucket: b, key: k, val: val}
	ks := unsafe.String(&k[0], len(k)) // k is never changed: see writeSet
	wb.ops[ks] = o
	if wb.order != nil {
		wb.order.ReplaceOrInsert(ks)
	}
	w.n++
}

func (w *writeSet) get(b Bucket, key []byte) *op {
	if wb := w.buckets[b]; wb != nil {
		return wb.ops[string(key)]
	}
	return nil
}

// record returns the writes as a record numbered seq, or nil if there are
// none.
func (w *writeSet) record(seq uint64) *record {
	r := &record{seq: seq, ops: make([]op, 0, w.n+1)}
	names := make([]Bucket, 0, len(w.buckets))
	for b := range w.buckets {
		names = append(names, b)
	}
	slices.Sort(names)
	for _, b := range names {
		wb := w.buckets[b]
		start := len(r.ops)
		for _, o := range wb.ops {
			r.ops = append(r.ops, *o)
		}
		added := r.ops[start:]
		slices.SortFunc(added, func(a, b op) int { return bytes.Compare(a.key, b.key) })
		if wb.hasSeq {
			r.ops = append(r.ops, op{kind: opSequence, bucket: b, val: Seq(wb.seq)})
		}
	}
	if len(r.ops) == 0 {
		return nil
	}
	return r
}

// version is a key's value as of one record.
type version struct {
	seq uint64
	val []byte
	del bool
}

// newest returns the last of vs written at or before head.
func newest(vs []version, head uint64) (version, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].seq <= head {
			return vs[i], true
		}
	}
	return version{}, false
}

type obucket struct {
	keys map[string][]version
	seq  []version
	// order holds the keys in order, for scans; it is built at a bucket's
	// first scan, so buckets that are never scanned never pay for it.
	// Writers then only note the keys they add to keys and the applier
	// those it drops (touched), and order catches up before the next scan;
	// once it lags behind by more than keys holds, it is dropped, to be
	// built again at the next scan.
	order   *btree.BTreeG[string]
	touched []string
}

func newOrder() *btree.BTreeG[string] { return btree.NewG(32, func(a, b string) bool { return a < b }) }

// sortKeys brings order up to date: a touched key is in order if and only
// if keys holds it now (it may have been dropped and written again).
func (ob *obucket) sortKeys() {
	if ob.order == nil {
		ob.order = newOrder()
		for k := range ob.keys {
			ob.order.ReplaceOrInsert(k)
		}
		return
	}
	for _, k := range ob.touched {
		if _, ok := ob.keys[k]; ok {
			ob.order.ReplaceOrInsert(k)
		} else {
			ob.order.Delete(k)
		}
	}
	clear(ob.touched) // no key kept alive by the spare capacity
	ob.touched = ob.touched[:0]
}

// trimOrder drops order when catching up would cost more than building it
// again: more keys touched than keys holds, and over a thousand (so that a
// bucket of few keys is not rebuilt at every scan).
func (ob *obucket) trimOrder() {
	if len(ob.touched) > len(ob.keys)+1024 {
		ob.order, ob.touched = nil, nil
	}
}

// note records that key k was added to or dropped from keys.
func (ob *obucket) note(k string) {
	if ob.order != nil {
		ob.touched = append(ob.touched, k)
	}
}

// overlay holds the committed records that the buckets may not yet show.
// A transaction that sees records up to head reads a key's newest version
// up to head, and the bucket where there is none. Versions are dropped
// only once they are in the buckets and no open View could still need
// them: a View pins the level that was dropped when it began (its floor),
// and nothing above the lowest floor is dropped.
type overlay struct {
	head    atomic.Uint64 // sequence number of the last record added: what Updates read
	durable atomic.Uint64 // the last record known durable: what Views read, and what may be applied

	mu         sync.RWMutex
	buckets    map[Bucket]*obucket
	pending    []*record // added, not yet applied
	pendingOps int
	applied    []*record // applied, versions not yet dropped
	appliedTo  uint64

	// Views register with fmu alone, so that they do not wait for the
	// writer's or the applier's hold of mu, nor make them wait.
	fmu     sync.Mutex
	floors  map[uint64]int // open Views by floor
	dropped uint64
}

func newOverlay() *overlay {
	return &overlay{buckets: map[Bucket]*obucket{}, floors: map[uint64]int{}}
}

// add makes r visible to transactions that begin afterwards.
func (o *overlay) add(r *record) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range r.ops {
		w := &r.ops[i]
		ob := o.buckets[w.bucket]
		if ob == nil {
			ob = &obucket{keys: map[string][]version{}}
			o.buckets[w.bucket] = ob
		}
		v := version{seq: r.seq, val: w.val, del: w.kind == opDelete}
		if w.kind == opSequence {
			ob.seq = append(ob.seq, v)
			continue
		}
		k := string(w.key)
		vs, ok := ob.keys[k]
		if !ok {
			ob.note(k)
		}
		ob.keys[k] = append(vs, v)
	}
	o.pending = append(o.pending, r)
	o.pendingOps += len(r.ops)
	o.head.Store(r.seq)
}

func (o *overlay) lookup(b Bucket, key []byte, head uint64) (version, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	ob := o.buckets[b]
	if ob == nil {
		return version{}, false
	}
	return newest(ob.keys[string(key)], head)
}

func (o *overlay) sequence(b Bucket, head uint64) (uint64, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	ob := o.buckets[b]
	if ob == nil {
		return 0, false
	}
	v, ok := newest(ob.seq, head)
	if !ok {
		return 0, false
	}
	return binary.BigEndian.Uint64(v.val), true
}

// scanItem is a key's value (or deletion) from the overlay or a write set.
type scanItem struct {
	key []byte
	val []byte
	del bool
}

// inRange lists the keys from order that have prefix and sort after after
// (from prefix if after is nil), in order.
func inRange(order *btree.BTreeG[string], prefix, after []byte, fn func(k string)) {
	start := string(prefix)
	if after != nil {
		start = string(after)
	}
	order.AscendGreaterOrEqual(start, func(k string) bool {
		if !bytes.HasPrefix([]byte(k), prefix) {
			return false
		}
		if after == nil || k != string(after) {
			fn(k)
		}
		return true
	})
}

func (o *overlay) scan(b Bucket, prefix, after []byte, head uint64) []scanItem {
	o.mu.RLock()
	ob := o.buckets[b]
	// The order must be built or catch up first, which takes the lock
	// alone; the applier may drop it again meanwhile (trimOrder). Keys
	// touched meanwhile are of records after head, or dropped ones the
	// bucket holds: the scan needs none of them.
	for i := 0; ob != nil && (ob.order == nil || i == 0 && len(ob.touched) > 0); i++ {
		o.mu.RUnlock()
		o.mu.Lock()
		ob.sortKeys()
		o.mu.Unlock()
		o.mu.RLock()
	}
	defer o.mu.RUnlock()
	if ob == nil {
		return nil
	}
	var items []scanItem
	inRange(ob.order, prefix, after, func(k string) {
		if v, ok := newest(ob.keys[k], head); ok {
			items = append(items, scanItem{key: []byte(k), val: v.val, del: v.del})
		}
	})
	return items
}

// setDurable records that the records up to seq are durable.
func (o *overlay) setDurable(seq uint64) {
	for {
		d := o.durable.Load()
		if d >= seq || o.durable.CompareAndSwap(d, seq) {
			return
		}
	}
}

// enter registers a View that is about to begin and returns its floor.
func (o *overlay) enter() uint64 {
	o.fmu.Lock()
	defer o.fmu.Unlock()
	f := o.dropped
	o.floors[f]++
	return f
}

func (o *overlay) leave(floor uint64) {
	o.fmu.Lock()
	defer o.fmu.Unlock()
	if o.floors[floor]--; o.floors[floor] == 0 {
		delete(o.floors, floor)
	}
}

// toApply returns the durable records not yet applied.
func (o *overlay) toApply() []*record {
	o.mu.RLock()
	defer o.mu.RUnlock()
	d := o.durable.Load()
	n := 0
	for n < len(o.pending) && o.pending[n].seq <= d {
		n++
	}
	return slices.Clone(o.pending[:n])
}

func (o *overlay) pendingWrites() int {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.pendingOps
}

// markApplied records that the first n pending records are in the buckets
// and drops the versions no transaction needs any more.
func (o *overlay) markApplied(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.pending[:n] {
		o.pendingOps -= len(r.ops)
	}
	o.applied = append(o.applied, o.pending[:n]...)
	o.appliedTo = o.pending[n-1].seq
	o.pending = slices.Clone(o.pending[n:])
	// A View that begins from now on reads a snapshot of the buckets with
	// every applied record: it needs none of the versions dropped here.
	o.fmu.Lock()
	limit := o.appliedTo
	for f := range o.floors {
		limit = min(limit, f)
	}
	o.dropped = max(o.dropped, limit)
	o.fmu.Unlock()
	i := 0
	for ; i < len(o.applied) && o.applied[i].seq <= limit; i++ {
		for _, w := range o.applied[i].ops {
			ob := o.buckets[w.bucket]
			if w.kind == opSequence {
				ob.seq = dropUpTo(ob.seq, limit)
				continue
			}
			k := string(w.key)
			vs := dropUpTo(ob.keys[k], limit)
			if len(vs) == 0 {
				delete(ob.keys, k)
				ob.note(k)
			} else {
				ob.keys[k] = vs
			}
		}
	}
	for _, ob := range o.buckets {
		ob.trimOrder()
	}
	o.applied = slices.Clone(o.applied[i:])
}

func dropUpTo(vs []version, limit uint64) []version {
	i := 0
	for i < len(vs) && vs[i].seq <= limit {
		i++
	}
	if i == len(vs) {
		return nil
	}
	return vs[i:]
}

// journalTx is a transaction over the buckets as the overlay amends them.
// Its writes go to a write set (nil in a View) that Update journals.
type journalTx struct {
	btx  *bolt.Tx
	ov   *overlay
	head uint64
	ws   *writeSet
	bks  map[Bucket]*bolt.Bucket // the buckets opened so far
	// curs are cursors of bks, one per bucket, for Get: bbolt's own Get
	// allocates a cursor, and grows its stack, at every call.
	curs map[Bucket]*bolt.Cursor
}

func (t *journalTx) bucket(b Bucket) (*bolt.Bucket, error) {
	if bk := t.bks[b]; bk != nil {
		return bk, nil
	}
	bk := t.btx.Bucket([]byte(b))
	if bk == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownBucket, b)
	}
	if t.bks == nil {
		t.bks = make(map[Bucket]*bolt.Bucket, 8)
	}
	t.bks[b] = bk
	return bk, nil
}

func (t *journalTx) Get(b Bucket, key []byte) []byte {
	// The write set and the overlay hold only keys of buckets that exist.
	if t.ws != nil {
		if o := t.ws.get(b, key); o != nil {
			if o.kind == opDelete {
				return nil
			}
			return o.val
		}
	}
	if v, ok := t.ov.lookup(b, key, t.head); ok {
		if v.del {
			return nil
		}
		return v.val
	}
	bk, err := t.bucket(b)
	if err != nil {
		return nil
	}
	c := t.curs[b]
	if c == nil {
		if t.curs == nil {
			t.curs = make(map[Bucket]*bolt.Cursor, 8)
		}
		c = bk.Cursor()
		t.curs[b] = c
	}
	// As Bucket.Get: the value of key, nil for a key that is not there or
	// is a nested bucket's (Seek gives those nil values).
	if k, v := c.Seek(key); bytes.Equal(k, key) && k != nil {
		return v
	}
	return nil
}

func (t *journalTx) write(b Bucket, kind byte, key, value []byte) error {
	if t.ws == nil {
		return ErrReadOnly
	}
	if _, err := t.bucket(b); err != nil {
		return err
	}
	switch {
	case kind == opDelete && (len(key) == 0 || len(key) > bolt.MaxKeySize):
		return nil // no such key, as bbolt answers
	case len(key) == 0:
		return bolterrors.ErrKeyRequired
	case len(key) > bolt.MaxKeySize:
		return bolterrors.ErrKeyTooLarge
	case int64(len(value)) > bolt.MaxValueSize:
		return bolterrors.ErrValueTooLarge
	}
	if kind == opPut {
		// Kept until the record is applied, after the caller's transaction.
		value = t.ws.copyIn(value)
	}
	t.ws.set(b, kind, key, value)
	return nil
}

func (t *journalTx) Put(b Bucket, key, value []byte) error { return t.write(b, opPut, key, value) }

func (t *journalTx) Delete(b Bucket, key []byte) error { return t.write(b, opDelete, key, nil) }

func (t *journalTx) NextSequence(b Bucket) (uint64, error) {
	if t.ws == nil {
		return 0, ErrReadOnly
	}
	bk, err := t.bucket(b)
	if err != nil {
		return 0, err
	}
	wb := t.ws.bucket(b)
	cur := wb.seq
	if !wb.hasSeq {
		var ok bool
		if cur, ok = t.ov.sequence(b, t.head); !ok {
			cur = bk.Sequence()
		}
	}
	wb.seq, wb.hasSeq = cur+1, true
	return cur + 1, nil
}

func (t *journalTx) Writable() bool { return t.ws != nil }

// Scan merges the bucket's keys with the overlay's and the write set's.
func (t *journalTx) Scan(b Bucket, prefix, after []byte, fn func(k, v []byte) (bool, error)) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	upper := t.ov.scan(b, prefix, after, t.head)
	if t.ws != nil {
		if wb := t.ws.buckets[b]; wb != nil && len(wb.ops) > 0 {
			if wb.order == nil {
				wb.order = newOrder()
				for k := range wb.ops {
					wb.order.ReplaceOrInsert(k)
				}
			}
			var mine []scanItem
			inRange(wb.order, prefix, after, func(k string) {
				o := wb.ops[k]
				mine = append(mine, scanItem{key: o.key, val: o.val, del: o.kind == opDelete})
			})
			upper = mergeItems(mine, upper)
		}
	}
	c := bk.Cursor()
	k, v := seek(c, prefix, after)
	if k != nil && !bytes.HasPrefix(k, prefix) {
		k = nil
	}
	for k != nil || len(upper) > 0 {
		var yk, yv []byte
		switch cmp := compareNext(k, upper); {
		case cmp < 0: // the bucket's key comes first
			yk, yv = k, v
			k, v = c.Next()
		default: // the overlay's (or write set's) key, which may replace the bucket's
			if cmp == 0 {
				k, v = c.Next()
			}
			it := upper[0]
			upper = upper[1:]
			if it.del {
				yk = nil
			} else {
				yk, yv = it.key, it.val
			}
		}
		if k != nil && !bytes.HasPrefix(k, prefix) {
			k = nil
		}
		if yk == nil {
			continue
		}
		more, err := fn(yk, yv)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// compareNext compares the bucket's next key k (nil when done) with the
// first of upper: negative if k comes first, zero if they are equal.
func compareNext(k []byte, upper []scanItem) int {
	switch {
	case len(upper) == 0:
		return -1
	case k == nil:
		return 1
	}
	return bytes.Compare(k, upper[0].key)
}

// mergeItems merges two key-ordered lists; first wins on equal keys.
func mergeItems(first, second []scanItem) []scanItem {
	if len(second) == 0 {
		return first
	}
	out := make([]scanItem, 0, len(first)+len(second))
	for len(first) > 0 || len(second) > 0 {
		switch {
		case len(second) == 0:
			return append(out, first...)
		case len(first) == 0:
			return append(out, second...)
		}
		switch c := bytes.Compare(first[0].key, second[0].key); {
		case c < 0:
			out = append(out, first[0])
			first = first[1:]
		case c > 0:
			out = append(out, second[0])
			second = second[1:]
		default:
			out = append(out, first[0])
			first, second = first[1:], second[1:]
		}
	}
	return out
}
