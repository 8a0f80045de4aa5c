package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/store"

	bolt "go.etcd.io/bbolt"
)

// The data directory in testdata/schema1 was written by ownervote at
// schema version 1 (see its README): one assembly closed with its
// preliminary result, one still open, each with counted ballots over every
// channel and a refused duplicate, in the formats of that time (Merkle
// leaves stored as nodes, the log state as a JSON compact range, hourly
// counts inside the counters, refusals without their code).
const (
	oldOpen         = "select-21d3bb"
	oldClosed       = "select-ad92a2"
	oldClosedDigest = "59c59614d1441eb1e35e8c3b7947eeead25913222557ea2a52ade26d7c89cfe6"
)

// oldDataDir copies testdata/name into a new directory, as a server's
// data directory: files ending in .gz uncompressed, journal segments
// (.seg) into the database's journal directory.
func oldDataDir(t *testing.T, name string) string {
	t.Helper()
	src, dir := filepath.Join("testdata", name), t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out := e.Name()
		if base, ok := strings.CutSuffix(out, ".gz"); ok {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err == nil {
				b, err = io.ReadAll(zr)
			}
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			out = base
		}
		switch filepath.Ext(out) {
		case ".md", ".checkpoint":
			continue
		case ".seg":
			out = filepath.Join("ownervote.db.journal", out)
			if err := os.MkdirAll(filepath.Join(dir, "ownervote.db.journal"), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, out), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// schemaOf is the schema version of the database in dir, as it is before
// this program opens it (store.VerifyFile also checks the file is whole).
func schemaOf(t *testing.T, dir string) uint64 {
	t.Helper()
	info, err := store.VerifyFile(filepath.Join(dir, "ownervote.db"))
	if err != nil {
		t.Fatal(err)
	}
	return info.SchemaVersion
}

// verifiedExport exports assembly id and verifies the export offline.
func verifiedExport(t *testing.T, reg *assembly.Registry, id string) *audit.Report {
	t.Helper()
	bundle, err := reg.Export(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(bundle)
	if err != nil {
		t.Fatalf("export of %s: %v", id, err)
	}
	return rep
}

// openOld opens the data directory dir with this program, its clock at now.
func openOld(t *testing.T, dir string, now time.Time) (*data, *assembly.Registry) {
	t.Helper()
	d, err := openData(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := assembly.NewRegistry(d.st, assembly.Config{ReceiptKey: d.receiptKey, LogSigner: d.logSigner,
		LogVerifierKey: d.logVKey, Now: func() time.Time { return now }})
	if err != nil {
		d.st.Close()
		t.Fatal(err)
	}
	return d, reg
}

// TestUpgradeFromSchema1: this program opens a data directory of schema
// version 1 and goes on with it. The closed assembly's export verifies
// offline with the result the old program computed; the checkpoints the
// old program handed out are the roots this one computes, and old entries
// prove into them; the counters are the old ones; a refused ballot sent
// again gets its refusal back; a new ballot is counted, and the grown log
// is consistent with the old checkpoint; after a restart, the counters and the closed
// assembly's export again.
func TestUpgradeFromSchema1(t *testing.T) {
	dir := oldDataDir(t, "schema1")
	if v := schemaOf(t, dir); v != 1 {
		t.Fatalf("testdata/schema1 holds schema version %d", v)
	}
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) // inside oldOpen's window
	d, reg := openOld(t, dir, now)

	// The closed assembly: its export verifies, with the old result.
	if rep := verifiedExport(t, reg, oldClosed); rep.Digest != oldClosedDigest || rep.Counted != 118 || rep.Refused != 1 {
		t.Errorf("export of %s: digest %s, %d counted, %d refused; want %s, 118, 1", oldClosed, rep.Digest, rep.Counted, rep.Refused, oldClosedDigest)
	}
	if _, _, digest, err := reg.Result(ctx, oldClosed); err != nil || digest != oldClosedDigest {
		t.Errorf("result of %s: digest %s (%v), want %s", oldClosed, digest, err, oldClosedDigest)
	}

	// The checkpoints the old program signed are this one's roots.
	type checkpoint struct {
		size uint64
		root []byte
	}
	oldCP := map[string]checkpoint{}
	for _, id := range []string{oldOpen, oldClosed} {
		signed, err := os.ReadFile(filepath.Join("testdata", "schema1", id+".checkpoint"))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := audit.OpenCheckpoint(signed, reg.LogVerifierKey(), id)
		if err != nil {
			t.Fatalf("old checkpoint of %s under this program's log key: %v", id, err)
		}
		oldCP[id] = checkpoint{cp.Size, cp.Hash}
		now, err := reg.CheckpointAt(ctx, id, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, signed) {
			t.Errorf("checkpoint of %s at %d:\n%s\nthe old program signed:\n%s", id, cp.Size, now, signed)
		}
		entries, err := reg.LogEntries(ctx, id, 0, int(cp.Size))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range entries {
			p, err := reg.InclusionProof(ctx, id, uint64(i), cp.Size)
			if err == nil {
				err = audit.VerifyInclusion(e, uint64(i), cp.Size, p, cp.Hash)
			}
			if err != nil {
				t.Fatalf("%s: old entry %d in the old checkpoint: %v", id, i, err)
			}
		}
	}

	// The open assembly: the old counters, and a refused ballot sent again
	// is refused for the same reason.
	p, err := reg.Progress(ctx, oldOpen)
	if err != nil {
		t.Fatal(err)
	}
	if p.Counted != 118 || p.Refused != 1 || p.Version != oldCP[oldOpen].size {
		t.Errorf("progress of %s: %d counted, %d refused, version %d; want 118, 1, %d", oldOpen, p.Counted, p.Refused, p.Version, oldCP[oldOpen].size)
	}
	records, err := reg.Ballots(ctx, oldOpen, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var refused, counted *assembly.BallotRecord
	for i := range records {
		switch records[i].Status {
		case assembly.Refused:
			refused = &records[i]
		case assembly.Accepted:
			counted = &records[i]
		}
	}
	if refused == nil || counted == nil {
		t.Fatalf("%s holds no refused or no counted ballot", oldOpen)
	}
	out, err := reg.Submit(ctx, assembly.Submission{Assembly: oldOpen, Canonical: refused.Canonical, Signature: refused.Signature, By: "platform"})
	if !errors.Is(err, assembly.ErrAlreadyVoted) || !out.Replayed {
		t.Errorf("the old refused duplicate sent again: replayed %v, %v; want its stored refusal, ErrAlreadyVoted", out.Replayed, err)
	}
	out, err = reg.Submit(ctx, assembly.Submission{Assembly: oldOpen, Canonical: counted.Canonical, Signature: counted.Signature, By: "platform"})
	if err != nil || !out.Replayed || out.Receipt == nil {
		t.Errorf("an old counted ballot sent again: replayed %v, receipt %v, %v", out.Replayed, out.Receipt, err)
	}

	// A new ballot counts, and the log grows consistently with the old
	// checkpoint.
	pub, priv, _ := ed25519.GenerateKey(nil)
	if _, err := reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.PlatformSigner, ID: "platform-2", Name: "平台", PublicKey: pub}, "t"); err != nil {
		t.Fatal(err)
	}
	a, err := reg.Get(ctx, oldOpen)
	if err != nil {
		t.Fatal(err)
	}
	left, err := reg.NonVoters(ctx, oldOpen)
	if err != nil || len(left) == 0 {
		t.Fatalf("non-voters of %s: %d, %v", oldOpen, len(left), err)
	}
	nb := &ballot.Ballot{Assembly: oldOpen, RollDigest: a.RollDigest, Voter: left[0].Voter, Channel: ballot.Platform,
		Signer: ballot.SignerPlatform, KeyID: ballot.KeyID(pub), Nonce: strings.Repeat("0a", 16), Time: now.Add(-time.Minute),
		PlatformVoteID: "after-upgrade", Choices: []ballot.Choice{{Motion: a.Motions[0].ID, Values: []string{"AGREE"}}}}
	canonical, sig, err := ballot.Sign(nb, priv)
	if err != nil {
		t.Fatal(err)
	}
	out, err = reg.Submit(ctx, assembly.Submission{Assembly: oldOpen, Canonical: canonical, Signature: sig, By: "platform"})
	if err != nil || out.Record.Status != assembly.Accepted {
		t.Fatalf("a new ballot after the upgrade: %v %v", out.Record.Status, err)
	}
	cp, err := audit.OpenCheckpoint(out.Checkpoint, reg.LogVerifierKey(), oldOpen)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyInclusion(out.LogEntry, out.LogIndex, cp.Size, out.InclusionProof, cp.Hash); err != nil {
		t.Errorf("the new ballot's receipt: %v", err)
	}
	ocp := oldCP[oldOpen]
	proof, err := reg.ConsistencyProof(ctx, oldOpen, ocp.size, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyConsistency(ocp.size, cp.Size, proof, ocp.root, cp.Hash); err != nil {
		t.Errorf("the log after the upgrade is not consistent with the old checkpoint: %v", err)
	}

	// After a restart (the file now at the current schema): the counters
	// with the new ballot, and the closed assembly's export.
	if err := d.st.Close(); err != nil {
		t.Fatal(err)
	}
	d, reg = openOld(t, dir, now)
	defer d.st.Close()
	if p, err := reg.Progress(ctx, oldOpen); err != nil || p.Counted != 119 || p.Refused != 1 {
		t.Errorf("progress of %s after the restart: %d counted, %d refused (%v); want 119, 1", oldOpen, p.Counted, p.Refused, err)
	}
	if rep := verifiedExport(t, reg, oldClosed); rep.Digest != oldClosedDigest {
		t.Errorf("export of %s after the restart: digest %s", oldClosed, rep.Digest)
	}
}

// TestUpgradeFromSchema2Crash: testdata/schema2-crash is a data directory
// of schema version 2 whose server was killed (SIGKILL) during the demo's
// ballots, leaving records in its write journal that its database file
// does not hold yet (see its README). This program replays them: the log
// grows past the size the file held, and the counters, the ballots, the
// voters' counted ballots and the log agree with each other, in an export
// that verifies offline, also after a restart.
func TestUpgradeFromSchema2Crash(t *testing.T) {
	const id = "select-01c037"
	dir := oldDataDir(t, "schema2-crash")
	if v := schemaOf(t, dir); v != 2 {
		t.Fatalf("testdata/schema2-crash holds schema version %d", v)
	}
	db, err := bolt.Open(filepath.Join(dir, "ownervote.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var inFile uint64
	db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(store.LogState)).Get([]byte(id)); len(v) == 8 {
			inFile = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	db.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for run := range 2 {
		d, reg := openOld(t, dir, now)
		p, err := reg.Progress(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: log of %d entries (the file alone held %d), %d counted, %d refused", run, p.Version, inFile, p.Counted, p.Refused)
		if p.Version <= inFile || p.Counted == 0 {
			t.Errorf("run %d: log of %d entries with %d counted ballots; the file alone held %d entries: the journal was not replayed", run, p.Version, p.Counted, inFile)
		}
		records, err := reg.Ballots(ctx, id, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var accepted, refused int64
		for _, r := range records {
			switch r.Status {
			case assembly.Accepted:
				accepted++
			case assembly.Refused:
				refused++
			}
		}
		tallied, err := reg.CountedBallots(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if accepted != p.Counted || refused != p.Refused || int64(len(tallied)) != p.Counted {
			t.Errorf("run %d: counters %d counted, %d refused; stored ballots %d accepted, %d refused; %d voters' counted ballots",
				run, p.Counted, p.Refused, accepted, refused, len(tallied))
		}
		if rep := verifiedExport(t, reg, id); uint64(rep.Entries) != p.Version || int64(rep.Counted) != p.Counted {
			t.Errorf("run %d: export of %d entries, %d counted; progress says %d, %d", run, rep.Entries, rep.Counted, p.Version, p.Counted)
		}
		if err := d.st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServeOldDataDir: `ownervote serve` on the schema-1 data directory
// answers as on its own: the closed assembly's result with the digest the
// old program computed and its public notice, the open one's progress
// with the hourly counts kept in the old counters record, and an old
// ballot's receipt whose inclusion proof verifies against its checkpoint.
func TestServeOldDataDir(t *testing.T) {
	ds := startDemo(t, oldDataDir(t, "schema1"))
	base := "http://" + ds.httpAddr + "/v1/communities/beizhai-jiguan/assemblies/"
	var res struct {
		Digest string `json:"result_digest"`
	}
	if code := getJSON(t, base+oldClosed+"/result", ds.token, &res); code != 200 || res.Digest != oldClosedDigest {
		t.Errorf("result of %s: HTTP %d, digest %s; want %s", oldClosed, code, res.Digest, oldClosedDigest)
	}
	if notice := string(fetch(t, "http://"+ds.httpAddr+"/notices/"+oldClosed, "")); !strings.Contains(notice, oldClosedDigest) {
		t.Errorf("the public notice of %s does not show its result digest", oldClosed)
	}
	var prog struct {
		Counted int64 `json:"counted,string"`
		ByHour  []struct {
			Ballots int64 `json:"ballots,string"`
		} `json:"by_hour"`
	}
	if code := getJSON(t, base+oldOpen+"/progress", ds.token, &prog); code != 200 || prog.Counted != 118 {
		t.Fatalf("progress of %s: HTTP %d, %d counted; want 118", oldOpen, code, prog.Counted)
	}
	var hourly int64
	for _, h := range prog.ByHour {
		hourly += h.Ballots
	}
	if hourly != prog.Counted {
		t.Errorf("progress of %s: %d ballots by hour, %d counted", oldOpen, hourly, prog.Counted)
	}
	var list struct {
		Ballots []struct {
			ID     string `json:"ballot_id"`
			Status string `json:"status"`
		} `json:"ballots"`
	}
	if code := getJSON(t, base+oldOpen+"/ballots", ds.token, &list); code != 200 || len(list.Ballots) == 0 {
		t.Fatalf("ballots of %s: HTTP %d, %d ballots", oldOpen, code, len(list.Ballots))
	}
	var rc struct {
		LogEntry       []byte   `json:"log_entry"`
		LogIndex       uint64   `json:"log_index,string"`
		LogSize        uint64   `json:"log_size,string"`
		Checkpoint     string   `json:"checkpoint"`
		InclusionProof [][]byte `json:"inclusion_proof"`
	}
	id := list.Ballots[0].ID
	if code := getJSON(t, base+oldOpen+"/ballots/"+id+"/receipt", ds.token, &rc); code != 200 {
		t.Fatalf("receipt of old ballot %s: HTTP %d", id, code)
	}
	var keys struct {
		LogVerifierKey string `json:"log_verifier_key"`
	}
	getJSON(t, "http://"+ds.httpAddr+"/v1/server/keys", ds.token, &keys)
	cp, err := audit.OpenCheckpoint([]byte(rc.Checkpoint), keys.LogVerifierKey, oldOpen)
	if err == nil {
		err = audit.VerifyInclusion(rc.LogEntry, rc.LogIndex, cp.Size, rc.InclusionProof, cp.Hash)
	}
	if err != nil || cp.Size != rc.LogSize {
		t.Errorf("receipt of old ballot %s does not prove its inclusion: %v", id, err)
	}
}

// TestWrongIdentityLeavesAnOlderFile: a start refused for its identity
// secret leaves an older database as it was, so that the older ownervote
// it came from still opens it; with the right secret, it is upgraded.
func TestWrongIdentityLeavesAnOlderFile(t *testing.T) {
	dir := t.TempDir()
	serveInProc(t, dir, "--demo").stop()
	// The file as schema 4 wrote it: no reveal index, version 4.
	dbPath := filepath.Join(dir, "ownervote.db")
	db, err := bolt.Open(dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte(store.RevealIndex)); err != nil {
			return err
		}
		return tx.Bucket([]byte(store.Meta)).Put([]byte("schema_version"), store.Seq(4))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, secretFile)
	orig, err := os.ReadFile(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, bytes.Repeat([]byte{9}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd("serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"); code == 0 || !strings.Contains(errOut, "is not the identity secret of") {
		t.Fatalf("serve with another identity secret: %d %s; want it refused", code, errOut)
	}
	if after, _ := os.ReadFile(dbPath); !bytes.Equal(after, before) {
		t.Errorf("the refused start changed the file (schema %d now)", schemaOf(t, dir))
	}
	if err := os.WriteFile(secret, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	serveInProc(t, dir).stop()
	if v := schemaOf(t, dir); v != store.SchemaVersion {
		t.Errorf("after a start with the right secret the file is schema %d, want %d", v, store.SchemaVersion)
	}
}
