package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/recount"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/server"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// The seed story: a 166-household dormitory, a five-day window 8–12 May.
var (
	cst        = time.FixedZone("CST", 8*3600)
	opensAt    = time.Date(2026, 5, 8, 0, 0, 0, 0, cst)
	closesAt   = time.Date(2026, 5, 13, 0, 0, 0, 0, cst)
	publishAt  = time.Date(2026, 4, 20, 9, 0, 0, 0, cst)
	duringVote = time.Date(2026, 5, 9, 10, 0, 0, 0, cst)
)

const households = 166

// signer is a key with the id it signs as.
type signer struct {
	id   string
	priv ed25519.PrivateKey
}

func newSigner(id string, n byte) signer {
	return signer{id: id, priv: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, 32))}
}

func (s signer) pub() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }
func (s signer) keyID() string          { return ballot.KeyID(s.pub()) }

// vote is the seed-story fixture: the community, its signers and an open
// assembly.
type vote struct {
	e          *env
	rs         ov.RollServiceClient
	as         ov.AssemblyServiceClient
	community  string
	assembly   string
	rollDigest string
	owners     []string // owner id per household, in unit-id order
	units      []string // the households' unit ids, same order
	ownerKeys  map[string]signer
	platform   signer
	staff      signer
	staff2     signer
	committee  signer
	staffTok   string
	staff2Tok  string
	platTok    string
}

func (v *vote) ctx(tok string) context.Context { return v.e.ctx(tok) }

// newVote builds a community of 166 households of 80.00 m² each, one owner
// each, registers the signers and owners' keys, and creates and publishes
// the selection assembly with the given settings. The clock is left inside
// the voting window.
func newVote(t testing.TB, settings *ov.Settings) *vote {
	e := newEnv(t)
	v := &vote{e: e, rs: ov.NewRollServiceClient(e.conn), as: ov.NewAssemblyServiceClient(e.conn), community: "dorm",
		ownerKeys: map[string]signer{}, platform: newSigner("city-platform", 200), staff: newSigner("staff-wang", 201),
		staff2: newSigner("staff-li", 202), committee: newSigner("member-zhao", 203)}
	e.createCommunity(v.community)
	units := make([]*ov.UnitInput, households)
	for i := range units {
		units[i] = &ov.UnitInput{UnitId: fmt.Sprintf("%d-1-%d%02d", 1+i/24, 1+i%24/2, 1+i%2), RegisteredAreaM2: "80.00",
			Owners: []*ov.OwnerInput{{Name: fmt.Sprintf("业主%03d", i), IdNumber: idNumberN(i), Phone: fmt.Sprintf("138%08d", i)}}}
	}
	if _, err := v.rs.ImportUnits(v.ctx(e.admin), &ov.ImportUnitsRequest{CommunityId: v.community, Units: units}); err != nil {
		t.Fatal(err)
	}
	for tok := ""; ; {
		page, err := v.rs.ListUnits(v.ctx(e.admin), &ov.ListUnitsRequest{CommunityId: v.community, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.GetUnits() {
			v.owners = append(v.owners, u.GetVoterOwnerId())
			v.units = append(v.units, u.GetUnitId())
		}
		if tok = page.GetNextPageToken(); tok == "" {
			break
		}
	}
	// Owners 0–39 vote online with their own keys.
	for i := range 40 {
		k := newSigner(v.owners[i], byte(i+1))
		if _, err := v.rs.RegisterOwnerKey(v.ctx(e.admin), &ov.RegisterOwnerKeyRequest{CommunityId: v.community, OwnerId: v.owners[i], PublicKey: k.pub()}); err != nil {
			t.Fatal(err)
		}
		v.ownerKeys[v.owners[i]] = k
	}
	ss := ov.NewSignerServiceClient(e.conn)
	for _, s := range []struct {
		sg        signer
		kind, cid string
	}{{v.platform, "PLATFORM", ""}, {v.staff, "STAFF", v.community}, {v.staff2, "STAFF", v.community}, {v.committee, "COMMITTEE", v.community}} {
		if _, err := ss.RegisterSigner(v.ctx(e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: s.kind, SignerId: s.sg.id, Name: s.sg.id, CommunityId: s.cid, PublicKey: s.sg.pub()}}); err != nil {
			t.Fatal(err)
		}
	}
	v.staffTok = e.token(auth.CommunityStaff, v.community)
	v.staff2Tok = e.token(auth.CommunityStaff, v.community)
	v.platTok = e.token(auth.Platform, "")

	e.clock.Set(publishAt)
	a, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: &ov.Assembly{
		AssemblyId: "select-2026",
		Title:      "关于选聘物业服务企业的业主大会会议",
		Motions:    []*ov.Motion{{MotionId: "m1", Title: "选聘青岛天泰爱家物业服务有限公司为本小区物业服务企业", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
		OpensAt:    timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt),
		Channels:  []ov.Channel{ov.Channel_CHANNEL_ONLINE, ov.Channel_CHANNEL_PLATFORM, ov.Channel_CHANNEL_PHONE, ov.Channel_CHANNEL_VISIT, ov.Channel_CHANNEL_PAPER, ov.Channel_CHANNEL_PROXY},
		Settings:  settings,
		Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a.GetConvener().GetKind() != "RESIDENTS_COMMITTEE" {
		t.Errorf("convener of a community without owners' committee = %q, want RESIDENTS_COMMITTEE", a.GetConvener().GetKind())
	}
	a, err = v.as.PublishAssembly(v.ctx(v.staffTok), &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	v.assembly, v.rollDigest = a.GetAssemblyId(), a.GetRollDigest()
	if a.GetRollTotal().GetHead() != households || a.GetRollTotal().GetAreaM2() != "13280.00" {
		t.Fatalf("frozen roll = %v, want 166 heads, 13280.00 m²", a.GetRollTotal())
	}
	if a.GetProcedureRules() != audit.Rules {
		t.Fatalf("published under procedure rules %d, want %d", a.GetProcedureRules(), audit.Rules)
	}
	e.clock.Set(duringVote)
	return v
}

func idNumberN(n int) string {
	first := fmt.Sprintf("99000019600101%03d", n)
	return first + string(roll.ResidentIDCheck(first))
}

var nonceCounter struct {
	sync.Mutex
	n int
}

func nonce() string {
	nonceCounter.Lock()
	defer nonceCounter.Unlock()
	nonceCounter.n++
	h := sha256.Sum256([]byte(fmt.Sprint(nonceCounter.n)))
	return hex.EncodeToString(h[:16])
}

// ballotFor builds a ballot of voter i through channel c with one choice.
func (v *vote) ballotFor(i int, c ballot.Channel, choice string) (*ballot.Ballot, signer) {
	voter := v.owners[i]
	b := &ballot.Ballot{Assembly: v.assembly, RollDigest: v.rollDigest, Voter: voter, Channel: c, Signer: c.Signer(), Nonce: nonce(),
		Time: v.e.clock.Now().UTC().Truncate(time.Second), Choices: []ballot.Choice{{Motion: "m1", Values: []string{choice}}}}
	at := v.e.clock.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	var s signer
	switch c {
	case ballot.Online:
		s = v.ownerKeys[voter]
	case ballot.Platform:
		s = v.platform
		b.PlatformVoteID = fmt.Sprintf("qd-wy-%d", i)
	case ballot.Phone:
		s = v.staff
		b.Attestation = &ballot.Attestation{StaffID: s.id, At: at, MaskedPhone: fmt.Sprintf("138****%04d", i), RecordingSHA256: strings.Repeat("ab", 32)}
	case ballot.Visit:
		s = v.staff
		b.Attestation = &ballot.Attestation{StaffID: s.id, At: at, Note: "入户走访，业主本人当面表决"}
	case ballot.Paper:
		s = v.staff
		b.Attestation = &ballot.Attestation{StaffID: s.id, At: at, PaperSerial: fmt.Sprintf("P-%04d", i), ScanSHA256: scanOf(i)}
	case ballot.Proxy:
		s = newSigner("holder", byte(100+i%50))
		b.ProxyAuthorization = proxyDoc(i)
	}
	b.KeyID = s.keyID()
	return b, s
}

// pendingPhone takes voter i's phone ballot in an assembly with
// maker-checker, and fails the test unless it waits for confirmation.
func (v *vote) pendingPhone(t *testing.T, i int) *ov.BallotReceipt {
	t.Helper()
	b, s := v.ballotFor(i, ballot.Phone, "AGREE")
	c, sig := v.sign(t, b, s)
	r, err := v.submit(t, c, sig, ballot.Phone)
	if err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION {
		t.Fatalf("voter %d's phone ballot: %v %v, want it waiting for confirmation", i, r.GetStatus(), err)
	}
	return r
}

// confirmation is a maker-checker confirmation of a ballot signed by s.
func (v *vote) confirmation(ballotID string, s signer) *ov.ConfirmBallotRequest {
	return &ov.ConfirmBallotRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: ballotID, KeyId: s.keyID(),
		Signature: ed25519.Sign(s.priv, audit.ConfirmationStatement(v.assembly, ballotID))}
}

// scanOf is the digest of the scan of voter i's paper ballot.
func scanOf(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("表决票扫描件 P-%04d", i)))
	return hex.EncodeToString(h[:])
}

func proxyDoc(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("委托书 %d", i)))
	return hex.EncodeToString(h[:])
}

func (v *vote) sign(t testing.TB, b *ballot.Ballot, s signer) (canonical, sig []byte) {
	t.Helper()
	c, sg, err := ballot.Sign(b, s.priv)
	if err != nil {
		t.Fatalf("ballot.Sign: %v", err)
	}
	return c, sg
}

// submitEdited signs voter i's AGREE ballot through channel c, as edit
// changes it, and sends it.
func (v *vote) submitEdited(t *testing.T, i int, c ballot.Channel, edit func(b *ballot.Ballot)) (*ov.BallotReceipt, error) {
	b, s := v.ballotFor(i, c, "AGREE")
	edit(b)
	canonical, sig := v.sign(t, b, s)
	return v.submit(t, canonical, sig, c)
}

// submit sends a ballot over gRPC with the token that fits its channel.
func (v *vote) submit(t *testing.T, canonical, sig []byte, c ballot.Channel) (*ov.BallotReceipt, error) {
	tok := v.staffTok
	if c == ballot.Online || c == ballot.Platform {
		tok = v.platTok
	}
	return v.as.SubmitBallot(v.ctx(tok), &ov.SubmitBallotRequest{CommunityId: v.community, AssemblyId: v.assembly, Ballot: canonical, Signature: sig})
}

// cast signs and submits voter i's ballot and fails the test if it is not
// accepted.
func (v *vote) cast(t *testing.T, i int, c ballot.Channel, choice string) *ov.BallotReceipt {
	t.Helper()
	if c == ballot.Proxy {
		holder := newSigner("holder", byte(100+i%50))
		_, err := v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[i],
			HolderName: "受托人", HolderPublicKey: holder.pub(), DocumentSha256: proxyDoc(i), HolderIdNumber: idNumberN(800 + i%50)})
		if err != nil {
			t.Fatalf("RecordProxy(%d): %v", i, err)
		}
	}
	b, s := v.ballotFor(i, c, choice)
	canonical, sig := v.sign(t, b, s)
	r, err := v.submit(t, canonical, sig, c)
	if err != nil {
		t.Fatalf("SubmitBallot(voter %d, %s): %v", i, c, err)
	}
	if r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("SubmitBallot(voter %d, %s) status %v", i, c, r.GetStatus())
	}
	if r.GetBallotId() != ballot.ID(canonical) {
		t.Errorf("receipt ballot id %s, want %s", r.GetBallotId(), ballot.ID(canonical))
	}
	if _, err := ballot.VerifyReceipt(r.GetReceipt(), r.GetReceiptSignature(), receiptKey.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("receipt of voter %d does not verify: %v", i, err)
	}
	return r
}

// channelOf spreads voters over the channels: online for those with keys.
func channelOf(i int) ballot.Channel {
	if i < 40 {
		return ballot.Online
	}
	return []ballot.Channel{ballot.Platform, ballot.Phone, ballot.Visit, ballot.Paper, ballot.Proxy}[i%5]
}

func (v *vote) closeAndResult(t *testing.T) *ov.AssemblyResult {
	t.Helper()
	v.e.clock.Set(closesAt)
	if _, err := v.e.reg.CloseDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := v.as.GetResult(v.ctx(v.e.admin), &ov.GetResultRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSeedStory: 166 equal households. 111 participants reach the 2/3
// quorum (110 do not); of 111, 56 agreeing is more than half and 55 is not.
func TestSeedStory(t *testing.T) {
	tests := []struct {
		name          string
		participants  int
		agree         int
		wantOutcome   string
		wantQuorumMet bool
	}{
		{"111 participants, 56 agree", 111, 56, "PASSED", true},
		{"111 participants, 55 agree", 111, 55, "FAILED", true},
		{"110 participants, 110 agree", 110, 110, "NO_QUORUM", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVote(t, nil)
			for i := range tc.participants {
				choice := "OPPOSE"
				if i < tc.agree {
					choice = "AGREE"
				}
				v.cast(t, i, channelOf(i), choice)
			}
			p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.GetMotions()[0].GetParticipating().GetHead(); got != int64(tc.participants) {
				t.Errorf("progress participating head = %d, want %d", got, tc.participants)
			}
			res := v.closeAndResult(t)
			m := res.GetMotions()[0]
			if m.GetDecision().GetOutcome() != tc.wantOutcome || m.GetQuorumMet() != tc.wantQuorumMet {
				t.Errorf("result = %s (quorum %v), want %s (quorum %v)\n%s", m.GetDecision().GetOutcome(), m.GetQuorumMet(), tc.wantOutcome, tc.wantQuorumMet, m.GetDecision().GetExplanationZh())
			}
			if res.GetState() != ov.AssemblyState_ASSEMBLY_STATE_PRELIMINARY {
				t.Errorf("state after close = %v, want PRELIMINARY", res.GetState())
			}
			v.checkRecount(t, res)
		})
	}
}

// checkRecount exports the frozen roll and the counted ballots in the
// recount formats and checks that `ownervote recount` gets the same result.
func (v *vote) checkRecount(t *testing.T, res *ov.AssemblyResult) {
	t.Helper()
	ctx := context.Background()
	units, err := v.e.reg.FrozenRoll(ctx, v.assembly)
	if err != nil {
		t.Fatal(err)
	}
	var rollCSV, votesCSV bytes.Buffer
	rollCSV.WriteString("unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2,contract_area_m2\n")
	for _, u := range units {
		kind := "PERSON"
		if u.Developer {
			kind = "DEVELOPER"
		}
		fmt.Fprintf(&rollCSV, "%s,%s,%s,%s,,\n", u.ID, u.OwnerID, kind, u.Area)
	}
	ballots, err := v.e.reg.CountedBallots(ctx, v.assembly)
	if err != nil {
		t.Fatal(err)
	}
	votesCSV.WriteString("owner_id,motion_id,choice\n")
	for _, b := range ballots {
		fmt.Fprintf(&votesCSV, "%s,%s,%s\n", b.Voter, b.Motion, b.Choices[0])
	}
	asm := `{"rule_set": "civil-code-2021", "motions": [{"id": "m1", "matter": "SELECT_PROPERTY_FIRM"}]}`
	got, err := recount.Recount(recount.Source{Name: "roll.csv", R: &rollCSV}, recount.Source{Name: "assembly.json", R: strings.NewReader(asm)},
		recount.Source{Name: "votes.csv", R: &votesCSV})
	if err != nil {
		t.Fatalf("recount: %v", err)
	}
	if d := got.Digest(); hex.EncodeToString(d[:]) != res.GetResultDigest() {
		t.Errorf("recount digest %s != server result digest %s", d, res.GetResultDigest())
	}
}

// metadataOf is the metadata of an error's ErrorInfo.
func metadataOf(err error) map[string]string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetMetadata()
		}
	}
	return nil
}

func TestBallotChecks(t *testing.T) {
	v := newVote(t, nil)

	t.Run("every channel verified", func(t *testing.T) {
		for i, c := range []ballot.Channel{ballot.Online, ballot.Platform, ballot.Phone, ballot.Visit, ballot.Paper, ballot.Proxy} {
			voter := i
			if c != ballot.Online {
				voter = 100 + i
			}
			v.cast(t, voter, c, "AGREE")
		}
	})

	// refused submits a ballot for the first time and wants it refused,
	// its answer naming it by the id of its bytes, stored or not.
	refusedBy := func(t *testing.T, v *vote, canonical, sig []byte, c ballot.Channel, wantCode codes.Code, wantReason string) {
		t.Helper()
		_, err := v.submit(t, canonical, sig, c)
		if status.Code(err) != wantCode || server.ReasonOf(err) != wantReason {
			t.Errorf("submit = %v (%s), want %v %s", status.Code(err), server.ReasonOf(err), wantCode, wantReason)
		}
		if md := metadataOf(err); md["ballot_id"] != ballot.ID(canonical) || md["replayed"] != "" {
			t.Errorf("%s: metadata %v, want ballot_id %s and no replayed", wantReason, md, ballot.ID(canonical))
		}
	}
	refused := func(t *testing.T, canonical, sig []byte, c ballot.Channel, wantCode codes.Code, wantReason string) {
		t.Helper()
		refusedBy(t, v, canonical, sig, c, wantCode, wantReason)
	}
	t.Run("bytes that are no ballot", func(t *testing.T) {
		b, s := v.ballotFor(112, ballot.Platform, "AGREE")
		canonical, sig := v.sign(t, b, s)
		refused(t, bytes.ReplaceAll(canonical, []byte("\n"), []byte("\r\n")), sig, ballot.Platform, codes.InvalidArgument, "MALFORMED_BALLOT")
		// Nothing to name when nothing was sent.
		if _, err := v.submit(t, nil, sig, ballot.Platform); server.ReasonOf(err) != "MALFORMED_BALLOT" || metadataOf(err)["ballot_id"] != "" {
			t.Errorf("an empty ballot: %v, metadata %v", err, metadataOf(err))
		}
		b.Assembly = "another-assembly"
		canonical, sig = v.sign(t, b, s)
		refused(t, canonical, sig, ballot.Platform, codes.InvalidArgument, "WRONG_ASSEMBLY")
	})

	// Signed by a tool that does not apply the intake's rules: refused
	// before it is stored, so that what it shows is in no log.
	for _, tc := range []struct {
		name  string
		voter int
		c     ballot.Channel
		edit  func(a *ballot.Attestation)
	}{
		{"a phone number in the note", 112, ballot.Visit, func(a *ballot.Attestation) { a.Note = "业主手机13812345678，当面表决" }},
		// Beside the roll's 138****0114 that auditors read, 1380000****
		// would give the whole number.
		{"a phone masked otherwise than the roll", 114, ballot.Phone, func(a *ballot.Attestation) { a.MaskedPhone = "1380000****" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, s := v.ballotFor(tc.voter, tc.c, "AGREE")
			tc.edit(b.Attestation)
			canonical, err := b.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			refused(t, canonical, ed25519.Sign(s.priv, canonical), tc.c, codes.InvalidArgument, "MALFORMED_BALLOT")
			if _, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: ballot.ID(canonical)}); status.Code(err) != codes.NotFound {
				t.Errorf("the refused ballot: GetBallotReceipt = %v, want NotFound (not stored)", err)
			}
		})
	}

	t.Run("altered ballot", func(t *testing.T) {
		// Each kind of signer's key: the platform's and the staff's are
		// checked by their prepared keys, owners' and proxies' by
		// ed25519.Verify. (Voters 0 and 105 voted above; the refusal
		// comes before that matters.)
		for _, c := range []struct {
			voter int
			ch    ballot.Channel
		}{{110, ballot.Platform}, {110, ballot.Phone}, {0, ballot.Online}, {105, ballot.Proxy}} {
			b, s := v.ballotFor(c.voter, c.ch, "AGREE")
			canonical, sig := v.sign(t, b, s)
			altered := bytes.Replace(canonical, []byte("AGREE"), []byte("OPPOS"), 1)
			refused(t, altered, sig, c.ch, codes.InvalidArgument, "BAD_SIGNATURE")
		}
		b, s := v.ballotFor(110, ballot.Platform, "AGREE")
		canonical, sig := v.sign(t, b, s)
		flipped := bytes.Clone(canonical)
		flipped[len(flipped)/2] ^= 1
		_, err := v.submit(t, flipped, sig, ballot.Platform)
		if r := server.ReasonOf(err); r != "BAD_SIGNATURE" && r != "MALFORMED_BALLOT" && r != "UNKNOWN_SIGNER_KEY" {
			t.Errorf("one flipped bit: %v (%s), want refused", err, r)
		}
	})
	t.Run("forged by an unregistered key", func(t *testing.T) {
		b, _ := v.ballotFor(111, ballot.Phone, "AGREE")
		forger := newSigner("staff-wang", 250)
		b.KeyID = forger.keyID()
		canonical, sig := v.sign(t, b, forger)
		refused(t, canonical, sig, ballot.Phone, codes.FailedPrecondition, "UNKNOWN_SIGNER_KEY")
		// A registered staff key signing in another staff member's name.
		b, _ = v.ballotFor(111, ballot.Phone, "AGREE")
		b.Attestation.StaffID = v.staff2.id
		canonical, sig = v.sign(t, b, v.staff)
		refused(t, canonical, sig, ballot.Phone, codes.FailedPrecondition, "NO_RIGHT_TO_SIGN")
		// An owner's key signing for another owner.
		b, _ = v.ballotFor(5, ballot.Online, "AGREE")
		b.Voter = v.owners[120]
		canonical, sig = v.sign(t, b, v.ownerKeys[v.owners[5]])
		refused(t, canonical, sig, ballot.Online, codes.FailedPrecondition, "UNKNOWN_SIGNER_KEY")
	})
	t.Run("motion not on the agenda", func(t *testing.T) {
		b, s := v.ballotFor(112, ballot.Platform, "AGREE")
		b.Choices = append(b.Choices, ballot.Choice{Motion: "m9", Values: []string{"AGREE"}})
		canonical, sig := v.sign(t, b, s)
		refused(t, canonical, sig, ballot.Platform, codes.InvalidArgument, "NOT_ON_AGENDA")
		b, s = v.ballotFor(112, ballot.Platform, "firm-x")
		canonical, sig = v.sign(t, b, s)
		refused(t, canonical, sig, ballot.Platform, codes.InvalidArgument, "BAD_CHOICE")
	})
	t.Run("revoked key", func(t *testing.T) {
		owner := v.owners[30]
		if _, err := v.rs.RevokeOwnerKey(v.ctx(v.e.admin), &ov.RevokeOwnerKeyRequest{CommunityId: v.community, OwnerId: owner, KeyId: v.ownerKeys[owner].keyID(), Reason: "手机丢失"}); err != nil {
			t.Fatal(err)
		}
		b, s := v.ballotFor(30, ballot.Online, "AGREE")
		canonical, sig := v.sign(t, b, s)
		refused(t, canonical, sig, ballot.Online, codes.FailedPrecondition, "KEY_REVOKED")
	})
	t.Run("duplicate across channels is refused and logged", func(t *testing.T) {
		first := v.cast(t, 113, ballot.Platform, "AGREE")
		b, s := v.ballotFor(113, ballot.Phone, "OPPOSE")
		canonical, sig := v.sign(t, b, s)
		refused(t, canonical, sig, ballot.Phone, codes.AlreadyExists, "ALREADY_VOTED")
		// The same refused bytes again: the same refusal, stored once,
		// naming the ballot that counts by the id its receipt is found by.
		_, err := v.submit(t, canonical, sig, ballot.Phone)
		if server.ReasonOf(err) != "ALREADY_VOTED" || !strings.Contains(err.Error(), fmt.Sprintf("ballot %d (%s) counts", first.GetSeq(), first.GetBallotId())) {
			t.Errorf("the refusal of a second ballot: %v, want it to name ballot %d (%s)", err, first.GetSeq(), first.GetBallotId())
		}
		// Marked as the first answer, replayed, so that a sender does not
		// take it for a new refusal.
		if md := metadataOf(err); md["replayed"] != "true" || md["ballot_id"] != ballot.ID(canonical) || !strings.Contains(err.Error(), "was refused when first received") {
			t.Errorf("the refusal sent again: %v, metadata %v; want it marked replayed", err, md)
		}
		// And as metadata, over gRPC (a new ballot) and JSON (the same
		// ballot again).
		fresh, fs := v.ballotFor(113, ballot.Visit, "OPPOSE")
		fc, fsig := v.sign(t, fresh, fs)
		_, err = v.submit(t, fc, fsig, ballot.Visit)
		var md map[string]string
		for _, d := range status.Convert(err).Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok {
				md = info.GetMetadata()
			}
		}
		if md["counted_ballot_id"] != first.GetBallotId() || md["ballot_id"] != ballot.ID(fc) {
			t.Errorf("the refusal's metadata = %v, want ballot_id %s and counted_ballot_id %s", md, ballot.ID(fc), first.GetBallotId())
		}
		var ae apiError
		path := fmt.Sprintf("/v1/communities/%s/assemblies/%s/ballots", v.community, v.assembly)
		v.e.do("POST", path, v.staffTok, map[string]any{"ballot": canonical, "signature": sig}, &ae)
		named := false
		for _, d := range ae.Details {
			named = named || d.Metadata["counted_ballot_id"] == first.GetBallotId()
		}
		if !named {
			t.Errorf("the JSON refusal %+v has no counted_ballot_id", ae)
		}
		list, err := v.as.ListBallots(v.ctx(v.e.admin), &ov.ListBallotsRequest{CommunityId: v.community, AssemblyId: v.assembly, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, e := range list.GetBallots() {
			if e.GetBallotId() == ballot.ID(canonical) && e.GetStatus() == ov.BallotStatus_BALLOT_STATUS_REFUSED && e.GetReason() != "" && e.GetReasonCode() == "ALREADY_VOTED" {
				found++
			}
			if e.GetBallotId() == first.GetBallotId() && e.GetReasonCode() != "" {
				t.Errorf("the counted ballot has reason_code %q", e.GetReasonCode())
			}
		}
		if found != 1 {
			t.Error("the refused duplicate is not in the ballot list with its reason and reason_code ALREADY_VOTED")
		}
		if r, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: ballot.ID(canonical)}); err != nil || r.GetReasonCode() != "ALREADY_VOTED" {
			t.Errorf("the refused duplicate's receipt: reason_code %q, %v; want ALREADY_VOTED", r.GetReasonCode(), err)
		}
	})
	t.Run("identical resubmission is idempotent", func(t *testing.T) {
		b, s := v.ballotFor(114, ballot.Platform, "AGREE")
		canonical, sig := v.sign(t, b, s)
		first, err := v.submit(t, canonical, sig, ballot.Platform)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
		again, err := v.submit(t, canonical, sig, ballot.Platform)
		if err != nil {
			t.Fatal(err)
		}
		if !again.GetReplayed() || !bytes.Equal(again.GetReceipt(), first.GetReceipt()) || !bytes.Equal(again.GetReceiptSignature(), first.GetReceiptSignature()) {
			t.Errorf("resubmission: replayed %v, same receipt %v", again.GetReplayed(), bytes.Equal(again.GetReceipt(), first.GetReceipt()))
		}
		after, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
		if after.GetCounted() != before.GetCounted() {
			t.Errorf("counted %d → %d after a resubmission", before.GetCounted(), after.GetCounted())
		}
	})
	t.Run("64 concurrent submissions for one voter count once", func(t *testing.T) {
		const voter = 20 // has an owner key: online, platform, phone all possible
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted := 0
		codesSeen := map[codes.Code]int{}
		for n := range 64 {
			c := []ballot.Channel{ballot.Online, ballot.Platform, ballot.Phone, ballot.Visit}[n%4]
			b, s := v.ballotFor(voter, c, "AGREE")
			canonical, sig := v.sign(t, b, s)
			wg.Go(func() {
				_, err := v.submit(t, canonical, sig, c)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					accepted++
				}
				codesSeen[status.Code(err)]++
			})
		}
		wg.Wait()
		if accepted != 1 || codesSeen[codes.AlreadyExists] != 63 {
			t.Errorf("accepted %d, outcomes %v; want exactly 1 accepted and 63 ALREADY_VOTED", accepted, codesSeen)
		}
		ballots, _ := v.e.reg.CountedBallots(context.Background(), v.assembly)
		n := 0
		for _, b := range ballots {
			if b.Voter == v.owners[voter] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("voter has %d counted ballots, want 1", n)
		}
	})
	t.Run("outside the window", func(t *testing.T) {
		// (A vote of its own: the clock does not go back past its log.)
		v := newVote(t, nil)
		// Sent a minute early: refused and not stored, so that the same
		// bytes count when sent again once voting opens (its time is
		// within the clock skew a ballot may have before the opening).
		v.e.clock.Set(opensAt.Add(-time.Minute))
		refusedSoFar := func() int64 {
			p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
			if err != nil {
				t.Fatal(err)
			}
			return p.GetRefused()
		}
		before := refusedSoFar()
		b, s := v.ballotFor(115, ballot.Platform, "AGREE")
		canonical, sig := v.sign(t, b, s)
		refusedBy(t, v, canonical, sig, ballot.Platform, codes.FailedPrecondition, "VOTING_NOT_OPEN")
		if _, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: ballot.ID(canonical)}); status.Code(err) != codes.NotFound || refusedSoFar() != before {
			t.Errorf("a ballot sent before the opening: GetBallotReceipt = %v, refused %d → %d; want it not stored", err, before, refusedSoFar())
		}
		v.e.clock.Set(opensAt.Add(time.Minute))
		if r, err := v.submit(t, canonical, sig, ballot.Platform); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED || r.GetReplayed() {
			t.Errorf("the early ballot sent again once voting opened: %v, %v", r.GetStatus(), err)
		}
		v.e.clock.Set(closesAt.Add(time.Second))
		b, s = v.ballotFor(116, ballot.Platform, "AGREE")
		canonical, sig = v.sign(t, b, s)
		refusedBy(t, v, canonical, sig, ballot.Platform, codes.FailedPrecondition, "VOTING_CLOSED")
		// A closed assembly's log takes no more entries: the message does
		// not say the ballot was recorded, and it is not.
		_, err := v.submit(t, canonical, sig, ballot.Platform)
		if zh := server.ZhOf(err); strings.Contains(zh, "已登记为") {
			t.Errorf("VOTING_CLOSED says %q: the ballot was not recorded", zh)
		}
		if _, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: ballot.ID(canonical)}); status.Code(err) != codes.NotFound {
			t.Errorf("a ballot refused after the close: GetBallotReceipt = %v, want NotFound", err)
		}
	})
}

func TestBallotOverJSON(t *testing.T) {
	v := newVote(t, nil)
	b, s := v.ballotFor(50, ballot.Platform, "AGREE")
	canonical, sig := v.sign(t, b, s)
	var got struct {
		BallotID string `json:"ballot_id"`
		Status   string `json:"status"`
		Receipt  string `json:"receipt"`
		Sig      string `json:"receipt_signature"`
	}
	path := "/v1/communities/dorm/assemblies/" + v.assembly + "/ballots"
	body := map[string]any{"ballot": base64.StdEncoding.EncodeToString(canonical), "signature": base64.StdEncoding.EncodeToString(sig)}
	if code := v.e.do("POST", path, v.platTok, body, &got); code != http.StatusOK {
		t.Fatalf("POST ballot over JSON: HTTP %d", code)
	}
	rc, _ := base64.StdEncoding.DecodeString(got.Receipt)
	rs, _ := base64.StdEncoding.DecodeString(got.Sig)
	r, err := ballot.VerifyReceipt(rc, rs, receiptKey.Public().(ed25519.PublicKey))
	if err != nil || got.Status != "BALLOT_STATUS_ACCEPTED" || r.BallotID != ballot.ID(canonical) {
		t.Errorf("JSON receipt: status %s, verify %v", got.Status, err)
	}
	// A tampered ballot over JSON: 400 with the reason.
	b, s = v.ballotFor(51, ballot.Platform, "AGREE")
	canonical, sig = v.sign(t, b, s)
	sig[0] ^= 1
	var ae apiError
	body = map[string]any{"ballot": base64.StdEncoding.EncodeToString(canonical), "signature": base64.StdEncoding.EncodeToString(sig)}
	if code := v.e.do("POST", path, v.platTok, body, &ae); code != http.StatusBadRequest || ae.reason() != "BAD_SIGNATURE" {
		t.Errorf("tampered JSON ballot: HTTP %d %s, want 400 BAD_SIGNATURE", code, ae.reason())
	}
	// An auditor may read progress but not submit.
	auditor := v.e.token(auth.Auditor, "")
	if code := v.e.do("POST", path, auditor, body, nil); code != http.StatusForbidden {
		t.Errorf("auditor submits: HTTP %d, want 403", code)
	}
	var prog struct {
		Counted int `json:"counted,string"`
	}
	if code := v.e.do("GET", "/v1/communities/dorm/assemblies/"+v.assembly+"/progress", auditor, nil, &prog); code != http.StatusOK || prog.Counted != 1 {
		t.Errorf("auditor progress: HTTP %d counted %d", code, prog.Counted)
	}
}

// TestStorageFailureIsUnavailable: a ballot whose write the disk fails
// is not acknowledged: gRPC UNAVAILABLE, JSON 503, reason STORAGE_FAILED
// with a zh-CN message, so that the platform sends it again later. Sent
// again (as after the restart; here the record had reached the disk, as
// it may), it gets its receipt and counts once. (The real store's
// refusal of every later write is store's TestJournalSyncFailure.)
func TestStorageFailureIsUnavailable(t *testing.T) {
	v := newVote(t, nil)
	v.e.failSync.Store(true)
	b, s := v.ballotFor(50, ballot.Platform, "AGREE")
	canonical, sig := v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); status.Code(err) != codes.Unavailable || server.ReasonOf(err) != "STORAGE_FAILED" {
		t.Errorf("ballot the disk failed, over gRPC: %v, want Unavailable STORAGE_FAILED", err)
	}
	b, s = v.ballotFor(51, ballot.Platform, "AGREE")
	canonical2, sig2 := v.sign(t, b, s)
	var ae apiError
	body := map[string]any{"ballot": base64.StdEncoding.EncodeToString(canonical2), "signature": base64.StdEncoding.EncodeToString(sig2)}
	code := v.e.do("POST", "/v1/communities/dorm/assemblies/"+v.assembly+"/ballots", v.platTok, body, &ae)
	zh := ae.zh()
	if code != http.StatusServiceUnavailable || ae.reason() != "STORAGE_FAILED" || !strings.Contains(zh, "未获确认") {
		t.Errorf("ballot the disk failed, over JSON: HTTP %d %s %q, want 503 STORAGE_FAILED with the zh-CN message", code, ae.reason(), zh)
	}
	v.e.failSync.Store(false)
	for _, c := range [][2][]byte{{canonical, sig}, {canonical2, sig2}} {
		r, err := v.submit(t, c[0], c[1], ballot.Platform)
		if err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
			t.Fatalf("the ballot sent again: %v %v", r.GetStatus(), err)
		}
	}
	p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil || p.GetCounted() != 2 {
		t.Errorf("progress after the two ballots sent again: %d counted (%v), want 2", p.GetCounted(), err)
	}
}

// TestListProxies: staff list an assembly's proxy authorisations,
// standing and withdrawn, in the order they were recorded, without the
// holder id (whether a holder is an owner is told once, at RecordProxy);
// other roles read none.
func TestListProxies(t *testing.T) {
	v := newVote(t, nil)
	h1, h2, h3 := newSigner("h1", 180), newSigner("h2", 181), newSigner("h3", 182)
	step := func() { v.e.clock.Set(v.e.clock.Now().Add(time.Minute)) }
	record := func(i int, holder signer, name string, id int) {
		t.Helper()
		step()
		if _, err := v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[i],
			HolderName: name, HolderPublicKey: holder.pub(), DocumentSha256: proxyDoc(i), HolderIdNumber: idNumberN(id)}); err != nil {
			t.Fatal(err)
		}
	}
	record(70, h1, "受托人甲", 910)
	step()
	// Withdrawn by another member of staff.
	_, li, err := v.e.tokens.Create(context.Background(), auth.CommunityStaff, v.community, "惠都社区 李工作人员")
	if err != nil {
		t.Fatal(err)
	}
	if w, err := v.as.WithdrawProxy(v.ctx(li), &ov.WithdrawProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[70], Reason: "委托书有误"}); err != nil || w.GetHolderId() != "" {
		t.Fatalf("WithdrawProxy = %v, %v; want it without the holder id", w, err)
	}
	record(70, h2, "受托人乙", 911)
	record(71, h3, "受托人丙", 912)
	// Voter 72 sells during the vote: the buyer votes, and the proxy names
	// no unit of the frozen roll any more.
	record(72, newSigner("h4", 183), "受托人丁", 913)
	if _, err := v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[72],
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(572)}}, DocumentSha256: strings.Repeat("ef", 32)}); err != nil {
		t.Fatal(err)
	}
	b, _ := v.ballotFor(71, ballot.Proxy, "AGREE")
	b.KeyID = h3.keyID()
	c, sig := v.sign(t, b, h3)
	if _, err := v.submit(t, c, sig, ballot.Proxy); err != nil {
		t.Fatal(err)
	}
	list, err := v.as.ListProxies(v.ctx(v.staffTok), &ov.ListProxiesRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	tags := map[string]bool{}
	for _, p := range list.GetProxies() {
		tags[p.GetHolderTag()] = true
		got = append(got, fmt.Sprintf("%s %v %s %s withdrawn=%t %q holder_id=%q voted=%t/%t by %q/%q", p.GetVoter(), p.GetUnitIds(), p.GetHolderName(), p.GetHolderKeyId(),
			p.GetWithdrawTime() != nil, p.GetWithdrawReason(), p.GetHolderId(), p.GetVoted(), p.GetVotedByHolder(), p.GetRecordedBy(), p.GetWithdrawnBy()))
	}
	// Who recorded and withdrew each: the sign-ins' labels.
	staff := fmt.Sprintf("%q/", string(auth.CommunityStaff)+" "+v.community)
	want := []string{
		fmt.Sprintf("%s [%s] 受托人甲 %s withdrawn=true %q holder_id=\"\" voted=false/false by %s%q", v.owners[70], v.units[70], h1.keyID(), "委托书有误", staff, "惠都社区 李工作人员"),
		fmt.Sprintf("%s [%s] 受托人乙 %s withdrawn=false \"\" holder_id=\"\" voted=false/false by %s\"\"", v.owners[70], v.units[70], h2.keyID(), staff),
		fmt.Sprintf("%s [%s] 受托人丙 %s withdrawn=false \"\" holder_id=\"\" voted=true/true by %s\"\"", v.owners[71], v.units[71], h3.keyID(), staff),
		fmt.Sprintf("%s [] 受托人丁 %s withdrawn=false \"\" holder_id=\"\" voted=false/false by %s\"\"", v.owners[72], newSigner("h4", 183).keyID(), staff),
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListProxies =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(tags) != 4 || tags[""] {
		t.Errorf("holder tags %v, want one for each of the four holders", tags)
	}
	if p := list.GetProxies()[2]; p.GetVoterName() == "" || p.GetVoterName() != v.ownerName(t, v.owners[71]) {
		t.Errorf("voter 71's proxy names the voter %q, want their name on the roll", p.GetVoterName())
	}
	v.e.createCommunity("elsewhere")
	for role, tok := range map[string]string{"a committee member": v.e.token(auth.CommitteeMember, v.community), "an auditor": v.e.token(auth.Auditor, ""),
		"another community's staff": v.e.token(auth.CommunityStaff, "elsewhere")} {
		if _, err := v.as.ListProxies(v.ctx(tok), &ov.ListProxiesRequest{CommunityId: v.community, AssemblyId: v.assembly}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("ListProxies by %s = %v, want PermissionDenied", role, err)
		}
	}
}

// TestProxyWithdrawn: a proxy recorded in error, or revoked by the owner,
// is withdrawn: its holder's key signs for the voter no more, the holder
// may act for another voter under the cap, another proxy may be recorded
// for the voter, the key stays its holder's, and the export verifies; the
// verifier refuses a second proxy without the withdrawal.
func TestProxyWithdrawn(t *testing.T) {
	v := newVote(t, &ov.Settings{ProxyCap: 1})
	record := func(i int, holder signer, idNumber string) (*ov.ProxyAuthorization, error) {
		return v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[i],
			HolderName: "受托人", HolderPublicKey: holder.pub(), DocumentSha256: proxyDoc(i), HolderIdNumber: idNumber})
	}
	withdraw := func(i int, reason string) (*ov.ProxyAuthorization, error) {
		return v.as.WithdrawProxy(v.ctx(v.staffTok), &ov.WithdrawProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[i], Reason: reason})
	}
	vote := func(i int, holder signer) (*ov.BallotReceipt, error) {
		b, _ := v.ballotFor(i, ballot.Proxy, "AGREE")
		b.KeyID = holder.keyID()
		canonical, sig := v.sign(t, b, holder)
		return v.submit(t, canonical, sig, ballot.Proxy)
	}
	h1, h2, h3 := newSigner("h1", 180), newSigner("h2", 181), newSigner("h3", 182)
	mistyped := idNumberN(910)
	mistyped = mistyped[:17] + map[bool]string{true: "1", false: "2"}[mistyped[17] != '1']
	if _, err := record(70, h1, mistyped); server.ReasonOf(err) != "INVALID_ARGUMENT" || server.ZhOf(err) != "受托人证件号码有误（居民身份证号码的校验位不对：可能有数字录错）" {
		t.Errorf("a holder's number with a wrong check digit: %v (%s), want INVALID_ARGUMENT saying so in Chinese", err, server.ZhOf(err))
	}
	if _, err := record(70, h1, idNumberN(910)); err != nil {
		t.Fatal(err)
	}
	if _, err := record(71, h1, idNumberN(910)); server.ReasonOf(err) != "PROXY_CAP" {
		t.Fatalf("a second voter for the holder, cap 1: %v, want PROXY_CAP", err)
	}
	if _, err := withdraw(70, ""); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.HasPrefix(server.ZhOf(err), "请填写撤销委托的理由") {
		t.Errorf("no reason: %v (%s), want INVALID_ARGUMENT, said in Chinese", err, server.ZhOf(err))
	}
	if _, err := withdraw(70, "业主来电 13812345678 撤销"); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("a reason with a phone number: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := withdraw(70, v.ownerName(t, v.owners[70])+"本人来电撤销"); server.ZhOf(err) != "撤销委托的理由将公开，请勿写业主姓名（可写房号）" {
		t.Errorf("a reason naming the owner: %v (%s)", err, server.ZhOf(err))
	}
	if _, err := withdraw(72, "业主本人撤销委托"); server.ReasonOf(err) != "PROXY_NOT_FOUND" {
		t.Errorf("withdrawing no proxy: %v, want PROXY_NOT_FOUND", err)
	}
	if p, err := withdraw(70, "业主本人撤销委托"); err != nil || p.GetWithdrawTime() == nil || p.GetWithdrawReason() != "业主本人撤销委托" {
		t.Fatalf("WithdrawProxy = %v, %v", p, err)
	}
	if _, err := withdraw(70, "再次撤销"); server.ReasonOf(err) != "PROXY_NOT_FOUND" {
		t.Errorf("withdrawing it twice: %v, want PROXY_NOT_FOUND", err)
	}
	if r, err := vote(70, h1); server.ReasonOf(err) != "KEY_REVOKED" || r.GetStatus() == ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Errorf("a ballot through the withdrawn proxy: %v, %v; want KEY_REVOKED", r.GetStatus(), err)
	}
	if _, err := record(71, h1, idNumberN(910)); err != nil {
		t.Errorf("the holder for another voter once the first proxy is withdrawn: %v", err)
	}
	if _, err := record(70, h2, idNumberN(911)); err != nil {
		t.Fatalf("another proxy for the voter: %v", err)
	}
	// h1 votes for voter 71; then that proxy is withdrawn and another
	// recorded: the ballot stays, is answered again when sent again, and
	// h1 signs for 71 no more.
	b71, _ := v.ballotFor(71, ballot.Proxy, "OPPOSE")
	b71.KeyID = h1.keyID()
	c71, s71 := v.sign(t, b71, h1)
	first, err := v.submit(t, c71, s71, ballot.Proxy)
	if err != nil || first.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("h1's ballot for voter 71: %v, %v", first.GetStatus(), err)
	}
	if _, err := withdraw(71, "委托书有误"); err != nil {
		t.Fatal(err)
	}
	// Voter 71 has voted (through h1): another proxy could not vote.
	if _, err := record(71, h3, idNumberN(913)); server.ReasonOf(err) != "ALREADY_VOTED" || !strings.Contains(server.ZhOf(err), "无需登记委托") {
		t.Errorf("another proxy for voter 71, whose ballot counts: %v (%s), want ALREADY_VOTED", err, server.ZhOf(err))
	}
	if again, err := v.submit(t, c71, s71, ballot.Proxy); err != nil || again.GetBallotId() != first.GetBallotId() || again.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Errorf("h1's ballot sent again after the proxy was withdrawn: %v, %v; want the same answer", again.GetStatus(), err)
	}
	if _, err := vote(71, h1); server.ReasonOf(err) != "KEY_REVOKED" || !strings.Contains(err.Error(), "withdrawn") {
		t.Errorf("a new ballot by h1 for voter 71: %v, want KEY_REVOKED, withdrawn", err)
	}
	// h1's ballot for 71 still counts: the withdrawal freed no place under
	// the cap.
	if _, err := record(73, h1, idNumberN(910)); server.ReasonOf(err) != "PROXY_CAP" || !strings.Contains(err.Error(), "acts for 1 voter (") {
		t.Errorf("h1 for another voter while h1's ballot for 71 counts: %v, want PROXY_CAP", err)
	}
	// Once no standing proxy has h1's key, it is still h1's holder's.
	if _, err := record(72, h1, idNumberN(912)); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("the withdrawn proxies' key given to another holder: %v, want INVALID_ARGUMENT", err)
	}
	if r, err := vote(70, h2); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("a ballot through the new proxy: %v, %v", r.GetStatus(), err)
	}
	// Two withdrawals for one voter at the same instant are both kept
	// aside: each key stays its holder's.
	h5, h6 := newSigner("h5", 186), newSigner("h6", 187)
	for _, c := range []struct {
		key signer
		id  string
	}{{h5, idNumberN(916)}, {h6, idNumberN(917)}} {
		if _, err := record(74, c.key, c.id); err != nil {
			t.Fatal(err)
		}
		if _, err := withdraw(74, "委托书有误"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := record(74, newSigner("h7", 188), idNumberN(918)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []signer{h5, h6} {
		if _, err := record(75, k, idNumberN(919)); server.ReasonOf(err) != "INVALID_ARGUMENT" {
			t.Errorf("a withdrawn key given to another holder: %v, want INVALID_ARGUMENT", err)
		}
	}
	// A withdrawn authorisation whose voter's counted ballot another
	// holder cast counts toward no cap of its own holder.
	h8, h9 := newSigner("h8", 189), newSigner("h9", 190)
	if _, err := record(77, h8, idNumberN(920)); err != nil {
		t.Fatal(err)
	}
	if _, err := withdraw(77, "委托书有误"); err != nil {
		t.Fatal(err)
	}
	if _, err := record(77, h9, idNumberN(921)); err != nil {
		t.Fatal(err)
	}
	if r, err := vote(77, h9); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("h9's ballot for voter 77: %v, %v", r.GetStatus(), err)
	}
	if _, err := record(78, h8, idNumberN(920)); err != nil {
		t.Errorf("h8 for another voter, whose withdrawn proxy's voter has h9's ballot counted: %v", err)
	}
	files := v.export(t)
	if rep, err := verifyFiles(files); err != nil || rep.Counted != 3 {
		t.Fatalf("verify = %+v, %v; want three counted ballots", rep, err)
	}
	// Offline: h1 recorded for voter 73 after the withdrawal of 71, whose
	// ballot by h1 counts, is over the cap (procedure rules 4).
	over := cloneFiles(files)
	var h1Entry *audit.ProxyEntry
	at := len(logLines(over))
	for n, l := range logLines(over) {
		var e audit.Entry
		if json.Unmarshal(l, &e) == nil && e.Kind == audit.KindProxy && e.Proxy.HolderKeyID == h1.keyID() {
			h1Entry = e.Proxy
		}
		if json.Unmarshal(l, &e) == nil && e.Kind == audit.KindProxyWithdrawn && e.ProxyWithdrawn.Voter == v.owners[71] && e.ProxyWithdrawn.HolderKeyID == h1.keyID() {
			at = n + 1
		}
	}
	insertEntry(over, at, audit.Entry{Kind: audit.KindProxy, Assembly: v.assembly, Time: v.e.clock.Now(), Proxy: &audit.ProxyEntry{
		Voter: v.owners[73], Holder: h1Entry.Holder, HolderKeyID: h1.keyID(), DocumentSHA256: proxyDoc(73), RecordedBy: "t"}})
	wantDiscrepancy(t, over, "proxy", "acts for 2 voters", "a holder over the cap through a withdrawal after their ballot")
	// And a proxy recorded for voter 71, whose ballot (by h1) counts.
	voted := cloneFiles(files)
	insertEntry(voted, at, audit.Entry{Kind: audit.KindProxy, Assembly: v.assembly, Time: v.e.clock.Now(), Proxy: &audit.ProxyEntry{
		Voter: v.owners[71], Holder: "holder-h3", HolderKeyID: h3.keyID(), DocumentSHA256: proxyDoc(71), RecordedBy: "t"}})
	wantDiscrepancy(t, voted, "proxy", "whose ballot", "a proxy for a voter whose ballot counts")
	underRules(voted, 3)
	wantDiscrepancy(t, voted, "log-size", "entries were added", "the same proxy under procedure rules 3")
	underRules(over, 3)
	wantDiscrepancy(t, over, "log-size", "entries were added", "the same log under procedure rules 3")
	ls := logLines(files)
	ls = slices.DeleteFunc(ls, func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"PROXY_WITHDRAWN"`)) })
	setLogLines(files, ls)
	editEntries(files, func(n int, e *audit.Entry) bool { e.Index = uint64(n); return true })
	var d *audit.Discrepancy
	if _, err := verifyFiles(files); !errors.As(err, &d) || d.Check != "proxy" {
		t.Errorf("verify(the withdrawal removed) = %v, want a proxy discrepancy", err)
	}
}

// TestKeyRevocationLogged: an owner's key revoked or rotated, and a staff
// key revoked, after they signed in an open assembly are logged there
// (KEY_REVOKED), the export verifies, and the verifier refuses a ballot
// counted after its key's revocation.
func TestKeyRevocationLogged(t *testing.T) {
	v := newVote(t, nil)
	rs := ov.NewRollServiceClient(v.e.conn)
	one, two := v.ownerKeys[v.owners[1]], v.ownerKeys[v.owners[2]]
	v.cast(t, 1, ballot.Online, "AGREE")
	v.cast(t, 2, ballot.Online, "AGREE")
	v.cast(t, 41, ballot.Phone, "AGREE")
	if _, err := rs.RevokeOwnerKey(v.ctx(v.e.admin), &ov.RevokeOwnerKeyRequest{CommunityId: v.community, OwnerId: v.owners[1], KeyId: one.keyID(), Reason: "手机遗失"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.RotateOwnerKey(v.ctx(v.e.admin), &ov.RotateOwnerKeyRequest{CommunityId: v.community, OwnerId: v.owners[2], KeyId: two.keyID(), NewPublicKey: newSigner("new", 190).pub()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ov.NewSignerServiceClient(v.e.conn).RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: v.staff.keyID(), Reason: "离职"}); err != nil {
		t.Fatal(err)
	}
	// A key that never signed here is not named.
	if _, err := ov.NewSignerServiceClient(v.e.conn).RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: v.staff2.keyID(), Reason: "离职"}); err != nil {
		t.Fatal(err)
	}
	files := v.export(t)
	var revoked []string
	pos := map[string]int{}
	for n, l := range logLines(files) {
		e, err := audit.ParseEntry(l)
		if err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case audit.KindKeyRevoked:
			revoked = append(revoked, e.KeyRevoked.KeyID)
			pos["revoked "+e.KeyRevoked.KeyID] = n
		case audit.KindKey:
			pos["key "+e.Key.KeyID] = n
		}
	}
	if !slices.Equal(revoked, []string{one.keyID(), two.keyID(), v.staff.keyID()}) {
		t.Errorf("KEY_REVOKED entries for %v, want owner 1's, owner 2's and the staff member's keys", revoked)
	}
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Owner 1's revocation moved to just after its KEY entry: the ballot it
	// signed now follows it.
	ls := logLines(files)
	from, to := pos["revoked "+one.keyID()], pos["key "+one.keyID()]+1
	moved := ls[from]
	ls = slices.Delete(ls, from, from+1)
	ls = slices.Insert(ls, to, moved)
	setLogLines(files, ls)
	editEntries(files, func(n int, e *audit.Entry) bool { e.Index = uint64(n); return true })
	wantDiscrepancy(t, files, "right-to-sign", "revoked", "a ballot signed after its key's revocation")
}

// TestRevokedKeysPendingBallot: a phone ballot waiting for confirmation
// whose staff member's key is revoked is refused on confirmation, and the
// verifier refuses an export that counts it anyway.
func TestRevokedKeysPendingBallot(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	r := v.pendingPhone(t, 60)
	if _, err := ov.NewSignerServiceClient(v.e.conn).RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: v.staff.keyID(), Reason: "离职"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(r.GetBallotId(), v.staff2)); server.ReasonOf(err) != "KEY_REVOKED" {
		t.Errorf("a confirmation after the taker's key was revoked: %v, want KEY_REVOKED", err)
	}
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify: %v", err)
	}
	editEntries(files, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindStatus && e.Status.KeyID != "" {
			e.Status.Status, e.Status.Reason = "ACCEPTED", ""
			return true
		}
		return false
	})
	wantDiscrepancy(t, files, "right-to-sign", "revoked", "the ballot counted on its confirmation")
}

// TestRevokedConfirmingKey: a staff key revoked after it confirmed a
// ballot is logged; a confirmation it makes afterwards does not count
// offline.
func TestRevokedConfirmingKey(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	x := v.pendingPhone(t, 60)
	if c, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(x.GetBallotId(), v.staff2)); err != nil || c.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("confirm: %v, %v", c.GetStatus(), err)
	}
	y := v.pendingPhone(t, 61)
	if _, err := ov.NewSignerServiceClient(v.e.conn).RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: v.staff2.keyID(), Reason: "离职"}); err != nil {
		t.Fatal(err)
	}
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify: %v", err)
	}
	var seq uint64
	for _, l := range logLines(files) {
		if e, err := audit.ParseEntry(l); err == nil && e.Kind == audit.KindBallot && e.Ballot.ID == y.GetBallotId() {
			seq = e.Ballot.Seq
		}
	}
	n := len(logLines(files))
	insertEntry(files, n, audit.Entry{Kind: audit.KindStatus, Assembly: v.assembly, Time: duringVote.UTC(), Status: &audit.StatusEntry{Seq: seq, ID: y.GetBallotId(),
		Status: "ACCEPTED", By: "x", KeyID: v.staff2.keyID(), Signature: ed25519.Sign(v.staff2.priv, audit.ConfirmationStatement(v.assembly, y.GetBallotId()))}})
	wantDiscrepancy(t, files, "right-to-sign", "confirmed with key", "a confirmation with a revoked key")
}

// TestProxyHolderRecordedUnderAnEarlierForm: a proxy holder recorded in an
// open assembly before identity numbers were normalised as now (the hash of
// the number with its hyphens) is the same holder when recorded again with
// the number written so: the cap counts them once, and the export
// verifies.
func TestProxyHolderRecordedUnderAnEarlierForm(t *testing.T) {
	v := newVote(t, &ov.Settings{ProxyCap: 1})
	n := idNumberN(920)
	grouped := n[:6] + "-" + n[6:14] + "-" + n[14:]
	id := v.e.book.Identifier()
	holder := newSigner("h", 183)
	// As the server of the time recorded it (by a token id, no label).
	staff, err := v.e.tokens.Authenticate(context.Background(), v.staffTok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.e.reg.RecordProxy(context.Background(), v.assembly, assembly.Proxy{Voter: v.owners[70], HolderName: "受托人",
		HolderID: roll.OwnerID(id.Hash(grouped)), HolderTag: id.Tag(v.assembly, grouped), HolderPublicKey: holder.pub(), DocumentSHA256: proxyDoc(70)}, roll.Actor{TokenID: staff.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[71],
		HolderName: "受托人", HolderPublicKey: newSigner("h2", 184).pub(), DocumentSha256: proxyDoc(71), HolderIdNumber: grouped})
	if server.ReasonOf(err) != "PROXY_CAP" {
		t.Errorf("the same holder with another key, cap 1: %v, want PROXY_CAP", err)
	}
	// A number typed into the holder's name is refused, not kept.
	_, err = v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[72],
		HolderName: "李四 13812345678", HolderPublicKey: newSigner("h3", 185).pub(), DocumentSha256: proxyDoc(72), HolderIdNumber: idNumberN(921)})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(server.ZhOf(err), "受托人姓名不能含电话") || strings.Contains(err.Error(), "13812345678") {
		t.Errorf("a phone number in the holder's name: %v (%q)", err, server.ZhOf(err))
	}
	// Who recorded it: the label the token store has for it, as none was
	// kept with the proxy then.
	if list, err := v.as.ListProxies(v.ctx(v.staffTok), &ov.ListProxiesRequest{CommunityId: v.community, AssemblyId: v.assembly}); err != nil || len(list.GetProxies()) == 0 ||
		list.GetProxies()[0].GetRecordedBy() != staff.Label || staff.Label == "" {
		t.Errorf("ListProxies = %v, %v; want the proxy recorded by %q", list, err, staff.Label)
	}
	// (Written without hyphens, the number cannot be told to be the one
	// recorded with them: the holder's key is then another holder's.)
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// TestChineseMessagesSayWhatIsWrong: staff read, in Chinese, what is wrong
// with the very request, not only that something is.
func TestChineseMessagesSayWhatIsWrong(t *testing.T) {
	v := newVote(t, nil)
	_, err := v.as.CloseAssembly(v.ctx(v.e.admin), &ov.CloseAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if got := server.ZhOf(err); got != "请填写提前结束投票的理由（1至200字）" {
		t.Errorf("an early close without a reason: %q (%v)", got, err)
	}
	_, err = v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[70],
		HolderName: "受托人", HolderPublicKey: newSigner("h", 189).pub(), DocumentSha256: proxyDoc(70)})
	if got := server.ZhOf(err); got != "请填写委托书上受托人的证件号码" {
		t.Errorf("a proxy without the holder's number: %q (%v)", got, err)
	}
	_, err = v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[60],
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(560)}}, DocumentSha256: "abc"})
	if got := server.ZhOf(err); !strings.Contains(got, "过户登记文件") {
		t.Errorf("a sale with a bad document hash: %q (%v)", got, err)
	}
	// What staff type when enrolling or revoking keys.
	ss := ov.NewSignerServiceClient(v.e.conn)
	for _, tc := range []struct {
		what string
		req  *ov.EnrolSignerRequest
		want string
	}{
		{"a signer id with spaces", &ov.EnrolSignerRequest{Kind: "STAFF", SignerId: "wang gong", Name: "王工", CommunityId: v.community, PublicKey: newSigner("w", 190).pub()}, "工号或委员编号须为 1 至 64 个英文字母、数字或 . _ : -"},
		{"no name", &ov.EnrolSignerRequest{Kind: "STAFF", SignerId: "staff-wang2", Name: " ", CommunityId: v.community, PublicKey: newSigner("w", 191).pub()}, "请填写姓名（1至100字）"},
	} {
		if _, err := ss.EnrolSigner(v.ctx(v.e.admin), tc.req); server.ZhOf(err) != tc.want {
			t.Errorf("enrol with %s: %q (%v), want %q", tc.what, server.ZhOf(err), err, tc.want)
		}
	}
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: v.staff.keyID()}); server.ZhOf(err) != "请填写注销密钥的理由（1至200字）" {
		t.Errorf("revoke a key without a reason: %q (%v)", server.ZhOf(err), err)
	}
	_, err = ov.NewRollServiceClient(v.e.conn).RevokeOwnerKey(v.ctx(v.e.admin), &ov.RevokeOwnerKeyRequest{CommunityId: v.community, OwnerId: v.owners[1], KeyId: v.ownerKeys[v.owners[1]].keyID()})
	if server.ZhOf(err) != "请填写注销密钥的理由（1至200字）" {
		t.Errorf("revoke an owner's key without a reason: %q (%v)", server.ZhOf(err), err)
	}
}

// TestFutureBallotRefused: a ballot dated after the server's clock, or
// recording a call dated then (after the closing, say), is refused and
// logged (FUTURE_BALLOT), with five minutes allowed for clocks.
func TestFutureBallotRefused(t *testing.T) {
	v := newVote(t, nil)
	submit := func(i int, c ballot.Channel, edit func(b *ballot.Ballot)) (*ov.BallotReceipt, error) {
		return v.submitEdited(t, i, c, edit)
	}
	now := v.e.clock.Now().UTC().Truncate(time.Second)
	if _, err := submit(1, ballot.Online, func(b *ballot.Ballot) { b.Time = now.Add(6 * time.Minute) }); server.ReasonOf(err) != "FUTURE_BALLOT" || !strings.Contains(err.Error(), "ballot time") {
		t.Errorf("a ballot dated 6 minutes ahead: %v, want FUTURE_BALLOT", err)
	}
	_, err := submit(2, ballot.Phone, func(b *ballot.Ballot) { b.Attestation.At = closesAt.Add(24 * time.Hour).UTC() })
	if server.ReasonOf(err) != "FUTURE_BALLOT" || !strings.Contains(err.Error(), "attestation time") || !strings.Contains(server.ZhOf(err), "晚于服务器当前时间") {
		t.Errorf("a call dated a day after the closing: %v (%s), want FUTURE_BALLOT", err, server.ZhOf(err))
	}
	if r, err := submit(3, ballot.Phone, func(b *ballot.Ballot) { b.Time, b.Attestation.At = now, now.Add(4*time.Minute) }); err != nil || r.GetStatus() == ov.BallotStatus_BALLOT_STATUS_REFUSED {
		t.Errorf("a call dated 4 minutes ahead (clocks differ): %v, %v; want it taken", r.GetStatus(), err)
	}
	resp, err := v.as.ListBallots(v.ctx(v.e.admin), &ov.ListBallotsRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	var refused []string
	for _, b := range resp.GetBallots() {
		if b.GetStatus() == ov.BallotStatus_BALLOT_STATUS_REFUSED {
			refused = append(refused, b.GetReason())
		}
	}
	if len(refused) != 2 {
		t.Errorf("refused ballots listed: %q, want the 2 from the future", refused)
	}
}

// TestNoteNamingTheOwnerRefused: a staff ballot whose note names the owner
// by their name on the roll is refused and not stored (the log is public);
// the same ballot with the unit's number in the note is taken.
func TestNoteNamingTheOwnerRefused(t *testing.T) {
	v := newVote(t, nil)
	o, err := v.e.book.Owner(context.Background(), v.community, v.owners[7])
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.submitEdited(t, 7, ballot.Visit, func(b *ballot.Ballot) { b.Attestation.Note = "入户走访，" + o.Name + "本人当面表决" })
	if server.ReasonOf(err) != "MALFORMED_BALLOT" || !strings.Contains(err.Error(), "names the owner") || !strings.Contains(server.ZhOf(err), "不能写业主姓名") {
		t.Errorf("a note naming the owner: %v (%q), want MALFORMED_BALLOT", err, server.ZhOf(err))
	}
	p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil || p.GetRefused() != 0 || p.GetCounted() != 0 {
		t.Errorf("after the refusal: %v, %v; want nothing stored", p, err)
	}
	if _, err := v.submitEdited(t, 7, ballot.Visit, func(b *ballot.Ballot) {
		b.Attestation.Note = "入户走访，" + v.units[7] + "业主本人当面表决"
	}); err != nil {
		t.Errorf("a note naming the unit: %v", err)
	}
}

// TestEarlyBallotRefused: a ballot dated before voting opened, or
// recording a call dated then, was not cast in this vote: it is refused and
// logged (EARLY_BALLOT), with five minutes allowed for clocks; and the
// offline verifier refuses an export that counts one.
func TestEarlyBallotRefused(t *testing.T) {
	v := newVote(t, nil)
	submit := func(i int, c ballot.Channel, edit func(b *ballot.Ballot)) (*ov.BallotReceipt, error) {
		return v.submitEdited(t, i, c, edit)
	}
	if _, err := submit(1, ballot.Online, func(b *ballot.Ballot) { b.Time = opensAt.Add(-time.Hour).UTC() }); server.ReasonOf(err) != "EARLY_BALLOT" || !strings.Contains(err.Error(), "before voting opened") {
		t.Errorf("a ballot dated an hour before the opening: %v, want EARLY_BALLOT", err)
	}
	if _, err := submit(2, ballot.Phone, func(b *ballot.Ballot) { b.Attestation.At = opensAt.Add(-6 * time.Minute).UTC() }); server.ReasonOf(err) != "EARLY_BALLOT" || !strings.Contains(err.Error(), "attestation time") {
		t.Errorf("a call dated before the opening: %v, want EARLY_BALLOT", err)
	}
	if r, err := submit(3, ballot.Online, func(b *ballot.Ballot) { b.Time = opensAt.Add(-4 * time.Minute).UTC() }); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Errorf("a ballot dated 4 minutes before the opening (clocks differ): %v, %v; want it accepted", r.GetStatus(), err)
	}
	// The refusals are in the log.
	resp, err := v.as.ListBallots(v.ctx(v.e.admin), &ov.ListBallotsRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, b := range resp.GetBallots() {
		if b.GetStatus() == ov.BallotStatus_BALLOT_STATUS_REFUSED {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d refused ballots listed, want the 2 early ones", refused)
	}

	// Offline: a counted ballot made early is found.
	files := v.export(t)
	early := func(files map[string][]byte) {
		editEntries(files, func(_ int, e *audit.Entry) bool {
			if e.Kind != audit.KindBallot || e.Ballot.Status != "ACCEPTED" {
				return false
			}
			b, err := ballot.Parse(e.Ballot.Ballot)
			if err != nil {
				t.Fatal(err)
			}
			b.Time = opensAt.Add(-time.Hour).UTC()
			canonical, sig := v.sign(t, b, v.ownerKeys[b.Voter])
			e.Ballot.Ballot, e.Ballot.Signature, e.Ballot.ID = canonical, sig, ballot.ID(canonical)
			return true
		})
	}
	tampered := maps.Clone(files)
	early(tampered)
	wantDiscrepancy(t, tampered, "status", "before voting opened", "a counted ballot dated before the opening")
}

func TestMakerCheckerRevoteAndProxyCap(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true, AllowRevote: true, ProxyCap: 1})
	b, s := v.ballotFor(60, ballot.Phone, "AGREE")
	canonical, sig := v.sign(t, b, s)
	r, err := v.submit(t, canonical, sig, ballot.Phone)
	if err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION || len(r.GetReceipt()) != 0 {
		t.Fatalf("phone ballot with maker-checker: %v %v, want pending without receipt", r.GetStatus(), err)
	}
	req := v.confirmation(r.GetBallotId(), v.staff2)
	if _, err := v.as.ConfirmBallot(v.ctx(v.staffTok), req); server.ReasonOf(err) != "SAME_STAFF" {
		t.Errorf("confirm through the recorder's token: %v, want SAME_STAFF", err)
	}
	if _, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(r.GetBallotId(), v.staff)); server.ReasonOf(err) != "SAME_STAFF" {
		t.Errorf("confirm signed by the staff member who took the ballot: %v, want SAME_STAFF", err)
	}
	unsigned := v.confirmation(r.GetBallotId(), v.staff2)
	unsigned.Signature = nil
	if _, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), unsigned); status.Code(err) != codes.InvalidArgument {
		t.Errorf("unsigned confirmation: %v, want InvalidArgument", err)
	}
	forged := v.confirmation(r.GetBallotId(), v.staff2)
	forged.Signature[3] ^= 1
	if _, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), forged); server.ReasonOf(err) != "BAD_SIGNATURE" || server.ZhOf(err) != "复核签名验证失败" {
		t.Errorf("forged confirmation: %v (%s), want BAD_SIGNATURE, the confirmation's signature", err, server.ZhOf(err))
	}
	// Another phone ballot, left pending.
	b2, s2 := v.ballotFor(62, ballot.Phone, "AGREE")
	canonical2, sig2 := v.sign(t, b2, s2)
	unconfirmed, err := v.submit(t, canonical2, sig2, ballot.Phone)
	if err != nil || unconfirmed.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION {
		t.Fatalf("second phone ballot: %v %v, want pending", unconfirmed.GetStatus(), err)
	}
	c, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), req)
	if err != nil || c.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("confirm by a second staff member: %v %v", c.GetStatus(), err)
	}
	// Offline, a confirmation counts only for the ballot it signs: the
	// first ballot's, moved onto the pending one, is refused.
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify(export with a confirmed and a pending ballot) = %v", err)
	}
	// A confirmation counts the ballot, refuses it, or finds it superseded
	// by a later ballot of the voter that counts: nothing else.
	for _, st := range []string{"BOGUS", "PENDING_CONFIRMATION", "SUPERSEDED"} {
		changed := cloneFiles(files)
		editEntries(changed, func(_ int, e *audit.Entry) bool {
			confirmation := e.Kind == audit.KindStatus && e.Status.KeyID != ""
			if confirmation {
				e.Status.Status = st
			}
			return confirmation
		})
		wantDiscrepancy(t, changed, "status", "on its confirmation", "a confirmation logged as "+st)
	}
	// A call dated after the ballot was logged (after the closing, even)
	// is from the future, from procedure rules 6 on.
	future := cloneFiles(files)
	b2.Attestation.At = closesAt.Add(24 * time.Hour).UTC()
	canonical3, sig3 := v.sign(t, b2, s2)
	editEntries(future, func(_ int, e *audit.Entry) bool {
		ours := e.Kind == audit.KindBallot && e.Ballot.Seq == unconfirmed.GetSeq()
		if ours {
			e.Ballot.Ballot, e.Ballot.Signature, e.Ballot.ID = canonical3, sig3, ballot.ID(canonical3)
		}
		return ours
	})
	wantDiscrepancy(t, future, "status", "from the future: attestation time", "a call dated after the ballot was logged")
	underRules(future, 5)
	wantDiscrepancy(t, future, "merkle-root", "", "the same call under procedure rules 5")
	// Nor does a confirmation dated after the close count.
	late := cloneFiles(files)
	editEntries(late, func(_ int, e *audit.Entry) bool {
		accepted := e.Kind == audit.KindStatus && e.Status.Status == "ACCEPTED"
		if accepted {
			e.Time = closesAt.Add(time.Hour)
		}
		return accepted
	})
	if _, err := verifyFiles(late); !errors.As(err, new(*audit.Discrepancy)) || !strings.Contains(err.Error(), "outside the voting window") {
		t.Errorf("verify(a confirmation dated after the close) = %v, want it outside the voting window", err)
	}
	editEntries(files, func(_ int, e *audit.Entry) bool {
		accepted := e.Kind == audit.KindStatus && e.Status.Status == "ACCEPTED"
		if accepted {
			e.Status.Seq = unconfirmed.GetSeq()
		}
		return accepted
	})
	var d *audit.Discrepancy
	if _, err := verifyFiles(files); !errors.As(err, &d) || d.Check != "status" {
		t.Errorf("verify(a confirmation moved onto another pending ballot) = %v, want a status discrepancy", err)
	}
	// Revote: the last ballot counts, the first is superseded.
	v.cast(t, 60, ballot.Platform, "OPPOSE")
	p, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	agree, oppose := p.GetMotions()[0].GetChoices()[0], p.GetMotions()[0].GetChoices()[1]
	if agree.GetFigures().GetHead() != 0 || oppose.GetFigures().GetHead() != 1 || p.GetSuperseded() != 1 {
		t.Errorf("after revote: agree %v oppose %v superseded %d; want 0, 1, 1", agree.GetFigures(), oppose.GetFigures(), p.GetSuperseded())
	}
	// Proxy cap 1: one holder cannot take a second voter, not even with
	// another key; the cap counts people, by their identity number.
	holder, holder2, holder3 := newSigner("holder", 99), newSigner("holder2", 98), newSigner("holder3", 97)
	rec := func(i int, k signer, idNumber string) (*ov.ProxyAuthorization, error) {
		return v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[i],
			HolderName: "受托人", HolderPublicKey: k.pub(), DocumentSha256: proxyDoc(i), HolderIdNumber: idNumber})
	}
	first, err := rec(70, holder, idNumberN(900))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec(71, holder, idNumberN(900)); server.ReasonOf(err) != "PROXY_CAP" {
		t.Errorf("second proxy of one holder: %v, want PROXY_CAP", err)
	}
	if _, err := rec(71, holder2, idNumberN(900)); server.ReasonOf(err) != "PROXY_CAP" {
		t.Errorf("second proxy of one holder with another key: %v, want PROXY_CAP", err)
	}
	{
		n := idNumberN(900)
		if _, err := rec(71, holder2, n[:6]+" "+n[6:14]+"-"+n[14:]); server.ReasonOf(err) != "PROXY_CAP" {
			t.Errorf("second proxy of one holder, the number grouped: %v, want PROXY_CAP", err)
		}
	}
	if _, err := rec(72, holder, idNumberN(901)); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "holder_public_key") {
		t.Errorf("another holder with the first holder's key: %v, want InvalidArgument on holder_public_key", err)
	}
	if _, err := rec(72, holder3, ""); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "holder_id_number") {
		t.Errorf("no holder identity number: %v, want InvalidArgument on holder_id_number", err)
	}
	badCheck := idNumberN(901)[:17] + "0"
	if badCheck == idNumberN(901) {
		badCheck = idNumberN(901)[:17] + "1"
	}
	if _, err := rec(72, holder3, badCheck); status.Code(err) != codes.InvalidArgument || strings.Contains(err.Error(), badCheck[:10]) {
		t.Errorf("a mistyped holder identity number: %v, want InvalidArgument not echoing the number", err)
	}
	// An owner of the community as holder: the holder id is their owner id
	// (idNumberN(3) is the owner of the fourth unit imported, 1-1-202).
	owner, err := rec(72, holder3, idNumberN(3))
	want := v.owners[slices.Index(v.units, "1-1-202")]
	if err != nil || owner.GetHolderId() != want || first.GetHolderId() == "" || first.GetHolderId() == owner.GetHolderId() {
		t.Errorf("holder ids %q and %q, %v; want a non-empty one and the owner id %s", first.GetHolderId(), owner.GetHolderId(), err, want)
	}
	// That answer tells that the number is an owner's: it is recorded, the
	// holders who own nothing here are not.
	matches, err := v.rs.ListIdentityMatches(v.ctx(v.e.admin), &ov.ListIdentityMatchesRequest{CommunityId: v.community})
	if err != nil || len(matches.GetMatches()) != 1 || matches.GetMatches()[0].GetOwnerId() != want || matches.GetMatches()[0].GetMethod() != "RecordProxy" {
		t.Errorf("identity matches after the proxies = %v, %v; want the owner holder's, by RecordProxy", matches.GetMatches(), err)
	}
	files = v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify(export with proxies) = %v", err)
	}
	// The public log names holders by a pseudonym of this assembly: not
	// the owner id of the holder who owns 1-1-202, nor any number.
	tags := map[string]string{}
	for _, l := range logLines(files) {
		var e audit.Entry
		if json.Unmarshal(l, &e) == nil && e.Kind == audit.KindProxy {
			tags[e.Proxy.Voter] = e.Proxy.Holder
		}
	}
	if h := tags[v.owners[72]]; h == "" || h == want || h == owner.GetHolderId() || h == tags[v.owners[70]] {
		t.Errorf("the log names the holders %q (owner 1-1-202's proxy) and %q; want distinct pseudonyms, not the owner id %s", h, tags[v.owners[70]], want)
	}
	for _, n := range []string{idNumberN(900), idNumberN(3)} {
		if bytes.Contains(bytes.Join(logLines(files), nil), []byte(n)) {
			t.Errorf("the export holds a holder's identity number")
		}
	}
	// Nor does the data directory hold a holder's identity number.
	filepath.WalkDir(v.e.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(idNumberN(900))) {
				t.Errorf("%s holds a proxy holder's identity number", path)
			}
		}
		return nil
	})
	// Offline: the second authorisation given to the first holder, beyond
	// the cap, the first holder's key given to another, a voter given two
	// proxies, and a proxy for someone not on the roll.
	for name, edit := range map[string]func(p *audit.ProxyEntry){
		"a holder beyond the cap":    func(p *audit.ProxyEntry) { p.Holder = tags[v.owners[70]] },
		"a key given to two holders": func(p *audit.ProxyEntry) { p.HolderKeyID = first.GetHolderKeyId() },
		"two proxies for one voter":  func(p *audit.ProxyEntry) { p.Voter = v.owners[70] },
		"a proxy for no voter":       func(p *audit.ProxyEntry) { p.Voter = "o0000000000000000" },
	} {
		f := cloneFiles(files)
		editEntries(f, func(_ int, e *audit.Entry) bool {
			return e.Kind == audit.KindProxy && e.Proxy.Voter == v.owners[72] && func() bool { edit(e.Proxy); return true }()
		})
		var d *audit.Discrepancy
		if _, err := verifyFiles(f); !errors.As(err, &d) || d.Check != "proxy" {
			t.Errorf("verify(%s) = %v, want a proxy discrepancy", name, err)
		}
	}
}

// TestUnconfirmedBallotsRefusedAtClose: a phone ballot still waiting for a
// second staff member when the vote closes is refused, with its reason in
// the log, and an export in which it is left waiting fails verification.
func TestUnconfirmedBallotsRefusedAtClose(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	b, s := v.ballotFor(62, ballot.Phone, "AGREE")
	canonical, sig := v.sign(t, b, s)
	r, err := v.submit(t, canonical, sig, ballot.Phone)
	if err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION {
		t.Fatalf("phone ballot: %v %v, want pending", r.GetStatus(), err)
	}
	v.cast(t, 3, ballot.Platform, "AGREE")
	v.closeAndResult(t)
	got, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: r.GetBallotId()})
	if err != nil || got.GetStatus() != ov.BallotStatus_BALLOT_STATUS_REFUSED || !strings.Contains(got.GetReason(), "not confirmed") {
		t.Errorf("the unconfirmed ballot after the close: %v (%q), %v; want REFUSED, not confirmed", got.GetStatus(), got.GetReason(), err)
	}
	p, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if p.GetPending() != 0 || p.GetRefused() != 1 || p.GetCounted() != 1 {
		t.Errorf("progress after the close: pending %d, refused %d, counted %d; want 0, 1, 1", p.GetPending(), p.GetRefused(), p.GetCounted())
	}
	files := v.export(t)
	rep, err := verifyFiles(files)
	if err != nil || rep.Refused != 1 || rep.Counted != 1 {
		t.Fatalf("verify = %+v, %v; want 1 refused, 1 counted", rep, err)
	}

	// The refusal at the close turned into a count, and another entry
	// slipped in between the refusal and the CLOSE.
	refusal := slices.IndexFunc(logLines(files), func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"STATUS"`)) })
	counted := cloneFiles(files)
	editEntry(counted, refusal, func(e *audit.Entry) { e.Status.Status, e.Status.Reason = "ACCEPTED", "" })
	between := cloneFiles(files)
	insertEntry(between, refusal+1, audit.Entry{Kind: audit.KindProxy, Assembly: v.assembly, Time: closesAt,
		Proxy: &audit.ProxyEntry{Voter: v.owners[90], HolderKeyID: newSigner("x", 90).keyID(), DocumentSHA256: proxyDoc(90)}})
	for name, c := range map[string]struct {
		files  map[string][]byte
		detail string
	}{"counted without a confirmation": {counted, "without a confirmation"}, "an entry before the CLOSE": {between, "between the refusals"}} {
		var d *audit.Discrepancy
		if _, err := verifyFiles(c.files); !errors.As(err, &d) || d.Check != "status" || !strings.Contains(d.Detail, c.detail) {
			t.Errorf("verify(%s) = %v, want a status discrepancy", name, err)
		}
	}

	// The same log without the refusal: the ballot waits at the close.
	ls := logLines(files)
	at := slices.IndexFunc(ls, func(l []byte) bool { return bytes.Contains(l, []byte(`"kind":"STATUS"`)) })
	if at < 0 {
		t.Fatal("no STATUS entry in the log")
	}
	ls = slices.Delete(ls, at, at+1)
	for n := at; n < len(ls); n++ {
		var e audit.Entry
		json.Unmarshal(ls[n], &e)
		e.Index--
		ls[n], _ = e.Marshal()
	}
	setLogLines(files, ls)
	wantDiscrepancy(t, files, "status", "still waits", "an unconfirmed ballot left waiting at the close")
}

// TestObjectionWindowInCalendarDays: the default three-day window after a
// close at 15:37 ends at 24:00 China time of the third day: objections
// are taken until then, certification from then on.
func TestObjectionWindowInCalendarDays(t *testing.T) {
	v := newVote(t, nil)
	v.cast(t, 3, ballot.Platform, "AGREE")
	closed := time.Date(2026, 5, 9, 15, 37, 0, 0, cst)
	v.e.clock.Set(closed)
	if _, err := v.as.CloseAssembly(v.ctx(v.e.admin), &ov.CloseAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "全部业主已表决"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2026, 5, 13, 0, 0, 0, 0, cst)
	res, err := v.as.GetResult(v.ctx(v.e.admin), &ov.GetResultRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil || !res.GetObjectionDeadline().AsTime().Equal(deadline) {
		t.Fatalf("objection deadline %v, %v; want %s", res.GetObjectionDeadline().AsTime().In(cst), err, deadline)
	}
	object := func() error {
		_, err := v.as.RecordObjection(v.ctx(v.staffTok), &ov.RecordObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, Text: "请核对计票"})
		return err
	}
	certify := func() error {
		_, err := v.as.CertifyResult(v.ctx(v.e.admin), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: v.committee.keyID(),
			Signature: ed25519.Sign(v.committee.priv, []byte(res.GetCertificationStatement()))})
		return err
	}
	v.e.clock.Set(time.Date(2026, 5, 12, 23, 59, 0, 0, cst)) // the third day, 72 h after the close and more
	if err := object(); err != nil {
		t.Errorf("objection on the window's last day: %v", err)
	}
	if err := certify(); server.ReasonOf(err) != "OBJECTION_WINDOW_OPEN" {
		t.Errorf("certify on the window's last day: %v, want OBJECTION_WINDOW_OPEN", err)
	}
	if _, err := v.as.RespondObjection(v.ctx(v.staffTok), &ov.RespondObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, ObjectionId: "obj-1", Text: "已核对"}); err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(deadline)
	if err := object(); server.ReasonOf(err) != "OBJECTION_WINDOW_CLOSED" || !strings.Contains(err.Error(), "2026-05-13T00:00:00+08:00") {
		t.Errorf("objection at the deadline: %v, want OBJECTION_WINDOW_CLOSED naming the deadline in China time", err)
	}
	if err := certify(); err != nil {
		t.Errorf("certify at the deadline: %v", err)
	}
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// TestObjectionWindowOfAVoteClosedAtMidnight: a vote scheduled to close at
// 24:00 is closed by the server's closer a moment into the next day; its
// three-day window counts from the day it closed (13–15 May), not from the
// moment the close was written, on the server and offline; under earlier
// procedure rules the verifier keeps the window as it was then.
func TestObjectionWindowOfAVoteClosedAtMidnight(t *testing.T) {
	v := newVote(t, nil)
	v.cast(t, 3, ballot.Platform, "AGREE")
	v.e.clock.Set(closesAt.Add(300 * time.Millisecond)) // the closer's tick
	if _, err := v.e.reg.CloseDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2026, 5, 16, 0, 0, 0, 0, cst)
	res, err := v.as.GetResult(v.ctx(v.e.admin), &ov.GetResultRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil || !res.GetObjectionDeadline().AsTime().Equal(deadline) {
		t.Fatalf("objection deadline %v, %v; want %s", res.GetObjectionDeadline().AsTime().In(cst), err, deadline)
	}
	v.e.clock.Set(deadline.Add(10 * time.Hour))
	if _, err := v.as.RecordObjection(v.ctx(v.staffTok), &ov.RecordObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, Text: "窗口外的异议"}); server.ReasonOf(err) != "OBJECTION_WINDOW_CLOSED" {
		t.Errorf("an objection on 16 May: %v, want OBJECTION_WINDOW_CLOSED", err)
	}
	if _, err := v.as.CertifyResult(v.ctx(v.e.admin), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: v.committee.keyID(),
		Signature: ed25519.Sign(v.committee.priv, []byte(res.GetCertificationStatement()))}); err != nil {
		t.Fatalf("certify on 16 May: %v", err)
	}
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Errorf("verify: %v", err)
	}
	// Under rules 5 the window counted from the close as written: the
	// certification on 16 May came before it ended.
	underRules(files, 5)
	wantDiscrepancy(t, files, "committee-signature", "before the objection window closed", "the same log under procedure rules 5")
}

// TestObjectionsJudgedAtTheLogsTime: with the server's clock a little
// behind its log (set back, or the last entry dated by a clock running
// ahead), objections and signatures are judged at the log's time, as the
// verifier judges them; more than five minutes behind, nothing is
// written.
func TestObjectionsJudgedAtTheLogsTime(t *testing.T) {
	v := newVote(t, nil)
	v.cast(t, 3, ballot.Platform, "AGREE")
	res := v.closeAndResult(t)
	deadline := audit.ObjectionDeadline(closesAt, 3, audit.Rules)
	object := func() error {
		_, err := v.as.RecordObjection(v.ctx(v.staffTok), &ov.RecordObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, Text: "请核对计票"})
		return err
	}
	v.e.clock.Set(deadline.Add(-2 * time.Minute))
	if err := object(); err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(deadline.Add(time.Minute)) // the response, by a clock running ahead
	if _, err := v.as.RespondObjection(v.ctx(v.staffTok), &ov.RespondObjectionRequest{CommunityId: v.community, AssemblyId: v.assembly, ObjectionId: "obj-1", Text: "已核对"}); err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(deadline.Add(-time.Minute)) // set right
	if err := object(); server.ReasonOf(err) != "OBJECTION_WINDOW_CLOSED" {
		t.Errorf("an objection by the clock a minute before the deadline, the log's a minute after: %v, want OBJECTION_WINDOW_CLOSED", err)
	}
	certify := func() error {
		_, err := v.as.CertifyResult(v.ctx(v.e.admin), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: v.committee.keyID(),
			Signature: ed25519.Sign(v.committee.priv, []byte(res.GetCertificationStatement()))})
		return err
	}
	v.e.clock.Set(deadline.Add(-10 * time.Minute))
	if err := certify(); server.ReasonOf(err) != "CLOCK_BEHIND" || status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "set the server's clock right") {
		t.Errorf("a signature with the clock ten minutes behind the log: %v, want it refused", err)
	}
	v.e.clock.Set(deadline.Add(-time.Minute))
	if err := certify(); err != nil {
		t.Errorf("a signature at the log's time, past the deadline: %v", err)
	}
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func TestNoticeAndLifecycle(t *testing.T) {
	v := newVote(t, nil)
	ctx := v.ctx(v.staffTok)
	v.e.clock.Set(publishAt)
	short := &ov.Assembly{AssemblyId: "short", Title: "短公告", Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_RENEW_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(publishAt.Add(10 * 24 * time.Hour)), ClosesAt: timestamppb.New(publishAt.Add(12 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM}, Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1}}
	if _, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: short}); err != nil {
		t.Fatal(err)
	}
	_, err := v.as.PublishAssembly(ctx, &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: "short"})
	if server.ReasonOf(err) != "SHORT_NOTICE" {
		t.Errorf("publish with a 10-day notice: %v, want SHORT_NOTICE", err)
	}
	short.AssemblyId, short.ShortNoticeReason = "short2", "物业撤场，应急选聘"
	if _, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: short}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.as.PublishAssembly(ctx, &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: "short2"}); err != nil {
		t.Errorf("publish with a recorded reason: %v", err)
	}
	// Where the assembly admits no short notice, no reason helps.
	short.AssemblyId, short.Settings = "strict", &ov.Settings{RefuseShortNotice: true}
	if _, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: short}); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "short_notice_reason") {
		t.Errorf("a short-notice reason for an assembly refusing short notice: %v, want InvalidArgument on short_notice_reason", err)
	}
	short.ShortNoticeReason = ""
	if _, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: short}); err != nil {
		t.Fatal(err)
	}
	_, err = v.as.PublishAssembly(ctx, &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: "strict"})
	if server.ReasonOf(err) != "SHORT_NOTICE" || !strings.Contains(err.Error(), "admits no short notice") {
		t.Errorf("publish a 10-day notice of an assembly refusing short notice: %v, want SHORT_NOTICE", err)
	}
	// Offline, a short notice needs its reason.
	exp, err := v.as.ExportAssembly(v.ctx(v.e.admin), &ov.ExportAssemblyRequest{CommunityId: v.community, AssemblyId: "short2"})
	if err != nil {
		t.Fatal(err)
	}
	files := exp.GetFiles()
	if _, err := verifyFiles(files); err != nil {
		t.Errorf("verify(export of a short notice with its reason) = %v", err)
	}
	refused := cloneFiles(files)
	editEntry(refused, 1, func(e *audit.Entry) {
		e.Agenda.RefuseShortNotice = true
		refused[audit.FileAgenda], _ = audit.IndentedJSON(e.Agenda)
	})
	editEntry(files, 1, func(e *audit.Entry) {
		e.Agenda.ShortNoticeReason = ""
		files[audit.FileAgenda], _ = audit.IndentedJSON(e.Agenda)
	})
	wantDiscrepancy(t, files, "agenda", "records no reason", "a short notice without a reason")
	wantDiscrepancy(t, refused, "agenda", "admits no short notice", "a short notice the agenda refuses")
	// Early close needs an admin.
	v.e.clock.Set(duringVote)
	if _, err := v.as.CloseAssembly(ctx, &ov.CloseAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("staff closes early: %v, want PermissionDenied", err)
	}
	a, err := v.as.CloseAssembly(v.ctx(v.e.admin), &ov.CloseAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "全部业主已表决"})
	if err != nil || a.GetState() != ov.AssemblyState_ASSEMBLY_STATE_PRELIMINARY {
		t.Errorf("admin closes early: %v %v", a.GetState(), err)
	}
	// Another community's staff sees nothing of this one.
	v.e.createCommunity("other")
	otherStaff := v.e.token(auth.CommunityStaff, "other")
	if _, err := v.as.GetAssembly(v.ctx(otherStaff), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("other community's staff: %v, want PermissionDenied", err)
	}
	if _, err := v.as.GetAssembly(v.ctx(otherStaff), &ov.GetAssemblyRequest{CommunityId: "other", AssemblyId: v.assembly}); status.Code(err) != codes.NotFound {
		t.Errorf("other community's staff through its own community: %v, want NotFound", err)
	}
	// The export of a vote closed early verifies offline.
	if rep, err := verifyFiles(v.export(t)); err != nil || !rep.Closed || rep.Result == nil {
		t.Errorf("verify(export of a vote closed early) = %v, %v", rep, err)
	}
}

func TestRestartMidVoteKeepsBallotsAndProgress(t *testing.T) {
	v := newVote(t, nil)
	for i := range 30 {
		v.cast(t, 40+i, channelOf(40+i), []string{"AGREE", "OPPOSE", "ABSTAIN"}[i%3])
	}
	get := func() *ov.Progress {
		p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := get()
	v.e.restart()
	v.rs, v.as = ov.NewRollServiceClient(v.e.conn), ov.NewAssemblyServiceClient(v.e.conn)
	after := get()
	if diff := cmp.Diff(before.String(), after.String()); diff != "" {
		t.Errorf("progress changed across a restart:\n%s", diff)
	}
	if after.GetCounted() != 30 {
		t.Errorf("counted after restart = %d, want 30", after.GetCounted())
	}
	// The counters equal a full recount of the stored ballots.
	ballots, _ := v.e.reg.CountedBallots(context.Background(), v.assembly)
	agree := 0
	for _, b := range ballots {
		if b.Choices[0] == tally.Agree {
			agree++
		}
	}
	if got := after.GetMotions()[0].GetChoices()[0].GetFigures().GetHead(); got != int64(agree) || len(ballots) != 30 {
		t.Errorf("progress agree %d, stored ballots %d agreeing of %d", got, agree, len(ballots))
	}
	// Voting goes on after the restart.
	v.cast(t, 90, ballot.Platform, "AGREE")
}

func TestProgressLines(t *testing.T) {
	v := newVote(t, nil)
	p, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	q := p.GetMotions()[0].GetQuorum()
	// 2/3 of 166 heads is 110.67: 111 are needed; 2/3 of 13280.00 m² is
	// 8853.33…: 8853.34 m².
	if q.GetRequired().GetHead() != 111 || q.GetRequired().GetAreaM2() != "8853.34" || q.GetRemaining().GetHead() != 111 {
		t.Errorf("quorum line = %v", q)
	}
	for i := range 100 {
		v.cast(t, 40+i%126, channelOf(40+i%126), "AGREE")
	}
	p, _ = v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	m := p.GetMotions()[0]
	if m.GetQuorum().GetRemaining().GetHead() != 11 || m.GetQuorum().GetRemaining().GetAreaM2() != "853.34" {
		t.Errorf("after 100 voters, quorum remaining = %v, want 11 heads, 853.34 m²", m.GetQuorum().GetRemaining())
	}
	// All 100 agree: the approval line (more than half of participants) is
	// met.
	if r := m.GetChoices()[0].GetApproval().GetRemaining(); r.GetHead() != 0 || r.GetAreaM2() != "0.00" {
		t.Errorf("approval remaining with 100 of 100 agreeing = %v, want 0", r)
	}
}

func TestWatchProgressAndNonVoters(t *testing.T) {
	v := newVote(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := v.as.WatchProgress(metadataCtx(ctx, v.e.admin), &ov.WatchProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil || first.GetCounted() != 0 {
		t.Fatalf("first progress = %v, %v", first.GetCounted(), err)
	}
	v.cast(t, 41, ballot.Platform, "AGREE")
	next, err := stream.Recv()
	if err != nil || next.GetCounted() != 1 || next.GetMotions()[0].GetChoices()[0].GetFigures().GetAreaM2() != "80.00" {
		t.Fatalf("progress after a ballot = %v, %v; want 1 counted, 80.00 m² agreeing", next, err)
	}

	nv, err := v.as.ListNonVoters(v.ctx(v.staffTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if len(nv.GetNonVoters()) != households-1 {
		t.Errorf("%d non-voters, want %d", len(nv.GetNonVoters()), households-1)
	}
	for _, n := range nv.GetNonVoters() {
		if n.GetVoter() == v.owners[41] {
			t.Error("a voter who voted is on the call list")
		}
		if !strings.Contains(n.GetMaskedPhone(), "****") || n.GetFigures().GetAreaM2() != "80.00" || len(n.GetUnitIds()) != 1 {
			t.Errorf("non-voter entry %v: want masked phone, area and unit", n)
			break
		}
	}
	b1, err := v.as.ListNonVoters(v.ctx(v.staffTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: v.assembly, Building: "1"})
	if err != nil || len(b1.GetNonVoters()) != 24 {
		t.Errorf("non-voters of building 1 = %d, %v; want 24", len(b1.GetNonVoters()), err)
	}
	if _, err := v.as.ListNonVoters(v.ctx(v.platTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: v.assembly}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("platform lists non-voters: %v, want PermissionDenied", err)
	}
}

// TestRevokingATokenEndsItsStreams: a progress stream lasts as long as the
// sign-in it was opened with: revoking the token ends it at once with
// UNAUTHENTICATED, over gRPC and JSON, not at the next heartbeat or never.
// TestAnExpiringTokenEndsItsStreams: a stream lasts as long as its token
// works: one that expires ends it then.
func TestAnExpiringTokenEndsItsStreams(t *testing.T) {
	v := newVote(t, nil)
	// A token expiring three seconds from now, issued by a clock a minute
	// behind (a token must be issued at least a minute before it expires).
	early := auth.NewTokens(v.e.st, auth.Config{Now: func() time.Time { return time.Now().Add(-58 * time.Second) }})
	_, secret, err := early.CreateFor(context.Background(), auth.CommunityStaff, v.community, "临时工作人员", "", time.Now().Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := v.as.WatchProgress(metadataCtx(ctx, secret), &ov.WatchProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "expired") {
		t.Errorf("the stream of an expiring token: %v, want UNAUTHENTICATED (expired)", err)
	}
}

func TestRevokingATokenEndsItsStreams(t *testing.T) {
	v := newVote(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tokenID := func(secret string) string {
		who, err := ov.NewTokenServiceClient(v.e.conn).WhoAmI(v.ctx(secret), &ov.WhoAmIRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return who.GetTokenId()
	}
	revoke := func(secret string) {
		if _, err := ov.NewTokenServiceClient(v.e.conn).RevokeToken(v.ctx(v.e.admin), &ov.RevokeTokenRequest{TokenId: tokenID(secret)}); err != nil {
			t.Fatal(err)
		}
	}

	staff := v.e.token(auth.CommunityStaff, v.community)
	stream, err := v.as.WatchProgress(metadataCtx(ctx, staff), &ov.WatchProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	revoke(staff)
	if _, err := stream.Recv(); status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("the stream of a revoked token: %v, want UNAUTHENTICATED (revoked)", err)
	}

	staff = v.e.token(auth.CommunityStaff, v.community)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+v.e.srv.HTTPAddr()+"/v1/communities/"+v.community+"/assemblies/"+v.assembly+"/progress:watch", nil)
	req.Header.Set("Authorization", "Bearer "+staff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || !strings.Contains(lines.Text(), `"result"`) {
		t.Fatalf("the JSON stream's first line: %q", lines.Text())
	}
	revoke(staff)
	if !lines.Scan() || !strings.Contains(lines.Text(), `"error"`) || !strings.Contains(lines.Text(), "revoked") {
		t.Errorf("the JSON stream of a revoked token went on: %q (%v)", lines.Text(), lines.Err())
	}
}

func metadataCtx(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// rejection is a maker-checker rejection of a ballot signed by s.
// TestPaperBallotsAreChecked: under maker-checker a paper ballot, which
// staff enter like a phone or visit ballot, waits for a second staff
// member's check. Offline, a paper ballot counted without one fails under
// procedure rules 4 and replays under rules 3, which did not check them.
func TestPaperBallotsAreChecked(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	b, s := v.ballotFor(64, ballot.Paper, "AGREE")
	canonical, sig := v.sign(t, b, s)
	r, err := v.submit(t, canonical, sig, ballot.Paper)
	if err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION {
		t.Fatalf("a paper ballot under maker-checker: %v %v, want it waiting for its check", r.GetStatus(), err)
	}
	if c, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(r.GetBallotId(), v.staff2)); err != nil || c.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("confirming it: %v %v", c.GetStatus(), err)
	}
	files := v.export(t)
	if rep, err := verifyFiles(files); err != nil || rep.Counted != 1 {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
	// The paper ballot counted as it arrived, its confirmation gone.
	unchecked := cloneFiles(files)
	ls := slices.DeleteFunc(logLines(unchecked), func(l []byte) bool {
		var e audit.Entry
		return json.Unmarshal(l, &e) == nil && e.Kind == audit.KindStatus && e.Status.ID == r.GetBallotId()
	})
	setLogLines(unchecked, ls)
	editEntries(unchecked, func(n int, e *audit.Entry) bool {
		e.Index = uint64(n)
		if e.Kind == audit.KindBallot && e.Ballot.ID == r.GetBallotId() {
			e.Ballot.Status = "ACCEPTED"
		}
		return true
	})
	wantDiscrepancy(t, unchecked, "status", "counted without a second staff member's confirmation", "a paper ballot counted unchecked")
	underRules(unchecked, 3)
	wantDiscrepancy(t, unchecked, "log-size", "entries were", "the same log under procedure rules 3")
}

// TestAWaitingBallotDecides: where votes may not be changed, a ballot
// staff took that waits for its check (maker-checker) decides among the
// ballots staff take: another one, taken meanwhile by another member of
// staff, is refused BALLOT_WAITING (stored and logged, naming the waiting
// one), so that the order of the checks decides nothing; the voter is
// listed among the non-voters as waiting. The voter's own ballot (through
// the platform) is taken and counts, and the waiting one is refused at its
// check: an unchecked entry by staff keeps no owner from voting. Offline,
// a log in which a staff ballot counts while another of its voter's waits
// fails (procedure rules 4), and the same log under rules 3 replays.
func TestAWaitingBallotDecides(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	phone := v.pendingPhone(t, 60)

	// Another staff member, visiting, takes the voter's ballot too.
	visitOf := func(i int) ([]byte, []byte) {
		vb, _ := v.ballotFor(i, ballot.Visit, "OPPOSE")
		vb.Attestation.StaffID, vb.KeyID = v.staff2.id, v.staff2.keyID()
		return v.sign(t, vb, v.staff2)
	}
	submit2 := func(c, sig []byte) (*ov.BallotReceipt, error) {
		return v.as.SubmitBallot(v.ctx(v.staff2Tok), &ov.SubmitBallotRequest{CommunityId: v.community, AssemblyId: v.assembly, Ballot: c, Signature: sig})
	}
	visit, visitSig := visitOf(60)
	_, err := submit2(visit, visitSig)
	if server.ReasonOf(err) != "BALLOT_WAITING" || status.Code(err) != codes.FailedPrecondition || metadataOf(err)["waiting_ballot_id"] != phone.GetBallotId() ||
		metadataOf(err)["ballot_id"] != ballot.ID(visit) || !strings.Contains(server.ZhOf(err), "待第二名工作人员复核") {
		t.Fatalf("a visit ballot while the phone ballot waits: %v (%s, metadata %v), want BALLOT_WAITING naming %s", err, server.ZhOf(err), metadataOf(err), phone.GetBallotId())
	}
	nv, err := v.as.ListNonVoters(v.ctx(v.staffTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	waiting := map[string]string{}
	for _, n := range nv.GetNonVoters() {
		if n.GetWaitingBallotId() != "" {
			waiting[n.GetVoter()] = n.GetWaitingBallotId()
		}
	}
	if len(waiting) != 1 || waiting[v.owners[60]] != phone.GetBallotId() {
		t.Errorf("non-voters waiting for a check: %v, want only %s with %s", waiting, v.owners[60], phone.GetBallotId())
	}

	// Offline: the refusal is logged; a log in which the visit ballot
	// counted while the phone ballot waited does not verify under rules 4,
	// and replays under rules 3, which did not have the rule.
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify(export with a refusal while a ballot waits) = %v", err)
	}
	counted := cloneFiles(files)
	editEntries(counted, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindBallot && e.Ballot.ID == ballot.ID(visit) {
			e.Ballot.Status, e.Ballot.Reason = "PENDING_CONFIRMATION", ""
			return true
		}
		return false
	})
	wantDiscrepancy(t, counted, "one-ballot", "waits for confirmation", "a staff ballot taken while another of its voter's waited")
	underRules(counted, 3)
	// (The replay takes it; the edits are then found by the signed
	// checkpoints alone.)
	wantDiscrepancy(t, counted, "merkle-root", "an entry was changed", "the same log under procedure rules 3")

	c, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(phone.GetBallotId(), v.staff2))
	if err != nil || c.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("confirming the waiting ballot: %v %v, want ACCEPTED", c.GetStatus(), err)
	}
	_, err = submit2(visit, visitSig)
	if md := metadataOf(err); server.ReasonOf(err) != "BALLOT_WAITING" || md["replayed"] != "true" || md["counted_ballot_id"] != phone.GetBallotId() || md["waiting_ballot_id"] != "" {
		t.Errorf("the refused ballot sent again after the confirmation: %v (metadata %v), want BALLOT_WAITING replayed, naming the counted ballot", err, md)
	}

	// The voter's own ballot is taken while a staff ballot waits, and
	// counts; the waiting one is refused at its check. A proxy may be
	// recorded meanwhile.
	own := v.pendingPhone(t, 61)
	v.cast(t, 61, ballot.Platform, "OPPOSE")
	if _, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(own.GetBallotId(), v.staff2)); server.ReasonOf(err) != "ALREADY_VOTED" {
		t.Errorf("confirming a staff ballot after the voter's own counted: %v, want ALREADY_VOTED", err)
	}
	v.pendingPhone(t, 62)
	if _, err := v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[62],
		HolderName: "受托人", HolderPublicKey: newSigner("h62", 162).pub(), DocumentSha256: proxyDoc(62), HolderIdNumber: idNumberN(962)}); err != nil {
		t.Errorf("a proxy for a voter whose staff ballot waits: %v", err)
	}
	p, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if agree := p.GetMotions()[0].GetChoices()[0]; agree.GetFigures().GetHead() != 1 || p.GetCounted() != 2 || p.GetRefused() != 2 || p.GetPending() != 1 {
		t.Errorf("progress: agree %v, %d counted, %d refused, %d pending; want 60's phone AGREE and 61's platform OPPOSE counted, 2 refused, 62 waiting",
			agree.GetFigures(), p.GetCounted(), p.GetRefused(), p.GetPending())
	}

	// A rejected ballot decides nothing: staff take another; a ballot
	// refused while it waited, sent again, says so.
	wrong := v.pendingPhone(t, 63)
	visit63, visit63Sig := visitOf(63)
	if _, err := submit2(visit63, visit63Sig); server.ReasonOf(err) != "BALLOT_WAITING" {
		t.Fatalf("a visit ballot while 63's phone ballot waits: %v", err)
	}
	if _, err := v.as.RejectBallot(v.ctx(v.staff2Tok), v.rejection(wrong.GetBallotId(), "业主称未接到电话", v.staff2)); err != nil {
		t.Fatal(err)
	}
	if _, err := submit2(visit63, visit63Sig); server.ReasonOf(err) != "BALLOT_WAITING" || !strings.Contains(err.Error(), "since been settled without counting: a new ballot may be taken") ||
		!strings.Contains(server.ZhOf(err), "那张选票已复核完毕且未计入") {
		t.Errorf("the refused visit ballot sent again after the rejection: %v, want it to say a new one may be taken", err)
	}
	v.pendingPhone(t, 63)

	// A ballot left waiting is refused at the close, and the voter's
	// record no longer holds it.
	left := v.pendingPhone(t, 64)
	visit64, visit64Sig := visitOf(64)
	if _, err := submit2(visit64, visit64Sig); server.ReasonOf(err) != "BALLOT_WAITING" {
		t.Fatalf("a visit ballot while voter 64's phone ballot waits: %v, want BALLOT_WAITING", err)
	}
	v.closeAndResult(t)
	// Sent again after the close, it does not say a new ballot may be
	// taken: none may.
	if _, err := submit2(visit64, visit64Sig); server.ReasonOf(err) != "BALLOT_WAITING" || strings.Contains(err.Error(), "a new ballot may be taken") ||
		strings.Contains(server.ZhOf(err), "可以重新录入") {
		t.Errorf("the refused visit ballot sent again after the close: %v (%s)", err, server.ZhOf(err))
	}
	if r, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: left.GetBallotId()}); err != nil || r.GetReasonCode() != "NOT_CONFIRMED" {
		t.Errorf("the ballot left waiting: %v %v, want refused NOT_CONFIRMED", r.GetReasonCode(), err)
	}
	if _, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(left.GetBallotId(), v.staff2)); server.ReasonOf(err) != "NOT_PENDING" || !strings.Contains(server.ZhOf(err), "已按未复核拒收") {
		t.Errorf("confirming it after the close: %v (%s), want NOT_PENDING saying it was refused unconfirmed at the close", err, server.ZhOf(err))
	}
	nv, err = v.as.ListNonVoters(v.ctx(v.staffTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nv.GetNonVoters() {
		if n.GetWaitingBallotId() != "" {
			t.Errorf("after the close, non-voter %s still waits for ballot %s", n.GetVoter(), n.GetWaitingBallotId())
		}
	}
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify(the closed assembly) = %v", err)
	}
}

func (v *vote) rejection(ballotID, reason string, s signer) *ov.RejectBallotRequest {
	return &ov.RejectBallotRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: ballotID, Reason: reason, KeyId: s.keyID(),
		Signature: ed25519.Sign(s.priv, audit.RejectionStatement(v.assembly, ballotID, reason))}
}

// TestAPaperBallotIsOneVoters: one sheet of paper is one household's vote
// (procedure rules 5). A paper ballot whose serial, or whose scan, a
// ballot of another voter carries - waiting for its check, counted, or
// superseded by its voter's later ballot - is refused PAPER_REUSED (stored
// and logged); once the entry that held it is rejected at its check, the
// sheet is entered for the right household. Offline, a log in which such a
// ballot was taken fails, and the same log under rules 4 replays.
func TestAPaperBallotIsOneVoters(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	paperOf := func(i int, serial, scan string) ([]byte, []byte) {
		b, s := v.ballotFor(i, ballot.Paper, "AGREE")
		b.Attestation.PaperSerial, b.Attestation.ScanSHA256 = serial, scan
		return v.sign(t, b, s)
	}
	wrong, wrongSig := paperOf(60, "P-0061", scanOf(61)) // voter 61's sheet, entered for voter 60
	held, err := v.submit(t, wrong, wrongSig, ballot.Paper)
	if err != nil || held.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION {
		t.Fatalf("the first entry of sheet P-0061: %v %v, want it waiting for its check", held.GetStatus(), err)
	}
	for _, c := range []struct{ serial, scan, what string }{
		{"P-0061", scanOf(62), "serial P-0061"},
		{"P-0062", scanOf(61), "scan " + scanOf(61)},
	} {
		again, sig := paperOf(61, c.serial, c.scan)
		_, err := v.submit(t, again, sig, ballot.Paper)
		if server.ReasonOf(err) != "PAPER_REUSED" || status.Code(err) != codes.FailedPrecondition || metadataOf(err)["ballot_id"] != ballot.ID(again) ||
			!strings.Contains(err.Error(), c.what) || !strings.Contains(err.Error(), held.GetBallotId()) || !strings.Contains(server.ZhOf(err), "一张表决票只计一户") {
			t.Fatalf("a paper ballot with the %s of another voter's waiting ballot: %v (%s), want PAPER_REUSED naming it and %s", c.what, err, server.ZhOf(err), held.GetBallotId())
		}
	}
	reused, reusedSig := paperOf(61, "P-0061", scanOf(62))
	if _, err := v.submit(t, reused, reusedSig, ballot.Paper); server.ReasonOf(err) != "PAPER_REUSED" {
		t.Fatalf("the sheet for a second voter: %v, want PAPER_REUSED", err)
	}
	// The serial is one whatever its case.
	lower, lowerSig := paperOf(62, "p-0061", scanOf(63))
	if _, err := v.submit(t, lower, lowerSig, ballot.Paper); server.ReasonOf(err) != "PAPER_REUSED" || !strings.Contains(err.Error(), "serial P-0061") {
		t.Fatalf("the sheet's serial in lower case for a third voter: %v, want PAPER_REUSED", err)
	}

	// Offline: the refusals are logged; a log in which one of them was
	// taken does not verify, and replays under rules 4.
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify(export with PAPER_REUSED refusals) = %v", err)
	}
	taken := cloneFiles(files)
	editEntries(taken, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindBallot && e.Ballot.Status == "REFUSED" && strings.Contains(e.Ballot.Reason, "serial P-0061") && e.Ballot.Seq == 2 {
			e.Ballot.Status, e.Ballot.Reason = "PENDING_CONFIRMATION", ""
			return true
		}
		return false
	})
	wantDiscrepancy(t, taken, "paper", "carries the serial P-0061 of ballot", "a paper ballot taken for a second voter")
	underRules(taken, 4)
	wantDiscrepancy(t, taken, "merkle-root", "an entry was changed", "the same log under procedure rules 4")
	taken = cloneFiles(files)
	editEntries(taken, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindBallot && e.Ballot.Status == "REFUSED" && strings.Contains(e.Ballot.Reason, "scan "+scanOf(61)) {
			e.Ballot.Status, e.Ballot.Reason = "PENDING_CONFIRMATION", ""
			return true
		}
		return false
	})
	wantDiscrepancy(t, taken, "paper", "carries the scan "+scanOf(61)+" of ballot", "a paper ballot with another voter's scan taken")

	// The wrong entry rejected at its check, the sheet is entered for its
	// household (a new ballot: the refused one stays refused).
	if _, err := v.as.RejectBallot(v.ctx(v.staff2Tok), v.rejection(held.GetBallotId(), "核对扫描件：系61号表决票，录入户号有误", v.staff2)); err != nil {
		t.Fatal(err)
	}
	// The refused entry sent again gets its answer, saying the sheet is free.
	if _, err := v.submit(t, reused, reusedSig, ballot.Paper); server.ReasonOf(err) != "PAPER_REUSED" || metadataOf(err)["replayed"] != "true" ||
		!strings.Contains(err.Error(), "has since been refused: the sheet may be entered again") || !strings.Contains(server.ZhOf(err), "这张表决票可以重新录入") {
		t.Errorf("the refused entry sent again after the rejection: %v (metadata %v)", err, metadataOf(err))
	}
	right, rightSig := paperOf(61, "P-0061", scanOf(61))
	r, err := v.submit(t, right, rightSig, ballot.Paper)
	if err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION {
		t.Fatalf("sheet P-0061 entered for its household after the wrong entry's rejection: %v %v", r.GetStatus(), err)
	}
	if c, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(r.GetBallotId(), v.staff2)); err != nil || c.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("confirming sheet P-0061 for its household: %v %v", c.GetStatus(), err)
	}
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify(export after the sheet went to its household) = %v", err)
	}
	// Once voting has closed, no sheet may be entered: a refusal sent again
	// no longer says so.
	if _, err := v.as.CloseAssembly(v.ctx(v.e.admin), &ov.CloseAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.submit(t, reused, reusedSig, ballot.Paper); server.ReasonOf(err) != "PAPER_REUSED" || strings.Contains(err.Error(), "may be entered again") ||
		strings.Contains(server.ZhOf(err), "可以重新录入") {
		t.Errorf("the refused entry sent again after the close: %v (%s), want PAPER_REUSED without the note", err, server.ZhOf(err))
	}
}

// TestASupersededPaperBallotHoldsItsSheet: where votes may be changed, a
// counted paper ballot superseded by its voter's later ballot still holds
// its sheet: entered for another household, the sheet is refused.
func TestASupersededPaperBallotHoldsItsSheet(t *testing.T) {
	v := newVote(t, &ov.Settings{AllowRevote: true})
	v.cast(t, 60, ballot.Paper, "AGREE")
	sheetFor61 := func() error {
		b, s := v.ballotFor(61, ballot.Paper, "AGREE")
		b.Attestation.PaperSerial = "P-0060"
		c, sig := v.sign(t, b, s)
		_, err := v.submit(t, c, sig, ballot.Paper)
		return err
	}
	if err := sheetFor61(); server.ReasonOf(err) != "PAPER_REUSED" || !strings.Contains(err.Error(), "ACCEPTED: one paper ballot is one voter's; that ballot counts") {
		t.Fatalf("a sheet whose ballot counts, entered for another household: %v, want PAPER_REUSED", err)
	}
	v.cast(t, 60, ballot.Platform, "OPPOSE")
	if err := sheetFor61(); server.ReasonOf(err) != "PAPER_REUSED" || !strings.Contains(err.Error(), "SUPERSEDED") ||
		!strings.Contains(err.Error(), "its voter's later ballot replaced that one") || !strings.Contains(err.Error(), "a matter for an objection") {
		t.Fatalf("a sheet whose ballot was superseded, entered for another household: %v, want PAPER_REUSED", err)
	}
	// The voter's own sheet entered again is no other voter's.
	b, s := v.ballotFor(60, ballot.Paper, "ABSTAIN")
	c, sig := v.sign(t, b, s)
	if r, err := v.submit(t, c, sig, ballot.Paper); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("voter 60's sheet entered again: %v %v, want it counted (votes may be changed)", r.GetStatus(), err)
	}
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify = %v", err)
	}
}

// TestInvalidIsAPaperChoice: INVALID is the choice of a returned paper
// ballot that cannot be read for a motion (procedure rules 5); another
// channel's ballot saying it is refused BAD_CHOICE (stored and logged),
// and a log in which one counted fails offline.
func TestInvalidIsAPaperChoice(t *testing.T) {
	v := newVote(t, nil)
	v.cast(t, 60, ballot.Paper, "INVALID")
	b, s := v.ballotFor(61, ballot.Phone, "INVALID")
	c, sig := v.sign(t, b, s)
	if _, err := v.submit(t, c, sig, ballot.Phone); server.ReasonOf(err) != "BAD_CHOICE" || !strings.Contains(err.Error(), "INVALID is for a returned paper ballot") {
		t.Fatalf("a phone ballot saying INVALID: %v, want BAD_CHOICE", err)
	}
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify = %v", err)
	}
	editEntries(files, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindBallot && e.Ballot.ID == ballot.ID(c) {
			e.Ballot.Status, e.Ballot.Reason = "ACCEPTED", ""
			return true
		}
		return false
	})
	wantDiscrepancy(t, files, "choice", "only a returned paper ballot is invalid", "a phone ballot saying INVALID, counted")
	underRules(files, 4)
	wantDiscrepancy(t, files, "merkle-root", "an entry was changed", "the same log under procedure rules 4")
}

// TestRulesFourTakesASheetTwice: an assembly published before procedure
// rules 5 (its stored record says rules 4) keeps its rules: a sheet is
// taken for a second voter, and INVALID from a phone call.
func TestRulesFourTakesASheetTwice(t *testing.T) {
	v := newVote(t, nil)
	if err := v.e.st.Update(context.Background(), func(tx store.Tx) error {
		var rec map[string]json.RawMessage
		if _, err := store.GetJSON(tx, store.Assemblies, []byte(v.assembly), &rec); err != nil {
			return err
		}
		rec["rules"] = json.RawMessage("4")
		return store.PutJSON(tx, store.Assemblies, []byte(v.assembly), rec)
	}); err != nil {
		t.Fatal(err)
	}
	v.e.restart()
	v.rs, v.as = ov.NewRollServiceClient(v.e.conn), ov.NewAssemblyServiceClient(v.e.conn)
	for _, i := range []int{60, 61} {
		b, s := v.ballotFor(i, ballot.Paper, "AGREE")
		b.Attestation.PaperSerial, b.Attestation.ScanSHA256 = "P-0060", scanOf(60)
		c, sig := v.sign(t, b, s)
		if r, err := v.submit(t, c, sig, ballot.Paper); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
			t.Fatalf("sheet P-0060 for voter %d under rules 4: %v %v, want it counted", i, r.GetStatus(), err)
		}
	}
	b, s := v.ballotFor(62, ballot.Phone, "INVALID")
	c, sig := v.sign(t, b, s)
	if r, err := v.submit(t, c, sig, ballot.Phone); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("INVALID from a phone call under rules 4: %v %v, want it counted", r.GetStatus(), err)
	}
}

// TestOneSheetInOneGroup: a sheet entered for two voters at once, the
// ballots arriving together (one group commit), counts for one of them.
func TestOneSheetInOneGroup(t *testing.T) {
	v := newVote(t, nil)
	type sent struct{ c, sig []byte }
	var all []sent
	for sheet := range 10 {
		for _, i := range []int{60 + 2*sheet, 61 + 2*sheet} {
			b, s := v.ballotFor(i, ballot.Paper, "AGREE")
			b.Attestation.PaperSerial, b.Attestation.ScanSHA256 = fmt.Sprintf("S-%02d", sheet), scanOf(1000+sheet)
			c, sig := v.sign(t, b, s)
			all = append(all, sent{c, sig})
		}
	}
	var wg sync.WaitGroup
	results := make([]error, len(all))
	for k, x := range all {
		wg.Go(func() {
			_, results[k] = v.submit(t, x.c, x.sig, ballot.Paper)
		})
	}
	wg.Wait()
	taken, reused := 0, 0
	for _, err := range results {
		switch {
		case err == nil:
			taken++
		case server.ReasonOf(err) == "PAPER_REUSED":
			reused++
		default:
			t.Errorf("a sheet sent twice at once: %v", err)
		}
	}
	if taken != 10 || reused != 10 {
		t.Errorf("10 sheets each sent for two voters at once: %d taken, %d PAPER_REUSED; want 10 and 10", taken, reused)
	}
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify = %v", err)
	}
}

// TestRejectAtCheckAndSaleOfAWaitingBallot: the second staff member may
// reject a waiting phone ballot (signed, with a public reason; the voter
// votes again), and a unit whose voter's ballot waits is sold only once
// that ballot is confirmed (the unit keeps it) or rejected (the buyer
// votes), whatever the order of the two staff members' work; the
// verifier follows both.
func TestRejectAtCheckAndSaleOfAWaitingBallot(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	doc := strings.Repeat("ef", 32)
	sale := func(i int) (*ov.RollAmendment, error) {
		return v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[i],
			NewOwners: []*ov.OwnerInput{{Name: fmt.Sprintf("买受人%d", i), IdNumber: idNumberN(500 + i)}}, DocumentSha256: doc})
	}
	const why = "回拨核实：业主称未表示同意"
	r := v.pendingPhone(t, 60)
	id := r.GetBallotId()

	for _, tc := range []struct {
		name   string
		tok    string
		req    *ov.RejectBallotRequest
		reason string
		zh     string
	}{
		{"through the recorder's sign-in", v.staffTok, v.rejection(id, why, v.staff2), "SAME_STAFF", ""},
		{"signed by the staff member who took it", v.staff2Tok, v.rejection(id, why, v.staff), "SAME_STAFF", ""},
		{"without a reason", v.staff2Tok, v.rejection(id, "", v.staff2), "INVALID_ARGUMENT", "请填写驳回理由（1至200字、一行，首尾不留空格，将公开记录）"},
		{"a reason of two lines", v.staff2Tok, v.rejection(id, "回拨核实\n业主称未同意", v.staff2), "INVALID_ARGUMENT", "请填写驳回理由（1至200字、一行，首尾不留空格，将公开记录）"},
		{"a reason with a phone number", v.staff2Tok, v.rejection(id, "回拨13812345678核实不符", v.staff2), "INVALID_ARGUMENT", ""},
		{"a revoked key", v.staff2Tok, func() *ov.RejectBallotRequest { return v.rejection(id, why, v.revokedStaff(t)) }(), "NO_RIGHT_TO_SIGN", "复核所用的签名密钥不是本小区有效的工作人员密钥（已注销、尚待审批或属于其他小区）"},
		{"a reason naming the owner", v.staff2Tok, v.rejection(id, "回拨核实："+v.ownerName(t, v.owners[60])+"称未同意", v.staff2), "INVALID_ARGUMENT", "驳回理由将公开，请勿写业主姓名（可写房号）"},
		{"a reason pasted with a zero-width space", v.staff2Tok, v.rejection(id, "回拨核实\u200b不符", v.staff2), "INVALID_ARGUMENT", "驳回理由含不可见字符或文字方向控制符（常见于复制粘贴），请重新输入"},
		{"a confirmation's signature", v.staff2Tok, func() *ov.RejectBallotRequest {
			q := v.rejection(id, why, v.staff2)
			q.Signature = v.confirmation(id, v.staff2).GetSignature()
			return q
		}(), "BAD_SIGNATURE", "驳回签名验证失败"},
		{"the signature of another reason", v.staff2Tok, func() *ov.RejectBallotRequest {
			q := v.rejection(id, why, v.staff2)
			q.Reason = "业主要求撤回"
			return q
		}(), "BAD_SIGNATURE", "驳回签名验证失败"},
	} {
		_, err := v.as.RejectBallot(v.ctx(tc.tok), tc.req)
		if server.ReasonOf(err) != tc.reason || (tc.zh != "" && server.ZhOf(err) != tc.zh) {
			t.Errorf("reject %s: %v (%s), want %s %s", tc.name, err, server.ZhOf(err), tc.reason, tc.zh)
		}
	}

	// The sale waits for the check, and nothing of it is written.
	if _, err := sale(60); server.ReasonOf(err) != "BALLOT_WAITING" || status.Code(err) != codes.FailedPrecondition ||
		!strings.Contains(server.ZhOf(err), fmt.Sprintf("第%d号", r.GetSeq())) {
		t.Fatalf("sale of a unit whose voter's ballot waits: %v (%s), want BALLOT_WAITING naming ballot %d", err, server.ZhOf(err), r.GetSeq())
	}
	units, err := v.rs.ListUnits(v.ctx(v.e.admin), &ov.ListUnitsRequest{CommunityId: v.community, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units.GetUnits() {
		if u.GetUnitId() == v.units[60] && len(u.GetOwners()) > 0 && strings.HasPrefix(u.GetOwners()[0].GetName(), "买受人") {
			t.Errorf("the refused sale changed the community's roll: unit %s is %v", v.units[60], u.GetOwners())
		}
	}

	rj, err := v.as.RejectBallot(v.ctx(v.staff2Tok), v.rejection(id, why, v.staff2))
	if err != nil || rj.GetStatus() != ov.BallotStatus_BALLOT_STATUS_REFUSED || !strings.Contains(rj.GetReason(), why) ||
		len(rj.GetInclusionProof()) == 0 || !bytes.Contains(rj.GetLogEntry(), []byte(`"kind":"REJECTION"`)) || len(rj.GetReceipt()) != 0 {
		t.Fatalf("rejection by a second staff member = %v, %v; want REFUSED with the reason and the proof of its log entry, no receipt", rj, err)
	}
	// The same rejection sent again (its answer lost): the same answer.
	if again, err := v.as.RejectBallot(v.ctx(v.staff2Tok), v.rejection(id, why, v.staff2)); err != nil || again.GetStatus() != ov.BallotStatus_BALLOT_STATUS_REFUSED ||
		!again.GetReplayed() || again.GetLogIndex() != rj.GetLogIndex() {
		t.Errorf("the same rejection again = %v, %v; want the first answer, replayed", again, err)
	}
	if _, err := v.as.RejectBallot(v.ctx(v.staff2Tok), v.rejection(id, "业主要求撤回", v.staff2)); server.ReasonOf(err) != "NOT_PENDING" {
		t.Errorf("reject again, for another reason: %v, want NOT_PENDING", err)
	}
	unsigned := v.rejection(id, why, v.staff2)
	unsigned.KeyId = ""
	if _, err := v.as.RejectBallot(v.ctx(v.staff2Tok), unsigned); server.ZhOf(err) != "请用您本人的工作人员签名密钥对驳回签名" {
		t.Errorf("an unsigned rejection: %v (%s)", err, server.ZhOf(err))
	}
	if _, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(id, v.staff2)); server.ReasonOf(err) != "NOT_PENDING" {
		t.Errorf("confirm a rejected ballot: %v, want NOT_PENDING", err)
	}
	if am, err := sale(60); err != nil || am.GetEffect() != "VOTER_CHANGED" {
		t.Fatalf("sale after the rejection = %v, %v; want VOTER_CHANGED", am.GetEffect(), err)
	}

	// Confirmed first, then sold: the unit keeps the ballot.
	c := v.pendingPhone(t, 62)
	if _, err := sale(62); server.ReasonOf(err) != "BALLOT_WAITING" {
		t.Fatalf("sale while ballot waits: %v, want BALLOT_WAITING", err)
	}
	if got, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(c.GetBallotId(), v.staff2)); err != nil || got.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("confirm: %v %v", got.GetStatus(), err)
	}
	if got, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(c.GetBallotId(), v.staff2)); err != nil || got.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED ||
		!got.GetReplayed() || len(got.GetReceipt()) == 0 {
		t.Errorf("the same confirmation again: %v %v; want the counted ballot's receipt, replayed", got, err)
	}
	if _, err := v.as.ConfirmBallot(v.ctx(v.staffTok), v.confirmation(c.GetBallotId(), v.staff2)); server.ReasonOf(err) != "NOT_PENDING" || server.ZhOf(err) != "该选票已复核计入" {
		t.Errorf("the same confirmation through another sign-in: %v (%s), want NOT_PENDING, counted already", err, server.ZhOf(err))
	}
	if am, err := sale(62); err != nil || am.GetEffect() != "BALLOT_KEPT" {
		t.Fatalf("sale after the confirmation = %v, %v; want BALLOT_KEPT", am.GetEffect(), err)
	}

	// Rejected, the owner votes again and counts.
	again := v.pendingPhone(t, 64)
	if _, err := v.as.RejectBallot(v.ctx(v.staff2Tok), v.rejection(again.GetBallotId(), "录入时选择有误", v.staff2)); err != nil {
		t.Fatal(err)
	}
	if got := v.cast(t, 64, ballot.Platform, "OPPOSE"); got.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("the owner's ballot after the rejection: %v, want it counted", got.GetStatus())
	}
	p, err := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil || p.GetPending() != 0 || p.GetRefused() != 2 || p.GetCounted() != 2 {
		t.Errorf("progress = pending %d refused %d counted %d (%v); want 0, 2, 2", p.GetPending(), p.GetRefused(), p.GetCounted(), err)
	}
	// Voter 66's ballot is left waiting to the close.
	left := v.pendingPhone(t, 66)

	// JSON: the route and its body.
	viaJSON := v.pendingPhone(t, 68)
	q := v.rejection(viaJSON.GetBallotId(), why, v.staff2)
	var out map[string]any
	if code := v.e.do("POST", fmt.Sprintf("/v1/communities/%s/assemblies/%s/ballots/%s:reject", v.community, v.assembly, q.GetBallotId()), v.staff2Tok,
		map[string]any{"reason": q.GetReason(), "key_id": q.GetKeyId(), "signature": q.GetSignature()}, &out); code != http.StatusOK || out["status"] != "BALLOT_STATUS_REFUSED" {
		t.Errorf("POST …:reject = %d %v, want 200 REFUSED", code, out)
	}

	// The check's list: only what waits, page by page.
	list := func(st ov.BallotStatus, after uint64) (seqs []uint64, next uint64) {
		t.Helper()
		resp, err := v.as.ListBallots(v.ctx(v.staff2Tok), &ov.ListBallotsRequest{CommunityId: v.community, AssemblyId: v.assembly, Status: st, AfterSeq: after, PageSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range resp.GetBallots() {
			if b.GetStatus() != st || len(b.GetBallot()) == 0 {
				t.Errorf("ListBallots(status %v) lists %v, ballot of %d bytes", st, b.GetStatus(), len(b.GetBallot()))
			}
			seqs = append(seqs, b.GetSeq())
		}
		return seqs, resp.GetNextAfterSeq()
	}
	if seqs, next := list(ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION, 0); !slices.Equal(seqs, []uint64{left.GetSeq()}) || next != 0 {
		t.Errorf("ballots waiting: %v (next %d), want only ballot %d", seqs, next, left.GetSeq())
	}
	if seqs, next := list(ov.BallotStatus_BALLOT_STATUS_REFUSED, 0); !slices.Equal(seqs, []uint64{r.GetSeq()}) || next != r.GetSeq() {
		t.Errorf("first page of the refused ballots: %v (next %d), want ballot %d and more", seqs, next, r.GetSeq())
	} else if seqs, _ := list(ov.BallotStatus_BALLOT_STATUS_REFUSED, next); !slices.Equal(seqs, []uint64{again.GetSeq()}) {
		t.Errorf("second page of the refused ballots: %v, want ballot %d", seqs, again.GetSeq())
	}
	if _, err := v.as.ListBallots(v.ctx(v.staff2Tok), &ov.ListBallotsRequest{CommunityId: v.community, AssemblyId: v.assembly, Status: 9}); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("ListBallots(status 9): %v, want INVALID_ARGUMENT", err)
	}

	v.closeAndResult(t)
	files := v.export(t)
	rep, err := verifyFiles(files)
	if err != nil || rep.Counted != 2 {
		t.Fatalf("verify = %+v, %v; want 2 counted", rep, err)
	}
	reworded := cloneFiles(files)
	editEntries(reworded, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindRejection && e.Rejection.Seq == r.GetSeq() {
			e.Rejection.Reason = "业主要求撤回"
			return true
		}
		return false
	})
	wantDiscrepancy(t, reworded, "ballot-signature", "does not verify", "a rejection's reason changed")
	moved := cloneFiles(files)
	editEntries(moved, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindRejection && e.Rejection.Seq == viaJSON.GetSeq() {
			e.Rejection.Seq = left.GetSeq()
			return true
		}
		return false
	})
	wantDiscrepancy(t, moved, "status", "names ballot", "a rejection moved onto another pending ballot")
	onCounted := cloneFiles(files)
	var counted uint64
	editEntries(onCounted, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindBallot && e.Ballot.Status == "ACCEPTED" && counted == 0 {
			counted = e.Ballot.Seq
		}
		if e.Kind == audit.KindRejection && e.Rejection.Seq == viaJSON.GetSeq() && counted != 0 {
			e.Rejection.Seq = counted
			return true
		}
		return false
	})
	wantDiscrepancy(t, onCounted, "status", "not waiting for confirmation", "a rejection of a counted ballot")
	late := cloneFiles(files)
	editEntries(late, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindRejection && e.Rejection.Seq == viaJSON.GetSeq() {
			e.Time = closesAt.Add(time.Hour)
			return true
		}
		return false
	})
	wantDiscrepancy(t, late, "status", "outside the voting window", "a rejection dated after the closing time")
	// A sale logged while voter 66's ballot waited.
	sold := cloneFiles(files)
	at := -1
	var prev string
	var when time.Time
	for n, l := range logLines(sold) {
		var e audit.Entry
		if json.Unmarshal(l, &e) == nil && e.Kind == audit.KindBallot && e.Ballot.Seq == left.GetSeq() {
			b, _ := ballot.Parse(e.Ballot.Ballot)
			at, prev, when = n+1, b.Voter, e.Time
		}
	}
	insertEntry(sold, at, audit.Entry{Kind: audit.KindAmendment, Assembly: v.assembly, Time: when, Amendment: &audit.AmendmentEntry{
		UnitID: v.units[66], PreviousVoter: prev, NewVoter: "buyer-66", Effect: "VOTER_CHANGED", DocumentSHA256: doc, By: "t"}})
	wantDiscrepancy(t, sold, "amendment", "waiting for confirmation", "a sale logged while the voter's ballot waited")
	// Procedure rules 2 did not have the rule: the replay takes the sale
	// (the inserted entry is then found by the signed checkpoint alone).
	underRules(sold, 2)
	wantDiscrepancy(t, sold, "log-size", "entries were added", "the same sale under procedure rules 2")
	byRecorder := cloneFiles(files)
	editEntries(byRecorder, func(_ int, e *audit.Entry) bool {
		if e.Kind == audit.KindRejection {
			e.Rejection.KeyID = v.staff.keyID()
			return true
		}
		return false
	})
	wantDiscrepancy(t, byRecorder, "right-to-sign", "who took it", "a rejection by the staff member who took the ballot")
	// A rejection by a key the log holds that is no staff key (an owner's,
	// the platform's), without a reason, or by a key revoked before it.
	// (The other key is logged before a later rejection, which is edited.)
	var otherKey string
	var lateSeq uint64
	for _, l := range logLines(files) {
		var e audit.Entry
		switch {
		case json.Unmarshal(l, &e) != nil:
		case e.Kind == audit.KindKey && e.Key.Role != "STAFF" && otherKey == "":
			otherKey = e.Key.KeyID
		case e.Kind == audit.KindRejection && otherKey != "" && lateSeq == 0:
			lateSeq = e.Rejection.Seq
		}
	}
	if lateSeq == 0 {
		t.Fatal("the log holds no rejection after a key that is no staff key")
	}
	rejectionEdit := func(name, check, detail string, edit func(r *audit.RejectionEntry)) {
		t.Helper()
		f := cloneFiles(files)
		editEntries(f, func(_ int, e *audit.Entry) bool {
			if e.Kind == audit.KindRejection && e.Rejection.Seq == lateSeq {
				edit(e.Rejection)
				return true
			}
			return false
		})
		wantDiscrepancy(t, f, check, detail, name)
	}
	rejectionEdit("a rejection by a logged key that is no staff key", "right-to-sign", "not a staff key", func(r *audit.RejectionEntry) { r.KeyID = otherKey })
	rejectionEdit("a rejection without a reason", "status", "no reason of one line", func(r *audit.RejectionEntry) { r.Reason = "" })
	// Revoked just before the key's last use, so that nothing after it
	// trips on the revocation first.
	revoked := cloneFiles(files)
	lastUse := map[string]int{}
	type use struct {
		at  int
		key string
		t   time.Time
	}
	var rejections []use
	for n, l := range logLines(revoked) {
		var e audit.Entry
		if json.Unmarshal(l, &e) != nil {
			continue
		}
		switch {
		case e.Kind == audit.KindRejection:
			lastUse[e.Rejection.KeyID] = n
			rejections = append(rejections, use{n, e.Rejection.KeyID, e.Time})
		case e.Kind == audit.KindStatus && e.Status.KeyID != "":
			lastUse[e.Status.KeyID] = n
		}
	}
	i := slices.IndexFunc(rejections, func(u use) bool { return lastUse[u.key] == u.at })
	if i < 0 {
		t.Fatal("no rejection is its key's last use")
	}
	insertEntry(revoked, rejections[i].at, audit.Entry{Kind: audit.KindKeyRevoked, Assembly: v.assembly, Time: rejections[i].t,
		KeyRevoked: &audit.KeyRevokedEntry{KeyID: rejections[i].key}})
	wantDiscrepancy(t, revoked, "right-to-sign", "revoked", "a rejection by a key revoked before it")
	// A confirmation checked the same ways: by a staff key logged before,
	// not the recorder's, signed.
	confirmation := func(name, check, detail string, edit func(st *audit.StatusEntry)) {
		t.Helper()
		f := cloneFiles(files)
		found := false
		editEntries(f, func(_ int, e *audit.Entry) bool {
			if !found && e.Kind == audit.KindStatus && e.Status.KeyID != "" {
				found = true
				edit(e.Status)
				return true
			}
			return false
		})
		if !found {
			t.Fatal("no confirmation in the log")
		}
		wantDiscrepancy(t, f, check, detail, name)
	}
	confirmation("a confirmation by a key never logged", "right-to-sign", "not a staff key", func(st *audit.StatusEntry) { st.KeyID = newSigner("nobody", 243).keyID() })
	confirmation("a confirmation by the recorder", "right-to-sign", "who took it", func(st *audit.StatusEntry) { st.KeyID = v.staff.keyID() })
	confirmation("a confirmation's signature changed", "ballot-signature", "does not verify", func(st *audit.StatusEntry) { st.Signature = bytes.Repeat([]byte{1}, 64) })
}

// TestRollAmendmentDuringVote: a unit sold during the vote keeps its
// earlier ballot; if none was cast, the new owner may vote once the
// amendment is recorded.
func TestRollAmendmentDuringVote(t *testing.T) {
	v := newVote(t, nil)
	doc := strings.Repeat("ef", 32)
	buyer := func(n int) []*ov.OwnerInput {
		return []*ov.OwnerInput{{Name: fmt.Sprintf("买受人%d", n), IdNumber: idNumberN(500 + n), Phone: fmt.Sprintf("139%08d", n)}}
	}

	// A buyer given an owner's identity number under another name: the
	// refusal names the request's field and not whose number it is.
	_, err := v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[52], DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: "赵六", IdNumber: idNumberN(52)}}})
	var violations []*errdetails.BadRequest_FieldViolation
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			violations = br.GetFieldViolations()
		}
	}
	if len(violations) != 1 || violations[0].GetField() != "new_owners[0].name" || violations[0].GetReason() != "CONFLICTING_OWNER" ||
		strings.Contains(violations[0].GetDescription(), "业主052") || strings.Contains(violations[0].GetDescription(), v.units[52]) {
		t.Errorf("AmendRoll with another owner's identity number: %v, violations %v; want one CONFLICTING_OWNER on new_owners[0].name naming no one", err, violations)
	}
	// Said in Chinese too, for the staff who fix it.
	if lm := violations[0].GetLocalizedMessage(); lm.GetLocale() != "zh-CN" || !strings.Contains(lm.GetMessage(), "核对姓名和号码") || strings.Contains(lm.GetMessage(), "业主052") {
		t.Errorf("the violation's localized message: %v, want zh-CN, what to check, naming no one", lm)
	}

	// Voter 50 voted, then sold: the ballot stays, the buyer cannot vote.
	v.cast(t, 50, ballot.Platform, "AGREE")
	am, err := v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[50], NewOwners: buyer(1), DocumentSha256: doc})
	if err != nil || am.GetEffect() != "BALLOT_KEPT" {
		t.Fatalf("AmendRoll after a ballot = %v, %v; want BALLOT_KEPT", am.GetEffect(), err)
	}
	b, s := v.ballotFor(50, ballot.Platform, "OPPOSE")
	b.Voter = am.GetNewVoter()
	canonical, sig := v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); server.ReasonOf(err) != "NOT_ON_ROLL" || !strings.Contains(err.Error(), "is an owner of record but votes for no unit") {
		t.Errorf("buyer of a unit that had voted: %v, want NOT_ON_ROLL saying the buyer is an owner who does not vote", err)
	}
	b.Voter, b.Nonce = "o-nobody", nonce()
	canonical, sig = v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); server.ReasonOf(err) != "NOT_ON_ROLL" || strings.Contains(err.Error(), "owner of record") {
		t.Errorf("a voter id nobody has: %v, want NOT_ON_ROLL, not called an owner", err)
	}

	// Voter 51 had not voted: the buyer votes for the unit.
	am, err = v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[51], NewOwners: buyer(2), DocumentSha256: doc})
	if err != nil || am.GetEffect() != "VOTER_CHANGED" {
		t.Fatalf("AmendRoll before a ballot = %v, %v; want VOTER_CHANGED", am.GetEffect(), err)
	}
	b, s = v.ballotFor(51, ballot.Platform, "AGREE")
	canonical, sig = v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); server.ReasonOf(err) != "NOT_ON_ROLL" {
		t.Errorf("seller of an amended unit: %v, want NOT_ON_ROLL", err)
	}
	b.Voter, b.Nonce = am.GetNewVoter(), nonce()
	canonical, sig = v.sign(t, b, s)
	if r, err := v.submit(t, canonical, sig, ballot.Platform); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("buyer's ballot: %v %v", r.GetStatus(), err)
	}
	// Headcount unchanged (one seller out, one buyer in); the tally agrees
	// with the progress and with the amended roll.
	a, _ := v.as.GetAssembly(v.ctx(v.e.admin), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if len(a.GetAmendments()) != 2 {
		t.Errorf("assembly lists %d amendments, want 2", len(a.GetAmendments()))
	}
	res := v.closeAndResult(t)
	m := res.GetMotions()[0]
	if m.GetTotal().GetHead() != households || m.GetParticipating().GetHead() != 2 {
		t.Errorf("total %v participating %v; want 166 heads total, 2 participating", m.GetTotal(), m.GetParticipating())
	}
	v.checkRecount(t, res)
	// The community's roll follows the sale.
	owners, _ := v.rs.ListOwnerKeys(v.ctx(v.e.admin), &ov.ListOwnerKeysRequest{CommunityId: v.community, OwnerId: am.GetNewVoter()})
	if owners == nil {
		t.Error("the buyer is not an owner of the community roll")
	}
	// The export of a vote with roll amendments verifies offline.
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify(export with amendments) = %v", err)
	}
}

// TestSoldUnitKeepsBallotAsCast: where votes may be changed, an owner who
// voted and then sold a unit may not change the ballot the unit keeps, and
// an export in which they did fails offline verification.
func TestSoldUnitKeepsBallotAsCast(t *testing.T) {
	v := newVote(t, &ov.Settings{AllowRevote: true})
	doc := strings.Repeat("ef", 32)
	first := v.cast(t, 50, ballot.Platform, "AGREE")
	if _, err := v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[50], DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(600), Phone: "13900000001"}}}); err != nil {
		t.Fatal(err)
	}
	b, s := v.ballotFor(50, ballot.Platform, "OPPOSE")
	canonical, sig := v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); server.ReasonOf(err) != "ALREADY_VOTED" || !strings.Contains(err.Error(), "sold") {
		t.Errorf("the seller changes the kept ballot: %v, want ALREADY_VOTED saying the unit was sold", err)
	}
	// Others still change their vote.
	v.cast(t, 60, ballot.Platform, "AGREE")
	v.cast(t, 60, ballot.Platform, "OPPOSE")
	p, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if agree, oppose := p.GetMotions()[0].GetChoices()[0], p.GetMotions()[0].GetChoices()[1]; agree.GetFigures().GetHead() != 1 || oppose.GetFigures().GetHead() != 1 {
		t.Errorf("agree %v, oppose %v; want the seller's kept AGREE and the other owner's changed vote", agree.GetFigures(), oppose.GetFigures())
	}
	v.closeAndResult(t)
	files := v.export(t)
	if _, err := verifyFiles(files); err != nil {
		t.Fatalf("verify(export) = %v", err)
	}

	// The same log, had the server counted the seller's second ballot:
	// the refused ballot counted, the kept one superseded after it.
	ls := logLines(files)
	at := -1
	for n, l := range ls {
		var e audit.Entry
		if json.Unmarshal(l, &e) == nil && e.Kind == audit.KindBallot && e.Ballot.Status == "REFUSED" {
			at = n
			e.Ballot.Status, e.Ballot.Reason = "ACCEPTED", ""
			ls[n], _ = e.Marshal()
			ss := audit.Entry{Index: e.Index + 1, Kind: audit.KindStatus, Assembly: v.assembly, Time: e.Time,
				Status: &audit.StatusEntry{Seq: first.GetSeq(), ID: first.GetBallotId(), Status: "SUPERSEDED", Reason: fmt.Sprintf("superseded by ballot %d", e.Ballot.Seq)}}
			line, _ := ss.Marshal()
			ls = slices.Insert(ls, n+1, line)
			break
		}
	}
	if at < 0 {
		t.Fatal("no refused ballot in the log")
	}
	for n := at + 2; n < len(ls); n++ {
		var e audit.Entry
		json.Unmarshal(ls[n], &e)
		e.Index++
		ls[n], _ = e.Marshal()
	}
	setLogLines(files, ls)
	var d *audit.Discrepancy
	if _, err := verifyFiles(files); !errors.As(err, &d) || d.Check != "one-ballot" {
		t.Errorf("verify(the seller's changed vote counted) = %v, want a one-ballot discrepancy", err)
	}
}

// TestReviewFixes covers rules found in review: a proxy holder's key may
// not be an owner's key, a superseded ballot gets no receipt, a late
// confirmation does not override a later ballot, and a ballot covers every
// motion.
func TestReviewFixes(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true, AllowRevote: true})
	// An owner's own key cannot also act as a proxy holder's key.
	ownerKey := v.ownerKeys[v.owners[3]]
	_, err := v.as.RecordProxy(v.ctx(v.staffTok), &ov.RecordProxyRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[80],
		HolderName: "邻居", HolderPublicKey: ownerKey.pub(), DocumentSha256: proxyDoc(80), HolderIdNumber: idNumberN(3)})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "another role") {
		t.Errorf("proxy with an owner's key: %v, want InvalidArgument", err)
	}

	// A pending phone ballot, then a later platform ballot, then the
	// confirmation: the later ballot keeps counting.
	b, s := v.ballotFor(90, ballot.Phone, "AGREE")
	canonical, sig := v.sign(t, b, s)
	pending, err := v.submit(t, canonical, sig, ballot.Phone)
	if err != nil {
		t.Fatal(err)
	}
	later := v.cast(t, 90, ballot.Platform, "OPPOSE")
	before, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	c, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(pending.GetBallotId(), v.staff2))
	if err != nil || c.GetStatus() != ov.BallotStatus_BALLOT_STATUS_SUPERSEDED || len(c.GetReceipt()) != 0 {
		t.Errorf("late confirmation = %v (receipt %d bytes), %v; want SUPERSEDED without a receipt", c.GetStatus(), len(c.GetReceipt()), err)
	}
	p, _ := v.as.GetProgress(v.ctx(v.e.admin), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if p.GetVersion() <= before.GetVersion() {
		t.Errorf("progress version %d after a confirmation, %d before: watchers would miss it", p.GetVersion(), before.GetVersion())
	}
	if agree, oppose := p.GetMotions()[0].GetChoices()[0], p.GetMotions()[0].GetChoices()[1]; agree.GetFigures().GetHead() != 0 || oppose.GetFigures().GetHead() != 1 {
		t.Errorf("after a late confirmation: agree %v, oppose %v; want the later OPPOSE to count", agree.GetFigures(), oppose.GetFigures())
	}
	// A superseded ballot's receipt: its status, no signed receipt.
	v.cast(t, 90, ballot.Platform, "AGREE")
	r, err := v.as.GetBallotReceipt(v.ctx(v.e.admin), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: later.GetBallotId()})
	if err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_SUPERSEDED || len(r.GetReceipt()) != 0 {
		t.Errorf("receipt of a superseded ballot = %v (%d bytes), %v; want SUPERSEDED and no receipt", r.GetStatus(), len(r.GetReceipt()), err)
	}
	// The export of all this verifies.
	if _, err := verifyFiles(v.export(t)); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func TestCommitteeCountsPeopleAndBallotsCoverEveryMotion(t *testing.T) {
	v := newVote(t, nil)
	ss := ov.NewSignerServiceClient(v.e.conn)
	second := newSigner(v.committee.id, 230) // the same member's second key
	if _, err := ss.RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: v.committee.id, Name: "同一委员", CommunityId: v.community, PublicKey: second.pub()}}); err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(publishAt)
	two := &ov.Assembly{AssemblyId: "two", Title: "两项议题",
		Motions: []*ov.Motion{{MotionId: "m1", Title: "选聘物业", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}, {MotionId: "m2", Title: "使用维修资金", Matter: ov.Matter_MATTER_USE_MAINTENANCE_FUND}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM},
		Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID(), second.keyID()}, K: 2}}
	if _, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: two}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a committee listing one member twice: %v, want InvalidArgument", err)
	}
	two.Committee = &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1}
	if _, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: two}); err != nil {
		t.Fatal(err)
	}
	pa, err := v.as.PublishAssembly(v.ctx(v.staffTok), &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: "two"})
	if err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(duringVote)
	v.assembly, v.rollDigest = "two", pa.GetRollDigest()
	b, s := v.ballotFor(10, ballot.Platform, "AGREE") // m1 only
	canonical, sig := v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); server.ReasonOf(err) != "BAD_CHOICE" {
		t.Errorf("a ballot without motion m2: %v, want BAD_CHOICE", err)
	}
	b.Choices = append(b.Choices, ballot.Choice{Motion: "m2", Values: []string{"ABSTAIN"}})
	b.Nonce = nonce()
	canonical, sig = v.sign(t, b, s)
	if _, err := v.submit(t, canonical, sig, ballot.Platform); err != nil {
		t.Errorf("a ballot on both motions: %v", err)
	}
}

// TestPublishedTextsHoldNoNumbers: what other roles or the public read —
// an assembly's title, motions, candidates and convener, a cancellation's
// or early close's reason, a key revocation's reason, a token's label, a
// unit's number — holds no phone or identity number; and the city platform
// proves log entries it holds without reading the others.
func TestPublishedTextsHoldNoNumbers(t *testing.T) {
	v := newVote(t, nil)
	v.e.clock.Set(publishAt)
	asm := func(edit func(a *ov.Assembly)) *ov.Assembly {
		a := &ov.Assembly{AssemblyId: "texts", Title: "选聘物业", Convener: &ov.Convener{Kind: "RESIDENTS_COMMITTEE", Name: "惠都社区居委会"},
			Motions: []*ov.Motion{{MotionId: "m1", Title: "选聘物业服务企业", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM,
				Options: []*ov.Option{{OptionId: "a", Name: "甲公司"}, {OptionId: "b", Name: "乙公司"}}}},
			OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE},
			Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1}}
		edit(a)
		return a
	}
	for _, tc := range []struct {
		name string
		edit func(a *ov.Assembly)
		zh   string
	}{
		{"a title with a landline", func(a *ov.Assembly) { a.Title = "选聘物业（咨询 0532-88886666）" }, "会议名称将公开"},
		{"a convener with a mobile", func(a *ov.Assembly) { a.Convener.Name = "联系人 139 5234 0019" }, "召集人名称将公开"},
		{"a motion with an identity number", func(a *ov.Assembly) { a.Motions[0].Title = "业主 370212 1965 0226 125X 提议" }, "第1项议题将公开"},
		{"a candidate with a phone", func(a *ov.Assembly) { a.Motions[0].Options[1].Name = "乙公司 13800138000" }, "第1项议题的第2个候选将公开"},
	} {
		_, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: asm(tc.edit)})
		if server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(server.ZhOf(err), tc.zh) {
			t.Errorf("an assembly with %s: %v (%s), want INVALID_ARGUMENT saying %q", tc.name, err, server.ZhOf(err), tc.zh)
		}
	}
	// A tender's number is no person's.
	if _, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: asm(func(a *ov.Assembly) {
		a.Title = "选聘物业（招标编号QDZB2026051200012）"
	})}); err != nil {
		t.Fatalf("the same assembly naming a tender's number: %v", err)
	}
	if _, err := v.as.CancelAssembly(v.ctx(v.staffTok), &ov.CancelAssemblyRequest{CommunityId: v.community, AssemblyId: "texts", Reason: "业主 13800138000 反对"}); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("a cancellation's reason with a phone: %v", err)
	}
	// Before voting opens, staff may cancel (TestCancelledExport: after,
	// only an admin).
	if a, err := v.as.CancelAssembly(v.ctx(v.staffTok), &ov.CancelAssemblyRequest{CommunityId: v.community, AssemblyId: "texts", Reason: "议题有误，重新起草"}); err != nil || a.GetState() != ov.AssemblyState_ASSEMBLY_STATE_CANCELLED {
		t.Errorf("staff cancelling a draft: %v %v", a.GetState(), err)
	}
	v.e.clock.Set(duringVote)
	if _, err := v.as.CloseAssembly(v.ctx(v.e.admin), &ov.CloseAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly, Reason: "街道通知 0532 8888 6666"}); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("an early close's reason with a landline: %v", err)
	}
	if _, err := ov.NewSignerServiceClient(v.e.conn).RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: v.staff.keyID(), Reason: "手机遗失，新号13952340006"}); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("a signer's revocation reason with a phone: %v", err)
	}
	owner := v.owners[1]
	if _, err := v.rs.RevokeOwnerKey(v.ctx(v.e.admin), &ov.RevokeOwnerKeyRequest{CommunityId: v.community, OwnerId: owner, KeyId: v.ownerKeys[owner].keyID(),
		Reason: "身份证370212196607071065本人申请"}); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("an owner key's revocation reason with an identity number: %v", err)
	}
	if _, err := ov.NewTokenServiceClient(v.e.conn).CreateToken(v.ctx(v.e.admin), &ov.CreateTokenRequest{Role: ov.Role_ROLE_AUDITOR, Label: "审计 13912345678"}); server.ReasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("a token label with a phone: %v", err)
	}
	_, err := v.rs.ImportUnits(v.ctx(v.staffTok), &ov.ImportUnitsRequest{CommunityId: v.community, Units: []*ov.UnitInput{{UnitId: "13952340099", RegisteredAreaM2: "80.00",
		Owners: []*ov.OwnerInput{{Name: "新业主", IdNumber: idNumberN(777)}}}}})
	var said []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				said = append(said, fv.GetField()+": "+fv.GetDescription())
			}
		}
	}
	if server.ReasonOf(err) != "INVALID_IMPORT" || len(said) != 1 || !strings.HasPrefix(said[0], "units[0].unit_id: ") ||
		!strings.Contains(said[0], "reads as a phone or identity number") || strings.Contains(said[0], "13952340099") {
		t.Errorf("a unit numbered like a phone: %v %q, want INVALID_IMPORT at units[0].unit_id, not echoing it", err, said)
	}

	// The platform proves the entry of its receipt; the auditor reads it.
	r := v.cast(t, 5, ballot.Platform, "AGREE")
	req := &ov.GetInclusionProofRequest{CommunityId: v.community, AssemblyId: v.assembly, Index: r.GetLogIndex(), Size: r.GetLogSize()}
	if p, err := v.as.GetInclusionProof(v.ctx(v.platTok), req); err != nil || len(p.GetEntry()) != 0 || len(p.GetHashes()) == 0 {
		t.Errorf("the platform's inclusion proof: %v, %v; want the proof without the entry", p, err)
	}
	if p, err := v.as.GetInclusionProof(v.ctx(v.e.token(auth.Auditor, "")), req); err != nil || !bytes.Equal(p.GetEntry(), r.GetLogEntry()) {
		t.Errorf("the auditor's inclusion proof: %v, %v; want the entry", p, err)
	}
	// Told a phone ballot's id by ALREADY_VOTED, the platform gets its
	// receipt without the ballot's log entry; its own ballot's with it.
	phone := v.cast(t, 6, ballot.Phone, "OPPOSE")
	b, sgn := v.ballotFor(6, ballot.Platform, "AGREE")
	c, sig := v.sign(t, b, sgn)
	if _, err := v.submit(t, c, sig, ballot.Platform); server.ReasonOf(err) != "ALREADY_VOTED" || !strings.Contains(err.Error(), phone.GetBallotId()) {
		t.Fatalf("the platform's second ballot for voter 6: %v", err)
	}
	receipt := func(tok, id string) *ov.BallotReceipt {
		rc, err := v.as.GetBallotReceipt(v.ctx(tok), &ov.GetBallotReceiptRequest{CommunityId: v.community, AssemblyId: v.assembly, BallotId: id})
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	if rc := receipt(v.platTok, phone.GetBallotId()); len(rc.GetLogEntry()) != 0 || rc.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Errorf("the platform reads the phone ballot's receipt with its log entry (%d bytes)", len(rc.GetLogEntry()))
	}
	if rc := receipt(v.e.token(auth.Auditor, ""), phone.GetBallotId()); len(rc.GetLogEntry()) == 0 {
		t.Error("the auditor gets the phone ballot's receipt without its log entry")
	}
	if rc := receipt(v.platTok, r.GetBallotId()); !bytes.Equal(rc.GetLogEntry(), r.GetLogEntry()) {
		t.Error("the platform gets its own ballot's receipt without its log entry")
	}
	// Through a new token (the old one replaced), the platform still gets
	// the entries of the channels it relays, and still not the others.
	newTok := v.e.token(auth.Platform, "")
	if rc := receipt(newTok, r.GetBallotId()); !bytes.Equal(rc.GetLogEntry(), r.GetLogEntry()) {
		t.Error("the platform's new token gets a PLATFORM ballot's receipt without its log entry")
	}
	if rc := receipt(newTok, phone.GetBallotId()); len(rc.GetLogEntry()) != 0 {
		t.Error("the platform's new token reads the phone ballot's log entry")
	}
}

// TestIdentityMatchesRecorded: a refused import or sale whose answer tells
// that an identity number given is an owner's on the roll is recorded,
// with the token that got it, before the answer goes out; street admins
// and auditors read the records, staff do not.
func TestIdentityMatchesRecorded(t *testing.T) {
	v := newVote(t, nil)
	list := func(tok string) ([]*ov.IdentityMatch, error) {
		r, err := v.rs.ListIdentityMatches(v.ctx(tok), &ov.ListIdentityMatchesRequest{CommunityId: v.community})
		return r.GetMatches(), err
	}
	// A refusal that tells nothing of the roll is not recorded.
	_, err := v.rs.ImportUnits(v.ctx(v.staffTok), &ov.ImportUnitsRequest{CommunityId: v.community, Units: []*ov.UnitInput{{UnitId: "9-9-901", RegisteredAreaM2: "0",
		Owners: []*ov.OwnerInput{{Name: "新业主", IdNumber: idNumberN(901)}}}}})
	if server.ReasonOf(err) != "INVALID_IMPORT" {
		t.Fatalf("an import with a zero area: %v", err)
	}
	// Nor one that compared with the roll and found only a unit on it.
	_, err = v.rs.ImportUnits(v.ctx(v.staffTok), &ov.ImportUnitsRequest{CommunityId: v.community, Units: []*ov.UnitInput{{UnitId: v.units[3], RegisteredAreaM2: "80.00",
		Owners: []*ov.OwnerInput{{Name: "新业主", IdNumber: idNumberN(903)}}}}})
	if server.ReasonOf(err) != "INVALID_IMPORT" {
		t.Fatalf("an import of a unit on the roll: %v", err)
	}
	if got, err := list(v.e.admin); err != nil || len(got) != 0 {
		t.Fatalf("identity matches after refusals about an area and a unit = %v, %v; want none", got, err)
	}
	// Owner 52's number under another name: refused, and recorded.
	_, err = v.rs.ImportUnits(v.ctx(v.staffTok), &ov.ImportUnitsRequest{CommunityId: v.community, Units: []*ov.UnitInput{{UnitId: "9-9-902", RegisteredAreaM2: "80.00",
		Owners: []*ov.OwnerInput{{Name: "赵六", IdNumber: idNumberN(52)}}}}})
	if server.ReasonOf(err) != "INVALID_IMPORT" {
		t.Fatalf("an import with another owner's number: %v", err)
	}
	_, err = v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: v.assembly, UnitId: v.units[53],
		NewOwners: []*ov.OwnerInput{{Name: "钱七", IdNumber: idNumberN(54)}}, DocumentSha256: strings.Repeat("ef", 32)})
	if server.ReasonOf(err) != "INVALID_IMPORT" {
		t.Fatalf("a sale to another owner's number under another name: %v", err)
	}
	named := map[string]string{} // name -> owner id
	for tok := ""; ; {
		page, err := v.rs.ListOwners(v.ctx(v.e.admin), &ov.ListOwnersRequest{CommunityId: v.community, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.GetOwners() {
			named[o.GetName()] = o.GetOwnerId()
		}
		if tok = page.GetNextPageToken(); tok == "" {
			break
		}
	}
	got, err := list(v.ctx2auditor(t))
	if err != nil || len(got) != 2 || got[0].GetOwnerId() != named["业主052"] || got[0].GetMethod() != "ImportUnits" || got[1].GetOwnerId() != named["业主054"] ||
		got[1].GetMethod() != "AmendRoll" || !strings.HasPrefix(got[0].GetTokenId(), "tok-") || got[0].GetMatchTime() == nil {
		t.Errorf("identity matches read by an auditor = %v, %v; want owner 52's by ImportUnits, then owner 54's by AmendRoll, with the staff token", got, err)
	}
	if _, err := list(v.staffTok); status.Code(err) != codes.PermissionDenied {
		t.Errorf("staff list the identity matches: %v, want PermissionDenied", err)
	}
}

// ctx2auditor is an auditor's token.
func (v *vote) ctx2auditor(t *testing.T) string { t.Helper(); return v.e.token(auth.Auditor, "") }

// revokedStaff registers a staff key of the community and revokes it.
func (v *vote) revokedStaff(t *testing.T) signer {
	t.Helper()
	s := newSigner("staff-zhao", 233)
	ss := ov.NewSignerServiceClient(v.e.conn)
	if _, err := ss.RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "STAFF", SignerId: s.id, Name: "赵工作人员",
		CommunityId: v.community, PublicKey: s.pub()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: s.keyID(), Reason: "调离"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// ownerName is an owner's name on the community's roll.
func (v *vote) ownerName(t *testing.T, ownerID string) string {
	t.Helper()
	for tok := ""; ; {
		page, err := v.rs.ListOwners(v.ctx(v.e.admin), &ov.ListOwnersRequest{CommunityId: v.community, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.GetOwners() {
			if o.GetOwnerId() == ownerID {
				return o.GetName()
			}
		}
		if tok = page.GetNextPageToken(); tok == "" {
			t.Fatalf("no owner %s", ownerID)
		}
	}
}

// TestOtherCommunitiesAssembliesAreNotTold: an assembly of another
// community, named under one's own, is answered exactly as one that does
// not exist, so that a token learns nothing of other communities'
// assemblies.
func TestOtherCommunitiesAssembliesAreNotTold(t *testing.T) {
	v := newVote(t, nil)
	v.e.createCommunity("other")
	staff := v.e.token(auth.CommunityStaff, "other")
	answer := func(id string) (string, string) {
		b, s := v.ballotFor(60, ballot.Platform, "AGREE")
		b.Assembly = id
		canonical, sig := v.sign(t, b, s)
		_, gerr := v.as.GetAssembly(v.ctx(staff), &ov.GetAssemblyRequest{CommunityId: "other", AssemblyId: id})
		_, serr := v.as.SubmitBallot(v.ctx(v.e.token(auth.Platform, "")), &ov.SubmitBallotRequest{CommunityId: "other", AssemblyId: id, Ballot: canonical, Signature: sig})
		norm := func(err error) string {
			return fmt.Sprint(status.Code(err), server.ReasonOf(err), strings.ReplaceAll(status.Convert(err).Message(), id, "ID"))
		}
		return norm(gerr), norm(serr)
	}
	g1, s1 := answer(v.assembly)
	g2, s2 := answer("asm-nobody")
	if g1 != g2 || !strings.Contains(g1, "NotFound") {
		t.Errorf("GetAssembly of another community's assembly: %s; of none: %s; want the same NotFound", g1, g2)
	}
	if !strings.Contains(s1, "NotFound") || s1 != s2 {
		t.Errorf("SubmitBallot to another community's assembly: %s; to none: %s; want the same NotFound", s1, s2)
	}
}

// TestFindOwner: the city platform, having checked who a person is, learns
// the owner id its ballots name as voter by the person's name and identity
// number; both must match, and each answer that finds an owner is
// recorded as an identity match before it is given.
func TestFindOwner(t *testing.T) {
	v := newVote(t, nil)
	rs := v.rs
	// 业主NNN was imported as the owner of unit unitOf(NNN); v.owners is in
	// the roll's unit order.
	ownerOf := func(i int) (string, string) {
		unit := fmt.Sprintf("%d-1-%d%02d", 1+i/24, 1+i%24/2, 1+i%2)
		return v.owners[slices.Index(v.units, unit)], unit
	}
	owner12, unit12 := ownerOf(12)
	owner13, _ := ownerOf(13)
	got, err := rs.FindOwner(v.ctx(v.platTok), &ov.FindOwnerRequest{CommunityId: v.community, Name: " 业主012 ", IdNumber: idNumberN(12)})
	if err != nil || got.GetOwnerId() != owner12 || !slices.Equal(got.GetVotingUnitIds(), []string{unit12}) || !slices.Equal(got.GetUnitIds(), []string{unit12}) {
		t.Fatalf("FindOwner(业主012) = %v, %v; want owner %s voting for %s", got, err, owner12, unit12)
	}
	// The identity number of another owner, or a number nobody has: the
	// same answer, which tells nothing but a whole match.
	_, wrongName := rs.FindOwner(v.ctx(v.platTok), &ov.FindOwnerRequest{CommunityId: v.community, Name: "业主013", IdNumber: idNumberN(12)})
	_, nobody := rs.FindOwner(v.ctx(v.platTok), &ov.FindOwnerRequest{CommunityId: v.community, Name: "业主013", IdNumber: idNumberN(990)})
	if server.ReasonOf(wrongName) != "OWNER_NOT_FOUND" || status.Convert(wrongName).Message() != status.Convert(nobody).Message() || server.ZhOf(wrongName) != server.ZhOf(nobody) {
		t.Errorf("FindOwner with another's name: %v; with a number nobody has: %v; want the same OWNER_NOT_FOUND", wrongName, nobody)
	}
	if _, err := rs.FindOwner(v.ctx(v.platTok), &ov.FindOwnerRequest{CommunityId: v.community, Name: "业主012", IdNumber: idNumberN(12)[:17] + "0"}); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), "check digit") {
		t.Errorf("FindOwner with a mistyped number: %v, want INVALID_ARGUMENT naming the check digit", err)
	}
	// Over JSON too; an auditor may not ask.
	var found struct {
		OwnerID string `json:"owner_id"`
	}
	path := "/v1/communities/" + v.community + "/owners:find"
	if code := v.e.do("POST", path, v.staffTok, map[string]any{"name": "业主013", "id_number": idNumberN(13)}, &found); code != http.StatusOK || found.OwnerID != owner13 {
		t.Errorf("POST %s = %d %+v, want owner %s", path, code, found, owner13)
	}
	if _, err := rs.FindOwner(v.ctx(v.e.token(auth.Auditor, v.community)), &ov.FindOwnerRequest{CommunityId: v.community, Name: "业主012", IdNumber: idNumberN(12)}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("an auditor's FindOwner: %v, want PermissionDenied", err)
	}
	// Recorded: the two that found an owner, by whom; not the others.
	matches, err := rs.ListIdentityMatches(v.ctx(v.e.admin), &ov.ListIdentityMatchesRequest{CommunityId: v.community})
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, m := range matches.GetMatches() {
		if m.GetMethod() == "FindOwner" {
			recorded = append(recorded, m.GetOwnerId())
		}
	}
	if !slices.Equal(recorded, []string{owner12, owner13}) {
		t.Errorf("identity matches recorded by FindOwner: %v, want %s and %s", recorded, owner12, owner13)
	}
	if strings.Contains(v.e.logs.String(), idNumberN(12)) || strings.Contains(v.e.logs.String(), idNumberN(13)) {
		t.Error("the server's log holds an identity number")
	}
}

// TestAssemblyRefusalsInChinese: what staff get wrong in a new assembly,
// and why a draft cannot be published, is told in Chinese about that very
// case (the console shows it), with the English detail unchanged.
func TestAssemblyRefusalsInChinese(t *testing.T) {
	v := newVote(t, nil)
	ctx := v.ctx(v.staffTok)
	v.e.clock.Set(publishAt)
	good := func() *ov.Assembly {
		return &ov.Assembly{Title: "选聘物业", Motions: []*ov.Motion{{MotionId: "m1", Title: "选聘", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
			OpensAt: timestamppb.New(publishAt.Add(20 * 24 * time.Hour)), ClosesAt: timestamppb.New(publishAt.Add(25 * 24 * time.Hour)),
			Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM}, Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1}}
	}
	for _, tc := range []struct {
		name    string
		change  func(*ov.Assembly)
		english string
		zh      string
	}{
		{"no title", func(a *ov.Assembly) { a.Title = " " }, "title: the assembly needs a title", "请填写会议名称"},
		{"a phone number as the id", func(a *ov.Assembly) { a.AssemblyId = "13812345678" }, "assembly_id: a phone or identity number is no assembly id", "会议编号会公开，不能用电话或身份证号码"},
		{"closes first", func(a *ov.Assembly) { a.ClosesAt = timestamppb.New(publishAt.Add(19 * 24 * time.Hour)) }, "closes_at: closing", "须晚于开始时间"},
		{"no channel", func(a *ov.Assembly) { a.Channels = nil }, "channels: accept at least one channel", "请至少选择一种表决方式"},
		{"k above n", func(a *ov.Assembly) { a.Committee.K = 2 }, "committee.k: 2 signatures of 1 members", "须在 1 至 1（委员人数）之间"},
		{"no motion text", func(a *ov.Assembly) { a.Motions[0].Title = "" }, "motions[0].title", "请填写第1项议题的内容"},
		{"one candidate", func(a *ov.Assembly) { a.Motions[0].Options = []*ov.Option{{OptionId: "c1", Name: "甲公司"}} },
			"a choice among candidates needs at least two options", "第1项议题：在候选中选择至少要有两个候选"},
		{"more seats than candidates", func(a *ov.Assembly) {
			a.Motions = append(a.Motions, &ov.Motion{MotionId: "m2", Title: "选举业委会", Matter: ov.Matter_MATTER_ELECT_COMMITTEE, Seats: 3,
				Options: []*ov.Option{{OptionId: "c1", Name: "王"}, {OptionId: "c2", Name: "李"}}})
		}, "3 seats but 2 candidates", "第2项议题：应选 3 人，候选人只有 2 名"},
		{"a motion id twice", func(a *ov.Assembly) {
			a.Motions = append(a.Motions, &ov.Motion{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_RENEW_PROPERTY_FIRM})
		}, `motion ID "m1" used twice`, "第2项议题的编号 m1 与前面的议题重复"},
		{"reason and no short notice", func(a *ov.Assembly) {
			a.Settings, a.ShortNoticeReason = &ov.Settings{RefuseShortNotice: true}, "应急"
		}, "short_notice_reason: settings.refuse_short_notice", "不能再填写缩短理由"},
	} {
		a := good()
		tc.change(a)
		_, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: a})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.english) || !strings.Contains(server.ZhOf(err), tc.zh) {
			t.Errorf("%s: %v (%q), want InvalidArgument with %q and %q", tc.name, err, server.ZhOf(err), tc.english, tc.zh)
		}
	}
	a := good()
	a.AssemblyId = "taken"
	for i, want := range []string{"", "会议编号 taken 已被使用"} {
		_, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: a})
		if got := server.ZhOf(err); (want == "") != (err == nil) || !strings.Contains(got, want) {
			t.Errorf("create %q the %d. time: %v (%q), want %q", a.AssemblyId, i+1, err, got, want)
		}
	}

	publish := func(id string, change func(*ov.Assembly)) error {
		t.Helper()
		a := good()
		a.AssemblyId = id
		change(a)
		if _, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: a}); err != nil {
			t.Fatal(err)
		}
		_, err := v.as.PublishAssembly(ctx, &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: id})
		return err
	}
	tenDays := func(a *ov.Assembly) { a.OpensAt = timestamppb.New(publishAt.Add(10*24*time.Hour + 5*time.Hour)) }
	err := publish("no-reason", tenDays)
	if server.ReasonOf(err) != "SHORT_NOTICE" || !strings.Contains(server.ZhOf(err), "公告期只有 10 日 5 小时") || !strings.Contains(server.ZhOf(err), "未记录缩短公告期的理由") {
		t.Errorf("a short notice without its reason: %v (%q)", err, server.ZhOf(err))
	}
	err = publish("strict", func(a *ov.Assembly) { tenDays(a); a.Settings = &ov.Settings{RefuseShortNotice: true} })
	if server.ReasonOf(err) != "SHORT_NOTICE" || !strings.Contains(server.ZhOf(err), "设定不得缩短公告期") {
		t.Errorf("a short notice where none is admitted: %v (%q)", err, server.ZhOf(err))
	}
	err = publish("passed", func(a *ov.Assembly) {
		a.OpensAt = timestamppb.New(publishAt.Add(-time.Hour))
		a.ShortNoticeReason = "应急"
	})
	if server.ReasonOf(err) != "WRONG_STATE" || !strings.Contains(err.Error(), "has passed") || !strings.Contains(server.ZhOf(err), "投票开始时间（2026-04-20T08:00:00+08:00）已过") {
		t.Errorf("an opening passed: %v (%q)", err, server.ZhOf(err))
	}
	// Published once only.
	if err := publish("once", func(*ov.Assembly) {}); err != nil {
		t.Fatal(err)
	}
	_, err = v.as.PublishAssembly(ctx, &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: "once"})
	if server.ReasonOf(err) != "WRONG_STATE" || !strings.Contains(server.ZhOf(err), "已不是草稿") {
		t.Errorf("published twice: %v (%q)", err, server.ZhOf(err))
	}
	// Two keys of one member are one member.
	again := newSigner(v.committee.id, 205)
	if _, err := ov.NewSignerServiceClient(v.e.conn).RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE",
		SignerId: again.id, Name: again.id, CommunityId: v.community, PublicKey: again.pub()}}); err != nil {
		t.Fatal(err)
	}
	a = good()
	a.Committee = &ov.Committee{MemberKeyIds: []string{v.committee.keyID(), again.keyID()}, K: 1}
	if _, err := v.as.CreateAssembly(ctx, &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: a}); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(server.ZhOf(err), "第2个认证委员密钥与第1个是同一位委员") {
		t.Errorf("two keys of one member: %v (%q)", err, server.ZhOf(err))
	}

	// A staff id goes into the public attestations: no identity number.
	_, err = ov.NewSignerServiceClient(v.e.conn).RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "STAFF",
		SignerId: idNumberN(3), Name: "王工作人员", CommunityId: v.community, PublicKey: newSigner("x", 206).pub()}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(server.ZhOf(err), "不能用电话、身份证号码") || strings.Contains(err.Error(), idNumberN(3)) {
		t.Errorf("an identity number as a staff id: %v (%q)", err, server.ZhOf(err))
	}
	// Nor one shaped like it whose check digit is wrong, nor a long
	// number; nor a number in a name, which is published with the key.
	for _, tc := range []struct{ what, id, name, zh string }{
		{"an identity number with a wrong check digit as a staff id", "370202199001011234", "王工作人员", "不能用电话、身份证号码或11位以上的数字"},
		{"a phone number in a committee member's name", "member-zhou", "周委员 13812345678", "姓名会随密钥公开，不能含电话"},
	} {
		kind := "STAFF"
		if strings.HasPrefix(tc.id, "member") {
			kind = "COMMITTEE"
		}
		_, err = ov.NewSignerServiceClient(v.e.conn).RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: kind,
			SignerId: tc.id, Name: tc.name, CommunityId: v.community, PublicKey: newSigner("y", 207).pub()}})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(server.ZhOf(err), tc.zh) || strings.Contains(err.Error(), "1234") {
			t.Errorf("%s: %v (%q)", tc.what, err, server.ZhOf(err))
		}
	}

	// A community whose roll is empty yet.
	v.e.createCommunity("empty")
	member := newSigner("member-qian", 204)
	if _, err := ov.NewSignerServiceClient(v.e.conn).RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE",
		SignerId: member.id, Name: member.id, CommunityId: "empty", PublicKey: member.pub()}}); err != nil {
		t.Fatal(err)
	}
	a = good()
	a.AssemblyId, a.Committee = "nobody", &ov.Committee{MemberKeyIds: []string{member.keyID()}, K: 1}
	if _, err := v.as.CreateAssembly(v.ctx(v.e.admin), &ov.CreateAssemblyRequest{CommunityId: "empty", Assembly: a}); err != nil {
		t.Fatal(err)
	}
	_, err = v.as.PublishAssembly(v.ctx(v.e.admin), &ov.PublishAssemblyRequest{CommunityId: "empty", AssemblyId: "nobody"})
	if server.ReasonOf(err) != "EMPTY_ROLL" || !strings.Contains(server.ZhOf(err), "请先导入名册") {
		t.Errorf("publish on an empty roll: %v (%q)", err, server.ZhOf(err))
	}
}
