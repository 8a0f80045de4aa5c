package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
)

// The buckets of schema versions 1 to 4. Keys inside community-scoped buckets start
// with the community id and a zero byte (see Key).
const (
	// Meta holds the schema version under "schema_version" and, from
	// version 2, the write journal's id ("journal_id", 16 random bytes)
	// and the sequence number of the last journal record applied to the
	// buckets ("journal_applied", 8 bytes big-endian); and, written by the
	// ownervote command, the fingerprints of the key files the database
	// goes with ("key_fingerprints", JSON).
	Meta Bucket = "meta"
	// Communities maps community id to its record.
	Communities Bucket = "communities"
	// Units maps community id, 0, unit id to a unit record.
	Units Bucket = "units"
	// Owners maps community id, 0, owner id to an owner record.
	Owners Bucket = "owners"
	// OwnerKeys maps community id, 0, owner id, 0, key id to a key record.
	OwnerKeys Bucket = "owner_keys"
	// KeyIndex maps a public key's SHA-256 to community id, 0, owner id, 0,
	// key id for an owner's key, or to ProxyKey for a proxy holder's: one
	// key serves one role only (signers' keys are checked in Signers).
	KeyIndex Bucket = "key_index"
	// Tokens maps a token secret's SHA-256 to a token record.
	Tokens Bucket = "tokens"
	// TokenIDs maps a token id to its secret's SHA-256.
	TokenIDs Bucket = "token_ids"
	// Signers maps a key id to a platform, staff or committee signing key.
	Signers Bucket = "signers"
	// Assemblies maps assembly id to its record.
	Assemblies Bucket = "assemblies"
	// AssemblyUnits maps assembly id, 0, unit id to the frozen roll's unit.
	AssemblyUnits Bucket = "assembly_units"
	// AssemblyVoters maps assembly id, 0, voter to the voter's frozen
	// figures, the sequence number of their counted ballot and, from
	// version 4, those of their ballots waiting for confirmation.
	AssemblyVoters Bucket = "assembly_voters"
	// Ballots maps assembly id, 0, big-endian sequence number to a ballot
	// record: accepted, pending, superseded or refused with its reason.
	Ballots Bucket = "ballots"
	// BallotIDs maps assembly id, 0, ballot id to the ballot's sequence
	// number (idempotent resubmission).
	BallotIDs Bucket = "ballot_ids"
	// Progress maps assembly id to its live counters, and assembly id, 0,
	// UTC hour ("2026-05-08T09") to the number of counted ballots that
	// arrived in that hour (8 bytes, big-endian).
	Progress Bucket = "progress"
	// Proxies maps assembly id, 0, voter to a recorded proxy authorisation,
	// and assembly id, 0, voter, 0, "withdrawn", 0, time to one withdrawn
	// and set aside when another was recorded.
	Proxies Bucket = "proxies"
	// CallLog maps assembly id, 0, voter, 0, sequence to a call attempt.
	CallLog Bucket = "call_log"
	// LogEntries maps assembly id, 0, big-endian index to a log entry's
	// leaf data.
	LogEntries Bucket = "log_entries"
	// LogNodes maps assembly id, 0, level byte, big-endian index to the
	// hash of a perfect subtree of the assembly's Merkle tree, level 1 and
	// up: a leaf's hash is that of its entry in LogEntries. (Files written
	// before this also hold the leaves, which nothing reads.)
	LogNodes Bucket = "log_nodes"
	// LogState maps assembly id to the log's size (8 bytes, big-endian;
	// files written before held the tree's compact range as JSON).
	LogState Bucket = "log_state"
	// LogKeys maps assembly id, 0, key id to the index of the key's KEY
	// entry.
	LogKeys Bucket = "log_keys"
	// AccessLog maps a big-endian sequence number to a record of a
	// sensitive read (such as a phone number reveal) or of a correction of
	// a unit's areas.
	AccessLog Bucket = "access_log"
	// RevealIndex holds a key for each owner whose phone number a token
	// revealed on a day, China time: Key(token id, "YYYYMMDD", community
	// id, owner id), whose value is the first such reveal's time (Unix
	// seconds, big-endian). A token's reveals of a day are the keys with
	// its prefix.
	RevealIndex Bucket = "reveal_index"
	// PaperIndex lists, for each paper ballot serial and each scan digest
	// of an assembly, the ballots that carry it and were taken (counted or
	// waiting for their check): Key(assembly id, mark), the mark being
	// audit.PaperMarks' "serial P-0061" or "scan <hex>", maps to a JSON
	// array of sequence numbers. Kept for assemblies of procedure rules 5
	// on.
	PaperIndex Bucket = "paper_index"
	// AccessIndex lists the access log's records by community and action:
	// AccessIndexKey(community, action, seq), with AccessIndexValue, so that
	// a community's roll changes, reveals or identity matches are read
	// without scanning every community's.
	AccessIndex Bucket = "access_index"
)

// AccessIndexValue is every AccessIndex value: the key says it all.
var AccessIndexValue = []byte{1}

// AccessIndexKey is the AccessIndex key of the access log's record seq, of
// the community and the action: Prefix(community, action) and Seq(seq).
func AccessIndexKey(community, action string, seq uint64) []byte {
	return append(Prefix(community, action), Seq(seq)...)
}

// ProxyKey is the KeyIndex value of a proxy holder's key.
var ProxyKey = []byte("proxy")

// SchemaVersion is the version this program writes. Version 2 adds the
// write journal (journal.go): a program that reads version 1 would not see
// the writes still in it. Version 3 keeps the latest hour's count of an
// assembly's ballots in its Progress record ("hour", "hour_count"), which
// a program that reads version 2 would drop at its next write. Version 4
// keeps, in a voter's AssemblyVoters record, the sequence numbers of their
// ballots waiting for confirmation ("waiting"), which the intake reads
// instead of the ballots and a program that reads version 3 would not keep.
// Version 5 adds RevealIndex, which a program that reads version 4 would
// neither keep up to date nor, finding its writes in the journal, open.
// Version 6 adds PaperIndex, for the same reasons. Version 7 adds
// AccessIndex, for the same reasons, built at the upgrade from the access
// log.
const SchemaVersion = 7

var schemaVersionKey = []byte("schema_version")

// buckets lists every bucket of SchemaVersion; Open creates missing ones.
var buckets = []Bucket{Meta, Communities, Units, Owners, OwnerKeys, KeyIndex, Tokens, TokenIDs, AccessLog,
	Signers, Assemblies, AssemblyUnits, AssemblyVoters, Ballots, BallotIDs, Progress, Proxies, CallLog,
	LogEntries, LogNodes, LogState, LogKeys, RevealIndex, PaperIndex, AccessIndex}

// migrations[v] upgrades a database from version v to v+1 inside one
// transaction. Version 0 is an empty file.
var migrations = map[uint64]func(Tx) error{
	0: func(Tx) error { return nil },
	// OpenBolt gives the database its journal id (Meta "journal_id").
	1: func(Tx) error { return nil },
	// Version 2 records read as they are.
	2: func(Tx) error { return nil },
	3: indexWaitingBallots,
	// RevealIndex starts empty: reveals made before the upgrade do not
	// count against the day's quota.
	4: func(Tx) error { return nil },
	// PaperIndex starts empty: it serves assemblies of procedure rules 5
	// on, which are published after the upgrade.
	5: func(Tx) error { return nil },
	6: indexAccessLog,
}

// indexAccessLog lists every record of the access log in AccessIndex, by
// its community and action. The keys are written in key order: bbolt
// shifts a growing node at every out-of-order insert within a transaction,
// which for a large log would keep the upgrade (and the server's start)
// busy for minutes.
func indexAccessLog(tx Tx) error {
	var keys [][]byte
	err := tx.Scan(AccessLog, nil, nil, func(k, v []byte) (bool, error) {
		var r struct {
			Community string `json:"community_id"`
			Action    string `json:"action"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return false, fmt.Errorf("access log record %x: %w", k, err)
		}
		if len(k) != 8 {
			return false, fmt.Errorf("access log key %x is no sequence number", k)
		}
		keys = append(keys, AccessIndexKey(r.Community, r.Action, binary.BigEndian.Uint64(k)))
		return true, nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(keys, bytes.Compare)
	for _, k := range keys {
		if err := tx.Put(AccessIndex, k, AccessIndexValue); err != nil {
			return err
		}
	}
	return nil
}

// indexWaitingBallots lists, in each voter's AssemblyVoters record, the
// sequence numbers of their ballots whose status is PENDING_CONFIRMATION
// (in sequence order; the field "waiting").
func indexWaitingBallots(tx Tx) error {
	waiting := map[string][]uint64{} // by the voter record's key
	var keys []string
	err := tx.Scan(Ballots, nil, nil, func(k, v []byte) (bool, error) {
		var br struct {
			Seq    uint64 `json:"seq"`
			Voter  string `json:"voter"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(v, &br); err != nil {
			return false, fmt.Errorf("ballot %q: %w", k, err)
		}
		if br.Status != "PENDING_CONFIRMATION" {
			return true, nil
		}
		assembly, _, ok := bytes.Cut(k, []byte{0})
		if !ok {
			return false, fmt.Errorf("ballot key %q has no assembly id", k)
		}
		vk := string(Key(string(assembly), br.Voter))
		if waiting[vk] == nil {
			keys = append(keys, vk)
		}
		waiting[vk] = append(waiting[vk], br.Seq)
		return true, nil
	})
	if err != nil {
		return err
	}
	slices.Sort(keys)
	for _, vk := range keys {
		raw := tx.Get(AssemblyVoters, []byte(vk))
		if raw == nil {
			// A voter whose unit was sold, before a sale had to wait
			// for the check: the ballot is refused when confirmed.
			continue
		}
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("voter %q: %w", vk, err)
		}
		seqs := waiting[vk]
		slices.Sort(seqs)
		if rec["waiting"], err = json.Marshal(seqs); err != nil {
			return err
		}
		if err := PutJSON(tx, AssemblyVoters, []byte(vk), rec); err != nil {
			return err
		}
	}
	return nil
}

// migrate brings the database to SchemaVersion, or fails with ErrSchemaTooNew.
func migrate(tx Tx) error {
	v, err := readVersion(tx)
	if err != nil {
		return err
	}
	for ; v < SchemaVersion; v++ {
		m, ok := migrations[v]
		if !ok {
			return fmt.Errorf("store: no migration from schema version %d", v)
		}
		if err := m(tx); err != nil {
			return fmt.Errorf("store: migration from schema version %d: %w", v, err)
		}
	}
	return tx.Put(Meta, schemaVersionKey, binary.BigEndian.AppendUint64(nil, SchemaVersion))
}

// readVersion returns the file's schema version (0 for a new file), or
// ErrSchemaTooNew.
func readVersion(tx Tx) (uint64, error) {
	raw := tx.Get(Meta, schemaVersionKey)
	if raw == nil {
		return 0, nil
	}
	if len(raw) != 8 {
		return 0, fmt.Errorf("store: corrupt schema version (%d bytes)", len(raw))
	}
	v := binary.BigEndian.Uint64(raw)
	if v > SchemaVersion {
		return 0, fmt.Errorf("%w: file has schema version %d, this ownervote reads up to %d; use a newer ownervote", ErrSchemaTooNew, v, SchemaVersion)
	}
	return v, nil
}

// Key joins parts with zero bytes: the layout of community-scoped keys.
// Parts must not contain a zero byte.
func Key(parts ...string) []byte {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// Prefix is Key(parts...) followed by a zero byte: every key below parts.
func Prefix(parts ...string) []byte {
	return append(Key(parts...), 0)
}

// Seq encodes a sequence number as a key that sorts numerically.
func Seq(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}
