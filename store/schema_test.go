package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// setSchema writes version v into the closed database file at path, as a
// program of that version would have left it.
func setSchema(t *testing.T, path string, v uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(Meta)).Put(schemaVersionKey, Seq(v))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func schemaOfFile(t *testing.T, path string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint64
	db.View(func(tx *bolt.Tx) error {
		if raw := tx.Bucket([]byte(Meta)).Get(schemaVersionKey); len(raw) == 8 {
			v = binary.BigEndian.Uint64(raw)
		}
		return nil
	})
	return v
}

// TestUpgradeIndexesWaitingBallots: the upgrade from schema 3 lists each
// voter's ballots waiting for confirmation in their voter record - those
// in the file and those still in the journal of the program that wrote
// them, applied first - and keeps the record's other fields; a voter
// without a record (a unit sold before sales waited for the check) is
// passed over.
func TestUpgradeIndexesWaitingBallots(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	ballotKey := func(assembly string, seq uint64) string { return string(append(Prefix(assembly), Seq(seq)...)) }
	ballotJSON := func(seq uint64, voter, status string) string {
		return `{"seq":` + string(rune('0'+seq)) + `,"id":"b` + string(rune('0'+seq)) + `","voter":"` + voter + `","status":"` + status + `"}`
	}
	put(t, b, AssemblyVoters,
		string(Key("a1", "o1")), `{"figures":{"area":100,"head":1},"units":["u1"],"counted":0}`,
		string(Key("a1", "o2")), `{"figures":{"area":50,"head":1},"units":["u2"]}`,
		string(Key("a2", "o1")), `{"figures":{"area":70,"head":1},"units":["v1"]}`)
	put(t, b, Ballots,
		ballotKey("a1", 1), ballotJSON(1, "o1", "PENDING_CONFIRMATION"),
		ballotKey("a1", 2), ballotJSON(2, "o2", "ACCEPTED"),
		ballotKey("a1", 3), ballotJSON(3, "gone", "PENDING_CONFIRMATION"),
		ballotKey("a2", 1), ballotJSON(1, "o1", "REFUSED"))
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	// Written by the old program and still in its journal at a crash.
	put(t, b, Ballots, ballotKey("a1", 4), ballotJSON(4, "o1", "PENDING_CONFIRMATION"))
	put(t, b, Ballots, ballotKey("a2", 2), ballotJSON(2, "o1", "PENDING_CONFIRMATION"))
	b.crash(t)
	setSchema(t, path, 3)

	r := openJournaled(t, path, false)
	if v := get(t, r, Meta, string(schemaVersionKey)); v != string(Seq(SchemaVersion)) {
		t.Errorf("schema %x after the upgrade, want %d", v, SchemaVersion)
	}
	for key, want := range map[string][]uint64{"a1\x00o1": {1, 4}, "a1\x00o2": nil, "a2\x00o1": {2}} {
		var rec struct {
			Figures struct{ Area, Head int64 } `json:"figures"`
			Units   []string                   `json:"units"`
			Waiting []uint64                   `json:"waiting"`
		}
		raw := get(t, r, AssemblyVoters, key)
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			t.Fatalf("%q: %v", key, err)
		}
		if !slices.Equal(rec.Waiting, want) {
			t.Errorf("voter %q: waiting %v, want %v (record %s)", key, rec.Waiting, want, raw)
		}
		if rec.Figures.Area == 0 || len(rec.Units) != 1 {
			t.Errorf("voter %q: the record's other fields were lost: %s", key, raw)
		}
	}
	if get(t, r, AssemblyVoters, "a1\x00gone") != "" {
		t.Error("a record was made for a voter who had none")
	}
}

// TestUpgradeIndexesTheAccessLog: the upgrade from schema 6 lists every
// record of the access log - in the file and still in the old program's
// journal - under its community and action.
func TestUpgradeIndexesTheAccessLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	b := openJournaled(t, path, false)
	put(t, b, AccessLog,
		string(Seq(1)), `{"action":"reveal_phone","community_id":"cm1","owner_id":"o1"}`,
		string(Seq(2)), `{"action":"unit_transfer","community_id":"cm2","unit_id":"u1"}`)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	put(t, b, AccessLog, string(Seq(3)), `{"action":"reveal_phone","community_id":"cm1","owner_id":"o2"}`)
	b.crash(t)
	setSchema(t, path, 6)

	r := openJournaled(t, path, false)
	var got []string
	if err := r.View(t.Context(), func(tx Tx) error {
		return tx.Scan(AccessIndex, nil, nil, func(k, _ []byte) (bool, error) {
			got = append(got, strings.ReplaceAll(string(k[:len(k)-8]), "\x00", "/")+"#"+string(rune('0'+binary.BigEndian.Uint64(k[len(k)-8:]))))
			return true, nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"cm1/reveal_phone/#1", "cm1/reveal_phone/#3", "cm2/unit_transfer/#2"}; !slices.Equal(got, want) {
		t.Errorf("the access index after the upgrade: %q, want %q", got, want)
	}
}

// An upgrade whose journal cannot be read writes nothing: the file stays
// in the schema of the program that wrote it, for that program or a
// person to look at.
func TestUpgradeLeavesTheFileWhenTheJournalIsDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	damagedFirstRecord(t, path)
	setSchema(t, path, 3)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBolt(path, BoltOptions{}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("OpenBolt with a damaged journal = %v", err)
	}
	if v := schemaOfFile(t, path); v != 3 {
		t.Errorf("schema %d after a failed upgrade, want 3 as it was", v)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the file changed although the upgrade failed")
	}
}

// A bbolt file of another program - buckets, no schema version - is
// refused, not taken for a new database and filled with this one's
// buckets.
func TestOpenRefusesAnotherProgramsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucket([]byte("settings"))
		if err != nil {
			return err
		}
		return bk.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	if _, err := OpenBolt(path, BoltOptions{}); err == nil || !strings.Contains(err.Error(), "not an ownervote database") {
		t.Fatalf("OpenBolt of another program's file = %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the other program's file was changed")
	}
	if _, err := os.Stat(JournalDir(path)); !os.IsNotExist(err) {
		t.Errorf("a journal was made beside it: %v", err)
	}
}
