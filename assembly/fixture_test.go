package assembly_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/assembly/assemblytest"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
)

// fixture is an open assembly of one community on a real bbolt file, with
// a registered platform key.
type fixture struct {
	st                 *store.Bolt
	views              atomic.Int64 // read transactions the registry opened
	failSync           atomic.Bool  // the registry's Updates report a failed fdatasync
	book               *roll.Book
	reg                *assembly.Registry
	now                atomic.Pointer[time.Time]
	nonce              atomic.Uint64
	*assemblytest.City // the community, its assembly, voters and platform key
}

func (f *fixture) clock() time.Time { return *f.now.Load() }

// open opens the fixture's database at path with its book and registry,
// as a server starting on it does.
func (f *fixture) open(tb testing.TB, path string) {
	tb.Helper()
	var err error
	f.st, err = store.OpenBolt(path, store.BoltOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	st := f.st
	tb.Cleanup(func() { st.Close() })
	f.book, f.reg = assemblytest.Open(tb, f.st, &assemblytest.Disk{Bolt: f.st, Views: &f.views, FailSync: &f.failSync}, f.clock)
}

func newFixture(tb testing.TB, households int, settings assembly.Settings) *fixture {
	tb.Helper()
	f := &fixture{}
	start := assemblytest.Start
	f.now.Store(&start)
	f.open(tb, filepath.Join(tb.TempDir(), "a.db"))
	f.City = assemblytest.NewCity(tb, f.book, f.reg, households, settings)
	during := assemblytest.During
	f.now.Store(&during)
	return f
}

// signed returns a signed PLATFORM ballot of voter i.
func (f *fixture) signed(tb testing.TB, i int, choice string) assembly.Submission {
	return f.Ballot(tb, i, choice, f.nonce.Add(1), f.clock())
}

// TestSubmitProvesFromWhatItsGroupSaw: a counted ballot's receipt — its
// log entry, inclusion proof and checkpoint — comes from what its group's
// log writer saw: Submit opens one read transaction (the read before the
// decision) and none after the commit, and the proof verifies against the
// checkpoint's root and that root is the stored log's.
func TestSubmitProvesFromWhatItsGroupSaw(t *testing.T) {
	f := newFixture(t, 5, assembly.Settings{})
	ctx := context.Background()
	for i := range 5 {
		before := f.views.Load()
		out, err := f.reg.Submit(ctx, f.signed(t, i, "AGREE"))
		if err != nil {
			t.Fatal(err)
		}
		if n := f.views.Load() - before; n != 1 {
			t.Errorf("ballot %d: Submit opened %d read transactions, want 1 (none after the commit)", i, n)
		}
		cp, err := audit.OpenCheckpoint([]byte(out.Checkpoint), f.reg.LogVerifierKey(), f.Assembly.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size != out.LogSize {
			t.Errorf("ballot %d: checkpoint of size %d, receipt says %d", i, cp.Size, out.LogSize)
		}
		if err := audit.VerifyInclusion(out.LogEntry, out.LogIndex, out.LogSize, out.InclusionProof, cp.Hash); err != nil {
			t.Errorf("ballot %d: %v", i, err)
		}
		stored, err := f.reg.CheckpointAt(ctx, f.Assembly.ID, out.LogSize) // from the stored nodes
		if err != nil {
			t.Fatal(err)
		}
		if scp, err := audit.OpenCheckpoint(stored, f.reg.LogVerifierKey(), f.Assembly.ID); err != nil || !bytes.Equal(scp.Hash, cp.Hash) {
			t.Errorf("ballot %d: checkpoint root %x, the stored log's %v (%v)", i, cp.Hash, scp, err)
		}
	}
}

// TestSubmitAfterAFailedFsync: when the store cannot make a group's record
// durable, none of the group's ballots is acknowledged — each Submit
// returns the store's error and no receipt — and after a restart each of
// them, submitted again, is counted exactly once (here the record reached
// the disk after all, so the ballot comes back with its receipt).
func TestSubmitAfterAFailedFsync(t *testing.T) {
	const n, before = 24, 4
	f := newFixture(t, n, assembly.Settings{})
	ctx := context.Background()
	subs := make([]assembly.Submission, n)
	for i := range subs {
		subs[i] = f.signed(t, i, "AGREE")
	}
	p0, err := f.reg.Progress(ctx, f.Assembly.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if _, err := f.reg.Submit(ctx, subs[i]); err != nil {
			t.Fatal(err)
		}
	}
	f.failSync.Store(true)
	outs, errs := make([]assembly.Outcome, n), make([]error, n)
	var wg sync.WaitGroup
	for i := before; i < n; i++ {
		wg.Go(func() { outs[i], errs[i] = f.reg.Submit(ctx, subs[i]) })
	}
	wg.Wait()
	for i := before; i < n; i++ {
		if !errors.Is(errs[i], store.ErrWriteFailed) || outs[i].Receipt != nil || outs[i].Checkpoint != nil {
			t.Errorf("ballot %d, its fsync failed: Submit = receipt %v, %v; want no receipt and ErrWriteFailed", i, outs[i].Receipt, errs[i])
		}
	}

	f.failSync.Store(false)
	path := f.st.Path()
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	f.open(t, path)
	for i, s := range subs {
		out, err := f.reg.Submit(ctx, s)
		if err != nil {
			t.Fatalf("ballot %d again after the restart: %v", i, err)
		}
		if !out.Replayed || out.Receipt == nil || out.Record.Status != assembly.Accepted {
			t.Errorf("ballot %d again after the restart: replayed %v, status %s, receipt %v; want its receipt, counted once", i, out.Replayed, out.Record.Status, out.Receipt)
		}
	}
	p, err := f.reg.Progress(ctx, f.Assembly.ID)
	if err != nil {
		t.Fatal(err)
	}
	// One log entry per ballot, and the platform key's at its first.
	if want := p0.Version + 1 + n; p.Counted != n || p.Refused != 0 || p.Version != want {
		t.Errorf("after the restart: %d counted, %d refused, log of %d; want %d, 0, %d", p.Counted, p.Refused, p.Version, n, want)
	}
}

// TestResultBeforeTheCloserRan: past its closing time and before the
// server's closer has run, an assembly has no result yet, and says why.
func TestResultBeforeTheCloserRan(t *testing.T) {
	f := newFixture(t, 3, assembly.Settings{})
	closes := f.Assembly.Closes
	f.now.Store(&closes)
	_, _, _, err := f.reg.Result(context.Background(), f.Assembly.ID)
	if !errors.Is(err, assembly.ErrWrongState) || !strings.Contains(err.Error(), "being counted") {
		t.Errorf("Result past the closing time, before CloseDue = %v; want it being counted", err)
	}
	if _, err := f.reg.CloseDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.reg.Result(context.Background(), f.Assembly.ID); err != nil {
		t.Errorf("Result after CloseDue = %v", err)
	}
}

// TestVotedUnitsKeptOnceClosed: the units that voted follow the ballots
// while the vote is open, and once it has closed (when they no longer
// change) are what they were at the close.
func TestVotedUnitsKeptOnceClosed(t *testing.T) {
	f := newFixture(t, 4, assembly.Settings{})
	ctx := context.Background()
	voted := func(when string, want int) []assembly.VotedUnit {
		t.Helper()
		us, err := f.reg.VotedUnits(ctx, f.Assembly.ID)
		if err != nil || len(us) != want {
			t.Fatalf("VotedUnits %s = %d units, %v; want %d", when, len(us), err, want)
		}
		return us
	}
	voted("before any ballot", 0)
	for i := range 2 {
		if _, err := f.reg.Submit(ctx, f.signed(t, i, "AGREE")); err != nil {
			t.Fatal(err)
		}
		voted("during the vote", i+1)
	}
	closes := f.Assembly.Closes
	f.now.Store(&closes)
	// Past the closing time, before the close is written: not kept yet (a
	// group that read the clock before the closing may still commit).
	early := voted("past the closing time", 2)
	if again := voted("asked again before the close", 2); &again[0] == &early[0] {
		t.Error("VotedUnits kept before the close was written")
	}
	if _, err := f.reg.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	first := voted("after the close", 2)
	if again := voted("asked again", 2); &again[0] != &first[0] || again[0].Channel != "PLATFORM" {
		t.Errorf("VotedUnits asked again after the close: %+v, want the list kept (%p, %p)", again, &again[0], &first[0])
	}
}

// TestLogTimesNeverGoBack: a clock set back a little does not date a log
// entry before the one logged before it (the verifier refuses that from
// procedure rules 6 on); one set back more than audit.ClockSkew writes
// nothing until it is right; the export verifies.
func TestLogTimesNeverGoBack(t *testing.T) {
	f := newFixture(t, 4, assembly.Settings{})
	ctx := context.Background()
	if _, err := f.reg.Submit(ctx, f.signed(t, 0, "AGREE")); err != nil {
		t.Fatal(err)
	}
	right := f.clock()
	back := right.Add(-3 * time.Minute)
	f.now.Store(&back)
	if _, err := f.reg.Submit(ctx, f.signed(t, 1, "AGREE")); err != nil {
		t.Fatal(err)
	}
	wrong := right.Add(-10 * time.Minute)
	f.now.Store(&wrong)
	if _, err := f.reg.Submit(ctx, f.signed(t, 2, "AGREE")); !errors.Is(err, assembly.ErrClockBehind) {
		t.Errorf("a ballot with the clock 10 minutes behind the log: %v, want ErrClockBehind", err)
	}
	f.now.Store(&right)
	if _, err := f.reg.Submit(ctx, f.signed(t, 3, "AGREE")); err != nil {
		t.Fatal(err)
	}
	lines, err := f.reg.LogEntries(ctx, f.Assembly.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for i, l := range lines {
		e, err := audit.ParseEntry(l)
		if err != nil {
			t.Fatal(err)
		}
		if e.Time.Before(last) {
			t.Errorf("entry %d (%s) dated %s, before the one before it (%s)", i, e.Kind, e.Time, last)
		}
		last = e.Time
	}
	b, err := f.reg.Export(ctx, f.Assembly.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(b); err != nil {
		t.Errorf("verify after the clock was set back: %v", err)
	}
	// A key is revoked whatever the clock: its KEY_REVOKED is dated at
	// the log's last time.
	f.now.Store(&wrong)
	if _, err := f.reg.RevokeSigner(ctx, ballot.KeyID(f.Platform.Public().(ed25519.PublicKey)), "密钥泄露"); err != nil {
		t.Fatalf("a revocation with the clock 10 minutes behind the log: %v", err)
	}
	lines, err = f.reg.LogEntries(ctx, f.Assembly.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := audit.ParseEntry(lines[len(lines)-1]); err != nil || e.Kind != audit.KindKeyRevoked || e.Time.Before(last) {
		t.Errorf("the log's last entry after the revocation: %+v, %v; want KEY_REVOKED, not before %s", e, err, last)
	}
}
