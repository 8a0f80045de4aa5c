package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The journal's files: a directory beside the database file (its path with
// ".journal" added) holding segments named by the sequence number they
// start at, in 16 hex digits with ".seg". A segment is a header - the magic
// "OVJ1" and the database's 16-byte journal id, so that a segment is never
// applied to another database (such as a restored backup) - followed by
// frames: the payload's length (4 bytes), its CRC-32C (4 bytes), and the
// payload: the record's sequence number (8 bytes) and its encoding, and
// then, in a segment made from a spare, the zeros it was prepared with.
// Sequence numbers rise by one from frame to frame. A frame that a crash
// cut short can only be the last of the last segment: it was never
// acknowledged, and opening the database read-write drops it with the
// segment once everything before it is applied.

const (
	journalMagic  = "OVJ1"
	journalIDLen  = 16
	headerLen     = len(journalMagic) + journalIDLen
	frameHeadLen  = 8
	segmentSuffix = ".seg"
	// segmentBytes is the size after which appends start a new segment, so
	// that applied segments can be deleted while intake goes on.
	segmentBytes = 16 << 20
	// maxRecord bounds one Update's writes (the frame's length is 32 bits).
	maxRecord = 1 << 30
	// spareName is the segment being prepared: segmentBytes of zeros,
	// written and fsynced in the background once the current segment holds
	// prepareAt bytes, and renamed when a new segment starts. Appends then
	// overwrite blocks the file already has, and fdatasync has no size to
	// record (measured: ~10% more ballots per second than appends that grow
	// the file).
	spareName = "spare.tmp"
	prepareAt = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrJournal means the journal's files cannot be used with the database.
var ErrJournal = errors.New("store: journal")

// JournalDir returns the directory of the journal of the database file at
// path.
func JournalDir(path string) string { return path + ".journal" }

type segment struct {
	path  string
	first uint64 // the first sequence number it may hold
	last  uint64 // the last one it holds; first-1 while empty
}

// journalFile appends records to the current segment and deletes segments
// once they are applied.
type journalFile struct {
	dir string
	id  []byte

	mu      sync.Mutex
	cond    *sync.Cond // on mu: signalled when synced grows or the journal breaks
	segs    []segment  // in order; the last is being appended to
	f       *os.File   // the last segment
	size    int64
	last    uint64           // the last record written
	synced  uint64           // the last record known durable
	durable func(seq uint64) // told of synced as it grows, under mu
	broken  error            // a write or sync failed and could not be undone
	// stopped: broken from outside (stop), the segment itself sound. Frames
	// written before are still fsynced and acknowledged when asked for: the
	// next open applies them, so a refusal would be untrue.
	stopped bool
	failed  chan struct{} // closed when broken by ErrWriteFailed
	written int64         // pages written (4 KiB units) since open
	buf     []byte

	// The spare segment (see spareName).
	spare     *os.File  // ready, or nil
	spareErr  time.Time // when making one last failed (a full disk, say): not again for a minute
	preparing bool
	prep      sync.WaitGroup
	zeroed    bool // the current segment was a spare

	syncMu sync.Mutex // held by the one syncer fdatasyncing
	syncer syncer     // fdatasyncs without holding a processor (nil: not on this system)

	// syncFile, when set (by tests), stands for the fdatasync of a
	// segment in sync, to fail as a disk can.
	syncFile func(*os.File) error
	// writeFrame, when set (by tests), stands for the write of a frame in
	// write, to fail as a full disk can.
	writeFrame func(f *os.File, b []byte, off int64) (int, error)
}

// journalRead is what readJournalDir found.
type journalRead struct {
	segs []segment
	recs []*record // every readable record, in order
}

func segmentName(first uint64) string { return fmt.Sprintf("%016x%s", first, segmentSuffix) }

// readJournalDir reads every segment in dir, checking that they belong to
// the database with journal id id and that sequence numbers follow each
// other.
func readJournalDir(dir string, id []byte) (journalRead, error) {
	var jr journalRead
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return jr, nil
	}
	if err != nil {
		return jr, err
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), segmentSuffix) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for i, name := range names {
		path := filepath.Join(dir, name)
		first, err := strconv.ParseUint(strings.TrimSuffix(name, segmentSuffix), 16, 64)
		if err != nil {
			return jr, fmt.Errorf("%w: %s is not a segment name", ErrJournal, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return jr, err
		}
		if len(data) < headerLen || string(data[:len(journalMagic)]) != journalMagic {
			// A segment's header is fsynced before any record is written
			// to it: the last segment, created (or renamed from the spare)
			// when a crash came, may lack it, with nothing after it.
			if i == len(names)-1 && (len(data) < headerLen || allZero(data[headerLen:])) {
				jr.segs = append(jr.segs, segment{path: path, first: first, last: first - 1})
				continue
			}
			return jr, fmt.Errorf("%w: %s is not a journal segment", ErrJournal, path)
		}
		if !bytes.Equal(data[len(journalMagic):headerLen], id) {
			return jr, fmt.Errorf("%w: %s belongs to another database (was a backup restored over this one? move %s aside)", ErrJournal, path, dir)
		}
		seg := segment{path: path, first: first, last: first - 1}
		off := int64(headerLen)
		for rest := data[headerLen:]; len(rest) > 0; {
			r, n, ok := readFrame(rest)
			if !ok {
				// A segment ends where no frame can be read and nothing
				// follows: the zeros it was prepared with, or the frame a
				// crash cut short (every acknowledged frame was fsynced
				// before the next was written, so only the last can be).
				// Anything else is damage, and the journal is left as it
				// is for a person to look at. (A segment cut short before
				// the last would show as a gap.)
				if notTheEnd(rest, seg.last+1) {
					return jr, fmt.Errorf("%w: %s is damaged at offset %d (written records follow it); acknowledged writes may be in it, so it is left as it is",
						ErrJournal, path, off)
				}
				break
			}
			if r.seq != seg.last+1 {
				return jr, fmt.Errorf("%w: %s holds record %d after %d", ErrJournal, path, r.seq, seg.last)
			}
			seg.last = r.seq
			jr.recs = append(jr.recs, r)
			rest, off = rest[n:], off+int64(n)
		}
		jr.segs = append(jr.segs, seg)
	}
	return jr, nil
}

func allZero(b []byte) bool {
	return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 })
}

// notTheEnd reports whether the unreadable frame at the start of rest is
// damage rather than the end of the journal. Only the last frame can have
// been cut short by a crash: every frame is fsynced before the next is
// written, and a segment is prepared as zeros (or ends at its last write).
//
// Where the frame's length fits the segment, a crash cut the frame short
// within that length, and nothing but zeros follows it: anything else after
// it is damage - the next frame, or the rest of a frame whose length was
// damaged to a shorter one.
//
// Nor is a frame whose length was damaged to a larger one that still fits
// (a segment prepared as zeros has room for one bit flipped there, and the
// frames that follow are then within it): its payload, read to a shorter
// length, is its record, checksum and all, which a frame cut short is not.
// A frame's own bytes are not searched for frames: a record's value may
// hold bytes shaped like one.
//
// Where the length does not fit (a length damaged to a larger one, or a
// first page that never reached the disk), any readable frame of the
// unreadable frame's record (seq) or a later one, anywhere after its first
// byte, is damage: after two damaged frames in a row, or a lost page of
// several frames, too.
func notTheEnd(rest []byte, seq uint64) bool {
	if len(rest) >= frameHeadLen {
		if n := int(binary.BigEndian.Uint32(rest)); n >= 8 && n <= len(rest)-frameHeadLen {
			return !allZero(rest[frameHeadLen+n:]) || shorterFrame(rest, n, seq)
		}
	}
	for i := 1; i+frameHeadLen+8 <= len(rest); i++ {
		if rest[i] == 0 && rest[i+1] == 0 && rest[i+2] == 0 && rest[i+3] == 0 {
			// A frame's length is never zero: skip to the zeros' end.
			nz := slices.IndexFunc(rest[i:], func(c byte) bool { return c != 0 })
			if nz < 0 {
				return false
			}
			i += max(nz-4, 0)
			continue
		}
		// The sequence number first: it rules out almost every offset
		// without a checksum.
		if n := binary.BigEndian.Uint64(rest[i+frameHeadLen:]); n < seq || n-seq > maxSeqAhead {
			continue
		}
		if _, _, ok := readFrame(rest[i:]); ok {
			return true
		}
	}
	return false
}

// shorterFrame reports whether the frame at the start of rest, of stated
// length n, is a readable frame of record seq at a shorter length: its
// length was damaged. (One checksum per length, kept as it goes.)
func shorterFrame(rest []byte, n int, seq uint64) bool {
	payload := rest[frameHeadLen : frameHeadLen+n]
	if binary.BigEndian.Uint64(payload) != seq {
		return false
	}
	want := binary.BigEndian.Uint32(rest[4:])
	sum := crc32.Update(0, castagnoli, payload[:8])
	for m := 9; m < n; m++ {
		sum = crc32.Update(sum, castagnoli, payload[m-1:m])
		if sum == want {
			if _, err := decodeRecord(seq, payload[8:m]); err == nil {
				return true
			}
		}
	}
	return false
}

// maxSeqAhead bounds how far past the unreadable frame notTheEnd looks
// for record numbers: far more records than a segment holds.
const maxSeqAhead = 1 << 32

// readFrame decodes the frame at the start of data and returns its length.
func readFrame(data []byte) (*record, int, bool) {
	if len(data) < frameHeadLen {
		return nil, 0, false
	}
	n := int(binary.BigEndian.Uint32(data))
	if n < 8 || n > len(data)-frameHeadLen {
		return nil, 0, false
	}
	payload := data[frameHeadLen : frameHeadLen+n]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(data[4:]) {
		return nil, 0, false
	}
	r, err := decodeRecord(binary.BigEndian.Uint64(payload), payload[8:])
	if err != nil {
		return nil, 0, false
	}
	return r, frameHeadLen + n, true
}

// openJournalFile starts a new segment for records from next on, after the
// segments segs that are kept until they are applied.
// slower, if not nil, is told why the journal fdatasyncs in a slower way
// than through io_uring (at open, or later when the kernel refuses the
// way it took).
func openJournalFile(dir string, id []byte, segs []segment, next uint64, durable func(uint64), slower func(error)) (*journalFile, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		// The directory's own entry must be durable too.
		if err := SyncDir(filepath.Dir(dir)); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	// A spare a crash interrupted is made again when needed.
	if err := os.Remove(filepath.Join(dir, spareName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	j := &journalFile{dir: dir, id: id, segs: segs, last: next - 1, synced: next - 1, durable: durable, failed: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	if err := j.startSegment(next); err != nil {
		return nil, err
	}
	// Without io_uring (a container's seccomp profile, an old kernel),
	// AIO or a blocking fdatasync does the same, only at some cost in
	// throughput.
	var why error
	if j.syncer, why = newSyncer(slower); why != nil && slower != nil {
		slower(why)
	}
	return j, nil
}

// syncer fdatasyncs a file without holding a processor while the disk
// works (uringSyncer, aioSyncer).
type syncer interface {
	// fdatasync's used is false when the syncer could not be used: the
	// caller then fdatasyncs f itself.
	fdatasync(f *os.File) (used bool, err error)
	close()
}

// newURing and newAIO make the syncers newSyncer tries (tests replace
// them, to stand for a system that refuses one).
var newURing, newAIO = newURingSyncer, newAIOSyncer

// newSyncer returns the first syncer this system offers, io_uring's then
// Linux AIO's, or nil for blocking calls; why says why it is not
// io_uring's, where the system has io_uring. gaveUp is told why the
// syncer gives up later.
func newSyncer(gaveUp func(error)) (s syncer, why error) {
	u, uerr := newURing(gaveUp)
	if uerr == nil {
		return u, nil
	}
	a, aerr := newAIO(gaveUp)
	switch {
	case aerr == nil:
		return a, fmt.Errorf("fdatasync through Linux AIO: %w", uerr)
	case errors.Is(uerr, errors.ErrUnsupported) && errors.Is(aerr, errors.ErrUnsupported):
		return nil, nil // not Linux: blocking calls are the way
	default:
		return nil, fmt.Errorf("blocking fdatasync: %w", errors.Join(uerr, aerr))
	}
}

// startSegment creates the segment for records from first on (from the
// spare when one is ready) and makes its existence durable before anything
// is written to it.
func (j *journalFile) startSegment(first uint64) error {
	if n := len(j.segs); n > 0 && j.segs[n-1].first == first && j.f != nil {
		// The segment for this very record was started already, and the
		// record's write failed and was cut off: the segment holds its
		// header alone and is written to again as it is. (A spare renamed
		// over it would unlink the file being written; a failure after
		// that would leave the journal writing into a deleted file, and
		// its entry behind, for release to remove the new one.)
		return nil
	}
	path := filepath.Join(j.dir, segmentName(first))
	f, zeroed := j.spare, true
	j.spare = nil
	if f == nil || os.Rename(filepath.Join(j.dir, spareName), path) != nil {
		if f != nil {
			f.Close()
		}
		var err error
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return err
		}
		zeroed = false
	}
	hdr := append([]byte(journalMagic), j.id...)
	_, err := f.WriteAt(hdr, 0)
	if err == nil {
		err = fdatasync(f)
	}
	if err == nil {
		err = SyncDir(j.dir)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f, j.size, j.zeroed = f, int64(len(hdr)), zeroed
	j.segs = append(j.segs, segment{path: path, first: first, last: first - 1})
	j.written++
	return nil
}

// prepareSpare starts making the spare segment in the background, unless
// one is ready or being made. j.mu is held.
func (j *journalFile) prepareSpare() {
	if j.spare != nil || j.preparing || j.broken != nil || time.Since(j.spareErr) < time.Minute {
		return
	}
	j.preparing = true
	j.prep.Add(1)
	go func() {
		defer j.prep.Done()
		path := filepath.Join(j.dir, spareName)
		f, err := zeroFile(path, segmentBytes)
		j.mu.Lock()
		defer j.mu.Unlock()
		j.preparing = false
		switch {
		case err != nil:
			// The next segment grows as it is written instead.
			j.spareErr = time.Now()
		case j.broken != nil:
			f.Close()
			os.Remove(path)
		default:
			j.spare = f
			j.written += segmentBytes / 4096
		}
	}()
}

// zeroFile creates the file at path with size zeros, fsynced.
func zeroFile(path string, size int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	zeros := make([]byte, 1<<20)
	for off := int64(0); off < size && err == nil; off += int64(len(zeros)) {
		_, err = f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off)
	}
	if err == nil {
		err = fdatasync(f)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// write appends r's frame to the journal without syncing it, once every
// frame before it is durable: at most one frame is ever unsynced, so a
// crash can cut short only the last. A failed write is cut off again; if
// that fails too, the journal refuses every further write, since a record
// after a damaged one could not be read back.
func (j *journalFile) write(r *record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.broken == nil && j.synced < j.last {
		j.cond.Wait()
	}
	if j.broken != nil {
		return j.broken
	}
	// A new segment when this one is full, or as soon as a spare is ready
	// while this one grows as it is written. If it cannot be made (a full
	// disk; or a failing one, whose next fdatasync will say so) nothing of
	// the record is written, and a later write tries again.
	if j.size >= segmentBytes || (!j.zeroed && j.spare != nil) {
		if err := j.startSegment(r.seq); err != nil {
			return fmt.Errorf("%w: journal: new segment: %w", ErrUnavailable, err)
		}
	}
	j.buf = binary.BigEndian.AppendUint32(j.buf[:0], 0)
	j.buf = binary.BigEndian.AppendUint32(j.buf, 0)
	j.buf = binary.BigEndian.AppendUint64(j.buf, r.seq)
	j.buf = r.appendEncoding(j.buf)
	payload := j.buf[frameHeadLen:]
	if len(payload) > maxRecord {
		j.buf = nil
		return fmt.Errorf("store: one transaction writes %d bytes, more than the %d a journal record holds", len(payload), maxRecord)
	}
	binary.BigEndian.PutUint32(j.buf, uint32(len(payload)))
	binary.BigEndian.PutUint32(j.buf[4:], crc32.Checksum(payload, castagnoli))
	writeAt := j.f.WriteAt
	if j.writeFrame != nil {
		writeAt = func(b []byte, off int64) (int, error) { return j.writeFrame(j.f, b, off) }
	}
	if _, err := writeAt(j.buf, j.size); err != nil {
		if terr := j.f.Truncate(j.size); terr != nil {
			j.stopped = false
			j.fail(fmt.Errorf("%w: journal write failed (%w) and could not be undone (%w)", ErrWriteFailed, err, terr))
			return j.broken
		}
		return fmt.Errorf("%w: journal write: %w", ErrUnavailable, err)
	}
	end := j.size + int64(len(j.buf))
	j.written += (end-1)/4096 - j.size/4096 + 1
	j.size = end
	j.segs[len(j.segs)-1].last = r.seq
	j.last = r.seq
	if cap(j.buf) > 1<<20 {
		j.buf = nil
	}
	if j.size >= prepareAt {
		j.prepareSpare()
	}
	return nil
}

// sync makes the frames up to seq durable and reports them to durable,
// under the journal's lock, so that nothing (Close, a backup) finds a
// frame synced that the store does not yet treat as durable. After a
// failed fdatasync the kernel may have dropped the unwritten pages, so
// nothing written since can be trusted: the journal refuses every further
// write.
func (j *journalFile) sync(seq uint64) error {
	if done, err := j.syncedTo(seq); done {
		return err
	}
	// One fdatasync at a time: a syncer that waited for another finds its
	// record synced by it more often than not.
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if done, err := j.syncedTo(seq); done {
		return err
	}
	// No rotation while a frame is unsynced, so f stays open.
	j.mu.Lock()
	f := j.f
	j.mu.Unlock()
	err := j.fdatasync(f)
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil {
		// The disk's own failure: the kernel may have dropped the pages,
		// and a retry's success would prove nothing. Nothing unsynced is
		// acknowledged any more, stopped or not.
		j.stopped = false
		j.fail(fmt.Errorf("%w: journal fdatasync failed: %w", ErrWriteFailed, err))
		return j.broken
	}
	j.synced = seq
	if j.durable != nil {
		j.durable(seq)
	}
	j.cond.Broadcast()
	return nil
}

// fdatasync fdatasyncs a segment, through its syncer where it can.
func (j *journalFile) fdatasync(f *os.File) error {
	if j.syncFile != nil {
		return j.syncFile(f)
	}
	used := false
	var err error
	if j.syncer != nil {
		used, err = j.syncer.fdatasync(f)
	}
	if !used {
		err = fdatasync(f)
	}
	return err
}

// syncedTo tells whether sync(seq) has nothing to do, and with what error.
func (j *journalFile) syncedTo(seq uint64) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.synced >= seq:
		return true, nil
	case j.broken != nil && !(j.stopped && seq <= j.last):
		return true, j.broken
	}
	return false, nil
}

// fail breaks the journal and wakes writers waiting on it; a failure of
// the disk (not the journal's close) is told to failed.
func (j *journalFile) fail(err error) {
	if j.broken == nil {
		j.broken = err
		if errors.Is(err, ErrWriteFailed) {
			close(j.failed)
		}
	}
	j.cond.Broadcast()
}

// stop refuses every later write with err, as a failed write of the
// journal's own does.
func (j *journalFile) stop(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.broken == nil {
		j.stopped = true
	}
	j.fail(err)
}

// quiesce waits until no written frame is unsynced (or the journal broke).
func (j *journalFile) quiesce() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.broken == nil && j.synced < j.last {
		j.cond.Wait()
	}
}

// release deletes the segments whose records are all applied, except the
// one being appended to.
func (j *journalFile) release(applied uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var errs []error
	removed := false
	for len(j.segs) > 1 && j.segs[0].last <= applied {
		if err := os.Remove(j.segs[0].path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			break
		}
		j.segs, removed = j.segs[1:], true
	}
	if removed {
		errs = append(errs, SyncDir(j.dir))
	}
	return errors.Join(errs...)
}

// close closes the current segment and, when every record is applied,
// deletes all segments.
func (j *journalFile) close(allApplied bool) error {
	j.prep.Wait() // no write starts another meanwhile: the store is closing
	// No fdatasync is under way on the segment closed here: a journal
	// stopped from outside (Bolt.apply) may still have one in flight.
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.spare != nil {
		j.spare.Close()
		os.Remove(filepath.Join(j.dir, spareName))
		j.spare = nil
	}
	err := j.f.Close()
	if allApplied && err == nil {
		for _, s := range j.segs {
			if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = rerr
			}
		}
		j.segs = nil
		if err == nil {
			err = SyncDir(j.dir)
		}
	}
	j.fail(errors.New("store: journal closed"))
	if j.syncer != nil {
		j.syncer.close()
	}
	return err
}

func (j *journalFile) pagesWritten() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.written
}

// SyncDir fsyncs a directory, so that files created, renamed or removed in
// it stay so after a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
