package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// crash stops b as a killed process would: nothing more is applied, the
// journal's segments stay.
func (b *Bolt) crash(t *testing.T) {
	t.Helper()
	b.closeOnce.Do(func() {
		close(b.stop)
		b.applierWG.Wait()
		if b.journal != nil {
			b.journal.prep.Wait() // not what a crash does, but the test's files stay put
			b.journal.f.Close()
		}
		if err := b.db.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// stopped tells whether b has stopped taking writes (Failed is closed).
func stopped(b *Bolt) bool {
	select {
	case <-b.Failed():
		return true
	default:
		return false
	}
}

// wantStopped checks that b stopped taking writes, for a failure wrapping
// cause (ErrWriteFailed, Failed closed, WriteErr, Update refused).
func wantStopped(t *testing.T, b *Bolt, cause error, after string) {
	t.Helper()
	if !stopped(b) {
		t.Errorf("Failed is not closed %s", after)
	}
	if err := b.WriteErr(); !errors.Is(err, ErrWriteFailed) || !errors.Is(err, cause) {
		t.Errorf("WriteErr %s = %v, want ErrWriteFailed wrapping %v", after, err, cause)
	}
	// A later Update is refused before its function runs.
	ran := false
	if err := b.Update(context.Background(), func(Tx) error { ran = true; return nil }); ran || !errors.Is(err, ErrWriteFailed) {
		t.Errorf("Update %s: ran %v, %v; want ErrWriteFailed without running", after, ran, err)
	}
}

func openJournaled(t *testing.T, path string, ro bool) *Bolt {
	t.Helper()
	b, err := OpenBolt(path, BoltOptions{ReadOnly: ro})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func put(t *testing.T, b *Bolt, bucket Bucket, kv ...string) {
	t.Helper()
	err := b.Update(context.Background(), func(tx Tx) error {
		for i := 0; i < len(kv); i += 2 {
			if err := tx.Put(bucket, []byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, b *Bolt, bucket Bucket, key string) string {
	t.Helper()
	var v []byte
	b.View(context.Background(), func(tx Tx) error {
		v = bytes.Clone(tx.Get(bucket, []byte(key)))
		return nil
	})
	return string(v)
}

func TestJournalReplayAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	if err := b.apply(); err != nil {
		t.Fatal(err)
	}
	put(t, b, Units, "a", "2", "b", "1")
	put(t, b, Units, "c", "1")
	b.crash(t)
	if n := len(mustGlob(t, JournalDir(path))); n == 0 {
		t.Fatal("no journal segment after the crash")
	}

	// Read-only, the unapplied writes are read from the journal, and the
	// file is not changed.
	ro := openJournaled(t, path, true)
	for k, want := range map[string]string{"a": "2", "b": "1", "c": "1"} {
		if got := get(t, ro, Units, k); got != want {
			t.Errorf("read-only after crash: %s = %q, want %q", k, got, want)
		}
	}
	if _, err := ro.Backup(context.Background(), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "unapplied") {
		t.Errorf("read-only Backup with an unapplied journal = %v, want a refusal", err)
	}
	if n := ro.Unapplied(); n != 3 {
		t.Errorf("read-only after crash: Unapplied = %d, want the 3 writes", n)
	}
	ro.Close()

	rw := openJournaled(t, path, false)
	for k, want := range map[string]string{"a": "2", "b": "1", "c": "1"} {
		if got := get(t, rw, Units, k); got != want {
			t.Errorf("after replay: %s = %q, want %q", k, got, want)
		}
	}
	// Replayed writes are in the buckets themselves.
	rw.db.View(func(btx *bolt.Tx) error {
		if got := string(btx.Bucket([]byte(Units)).Get([]byte("c"))); got != "1" {
			t.Errorf("bucket after replay: c = %q", got)
		}
		return nil
	})
	put(t, rw, Units, "d", "1")
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(mustGlob(t, JournalDir(path))); n != 0 {
		t.Errorf("%d journal segments after a clean close, want none", n)
	}
	again := openJournaled(t, path, true)
	if got := get(t, again, Units, "d"); got != "1" {
		t.Errorf("after clean close and reopen: d = %q", got)
	}
}

func mustGlob(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segmentSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestJournalTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	put(t, b, Units, "b", "1")
	b.crash(t)
	segs := mustGlob(t, JournalDir(path))
	last := segs[len(segs)-1]
	// A frame the crash cut short: a length, half a checksum.
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1, 0, 0xab})
	f.Close()
	rw := openJournaled(t, path, false)
	if get(t, rw, Units, "a") != "1" || get(t, rw, Units, "b") != "1" {
		t.Error("records before a torn frame were lost")
	}
	put(t, rw, Units, "c", "1")
	rw.crash(t)
	rw = openJournaled(t, path, false)
	if get(t, rw, Units, "c") != "1" {
		t.Error("a record written after recovering from a torn frame was lost")
	}
}

func TestJournalRefusesForeignOrDamagedSegments(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, keys ...string) string {
		path := filepath.Join(dir, name)
		b := openJournaled(t, path, false)
		for _, k := range keys {
			put(t, b, Units, k, "1")
		}
		b.crash(t)
		return path
	}
	t.Run("another database's journal", func(t *testing.T) {
		a, other := mk("a.db", "x"), mk("b.db", "y")
		if err := os.RemoveAll(JournalDir(a)); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(JournalDir(other), JournalDir(a)); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenBolt(a, BoltOptions{}); !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "another database") {
			t.Errorf("OpenBolt with another database's journal = %v", err)
		}
	})
	t.Run("damage before the last frame", func(t *testing.T) {
		path := mk("c.db", "1", "2", "3")
		seg := mustGlob(t, JournalDir(path))[0]
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		data[headerLen+frameHeadLen+9] ^= 1 // inside the first frame's payload
		// With a second segment after it, the damage cannot be a torn end.
		os.WriteFile(seg, data, 0o600)
		next := filepath.Join(JournalDir(path), segmentName(100))
		os.WriteFile(next, data[:headerLen], 0o600)
		if _, err := OpenBolt(path, BoltOptions{}); !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("OpenBolt with a damaged segment = %v", err)
		}
	})
	t.Run("a gap after the applied records", func(t *testing.T) {
		path := mk("d.db", "1", "2", "3")
		seg := mustGlob(t, JournalDir(path))[0]
		if err := os.Rename(seg, filepath.Join(JournalDir(path), segmentName(7))); err != nil {
			t.Fatal(err)
		}
		_, err := OpenBolt(path, BoltOptions{})
		if !errors.Is(err, ErrJournal) {
			t.Errorf("OpenBolt with a journal that does not follow the database = %v", err)
		}
	})
}

// A View sees one moment: writes committed after it began stay invisible
// to it, even when they are applied and dropped from memory meanwhile.
func TestJournalViewIsASnapshot(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	ctx := context.Background()
	// bbolt cannot grow its map while a read transaction is open, so the
	// file is grown first: the applies below reuse the freed pages.
	big := bytes.Repeat([]byte{'x'}, 1<<20)
	for _, op := range []func(tx Tx, k []byte) error{
		func(tx Tx, k []byte) error { return tx.Put(Owners, k, big) },
		func(tx Tx, k []byte) error { return tx.Delete(Owners, k) },
	} {
		err := b.Update(ctx, func(tx Tx) error {
			for i := range 8 {
				if err := op(tx, []byte{byte(i + 1)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.apply(); err != nil {
			t.Fatal(err)
		}
	}
	put(t, b, Units, "k", "old", "gone", "here")
	started, proceed, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- b.View(ctx, func(tx Tx) error {
			close(started)
			<-proceed
			if got := string(tx.Get(Units, []byte("k"))); got != "old" {
				return fmt.Errorf("Get(k) = %q, want old", got)
			}
			if got := tx.Get(Units, []byte("gone")); string(got) != "here" {
				return fmt.Errorf("Get(gone) = %q, want here", got)
			}
			var keys []string
			tx.Scan(Units, nil, nil, func(k, _ []byte) (bool, error) { keys = append(keys, string(k)); return true, nil })
			if !slices.Equal(keys, []string{"gone", "k"}) {
				return fmt.Errorf("Scan = %q, want [gone k]", keys)
			}
			return nil
		})
	}()
	<-started
	for i := range 3 {
		err := b.Update(ctx, func(tx Tx) error {
			tx.Delete(Units, []byte("gone"))
			tx.Put(Units, []byte("new"), []byte("1"))
			return tx.Put(Units, []byte("k"), []byte(fmt.Sprint("new", i)))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.apply(); err != nil {
			t.Fatal(err)
		}
	}
	close(proceed)
	if err := <-done; err != nil {
		t.Error(err)
	}
	if got := get(t, b, Units, "k"); got != "new2" {
		t.Errorf("after the View: k = %q", got)
	}
}

// TestJournalAgainstModel runs random writes, scans and sequences through
// Updates, with applies, crashes and reopenings in between, and compares
// every read with a plain map.
func TestJournalAgainstModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string]string{}
	var seq uint64
	keys := func() []string {
		var ks []string
		for k := range model {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	ctx := context.Background()
	for step := range 600 {
		switch rng.IntN(20) {
		case 0:
			if err := b.apply(); err != nil {
				t.Fatal(err)
			}
			continue
		case 1:
			b.crash(t)
			b = openJournaled(t, path, false)
			continue
		case 2:
			b.Close()
			b = openJournaled(t, path, false)
			continue
		}
		mine := map[string]string{}
		for k, v := range model {
			mine[k] = v
		}
		mySeq := seq
		fail := rng.IntN(10) == 0
		err := b.Update(ctx, func(tx Tx) error {
			for range 1 + rng.IntN(6) {
				k := fmt.Sprintf("p%d/%02d", rng.IntN(3), rng.IntN(30))
				switch rng.IntN(4) {
				case 0:
					if err := tx.Delete(Units, []byte(k)); err != nil {
						return err
					}
					delete(mine, k)
				case 1:
					n, err := tx.NextSequence(Units)
					if err != nil {
						return err
					}
					if mySeq++; n != mySeq {
						return fmt.Errorf("step %d: NextSequence = %d, want %d", step, n, mySeq)
					}
				default:
					v := fmt.Sprint(step, "-", rng.IntN(1000))
					if err := tx.Put(Units, []byte(k), []byte(v)); err != nil {
						return err
					}
					mine[k] = v
				}
				if err := checkScan(tx, mine, fmt.Sprintf("p%d/", rng.IntN(3)), rng); err != nil {
					return fmt.Errorf("step %d, inside the Update: %w", step, err)
				}
			}
			if fail {
				return errors.New("rolled back")
			}
			return nil
		})
		if fail {
			if err == nil || err.Error() != "rolled back" {
				t.Fatalf("step %d: failing Update = %v", step, err)
			}
		} else if err != nil {
			t.Fatal(err)
		} else {
			model, seq = mine, mySeq
		}
		err = b.View(ctx, func(tx Tx) error {
			for _, k := range keys() {
				if got := string(tx.Get(Units, []byte(k))); got != model[k] {
					return fmt.Errorf("step %d: Get(%s) = %q, want %q", step, k, got, model[k])
				}
			}
			return checkScan(tx, model, fmt.Sprintf("p%d/", rng.IntN(3)), rng)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkScan compares a Scan of prefix, from a random key on, with model.
func checkScan(tx Tx, model map[string]string, prefix string, rng *rand.Rand) error {
	var after []byte
	if rng.IntN(2) == 0 {
		after = []byte(fmt.Sprintf("%s%02d", prefix, rng.IntN(30)))
	}
	var want []string
	for k, v := range model {
		if strings.HasPrefix(k, prefix) && (after == nil || k > string(after)) {
			want = append(want, k+"="+v)
		}
	}
	slices.Sort(want)
	var got []string
	err := tx.Scan(Units, []byte(prefix), after, func(k, v []byte) (bool, error) {
		got = append(got, string(k)+"="+string(v))
		return true, nil
	})
	if err != nil {
		return err
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("Scan(%q after %q) = %q, want %q", prefix, after, got, want)
	}
	return nil
}

// damagedFirstRecord writes three records to a new database at path and
// crashes it, then flips a bit inside the first record's frame in the
// journal, two good ones following. It returns the segment and its bytes
// as they now are.
func damagedFirstRecord(t *testing.T, path string) (seg string, data []byte) {
	t.Helper()
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	put(t, b, Units, "b", "2")
	put(t, b, Units, "c", "3")
	b.crash(t)
	seg = mustGlob(t, JournalDir(path))[0]
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	data[headerLen+frameHeadLen+9] ^= 1
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return seg, data
}

func TestJournalDamageBeforeTheEndIsNotATornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	seg, data := damagedFirstRecord(t, path)
	for _, ro := range []bool{false, true} {
		if _, err := OpenBolt(path, BoltOptions{ReadOnly: ro}); !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("OpenBolt(read-only %v) with a damaged first record = %v, want ErrJournal", ro, err)
		}
	}
	if after, _ := os.ReadFile(seg); !bytes.Equal(after, data) {
		t.Error("the damaged segment was changed or removed")
	}
}

// Damage that reads like a torn end at first sight - a garbage length, a
// length that ends inside the next frame, a lost page of several frames,
// two damaged frames in a row - is refused, not taken for the end with the
// acknowledged records after it dropped (and their segment removed).
func TestJournalDamageThatLooksLikeATornEnd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(data []byte, offs []int)
	}{
		{"a garbage length", func(data []byte, offs []int) {
			binary.BigEndian.PutUint32(data[offs[1]:], 0x7fffffff)
		}},
		{"a length that ends inside the next frame", func(data []byte, offs []int) {
			binary.BigEndian.PutUint32(data[offs[1]:], binary.BigEndian.Uint32(data[offs[1]:])+4)
		}},
		{"a length that ends past the next frame", func(data []byte, offs []int) {
			binary.BigEndian.PutUint32(data[offs[1]:], uint32(offs[3]-offs[1]-frameHeadLen))
		}},
		{"two frames zeroed", func(data []byte, offs []int) {
			clear(data[offs[1]:offs[3]])
		}},
		{"two damaged frames in a row", func(data []byte, offs []int) {
			data[offs[1]+frameHeadLen+9] ^= 1
			data[offs[2]+frameHeadLen+9] ^= 1
		}},
		{"a length that ends in the zeros after the last frame", func(data []byte, offs []int) {
			// (One bit flipped in a length can do it: the frames that
			// follow are then inside the length, and zeros after it.)
			binary.BigEndian.PutUint32(data[offs[1]:], uint32(len(data)-offs[1]-frameHeadLen-16))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j.db")
			b := openJournaled(t, path, false)
			for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
				put(t, b, Units, k, strings.Repeat("v", 40))
			}
			b.crash(t)
			seg := mustGlob(t, JournalDir(path))[0]
			data, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			var offs []int
			for off := headerLen; ; {
				_, n, ok := readFrame(data[off:])
				if !ok {
					break
				}
				offs = append(offs, off)
				off += n
			}
			if len(offs) != 5 {
				t.Fatalf("test setup: %d frames in the segment, want 5", len(offs))
			}
			// As a segment prepared as zeros is (the spare).
			data = append(data, make([]byte, 1<<20)...)
			tc.damage(data, offs)
			if err := os.WriteFile(seg, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenBolt(path, BoltOptions{}); !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("OpenBolt = %v, want ErrJournal: damaged", err)
			}
			if after, _ := os.ReadFile(seg); !bytes.Equal(after, data) {
				t.Error("the damaged segment was changed or removed")
			}
		})
	}
}

func TestJournalAppliedSegmentsThatComeBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	rotate := func(next uint64) {
		b.journal.mu.Lock()
		defer b.journal.mu.Unlock()
		if err := b.journal.startSegment(next); err != nil {
			t.Fatal(err)
		}
	}
	put(t, b, Units, "a", "1") // record 1
	put(t, b, Units, "b", "1") // record 2
	first := mustGlob(t, JournalDir(path))[0]
	kept, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	rotate(3)
	put(t, b, Units, "c", "1") // record 3
	rotate(4)
	put(t, b, Units, "d", "1") // record 4
	if err := b.apply(); err != nil {
		t.Fatal(err)
	}
	if n := len(mustGlob(t, JournalDir(path))); n != 1 {
		t.Fatalf("%d segments after applying, want the current one only", n)
	}
	put(t, b, Units, "e", "1") // record 5
	b.crash(t)
	// The crash loses the first deletion but not the second: a gap among
	// applied records, then the unapplied one.
	if err := os.WriteFile(first, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	rw := openJournaled(t, path, false)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if get(t, rw, Units, k) != "1" {
			t.Errorf("%s lost", k)
		}
	}
}

func TestJournalReadOnlyValuesDoNotShareMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1", "b", "2")
	b.crash(t)
	ro := openJournaled(t, path, true)
	ro.View(context.Background(), func(tx Tx) error {
		v := tx.Get(Units, []byte("a"))
		if cap(v) != len(v) {
			t.Errorf("a value read from the journal has room to grow (len %d, cap %d)", len(v), cap(v))
		}
		_ = append(v, 'X')
		if got := string(tx.Get(Units, []byte("b"))); got != "2" {
			t.Errorf("b = %q after appending to a's value", got)
		}
		return nil
	})
}

// An apply that fails because the disk is full is tried again: meanwhile
// writes are taken until maxWait wait, then refused for now
// (ErrUnavailable, wrapping the disk's error), and once the disk has room
// the journal is applied and writes go on. The store does not stop.
func TestJournalApplyOnAFullDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	b.maxWait = 2
	full := true
	b.amu.Lock()
	b.applyTx = func(btx *bolt.Tx, recs []*record) error {
		if full {
			return &fs.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
		}
		return applyRecords(btx, recs)
	}
	b.amu.Unlock()
	put(t, b, Units, "a", "1")
	if err := b.Flush(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("apply on a full disk = %v", err)
	}
	// Below the limit, writes are still taken.
	put(t, b, Units, "b", "2")
	if get(t, b, Units, "b") != "2" {
		t.Fatal("a write taken while the applier fails is not visible")
	}
	err := b.Update(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("c"), []byte("3")) })
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Update with %d writes waiting for an apply on a full disk = %v, want ErrUnavailable wrapping ENOSPC", b.ov.pendingWrites(), err)
	}
	if got := get(t, b, Units, "c"); got != "" {
		t.Errorf("the refused write is visible: c = %q", got)
	}
	if stopped(b) {
		t.Fatalf("the store stopped on a full disk: %v", b.WriteErr())
	}
	b.amu.Lock()
	full = false
	b.amu.Unlock()
	if err := b.Flush(); err != nil {
		t.Fatalf("apply once the disk has room = %v", err)
	}
	put(t, b, Units, "c", "3")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = openJournaled(t, path, false)
	for k, want := range map[string]string{"a": "1", "b": "2", "c": "3"} {
		if got := get(t, b, Units, k); got != want {
			t.Errorf("%s = %q after reopening, want %q", k, got, want)
		}
	}
}

// A write whose frame was written when an apply failure stopped the store
// is still fsynced and acknowledged: the next open applies it, so a
// refusal would be untrue. Writes after the stop are refused.
func TestJournalWrittenBeforeAStopIsAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	// Its frame is written; before its fsync, an apply fails and stops the
	// journal (as Bolt.apply does).
	err := b.UpdateThen(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("x"), []byte("1")) }, func(bool) {
		b.journal.stop(fmt.Errorf("%w: applying the journal to the database failed: %w", ErrWriteFailed, &fs.PathError{Op: "write", Path: path, Err: syscall.EIO}))
	})
	if err != nil {
		t.Errorf("the write whose frame was written before the stop = %v, want it acknowledged", err)
	}
	wantStopped(t, b, syscall.EIO, "after the apply failed")
	b.Close()
	r := openJournaled(t, path, false)
	if got := get(t, r, Units, "x"); got != "1" {
		t.Errorf("after reopening: x = %q, want 1 (acknowledged)", got)
	}
}

// A journal stopped from outside whose fdatasync then fails acknowledges
// nothing unsynced any more: a second try's success would prove nothing
// (the kernel reports a writeback error once, and may have dropped the
// pages).
func TestJournalStoppedThenFailedSyncIsNotRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	syncs := 0
	var seq uint64
	err := b.UpdateThen(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("x"), []byte("1")) }, func(bool) {
		b.journal.mu.Lock()
		seq = b.journal.last
		b.journal.syncFile = func(*os.File) error {
			syncs++
			if syncs == 1 {
				return syscall.EIO
			}
			return nil
		}
		b.journal.mu.Unlock()
		b.journal.stop(fmt.Errorf("%w: applying the journal to the database failed: %w", ErrWriteFailed, syscall.EIO))
	})
	if !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("the write whose fdatasync failed = %v, want ErrWriteFailed", err)
	}
	if err := b.journal.sync(seq); err == nil || syncs != 1 {
		t.Errorf("sync of the same record again = %v after %d fdatasyncs; want refused without another", err, syncs)
	}
	b.journal.mu.Lock()
	synced := b.journal.synced
	b.journal.mu.Unlock()
	if synced >= seq {
		t.Errorf("record %d counted durable (synced %d) after its fdatasync failed", seq, synced)
	}
}

// A file without a journal id (a new file, where a damaged one was moved
// aside) beside another database's journal: the journal is refused, not
// written over, with the acknowledged writes in it.
func TestJournalOfAnotherFileIsNotWrittenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	put(t, b, Units, "b", "2")
	b.crash(t)
	seg := mustGlob(t, JournalDir(path))[0]
	before, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBolt(path, BoltOptions{}); !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "another database") {
		t.Errorf("OpenBolt of a new file beside another database's journal = %v, want ErrJournal", err)
	}
	if after, _ := os.ReadFile(seg); !bytes.Equal(after, before) {
		t.Error("the other database's journal segment was changed")
	}
}

// An apply that fails other than on a full disk stops the store at once,
// as a failed journal fdatasync does, also after it failed on a full disk:
// Failed, ErrWriteFailed for every later write (reads go on), no commit to
// the database again in this process, not even at Close, and the next
// open applies the journal.
func TestJournalApplyFailureStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	b.maxWait = 1
	var txid int
	b.db.View(func(btx *bolt.Tx) error { txid = btx.ID(); return nil })
	fault, failed := syscall.ENOSPC, 0
	b.amu.Lock()
	b.applyTx = func(*bolt.Tx, []*record) error {
		if fault == syscall.EIO {
			failed++
		}
		return &fs.PathError{Op: "write", Path: path, Err: fault}
	}
	b.amu.Unlock()
	put(t, b, Units, "a", "1")
	if err := b.Flush(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("apply on a full disk = %v", err)
	}
	b.amu.Lock()
	fault = syscall.EIO
	b.amu.Unlock()
	if err := b.Flush(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("apply on a failing disk = %v", err)
	}
	wantStopped(t, b, syscall.EIO, "after an apply failed on a failing disk")
	err := b.Update(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("b"), []byte("2")) })
	if !errors.Is(err, ErrWriteFailed) || errors.Is(err, ErrUnavailable) {
		t.Errorf("Update after the apply failed (%d writes waiting) = %v, want ErrWriteFailed", b.ov.pendingWrites(), err)
	}
	if got := get(t, b, Units, "a"); got != "1" {
		t.Errorf("a = %q after the apply failed, want the acknowledged 1", got)
	}
	if got := get(t, b, Units, "b"); got != "" {
		t.Errorf("the refused write is visible: b = %q", got)
	}
	if err := b.Flush(); !errors.Is(err, syscall.EIO) {
		t.Errorf("a second apply = %v, want the first's failure", err)
	}
	if err := b.Close(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Close = %v, want the apply's failure (the journal kept)", err)
	}
	if failed != 1 {
		t.Errorf("the database was written to %d more times after an apply failed", failed-1)
	}
	raw, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	raw.View(func(btx *bolt.Tx) error {
		if btx.ID() != txid {
			t.Errorf("the database's last transaction is %d after the failure, was %d: a commit followed", btx.ID(), txid)
		}
		return nil
	})
	raw.Close()
	b = openJournaled(t, path, false)
	if got := get(t, b, Units, "a"); got != "1" {
		t.Errorf("a = %q after reopening, want 1 (from the journal)", got)
	}
	put(t, b, Units, "b", "2")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// UpdateThen lets the next Update read a record that is being fsynced;
// Views see it only once it is durable.
func TestJournalUpdateThen(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	ctx := context.Background()
	next := make(chan error, 1)
	called := 0
	err := b.UpdateThen(ctx, func(tx Tx) error { return tx.Put(Units, []byte("a"), []byte("1")) }, func(written bool) {
		called++
		if !written {
			t.Error("then was told the record was not written")
		}
		if got := get(t, b, Units, "a"); got != "" {
			t.Errorf("a View saw a = %q before it was durable", got)
		}
		if b.ov.durable.Load() >= b.ov.head.Load() {
			t.Error("then was called after the record was durable")
		}
		// The next Update begins now and reads the record.
		go func() {
			next <- b.Update(ctx, func(tx Tx) error {
				if got := string(tx.Get(Units, []byte("a"))); got != "1" {
					return fmt.Errorf("the next Update read a = %q", got)
				}
				return tx.Put(Units, []byte("b"), []byte("2"))
			})
		}()
	})
	if err != nil || called != 1 {
		t.Fatalf("UpdateThen = %v, then called %d times", err, called)
	}
	if err := <-next; err != nil {
		t.Fatal(err)
	}
	if get(t, b, Units, "a") != "1" || get(t, b, Units, "b") != "2" {
		t.Error("writes missing after both Updates returned")
	}
	// then is called when fn fails too.
	called = 0
	boom := errors.New("boom")
	if err := b.UpdateThen(ctx, func(Tx) error { return boom }, func(written bool) {
		called++
		if written {
			t.Error("then was told a failed Update's record was written")
		}
	}); !errors.Is(err, boom) || called != 1 {
		t.Errorf("failing UpdateThen = %v, then called %d times", err, called)
	}
}

// An Update that only reads returns once what it read is durable: here it
// reads a record whose fsync has not begun.
func TestJournalReadOnlyUpdateWaitsForWhatItRead(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	ctx := context.Background()
	err := b.UpdateThen(ctx, func(tx Tx) error { return tx.Put(Units, []byte("a"), []byte("1")) }, func(bool) {
		var seen string
		if err := b.Update(ctx, func(tx Tx) error { seen = string(tx.Get(Units, []byte("a"))); return nil }); err != nil {
			t.Fatal(err)
		}
		if seen != "1" {
			t.Fatalf("the next Update read a = %q", seen)
		}
		// What it read is durable: a View (which sees durable records
		// only) sees it too.
		if got := get(t, b, Units, "a"); got != "1" {
			t.Errorf("after an Update read a = 1 and returned, a View reads %q", got)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A record synced by another than its writer (an Update that read it) is
// durable at once: Close applies it instead of deleting it with the
// journal.
func TestJournalSyncedByAReaderSurvivesClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	rec, _, err := b.write(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("k"), []byte("v")) })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.journal.sync(rec.seq); err != nil { // as a reader's Update does
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, openJournaled(t, path, true), Units, "k"); got != "v" {
		t.Errorf("after Close and reopen k = %q, want v", got)
	}
}

// Once a record is durable, a later failure of the journal does not make
// its sync fail.
func TestJournalSyncOfADurableRecordAfterAFailure(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	rec, _, err := b.write(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("k"), []byte("v")) })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.journal.sync(rec.seq); err != nil {
		t.Fatal(err)
	}
	b.journal.mu.Lock()
	b.journal.fail(errors.New("a later failure"))
	b.journal.mu.Unlock()
	if err := b.journal.sync(rec.seq); err != nil {
		t.Errorf("sync of a durable record after a failure = %v", err)
	}
}

// Once a segment holds prepareAt bytes a zero-filled spare is made, and
// the journal moves to it: records written there, followed by zeros and a
// frame a crash cut short, all read back; a spare a crash left is removed.
func TestJournalSpareSegment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	big := strings.Repeat("x", prepareAt/2)
	// The second record takes the segment past prepareAt. Nothing is
	// written until the spare is ready: the next write moves to it, and a
	// third record written meanwhile could have taken it already.
	for i := range 2 {
		put(t, b, Units, fmt.Sprint("big", i), big)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.journal.mu.Lock()
		ready := b.journal.spare != nil
		b.journal.mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no spare segment after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	put(t, b, Units, "big2", big) // moves to the spare
	put(t, b, Units, "in-spare", "1")
	put(t, b, Units, "in-spare-2", "2")
	if !b.journal.zeroed {
		t.Fatal("the journal did not move to the spare segment")
	}
	segs := mustGlob(t, JournalDir(path))
	last := segs[len(segs)-1]
	b.crash(t)
	if fi, err := os.Stat(last); err != nil {
		t.Fatal(err)
	} else if fi.Size() != segmentBytes {
		t.Fatalf("the spare segment has %d bytes, want %d", fi.Size(), segmentBytes)
	}
	// A frame cut short after the last record, and a spare being made.
	data, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.LastIndexFunc(data, func(c rune) bool { return c != 0 }) + 1
	copy(data[end:], []byte{0, 0, 0x30, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3})
	if err := os.WriteFile(last, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(JournalDir(path), spareName), make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	rw := openJournaled(t, path, false)
	for k, want := range map[string]string{"big0": big, "big2": big, "in-spare": "1", "in-spare-2": "2"} {
		if got := get(t, rw, Units, k); got != want {
			t.Errorf("after the crash %s has %d bytes, want %d", k, len(got), len(want))
		}
	}
	if _, err := os.Stat(filepath.Join(JournalDir(path), spareName)); !os.IsNotExist(err) {
		t.Errorf("the interrupted spare is still there: %v", err)
	}
}

// A crash between renaming the spare and writing its header leaves a last
// segment of zeros: nothing was written to it, and the database opens.
func TestJournalSpareRenamedWithoutHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	b.crash(t)
	next := filepath.Join(JournalDir(path), segmentName(2))
	if err := os.WriteFile(next, make([]byte, 1<<16), 0o600); err != nil {
		t.Fatal(err)
	}
	rw := openJournaled(t, path, false)
	if get(t, rw, Units, "a") != "1" {
		t.Error("a lost")
	}
	put(t, rw, Units, "b", "1")
	rw.crash(t)
	// Zeros in a segment before the last are not a crash's doing.
	if err := os.WriteFile(filepath.Join(JournalDir(path), segmentName(1)), make([]byte, 1<<16), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBolt(path, BoltOptions{}); !errors.Is(err, ErrJournal) {
		t.Errorf("OpenBolt with a headerless segment before the last = %v, want ErrJournal", err)
	}
}

// Where a segment ends decides what is replayed: a frame whose first page
// never reached the disk (zeros, then the rest of it) is the end; a frame
// whose value holds bytes shaped like a frame is searched past; a damaged
// last record of a segment before an empty one is damage.
func TestJournalEndOfSegment(t *testing.T) {
	prepare := func(t *testing.T, vals ...string) (path, seg string, data []byte, end int) {
		path = filepath.Join(t.TempDir(), "j.db")
		b := openJournaled(t, path, false)
		for i, v := range vals {
			put(t, b, Units, fmt.Sprint("k", i), v)
		}
		b.crash(t)
		seg = mustGlob(t, JournalDir(path))[0]
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		return path, seg, data, len(data)
	}
	t.Run("first page of the last frame lost", func(t *testing.T) {
		path, seg, data, end := prepare(t, "a", "b", strings.Repeat("v", 9000))
		// The last frame's first 4 KiB never arrived.
		last := headerLen
		for range 2 {
			_, n, ok := readFrame(data[last:])
			if !ok {
				t.Fatal("unreadable frame")
			}
			last += n
		}
		for i := last; i < last+4096 && i < end; i++ {
			data[i] = 0
		}
		if err := os.WriteFile(seg, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rw := openJournaled(t, path, false)
		if get(t, rw, Units, "k0") != "a" || get(t, rw, Units, "k1") != "b" {
			t.Error("records before the cut frame lost")
		}
		if get(t, rw, Units, "k2") != "" {
			t.Error("the cut frame was applied")
		}
	})
	t.Run("a value shaped like a frame in a cut frame", func(t *testing.T) {
		// A frame for record 4 (the one after the cut one), inside the
		// value of record 3.
		fake := &record{seq: 4, ops: []op{{kind: opPut, bucket: Units, key: []byte("x"), val: []byte("y")}}}
		payload := fake.appendEncoding(binary.BigEndian.AppendUint64(nil, fake.seq))
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
		frame = binary.BigEndian.AppendUint32(frame, crc32.Checksum(payload, castagnoli))
		frame = append(frame, payload...)
		path, seg, data, end := prepare(t, "a", "b", strings.Repeat("v", 100)+string(frame)+strings.Repeat("w", 100))
		// Record 3's checksum no longer matches: its write was cut short.
		data[end-50] ^= 0xff
		if err := os.WriteFile(seg, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rw := openJournaled(t, path, false)
		if get(t, rw, Units, "k1") != "b" || get(t, rw, Units, "x") != "" {
			t.Error("wrong records after a cut frame holding a frame-shaped value")
		}
	})
	t.Run("damaged end of a segment before an empty one", func(t *testing.T) {
		path, seg, data, end := prepare(t, "a", "b")
		data[end-3] ^= 0xff // inside record 2
		if err := os.WriteFile(seg, data, 0o600); err != nil {
			t.Fatal(err)
		}
		// The next segment was started for record 3, which never came.
		b, err := OpenBolt(path, BoltOptions{ReadOnly: true})
		if err == nil {
			b.Close()
		}
		var id []byte
		if b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true}); err == nil {
			b.View(func(tx *bolt.Tx) error { id = bytes.Clone(tx.Bucket([]byte(Meta)).Get(journalIDKey)); return nil })
			b.Close()
		}
		next := append([]byte(journalMagic), id...)
		if err := os.WriteFile(filepath.Join(JournalDir(path), segmentName(3)), next, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, ro := range []bool{true, false} {
			if _, err := OpenBolt(path, BoltOptions{ReadOnly: ro}); !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("OpenBolt(read-only %v) with a damaged end before an empty segment = %v", ro, err)
			}
		}
	})
}

// The applier packs the pages it splits where keys grow in sequence, as
// the intake appends every assembly's ballots and log entries, and leaves
// bbolt's default where they come in random order, as ballot ids do.
func TestJournalApplyPacksAppendedSequences(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	val := bytes.Repeat([]byte("v"), 200)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 40 {
		err := b.Update(context.Background(), func(tx Tx) error {
			for seqs := range 20 {
				asm := fmt.Sprintf("assembly-%02d", seqs)
				for i := range 10 {
					if err := tx.Put(LogEntries, binary.BigEndian.AppendUint64(Prefix(asm), uint64(round*10+i)), val); err != nil {
						return err
					}
					id := fmt.Sprintf("%016x%016x%016x%016x", rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())
					if err := tx.Put(BallotIDs, Key(asm, id), binary.BigEndian.AppendUint64(nil, uint64(round*10+i))); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if round%2 == 1 {
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !packed[LogEntries] || packed[BallotIDs] {
		t.Errorf("packed: log entries %v, ballot ids %v; want true, false", packed[LogEntries], packed[BallotIDs])
	}
	for _, c := range []struct {
		bucket  Bucket
		minFill float64
	}{{LogEntries, 0.8}, {BallotIDs, 0.5}} {
		var st bolt.BucketStats
		if err := b.db.View(func(tx *bolt.Tx) error { st = tx.Bucket([]byte(c.bucket)).Stats(); return nil }); err != nil {
			t.Fatal(err)
		}
		if st.KeyN != 8000 {
			t.Fatalf("%s: %d keys applied, want 8000", c.bucket, st.KeyN)
		}
		fill := float64(st.LeafInuse) / float64(st.LeafAlloc)
		t.Logf("%s: %d leaf pages, %.0f%% full", c.bucket, st.LeafPageN, 100*fill)
		if fill < c.minFill {
			t.Errorf("%s: leaf pages %.0f%% full (%d pages for %d bytes), want at least %.0f%%", c.bucket, 100*fill, st.LeafPageN, st.LeafInuse, 100*c.minFill)
		}
	}
}

// TestJournalScanSeesAKeyWrittenAgainAfterItsApply: a key written,
// scanned, applied (so the overlay drops it) and written again is scanned
// with its new value, not the applied one.
func TestJournalScanSeesAKeyWrittenAgainAfterItsApply(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	scan := func() map[string]string {
		out := map[string]string{}
		err := b.View(context.Background(), func(tx Tx) error {
			return tx.Scan(Owners, nil, nil, func(k, v []byte) (bool, error) {
				out[string(k)] = string(v)
				return true, nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	put(t, b, Owners, "a", "1", "k", "old")
	if got := scan(); got["k"] != "old" {
		t.Fatalf("scan %v", got)
	}
	if err := b.apply(); err != nil {
		t.Fatal(err)
	}
	put(t, b, Owners, "k", "new")
	if got := scan(); got["k"] != "new" || got["a"] != "1" || len(got) != 2 {
		t.Errorf("scan after k was applied and written again: %v, want a=1 k=new", got)
	}
}

// A failed fdatasync is not an acknowledgement: the Update fails with
// ErrWriteFailed, its writes never reach a View, and the journal takes no
// more writes, even once the disk answers again (the kernel may have
// dropped the pages it could not write). What was durable before stays,
// through Close and reopen; what was refused is nowhere.
func TestJournalSyncFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	syncs := 0
	b.journal.syncFile = func(*os.File) error { syncs++; return syscall.EIO }
	ctx := context.Background()
	written := false
	err := b.UpdateThen(ctx, func(tx Tx) error { return tx.Put(Units, []byte("b"), []byte("2")) },
		func(w bool) { written = w })
	if !errors.Is(err, ErrWriteFailed) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Update whose fdatasync fails = %v, want ErrWriteFailed wrapping the disk's error", err)
	}
	if !written || syncs != 1 {
		t.Errorf("the record was written %v and fdatasynced %d times, want true and 1", written, syncs)
	}
	wantStopped(t, b, syscall.EIO, "after a failed fdatasync")
	if got := get(t, b, Units, "b"); got != "" {
		t.Errorf("a View sees b = %q, written by an Update that failed", got)
	}
	// A later Update that reads the failed record fails too, and one that
	// writes is refused before its fdatasync: the journal is broken.
	err = within(t, b, func() error { return b.Update(ctx, func(tx Tx) error { tx.Get(Units, []byte("b")); return nil }) })
	if !errors.Is(err, ErrWriteFailed) {
		t.Errorf("read-only Update after the failure = %v, want ErrWriteFailed", err)
	}
	b.journal.syncFile = func(*os.File) error { syncs++; return nil }
	err = within(t, b, func() error {
		return b.Update(ctx, func(tx Tx) error { return tx.Put(Units, []byte("c"), []byte("3")) })
	})
	if !errors.Is(err, ErrWriteFailed) {
		t.Errorf("Update after the failure, the disk back = %v, want ErrWriteFailed", err)
	}
	if syncs != 1 {
		t.Errorf("%d fdatasyncs after the failure, want none", syncs-1)
	}
	if got := get(t, b, Units, "a"); got != "1" {
		t.Errorf("a = %q after the failure, want 1", got)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	r := openJournaled(t, path, false)
	defer func() {
		r.Close()
		select {
		case <-r.Failed():
			t.Error("Failed is closed by Close")
		default:
		}
		if werr := r.WriteErr(); werr != nil {
			t.Errorf("WriteErr after Close = %v, want nil", werr)
		}
	}()
	// b's frame is whole in the segment (only its fdatasync "failed"), yet
	// never durable: Close applied what was durable and dropped the rest.
	for k, want := range map[string]string{"a": "1", "b": "", "c": ""} {
		if got := get(t, r, Units, k); got != want {
			t.Errorf("after reopening, %s = %q, want %q", k, got, want)
		}
	}
	put(t, r, Units, "d", "4") // the restarted store takes writes again
}

// within runs f and fails the test if it has not returned after a while
// (a journal that did not break would keep a writer waiting), breaking the
// journal to let it go.
func within(t *testing.T, b *Bolt, f func() error) error {
	t.Helper()
	c := make(chan error, 1)
	go func() { c <- f() }()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		b.journal.stop(errors.New("the test gave up waiting"))
		t.Fatal("an Update after the failure still waits after 10 s")
		return nil
	}
}

// An Update whose fn read a record that is being fsynced answers with the
// fsync's failure, not with what fn decided from that record.
func TestJournalAnswerRestsOnAFailedSync(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	read := make(chan struct{})
	b.journal.syncFile = func(*os.File) error { <-read; return syscall.EIO }
	ctx := context.Background()
	errExists := errors.New("x exists")
	var berr error
	saw, done := false, make(chan struct{})
	aerr := b.UpdateThen(ctx, func(tx Tx) error { return tx.Put(Units, []byte("x"), []byte("1")) }, func(bool) {
		go func() {
			defer close(done)
			berr = b.Update(ctx, func(tx Tx) error {
				defer close(read)
				if saw = tx.Get(Units, []byte("x")) != nil; saw {
					return errExists
				}
				return nil
			})
		}()
	})
	<-done
	if !saw {
		t.Fatal("the second Update did not read the first's record before its fsync")
	}
	if !errors.Is(aerr, ErrWriteFailed) {
		t.Errorf("the Update whose fsync failed = %v, want ErrWriteFailed", aerr)
	}
	if !errors.Is(berr, ErrWriteFailed) || errors.Is(berr, errExists) {
		t.Errorf("the Update that read it = %v, want ErrWriteFailed and not its own answer", berr)
	}
}

// A journal write that fails and cannot be cut off again (here: its file
// is closed under it) breaks the journal the same way.
func TestJournalWriteFailure(t *testing.T) {
	b := openJournaled(t, filepath.Join(t.TempDir(), "j.db"), false)
	put(t, b, Units, "a", "1")
	b.journal.mu.Lock()
	b.journal.f.Close()
	b.journal.mu.Unlock()
	err := b.Update(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("b"), []byte("2")) })
	if !errors.Is(err, ErrWriteFailed) || !errors.Is(err, os.ErrClosed) {
		t.Errorf("the failed write = %v, want ErrWriteFailed wrapping the file's error", err)
	}
	err = b.Update(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("c"), []byte("3")) })
	if !errors.Is(err, ErrWriteFailed) || !strings.Contains(err.Error(), "could not be undone") {
		t.Errorf("Update after a write that could not be undone = %v, want ErrWriteFailed", err)
	}
	if got := get(t, b, Units, "a"); got != "1" {
		t.Errorf("a = %q, want 1", got)
	}
	if !stopped(b) {
		t.Error("Failed is not closed after a write that could not be undone")
	}
}

// The first write to a new segment fails (a full disk) and is cut off;
// the next write starts the segment again under the same name, from the
// spare that became ready meanwhile. The segment's first attempt must not
// be left in the journal's list, where the next apply would remove it as
// applied: the file being written, with every record acknowledged since.
func TestJournalFirstWriteOfASegmentRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	b.journal.mu.Lock()
	b.journal.size = segmentBytes // the next write starts a plain segment: no spare yet
	b.journal.writeFrame = func(*os.File, []byte, int64) (int, error) { return 0, syscall.ENOSPC }
	b.journal.mu.Unlock()
	err := b.Update(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("b"), []byte("2")) })
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("the refused write = %v, want ErrUnavailable wrapping ENOSPC", err)
	}
	spare, err := zeroFile(filepath.Join(JournalDir(path), spareName), segmentBytes)
	if err != nil {
		t.Fatal(err)
	}
	b.journal.mu.Lock()
	b.journal.writeFrame = nil
	b.journal.spare = spare // the background's spare, ready now
	b.journal.mu.Unlock()
	put(t, b, Units, "b", "2") // into the spare, under the failed segment's name
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	put(t, b, Units, "c", "3")
	b.crash(t)
	r := openJournaled(t, path, true)
	for k, want := range map[string]string{"a": "1", "b": "2", "c": "3"} {
		if got := get(t, r, Units, k); got != want {
			t.Errorf("after a crash: %s = %q, want %q (acknowledged)", k, got, want)
		}
	}
}

// A new segment that cannot be made (here: its directory is gone; on a
// server, a full disk) refuses the write for now, ErrUnavailable, with
// nothing of it written; the journal is not broken, and the next write,
// the directory back, is taken.
func TestJournalNewSegmentRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "a", "1")
	b.journal.mu.Lock()
	dir := b.journal.dir
	b.journal.dir = filepath.Join(dir, "gone")
	b.journal.size = segmentBytes // the next write starts a segment
	b.journal.mu.Unlock()
	err := b.Update(context.Background(), func(tx Tx) error { return tx.Put(Units, []byte("b"), []byte("2")) })
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrWriteFailed) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("write whose new segment cannot be made = %v, want ErrUnavailable wrapping the file's error", err)
	}
	if stopped(b) {
		t.Error("Failed is closed by a write refused for now")
	}
	b.journal.mu.Lock()
	b.journal.dir = dir
	b.journal.mu.Unlock()
	put(t, b, Units, "c", "3")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	r := openJournaled(t, path, false)
	for k, want := range map[string]string{"a": "1", "b": "", "c": "3"} {
		if got := get(t, r, Units, k); got != want {
			t.Errorf("after reopening, %s = %q, want %q", k, got, want)
		}
	}
}

// Only a write that found the disk full is tried again (diskFull); an
// fdatasync's ENOSPC may have lost pages, and bbolt's growing the file
// drops the errno.
func TestDiskFull(t *testing.T) {
	write := func(errno syscall.Errno) error { return &fs.PathError{Op: "write", Path: "ownervote.db", Err: errno} }
	for _, c := range []struct {
		err  error
		full bool
	}{
		{write(syscall.ENOSPC), true},
		{write(syscall.EDQUOT), true},
		{fmt.Errorf("apply: %w", write(syscall.ENOSPC)), true},
		{write(syscall.EIO), false},
		{syscall.ENOSPC, false}, // bbolt's fdatasync
		{&fs.PathError{Op: "sync", Path: "ownervote.db", Err: syscall.ENOSPC}, false},
		{fmt.Errorf("file resize error: %s", syscall.ENOSPC), false}, // bbolt's grow
	} {
		if got := diskFull(c.err); got != c.full {
			t.Errorf("diskFull(%v) = %v, want %v", c.err, got, c.full)
		}
	}
}

// The journal keeps a write's key and value until it is applied, after the
// Update: it keeps copies, which neither the caller's reuse of its buffers
// afterwards nor an append to a value Get gave can change.
func TestJournalKeepsCopiesOfWrites(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "db"), BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	key, val := []byte("k1"), []byte("v1")
	err = b.Update(context.Background(), func(tx Tx) error {
		if err := tx.Put(Owners, key, val); err != nil {
			return err
		}
		if err := tx.Put(Owners, []byte("k2"), []byte("v2")); err != nil {
			return err
		}
		_ = append(tx.Get(Owners, []byte("k1")), "XX"...) // a careless caller
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	copy(key, "zz")
	copy(val, "zz")
	err = b.View(context.Background(), func(tx Tx) error {
		for k, want := range map[string]string{"k1": "v1", "k2": "v2"} {
			if got := tx.Get(Owners, []byte(k)); string(got) != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if got := tx.Get(Owners, []byte("zz")); got != nil {
			t.Errorf("the caller's reused key buffer reads as a key: %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPeekMetaReadsTheJournal: PeekMeta answers with the journal's writes
// that the file lacks, and changes neither.
func TestPeekMetaReadsTheJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Meta, "k", "1", "gone", "x", "kept", "y")
	if err := b.apply(); err != nil {
		t.Fatal(err)
	}
	put(t, b, Meta, "k", "2")
	if err := b.Update(context.Background(), func(tx Tx) error { return tx.Delete(Meta, []byte("gone")) }); err != nil {
		t.Fatal(err)
	}
	b.crash(t)
	file, _ := os.ReadFile(path)
	segs := mustGlob(t, JournalDir(path))
	for key, want := range map[string]string{"k": "2", "gone": "", "kept": "y", "none": ""} {
		if v, err := PeekMeta(path, []byte(key)); err != nil || string(v) != want {
			t.Errorf("PeekMeta(%s) = %q, %v; want %q", key, v, err, want)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, file) {
		t.Error("PeekMeta changed the file")
	}
	if after := mustGlob(t, JournalDir(path)); !slices.Equal(after, segs) {
		t.Errorf("journal segments %v after PeekMeta, were %v", after, segs)
	}
	if _, err := PeekMeta(filepath.Join(t.TempDir(), "none.db"), []byte("k")); err == nil {
		t.Error("PeekMeta of no file: no error")
	}
}

// TestBackupWithoutRoomForACopy: where the disk has no room for the copy
// beside the database, the backup is sent as it is read, whole.
func TestBackupWithoutRoomForACopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, Units, "k1", strings.Repeat("v", 5000))
	was := freeSpace
	t.Cleanup(func() { freeSpace = was })
	asked := false
	freeSpace = func(string) (uint64, bool) { asked = true; return 1 << 20, true }
	var out bytes.Buffer
	n, err := b.Backup(context.Background(), &out)
	if err != nil || n != int64(out.Len()) || !asked {
		t.Fatalf("Backup without room for a copy = %d, %v (room asked: %v)", n, err, asked)
	}
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(copyPath, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(copyPath); err != nil {
		t.Errorf("the copy sent as read: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".backup-*")); len(left) != 0 {
		t.Errorf("left beside the database: %v", left)
	}
}
