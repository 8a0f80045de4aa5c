package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/server"
	"github.com/ownervote/ownervote/store"
)

// backupTo fetches GET /v1/admin/backup into dir/ownervote.db.
func (e *env) backupTo(dir, token string) (int, error) {
	e.t.Helper()
	req, err := http.NewRequest("GET", "http://"+e.srv.HTTPAddr()+server.BackupPath, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, "ownervote.db"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return 0, err
	}
	return resp.StatusCode, f.Close()
}

// restored starts a second server on a backup in dir, with the same keys
// and clock time as e.
func (e *env) restored(dir string) *env {
	e.t.Helper()
	r := &env{t: e.t, dir: dir, logs: &bytes.Buffer{}, clock: &clock{now: e.clock.Now()}, admin: e.admin}
	r.start()
	e.t.Cleanup(r.stop)
	return r
}

func (v *vote) progressOn(e *env) *ov.Progress {
	v.e.t.Helper()
	p, err := ov.NewAssemblyServiceClient(e.conn).GetProgress(e.ctx(e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		v.e.t.Fatal(err)
	}
	return p
}

func allBallots(t *testing.T, e *env, community, assembly string) []*ov.BallotEntry {
	t.Helper()
	var out []*ov.BallotEntry
	for after := uint64(0); ; {
		page, err := ov.NewAssemblyServiceClient(e.conn).ListBallots(e.ctx(e.admin), &ov.ListBallotsRequest{CommunityId: community, AssemblyId: assembly, AfterSeq: after, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.GetBallots()...)
		if after = page.GetNextAfterSeq(); after == 0 {
			return out
		}
	}
}

// TestOnlineBackupMidVote takes a backup over the API while ballots keep
// arriving, restores it into a new data directory and starts a server on
// it: the copy is a consistent snapshot, and once intake is quiet a second
// copy serves the same progress, roll figures, receipts and result.
func TestOnlineBackupMidVote(t *testing.T) {
	v := newVote(t, nil)
	for i := range 30 {
		v.cast(t, 40+i, channelOf(40+i), []string{"AGREE", "OPPOSE", "ABSTAIN"}[i%3])
	}

	// Ballots from two channels arrive while the first backup is taken.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Go(func() {
			for i := 70 + w; i < 150; i += 2 {
				c := []ballot.Channel{ballot.Platform, ballot.Phone}[w]
				b, s := v.ballotFor(i, c, "AGREE")
				canonical, sig, err := ballot.Sign(b, s.priv)
				if err == nil {
					_, err = v.submit(t, canonical, sig, c)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	midDir := t.TempDir()
	code, err := v.e.backupTo(midDir, v.e.admin)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("ballot during the backup: %v", err)
	}
	if err != nil || code != http.StatusOK {
		t.Fatalf("backup during intake: HTTP %d, %v", code, err)
	}
	if _, err := store.VerifyFile(filepath.Join(midDir, "ownervote.db")); err != nil {
		t.Fatalf("the mid-vote backup does not verify: %v", err)
	}
	mid := v.e.restored(midDir)
	p := v.progressOn(mid)
	snap := allBallots(t, mid, v.community, v.assembly)
	accepted := 0
	for _, b := range snap {
		if b.GetStatus() == ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
			accepted++
		}
	}
	counted, err := mid.reg.CountedBallots(context.Background(), v.assembly)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetCounted() != int64(accepted) || len(counted) != accepted || accepted < 30 {
		t.Errorf("mid-vote snapshot: progress counts %d, %d accepted ballots listed, %d counted by a recount; want equal and at least 30", p.GetCounted(), accepted, len(counted))
	}
	// The snapshot is a prefix of what the live server holds.
	live := allBallots(t, v.e, v.community, v.assembly)
	if len(snap) > len(live) {
		t.Fatalf("snapshot has %d ballots, the live server %d", len(snap), len(live))
	}
	if diff := cmp.Diff(live[:len(snap)], snap, protocmp.Transform()); diff != "" {
		t.Errorf("snapshot ballots differ from the live server's (-live +snapshot):\n%s", diff)
	}

	// Quiet now: a second backup serves exactly what the server serves.
	quietDir := t.TempDir()
	if code, err := v.e.backupTo(quietDir, v.e.admin); err != nil || code != http.StatusOK {
		t.Fatalf("second backup: HTTP %d, %v", code, err)
	}
	r := v.e.restored(quietDir)
	if diff := cmp.Diff(v.progressOn(v.e), v.progressOn(r), protocmp.Transform()); diff != "" {
		t.Errorf("progress on the restored server (-original +restored):\n%s", diff)
	}
	figs := func(e *env) *ov.RollFigures {
		f, err := ov.NewRollServiceClient(e.conn).GetRollFigures(e.ctx(e.admin), &ov.GetRollFiguresRequest{CommunityId: v.community})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if diff := cmp.Diff(figs(v.e), figs(r), protocmp.Transform()); diff != "" {
		t.Errorf("roll figures on the restored server (-original +restored):\n%s", diff)
	}
	one := live[len(live)-1]
	rc, err := ov.NewAssemblyServiceClient(r.conn).GetBallotReceipt(r.ctx(r.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: one.GetBallotId()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ballot.VerifyReceipt(rc.GetReceipt(), rc.GetReceiptSignature(), receiptKey.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("receipt from the restored server does not verify: %v", err)
	}
	res := v.closeAndResult(t)
	r.clock.Set(closesAt)
	if _, err := r.reg.CloseDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	res2, err := ov.NewAssemblyServiceClient(r.conn).GetResult(r.ctx(r.admin), &ov.GetResultRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if res.GetResultDigest() == "" || res2.GetResultDigest() != res.GetResultDigest() {
		t.Errorf("result digest on the restored server %q, original %q", res2.GetResultDigest(), res.GetResultDigest())
	}
}

func TestBackupNeedsAnAdminForAllCommunities(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"unknown token", "ovt_unknown", http.StatusUnauthorized},
		{"admin of one community", e.token(auth.StreetAdmin, "east"), http.StatusForbidden},
		{"staff", e.token(auth.CommunityStaff, "east"), http.StatusForbidden},
		{"auditor for all communities", e.token(auth.Auditor, ""), http.StatusForbidden},
		{"platform", e.token(auth.Platform, ""), http.StatusForbidden},
	} {
		code, err := e.backupTo(t.TempDir(), tc.token)
		if err != nil || code != tc.want {
			t.Errorf("backup by %s = HTTP %d, %v; want %d", tc.name, code, err, tc.want)
		}
	}
	// A server without a backup source says so.
	e.reconfigure(func(c *server.Config) { c.Backup = nil })
	if code, _ := e.backupTo(t.TempDir(), e.admin); code != http.StatusNotImplemented {
		t.Errorf("backup without a source = HTTP %d, want 501", code)
	}
}

// failingBackup fails part way through the copy.
type failingBackup struct{}

var errDiskFailed = errors.New("disk failed")

func (failingBackup) Backup(_ context.Context, w io.Writer) (int64, error) {
	n, _ := w.Write(make([]byte, 4096))
	return int64(n), errDiskFailed
}

// TestBackupBrokenOff: when the copy fails after it started, the client
// sees the transfer break off, never a complete-looking file.
func TestBackupBrokenOff(t *testing.T) {
	e := newEnv(t)
	e.reconfigure(func(c *server.Config) { c.Backup = failingBackup{} })
	req, _ := http.NewRequest("GET", "http://"+e.srv.HTTPAddr()+server.BackupPath, nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("a backup that failed part way read as complete")
	}
}
