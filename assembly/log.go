package assembly

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/store"
)

// logState is an assembly log's stored state.
type logState struct {
	Tree audit.Tree `json:"tree"`
}

// logWriter appends entries to one assembly's log inside a transaction;
// finish saves the tree. The log and the state it describes are written in
// the same transaction, so they cannot disagree after a crash.
//
// Checkpoints are not stored: the root of every size the log ever had can
// be recomputed from the stored nodes, and ed25519 signatures are
// deterministic, so the checkpoint of a size is the same whenever it is
// signed. Signing happens outside the write transaction, when a receipt or
// a reader asks for it.
type logWriter struct {
	r     *Registry
	tx    store.Tx
	asm   string
	now   time.Time
	st    logState
	dirty bool
	// seen, when not nil, records what the writer knows of the tree
	// without reading it (see seenLog); the intake turns it on.
	seen *seenLog
}

// seenLog is an assembly's log as one transaction left it, with the nodes
// and entries that transaction knew: the compact range it started from and
// every node and entry it added. That is enough to prove the entries it
// added without reading the store: a new leaf's siblings to the left are
// nodes of the range it started from, the others nodes it added.
type seenLog struct {
	tree    audit.Tree
	nodes   map[compact.NodeID][]byte
	entries map[uint64][]byte

	rootOnce sync.Once // the root of tree, computed once for all its ballots
	root     []byte
	rootErr  error
}

func newSeenLog(t audit.Tree) *seenLog {
	s := &seenLog{nodes: map[compact.NodeID][]byte{}, entries: map[uint64][]byte{}} // tree: set by the writer's finish
	for i, id := range compact.RangeNodes(0, t.Size, nil) {
		if i < len(t.Hashes) {
			s.nodes[id] = t.Hashes[i]
		}
	}
	return s
}

// fetch returns the nodes from memory.
func (s *seenLog) fetch(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := s.nodes[id]
		if !ok {
			return nil, fmt.Errorf("assembly: log node %d/%d is not among those the group saw", id.Level, id.Index)
		}
		out[i] = h
	}
	return out, nil
}

// rootHash returns the root of the tree the group left.
func (s *seenLog) rootHash() ([]byte, error) {
	s.rootOnce.Do(func() { s.root, s.rootErr = s.tree.Root() })
	return s.root, s.rootErr
}

// ErrClockBehind means the server's clock reads more than
// audit.ClockSkew before the last entry of an assembly's log: the clock
// was set back, or ran ahead when that entry was dated. Nothing is written
// to the log until the clock is right: its times are what the verifier
// checks the windows by.
var ErrClockBehind = errors.New("assembly: the server's clock is behind the assembly's log")

// logClock is the time of a write to an assembly's log inside tx, for its
// entries and for every decision and record the write makes by the clock
// (a state, a deadline, a close, a certification): now, or the last
// entry's time if that is later, so that the log's times never go back
// (procedure rules 6 on, the verifier requires it) though two transactions
// may read the clock in one order and commit in the other, or a clock be
// set back a little. A clock more than audit.ClockSkew behind is refused
// (ErrClockBehind).
func (r *Registry) logClock(tx store.Tx, assemblyID string, now time.Time) (time.Time, error) {
	st, err := getLogState(tx, assemblyID)
	if err != nil {
		return now, err
	}
	return r.logClockOf(tx, assemblyID, st, now)
}

// logClockOf is logClock for the log whose stored state (its size) the
// caller read in tx.
func (r *Registry) logClockOf(tx store.Tx, assemblyID string, st logState, now time.Time) (time.Time, error) {
	last, err := lastLoggedOf(tx, assemblyID, st)
	if err != nil {
		return now, err
	}
	switch {
	case !last.After(now):
		return now, nil
	case last.Sub(now) > audit.ClockSkew:
		r.log.Error("the server's clock is behind an assembly's log: nothing is written to it until the clock is right", "assembly", assemblyID,
			"clock", now, "last_entry", last)
		return now, fmt.Errorf("%w: its last entry is dated %s, the clock reads %s (more than %v before): set the server's clock right",
			ErrClockBehind, audit.FormatChinaTime(last), audit.FormatChinaTime(now), audit.ClockSkew)
	}
	return last, nil
}

// lastLogged is the time of an assembly's last log entry, zero before
// the first.
func lastLogged(tx store.Tx, assemblyID string) (time.Time, error) {
	st, err := getLogState(tx, assemblyID)
	if err != nil {
		return time.Time{}, err
	}
	return lastLoggedOf(tx, assemblyID, st)
}

func lastLoggedOf(tx store.Tx, assemblyID string, st logState) (time.Time, error) {
	if st.Tree.Size == 0 {
		return time.Time{}, nil
	}
	last, err := loggedTime(tx.Get(store.LogEntries, seqKey(assemblyID, st.Tree.Size-1)))
	if err != nil {
		return time.Time{}, fmt.Errorf("assembly: log entry %d of %s: %w", st.Tree.Size-1, assemblyID, err)
	}
	return last, nil
}

// logWriter returns a writer of an assembly's log inside tx, dating its
// entries at logClock's time.
func (r *Registry) logWriter(tx store.Tx, assemblyID string, now time.Time) (*logWriter, error) {
	st, err := getLogState(tx, assemblyID)
	if err != nil {
		return nil, err
	}
	if now, err = r.logClockOf(tx, assemblyID, st, now); err != nil {
		return nil, err
	}
	return r.logWriterOf(tx, assemblyID, st, now)
}

// logWriterAt is logWriter for a time logClock gave in the same
// transaction.
func (r *Registry) logWriterAt(tx store.Tx, assemblyID string, now time.Time) (*logWriter, error) {
	st, err := getLogState(tx, assemblyID)
	if err != nil {
		return nil, err
	}
	return r.logWriterOf(tx, assemblyID, st, now)
}

// logWriterOf is logWriterAt for the log whose stored state the caller
// read in tx (the intake reads it once per assembly and group).
func (r *Registry) logWriterOf(tx store.Tx, assemblyID string, st logState, now time.Time) (*logWriter, error) {
	st, err := r.withTree(tx, assemblyID, st)
	if err != nil {
		return nil, err
	}
	return &logWriter{r: r, tx: tx, asm: assemblyID, now: now, st: st}, nil
}

// loggedTime reads the time of a log entry as written (audit.Entry's
// Marshal: its "time" comes before any body, which alone could hold the
// same characters), without decoding the rest.
func loggedTime(raw []byte) (time.Time, error) {
	const key = `"time":"`
	i := bytes.Index(raw, []byte(key))
	if i < 0 {
		return time.Time{}, errors.New("no time")
	}
	rest := raw[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, errors.New("time not ended")
	}
	return time.Parse(time.RFC3339Nano, string(rest[:j]))
}

// logState is getLogState with the compact range, taken from the last tree
// the intake wrote when it has the stored size: the tree of a size
// never changes, and reading it from the stored nodes cost a dozen reads
// per ballot.
func (r *Registry) logState(tx store.Tx, assemblyID string) (logState, error) {
	st, err := getLogState(tx, assemblyID)
	if err != nil {
		return st, err
	}
	return r.withTree(tx, assemblyID, st)
}

// withTree completes a stored log state (getLogState) with its compact
// range, as logState does.
func (r *Registry) withTree(tx store.Tx, assemblyID string, st logState) (logState, error) {
	if st.Tree.Size == 0 || st.Tree.Hashes != nil {
		return st, nil
	}
	var err error
	r.treesMu.Lock()
	t, ok := r.trees[assemblyID]
	r.treesMu.Unlock()
	if ok && t.Size == st.Tree.Size {
		st.Tree.Hashes = slices.Clone(t.Hashes) // Append changes the slice
		return st, nil
	}
	st.Tree, err = treeAt(tx, assemblyID, st.Tree.Size)
	return st, err
}

// rememberTree remembers an assembly's tree once the transaction that
// grew it is written to the store's journal (commitGroup): the next group
// reads it from there, durable or about to be.
func (r *Registry) rememberTree(assemblyID string, t audit.Tree) {
	r.treesMu.Lock()
	defer r.treesMu.Unlock()
	// The writer is done with t (logState copies it for the next).
	if old, ok := r.trees[assemblyID]; !ok || old.Size < t.Size {
		r.trees[assemblyID] = t
	}
}

// getLogState reads an assembly's log state, of size 0 before its log
// opens. Only the size is stored (8 bytes, big-endian, so that the records
// of all assemblies share a few pages; logState adds the compact range). A
// file written before that stored the whole state as JSON, which is still
// read.
func getLogState(tx store.Tx, assemblyID string) (st logState, err error) {
	raw := tx.Get(store.LogState, []byte(assemblyID))
	switch {
	case raw == nil:
		return st, nil
	case len(raw) > 0 && raw[0] == '{':
		if err := json.Unmarshal(raw, &st); err != nil {
			return st, fmt.Errorf("assembly: corrupt log state of %s: %w", assemblyID, err)
		}
		return st, nil
	case len(raw) != 8:
		return st, fmt.Errorf("assembly: corrupt log state of %s (%d bytes)", assemblyID, len(raw))
	}
	st.Tree.Size = binary.BigEndian.Uint64(raw)
	return st, nil
}

func nodeKey(assemblyID string, id compact.NodeID) []byte {
	k := append(store.Prefix(assemblyID), byte(id.Level))
	return binary.BigEndian.AppendUint64(k, id.Index)
}

func seqKey(assemblyID string, n uint64) []byte {
	return binary.BigEndian.AppendUint64(store.Prefix(assemblyID), n)
}

// add appends e and returns its index.
func (w *logWriter) add(e audit.Entry) (uint64, error) {
	e.Index, e.Assembly, e.Time = w.st.Tree.Size, w.asm, w.now
	data, err := e.Marshal()
	if err != nil {
		return 0, err
	}
	if err := w.tx.Put(store.LogEntries, seqKey(w.asm, e.Index), data); err != nil {
		return 0, err
	}
	var putErr error
	if w.seen != nil {
		w.seen.entries[e.Index] = data
	}
	err = w.st.Tree.Append(audit.LeafHash(data), func(id compact.NodeID, hash []byte) {
		if w.seen != nil {
			w.seen.nodes[id] = hash
		}
		// Leaves are not stored: a leaf's hash is its entry's (fetcher).
		if putErr == nil && id.Level > 0 {
			putErr = w.tx.Put(store.LogNodes, nodeKey(w.asm, id), hash)
		}
	})
	if err != nil {
		return 0, err
	}
	w.dirty = true
	return e.Index, putErr
}

// appendEntry adds one entry to an assembly's log inside tx.
func (r *Registry) appendEntry(tx store.Tx, assemblyID string, now time.Time, e audit.Entry) error {
	lw, err := r.logWriter(tx, assemblyID, now)
	if err != nil {
		return err
	}
	if _, err := lw.add(e); err != nil {
		return err
	}
	return lw.finish()
}

// finish saves the log's tree.
func (w *logWriter) finish() error {
	if w.seen != nil {
		w.seen.tree = w.st.Tree
	}
	if !w.dirty {
		return nil
	}
	w.dirty = false
	return w.tx.Put(store.LogState, []byte(w.asm), binary.BigEndian.AppendUint64(nil, w.st.Tree.Size))
}

// signCheckpoint signs the checkpoint of an assembly's log at size with
// root, reusing the last one signed for that assembly when it is the same,
// and waiting for one being signed (the receipts of a group's ballots all
// need their assembly's checkpoint of the same size at the same moment).
func (r *Registry) signCheckpoint(assemblyID string, size uint64, root []byte) ([]byte, error) {
	r.cpMu.Lock()
	if last, ok := r.checkpoints[assemblyID]; ok && last.size == size {
		r.cpMu.Unlock()
		return last.note, nil
	}
	if f := r.cpSigning[assemblyID]; f != nil && f.size == size {
		r.cpMu.Unlock()
		<-f.done
		return f.note, f.err
	}
	f := &signing{size: size, done: make(chan struct{})}
	r.cpSigning[assemblyID] = f
	r.cpMu.Unlock()

	f.note, f.err = audit.SignCheckpoint(r.logSigner, assemblyID, size, root)
	r.cpMu.Lock()
	if r.cpSigning[assemblyID] == f {
		delete(r.cpSigning, assemblyID)
	}
	if last, ok := r.checkpoints[assemblyID]; f.err == nil && (!ok || last.size < size) {
		r.checkpoints[assemblyID] = signedCheckpoint{size: size, note: f.note}
	}
	r.cpMu.Unlock()
	close(f.done)
	return f.note, f.err
}

// signing is a checkpoint being signed.
type signing struct {
	size uint64
	done chan struct{} // closed when note and err are set
	note []byte
	err  error
}

// signedCheckpoint is the last checkpoint signed for an assembly.
type signedCheckpoint struct {
	size uint64
	note []byte
}

// Checkpoint returns a signed checkpoint of an assembly's whole log and
// its size.
func (r *Registry) Checkpoint(ctx context.Context, assemblyID string) ([]byte, uint64, error) {
	var st logState
	err := r.st.View(ctx, func(tx store.Tx) error {
		if _, err := r.records.view(tx, assemblyID); err != nil {
			return err
		}
		var err error
		st, err = r.logState(tx, assemblyID)
		if err == nil && st.Tree.Size == 0 {
			err = fmt.Errorf("%w: %s has no log before it is published", ErrWrongState, assemblyID)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	root, err := st.Tree.Root()
	if err != nil {
		return nil, 0, err
	}
	cp, err := r.signCheckpoint(assemblyID, st.Tree.Size, root)
	return cp, st.Tree.Size, err
}

// CheckpointAt returns the signed checkpoint of the log when it had size
// entries.
func (r *Registry) CheckpointAt(ctx context.Context, assemblyID string, size uint64) ([]byte, error) {
	var root []byte
	err := r.st.View(ctx, func(tx store.Tx) error {
		n, err := r.logSize(tx, assemblyID)
		if err != nil {
			return err
		}
		if size == 0 || size > n {
			return fmt.Errorf("%w: size %d: the log has %d entries", ErrInvalid, size, n)
		}
		root, err = rootAt(tx, assemblyID, size)
		return err
	})
	if err != nil {
		return nil, err
	}
	return audit.SignCheckpoint(r.logSigner, assemblyID, size, root)
}

// rootAt recomputes the root of the log's first size entries from the
// stored perfect subtrees.
func rootAt(tx store.Tx, assemblyID string, size uint64) ([]byte, error) {
	t, err := treeAt(tx, assemblyID, size)
	if err != nil {
		return nil, err
	}
	return t.Root()
}

// treeAt reads the log's first size entries as a tree: their compact
// range, from the stored perfect subtrees.
func treeAt(tx store.Tx, assemblyID string, size uint64) (audit.Tree, error) {
	if size == 0 {
		return audit.Tree{}, nil
	}
	hashes, err := fetcher(tx, assemblyID)(compact.RangeNodes(0, size, nil))
	return audit.Tree{Size: size, Hashes: hashes}, err
}

func fetcher(tx store.Tx, assemblyID string) audit.NodeFetcher {
	return func(ids []compact.NodeID) ([][]byte, error) {
		out := make([][]byte, len(ids))
		for i, id := range ids {
			if id.Level == 0 {
				e := tx.Get(store.LogEntries, seqKey(assemblyID, id.Index))
				if e == nil {
					return nil, fmt.Errorf("assembly: log entry %d of %s missing", id.Index, assemblyID)
				}
				out[i] = audit.LeafHash(e)
				continue
			}
			h := tx.Get(store.LogNodes, nodeKey(assemblyID, id))
			if h == nil {
				return nil, fmt.Errorf("assembly: log node %d/%d of %s missing", id.Level, id.Index, assemblyID)
			}
			out[i] = append([]byte(nil), h...)
		}
		return out, nil
	}
}

func (r *Registry) logSize(tx store.Tx, assemblyID string) (uint64, error) {
	st, err := getLogState(tx, assemblyID)
	return st.Tree.Size, err
}

// InclusionProof proves that entry index is in the log of the given size.
func (r *Registry) InclusionProof(ctx context.Context, assemblyID string, index, size uint64) ([][]byte, error) {
	var p [][]byte
	err := r.st.View(ctx, func(tx store.Tx) error {
		n, err := r.logSize(tx, assemblyID)
		if err != nil {
			return err
		}
		if size > n || index >= size {
			return fmt.Errorf("%w: index %d, size %d: the log has %d entries", ErrInvalid, index, size, n)
		}
		p, err = audit.InclusionProof(index, size, fetcher(tx, assemblyID))
		return err
	})
	return p, err
}

// ConsistencyProof proves that the log of size1 is a prefix of size2.
func (r *Registry) ConsistencyProof(ctx context.Context, assemblyID string, size1, size2 uint64) ([][]byte, error) {
	var p [][]byte
	err := r.st.View(ctx, func(tx store.Tx) error {
		n, err := r.logSize(tx, assemblyID)
		if err != nil {
			return err
		}
		if size1 > size2 || size2 > n {
			return fmt.Errorf("%w: sizes %d and %d: want size1 ≤ size2 ≤ %d", ErrInvalid, size1, size2, n)
		}
		p, err = audit.ConsistencyProof(size1, size2, fetcher(tx, assemblyID))
		return err
	})
	return p, err
}

// LogEntries returns the leaf data of entries [from, from+limit).
func (r *Registry) LogEntries(ctx context.Context, assemblyID string, from uint64, limit int) ([][]byte, error) {
	var out [][]byte
	err := r.st.View(ctx, func(tx store.Tx) error {
		if _, err := getRecord(tx, assemblyID); err != nil {
			return err
		}
		var after []byte
		if from > 0 {
			after = seqKey(assemblyID, from-1)
		}
		return tx.Scan(store.LogEntries, store.Prefix(assemblyID), after, func(_, v []byte) (bool, error) {
			if len(out) == limit {
				return false, nil
			}
			out = append(out, append([]byte(nil), v...))
			return true, nil
		})
	})
	return out, err
}

// logKey adds a KEY entry for a signing key the first time it signs in
// this assembly.
func (w *logWriter) logKey(k audit.KeyEntry) error {
	key := store.Key(w.asm, k.KeyID)
	if w.tx.Get(store.LogKeys, key) != nil {
		return nil
	}
	i, err := w.add(audit.Entry{Kind: audit.KindKey, Key: &k})
	if err != nil {
		return err
	}
	return w.tx.Put(store.LogKeys, key, binary.BigEndian.AppendUint64(nil, i))
}

// agendaEntry is the published assembly as logged.
func agendaEntry(tx store.Tx, a *Assembly) (*audit.AgendaEntry, error) {
	ag := &audit.AgendaEntry{
		CommunityID: a.CommunityID, Title: a.Title, Opens: a.Opens, Closes: a.Closes, RuleSet: a.RuleSet,
		Abstention: a.Settings.Abstention, InvalidCounts: a.Settings.InvalidCountsTowardQuorum, DeemedConsent: a.Settings.DeemedConsent,
		AllowRevote: a.Settings.AllowRevote, MakerChecker: a.Settings.MakerChecker, ProxyCap: a.Settings.ProxyCap, RefuseShortNotice: a.Settings.RefuseShortNotice, Rules: a.Rules,
		ObjectionDays: a.ObjectionDays, CommitteeK: a.Committee.K, ShortNoticeReason: a.ShortNoticeReason, RollDigest: a.RollDigest,
	}
	for _, c := range a.Channels {
		ag.Channels = append(ag.Channels, string(c))
	}
	for _, m := range a.Motions {
		am := audit.Motion{ID: m.ID, Title: m.Title, Matter: string(m.Matter), Seats: m.Seats}
		for _, o := range m.Options {
			am.Options = append(am.Options, audit.Option{ID: o.ID, Name: o.Name})
		}
		ag.Motions = append(ag.Motions, am)
	}
	for _, id := range a.Committee.Members {
		s, err := getSigner(tx, id)
		if err != nil {
			return nil, err
		}
		ag.Committee = append(ag.Committee, audit.Member{KeyID: s.KeyID, ID: s.ID, Name: s.Name, PublicKey: s.PublicKey})
	}
	return ag, nil
}

// Agenda returns the agenda entry an assembly published.
func agendaOf(tx store.Tx, assemblyID string) (*audit.AgendaEntry, error) {
	raw := tx.Get(store.LogEntries, seqKey(assemblyID, 1))
	if raw == nil {
		return nil, fmt.Errorf("%w: %s has no published agenda", ErrWrongState, assemblyID)
	}
	e, err := audit.ParseEntry(raw)
	if err != nil {
		return nil, err
	}
	if e.Agenda == nil {
		return nil, fmt.Errorf("assembly: log entry 1 of %s is %s, not the agenda", assemblyID, e.Kind)
	}
	return e.Agenda, nil
}
