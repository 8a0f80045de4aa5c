package server_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/server"
)

// TestCallAttempts: staff record call attempts for voters of the frozen
// roll while the vote runs, and list them per assembly or per voter, in
// order; bad input, other roles and a closed vote are refused.
func TestCallAttempts(t *testing.T) {
	v := newVote(t, nil)
	rec := func(tok string, req *ov.RecordCallAttemptRequest) (*ov.CallAttempt, error) {
		req.CommunityId, req.AssemblyId = v.community, v.assembly
		return v.as.RecordCallAttempt(v.ctx(tok), req)
	}
	callback := timestamppb.New(duringVote.Add(26 * time.Hour))
	steps := []*ov.RecordCallAttemptRequest{
		{Voter: v.owners[100], Outcome: ov.CallOutcome_CALL_OUTCOME_NO_ANSWER},
		{Voter: v.owners[101], Outcome: ov.CallOutcome_CALL_OUTCOME_REFUSED, Note: "业主表示不参与"},
		{Voter: v.owners[100], Outcome: ov.CallOutcome_CALL_OUTCOME_CALL_BACK, CallbackTime: callback, Note: "明天下午回电"},
		{Voter: v.owners[100], Outcome: ov.CallOutcome_CALL_OUTCOME_WILL_VOTE_ONLINE, Channel: ov.Channel_CHANNEL_VISIT},
	}
	for i, s := range steps {
		tok := v.staffTok
		if i%2 == 1 {
			tok = v.e.admin
		}
		got, err := rec(tok, s)
		if err != nil {
			t.Fatalf("RecordCallAttempt(%d): %v", i, err)
		}
		if got.GetOutcome() != s.GetOutcome() || got.GetVoter() != s.GetVoter() || got.GetRecordTime() == nil || got.GetRecordedBy() == "" {
			t.Errorf("RecordCallAttempt(%d) = %v", i, got)
		}
	}
	all, err := v.as.ListCallAttempts(v.ctx(v.staff2Tok), &ov.ListCallAttemptsRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GetCallAttempts()) != len(steps) {
		t.Fatalf("ListCallAttempts = %d attempts, want %d", len(all.GetCallAttempts()), len(steps))
	}
	for i, c := range all.GetCallAttempts() {
		if c.GetVoter() != steps[i].GetVoter() || c.GetOutcome() != steps[i].GetOutcome() {
			t.Errorf("attempt %d = %s %s, want %s %s (in the order recorded)", i, c.GetVoter(), c.GetOutcome(), steps[i].GetVoter(), steps[i].GetOutcome())
		}
		if i > 0 && c.GetSeq() <= all.GetCallAttempts()[i-1].GetSeq() {
			t.Errorf("attempt %d seq %d not after %d", i, c.GetSeq(), all.GetCallAttempts()[i-1].GetSeq())
		}
	}
	one, err := v.as.ListCallAttempts(v.ctx(v.staffTok), &ov.ListCallAttemptsRequest{CommunityId: v.community, AssemblyId: v.assembly, Voter: v.owners[100]})
	if err != nil {
		t.Fatal(err)
	}
	if got := one.GetCallAttempts(); len(got) != 3 || got[1].GetCallbackTime().AsTime() != callback.AsTime() || got[1].GetNote() != "明天下午回电" ||
		got[0].GetChannel() != ov.Channel_CHANNEL_PHONE || got[2].GetChannel() != ov.Channel_CHANNEL_VISIT || got[0].GetRecordedBy() != "COMMUNITY_STAFF dorm" {
		t.Errorf("attempts of one voter = %v", got)
	}

	for _, tc := range []struct {
		name string
		tok  string
		req  *ov.RecordCallAttemptRequest
		code codes.Code
	}{
		{"no outcome", v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102]}, codes.InvalidArgument},
		{"call back without a time", v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_CALL_BACK}, codes.InvalidArgument},
		{"a time without call back", v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_REFUSED, CallbackTime: callback}, codes.InvalidArgument},
		{"paper is no call", v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_VOTED, Channel: ov.Channel_CHANNEL_PAPER}, codes.InvalidArgument},
		{"voter not on the roll", v.staffTok, &ov.RecordCallAttemptRequest{Voter: "nobody", Outcome: ov.CallOutcome_CALL_OUTCOME_NO_ANSWER}, codes.InvalidArgument},
		{"note too long", v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_NO_ANSWER, Note: strings.Repeat("话", 501)}, codes.InvalidArgument},
		{"a phone number in the note", v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_CALL_BACK, CallbackTime: callback, Note: "请打业主手机13912345678"}, codes.InvalidArgument},
		{"an identity number in the note", v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_REFUSED, Note: "核对身份证110101198501014560"}, codes.InvalidArgument},
		{"platform", v.platTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_NO_ANSWER}, codes.PermissionDenied},
		{"committee member", v.e.token(auth.CommitteeMember, v.community), &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_NO_ANSWER}, codes.PermissionDenied},
		{"auditor", v.e.token(auth.Auditor, v.community), &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome_CALL_OUTCOME_NO_ANSWER}, codes.PermissionDenied},
	} {
		if _, err := rec(tc.tok, tc.req); status.Code(err) != tc.code {
			t.Errorf("%s: RecordCallAttempt = %v, want %v", tc.name, err, tc.code)
		}
	}
	// A bad outcome is named as JSON writes it.
	if _, err := rec(v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[102], Outcome: ov.CallOutcome(99)}); !strings.Contains(status.Convert(err).Message(), "outcome: 99: want one of CALL_OUTCOME_NO_ANSWER") {
		t.Errorf("unknown outcome: %v, want the outcomes named CALL_OUTCOME_*", err)
	}
	if _, err := v.as.ListCallAttempts(v.ctx(v.e.token(auth.CommitteeMember, v.community)), &ov.ListCallAttemptsRequest{CommunityId: v.community, AssemblyId: v.assembly}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("ListCallAttempts by a committee member = %v, want PermissionDenied", err)
	}
	// Over JSON, as the console sends it.
	var got struct {
		Outcome      string `json:"outcome"`
		CallbackTime string `json:"callback_time"`
	}
	code := v.e.do("POST", "/v1/communities/dorm/assemblies/"+v.assembly+"/calls", v.staffTok, map[string]any{
		"voter": v.owners[103], "outcome": "CALL_OUTCOME_CALL_BACK", "channel": "CHANNEL_PHONE", "callback_time": "2026-05-10T02:00:00Z", "note": "晚上回电"}, &got)
	if code != 200 || got.Outcome != "CALL_OUTCOME_CALL_BACK" || got.CallbackTime != "2026-05-10T02:00:00Z" {
		t.Errorf("POST …/calls = %d %+v", code, got)
	}

	v.closeAndResult(t)
	if _, err := rec(v.staffTok, &ov.RecordCallAttemptRequest{Voter: v.owners[104], Outcome: ov.CallOutcome_CALL_OUTCOME_NO_ANSWER}); server.ReasonOf(err) != "WRONG_STATE" {
		t.Errorf("call attempt after closing: %v, want WRONG_STATE", err)
	}
	// The history stays readable.
	if all, err := v.as.ListCallAttempts(v.ctx(v.staffTok), &ov.ListCallAttemptsRequest{CommunityId: v.community, AssemblyId: v.assembly}); err != nil || len(all.GetCallAttempts()) != len(steps)+1 {
		t.Errorf("ListCallAttempts after closing = %d, %v", len(all.GetCallAttempts()), err)
	}
}

// TestEnrolSigner: a staff member's own key is pending until a street admin
// approves it; a pending key signs nothing that counts and cannot be named
// in a committee; each role enrols only its own kind of key in its own
// community.
func TestEnrolSigner(t *testing.T) {
	v := newVote(t, nil)
	ss := ov.NewSignerServiceClient(v.e.conn)
	enrol := func(tok, kind, community string, s signer) (*ov.Signer, error) {
		return ss.EnrolSigner(v.ctx(tok), &ov.EnrolSignerRequest{Kind: kind, SignerId: s.id, Name: "王" + s.id, CommunityId: community, PublicKey: s.pub()})
	}
	chen := newSigner("staff-chen", 150)
	sg, err := enrol(v.staffTok, "STAFF", v.community, chen)
	if err != nil {
		t.Fatal(err)
	}
	if !sg.GetPending() || sg.GetKeyId() != chen.keyID() || sg.GetRevokeTime() != nil || sg.GetApproveTime() != nil {
		t.Fatalf("EnrolSigner = %v, want pending with key id %s", sg, chen.keyID())
	}

	// A pending key cannot sign.
	b, _ := v.ballotFor(120, ballot.Phone, "AGREE")
	b.KeyID, b.Attestation.StaffID = chen.keyID(), chen.id
	canonical, sig := v.sign(t, b, chen)
	// (Intake treats a pending key as not active, like a revoked one.)
	if _, err := v.submit(t, canonical, sig, ballot.Phone); status.Code(err) != codes.FailedPrecondition || server.ReasonOf(err) != "NO_RIGHT_TO_SIGN" {
		t.Errorf("ballot signed by a pending key: %v, want refused (NO_RIGHT_TO_SIGN)", err)
	}
	// Nor be a committee member.
	zhou := newSigner("member-zhou", 151)
	if _, err := enrol(v.e.token(auth.CommitteeMember, v.community), "COMMITTEE", v.community, zhou); err != nil {
		t.Fatal(err)
	}
	v.e.clock.Set(publishAt)
	_, err = v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: &ov.Assembly{
		Title: "x", Motions: []*ov.Motion{{MotionId: "m1", Title: "x", Matter: ov.Matter_MATTER_OTHER_MAJOR}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE},
		Committee: &ov.Committee{MemberKeyIds: []string{zhou.keyID()}, K: 1}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("assembly naming a pending committee key: %v, want InvalidArgument", err)
	}
	v.e.clock.Set(duringVote)

	for _, tc := range []struct {
		name, tok, kind, community string
		code                       codes.Code
	}{
		{"staff enrols a committee key", v.staffTok, "COMMITTEE", v.community, codes.PermissionDenied},
		{"committee member enrols a staff key", v.e.token(auth.CommitteeMember, v.community), "STAFF", v.community, codes.PermissionDenied},
		{"staff of one community enrols for all", v.staffTok, "STAFF", "", codes.PermissionDenied},
		{"staff enrols in another community", v.staffTok, "STAFF", "elsewhere", codes.PermissionDenied},
		{"platform", v.platTok, "STAFF", v.community, codes.PermissionDenied},
		{"auditor", v.e.token(auth.Auditor, ""), "STAFF", v.community, codes.PermissionDenied},
		{"a platform key is not enrolled", v.e.admin, "PLATFORM", "", codes.InvalidArgument},
		{"no kind", v.staffTok, "", v.community, codes.InvalidArgument},
	} {
		if _, err := enrol(tc.tok, tc.kind, tc.community, newSigner("x-"+tc.name[:3], 160)); status.Code(err) != tc.code {
			t.Errorf("%s: EnrolSigner = %v, want %v", tc.name, err, tc.code)
		}
	}
	if _, err := enrol(v.staff2Tok, "STAFF", v.community, chen); status.Code(err) != codes.AlreadyExists {
		t.Errorf("enrolling a key twice: %v, want AlreadyExists", err)
	}
	// A colleague's signer id is theirs: another sign-in cannot enrol a key
	// under it, the holder's own can.
	if _, err := enrol(v.staff2Tok, "STAFF", v.community, newSigner(chen.id, 153)); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "another sign-in") ||
		!strings.Contains(err.Error(), chen.keyID()) {
		t.Errorf("a key under a colleague's signer id: %v, want InvalidArgument", err)
	}
	if _, err := enrol(v.staffTok, "STAFF", v.community, newSigner(chen.id, 154)); err != nil {
		t.Errorf("a second key under one's own signer id: %v", err)
	}

	// Only a street admin of all communities approves.
	approve := func(tok, keyID string) (*ov.Signer, error) {
		return ss.ApproveSigner(v.ctx(tok), &ov.ApproveSignerRequest{KeyId: keyID})
	}
	if _, err := approve(v.staffTok, chen.keyID()); status.Code(err) != codes.PermissionDenied {
		t.Errorf("approval by staff: %v, want PermissionDenied", err)
	}
	if _, err := approve(v.e.token(auth.StreetAdmin, v.community), chen.keyID()); status.Code(err) != codes.PermissionDenied {
		t.Errorf("approval by a one-community admin: %v, want PermissionDenied", err)
	}
	sg, err = approve(v.e.admin, chen.keyID())
	if err != nil || sg.GetPending() || sg.GetApproveTime() == nil {
		t.Fatalf("ApproveSigner = %v, %v", sg, err)
	}
	if _, err := approve(v.e.admin, chen.keyID()); server.ReasonOf(err) != "SIGNER_NOT_PENDING" {
		t.Errorf("second approval: %v, want SIGNER_NOT_PENDING", err)
	}
	// Now the key signs.
	b, _ = v.ballotFor(121, ballot.Phone, "AGREE")
	b.KeyID, b.Attestation.StaffID = chen.keyID(), chen.id
	canonical, sig = v.sign(t, b, chen)
	if r, err := v.submit(t, canonical, sig, ballot.Phone); err != nil || r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Errorf("ballot signed by the approved key: %v %v", r.GetStatus(), err)
	}

	// A pending key can be turned down: revoked, it can never be approved.
	if _, err := ss.RevokeSigner(v.ctx(v.e.admin), &ov.RevokeSignerRequest{KeyId: zhou.keyID(), Reason: "身份未核实"}); err != nil {
		t.Fatal(err)
	}
	list, err := ss.ListSigners(v.ctx(v.staffTok), &ov.ListSignersRequest{CommunityId: v.community})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.GetSigners() {
		if s.GetKeyId() == zhou.keyID() && (s.GetRevokeTime() == nil || s.GetRevokeReason() != "身份未核实") {
			t.Errorf("revoked pending signer = %v", s)
		}
	}
	if _, err := approve(v.e.admin, zhou.keyID()); server.ReasonOf(err) != "SIGNER_NOT_PENDING" {
		t.Errorf("approving a revoked key: %v, want SIGNER_NOT_PENDING", err)
	}
	// Its id is free again once its key is revoked.
	if _, err := enrol(v.e.token(auth.CommitteeMember, v.community), "COMMITTEE", v.community, newSigner(zhou.id, 155)); err != nil {
		t.Errorf("a key under the id of a revoked one, from another sign-in: %v", err)
	}
}

// TestTokenIssuedToOnePerson: a token issued with a signer id says so
// (CreateToken, WhoAmI, over JSON), enrols keys under that id only, and
// marks them its holder's; a token without one enrols as before.
func TestTokenIssuedToOnePerson(t *testing.T) {
	v := newVote(t, nil)
	var created struct {
		Token  map[string]any `json:"token"`
		Secret string         `json:"secret"`
	}
	if code := v.e.do("POST", "/v1/tokens", v.e.admin, map[string]any{"role": "ROLE_COMMITTEE_MEMBER", "community_id": v.community,
		"label": "惠都社区 周委员", "signer_id": "member-zhou"}, &created); code != 200 || created.Token["signer_id"] != "member-zhou" {
		t.Fatalf("POST /v1/tokens with a signer id = %d %v", code, created.Token)
	}
	var me map[string]any
	if code := v.e.do("GET", "/v1/whoami", created.Secret, nil, &me); code != 200 || me["signer_id"] != "member-zhou" {
		t.Errorf("WhoAmI = %d %v, want signer_id member-zhou", code, me)
	}
	ss := ov.NewSignerServiceClient(v.e.conn)
	enrol := func(tok, id string, n byte) (*ov.Signer, error) {
		return ss.EnrolSigner(v.ctx(tok), &ov.EnrolSignerRequest{Kind: "COMMITTEE", SignerId: id, Name: id, CommunityId: v.community, PublicKey: newSigner(id, n).pub()})
	}
	if _, err := enrol(created.Secret, "member-wu", 170); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), "issued to member-zhou") ||
		server.ZhOf(err) != "此登录凭证签发给 member-zhou，只能以该编号登记密钥" {
		t.Errorf("enrolling under another id: %v, want INVALID_ARGUMENT naming member-zhou", err)
	}
	if sg, err := ss.EnrolSigner(v.ctx(created.Secret), &ov.EnrolSignerRequest{Kind: "COMMITTEE", Name: "周委员", CommunityId: v.community, PublicKey: newSigner("z", 171).pub()}); err != nil || !sg.GetHolderEnrolled() || sg.GetSignerId() != "member-zhou" {
		t.Errorf("enrolling through it, the signer id left out: %v, %v; want a key of member-zhou marked its holder's", sg, err)
	}
	if sg, err := enrol(v.e.token(auth.CommitteeMember, v.community), "member-wu", 172); err != nil || sg.GetHolderEnrolled() {
		t.Errorf("through a token issued to no one: %v, %v; want a key not marked its holder's", sg, err)
	}
	// A street admin's sign-in issued to them does not make a committee
	// key theirs as a member's; a staff key it is.
	adminOwn := v.e.tokenFor(auth.StreetAdmin, "", "member-zheng")
	if sg, err := enrol(adminOwn, "member-zheng", 175); err != nil || sg.GetHolderEnrolled() {
		t.Errorf("a COMMITTEE key through an admin's own sign-in: %v, %v; want a key not marked a member's", sg, err)
	}
	if sg, err := ss.EnrolSigner(v.ctx(v.e.tokenFor(auth.StreetAdmin, "", "staff-zheng")), &ov.EnrolSignerRequest{Kind: "STAFF", SignerId: "staff-zheng", Name: "郑",
		CommunityId: v.community, PublicKey: newSigner("staff-zheng", 176).pub()}); err != nil || !sg.GetHolderEnrolled() {
		t.Errorf("a STAFF key through an admin's own sign-in: %v, %v; want it marked the holder's", sg, err)
	}
	tc := ov.NewTokenServiceClient(v.e.conn)
	for _, req := range []*ov.CreateTokenRequest{
		{Role: ov.Role_ROLE_PLATFORM, Label: "city", SignerId: "city"},
		{Role: ov.Role_ROLE_COMMITTEE_MEMBER, CommunityId: v.community, Label: "x", SignerId: "周 委员"},
	} {
		if _, err := tc.CreateToken(v.ctx(v.e.admin), req); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), "signer_id") {
			t.Errorf("CreateToken(%v) = %v, want INVALID_ARGUMENT on signer_id", req, err)
		}
	}
}

// TestTokenWithAnExpiry: CreateToken takes an expiry, which the token and
// the list show; one in the past is refused. (auth's TestTokenExpires: the
// token stops working then.)
func TestTokenWithAnExpiry(t *testing.T) {
	e := newEnv(t)
	tc := ov.NewTokenServiceClient(e.conn)
	if _, err := tc.CreateToken(e.ctx(e.admin), &ov.CreateTokenRequest{Role: ov.Role_ROLE_AUDITOR, Label: "临时审计",
		ExpireTime: timestamppb.New(time.Now().Add(-time.Hour))}); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), "expire_time") {
		t.Errorf("a token expiring an hour ago: %v, want INVALID_ARGUMENT on expire_time", err)
	}
	until := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	r, err := tc.CreateToken(e.ctx(e.admin), &ov.CreateTokenRequest{Role: ov.Role_ROLE_AUDITOR, Label: "临时审计", ExpireTime: timestamppb.New(until)})
	if err != nil || !r.GetToken().GetExpireTime().AsTime().Equal(until) {
		t.Fatalf("CreateToken with an expiry: %v, %v", r, err)
	}
	if _, err := tc.WhoAmI(e.ctx(r.GetSecret()), &ov.WhoAmIRequest{}); err != nil {
		t.Errorf("the token before it expires: %v", err)
	}
	// A sign-in that expires issues no token outliving it.
	admin, err := tc.CreateToken(e.ctx(e.admin), &ov.CreateTokenRequest{Role: ov.Role_ROLE_STREET_ADMIN, Label: "临时管理员", ExpireTime: timestamppb.New(until)})
	if err != nil {
		t.Fatal(err)
	}
	for _, later := range []*timestamppb.Timestamp{nil, timestamppb.New(until.Add(time.Hour))} {
		if _, err := tc.CreateToken(e.ctx(admin.GetSecret()), &ov.CreateTokenRequest{Role: ov.Role_ROLE_AUDITOR, Label: "审计", ExpireTime: later}); server.ReasonOf(err) != "INVALID_ARGUMENT" ||
			!strings.Contains(server.ZhOf(err), "签发的凭证须在此之前失效") {
			t.Errorf("an expiring admin issuing a token expiring %v: %v (%s), want INVALID_ARGUMENT", later, err, server.ZhOf(err))
		}
	}
	if _, err := tc.CreateToken(e.ctx(admin.GetSecret()), &ov.CreateTokenRequest{Role: ov.Role_ROLE_AUDITOR, Label: "审计", ExpireTime: timestamppb.New(until.Add(-time.Hour))}); err != nil {
		t.Errorf("an expiring admin issuing a token expiring before it: %v", err)
	}
	list, err := tc.ListTokens(e.ctx(e.admin), &ov.ListTokensRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range list.GetTokens() {
		if tok.GetTokenId() == r.GetToken().GetTokenId() && !tok.GetExpireTime().AsTime().Equal(until) {
			t.Errorf("listed with expiry %v, want %v", tok.GetExpireTime(), until)
		}
	}
}

// TestOneSignInOneMember: k of n counts people, and a sign-in is one
// person. A committee member whose sign-in was issued to no one in
// particular enrols keys under two member ids, which an admin approves;
// an assembly naming both in its committee is refused, so that the one
// person cannot give two of the k signatures. Keys enrolled through two
// sign-ins are two members.
func TestOneSignInOneMember(t *testing.T) {
	v := newVote(t, nil)
	ss := ov.NewSignerServiceClient(v.e.conn)
	enrolled := func(tok string, s signer) {
		t.Helper()
		if _, err := ss.EnrolSigner(v.ctx(tok), &ov.EnrolSignerRequest{Kind: "COMMITTEE", SignerId: s.id, Name: s.id, CommunityId: v.community, PublicKey: s.pub()}); err != nil {
			t.Fatal(err)
		}
		if _, err := ss.ApproveSigner(v.ctx(v.e.admin), &ov.ApproveSignerRequest{KeyId: s.keyID()}); err != nil {
			t.Fatal(err)
		}
	}
	zhou := v.e.token(auth.CommitteeMember, v.community)
	zhou1, zhou2, wu := newSigner("zhou-1", 180), newSigner("zhou-2", 181), newSigner("member-wu", 182)
	enrolled(zhou, zhou1)
	enrolled(zhou, zhou2)
	enrolled(v.e.token(auth.CommitteeMember, v.community), wu)
	create := func(id string, members ...signer) error {
		var keys []string
		for _, m := range members {
			keys = append(keys, m.keyID())
		}
		_, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: &ov.Assembly{
			AssemblyId: id, Title: "选聘物业",
			Motions: []*ov.Motion{{MotionId: "m1", Title: "选聘青岛天泰爱家物业服务有限公司", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
			OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM},
			Committee: &ov.Committee{MemberKeyIds: keys, K: 2}}})
		return err
	}
	if err := create("one-hand", zhou1, zhou2); server.ReasonOf(err) != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), "same sign-in") || !strings.Contains(server.ZhOf(err), "同一登录凭证") {
		t.Errorf("a committee of two keys one sign-in enrolled: %v, want INVALID_ARGUMENT", err)
	}
	if err := create("two-hands", zhou1, wu); err != nil {
		t.Errorf("a committee of keys two sign-ins enrolled: %v", err)
	}
	// Keys an admin registered (a public key a member brings) rest on the
	// admin's word: several through one admin sign-in make a committee.
	for i, s := range []signer{newSigner("member-li", 183), newSigner("member-he", 184)} {
		if _, err := ss.RegisterSigner(v.ctx(v.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: s.id, Name: s.id, CommunityId: v.community, PublicKey: s.pub()}}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := create("registered", newSigner("member-li", 183), s); err != nil {
				t.Errorf("a committee of keys an admin registered: %v", err)
			}
		}
	}
}

// TestEnrolledKeysSignOnlyThroughTheirSignIn: a key its holder enrolled
// signs ballots, confirmations and certifications only through the sign-in
// that enrolled it, so that on a shared computer nobody signs with
// another's key; keys an admin registered are relayed by anyone entitled.
func TestEnrolledKeysSignOnlyThroughTheirSignIn(t *testing.T) {
	v := newVote(t, &ov.Settings{MakerChecker: true})
	ss := ov.NewSignerServiceClient(v.e.conn)
	enrolled := func(tok, kind string, s signer) {
		t.Helper()
		if _, err := ss.EnrolSigner(v.ctx(tok), &ov.EnrolSignerRequest{Kind: kind, SignerId: s.id, Name: s.id, CommunityId: v.community, PublicKey: s.pub()}); err != nil {
			t.Fatal(err)
		}
		if _, err := ss.ApproveSigner(v.ctx(v.e.admin), &ov.ApproveSignerRequest{KeyId: s.keyID()}); err != nil {
			t.Fatal(err)
		}
	}
	chen, liu, zhou := newSigner("staff-chen", 150), newSigner("staff-liu", 151), newSigner("member-zhou", 152)
	memberTok := v.e.token(auth.CommitteeMember, v.community)
	enrolled(v.staffTok, "STAFF", chen)
	enrolled(v.staff2Tok, "STAFF", liu)
	enrolled(memberTok, "COMMITTEE", zhou)

	// chen's key, through another staff member's sign-in: refused.
	b, _ := v.ballotFor(120, ballot.Phone, "AGREE")
	b.KeyID, b.Attestation.StaffID = chen.keyID(), chen.id
	canonical, sig := v.sign(t, b, chen)
	if _, err := v.as.SubmitBallot(v.ctx(v.staff2Tok), &ov.SubmitBallotRequest{CommunityId: v.community, AssemblyId: v.assembly, Ballot: canonical, Signature: sig}); server.ReasonOf(err) != "NOT_YOUR_KEY" || !strings.Contains(err.Error(), "another sign-in") {
		t.Errorf("a ballot signed with chen's key through another sign-in: %v, want NOT_YOUR_KEY", err)
	}
	b.Nonce = nonce()
	canonical, sig = v.sign(t, b, chen)
	pending, err := v.submit(t, canonical, sig, ballot.Phone) // through chen's own sign-in
	if err != nil || pending.GetStatus() != ov.BallotStatus_BALLOT_STATUS_PENDING_CONFIRMATION {
		t.Fatalf("chen's ballot through chen's sign-in: %v, %v", pending.GetStatus(), err)
	}
	// liu's key confirms only through liu's sign-in.
	third := v.e.token(auth.CommunityStaff, v.community)
	if _, err := v.as.ConfirmBallot(v.ctx(third), v.confirmation(pending.GetBallotId(), liu)); server.ReasonOf(err) != "NOT_YOUR_KEY" {
		t.Errorf("a confirmation with liu's key through another sign-in: %v, want NOT_YOUR_KEY", err)
	}
	if c, err := v.as.ConfirmBallot(v.ctx(v.staff2Tok), v.confirmation(pending.GetBallotId(), liu)); err != nil || c.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Errorf("liu's confirmation through liu's sign-in: %v, %v", c.GetStatus(), err)
	}

	// zhou's key certifies only through zhou's sign-in.
	v.openAnother(t, &ov.Assembly{
		AssemblyId: "zhou-certifies", Title: "x", Motions: []*ov.Motion{{MotionId: "m1", Title: "x", Matter: ov.Matter_MATTER_OTHER_MAJOR}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt), Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM},
		Committee: &ov.Committee{MemberKeyIds: []string{zhou.keyID()}, K: 1}})
	res := v.closeAndResult(t)
	v.e.clock.Set(audit.ObjectionDeadline(closesAt, 3, audit.Rules))
	certify := func(tok string) error {
		_, err := v.as.CertifyResult(v.ctx(tok), &ov.CertifyResultRequest{CommunityId: v.community, AssemblyId: v.assembly, KeyId: zhou.keyID(),
			Signature: ed25519.Sign(zhou.priv, []byte(res.GetCertificationStatement()))})
		return err
	}
	if err := certify(v.e.admin); server.ReasonOf(err) != "NOT_YOUR_KEY" {
		t.Errorf("zhou's certification through the admin's sign-in: %v, want NOT_YOUR_KEY", err)
	}
	if err := certify(memberTok); err != nil {
		t.Errorf("zhou's certification through zhou's sign-in: %v", err)
	}
}

// An enum value the API does not define is refused at the edge, naming the
// field and the values as JSON writes them.
func TestUnknownAbstentionMode(t *testing.T) {
	v := newVote(t, nil)
	_, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: &ov.Assembly{
		AssemblyId: "abstention-99", Title: "续聘",
		Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_RENEW_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(time.Now().Add(30 * 24 * time.Hour)), ClosesAt: timestamppb.New(time.Now().Add(35 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM},
		Settings: &ov.Settings{Abstention: ov.Abstention(99)},
	}})
	if msg := status.Convert(err).Message(); status.Code(err) != codes.InvalidArgument || !strings.Contains(msg, "settings.abstention: 99: want one of ABSTENTION_PARTICIPATES") {
		t.Errorf("CreateAssembly with abstention 99: %v, want InvalidArgument naming settings.abstention", err)
	}
}
