package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/server"
)

// checkReceipt verifies a receipt's inclusion proof and checkpoint as an
// owner would, and returns the checkpoint's size and root.
func (v *vote) checkReceipt(t *testing.T, r *ov.BallotReceipt) (uint64, []byte) {
	t.Helper()
	keys, err := ov.NewSignerServiceClient(v.e.conn).GetServerKeys(v.ctx(v.e.admin), &ov.GetServerKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.OpenCheckpoint([]byte(r.GetCheckpoint()), keys.GetLogVerifierKey(), v.assembly)
	if err != nil {
		t.Fatalf("receipt checkpoint: %v", err)
	}
	if cp.Size != r.GetLogSize() {
		t.Fatalf("checkpoint size %d, receipt says %d", cp.Size, r.GetLogSize())
	}
	if err := audit.VerifyInclusion(r.GetLogEntry(), r.GetLogIndex(), cp.Size, r.GetInclusionProof(), cp.Hash); err != nil {
		t.Fatalf("inclusion proof of ballot %s: %v", r.GetBallotId(), err)
	}
	e, err := audit.ParseEntry(r.GetLogEntry())
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case e.Ballot != nil && e.Ballot.ID == r.GetBallotId() && e.Ballot.Status == "ACCEPTED":
	case e.Status != nil && e.Status.ID == r.GetBallotId() && e.Status.Status == "ACCEPTED":
	default:
		t.Fatalf("the receipt's log entry %s does not record ballot %s as accepted", e.Kind, r.GetBallotId())
	}
	return cp.Size, cp.Hash
}

// TestReceiptsProveInclusion: every receipt of the walkthrough, phone ballots
// and a maker-checker confirmation included, carries an inclusion proof
// against a signed checkpoint, and any two checkpoints are consistent.
func TestReceiptsProveInclusion(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	type point struct {
		size uint64
		root []byte
	}
	var points []point
	for i := range 60 {
		c := channelOf(i)
		if c.StaffTaken() {
			b, s := v.ballotFor(i, c, "AGREE")
			canonical, sig := v.sign(t, b, s)
			pending, err := v.submit(t, canonical, sig, c)
			if err != nil {
				t.Fatal(err)
			}
			r, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(pending.GetBallotId(), v.staff2))
			if err != nil {
				t.Fatal(err)
			}
			size, root := v.checkReceipt(t, r)
			points = append(points, point{size, root})
			continue
		}
		size, root := v.checkReceipt(t, v.cast(t, i, c, "AGREE"))
		points = append(points, point{size, root})
	}
	for i := 0; i < len(points); i += 7 {
		for j := i; j < len(points); j += 11 {
			p, err := v.as.GetConsistencyProof(v.ctx(v.e.admin), &ov.GetConsistencyProofRequest{CommunityId: v.community, AssemblyId: v.assembly, Size1: points[i].size, Size2: points[j].size})
			if err != nil {
				t.Fatal(err)
			}
			if err := audit.VerifyConsistency(points[i].size, points[j].size, p.GetHashes(), points[i].root, points[j].root); err != nil {
				t.Errorf("consistency %d→%d: %v", points[i].size, points[j].size, err)
			}
		}
	}
	// A receipt fetched later proves inclusion in the newer log too.
	first := v.cast(t, 140, ballot.Platform, "OPPOSE")
	v.cast(t, 141, ballot.Platform, "OPPOSE")
	later, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: first.GetBallotId()})
	if err != nil {
		t.Fatal(err)
	}
	if later.GetLogSize() <= first.GetLogSize() {
		t.Errorf("later receipt log size %d, first %d", later.GetLogSize(), first.GetLogSize())
	}
	v.checkReceipt(t, later)
	// A tampered entry does not verify.
	bad := bytes.Replace(later.GetLogEntry(), []byte("ACCEPTED"), []byte("REFUSED"), 1)
	cp, _ := audit.OpenCheckpoint([]byte(later.GetCheckpoint()), v.e.reg.LogVerifierKey(), v.assembly)
	if audit.VerifyInclusion(bad, later.GetLogIndex(), cp.Size, later.GetInclusionProof(), cp.Hash) == nil {
		t.Error("an altered log entry verifies")
	}
}

// committee returns three committee signers registered for the community.
func (v *vote) committee3(t *testing.T) []signer {
	ss := ov.NewSignerServiceClient(v.e.conn)
	m := []signer{v.committee, newSigner("member-qian", 204), newSigner("member-sun", 205)}
	for _, s := range m[1:] {
		if _, err := ss.RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: s.id, Name: s.id, CommunityId: v.community, PublicKey: s.pub()}}); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// openAnother creates and publishes another assembly on v's roll, makes it
// v's assembly and sets the clock during its vote.
func (v *vote) openAnother(t *testing.T, a *ov.Assembly) {
	t.Helper()
	v.e.clock.Set(publishAt)
	if _, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: a}); err != nil {
		t.Fatal(err)
	}
	pa, err := v.as.PublishAssembly(v.ctx(v.staffTok), &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	v.assembly, v.rollDigest = pa.GetAssemblyId(), pa.GetRollDigest()
	v.e.clock.Set(duringVote)
}

// certifiedVote runs a vote with a 2-of-3 committee to certification and
// returns it with the members.
func certifiedVote(t *testing.T) (*vote, []signer) {
	v := newVote(t, &ov.Settings{AllowRevote: true})
	members := v.committee3(t)
	// A second assembly with the 2-of-3 committee, on the same roll.
	v.openAnother(t, &ov.Assembly{
		AssemblyId: "select-2026-b", Title: "选聘物业", ObjectionDays: 3,
		Motions: []*ov.Motion{{MotionId: "m1", Title: "选聘青岛天泰爱家物业服务有限公司", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt),
		Channels:  []ov.Channel{ov.Channel_CHANNEL_ONLINE, ov.Channel_CHANNEL_PLATFORM, ov.Channel_CHANNEL_PHONE, ov.Channel_CHANNEL_VISIT, ov.Channel_CHANNEL_PAPER, ov.Channel_CHANNEL_PROXY},
		Settings:  &ov.Settings{AllowRevote: true},
		Committee: &ov.Committee{MemberKeyIds: []string{members[0].keyID(), members[1].keyID(), members[2].keyID()}, K: 2},
	})
	for i := range 115 {
		choice := "AGREE"
		if i%4 == 3 {
			choice = "OPPOSE"
		}
		v.cast(t, i, channelOf(i), choice)
	}
	v.cast(t, 7, ballot.Platform, "OPPOSE") // a changed vote: supersedes
	res := v.closeAndResult(t)
	if res.GetMotions()[0].GetDecision().GetOutcome() != "PASSED" {
		t.Fatalf("outcome %s", res.GetMotions()[0].GetDecision().GetOutcome())
	}
	stmt := []byte(res.GetCertificationStatement())
	certify := func(s signer, sig []byte) error {
		_, err := v.as.CertifyResult(v.ctx(v.e.admin), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: s.keyID(), Signature: sig})
		return err
	}
	if err := certify(members[0], ed25519.Sign(members[0].priv, stmt)); server.ReasonOf(err) != "OBJECTION_WINDOW_OPEN" || !strings.Contains(server.ZhOf(err), "询异期至 ") {
		t.Errorf("certify during the objection window: %v, want OBJECTION_WINDOW_OPEN", err)
	}
	// The text goes into the log the committee and auditors read: no
	// phone or identity number.
	if _, err := v.as.RecordObjection(v.ctx(v.staffTok), &ov.RecordObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, Text: "3号楼业主（电话138 1234 5678）称未收到通知"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("objection with a phone number: %v, want InvalidArgument", err)
	}
	o, err := v.as.RecordObjection(v.ctx(v.staffTok), &ov.RecordObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, Text: "3号楼业主称未收到通知"})
	if err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(closesAt.Add(4 * 24 * time.Hour))
	if err := certify(members[0], ed25519.Sign(members[0].priv, stmt)); server.ReasonOf(err) != "OBJECTIONS_UNANSWERED" {
		t.Errorf("certify with an unanswered objection: %v, want OBJECTIONS_UNANSWERED", err)
	}
	if _, err := v.as.RespondObjection(v.ctx(v.staffTok), &ov.RespondObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, ObjectionId: "obj-99", Text: "已答复"}); server.ReasonOf(err) != "OBJECTION_NOT_FOUND" {
		t.Errorf("response to an objection that does not exist: %v, want OBJECTION_NOT_FOUND", err)
	}
	if _, err := v.as.RespondObjection(v.ctx(v.staffTok), &ov.RespondObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, ObjectionId: o.GetObjectionId(), Text: "已电话通知13812345678"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("response with a phone number: %v, want InvalidArgument", err)
	}
	if _, err := v.as.RespondObjection(v.ctx(v.staffTok), &ov.RespondObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, ObjectionId: o.GetObjectionId(), Text: "公告已于4月20日张贴并电话通知"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.as.RespondObjection(v.ctx(v.staffTok), &ov.RespondObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, ObjectionId: o.GetObjectionId(), Text: "再次答复"}); server.ReasonOf(err) != "WRONG_STATE" || !strings.Contains(server.ZhOf(err), "不能再次答复") {
		t.Errorf("answering an objection twice: %v (%s), want WRONG_STATE saying it has a response", err, server.ZhOf(err))
	}
	if err := certify(members[0], ed25519.Sign(members[0].priv, stmt)); err != nil {
		t.Fatalf("first signature: %v", err)
	}
	state := func() ov.AssemblyState {
		a, _ := v.as.GetAssembly(v.ctx(v.e.admin), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
		return a.GetState()
	}
	if state() != ov.AssemblyState_ASSEMBLY_STATE_PRELIMINARY {
		t.Errorf("state with k−1 signatures = %v, want PRELIMINARY", state())
	}
	if err := certify(members[0], ed25519.Sign(members[0].priv, stmt)); server.ReasonOf(err) != "ALREADY_SIGNED" {
		t.Errorf("duplicate signer: %v, want ALREADY_SIGNED", err)
	}
	outsider := newSigner("not-a-member", 222)
	if err := certify(outsider, ed25519.Sign(outsider.priv, stmt)); server.ReasonOf(err) != "NOT_COMMITTEE_MEMBER" {
		t.Errorf("non-member: %v, want NOT_COMMITTEE_MEMBER", err)
	}
	if err := certify(members[1], ed25519.Sign(members[2].priv, stmt)); server.ReasonOf(err) != "BAD_CERT_SIGNATURE" {
		t.Errorf("forged signature: %v, want BAD_CERT_SIGNATURE", err)
	}
	if err := certify(members[1], ed25519.Sign(members[1].priv, []byte("another statement"))); server.ReasonOf(err) != "BAD_CERT_SIGNATURE" {
		t.Errorf("signature of another statement: %v, want BAD_CERT_SIGNATURE", err)
	}
	if state() != ov.AssemblyState_ASSEMBLY_STATE_PRELIMINARY {
		t.Errorf("state after refused signatures = %v, want PRELIMINARY", state())
	}
	if err := certify(members[1], ed25519.Sign(members[1].priv, stmt)); err != nil {
		t.Fatalf("second signature: %v", err)
	}
	if state() != ov.AssemblyState_ASSEMBLY_STATE_CERTIFIED {
		t.Fatalf("state with k signatures = %v, want CERTIFIED", state())
	}
	return v, members
}

func TestCertificationAndImmutability(t *testing.T) {
	v, members := certifiedVote(t)
	_, size, err := v.e.reg.Checkpoint(context.Background(), v.assembly)
	if err != nil {
		t.Fatal(err)
	}
	// No write to a certified assembly succeeds.
	b, s := v.ballotFor(150, ballot.Platform, "AGREE")
	canonical, sig := v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); err == nil {
		t.Error("a ballot was accepted after certification")
	}
	if _, err := v.as.CertifyResult(v.ctx(v.e.admin), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: members[2].keyID(), Signature: sig}); server.ReasonOf(err) != "CERTIFIED_IMMUTABLE" {
		t.Errorf("third signature after certification: %v", err)
	}
	if _, err := v.as.RecordObjection(v.ctx(v.staffTok), &ov.RecordObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, Text: "迟到的异议"}); server.ReasonOf(err) != "CERTIFIED_IMMUTABLE" {
		t.Errorf("objection after certification: %v", err)
	}
	if _, err := v.as.CancelAssembly(v.ctx(v.staffTok), &ov.CancelAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "x"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("cancel after certification: %v", err)
	}
	if _, err := v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[160], DocumentSha256: strings.Repeat("ab", 32),
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(700), Phone: "13900000000"}}}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("amendment after certification: %v", err)
	}
	if _, err := v.e.reg.CloseDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, after, _ := v.e.reg.Checkpoint(context.Background(), v.assembly)
	if after != size {
		t.Errorf("log grew from %d to %d entries after certification", size, after)
	}
}

// export fetches the assembly's export over gRPC.
func (v *vote) export(t *testing.T) map[string][]byte {
	t.Helper()
	resp, err := v.as.ExportAssembly(v.ctx(v.e.admin), &ov.ExportAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetFiles()
}

// logLines are the lines of an export's log.jsonl.
func logLines(f map[string][]byte) [][]byte {
	return bytes.Split(bytes.TrimSuffix(f[audit.FileLog], []byte("\n")), []byte("\n"))
}

// setLogLines writes ls as the export's log.jsonl.
func setLogLines(f map[string][]byte, ls [][]byte) {
	f[audit.FileLog] = append(bytes.Join(ls, []byte("\n")), '\n')
}

// editEntry re-serialises log entry i of the export after edit.
func editEntry(f map[string][]byte, i int, edit func(e *audit.Entry)) {
	editEntries(f, func(n int, e *audit.Entry) bool {
		if n == i {
			edit(e)
		}
		return n == i
	})
}

// editEntries re-serialises every log entry of the export that edit
// changes (it says so).
func editEntries(f map[string][]byte, edit func(n int, e *audit.Entry) bool) {
	ls := logLines(f)
	for n, l := range ls {
		var e audit.Entry
		if json.Unmarshal(l, &e) == nil && edit(n, &e) {
			e.Time = e.Time.UTC() // as the server writes it
			ls[n], _ = e.Marshal()
		}
	}
	setLogLines(f, ls)
}

// insertEntry inserts e into the export's log at position at, numbering it
// and every entry after it.
func insertEntry(f map[string][]byte, at int, e audit.Entry) {
	ls := logLines(f)
	e.Index, e.Time = uint64(at), e.Time.UTC()
	line, _ := e.Marshal()
	rest := append([][]byte{line}, ls[at:]...)
	for j := 1; j < len(rest); j++ {
		var x audit.Entry
		json.Unmarshal(rest[j], &x)
		x.Index++
		rest[j], _ = x.Marshal()
	}
	setLogLines(f, append(ls[:at:at], rest...))
}

// wantDiscrepancy fails the test unless verifying files finds a
// discrepancy of check whose detail holds detail; what names the tampering.
func wantDiscrepancy(t *testing.T, files map[string][]byte, check, detail, what string) {
	t.Helper()
	var d *audit.Discrepancy
	if _, err := verifyFiles(files); !errors.As(err, &d) || d.Check != check || !strings.Contains(d.Detail, detail) {
		t.Errorf("verify(%s) = %v, want a %s discrepancy saying %q", what, err, check, detail)
	}
}

// underRules rewrites the export's agenda, in the log and in its file, to
// say the assembly follows procedure rules n.
func underRules(f map[string][]byte, n int) {
	editEntries(f, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindAgenda {
			e.Agenda.Rules = n
			f[audit.FileAgenda], _ = audit.IndentedJSON(e.Agenda)
			return true
		}
		return false
	})
}

func cloneFiles(files map[string][]byte) map[string][]byte {
	c := make(map[string][]byte, len(files))
	for k, v := range files {
		c[k] = bytes.Clone(v)
	}
	return c
}

func verifyFiles(files map[string][]byte) (*audit.Report, error) {
	b, err := audit.ReadBundle(files)
	if err != nil {
		return nil, err
	}
	return audit.Verify(b)
}

// aMinuteBack dates the export's log entry i a minute before the one
// before it.
func aMinuteBack(f map[string][]byte, i int) {
	var prev audit.Entry
	json.Unmarshal(logLines(f)[i-1], &prev)
	editEntry(f, i, func(e *audit.Entry) { e.Time = prev.Time.Add(-time.Minute) })
}

// TestExportTamperDetected: verify accepts the export as is and finds each
// kind of tampering with a precise discrepancy.
func TestExportTamperDetected(t *testing.T) {
	v, members := certifiedVote(t)
	files := v.export(t)
	rep, err := verifyFiles(files)
	if err != nil {
		t.Fatalf("verify(untouched export) = %v", err)
	}
	if !rep.Certified || rep.Counted != 115 || rep.Superseded != 1 || len(rep.Signers) != 2 {
		t.Errorf("report = %+v; want certified, 115 counted, 1 superseded, 2 signers", rep)
	}
	// The platform's and staff's keys are named, to be compared with the
	// published ones: the log does not pin them.
	var platform *audit.Hand
	for i, h := range rep.Hands {
		if h.Role != "PLATFORM" && h.Role != "STAFF" {
			t.Errorf("hand %+v: only platform and staff keys are listed", h)
		}
		if h.KeyID == v.platform.keyID() {
			platform = &rep.Hands[i]
		}
	}
	if platform == nil || platform.Role != "PLATFORM" || platform.Counted == 0 || !bytes.Equal(platform.PublicKey, v.platform.priv.Public().(ed25519.PublicKey)) ||
		!strings.Contains(rep.String(), "platform key of "+platform.Holder+": "+platform.KeyID) {
		t.Errorf("the platform's key in the report: %+v\n%s", platform, rep)
	}

	ballotLine := func(ls [][]byte, n int) int {
		seen := 0
		for i, l := range ls {
			if bytes.Contains(l, []byte(`"kind":"BALLOT"`)) {
				if seen == n {
					return i
				}
				seen++
			}
		}
		t.Fatal("no such ballot line")
		return -1
	}

	tests := []struct {
		name   string
		tamper func(f map[string][]byte)
		check  string // the check, and optionally ": " and words of its detail
	}{
		{"one byte of one ballot changed", func(f map[string][]byte) {
			editEntry(f, ballotLine(logLines(f), 10), func(e *audit.Entry) {
				e.Ballot.Ballot = bytes.Replace(e.Ballot.Ballot, []byte("AGREE"), []byte("OPPOSE"), 1)
			})
		}, "ballot-id"},
		{"one byte of one signature changed", func(f map[string][]byte) {
			editEntry(f, ballotLine(logLines(f), 12), func(e *audit.Entry) {
				e.Ballot.Signature[5] ^= 1
			})
		}, "ballot-signature"},
		{"one entry dropped", func(f map[string][]byte) {
			ls := logLines(f)
			i := ballotLine(ls, 20)
			setLogLines(f, append(ls[:i:i], ls[i+1:]...))
		}, "entry-order"},
		{"two entries swapped", func(f map[string][]byte) {
			ls := logLines(f)
			i := ballotLine(ls, 30)
			ls[i], ls[i+1] = ls[i+1], ls[i]
			setLogLines(f, ls)
		}, "entry-order"},
		{"a ballot added with a valid signature from an unregistered key", func(f map[string][]byte) {
			ls := logLines(f)
			rogue := newSigner("rogue", 240)
			b, _ := v.ballotFor(150, ballot.Platform, "AGREE")
			b.KeyID = rogue.keyID()
			canonical, sig := v.sign(t, b, rogue)
			// Inserted just before CLOSE, renumbering what follows.
			at := 0
			for i, l := range ls {
				if bytes.Contains(l, []byte(`"kind":"CLOSE"`)) {
					at = i
				}
			}
			insertEntry(f, at, audit.Entry{Kind: audit.KindBallot, Assembly: v.assembly, Time: duringVote,
				Ballot: &audit.BallotEntry{Seq: 9999, ID: ballot.ID(canonical), Ballot: canonical, Signature: sig, Status: "ACCEPTED"}})
		}, "unregistered-key"},
		{"an agenda following rules this verifier does not know", func(f map[string][]byte) {
			editEntry(f, 1, func(e *audit.Entry) {
				e.Agenda.Rules = audit.Rules + 1
				f[audit.FileAgenda], _ = audit.IndentedJSON(e.Agenda)
			})
		}, "agenda: update ownervote"},
		{"roll.txt through a tool that writes CRLF line ends", func(f map[string][]byte) {
			f[audit.FileRoll] = bytes.ReplaceAll(f[audit.FileRoll], []byte("\n"), []byte("\r\n"))
		}, "file-bytes: roll.txt has CRLF line ends"},
		{"result.json saved with a byte-order mark", func(f map[string][]byte) {
			f[audit.FileResult] = append([]byte("\ufeff"), f[audit.FileResult]...)
		}, "file-bytes: result.json starts with a byte-order mark"},
		{"an objection before the result", func(f map[string][]byte) {
			at := slices.IndexFunc(logLines(f), func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"CLOSE"`)) })
			insertEntry(f, at, audit.Entry{Kind: audit.KindObjection, Assembly: v.assembly, Time: duringVote,
				Objection: &audit.ObjectionEntry{ID: "obj-0", Text: "过早的异议", By: "staff"}})
		}, "status: before the preliminary result"},
		{"an objection logged twice", func(f map[string][]byte) {
			ls := logLines(f)
			at := slices.IndexFunc(ls, func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"OBJECTION"`)) })
			var e audit.Entry
			json.Unmarshal(ls[at], &e)
			insertEntry(f, at+1, e)
		}, "status: logged twice"},
		{"a committee signature before the objection window closed", func(f map[string][]byte) {
			// The window the agenda names made longer than the time the
			// committee waited.
			editEntry(f, 1, func(e *audit.Entry) {
				e.Agenda.ObjectionDays = 30
				f[audit.FileAgenda], _ = audit.IndentedJSON(e.Agenda)
			})
		}, "committee-signature: before the objection window closed"},
		{"a committee signature while an objection waited for its answer", func(f map[string][]byte) {
			// An objection made just after the result, never answered.
			ls := logLines(f)
			at := slices.IndexFunc(ls, func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"RESULT"`)) })
			var result audit.Entry
			json.Unmarshal(ls[at], &result)
			insertEntry(f, at+1, audit.Entry{Kind: audit.KindObjection, Assembly: v.assembly, Time: result.Time,
				Objection: &audit.ObjectionEntry{ID: "obj-late", Text: "未答复的异议", By: "staff"}})
		}, "committee-signature: had no response"},
		{"a committee signature forged", func(f map[string][]byte) {
			var c audit.Certificate
			json.Unmarshal(f[audit.FileCertificate], &c)
			c.Signatures[1].Signature = ed25519.Sign(members[2].priv, []byte(c.Statement))
			f[audit.FileCertificate], _ = json.Marshal(c)
		}, "committee-signature"},
		{"the result edited", func(f map[string][]byte) {
			f[audit.FileResult] = bytes.Replace(f[audit.FileResult], []byte(`"outcome": "PASSED"`), []byte(`"outcome": "FAILED"`), 1)
		}, "result"},
		{"the roll snapshot edited (a unit's area changed)", func(f map[string][]byte) {
			f[audit.FileRoll] = bytes.Replace(f[audit.FileRoll], []byte("\t80.00\n"), []byte("\t88.00\n"), 1)
		}, "roll-digest"},
		{"assembly.json shows another title first, the real one under a key in another case", func(f map[string][]byte) {
			f[audit.FileAgenda] = bytes.Replace(f[audit.FileAgenda], []byte("{\n  \"community_id\""), []byte("{\n  \"title\": \"解聘现物业服务企业\",\n  \"community_id\""), 1)
			f[audit.FileAgenda] = bytes.Replace(f[audit.FileAgenda], []byte("\n  \"title\": \"关于"), []byte("\n  \"TITLE\": \"关于"), 1)
		}, "agenda"},
		{"keys.json with a key given twice", func(f map[string][]byte) {
			f[audit.FileKeys] = bytes.Replace(f[audit.FileKeys], []byte("{\n"), []byte("{\n  \"receipt_public_key\": \"AAAA\",\n"), 1)
		}, "keys"},
		{"a committee member's name changed in certificate.json", func(f map[string][]byte) {
			var c audit.Certificate
			json.Unmarshal(f[audit.FileCertificate], &c)
			c.Signatures[0].Name = "街道办主任 王某"
			f[audit.FileCertificate], _ = audit.IndentedJSON(c)
		}, "committee-signature"},
		{"a ballot taken before voting opened", func(f map[string][]byte) {
			// The first ballot, and the key logged with it, an hour early.
			first := ballotLine(logLines(f), 0)
			editEntries(f, func(n int, e *audit.Entry) bool {
				if n < 2 || n > first {
					return false
				}
				e.Time = opensAt.Add(-time.Hour)
				return true
			})
		}, "status: outside the voting window"},
		{"the vote closed before its time without an early close's reason", func(f map[string][]byte) {
			editEntries(f, func(_ int, e *audit.Entry) bool {
				if e.Kind == audit.KindClose {
					e.Time, e.Close = closesAt.Add(-time.Hour), &audit.CloseEntry{}
				}
				return e.Kind == audit.KindClose
			})
		}, "status"},
		{"an objection after the objection window", func(f map[string][]byte) {
			editEntries(f, func(_ int, e *audit.Entry) bool {
				if e.Kind == audit.KindObjection {
					e.Time = audit.ObjectionDeadline(closesAt, 3, audit.Rules).Add(time.Hour)
				}
				return e.Kind == audit.KindObjection
			})
		}, "status"},
		{"a response to an objection never made", func(f map[string][]byte) {
			editEntries(f, func(_ int, e *audit.Entry) bool {
				if e.Kind == audit.KindResponse {
					e.Response.ObjectionID = "obj-77"
				}
				return e.Kind == audit.KindResponse
			})
		}, "status"},
		{"the certification names another member than the signatures logged", func(f map[string][]byte) {
			editEntries(f, func(_ int, e *audit.Entry) bool {
				if e.Kind == audit.KindCertified {
					e.Certified.Signers[1] = members[2].keyID()
				}
				return e.Kind == audit.KindCertified
			})
		}, "certified"},
		{"a ballot signed two days after the vote closed, logged inside it", func(f map[string][]byte) {
			ls := logLines(f)
			at := slices.IndexFunc(ls, func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"CLOSE"`)) })
			var last audit.Entry
			json.Unmarshal(ls[at-1], &last)
			b, s := v.ballotFor(150, ballot.Platform, "AGREE")
			b.Time = closesAt.Add(48 * time.Hour).UTC()
			canonical, sig := v.sign(t, b, s)
			insertEntry(f, at, audit.Entry{Kind: audit.KindBallot, Assembly: v.assembly, Time: last.Time,
				Ballot: &audit.BallotEntry{Seq: 9999, ID: ballot.ID(canonical), Ballot: canonical, Signature: sig, Status: "ACCEPTED"}})
		}, "status: is from the future: ballot time"},
		{"the result dated before the close", func(f map[string][]byte) {
			editEntries(f, func(_ int, e *audit.Entry) bool {
				if e.Kind == audit.KindResult {
					e.Time = closesAt.Add(-24 * time.Hour)
				}
				return e.Kind == audit.KindResult
			})
		}, "entry-time: log times do not go back"},
		{"an entry dated a minute before the one logged before it", func(f map[string][]byte) {
			aMinuteBack(f, ballotLine(logLines(f), 30))
		}, "entry-time: before an earlier entry"},
		{"the same under procedure rules 5, which allowed it", func(f map[string][]byte) {
			// (Found by the checkpoints only.)
			aMinuteBack(f, ballotLine(logLines(f), 30))
			underRules(f, 5)
		}, "merkle-root"},
		{"an entry's time written in China time", func(f map[string][]byte) {
			ls := logLines(f)
			i := ballotLine(ls, 3)
			var e audit.Entry
			json.Unmarshal(ls[i], &e)
			e.Time = e.Time.In(cst)
			ls[i], _ = e.Marshal()
			setLogLines(f, ls)
		}, "entry-time: not in UTC"},
		{"the supersession of a ballot naming another", func(f map[string][]byte) {
			editEntries(f, func(_ int, e *audit.Entry) bool {
				if e.Kind == audit.KindStatus && e.Status.Status == "SUPERSEDED" {
					e.Status.ID = strings.Repeat("0", 64)
					return true
				}
				return false
			})
		}, "one-ballot: names ballot"},
		{"an entry's content changed and re-serialised", func(f map[string][]byte) {
			editEntry(f, ballotLine(logLines(f), 40), func(e *audit.Entry) {
				e.Ballot.SubmittedBy = "someone-else"
			})
		}, "merkle-root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := cloneFiles(files)
			tc.tamper(f)
			_, err := verifyFiles(f)
			var d *audit.Discrepancy
			if !errors.As(err, &d) {
				t.Fatalf("verify(tampered) = %v, want a discrepancy", err)
			}
			check, detail, _ := strings.Cut(tc.check, ": ")
			if d.Check != check || !strings.Contains(d.Detail, detail) {
				t.Errorf("verify found %q (%v), want %q", d.Check, d, tc.check)
			}
		})
	}
}

// TestLogAndStateAgreeAfterRestart: the log is written in the same
// transaction as the state; after a restart an export still verifies and
// counts every stored ballot.
func TestLogAndStateAgreeAfterRestart(t *testing.T) {
	v := newVote(t, nil)
	for i := range 25 {
		v.cast(t, i, channelOf(i), "AGREE")
	}
	v.e.restart()
	v.rs, v.as = ov.NewRollServiceClient(v.e.conn), ov.NewAssemblyServiceClient(v.e.conn)
	rep, err := verifyFiles(v.export(t))
	if err != nil {
		t.Fatalf("verify after restart: %v", err)
	}
	p, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if rep.Counted != 25 || p.GetCounted() != 25 || rep.Closed {
		t.Errorf("after restart: log counts %d, progress %d; want 25 each, not closed", rep.Counted, p.GetCounted())
	}
}

func getPublic(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPublicNotice(t *testing.T) {
	v := newVote(t, nil)
	base := "http://" + v.e.srv.HTTPAddr() + "/notices/" + v.assembly
	v.cast(t, 3, ballot.Online, "AGREE")
	code, during := getPublic(t, base)
	if code != http.StatusNotFound {
		t.Errorf("notice during the vote: HTTP %d, want 404", code)
	}
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the 404 of a notice not yet published has Cache-Control %q, want no-store", cc)
	}
	if _, unknown := getPublic(t, "http://"+v.e.srv.HTTPAddr()+"/notices/nope"); unknown != during {
		t.Errorf("notice of an unknown assembly %q, of one still voting %q: want the same answer", unknown, during)
	}
	for i := 4; i < 115; i++ {
		v.cast(t, i, channelOf(i), "AGREE")
	}
	v.closeAndResult(t)
	code, page := getPublic(t, base)
	if code != http.StatusOK {
		t.Fatalf("notice: HTTP %d", code)
	}
	// The console's protections, and a policy that lets the page's own
	// style block (by its hash) and nothing else.
	if got, want := publicHeaders(t, base), styleOnlyCSP(page); got != want {
		t.Errorf("notice CSP %q (or another protection missing), want %q", got, want)
	}
	for _, want := range []string{"小区 dorm", "表决结果：通过", "初步结果", "参与表决", "13,280.00", "8,960.00", "112", v.units[3], "线上", "智慧物业平台", "ownervote/assembly/" + v.assembly, "@media print"} {
		if !strings.Contains(page, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	for _, secret := range []string{"业主003", idNumberN(3), "13800000003"} {
		if strings.Contains(page, secret) {
			t.Errorf("notice shows personal data %q", secret)
		}
	}
	var n struct {
		State   string `json:"state"`
		Motions []struct {
			Outcome  string `json:"outcome"`
			Agreeing struct {
				Head int64 `json:"head"`
			} `json:"agreeing"`
		} `json:"motions"`
		Units []struct {
			UnitID string `json:"unit_id"`
		} `json:"units"`
	}
	code, body := getPublic(t, base+".json")
	if err := json.Unmarshal([]byte(body), &n); err != nil || code != 200 {
		t.Fatalf("notice JSON: %d %v", code, err)
	}
	if n.State != "PRELIMINARY" || n.Motions[0].Outcome != "PASSED" || n.Motions[0].Agreeing.Head != 112 || len(n.Units) != 112 {
		t.Errorf("notice JSON = %+v", n)
	}
	// In JSON, an API error with its reason.
	if code, _ := getPublic(t, "http://"+v.e.srv.HTTPAddr()+"/notices/nope"); code != http.StatusNotFound {
		t.Errorf("unknown notice: HTTP %d", code)
	}
	var ae apiError
	code, body = getPublic(t, "http://"+v.e.srv.HTTPAddr()+"/notices/nope.json")
	if err := json.Unmarshal([]byte(body), &ae); err != nil || code != http.StatusNotFound || ae.reason() != "NO_PUBLISHED_RESULT" {
		t.Errorf("unknown notice in JSON: HTTP %d %s (%v), want 404 NO_PUBLISHED_RESULT", code, body, err)
	}
}

// TestNoticeOfAnElection: the notice names the elected, shows the result
// without deemed consent beside the official one, says when the objection
// window is over, and lists only the committee signatures that count.
func TestNoticeOfAnElection(t *testing.T) {
	v := newVote(t, nil)
	members := v.committee3(t)
	v.openAnother(t, &ov.Assembly{
		AssemblyId: "elect-2026", Title: "选举业主委员会",
		Motions: []*ov.Motion{{MotionId: "m1", Title: "选举业主委员会委员（两席）", Matter: ov.Matter_MATTER_ELECT_COMMITTEE, Seats: 2,
			Options: []*ov.Option{{OptionId: "c1", Name: "候选人甲"}, {OptionId: "c2", Name: "候选人乙"}, {OptionId: "c3", Name: "候选人丙"}}},
			{MotionId: "m2", Title: "使用维修资金更换电梯", Matter: ov.Matter_MATTER_USE_MAINTENANCE_FUND}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM},
		Settings:  &ov.Settings{DeemedConsent: true},
		Committee: &ov.Committee{MemberKeyIds: []string{members[0].keyID(), members[1].keyID(), members[2].keyID()}, K: 2},
	})
	for i := range 120 {
		b, s := v.ballotFor(i, ballot.Platform, "c1")
		b.Choices = []ballot.Choice{{Motion: "m1", Values: []string{"c1", "c2"}}, {Motion: "m2", Values: []string{"AGREE"}}}
		canonical, sig := v.sign(t, b, s)
		if _, err := v.submit(t, canonical, sig, ballot.Platform); err != nil {
			t.Fatal(err)
		}
	}
	res := v.closeAndResult(t)
	var n server.Notice
	base := "http://" + v.e.srv.HTTPAddr() + "/notices/" + v.assembly
	if _, body := getPublic(t, base+".json"); json.Unmarshal([]byte(body), &n) != nil || len(n.Motions) != 2 {
		t.Fatalf("notice JSON: %s", body)
	}
	// Deemed consent does not apply to elections (tally's rule).
	if m := n.Motions[0]; !slices.Equal(m.Elected, []string{"候选人甲", "候选人乙"}) || m.WithoutDeemedConsent != nil {
		t.Errorf("the election: elected %v, without deemed consent %+v; want 候选人甲, 候选人乙 and no second decision", m.Elected, m.WithoutDeemedConsent)
	}
	if m := n.Motions[1]; m.WithoutDeemedConsent == nil || m.WithoutDeemedConsent.Outcome != "PASSED" || m.WithoutDeemedConsent.Explanation == "" {
		t.Errorf("the maintenance fund's decision without deemed consent: %+v, want it shown", m.WithoutDeemedConsent)
	}
	_, page := getPublic(t, base)
	for _, want := range []string{"当选：候选人甲、候选人乙", "不计“视为同意”时的结果", "初步结果（询异期）"} {
		if !strings.Contains(page, want) {
			t.Errorf("notice lacks %q", want)
		}
	}

	// After the objection window: one member signs, then loses the key.
	v.e.clock.Set(audit.ObjectionDeadline(closesAt, 3, audit.Rules))
	stmt := []byte(res.GetCertificationStatement())
	for i, m := range members[:2] {
		if _, err := v.as.CertifyResult(v.ctx(v.e.admin), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: m.keyID(), Signature: ed25519.Sign(m.priv, stmt)}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := ov.NewSignerServiceClient(v.e.conn).RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: m.keyID(), Reason: "钥匙丢失"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, body := getPublic(t, base+".json")
	n = server.Notice{}
	json.Unmarshal([]byte(body), &n)
	if n.State != "PRELIMINARY" || n.StateZH != "初步结果（询异期已满，待认证）" || !slices.Equal(n.Signers, []string{members[1].id}) {
		t.Errorf("notice after a revoked signature: state %s %q, signers %v; want PRELIMINARY after the objection window, only %s", n.State, n.StateZH, n.Signers, members[1].id)
	}
	// The third signature certifies. The log names the two that count,
	// after logging the first key's revocation; the notice, the exported
	// certificate and the verifier agree.
	if _, err := v.as.CertifyResult(v.ctx(v.e.admin), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: members[2].keyID(),
		Signature: ed25519.Sign(members[2].priv, stmt)}); err != nil {
		t.Fatal(err)
	}
	files := v.export(t)
	ls := logLines(files)
	var last2 [2]audit.Entry
	json.Unmarshal(ls[len(ls)-2], &last2[0])
	json.Unmarshal(ls[len(ls)-1], &last2[1])
	if last2[0].Kind != audit.KindKeyRevoked || last2[0].KeyRevoked.KeyID != members[0].keyID() || last2[1].Kind != audit.KindCertified ||
		!slices.Equal(last2[1].Certified.Signers, []string{members[1].keyID(), members[2].keyID()}) {
		t.Errorf("the log ends %s %+v, %s %+v; want the first key's revocation, then the certification by the other two", last2[0].Kind, last2[0].KeyRevoked, last2[1].Kind, last2[1].Certified)
	}
	var cert audit.Certificate
	json.Unmarshal(files[audit.FileCertificate], &cert)
	if len(cert.Signatures) != 2 || cert.Signatures[0].KeyID != members[1].keyID() {
		t.Errorf("certificate.json lists %+v, want the two signatures that count", cert.Signatures)
	}
	rep, err := verifyFiles(files)
	if err != nil || !rep.Certified || !slices.Equal(rep.Signers, []string{members[1].id, members[2].id}) {
		t.Errorf("verify = %+v, %v; want certified by %s and %s", rep, err, members[1].id, members[2].id)
	}
	_, body = getPublic(t, base+".json")
	n = server.Notice{}
	json.Unmarshal([]byte(body), &n)
	if n.State != "CERTIFIED" || !slices.Equal(n.Signers, []string{members[1].id, members[2].id}) {
		t.Errorf("notice after the certification: %s, signers %v", n.State, n.Signers)
	}
	// A signature by the revoked key after its revocation is refused
	// offline (the server refuses it).
	forged := cloneFiles(files)
	insertEntry(forged, len(ls)-1, audit.Entry{Kind: audit.KindCertSignature, Assembly: v.assembly, Time: last2[1].Time,
		CertSignature: &audit.CertSignatureEntry{KeyID: members[0].keyID(), Signature: ed25519.Sign(members[0].priv, stmt)}})
	wantDiscrepancy(t, forged, "committee-signature", "signed after it was revoked", "a signature by a committee key after its revocation")
}

// TestCommitteeKeyReplaced: with k = 3 of n = 4, a member whose committee
// key is lost certifies with a new key once the old one is revoked and k − 1
// other members vouch for the new one; a vouch with a key revoked since does
// not count. Nobody can do it alone: not a member
// vouching for a key they enrolled themselves, not another member's
// sign-in, not the old key vouching for its successor, not one voucher
// where two are needed. The export verifies, and the verifier refuses a
// replacement not vouched for as it must be.
func TestCommitteeKeyReplaced(t *testing.T) {
	v := newVote(t, nil)
	ss := ov.NewSignerServiceClient(v.e.conn)
	enrol := func(tok string, s signer) {
		t.Helper()
		if _, err := ss.EnrolSigner(v.ctx(tok), &ov.EnrolSignerRequest{Kind: "COMMITTEE", SignerId: s.id, Name: "委员" + s.id, CommunityId: v.community, PublicKey: s.pub()}); err != nil {
			t.Fatal(err)
		}
		if _, err := ss.ApproveSigner(v.ctx(v.e.admin), &ov.ApproveSignerRequest{KeyId: s.keyID()}); err != nil {
			t.Fatal(err)
		}
	}
	zhou, wu, zheng, feng := newSigner("member-zhou", 160), newSigner("member-wu", 161), newSigner("member-zheng", 162), newSigner("member-feng", 167)
	zhouTok, wuTok, zhengTok, fengTok := v.e.tokenFor(auth.CommitteeMember, v.community, zhou.id), v.e.token(auth.CommitteeMember, v.community),
		v.e.token(auth.CommitteeMember, v.community), v.e.token(auth.CommitteeMember, v.community)
	enrol(zhouTok, zhou)
	enrol(wuTok, wu)
	enrol(zhengTok, zheng)
	enrol(fengTok, feng)
	v.openAnother(t, &ov.Assembly{
		AssemblyId: "k-of-k", Title: "续聘物业", Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_RENEW_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM},
		Committee: &ov.Committee{MemberKeyIds: []string{zhou.keyID(), wu.keyID(), zheng.keyID(), feng.keyID()}, K: 3},
	})
	for i := range 120 {
		v.cast(t, i, ballot.Platform, "AGREE")
	}
	res := v.closeAndResult(t)
	v.e.clock.Set(audit.ObjectionDeadline(closesAt, 3, audit.Rules))
	certify := func(tok string, s signer) error {
		_, err := v.as.CertifyResult(v.ctx(tok), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: s.keyID(),
			Signature: ed25519.Sign(s.priv, []byte(res.GetCertificationStatement()))})
		return err
	}
	replace := func(tok string, old, nk, endorser signer) error {
		_, err := v.as.ReplaceCommitteeKey(v.ctx(tok), &ov.ReplaceCommitteeKeyRequest{CommunityId: v.community, AssemblyId: v.assembly,
			ReplacedKeyId: old.keyID(), KeyId: nk.keyID(), EndorserKeyId: endorser.keyID(),
			Signature: ed25519.Sign(endorser.priv, audit.KeyReplacementStatement(v.assembly, old.keyID(), nk.keyID()))})
		return err
	}
	if err := certify(zhouTok, zhou); err != nil {
		t.Fatal(err)
	}
	// 周 loses the phone that held the key: an admin revokes it, and 周
	// enrols a new key through a new sign-in.
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: zhou.keyID(), Reason: "手机遗失"}); err != nil {
		t.Fatal(err)
	}
	// A key under 周's id is 周's only if enrolled through a sign-in issued
	// to 周: not one 吴 enrolled through 吴's own sign-in, nor one an admin
	// registered (say, "kept on a USB key" 吴 brought).
	byWu := newSigner(zhou.id, 164)
	enrol(wuTok, byWu)
	for _, tok := range []string{wuTok, zhengTok} {
		endorser := map[string]signer{wuTok: wu, zhengTok: zheng}[tok]
		if err := replace(tok, zhou, byWu, endorser); server.ReasonOf(err) != "KEY_NOT_HOLDER_ENROLLED" {
			t.Errorf("a key 吴 enrolled, vouched for by %s: %v, want KEY_NOT_HOLDER_ENROLLED", endorser.id, err)
		}
	}
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: byWu.keyID(), Reason: "非本人登记"}); err != nil {
		t.Fatal(err)
	}
	usb := newSigner(zhou.id, 168)
	if _, err := ss.RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: zhou.id, Name: zhou.id, CommunityId: v.community, PublicKey: usb.pub()}}); err != nil {
		t.Fatal(err)
	}
	if err := replace(wuTok, zhou, usb, wu); server.ReasonOf(err) != "KEY_NOT_HOLDER_ENROLLED" {
		t.Errorf("a key an admin registered under 周's id: %v, want KEY_NOT_HOLDER_ENROLLED", err)
	}
	// Nor one enrolled through the lost key's own sign-in, issued to 周 as
	// it is: whoever has the lost phone may have it.
	thief := newSigner(zhou.id, 173)
	enrol(zhouTok, thief)
	if err := replace(wuTok, zhou, thief, wu); server.ReasonOf(err) != "KEY_NOT_HOLDER_ENROLLED" || !strings.Contains(err.Error(), "new sign-in") {
		t.Errorf("a key enrolled through the lost key's sign-in: %v, want KEY_NOT_HOLDER_ENROLLED", err)
	}
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: thief.keyID(), Reason: "旧手机上的登录"}); err != nil {
		t.Fatal(err)
	}
	// A sign-in issued to 吴 enrols under 吴's id only.
	wuOwn := v.e.tokenFor(auth.CommitteeMember, v.community, wu.id)
	if _, err := ss.EnrolSigner(v.ctx(wuOwn), &ov.EnrolSignerRequest{Kind: "COMMITTEE", SignerId: zhou.id, Name: "周", CommunityId: v.community, PublicKey: newSigner(zhou.id, 169).pub()}); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), "issued to member-wu") {
		t.Errorf("a key under 周's id through a sign-in issued to 吴: %v, want INVALID_ARGUMENT", err)
	}
	// 周 is given a new sign-in, issued to 周, and enrols a new key.
	// (The name typed in this time differs; the notice keeps the published one.)
	zhou2, zhou2Tok := newSigner(zhou.id, 163), v.e.tokenFor(auth.CommitteeMember, v.community, zhou.id)
	if _, err := ss.EnrolSigner(v.ctx(zhou2Tok), &ov.EnrolSignerRequest{Kind: "COMMITTEE", SignerId: zhou.id, Name: "周某（新手机）", CommunityId: v.community, PublicKey: zhou2.pub()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.ApproveSigner(v.ctx(v.e.admin), &ov.ApproveSignerRequest{KeyId: zhou2.keyID()}); err != nil {
		t.Fatal(err)
	}
	qian := newSigner("member-qian", 165)
	if _, err := ss.RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: qian.id, Name: qian.id, CommunityId: v.community, PublicKey: qian.pub()}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name                string
		tok                 string
		old, nk, endorser   signer
		reason, errContains string
	}{
		{"a key not revoked", wuTok, wu, zhou2, zheng, "KEY_NOT_REVOKED", "revokes a lost key"},
		{"vouched for by the key it replaces", zhouTok, zhou, zhou2, zhou, "NOT_COMMITTEE_MEMBER", "other members"},
		{"vouched for through another's sign-in", zhengTok, zhou, zhou2, wu, "NOT_YOUR_KEY", ""},
		{"vouched for through an admin's sign-in", v.e.admin, zhou, zhou2, wu, "NOT_YOUR_KEY", ""},
		{"a revoked new key", zhengTok, zhou, byWu, zheng, "INVALID_ARGUMENT", "revoked"},
		{"another person's key", wuTok, zhou, qian, wu, "INVALID_ARGUMENT", "a key of member-qian"},
		{"a member's key for another's", wuTok, zhou, zheng, wu, "INVALID_ARGUMENT", ""},
		{"a key that is no member's", wuTok, newSigner("x", 166), zhou2, wu, "INVALID_ARGUMENT", "replaced_key_id"},
	} {
		if err := replace(c.tok, c.old, c.nk, c.endorser); server.ReasonOf(err) != c.reason || !strings.Contains(fmt.Sprint(err), c.errContains) {
			t.Errorf("%s: %v, want %s", c.name, err, c.reason)
		}
	}
	// A signature of another statement does not vouch.
	_, err := v.as.ReplaceCommitteeKey(v.ctx(wuTok), &ov.ReplaceCommitteeKeyRequest{CommunityId: v.community, AssemblyId: v.assembly,
		ReplacedKeyId: zhou.keyID(), KeyId: zhou2.keyID(), EndorserKeyId: wu.keyID(), Signature: ed25519.Sign(wu.priv, []byte(res.GetCertificationStatement()))})
	if server.ReasonOf(err) != "BAD_VOUCH_SIGNATURE" {
		t.Errorf("a voucher's signature of the certification statement: %v, want BAD_VOUCH_SIGNATURE", err)
	}
	if err := certify(zhou2Tok, zhou2); server.ReasonOf(err) != "NOT_COMMITTEE_MEMBER" {
		t.Errorf("the new key before the replacement: %v, want NOT_COMMITTEE_MEMBER", err)
	}

	// 吴 vouches for 周's new key, through the JSON API as the console does:
	// one vouch of the two needed.
	var a map[string]any
	path := "/v1/communities/" + v.community + "/assemblies/" + v.assembly + ":replaceCommitteeKey"
	body := map[string]any{"replaced_key_id": zhou.keyID(), "key_id": zhou2.keyID(), "endorser_key_id": wu.keyID(),
		"signature": ed25519.Sign(wu.priv, audit.KeyReplacementStatement(v.assembly, zhou.keyID(), zhou2.keyID()))}
	if code := v.e.do("POST", path, wuTok, body, &a); code != 200 {
		t.Fatalf("POST %s = %d %v", path, code, a)
	}
	committee := func() *ov.Committee {
		t.Helper()
		got, err := v.as.GetAssembly(v.ctx(v.e.admin), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetCommittee()
	}
	if c := committee(); !slices.Equal(c.GetMemberKeyIds(), []string{zhou.keyID(), wu.keyID(), zheng.keyID(), feng.keyID()}) || len(c.GetReplacements()) != 0 ||
		len(c.GetPendingReplacements()) != 1 || !slices.Equal(c.GetPendingReplacements()[0].GetEndorserKeyIds(), []string{wu.keyID()}) ||
		c.GetPendingReplacements()[0].GetVouchesNeeded() != 2 {
		t.Errorf("committee after one vouch of two: %v", c)
	}
	if err := replace(wuTok, zhou, zhou2, wu); server.ReasonOf(err) != "ALREADY_SIGNED" {
		t.Errorf("吴 vouching twice: %v, want ALREADY_SIGNED", err)
	}
	if err := certify(zhou2Tok, zhou2); server.ReasonOf(err) != "NOT_COMMITTEE_MEMBER" {
		t.Errorf("the new key with one vouch of two: %v, want NOT_COMMITTEE_MEMBER", err)
	}
	// 吴's key is lost too: 吴's vouch no longer counts.
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: wu.keyID(), Reason: "手机遗失"}); err != nil {
		t.Fatal(err)
	}
	if err := replace(zhengTok, zhou, zhou2, zheng); err != nil {
		t.Fatalf("郑 vouches: %v", err)
	}
	if c := committee(); c.GetMemberKeyIds()[0] != zhou.keyID() || len(c.GetPendingReplacements()) != 1 {
		t.Errorf("with 吴's vouch void, 郑's alone replaced the key: %v", c)
	}
	if err := replace(fengTok, zhou, zhou2, feng); err != nil {
		t.Fatalf("冯 vouches: %v", err)
	}
	if m, r := committee().GetMemberKeyIds(), committee().GetReplacements(); !slices.Equal(m, []string{zhou2.keyID(), wu.keyID(), zheng.keyID(), feng.keyID()}) ||
		len(r) != 1 || r[0].GetReplacedKeyId() != zhou.keyID() || r[0].GetKeyId() != zhou2.keyID() ||
		!slices.Equal(r[0].GetEndorserKeyIds(), []string{zheng.keyID(), feng.keyID()}) || r[0].GetReplaceTime() == nil || len(committee().GetPendingReplacements()) != 0 {
		t.Errorf("committee after the replacement: %v, %v", m, r)
	}
	got, err := v.as.GetAssembly(v.ctx(v.e.admin), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetCertificate()) != 0 {
		t.Errorf("the lost key's signature is still in the certificate: %v", got.GetCertificate())
	}
	if err := replace(wuTok, zhou, zhou2, wu); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), "replaced already, by "+zhou2.keyID()) ||
		server.ZhOf(err) != "该密钥已被更换为 "+zhou2.keyID() {
		t.Errorf("the same replacement again: %v, want INVALID_ARGUMENT, replaced already", err)
	}
	if err := certify(zhouTok, zhou); server.ReasonOf(err) != "NOT_COMMITTEE_MEMBER" || server.ZhOf(err) != "该委员密钥已更换为 "+zhou2.keyID()+"：请用新密钥签名" {
		t.Errorf("the replaced key certifying: %v (%s), want NOT_COMMITTEE_MEMBER naming the new key", err, server.ZhOf(err))
	}
	for _, c := range []struct {
		tok string
		s   signer
	}{{zhou2Tok, zhou2}, {zhengTok, zheng}, {fengTok, feng}} {
		if err := certify(c.tok, c.s); err != nil {
			t.Fatalf("%s certifies: %v", c.s.id, err)
		}
	}
	if err := replace(wuTok, zheng, zhou2, wu); server.ReasonOf(err) != "CERTIFIED_IMMUTABLE" {
		t.Errorf("a replacement after certification: %v, want CERTIFIED_IMMUTABLE", err)
	}
	base := "http://" + v.e.srv.HTTPAddr() + "/notices/" + v.assembly
	var n server.Notice
	if _, body := getPublic(t, base+".json"); json.Unmarshal([]byte(body), &n) != nil || len(n.KeyReplacements) != 1 ||
		n.KeyReplacements[0].Member != "委员member-zhou" || !slices.Equal(n.KeyReplacements[0].Vouchers, []string{"委员member-zheng", "委员member-feng"}) {
		t.Errorf("notice JSON: %s; want the replacement of 周's key, vouched for by 郑 and 冯", body)
	}
	if !slices.Equal(n.Signers, []string{"委员member-zhou", "委员member-zheng", "委员member-feng"}) {
		t.Errorf("the notice's certifying members: %v; want them by their published names", n.Signers)
	}
	if _, page := getPublic(t, base); !strings.Contains(page, "委员密钥更换：委员member-zhou 的密钥遗失") || !strings.Contains(page, "由 委员member-zheng、委员member-feng 担保") {
		t.Errorf("the notice does not tell of the replaced key:\n%s", page)
	}
	files := v.export(t)
	rep, err := verifyFiles(files)
	if err != nil || !rep.Certified || len(rep.Signers) != 3 || len(rep.Replacements) != 1 || rep.Committee[0].KeyID != zhou2.keyID() {
		t.Fatalf("verify = %+v, %v; want certified by 3, with one replacement", rep, err)
	}
	if want := "committee key of 委员member-zhou replaced: " + zhou.keyID() + " by " + zhou2.keyID() + ", vouched for by 委员member-zheng, 委员member-feng"; !strings.Contains(rep.String(), want) {
		t.Errorf("report:\n%s\nwant a line %q", rep, want)
	}

	// Offline: the replacement is checked, not taken on the server's word.
	for _, c := range []struct {
		name   string
		edit   func(ck *audit.CommitteeKeyEntry)
		detail string // what the discrepancy says
	}{
		{"a forged voucher's signature", func(ck *audit.CommitteeKeyEntry) { ck.Vouches[1].Signature = ed25519.Sign(qian.priv, []byte("x")) }, "does not verify"},
		{"vouched for by the replaced key", func(ck *audit.CommitteeKeyEntry) {
			ck.Vouches[1] = audit.Vouch{KeyID: zhou.keyID(), Signature: ed25519.Sign(zhou.priv, audit.KeyReplacementStatement(v.assembly, zhou.keyID(), zhou2.keyID()))}
		}, "by the key it replaces"},
		{"vouched for by no member", func(ck *audit.CommitteeKeyEntry) {
			ck.Vouches[1] = audit.Vouch{KeyID: qian.keyID(), Signature: ed25519.Sign(qian.priv, audit.KeyReplacementStatement(v.assembly, zhou.keyID(), zhou2.keyID()))}
		}, "which is not a committee key"},
		{"one vouch of two", func(ck *audit.CommitteeKeyEntry) { ck.Vouches = ck.Vouches[:1] }, "vouched for by 1 member(s), 2 needed"},
		{"the same member vouching twice", func(ck *audit.CommitteeKeyEntry) { ck.Vouches[1] = ck.Vouches[0] }, "vouches twice"},
		{"a new key another member holds", func(ck *audit.CommitteeKeyEntry) {
			ck.KeyID, ck.PublicKey = zheng.keyID(), zheng.pub()
			ck.Vouches[1].Signature = ed25519.Sign(feng.priv, audit.KeyReplacementStatement(v.assembly, zhou.keyID(), zheng.keyID()))
		}, "already a key of this assembly's log"},
		{"a key id not of its public key", func(ck *audit.CommitteeKeyEntry) { ck.PublicKey = qian.pub() }, "does not match its public key"},
		{"replacing no member's key", func(ck *audit.CommitteeKeyEntry) { ck.Replaces = qian.keyID() }, "which is not a committee key of this assembly"},
	} {
		tampered := maps.Clone(files)
		editEntries(tampered, func(_ int, e *audit.Entry) bool {
			if e.Kind == audit.KindCommitteeKey {
				c.edit(e.CommitteeKey)
				return true
			}
			return false
		})
		var d *audit.Discrepancy
		if _, err := verifyFiles(tampered); !errors.As(err, &d) || d.Check != "committee-key" || !strings.Contains(d.Detail, c.detail) {
			t.Errorf("verify(%s) = %v, want a committee-key discrepancy saying %q", c.name, err, c.detail)
		}
	}
	// Without the replacement, the new key certifies for no one.
	tampered := maps.Clone(files)
	ls := logLines(tampered)
	ls = slices.DeleteFunc(ls, func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"COMMITTEE_KEY"`)) })
	setLogLines(tampered, ls)
	editEntries(tampered, func(n int, e *audit.Entry) bool { e.Index = uint64(n); return true })
	var d *audit.Discrepancy
	if _, err := verifyFiles(tampered); !errors.As(err, &d) || d.Check != "committee-signature" {
		t.Errorf("verify(the replacement removed) = %v, want a committee-signature discrepancy", err)
	}
}

// TestCommitteeKeyReplacedOnlyAfterTheLoss: a key enrolled before the
// member's committee key was revoked does not replace it, even through a
// sign-in issued to the member: it was made while the old one still
// stood.
func TestCommitteeKeyReplacedOnlyAfterTheLoss(t *testing.T) {
	v := newVote(t, nil)
	members := v.committee3(t) // registered by an admin: they bind no sign-in
	v.openAnother(t, &ov.Assembly{
		AssemblyId: "k2", Title: "续聘物业", Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_RENEW_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM},
		Committee: &ov.Committee{MemberKeyIds: []string{members[0].keyID(), members[1].keyID()}, K: 2},
	})
	ss := ov.NewSignerServiceClient(v.e.conn)
	early := newSigner(members[0].id, 174)
	tok := v.e.tokenFor(auth.CommitteeMember, v.community, members[0].id)
	if _, err := ss.EnrolSigner(v.ctx(tok), &ov.EnrolSignerRequest{Kind: "COMMITTEE", SignerId: early.id, Name: early.id, CommunityId: v.community, PublicKey: early.pub()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.ApproveSigner(v.ctx(v.e.admin), &ov.ApproveSignerRequest{KeyId: early.keyID()}); err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(duringVote.Add(time.Hour))
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: members[0].keyID(), Reason: "遗失"}); err != nil {
		t.Fatal(err)
	}
	_, err := v.as.ReplaceCommitteeKey(v.ctx(v.e.admin), &ov.ReplaceCommitteeKeyRequest{CommunityId: v.community, AssemblyId: v.assembly,
		ReplacedKeyId: members[0].keyID(), KeyId: early.keyID(), EndorserKeyId: members[1].keyID(),
		Signature: ed25519.Sign(members[1].priv, audit.KeyReplacementStatement(v.assembly, members[0].keyID(), early.keyID()))})
	if server.ReasonOf(err) != "KEY_NOT_HOLDER_ENROLLED" || !strings.Contains(err.Error(), "after the lost one is revoked") {
		t.Errorf("a key enrolled before the loss: %v, want KEY_NOT_HOLDER_ENROLLED", err)
	}
}

// TestRulesZeroExportsVerify: exports of assemblies published before the
// procedure rules were versioned (testdata/rules0, made by the server of
// that time) still verify: their agendas carry no rules, and the verifier
// applies the rules they were published under.
func TestRulesZeroExportsVerify(t *testing.T) {
	for _, name := range []string{"early-close-certified-72h", "pending-at-close", "kept-ballot-changed"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "rules0", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var files map[string][]byte
			if err := json.Unmarshal(raw, &files); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(files[audit.FileAgenda], []byte(`"rules"`)) {
				t.Fatal("the agenda names its rules: not an export of rules 0")
			}
			rep, err := verifyFiles(files)
			if err != nil {
				t.Fatalf("verify = %v", err)
			}
			if name == "early-close-certified-72h" && !rep.Certified {
				t.Error("the certified export is not reported certified")
			}
		})
	}
}

// TestVerifyPinnedLogKey: an export is checked against the log key the
// street office publishes; a self-consistent export under another key is
// refused.
func TestVerifyPinnedLogKey(t *testing.T) {
	v := newVote(t, nil)
	for i := range 5 {
		v.cast(t, i, channelOf(i), "AGREE")
	}
	b, err := audit.ReadBundle(v.export(t))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ov.NewSignerServiceClient(v.e.conn).GetServerKeys(v.ctx(v.e.admin), &ov.GetServerKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.VerifyWith(b, audit.Trust{LogVerifier: keys.GetLogVerifierKey()}); err != nil || !rep.Pinned {
		t.Fatalf("verify with the published log key = %v, %v", rep, err)
	}
	// A forger re-signs every checkpoint with a key of their own.
	forger, forgerKey, _ := audit.LogKey(bytes.Repeat([]byte{99}, 32))
	for i, c := range b.Checkpoints {
		cp, err := audit.OpenCheckpoint(c, b.Keys.LogVerifier, v.assembly)
		if err != nil {
			t.Fatal(err)
		}
		b.Checkpoints[i], _ = audit.SignCheckpoint(forger, v.assembly, cp.Size, cp.Hash)
	}
	b.Keys.LogVerifier = forgerKey
	if _, err := audit.Verify(b); err != nil {
		t.Fatalf("the forged export is self-consistent, so unpinned verify passes: %v", err)
	}
	_, err = audit.VerifyWith(b, audit.Trust{LogVerifier: keys.GetLogVerifierKey()})
	var d *audit.Discrepancy
	if !errors.As(err, &d) || d.Check != "log-key" {
		t.Errorf("verify of a re-signed export with the pinned key = %v, want log-key", err)
	}
}

// TestCancelSettlesWaitingBallots: cancelling a vote refuses the ballots
// still waiting for their check, in the log before the CANCEL, as a close
// does: none is left waiting for good. The verifier requires it from
// procedure rules 4 on.
func TestCancelSettlesWaitingBallots(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	left := v.pendingPhone(t, 60)
	if _, err := v.as.CancelAssembly(v.ctx(v.e.admin), &ov.CancelAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "业主委员会撤回议题"}); err != nil {
		t.Fatal(err)
	}
	if r, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: left.GetBallotId()}); err != nil ||
		r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_REFUSED || r.GetReasonCode() != "NOT_CONFIRMED" {
		t.Errorf("the ballot waiting at the cancel: %v %v %v, want REFUSED NOT_CONFIRMED", r.GetStatus(), r.GetReasonCode(), err)
	}
	if p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly}); err != nil || p.GetPending() != 0 {
		t.Errorf("progress after the cancel: %d pending, %v; want none", p.GetPending(), err)
	}
	files := v.export(t)
	if rep, err := verifyFiles(files); err != nil || !rep.Cancelled {
		t.Fatalf("verify(cancelled with a ballot refused at the cancel) = %v, %v", rep, err)
	}
	// The refusal taken out of the log: the ballot is left waiting.
	setLogLines(files, slices.DeleteFunc(logLines(files), func(l []byte) bool {
		var e audit.Entry
		return json.Unmarshal(l, &e) == nil && e.Kind == audit.KindStatus && e.Status.ID == left.GetBallotId()
	}))
	editEntries(files, func(n int, e *audit.Entry) bool { e.Index = uint64(n); return true })
	wantDiscrepancy(t, files, "status", "still waits for confirmation at the cancel", "a ballot left waiting at the cancel")
}

// TestCancelledExport: the export of a cancelled assembly verifies as
// cancelled, and an entry after the CANCEL (a result, say) is refused. A
// vote that has opened is cancelled by a street admin only, as only an
// admin closes one early.
func TestCancelledExport(t *testing.T) {
	v := newVote(t, nil)
	v.cast(t, 3, ballot.Platform, "AGREE")
	req := &ov.CancelAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "业主委员会撤回议题"}
	if _, err := v.as.CancelAssembly(v.ctx(v.staffTok), req); status.Code(err) != codes.PermissionDenied || !strings.Contains(server.ZhOf(err), "只有街道管理员") {
		t.Fatalf("staff cancelling an open vote: %v (%s), want PermissionDenied", err, server.ZhOf(err))
	}
	if a, err := v.as.GetAssembly(v.ctx(v.e.admin), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly}); err != nil || a.GetState() != ov.AssemblyState_ASSEMBLY_STATE_OPEN {
		t.Fatalf("after the refused cancellation: %v %v, want OPEN", a.GetState(), err)
	}
	if _, err := v.as.CancelAssembly(v.ctx(v.e.admin), req); err != nil {
		t.Fatal(err)
	}
	files := v.export(t)
	rep, err := verifyFiles(files)
	if err != nil || !rep.Cancelled || !strings.Contains(rep.String(), "cancelled") {
		t.Fatalf("verify(cancelled export) = %v, %v; want a report of a cancelled assembly", rep, err)
	}
	ls := logLines(files)
	var last audit.Entry
	json.Unmarshal(ls[len(ls)-1], &last)
	if last.Kind != audit.KindCancel {
		t.Fatalf("the last entry is %s, want CANCEL", last.Kind)
	}
	late := cloneFiles(files)
	editEntry(late, len(ls)-1, func(e *audit.Entry) { e.Time = closesAt.Add(time.Hour) })
	var dl *audit.Discrepancy
	if _, err := verifyFiles(late); !errors.As(err, &dl) || dl.Check != "status" || !strings.Contains(dl.Detail, "CANCEL after") {
		t.Errorf("verify(CANCEL after the closing time) = %v, want a status discrepancy", err)
	}
	after := audit.Entry{Index: last.Index + 1, Kind: audit.KindClose, Assembly: v.assembly, Time: last.Time, Close: &audit.CloseEntry{}}
	line, _ := after.Marshal()
	files[audit.FileLog] = append(files[audit.FileLog], append(line, '\n')...)
	var d *audit.Discrepancy
	if _, err := verifyFiles(files); !errors.As(err, &d) || d.Check != "status" {
		t.Errorf("verify(CLOSE after CANCEL) = %v, want a status discrepancy", err)
	}
}

// TestVerifyRefusesForgedStructure: a dishonest server holds its log key
// and re-signs every checkpoint after changing the export, so that only
// the structure of what it signed can give it away: a committee key that
// is not its id's, a committee of nobody, a key of the wrong length, two
// roots of one size, an entry whose JSON readers would read differently.
func TestVerifyRefusesForgedStructure(t *testing.T) {
	v := newVote(t, nil)
	for i := range 4 {
		v.cast(t, i, channelOf(i), "AGREE")
	}
	files := v.export(t)
	forger, forgerKey, _ := audit.LogKey(bytes.Repeat([]byte{98}, 32))
	rootAt := func(b *audit.Bundle, size int) []byte {
		var tr audit.Tree
		for _, e := range b.Entries[:size] {
			if err := tr.Append(audit.LeafHash(e), func(compact.NodeID, []byte) {}); err != nil {
				t.Fatal(err)
			}
		}
		root, err := tr.Root()
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	// forge applies edit to a fresh copy of the export and re-signs its
	// checkpoints (at the sizes edit leaves) with the forger's key.
	forge := func(edit func(b *audit.Bundle) []int) *audit.Bundle {
		b, err := audit.ReadBundle(cloneFiles(files))
		if err != nil {
			t.Fatal(err)
		}
		sizes := edit(b)
		if sizes == nil {
			sizes = []int{2, len(b.Entries)}
		}
		b.Checkpoints = nil
		for _, n := range sizes {
			cp, err := audit.SignCheckpoint(forger, v.assembly, uint64(n), rootAt(b, n))
			if err != nil {
				t.Fatal(err)
			}
			b.Checkpoints = append(b.Checkpoints, cp)
		}
		b.Keys.LogVerifier = forgerKey
		return b
	}
	editAgenda := func(b *audit.Bundle, edit func(a *audit.AgendaEntry)) {
		e, err := audit.ParseEntry(b.Entries[1])
		if err != nil {
			t.Fatal(err)
		}
		edit(e.Agenda)
		b.Entries[1], _ = e.Marshal()
		b.Agenda, _ = audit.IndentedJSON(e.Agenda)
	}
	if _, err := audit.Verify(forge(func(*audit.Bundle) []int { return nil })); err != nil {
		t.Fatalf("the export re-signed unchanged: %v", err)
	}
	other := newSigner("forged-member", 241)
	for _, tc := range []struct {
		name          string
		edit          func(b *audit.Bundle) []int
		check, detail string
	}{
		{"a committee member's public key swapped under its key id", func(b *audit.Bundle) []int {
			editAgenda(b, func(a *audit.AgendaEntry) { a.Committee[0].PublicKey = other.pub() })
			return nil
		}, "agenda", "does not match its public key"},
		{"a committee key of 31 bytes", func(b *audit.Bundle) []int {
			editAgenda(b, func(a *audit.AgendaEntry) {
				a.Committee[0].PublicKey = a.Committee[0].PublicKey[:31]
				a.Committee[0].KeyID = ballot.KeyID(a.Committee[0].PublicKey)
			})
			return nil
		}, "agenda", "does not match its public key"},
		{"a committee of whom nobody need sign", func(b *audit.Bundle) []int {
			editAgenda(b, func(a *audit.AgendaEntry) { a.CommitteeK = 0 })
			return nil
		}, "agenda", "1 ≤ k ≤ n"},
		{"an objection window of 31 days", func(b *audit.Bundle) []int {
			editAgenda(b, func(a *audit.AgendaEntry) { a.ObjectionDays = 31 })
			return nil
		}, "agenda", "objection window is 31 days"},
		{"an objection window of -1 days", func(b *audit.Bundle) []int {
			editAgenda(b, func(a *audit.AgendaEntry) { a.ObjectionDays = -1 })
			return nil
		}, "agenda", "objection window is -1 days"},
		{"a key entry of 31 bytes under its own id", func(b *audit.Bundle) []int {
			for i, l := range b.Entries {
				e, _ := audit.ParseEntry(l)
				if e.Kind == audit.KindKey {
					e.Key.PublicKey = e.Key.PublicKey[:31]
					e.Key.KeyID = ballot.KeyID(e.Key.PublicKey)
					b.Entries[i], _ = e.Marshal()
					break
				}
			}
			return nil
		}, "unregistered-key", "does not match its public key"},
		{"a status given twice in one entry", func(b *audit.Bundle) []int {
			for i, l := range b.Entries {
				if bytes.Contains(l, []byte(`"status":"ACCEPTED"`)) {
					b.Entries[i] = bytes.Replace(l, []byte(`"status":"ACCEPTED"`), []byte(`"status":"REFUSED","status":"ACCEPTED"`), 1)
					break
				}
			}
			return nil
		}, "entry-malformed", "exactly as written"},
	} {
		_, err := audit.Verify(forge(tc.edit))
		var d *audit.Discrepancy
		if !errors.As(err, &d) || d.Check != tc.check || !strings.Contains(d.Detail, tc.detail) {
			t.Errorf("verify(%s) = %v, want a %s discrepancy saying %q", tc.name, err, tc.check, tc.detail)
		}
	}
	// A second signed root of the full size, before the true one.
	b := forge(func(*audit.Bundle) []int { return nil })
	forked, err := audit.SignCheckpoint(forger, v.assembly, uint64(len(b.Entries)), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	b.Checkpoints = append([][]byte{b.Checkpoints[0], forked}, b.Checkpoints[1:]...)
	var d *audit.Discrepancy
	if _, err := audit.Verify(b); !errors.As(err, &d) || d.Check != "checkpoint-order" || !strings.Contains(d.Detail, "one per size") {
		t.Errorf("verify(two signed roots of one size) = %v, want a checkpoint-order discrepancy", err)
	}
}

// TestAgendaNotice: from its publication, an assembly's convening notice
// (会议公告) is public: the motions and the majority each needs, the window,
// the channels, the rules and settings, the frozen roll's figures and
// digest - no owner of the roll named, no phone or identity number. A
// draft has none, and answers as an unknown assembly does; a cancelled
// assembly's says so, with its reason.
func TestAgendaNotice(t *testing.T) {
	v := newVote(t, nil)
	base := "http://" + v.e.srv.HTTPAddr() + "/notices/"
	code, page := getPublic(t, base+v.assembly+"/agenda")
	if code != http.StatusOK {
		t.Fatalf("the agenda notice: HTTP %d %s", code, page)
	}
	a, err := v.as.GetAssembly(v.ctx(v.staffTok), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"业主大会会议公告", a.GetTitle(), a.GetMotions()[0].GetTitle(), "投票时间：<strong>2026年05月08日 00:00 至 2026年05月13日 00:00</strong>",
		"一般事项 · 须经参与表决专有部分面积过半数的业主、且参与表决人数过半数的业主同意",
		"计票规则：民法典（2021年起施行）；参与表决的业主须占全体业主专有部分面积三分之二以上、且占人数三分之二以上",
		"召集人：惠都社区（居民委员会代行业主委员会职责）", "交回的无效票不计入参与表决", "以第一张计票的选票为准",
		fmt.Sprintf("%d 套专有部分", households), a.GetRollDigest(), "投票进行中"} {
		if !strings.Contains(page, want) {
			t.Errorf("the agenda notice lacks %q", want)
		}
	}
	for _, never := range []string{v.ownerName(t, v.owners[0]), "138000000", idNumberN(0)[:10]} {
		if strings.Contains(page, never) {
			t.Errorf("the agenda notice holds %q", never)
		}
	}
	// Its style allowed by the hash of its own style block, and nothing else.
	if got, want := publicHeaders(t, base+v.assembly+"/agenda"), styleOnlyCSP(page); got != want {
		t.Errorf("the agenda notice's CSP %q (or another protection missing), want %q", got, want)
	}
	var n server.AgendaNotice
	if code, body := getPublic(t, base+v.assembly+"/agenda.json"); code != http.StatusOK || json.Unmarshal([]byte(body), &n) != nil ||
		n.RollUnits != households || len(n.Motions) != len(a.GetMotions()) || n.LogVerifier == "" || n.State != "OPEN" || n.RuleSet != "civil-code-2021" ||
		n.Motions[0].Matter != "SELECT_PROPERTY_FIRM" || len(n.Channels) != len(a.GetChannels()) || slices.Contains(n.Channels, "") {
		t.Errorf("the agenda notice as JSON: HTTP %d %+v", code, n)
	}

	// A draft has none, nor one cancelled as a draft: as an unknown
	// assembly.
	mistaken := &ov.Assembly{AssemblyId: "mistaken-2026", Title: "选举", Motions: []*ov.Motion{{MotionId: "m1", Title: "选举业委会", Matter: ov.Matter_MATTER_ELECT_COMMITTEE,
		Seats: 1, Options: []*ov.Option{{OptionId: "c1", Name: "张三"}, {OptionId: "c2", Name: "李四"}}}},
		OpensAt: timestamppb.New(duringVote.Add(20 * 24 * time.Hour)), ClosesAt: timestamppb.New(duringVote.Add(25 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE}, Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1}}
	if _, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: mistaken}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.as.CancelAssembly(v.ctx(v.staffTok), &ov.CancelAssemblyRequest{CommunityId: v.community, AssemblyId: "mistaken-2026", Reason: "录入有误"}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"/agenda", "/agenda.json"} {
		_, ofNone := getPublic(t, base+"nope"+suffix)
		if code, page := getPublic(t, base+"mistaken-2026"+suffix); code != http.StatusNotFound || page != ofNone || strings.Contains(page, "张三") {
			t.Errorf("a draft cancelled unpublished: %s: HTTP %d %q (an unknown one's %q)", suffix, code, page, ofNone)
		}
	}
	// (An election under the Property Law.)
	draft := &ov.Assembly{AssemblyId: "draft-2026", Title: "草稿", Motions: []*ov.Motion{{MotionId: "m1", Title: "选举业委会", Matter: ov.Matter_MATTER_ELECT_COMMITTEE,
		Seats: 1, Options: []*ov.Option{{OptionId: "c1", Name: "王五"}, {OptionId: "c2", Name: "赵六"}}}},
		OpensAt: timestamppb.New(duringVote.Add(20 * 24 * time.Hour)), ClosesAt: timestamppb.New(duringVote.Add(25 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE}, Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1},
		RuleSet: &ov.RuleSet{Name: "property-law-2007"}}
	if _, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: draft}); err != nil {
		t.Fatal(err)
	}
	code, ofDraft := getPublic(t, base+"draft-2026/agenda")
	if _, ofNone := getPublic(t, base+"nope/agenda"); code != http.StatusNotFound || ofDraft != ofNone || !strings.Contains(ofDraft, "会议在发布后公告") {
		t.Errorf("a draft's agenda notice: HTTP %d %q (an unknown one's %q)", code, ofDraft, ofNone)
	}

	// Published, then cancelled: said, with the reason.
	if _, err := v.as.PublishAssembly(v.ctx(v.staffTok), &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: "draft-2026"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.as.CancelAssembly(v.ctx(v.staffTok), &ov.CancelAssemblyRequest{CommunityId: v.community, AssemblyId: "draft-2026", Reason: "物业合同纠纷已和解"}); err != nil {
		t.Fatal(err)
	}
	code, page = getPublic(t, base+"draft-2026/agenda")
	for _, want := range []string{"会议已取消：物业合同纠纷已和解", "应选 1 人，候选人：王五、赵六（每张选票可选 1 至 1 人", "物权法（2007年，2021年1月1日起废止）",
		"须经全体业主中专有部分面积过半数的业主", "同意比例按全体业主计算"} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("a cancelled election's agenda notice: HTTP %d, lacks %q", code, want)
		}
	}
}

// styleOnlyCSP is the Content-Security-Policy a public page of this HTML
// must carry: its own style block, by its hash, and nothing else.
func styleOnlyCSP(page string) string {
	_, rest, _ := strings.Cut(page, "<style>")
	style, _, _ := strings.Cut(rest, "</style>")
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// publicHeaders GETs a public page and returns its Content-Security-Policy,
// or "" unless it also carries the public pages' other protections.
func publicHeaders(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		return ""
	}
	return h.Get("Content-Security-Policy")
}
