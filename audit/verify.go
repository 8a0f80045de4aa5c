package audit

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/recount"
	"github.com/ownervote/ownervote/tally"
)

// ErrDiscrepancy matches every *Discrepancy.
var ErrDiscrepancy = errors.New("audit: discrepancy")

// Discrepancy is the first thing Verify found wrong with an export.
type Discrepancy struct {
	// Check names what failed: missing-file, file-bytes, keys, log-key,
	// checkpoint-signature, checkpoint-order,
	// log-size, entry-malformed, entry-order, roll-digest, agenda,
	// unregistered-key, ballot-signature, ballot-id, right-to-sign,
	// not-on-roll, choice, one-ballot, status, proxy, amendment, result-digest,
	// result, committee-key, committee-signature, certified, merkle-root.
	Check string
	// Entry is the log entry index concerned, or −1.
	Entry  int
	Detail string
}

func (d *Discrepancy) Error() string {
	if d.Entry >= 0 {
		return fmt.Sprintf("%s: log entry %d (%s line %d): %s", d.Check, d.Entry, FileLog, d.Entry+1, d.Detail)
	}
	return fmt.Sprintf("%s: %s", d.Check, d.Detail)
}

// Unwrap lets errors.Is match ErrDiscrepancy.
func (d *Discrepancy) Unwrap() error { return ErrDiscrepancy }

// Report summarises a verified export.
type Report struct {
	Assembly    string
	Entries     int
	Checkpoints int
	Ballots     int // every authentic ballot in the log
	Counted     int
	Refused     int
	Superseded  int
	Keys        int
	Closed      bool
	Result      *tally.Result
	Digest      string
	Certified   bool
	Signers     []string
	Objections  int
	// Cancelled says the assembly was cancelled (a CANCEL entry, the last).
	Cancelled bool
	// Size and Root are those of the newest checkpoint, which covers every
	// entry: compare them with a checkpoint from outside the export (the
	// public notice, GetCheckpoint), or a log cut short looks complete.
	Size uint64
	Root []byte
	// ReceiptKey is keys.json's receipt key, which the log does not
	// record: compare it with the published one before checking receipts
	// with this keys.json.
	ReceiptKey []byte
	// LogVerifier is the key the checkpoints are signed with; Pinned says
	// whether it was checked against a key given from outside the export.
	LogVerifier string
	Pinned      bool
	// Committee lists the members and the keys that certify for them:
	// the agenda's, with the replacements made.
	Committee []Member
	// Replacements are the committee keys replaced, in log order.
	Replacements []Replacement
	// Rules is the version of the procedure rules the agenda names (Rules).
	Rules int
	// Hands are the platform and staff keys whose ballots count, by the
	// number they count, most first: the log does not pin them (the server
	// logs a key as it first signs), so the platform's is to be compared
	// with the key the city platform publishes.
	Hands []Hand
}

// Hand is a platform or staff key and the number of counted ballots it
// signed.
type Hand struct {
	Role, Holder, KeyID string
	PublicKey           []byte
	Counted             int
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "assembly %s: %d log entries under %d signed checkpoints: Merkle root verified\n", r.Assembly, r.Entries, r.Checkpoints)
	fmt.Fprintf(&b, "procedure rules: version %d\n", r.Rules)
	fmt.Fprintf(&b, "ballots: %d authentic (%d counted, %d superseded, %d refused), signatures and signers' rights verified, %d keys\n",
		r.Ballots, r.Counted, r.Superseded, r.Refused, r.Keys)
	switch {
	case r.Cancelled:
		b.WriteString("the assembly was cancelled: no vote\n")
	case r.Result != nil:
		fmt.Fprintf(&b, "result recomputed bit for bit: digest %s\n", r.Digest)
		for _, m := range r.Result.Motions {
			fmt.Fprintf(&b, "  %s: %s\n", m.Motion.ID, m.Decision.Outcome)
		}
	default:
		b.WriteString("vote not closed: no result yet\n")
	}
	if r.Certified {
		fmt.Fprintf(&b, "certified by %d committee member(s): %s\n", len(r.Signers), strings.Join(r.Signers, ", "))
	} else {
		b.WriteString("not certified\n")
	}
	for _, m := range r.Committee {
		fmt.Fprintf(&b, "committee key: %s (%s) %s\n", m.Name, m.ID, m.KeyID)
	}
	for _, x := range r.Replacements {
		fmt.Fprintf(&b, "committee key of %s replaced: %s by %s, vouched for by %s\n", x.Member, x.Replaces, x.KeyID, strings.Join(x.Vouchers, ", "))
	}
	for _, h := range r.Hands {
		fmt.Fprintf(&b, "%s key of %s: %s (%s), %d counted ballot(s)\n", strings.ToLower(h.Role), h.Holder, h.KeyID, base64.StdEncoding.EncodeToString(h.PublicKey), h.Counted)
	}
	fmt.Fprintf(&b, "log key: %s\n", r.LogVerifier)
	fmt.Fprintf(&b, "newest checkpoint: %d entries, root %s: compare it with the checkpoint of the public notice or of GetCheckpoint; an export cut short is otherwise complete in itself\n",
		r.Size, base64.StdEncoding.EncodeToString(r.Root))
	fmt.Fprintf(&b, "receipt key (not in the log): %s\n", base64.StdEncoding.EncodeToString(r.ReceiptKey))
	if !r.Pinned {
		b.WriteString("note: the log key comes from the export itself; compare it with the key the street office publishes (GET /v1/server/keys, the public notice), or pass --log-verifier\n")
	}
	return b.String()
}

// Replacement is a committee key replaced (a COMMITTEE_KEY entry), with
// the members' names.
type Replacement struct {
	Member   string
	Replaces string
	KeyID    string
	Vouchers []string
}

type verifier struct {
	b      *Bundle
	rep    *Report
	agenda *AgendaEntry
	roll   map[string]tally.Unit // by unit id, with amendments applied
	units  map[string]int        // voter → number of units on the roll
	keys   map[string]*KeyEntry
	proxy  map[string]*ProxyEntry // by voter
	// proxyKeys holds each proxy key's holder, proxyHolders how many
	// voters each holder acts for.
	proxyKeys    map[string]string
	proxyHolders map[string]int
	// ballots by sequence number; counted by voter
	ballots map[uint64]*verifiedBallot
	counted map[string]uint64
	// latest is the latest time logged so far (inOrder).
	latest  time.Time
	kept    map[string]string   // voter → a unit they sold after voting: their ballot stays as cast
	waiting map[string][]uint64 // voter → their ballots waiting for confirmation
	papers  map[string][]uint64 // "serial "/"scan " + value → the paper ballots taken that carry it (rules 5 on)
	// withdrawn are the withdrawn proxy authorisations that name a holder.
	withdrawn []*ProxyEntry
	closing   bool         // unconfirmed ballots are being refused: CLOSE comes next
	expectSS  *StatusEntry // a SUPERSEDED entry that must come next
	closed    bool
	result    *tally.Result
	// certs are the committee's signatures, in the order they were
	// logged, with the members' names: the certificate the log makes.
	certs  []CertificateEntry
	people map[string]bool // committee members (by id) who signed
	// committee is the agenda's committee with the replacements logged so
	// far; retired holds the keys replaced.
	committee []Member
	retired   map[string]bool
	// revoked holds the keys revoked (KEY_REVOKED), with when.
	revoked  map[string]time.Time
	closedAt time.Time
	// objections holds the objections logged, unanswered those without a
	// response.
	objections, unanswered map[string]bool
	// pre holds the parallel pre-pass's work, by entry index.
	pre []parsed
}

type verifiedBallot struct {
	id     string
	b      *ballot.Ballot
	status string
}

func fail(check string, entry int, format string, args ...any) error {
	return &Discrepancy{Check: check, Entry: entry, Detail: fmt.Sprintf(format, args...)}
}

// Trust is what a verifier knows from outside the export. Without it the
// export is checked against its own keys, which proves it consistent but
// not that this server signed it: compare Report.LogVerifier with the key
// the street office publishes (GET /v1/server/keys, the public notice).
type Trust struct {
	// LogVerifier, when set, is the log key the checkpoints must be signed
	// with.
	LogVerifier string
}

// Verify checks an exported assembly without the server and returns what
// it found, or the first *Discrepancy.
func Verify(b *Bundle) (*Report, error) { return VerifyWith(b, Trust{}) }

// VerifyWith is Verify with a pinned log key.
func VerifyWith(b *Bundle, trust Trust) (*Report, error) {
	if trust.LogVerifier != "" && trust.LogVerifier != b.Keys.LogVerifier {
		return nil, fail("log-key", -1, "the export's log key %q is not the pinned %q: these checkpoints were not signed by that server", b.Keys.LogVerifier, trust.LogVerifier)
	}
	v := &verifier{b: b, rep: &Report{Assembly: b.Keys.Assembly}, roll: map[string]tally.Unit{}, units: map[string]int{}, keys: map[string]*KeyEntry{},
		proxy: map[string]*ProxyEntry{}, proxyKeys: map[string]string{}, proxyHolders: map[string]int{}, ballots: map[uint64]*verifiedBallot{}, counted: map[string]uint64{}, kept: map[string]string{}, waiting: map[string][]uint64{},
		papers: map[string][]uint64{},
		people: map[string]bool{}, retired: map[string]bool{}, revoked: map[string]time.Time{}, objections: map[string]bool{}, unanswered: map[string]bool{}}
	entries, err := v.parseEntries()
	if err != nil {
		return nil, err
	}
	if err := v.rollAndAgenda(entries); err != nil {
		return nil, err
	}
	v.latest = entries[0].Time
	for _, e := range entries[1:] {
		if err := v.inOrder(e); err != nil {
			return nil, err
		}
		if e.Kind == KindAgenda {
			continue
		}
		if err := v.replay(e); err != nil {
			return nil, err
		}
	}
	if v.expectSS != nil {
		return nil, fail("one-ballot", len(entries)-1, "a counted ballot of a voter who already had one is not followed by the supersession of the earlier one")
	}
	if err := v.checkResultFile(); err != nil {
		return nil, err
	}
	if err := v.checkCertificateFile(); err != nil {
		return nil, err
	}
	if err := v.checkMerkle(); err != nil {
		return nil, err
	}
	v.rep.Entries, v.rep.Checkpoints, v.rep.Keys = len(entries), len(b.Checkpoints), len(v.keys)
	v.rep.LogVerifier, v.rep.Pinned = b.Keys.LogVerifier, trust.LogVerifier != ""
	v.rep.ReceiptKey = b.Keys.ReceiptPublicKey
	v.rep.Committee = v.committee
	hands := map[string]int{}
	for _, vb := range v.ballots {
		switch vb.status {
		case "ACCEPTED":
			v.rep.Counted++
			if s := vb.b.Signer; s == ballot.SignerPlatform || s == ballot.SignerStaff {
				hands[vb.b.KeyID]++
			}
		case "SUPERSEDED":
			v.rep.Superseded++
		case "REFUSED":
			v.rep.Refused++
		}
	}
	v.rep.Ballots = len(v.ballots)
	for id, n := range hands {
		k := v.keys[id]
		v.rep.Hands = append(v.rep.Hands, Hand{Role: k.Role, Holder: k.Holder, KeyID: id, PublicKey: k.PublicKey, Counted: n})
	}
	slices.SortFunc(v.rep.Hands, func(a, b Hand) int { return cmp.Or(b.Counted-a.Counted, strings.Compare(a.KeyID, b.KeyID)) })
	return v.rep, nil
}

// parsed is what the parallel pre-pass learns of one log entry.
type parsed struct {
	e      *Entry
	err    error
	leaf   []byte
	ballot *ballot.Ballot // of a BALLOT entry, if it parses
	// sigErr is the result of checking the ballot's signature with the key
	// that a KEY entry logs for it; sigDone says whether it was checked.
	sigErr  error
	sigDone bool
}

// parallel runs f(i) for i in [0, n) on all cores.
func parallel(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// prepass parses every entry, hashes its leaf and checks every ballot's
// signature (in batches), on all cores. The replay then checks, in order, that each key
// was logged before its ballot and may sign it.
func prepass(data [][]byte) []parsed {
	out := make([]parsed, len(data))
	parallel(len(data), func(i int) {
		p := &out[i]
		p.leaf = LeafHash(data[i])
		p.e, p.err = ParseEntry(data[i])
		if p.err == nil {
			// Exactly as the server writes it: decoding alone would take
			// the last of a key given twice, a key in another case, and
			// drop unknown ones, so that other readers of the same signed
			// line could see another entry.
			if m, err := p.e.Marshal(); err != nil || !bytes.Equal(m, data[i]) {
				p.err = fmt.Errorf("%w: not the entry exactly as written (json.Marshal of its fields): a key given twice, in another case, unknown, out of order, or spaces", ErrMalformedEntry)
			}
		}
		if p.err == nil && p.e.Ballot != nil {
			p.ballot, _ = ballot.Parse(p.e.Ballot.Ballot)
		}
	})
	keys := map[string][]byte{}
	for _, p := range out {
		if p.err == nil && p.e.Key != nil {
			if _, dup := keys[p.e.Key.KeyID]; !dup {
				keys[p.e.Key.KeyID] = p.e.Key.PublicKey
			}
		}
	}
	var todo []int // entries whose ballot names a logged key
	for i := range out {
		p := &out[i]
		if p.ballot == nil {
			continue
		}
		pub, ok := keys[p.ballot.KeyID]
		if !ok || len(pub) != ed25519.PublicKeySize || ballot.KeyID(pub) != p.ballot.KeyID {
			continue
		}
		p.sigDone = true
		todo = append(todo, i)
	}
	// Signatures are checked in batches (badSignatures).
	batches := (len(todo) + batchSize - 1) / batchSize
	parallel(batches, func(n int) {
		idx := todo[n*batchSize : min(len(todo), (n+1)*batchSize)]
		items := make([]sigItem, len(idx))
		for j, i := range idx {
			p := &out[i]
			items[j] = sigItem{pub: keys[p.ballot.KeyID], msg: p.e.Ballot.Ballot, sig: p.e.Ballot.Signature}
		}
		for j, bad := range badSignatures(items) {
			if bad {
				out[idx[j]].sigErr = ballot.ErrBadSignature
			}
		}
	})
	return out
}

func (v *verifier) parseEntries() ([]*Entry, error) {
	v.pre = prepass(v.b.Entries)
	var out []*Entry
	for i := range v.b.Entries {
		e, err := v.pre[i].e, v.pre[i].err
		if err != nil {
			return nil, fail("entry-malformed", i, "%v", err)
		}
		if e.Index != uint64(i) {
			return nil, fail("entry-order", i, "the line holds entry %d: an entry is missing, added or out of order", e.Index)
		}
		// The server logs each entry at its clock's time, in UTC.
		if e.Time.Location() != time.UTC {
			return nil, fail("entry-time", i, "time %s is not in UTC", e.Time.Format(time.RFC3339))
		}
		if e.Assembly != v.b.Keys.Assembly {
			return nil, fail("entry-malformed", i, "entry of assembly %q in the export of %q", e.Assembly, v.b.Keys.Assembly)
		}
		out = append(out, e)
	}
	if len(out) < 2 || out[0].Kind != KindRoll || out[1].Kind != KindAgenda {
		return nil, fail("entry-order", -1, "the log must open with the frozen roll and the agenda")
	}
	return out, nil
}

func (v *verifier) rollAndAgenda(entries []*Entry) error {
	re := entries[0].Roll
	sum := sha256.Sum256(v.b.Roll)
	if hex.EncodeToString(sum[:]) != re.Digest {
		return fail("roll-digest", 0, "%s hashes to %x, but the log froze the roll with digest %s: the roll snapshot was changed", FileRoll, sum, re.Digest)
	}
	units, err := ParseRoll(v.b.Roll)
	if err != nil {
		return fail("roll-digest", 0, "%s: %v", FileRoll, err)
	}
	total, err := tally.Totals(units)
	if err != nil || len(units) != re.Units || total.Area.String() != re.TotalArea || total.Head != re.TotalHead {
		return fail("roll-digest", 0, "the roll's figures differ from the logged ones")
	}
	for _, u := range units {
		v.roll[u.ID] = u
		v.units[BallotVoter(tally.VoterOf(u))]++
	}
	v.agenda = entries[1].Agenda
	v.committee = slices.Clone(v.agenda.Committee)
	if v.agenda.Rules < 0 || v.agenda.Rules > Rules {
		return fail("agenda", 1, "the agenda follows procedure rules %d; this verifier knows them up to %d: update ownervote", v.agenda.Rules, Rules)
	}
	v.rep.Rules = v.agenda.Rules
	// What the server refuses at creation, so that a forged agenda cannot
	// make a certification of nobody's, or a panic, pass.
	switch n, k := len(v.agenda.Committee), v.agenda.CommitteeK; {
	case n == 0 || k < 1 || k > n:
		return fail("agenda", 1, "the agenda's committee needs %d of %d members' signatures: want 1 ≤ k ≤ n and at least one member", k, n)
	case v.agenda.ObjectionDays < 0 || v.agenda.ObjectionDays > 30:
		return fail("agenda", 1, "the agenda's objection window is %d days: want 0 to 30", v.agenda.ObjectionDays)
	}
	for j, m := range v.agenda.Committee {
		if len(m.PublicKey) != ed25519.PublicKeySize || ballot.KeyID(m.PublicKey) != m.KeyID {
			return fail("agenda", 1, "committee member %d (%s): key id %s does not match its public key", j, m.ID, m.KeyID)
		}
	}
	if v.agenda.RollDigest != re.Digest {
		return fail("agenda", 1, "the agenda names roll %s, the log froze %s", v.agenda.RollDigest, re.Digest)
	}
	// Byte for byte as the export writes it: decoding the file would
	// take a key in another case, the last of two, and drop unknown ones,
	// so a file showing another motion would pass.
	if want, err := IndentedJSON(v.agenda); err != nil || !bytes.Equal(v.b.Agenda, want) {
		return fail("agenda", 1, "%s is not exactly the published agenda of the log (log entry 1, as the export writes it)", FileAgenda)
	}
	if p := NoticeProblem(v.agenda.Opens.Sub(entries[1].Time), v.agenda.ShortNoticeReason, v.agenda.RefuseShortNotice); p != "" {
		return fail("agenda", 1, "%s", p)
	}
	return nil
}

// inOrder checks that e is not dated before an entry logged earlier: the
// windows are checked by these times. From procedure rules 6 on the server
// dates each entry no earlier than the last; before, two transactions
// could read its clock in one order and commit in the other, or a clock be
// set back a little, hence ClockSkew's allowance for earlier logs.
func (v *verifier) inOrder(e *Entry) error {
	allowed := ClockSkew
	if v.agenda.Rules >= TimeRules {
		allowed = 0
	}
	if e.Time.Before(v.latest.Add(-allowed)) {
		return fail("entry-time", int(e.Index), "logged %s, before an earlier entry (%s; allowed: %v): log times do not go back",
			FormatChinaTime(e.Time), FormatChinaTime(v.latest), allowed)
	}
	if e.Time.After(v.latest) {
		v.latest = e.Time
	}
	return nil
}

// isVoter reports whether voter votes for a unit of the current roll.
func (v *verifier) isVoter(voter string) bool { return v.units[voter] > 0 }

func (v *verifier) motion(id string) (Motion, bool) {
	for _, m := range v.agenda.Motions {
		if m.ID == id {
			return m, true
		}
	}
	return Motion{}, false
}

func (v *verifier) replay(e *Entry) error {
	i := int(e.Index)
	if v.expectSS != nil {
		s := e.Status
		if e.Kind != KindStatus || s.Status != "SUPERSEDED" || s.Seq != v.expectSS.Seq || s.KeyID != "" {
			return fail("one-ballot", i, "a voter's second counted ballot without the supersession of ballot %d: one counted ballot per voter", v.expectSS.Seq)
		}
		if id := v.ballots[s.Seq].id; s.ID != id {
			return fail("one-ballot", i, "the supersession of ballot %d names ballot %s; ballot %d is %s", s.Seq, s.ID, s.Seq, id)
		}
		v.ballots[s.Seq].status = "SUPERSEDED"
		v.expectSS = nil
		return nil
	}
	if v.rep.Certified {
		return fail("certified", i, "%s entry after certification: a certified assembly is final", e.Kind)
	}
	if v.rep.Cancelled {
		return fail("status", i, "%s entry after the assembly was cancelled", e.Kind)
	}
	if v.closed && e.Kind != KindObjection && e.Kind != KindResponse && e.Kind != KindCertSignature && e.Kind != KindCertified && e.Kind != KindResult &&
		e.Kind != KindCommitteeKey && (e.Kind != KindKeyRevoked || v.member(e.KeyRevoked.KeyID) == nil) {
		return fail("status", i, "%s entry after the vote closed", e.Kind)
	}
	// (From rules 4 on, a CANCEL ends them as a CLOSE does.)
	if v.closing && e.Kind != KindClose && !(e.Kind == KindCancel && v.agenda.Rules >= 4) && (e.Kind != KindStatus || e.Status.KeyID != "") {
		return fail("status", i, "%s entry between the refusals of unconfirmed ballots and the CLOSE", e.Kind)
	}
	switch e.Kind {
	case KindKey:
		if _, dup := v.keys[e.Key.KeyID]; dup {
			return fail("unregistered-key", i, "key %s logged twice", e.Key.KeyID)
		}
		if len(e.Key.PublicKey) != ed25519.PublicKeySize || ballot.KeyID(e.Key.PublicKey) != e.Key.KeyID {
			return fail("unregistered-key", i, "key id %s does not match its public key", e.Key.KeyID)
		}
		v.keys[e.Key.KeyID] = e.Key
	case KindProxy:
		return v.recordProxy(i, e.Proxy)
	case KindProxyWithdrawn:
		p := v.proxy[e.ProxyWithdrawn.Voter]
		if p == nil || p.HolderKeyID != e.ProxyWithdrawn.HolderKeyID {
			return fail("proxy", i, "the withdrawal of a proxy of voter %s with key %s, which is not on record", e.ProxyWithdrawn.Voter, e.ProxyWithdrawn.HolderKeyID)
		}
		delete(v.proxy, p.Voter)
		if p.Holder != "" {
			v.proxyHolders[p.Holder]--
			v.withdrawn = append(v.withdrawn, p)
		}
	case KindKeyRevoked:
		id := e.KeyRevoked.KeyID
		if v.keys[id] == nil && v.member(id) == nil {
			return fail("unregistered-key", i, "key %s revoked, but not logged before", id)
		}
		if _, dup := v.revoked[id]; dup {
			return fail("unregistered-key", i, "key %s revoked twice", id)
		}
		v.revoked[id] = e.Time
		// A committee key revoked since it signed (logged at the
		// certification): its signature no longer counts.
		if j := slices.IndexFunc(v.certs, func(c CertificateEntry) bool { return c.KeyID == id }); j >= 0 {
			v.certs = slices.Delete(v.certs, j, j+1)
			v.rep.Signers = slices.Delete(v.rep.Signers, j, j+1)
			delete(v.people, v.member(id).ID)
		}
	case KindBallot:
		return v.ballot(i, e.Time, e.Ballot)
	case KindStatus:
		vb := v.ballots[e.Status.Seq]
		if vb == nil || vb.status != "PENDING_CONFIRMATION" {
			return fail("status", i, "status %s of ballot %d, which is not waiting for confirmation", e.Status.Status, e.Status.Seq)
		}
		if e.Status.KeyID == "" {
			// Refused unconfirmed as the vote closes: a CLOSE follows.
			if e.Status.Status != "REFUSED" || e.Status.ID != vb.id {
				return fail("status", i, "ballot %d changed to %s without a confirmation: only an unconfirmed ballot's refusal at the close has none", e.Status.Seq, e.Status.Status)
			}
			v.settle(e.Status.Seq, "REFUSED")
			v.closing = true
			return nil
		}
		// The confirmation is signed by another staff member than the one
		// who took the ballot, with a staff key logged before. It counts
		// the ballot, refuses it for a rule its check found broken, or
		// finds it superseded by a later ballot of the voter that counts.
		k := v.keys[e.Status.KeyID]
		switch {
		case e.Status.Status != "ACCEPTED" && e.Status.Status != "REFUSED" && e.Status.Status != "SUPERSEDED":
			return fail("status", i, "ballot %d changed to %q on its confirmation: a confirmation counts a ballot (ACCEPTED), refuses it (REFUSED) or finds it superseded (SUPERSEDED)", e.Status.Seq, e.Status.Status)
		case e.Status.Status == "SUPERSEDED" && (!v.agenda.AllowRevote || v.counted[vb.b.Voter] < e.Status.Seq):
			return fail("status", i, "ballot %d superseded on its confirmation, but no later ballot of voter %s counts where votes may be changed", e.Status.Seq, vb.b.Voter)
		case k == nil || k.Role != string(ballot.SignerStaff) || (k.Community != "" && k.Community != v.agenda.CommunityID):
			return fail("right-to-sign", i, "ballot %d confirmed with key %q, not a staff key of this community logged before", e.Status.Seq, e.Status.KeyID)
		case vb.b.Attestation != nil && k.Holder == vb.b.Attestation.StaffID:
			return fail("right-to-sign", i, "ballot %d confirmed by %s, who took it", e.Status.Seq, k.Holder)
		case v.isRevoked(e.Status.KeyID):
			return fail("right-to-sign", i, "ballot %d confirmed with key %s, revoked %s", e.Status.Seq, e.Status.KeyID, FormatChinaTime(v.revoked[e.Status.KeyID]))
		case e.Status.Status == "ACCEPTED" && v.isRevoked(vb.b.KeyID):
			return fail("right-to-sign", i, "ballot %d counted on its confirmation, but the key that signed it was revoked %s", e.Status.Seq, FormatChinaTime(v.revoked[vb.b.KeyID]))
		case e.Status.ID != vb.id:
			return fail("status", i, "the status of ballot %d names ballot %s: a confirmation is of the pending ballot itself", e.Status.Seq, e.Status.ID)
		case e.Status.Status == "ACCEPTED" && !v.voting(e.Time):
			// (A refusal may be logged at the close: earlier versions read
			// the clock twice when confirming.)
			return fail("status", i, "ballot %d counted by a confirmation at %s, outside the voting window %s – %s", e.Status.Seq, FormatChinaTime(e.Time), FormatChinaTime(v.agenda.Opens), FormatChinaTime(v.agenda.Closes))
		case !ed25519.Verify(k.PublicKey, ConfirmationStatement(v.b.Keys.Assembly, e.Status.ID), e.Status.Signature):
			return fail("ballot-signature", i, "the confirmation of ballot %d does not verify", e.Status.Seq)
		}
		v.settle(e.Status.Seq, e.Status.Status)
		if e.Status.Status == "ACCEPTED" {
			return v.count(i, e.Status.Seq, vb.b.Voter)
		}
	case KindRejection:
		return v.reject(i, e.Time, e.Rejection)
	case KindAmendment:
		// A sale is recorded in a vote under way: the server never logs one
		// at or after its closing (where a buyer's counted ballot would
		// gain area after the vote).
		if !e.Time.Before(v.agenda.Closes) {
			return fail("amendment", i, "recorded %s, at or after the vote's closing %s", FormatChinaTime(e.Time), FormatChinaTime(v.agenda.Closes))
		}
		return v.amend(i, e.Amendment)
	case KindClose:
		if e.Time.Before(v.agenda.Closes) && (!e.Close.Early || e.Close.Reason == "" || e.Close.By == "") {
			return fail("status", i, "the vote closed %s, before the agenda's closing %s, without an early close's reason and the admin who closed it",
				FormatChinaTime(e.Time), FormatChinaTime(v.agenda.Closes))
		}
		// Every ballot received ends counted, refused or superseded (from
		// rules 1 on: before, ballots could be left waiting).
		var waiting uint64
		for seq, vb := range v.ballots {
			if vb.status == "PENDING_CONFIRMATION" && (waiting == 0 || seq < waiting) {
				waiting = seq
			}
		}
		if waiting != 0 && v.agenda.Rules >= 1 {
			return fail("status", i, "ballot %d still waits for confirmation at the close: it must be refused there", waiting)
		}
		v.closed, v.closedAt, v.closing = true, e.Time, false
	case KindResult:
		if !v.closed || v.result != nil {
			return fail("result-digest", i, "a RESULT entry must follow CLOSE, once")
		}
		return v.recount(i, e.Result)
	case KindObjection:
		switch deadline := v.objectionDeadline(); {
		case v.result == nil:
			return fail("status", i, "an objection before the preliminary result")
		case !e.Time.Before(deadline):
			return fail("status", i, "an objection at %s, after the objection window closed %s", FormatChinaTime(e.Time), FormatChinaTime(deadline))
		case v.objections[e.Objection.ID]:
			return fail("status", i, "objection %s logged twice", e.Objection.ID)
		}
		v.rep.Objections++
		v.objections[e.Objection.ID] = true
		v.unanswered[e.Objection.ID] = true
	case KindResponse:
		if !v.unanswered[e.Response.ObjectionID] {
			return fail("status", i, "a response to %q, which is no objection waiting for one", e.Response.ObjectionID)
		}
		delete(v.unanswered, e.Response.ObjectionID)
	case KindCertSignature:
		deadline := v.objectionDeadline()
		switch {
		case e.Time.Before(deadline):
			return fail("committee-signature", i, "signed %s, before the objection window closed %s", FormatChinaTime(e.Time), FormatChinaTime(deadline))
		case len(v.unanswered) > 0:
			return fail("committee-signature", i, "signed while %d objection(s) had no response", len(v.unanswered))
		}
		return v.certSignature(i, e.CertSignature)
	case KindCertified:
		if len(v.certs) < v.agenda.CommitteeK {
			return fail("certified", i, "certified with %d valid signatures, %d needed", len(v.certs), v.agenda.CommitteeK)
		}
		if e.Certified.ResultDigest != v.rep.Digest {
			return fail("certified", i, "certifies result %s, the recomputed result is %s", e.Certified.ResultDigest, v.rep.Digest)
		}
		if !slices.EqualFunc(e.Certified.Signers, v.certs, func(k string, c CertificateEntry) bool { return k == c.KeyID }) {
			return fail("certified", i, "names signers %v, the log holds the signatures of %v", e.Certified.Signers, certKeys(v.certs))
		}
		v.rep.Certified = true
	case KindCommitteeKey:
		return v.committeeKey(i, e.CommitteeKey)
	case KindCancel:
		if v.closed || !e.Time.Before(v.agenda.Closes) {
			return fail("status", i, "CANCEL after the vote closed")
		}
		v.closing = false
		// From rules 4 on, no ballot is left waiting in a cancelled vote.
		for seq, vb := range v.ballots {
			if vb.status == "PENDING_CONFIRMATION" && v.agenda.Rules >= 4 {
				return fail("status", i, "ballot %d still waits for confirmation at the cancel: it must be refused there", seq)
			}
		}
		v.rep.Cancelled = true
	default:
		return fail("entry-malformed", i, "unexpected %s entry", e.Kind)
	}
	return nil
}

// objectionDeadline is the end of the objection window, as the server
// computes it (assembly.Assembly's ObjectionDeadline).
func (v *verifier) objectionDeadline() time.Time {
	return ObjectionDeadline(ObjectionStart(v.closedAt, v.agenda.Closes, v.agenda.Rules), v.agenda.ObjectionDays, v.agenda.Rules)
}

// voting tells whether t is inside the voting window, as the server's
// intake decides it (assembly.StateAt).
func (v *verifier) voting(t time.Time) bool {
	return !t.Before(v.agenda.Opens) && t.Before(v.agenda.Closes)
}

func (v *verifier) ballot(i int, at time.Time, be *BallotEntry) error {
	b := v.pre[i].ballot
	if b == nil {
		_, err := ballot.Parse(be.Ballot)
		return fail("ballot-signature", i, "ballot %d does not parse: %v", be.Seq, err)
	}
	if ballot.ID(be.Ballot) != be.ID {
		return fail("ballot-id", i, "ballot %d: id %s does not match its bytes", be.Seq, be.ID)
	}
	k := v.keys[b.KeyID]
	if k == nil {
		return fail("unregistered-key", i, "ballot %d is signed by key %s, which no earlier KEY entry registers", be.Seq, b.KeyID)
	}
	if p := v.pre[i]; !p.sigDone || p.sigErr != nil {
		err := p.sigErr
		if !p.sigDone {
			_, err = ballot.Verify(be.Ballot, be.Signature, k.PublicKey)
		}
		if err != nil {
			return fail("ballot-signature", i, "ballot %d (voter %s): %v", be.Seq, b.Voter, err)
		}
	}
	if _, dup := v.ballots[be.Seq]; dup {
		return fail("entry-malformed", i, "ballot sequence number %d used twice", be.Seq)
	}
	v.ballots[be.Seq] = &verifiedBallot{id: be.ID, b: b, status: be.Status}
	if be.Status == "REFUSED" {
		return nil
	}
	if v.isRevoked(b.KeyID) {
		return fail("right-to-sign", i, "ballot %d signed with key %s, revoked %s", be.Seq, b.KeyID, FormatChinaTime(v.revoked[b.KeyID]))
	}
	if b.Assembly != v.b.Keys.Assembly || b.RollDigest != v.agenda.RollDigest {
		return fail("right-to-sign", i, "ballot %d is for assembly %s and roll %s", be.Seq, b.Assembly, b.RollDigest)
	}
	if !slices.Contains(v.agenda.Channels, string(b.Channel)) {
		return fail("right-to-sign", i, "ballot %d came through %s, which the assembly does not accept", be.Seq, b.Channel)
	}
	if err := v.right(b, k); err != nil {
		return fail("right-to-sign", i, "ballot %d (voter %s, %s): %v", be.Seq, b.Voter, b.Channel, err)
	}
	if !v.isVoter(b.Voter) {
		return fail("not-on-roll", i, "ballot %d: voter %s is not on the roll", be.Seq, b.Voter)
	}
	if !v.voting(at) {
		return fail("status", i, "ballot %d taken at %s, outside the voting window %s – %s", be.Seq, FormatChinaTime(at), FormatChinaTime(v.agenda.Opens), FormatChinaTime(v.agenda.Closes))
	}
	if p := BallotTimeProblem(b, v.agenda.Opens); p != "" && v.agenda.Rules >= 2 {
		return fail("status", i, "ballot %d: %s", be.Seq, p)
	}
	// Logged at the time it was taken: a ballot dated later (a call after
	// the closing, say) was refused as from the future.
	if p := FutureProblem(b, at, v.agenda.Rules); p != "" {
		return fail("status", i, "ballot %d taken at %s is from the future: %s", be.Seq, FormatChinaTime(at), p)
	}
	for _, m := range v.agenda.Motions {
		if !slices.ContainsFunc(b.Choices, func(c ballot.Choice) bool { return c.Motion == m.ID }) {
			return fail("choice", i, "ballot %d has no choice on motion %s: a counted ballot covers every motion", be.Seq, m.ID)
		}
	}
	for _, c := range b.Choices {
		m, ok := v.motion(c.Motion)
		if !ok {
			return fail("choice", i, "ballot %d votes on motion %q, not on the agenda", be.Seq, c.Motion)
		}
		if err := validChoice(m, c.Values); err != nil {
			return fail("choice", i, "ballot %d, motion %s: %v", be.Seq, m.ID, err)
		}
		if len(c.Values) == 1 && c.Values[0] == string(tally.Invalid) && b.Channel != ballot.Paper && v.agenda.Rules >= PaperRules {
			return fail("choice", i, "ballot %d, motion %s: INVALID on a %s ballot; from rules 5 on, only a returned paper ballot is invalid", be.Seq, m.ID, b.Channel)
		}
	}
	if err := v.paperOnce(i, be.Seq, b); err != nil {
		return err
	}
	switch be.Status {
	case "ACCEPTED":
		if v.agenda.MakerChecker && (b.Channel == ballot.Phone || b.Channel == ballot.Visit || (b.Channel == ballot.Paper && v.agenda.Rules >= 4)) {
			return fail("status", i, "ballot %d (%s) counted without a second staff member's confirmation", be.Seq, b.Channel)
		}
		if err := v.notWhileWaiting(i, be.Seq, b); err != nil {
			return err
		}
		return v.count(i, be.Seq, b.Voter)
	case "PENDING_CONFIRMATION":
		if !v.agenda.MakerChecker {
			return fail("status", i, "ballot %d pending confirmation, but the assembly has no maker-checker", be.Seq)
		}
		if err := v.notWhileWaiting(i, be.Seq, b); err != nil {
			return err
		}
		v.waiting[b.Voter] = append(v.waiting[b.Voter], be.Seq)
		return nil
	}
	return fail("status", i, "ballot %d has status %q", be.Seq, be.Status)
}

// paperOnce checks, from rules 5 on, that a paper ballot taken (counted,
// or waiting for its check) carries no paper mark (PaperMarks) that a
// ballot of another voter carries that was taken and is not refused since
// (one sheet of paper is one household's vote), and notes the ballot as
// one that carries them.
func (v *verifier) paperOnce(i int, seq uint64, b *ballot.Ballot) error {
	if b.Channel != ballot.Paper || v.agenda.Rules < PaperRules {
		return nil
	}
	marks := PaperMarks(b.Attestation)
	for _, m := range marks {
		for _, other := range v.papers[m] {
			if ob := v.ballots[other]; ob.b.Voter != b.Voter && ob.status != "REFUSED" {
				return fail("paper", i, "paper ballot %d of voter %s carries the %s of ballot %d of voter %s, %s: one paper ballot is one voter's",
					seq, b.Voter, m, other, ob.b.Voter, ob.status)
			}
		}
	}
	for _, m := range marks {
		v.papers[m] = append(v.papers[m], seq)
	}
	return nil
}

// right checks the signer's right to sign for the ballot's voter.
func (v *verifier) right(b *ballot.Ballot, k *KeyEntry) error {
	if k.Role != string(b.Signer) {
		return fmt.Errorf("key %s is a %s key, the ballot needs %s", k.KeyID, k.Role, b.Signer)
	}
	inScope := k.Community == "" || k.Community == v.agenda.CommunityID
	switch b.Signer {
	case ballot.SignerOwner:
		if k.Holder != b.Voter {
			return fmt.Errorf("key %s belongs to owner %s", k.KeyID, k.Holder)
		}
	case ballot.SignerPlatform:
		if !inScope {
			return fmt.Errorf("platform key %s acts in %s", k.KeyID, k.Community)
		}
	case ballot.SignerStaff:
		if !inScope || b.Attestation.StaffID != k.Holder {
			return fmt.Errorf("staff key %s is %s's (community %q); the attestation names %s", k.KeyID, k.Holder, k.Community, b.Attestation.StaffID)
		}
	case ballot.SignerProxy:
		p := v.proxy[b.Voter]
		if p == nil || p.HolderKeyID != k.KeyID || p.DocumentSHA256 != b.ProxyAuthorization {
			return fmt.Errorf("no recorded proxy authorisation of voter %s for key %s and that document", b.Voter, k.KeyID)
		}
	}
	return nil
}

func validChoice(m Motion, values []string) error {
	if len(values) == 1 && (values[0] == string(tally.Abstain) || values[0] == string(tally.Invalid)) {
		return nil
	}
	if len(m.Options) == 0 {
		if len(values) != 1 || (values[0] != string(tally.Agree) && values[0] != string(tally.Oppose)) {
			return fmt.Errorf("%v is not AGREE, OPPOSE, ABSTAIN or INVALID", values)
		}
		return nil
	}
	limit := max(1, m.Seats)
	if len(values) > limit {
		return fmt.Errorf("%d marks, at most %d", len(values), limit)
	}
	for _, x := range values {
		if !slices.ContainsFunc(m.Options, func(o Option) bool { return o.ID == x }) {
			return fmt.Errorf("no candidate %q", x)
		}
	}
	return nil
}

func (v *verifier) count(i int, seq uint64, voter string) error {
	if old, ok := v.counted[voter]; ok {
		if unit := v.kept[voter]; unit != "" {
			return fail("one-ballot", i, "voter %s has a second counted ballot (%d after %d), but ballot %d was kept as cast when unit %s was sold", voter, seq, old, old, unit)
		}
		if !v.agenda.AllowRevote {
			return fail("one-ballot", i, "voter %s has a second counted ballot (%d after %d): one counted ballot per voter", voter, seq, old)
		}
		v.expectSS = &StatusEntry{Seq: old}
	}
	v.counted[voter] = seq
	v.ballots[seq].status = "ACCEPTED"
	return nil
}

// recordProxy checks a proxy authorisation as the server does: one per
// voter of the roll, a holder's key theirs alone, and at most the assembly's cap of
// voters per holder. (Entries written before holders were logged name no
// holder; the last two rules cannot be checked for them.)
func (v *verifier) recordProxy(i int, p *ProxyEntry) error {
	if !v.isVoter(p.Voter) {
		return fail("proxy", i, "a proxy authorisation for %s, who is not a voter of the roll", p.Voter)
	}
	if _, dup := v.proxy[p.Voter]; dup {
		return fail("proxy", i, "a second proxy authorisation for voter %s: a voter has one", p.Voter)
	}
	if seq := v.counted[p.Voter]; seq != 0 && v.agenda.Rules >= 4 && !v.agenda.AllowRevote {
		return fail("proxy", i, "a proxy authorisation for voter %s, whose ballot %d counts: where votes may not be changed, the proxy could not vote", p.Voter, seq)
	}
	v.proxy[p.Voter] = p
	if p.Holder == "" {
		return nil
	}
	if h, ok := v.proxyKeys[p.HolderKeyID]; ok && h != p.Holder {
		return fail("proxy", i, "key %s is holder %s's, and this authorisation gives it to %s", p.HolderKeyID, h, p.Holder)
	}
	v.proxyKeys[p.HolderKeyID] = p.Holder
	v.proxyHolders[p.Holder]++
	n := v.proxyHolders[p.Holder]
	if v.agenda.Rules >= 4 {
		// A withdrawn authorisation counts toward the cap while the ballot
		// its holder cast under it counts.
		seen := map[string]bool{}
		for _, w := range v.withdrawn {
			if w.Holder != p.Holder || seen[w.Voter] || (v.proxy[w.Voter] != nil && v.proxy[w.Voter].Holder == p.Holder) {
				continue
			}
			if seq := v.counted[w.Voter]; seq != 0 && v.ballots[seq].b.Channel == ballot.Proxy && v.ballots[seq].b.KeyID == w.HolderKeyID {
				seen[w.Voter] = true
				n++
			}
		}
	}
	if limit := v.agenda.ProxyCap; limit > 0 && n > limit {
		return fail("proxy", i, "holder %s acts for %d voters, the assembly's cap is %d (a withdrawn authorisation counts while its holder's ballot under it counts)", p.Holder, n, limit)
	}
	return nil
}

// reject replays a second staff member's refusal of a ballot waiting for
// confirmation: signed, like a confirmation, by another staff member than
// the one who took it, with a staff key of the community logged before,
// inside the voting window.
func (v *verifier) reject(i int, at time.Time, r *RejectionEntry) error {
	vb := v.ballots[r.Seq]
	k := v.keys[r.KeyID]
	switch {
	case vb == nil || vb.status != "PENDING_CONFIRMATION":
		return fail("status", i, "the rejection of ballot %d, which is not waiting for confirmation", r.Seq)
	case r.ID != vb.id:
		return fail("status", i, "the rejection of ballot %d names ballot %s: a rejection is of the pending ballot itself", r.Seq, r.ID)
	case !v.voting(at):
		return fail("status", i, "ballot %d rejected at %s, outside the voting window %s – %s", r.Seq, FormatChinaTime(at), FormatChinaTime(v.agenda.Opens), FormatChinaTime(v.agenda.Closes))
	case k == nil || k.Role != string(ballot.SignerStaff) || (k.Community != "" && k.Community != v.agenda.CommunityID):
		return fail("right-to-sign", i, "ballot %d rejected with key %q, not a staff key of this community logged before", r.Seq, r.KeyID)
	case vb.b.Attestation != nil && k.Holder == vb.b.Attestation.StaffID:
		return fail("right-to-sign", i, "ballot %d rejected by %s, who took it", r.Seq, k.Holder)
	case v.isRevoked(r.KeyID):
		return fail("right-to-sign", i, "ballot %d rejected with key %s, revoked %s", r.Seq, r.KeyID, FormatChinaTime(v.revoked[r.KeyID]))
	case !ValidRejectionReason(r.Reason):
		return fail("status", i, "the rejection of ballot %d has no reason of one line (1 to 200 characters)", r.Seq)
	case !ed25519.Verify(k.PublicKey, RejectionStatement(v.b.Keys.Assembly, r.ID, r.Reason), r.Signature):
		return fail("ballot-signature", i, "the rejection of ballot %d does not verify", r.Seq)
	}
	v.settle(r.Seq, "REFUSED")
	return nil
}

// settle gives the ballot seq, which waited for confirmation, its status.
func (v *verifier) settle(seq uint64, status string) {
	vb := v.ballots[seq]
	vb.status = status
	w := v.waiting[vb.b.Voter]
	if i := slices.Index(w, seq); i >= 0 {
		v.waiting[vb.b.Voter] = slices.Delete(w, i, i+1)
	}
}

// notWhileWaiting checks, from rules 4 on and where votes may not be
// changed, that no ballot staff take (PHONE, VISIT, PAPER) is taken -
// counted, or waiting itself - while another of the voter's waits for
// confirmation. (The voter's own ballot is taken, and the waiting one is
// then refused at its check.)
func (v *verifier) notWhileWaiting(i int, seq uint64, b *ballot.Ballot) error {
	if w := v.waiting[b.Voter]; len(w) > 0 && b.Channel.StaffTaken() && v.agenda.Rules >= 4 && !v.agenda.AllowRevote {
		return fail("one-ballot", i, "ballot %d of voter %s, taken by staff while their ballot %d waits for confirmation: that one decides among the ballots staff take", seq, b.Voter, w[0])
	}
	return nil
}

func (v *verifier) amend(i int, a *AmendmentEntry) error {
	u, ok := v.roll[a.UnitID]
	if !ok {
		return fail("amendment", i, "unit %s is not on the roll", a.UnitID)
	}
	if prev := BallotVoter(tally.VoterOf(u)); prev != a.PreviousVoter {
		return fail("amendment", i, "unit %s is voted by %s, the amendment says %s", a.UnitID, prev, a.PreviousVoter)
	}
	if v.agenda.Rules >= 3 {
		// From rules 3 on a waiting ballot is confirmed or rejected before
		// its voter's unit is sold, so that the sale cannot decide it.
		var waiting uint64
		for seq, vb := range v.ballots {
			if vb.status == "PENDING_CONFIRMATION" && vb.b.Voter == a.PreviousVoter && (waiting == 0 || seq < waiting) {
				waiting = seq
			}
		}
		if waiting != 0 {
			return fail("amendment", i, "unit %s sold while ballot %d of its voter %s was waiting for confirmation", a.UnitID, waiting, a.PreviousVoter)
		}
	}
	_, voted := v.counted[a.PreviousVoter]
	switch a.Effect {
	case "BALLOT_KEPT":
		if !voted && a.NewVoter != a.PreviousVoter {
			return fail("amendment", i, "unit %s kept a ballot, but %s had none", a.UnitID, a.PreviousVoter)
		}
		// From rules 1 on the seller's ballot can no longer change.
		if a.NewVoter != a.PreviousVoter && v.kept[a.PreviousVoter] == "" && v.agenda.Rules >= 1 {
			v.kept[a.PreviousVoter] = a.UnitID
		}
	case "VOTER_CHANGED":
		if voted {
			return fail("amendment", i, "unit %s changed voter although %s had voted", a.UnitID, a.PreviousVoter)
		}
		v.units[a.PreviousVoter]--
		u.OwnerID, u.Developer = a.NewVoter, false
		v.roll[a.UnitID] = u
		v.units[a.NewVoter]++
	default:
		return fail("amendment", i, "unknown effect %q", a.Effect)
	}
	return nil
}

// TallyAssembly is the agenda as the tally package takes it.
func (a *AgendaEntry) TallyAssembly() tally.Assembly {
	ta := tally.Assembly{RuleSet: a.RuleSet, Abstention: a.Abstention, InvalidCountsTowardQuorum: a.InvalidCounts, DeemedConsent: a.DeemedConsent,
		EarlyWording: EarlyWording(a.Rules)}
	for _, m := range a.Motions {
		tm := tally.Motion{ID: m.ID, Matter: tally.Matter(m.Matter), Seats: m.Seats}
		for _, o := range m.Options {
			tm.Options = append(tm.Options, o.ID)
		}
		ta.Motions = append(ta.Motions, tm)
	}
	return ta
}

func (v *verifier) recount(i int, r *ResultEntry) error {
	var units []tally.Unit
	for _, u := range v.roll {
		units = append(units, u)
	}
	var bs []tally.Ballot
	for voter, seq := range v.counted {
		for _, c := range v.ballots[seq].b.Choices {
			tb := tally.Ballot{Voter: TallyVoter(voter), Motion: c.Motion}
			for _, x := range c.Values {
				tb.Choices = append(tb.Choices, tally.Choice(x))
			}
			bs = append(bs, tb)
		}
	}
	res, err := tally.Count(units, v.agenda.TallyAssembly(), bs)
	if err != nil {
		return fail("result-digest", i, "the counted ballots do not tally: %v", err)
	}
	d := res.Digest()
	v.rep.Digest = hex.EncodeToString(d[:])
	if v.rep.Digest != r.Digest {
		return fail("result-digest", i, "the log records result %s, the recount gives %s", r.Digest, v.rep.Digest)
	}
	v.result, v.rep.Result, v.rep.Closed = &res, &res, true
	return nil
}

func certKeys(certs []CertificateEntry) []string {
	keys := make([]string, len(certs))
	for i, c := range certs {
		keys[i] = c.KeyID
	}
	return keys
}

func (v *verifier) isRevoked(keyID string) bool {
	_, ok := v.revoked[keyID]
	return ok
}

// member returns the member a key certifies for now, or nil.
func (v *verifier) member(keyID string) *Member {
	for i := range v.committee {
		if v.committee[i].KeyID == keyID {
			return &v.committee[i]
		}
	}
	return nil
}

// committeeKey replays a COMMITTEE_KEY entry: a member's key replaced by a
// new one that VouchesNeeded(k) other members vouch for.
func (v *verifier) committeeKey(i int, ck *CommitteeKeyEntry) error {
	m := v.member(ck.Replaces)
	switch {
	case m == nil:
		return fail("committee-key", i, "replaces %s, which is not a committee key of this assembly", ck.Replaces)
	case len(ck.PublicKey) != ed25519.PublicKeySize || ballot.KeyID(ck.PublicKey) != ck.KeyID:
		return fail("committee-key", i, "key id %s does not match its public key", ck.KeyID)
	case v.member(ck.KeyID) != nil || v.retired[ck.KeyID] || v.keys[ck.KeyID] != nil:
		return fail("committee-key", i, "key %s is already a key of this assembly's log", ck.KeyID)
	case len(ck.Vouches) < VouchesNeeded(v.agenda.CommitteeK):
		return fail("committee-key", i, "the new key of %s is vouched for by %d member(s), %d needed", m.Name, len(ck.Vouches), VouchesNeeded(v.agenda.CommitteeK))
	}
	stmt := KeyReplacementStatement(v.b.Keys.Assembly, ck.Replaces, ck.KeyID)
	var names []string
	for n, vo := range ck.Vouches {
		e := v.member(vo.KeyID)
		switch {
		case e == nil:
			return fail("committee-key", i, "vouched for by %s, which is not a committee key of this assembly", vo.KeyID)
		case e == m:
			return fail("committee-key", i, "the new key of %s is vouched for by the key it replaces", m.Name)
		case slices.ContainsFunc(ck.Vouches[:n], func(o Vouch) bool { return o.KeyID == vo.KeyID }):
			return fail("committee-key", i, "%s vouches twice for the new key of %s", e.Name, m.Name)
		case !ed25519.Verify(e.PublicKey, stmt, vo.Signature):
			return fail("committee-key", i, "the signature of %s (%s) vouching for key %s does not verify", e.Name, vo.KeyID, ck.KeyID)
		}
		names = append(names, e.Name)
	}
	// A signature the member made with the replaced key no longer counts;
	// they sign again with the new one.
	if j := slices.IndexFunc(v.certs, func(c CertificateEntry) bool { return c.KeyID == ck.Replaces }); j >= 0 {
		v.certs = slices.Delete(v.certs, j, j+1)
		v.rep.Signers = slices.Delete(v.rep.Signers, j, j+1)
		delete(v.people, m.ID)
	}
	v.retired[ck.Replaces] = true
	v.rep.Replacements = append(v.rep.Replacements, Replacement{Member: m.Name, Replaces: ck.Replaces, KeyID: ck.KeyID, Vouchers: names})
	m.KeyID, m.PublicKey = ck.KeyID, ck.PublicKey
	return nil
}

func (v *verifier) certSignature(i int, cs *CertSignatureEntry) error {
	if v.result == nil {
		return fail("committee-signature", i, "signature before the result")
	}
	m := v.member(cs.KeyID)
	if m == nil {
		return fail("committee-signature", i, "key %s is not a committee member of this assembly", cs.KeyID)
	}
	if v.isRevoked(cs.KeyID) {
		return fail("committee-signature", i, "key %s of %s signed after it was revoked %s", cs.KeyID, m.Name, FormatChinaTime(v.revoked[cs.KeyID]))
	}
	if v.people[m.ID] {
		return fail("committee-signature", i, "member %s signed twice", m.Name)
	}
	v.people[m.ID] = true
	stmt := CertificationStatement(v.b.Keys.Assembly, v.agenda.RollDigest, v.rep.Digest)
	if !ed25519.Verify(m.PublicKey, stmt, cs.Signature) {
		return fail("committee-signature", i, "the signature of %s (%s) does not verify", m.Name, cs.KeyID)
	}
	v.certs = append(v.certs, CertificateEntry{KeyID: cs.KeyID, Name: m.Name, Signature: cs.Signature})
	v.rep.Signers = append(v.rep.Signers, m.Name)
	return nil
}

func (v *verifier) checkResultFile() error {
	if v.result == nil {
		if v.b.Result != nil {
			return fail("result", -1, "%s exists but the log has no result (a log cut short? %s has %d entries)", FileResult, FileLog, len(v.b.Entries))
		}
		return nil
	}
	var want bytes.Buffer
	if err := recount.WriteJSON(&want, *v.result); err != nil {
		return err
	}
	if len(v.b.Result) == 0 {
		return fail("result", -1, "%s is missing or empty, and the log has the result", FileResult)
	}
	if !bytes.Equal(want.Bytes(), v.b.Result) {
		wl, gl := strings.Split(want.String(), "\n"), strings.Split(string(v.b.Result), "\n")
		for n := range min(len(wl), len(gl)) {
			if wl[n] != gl[n] {
				return fail("result", -1, "%s line %d reads %q; the recomputed result has %q", FileResult, n+1, strings.TrimSpace(gl[n]), strings.TrimSpace(wl[n]))
			}
		}
		return fail("result", -1, "%s differs from the recomputed result in length", FileResult)
	}
	return nil
}

// checkCertificateFile checks certificate.json against the signatures the
// log holds (each verified there): byte for byte the certificate the
// export writes from them and the agenda's names.
func (v *verifier) checkCertificateFile() error {
	if v.b.Certificate == nil {
		if len(v.certs) > 0 {
			return fail("committee-signature", -1, "%s is missing but the log has %d signatures", FileCertificate, len(v.certs))
		}
		return nil
	}
	var c Certificate
	if err := json.Unmarshal(v.b.Certificate, &c); err != nil {
		return fail("committee-signature", -1, "%s: %v", FileCertificate, err)
	}
	stmt := CertificationStatement(v.b.Keys.Assembly, v.agenda.RollDigest, v.rep.Digest)
	if c.Statement != string(stmt) {
		return fail("committee-signature", -1, "%s certifies another statement than the recomputed result's", FileCertificate)
	}
	want, err := IndentedJSON(Certificate{Statement: string(stmt), Signatures: v.certs})
	if err != nil || !bytes.Equal(v.b.Certificate, want) {
		return fail("committee-signature", -1, "%s is not the certificate of the log: %d signature(s) there, %d in the file, or a name, a signature or their order differs",
			FileCertificate, len(v.certs), len(c.Signatures))
	}
	return nil
}

func (v *verifier) checkMerkle() error {
	if len(v.b.Checkpoints) == 0 {
		return fail("checkpoint-signature", -1, "no signed checkpoint")
	}
	bySize := map[uint64][]byte{}
	var maxSize uint64
	for n, c := range v.b.Checkpoints {
		cp, err := OpenCheckpoint(c, v.b.Keys.LogVerifier, v.b.Keys.Assembly)
		if err != nil {
			return fail("checkpoint-signature", -1, "checkpoint %d: %v", n+1, err)
		}
		// Oldest first, one per size: two signed roots of one size would be
		// a forked log, whichever of them the entries match.
		if n > 0 && cp.Size <= maxSize {
			return fail("checkpoint-order", -1, "%s: checkpoint %d covers %d entries, checkpoint %d before it %d: the checkpoints go oldest first, one per size (two of one size would be two versions of the log)",
				FileCheckpoints, n+1, cp.Size, n, maxSize)
		}
		bySize[cp.Size] = cp.Hash
		maxSize = cp.Size
	}
	if maxSize != uint64(len(v.b.Entries)) {
		return fail("log-size", -1, "%s has %d entries, the newest signed checkpoint covers %d: entries were added or dropped", FileLog, len(v.b.Entries), maxSize)
	}
	v.rep.Size, v.rep.Root = maxSize, bySize[maxSize]
	var t Tree
	for i := range v.b.Entries {
		if err := t.Append(v.pre[i].leaf, func(compact.NodeID, []byte) {}); err != nil {
			return err
		}
		if want, ok := bySize[uint64(i+1)]; ok {
			root, err := t.Root()
			if err != nil {
				return err
			}
			if !bytes.Equal(root, want) {
				return fail("merkle-root", i, "the first %d entries hash to %x, the signed checkpoint says %x: an entry was changed", i+1, root, want)
			}
		}
	}
	return nil
}
