package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/server"
)

func idNumber(n int) string {
	first := "990000198001010" + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
	return first + string(roll.ResidentIDCheck(first))
}

func ownerJSON(n int, name string, extra ...any) map[string]any {
	o := map[string]any{"name": name, "id_number": idNumber(n), "phone": "1380000000" + string(rune('0'+n%10))}
	for i := 0; i+1 < len(extra); i += 2 {
		o[extra[i].(string)] = extra[i+1]
	}
	return o
}

func unitJSON(id, area string, owners ...map[string]any) map[string]any {
	return map[string]any{"unit_id": id, "registered_area_m2": area, "owners": owners}
}

func (e *env) createCommunity(id string) {
	e.t.Helper()
	code := e.do("POST", "/v1/communities", e.admin, map[string]any{"community_id": id, "name": "小区 " + id, "street_office": "金家岭街道", "residents_committee": "惠都社区"}, nil)
	if code != http.StatusOK {
		e.t.Fatalf("create community %s: HTTP %d", id, code)
	}
}

// statutoryRoll exercises every SPC art. 8–9 rule: a two-unit owner, a
// co-owned unit, developer units unsold and undelivered, and area
// precedence.
var statutoryRoll = []map[string]any{
	unitJSON("1-1-101", "80.00", ownerJSON(1, "甲")),
	unitJSON("1-1-102", "60.50", ownerJSON(1, "甲")),                                                                      // same owner: one person
	unitJSON("1-1-201", "90.00", ownerJSON(2, "乙", "representative", true), ownerJSON(3, "丙")),                           // co-owned: one person
	{"unit_id": "1-1-202", "surveyed_area_m2": "70.25", "contract_area_m2": "71.00", "owners": []any{ownerJSON(4, "丁")}}, // surveyed wins over contract
	{"unit_id": "2-1-101", "contract_area_m2": "50.00", "kind": "UNIT_KIND_DEVELOPER_UNSOLD"},
	{"unit_id": "2-1-102", "registered_area_m2": "55.00", "kind": "UNIT_KIND_SOLD_UNDELIVERED"}, // developer units: one person together
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	resp, err := healthpb.NewHealthClient(e.conn).Check(e.ctx(""), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Health.Check = %v, %v; want SERVING", resp, err)
	}
	if code := e.do("GET", "/healthz", "", nil, nil); code != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200", code)
	}
	var spec struct {
		Paths       map[string]any `json:"paths"`
		Definitions map[string]struct {
			Required   []string `json:"required"`
			Properties map[string]struct {
				ReadOnly bool `json:"readOnly"`
			} `json:"properties"`
		} `json:"definitions"`
	}
	if code := e.do("GET", "/openapi.json", "", nil, &spec); code != http.StatusOK || spec.Paths == nil {
		t.Fatalf("GET /openapi.json = %d with paths %v", code, spec.Paths != nil)
	}
	// It says which fields a request needs and which the server sets
	// (proto/ownervote/v1/openapi.yaml), and the server agrees.
	if got := spec.Definitions["v1CreateTokenRequest"].Required; !slices.Equal(got, []string{"role", "label"}) {
		t.Errorf("CreateTokenRequest's required fields in the spec = %v, want [role label]", got)
	}
	if !spec.Definitions["v1Assembly"].Properties["roll_digest"].ReadOnly {
		t.Error("the spec does not mark Assembly.roll_digest read-only")
	}
	var ae apiError
	if code := e.do("POST", "/v1/tokens", e.admin, map[string]any{"role": "ROLE_AUDITOR"}, &ae); code != http.StatusBadRequest {
		t.Errorf("CreateToken without a label: HTTP %d %s, want 400 as the spec's required says", code, ae.Message)
	}
}

func TestRollFiguresOverJSONAndGRPC(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("sushe")
	var imp struct {
		ImportedUnits int `json:"imported_units"`
		NewOwners     int `json:"new_owners"`
		Figures       struct {
			TotalAreaM2 string `json:"total_area_m2"`
			TotalHead   int    `json:"total_head"`
		} `json:"figures"`
	}
	if code := e.do("POST", "/v1/communities/sushe/units:import", e.admin, map[string]any{"units": statutoryRoll}, &imp); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	// 80.00 + 60.50 + 90.00 + 70.25 + 50.00 + 55.00 = 405.75 m²;
	// heads: 甲 (two units), the co-owned unit, 丁, the developer = 4.
	if imp.ImportedUnits != 6 || imp.NewOwners != 4 || imp.Figures.TotalAreaM2 != "405.75" || imp.Figures.TotalHead != 4 {
		t.Errorf("import reply = %+v, want 6 units, 4 new owners, 405.75 m², 4 heads", imp)
	}
	got, err := ov.NewRollServiceClient(e.conn).GetRollFigures(e.ctx(e.admin), &ov.GetRollFiguresRequest{CommunityId: "sushe"})
	if err != nil {
		t.Fatal(err)
	}
	want := &ov.RollFigures{UnitCount: 6, TotalAreaM2: "405.75", TotalHead: 4, DeveloperUnitCount: 2, DeveloperAreaM2: "105.00", MultiUnitOwnerCount: 1, CoOwnedUnitCount: 1}
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&ov.RollFigures{}, "basis")); diff != "" {
		t.Errorf("GetRollFigures (-want +got):\n%s", diff)
	}

	var units struct {
		Units []struct {
			UnitID          string `json:"unit_id"`
			EffectiveAreaM2 string `json:"effective_area_m2"`
			VoterOwnerID    string `json:"voter_owner_id"`
			Owners          []struct {
				Name        string `json:"name"`
				MaskedPhone string `json:"masked_phone"`
			} `json:"owners"`
		} `json:"units"`
		TotalSize int `json:"total_size"`
	}
	e.do("GET", "/v1/communities/sushe/units?building=1", e.admin, nil, &units)
	if len(units.Units) != 4 || units.TotalSize != 4 {
		t.Fatalf("building 1 has %d units (total_size %d), want 4 (4)", len(units.Units), units.TotalSize)
	}
	if u := units.Units[3]; u.UnitID != "1-1-202" || u.EffectiveAreaM2 != "70.25" {
		t.Errorf("unit 1-1-202 = %+v, want surveyed area 70.25 to count", u)
	}
	if units.Units[0].VoterOwnerID != units.Units[1].VoterOwnerID {
		t.Error("the two units of one owner have different voters")
	}
	if o := units.Units[0].Owners[0]; o.Name != "甲" || o.MaskedPhone != "138****0001" {
		t.Errorf("staff view of owner = %+v, want name and masked phone", o)
	}

	// Paging returns every unit exactly once.
	var seen []string
	tok := ""
	for {
		var page struct {
			Units []struct {
				UnitID string `json:"unit_id"`
			} `json:"units"`
			Next string `json:"next_page_token"`
		}
		e.do("GET", "/v1/communities/sushe/units?page_size=4&page_token="+tok, e.admin, nil, &page)
		for _, u := range page.Units {
			seen = append(seen, u.UnitID)
		}
		if page.Next == "" {
			break
		}
		tok = page.Next
	}
	if diff := cmp.Diff([]string{"1-1-101", "1-1-102", "1-1-201", "1-1-202", "2-1-101", "2-1-102"}, seen); diff != "" {
		t.Errorf("paged units (-want +got):\n%s", diff)
	}

	// A page token goes with its list: mangled, made up, or sent with
	// another filter or list, it is refused, not read as the list's end or
	// as another place to start.
	var first struct {
		Next string `json:"next_page_token"`
	}
	e.do("GET", "/v1/communities/sushe/units?building=1&page_size=1", e.admin, nil, &first)
	if first.Next == "" {
		t.Fatal("no next page of building 1")
	}
	mangled := []byte(first.Next)
	mangled[len(mangled)-1] ^= 1
	for _, path := range []string{
		"/v1/communities/sushe/units?page_token=garbage",
		"/v1/communities/sushe/units?page_token=AAAA",
		"/v1/communities/sushe/units?building=1&page_token=" + string(mangled),
		"/v1/communities/sushe/units?page_token=" + first.Next, // the filter left out
		"/v1/communities/sushe/units?building=2&page_token=" + first.Next,
		"/v1/communities/sushe/owners?page_token=" + first.Next,
		"/v1/communities?page_token=" + first.Next,
	} {
		var ae apiError
		if code := e.do("GET", path, e.admin, nil, &ae); code != http.StatusBadRequest || ae.reason() != "INVALID_ARGUMENT" || !strings.Contains(ae.zh(), "翻页标记") {
			t.Errorf("GET %s = %d %s %q, want 400 INVALID_ARGUMENT", path, code, ae.reason(), ae.zh())
		}
	}
	var next struct {
		Units []struct {
			UnitID string `json:"unit_id"`
		} `json:"units"`
	}
	if code := e.do("GET", "/v1/communities/sushe/units?building=1&page_size=1&page_token="+first.Next, e.admin, nil, &next); code != http.StatusOK || len(next.Units) != 1 || next.Units[0].UnitID != "1-1-102" {
		t.Errorf("the next page of building 1: %d %+v", code, next)
	}
}

func TestImportErrorsOverJSONWriteNothing(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("sushe")
	bad := []map[string]any{
		unitJSON("1-1-101", "80.00", ownerJSON(1, "甲")),
		unitJSON("1-1-101", "80.00", ownerJSON(2, "乙")),   // duplicate unit
		unitJSON("1-1-102", "80,5", ownerJSON(3, "丙")),    // bad area
		unitJSON("1-1-103", "70.00"),                      // missing owner
		unitJSON("1-1-104", "70.00", ownerJSON(1, "不是甲")), // conflicting owner
	}
	var ae apiError
	code := e.do("POST", "/v1/communities/sushe/units:import", e.admin, map[string]any{"units": bad}, &ae)
	if code != http.StatusBadRequest || ae.reason() != "INVALID_IMPORT" {
		t.Fatalf("bad import: HTTP %d reason %q, want 400 INVALID_IMPORT", code, ae.reason())
	}
	type fv struct{ Field, Reason string }
	var got []fv
	for _, d := range ae.Details {
		for _, v := range d.FieldViolations {
			got = append(got, fv{v.Field, v.Reason})
			if v.Description == "" {
				t.Errorf("violation %s has no description", v.Field)
			}
		}
	}
	want := []fv{
		{"units[1].unit_id", "DUPLICATE_UNIT"},
		{"units[2].registered_area_m2", "BAD_AREA"},
		{"units[3].owners", "MISSING_OWNER"},
		{"units[4].owners[0].name", "CONFLICTING_OWNER"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("field violations (-want +got):\n%s", diff)
	}
	var units struct {
		Units []any `json:"units"`
	}
	e.do("GET", "/v1/communities/sushe/units", e.admin, nil, &units)
	if len(units.Units) != 0 {
		t.Errorf("%d units after a refused import, want 0", len(units.Units))
	}
	var owners struct {
		Owners []any `json:"owners"`
	}
	e.do("GET", "/v1/communities/sushe/owners", e.admin, nil, &owners)
	if len(owners.Owners) != 0 {
		t.Errorf("%d owners after a refused import, want 0", len(owners.Owners))
	}

	// Unknown JSON fields are refused, not ignored.
	code = e.do("POST", "/v1/communities/sushe/units:import", e.admin, map[string]any{"unitz": bad}, &ae)
	if code != http.StatusBadRequest {
		t.Errorf("import with unknown field: HTTP %d, want 400", code)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	rs := ov.NewRollServiceClient(e.conn)
	_, err := rs.GetCommunity(e.ctx(""), &ov.GetCommunityRequest{CommunityId: "east"})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("GetCommunity without token = %v, want Unauthenticated", err)
	}
	_, err = rs.GetCommunity(e.ctx("ovt_not-a-real-token"), &ov.GetCommunityRequest{CommunityId: "east"})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("GetCommunity with unknown token = %v, want Unauthenticated", err)
	}
	var ae apiError
	if code := e.do("GET", "/v1/communities/east", "", nil, &ae); code != http.StatusUnauthorized || ae.reason() != "UNAUTHENTICATED" {
		t.Errorf("JSON without token: HTTP %d %q, want 401 UNAUTHENTICATED", code, ae.reason())
	}
	// A 401 challenges as RFC 6750 says, not with the error's text.
	for token, want := range map[string]string{"": `Bearer realm="ownervote"`, "ovt_not-a-real-token": `Bearer realm="ownervote", error="invalid_token"`} {
		req, _ := http.NewRequest("GET", "http://"+e.srv.HTTPAddr()+"/v1/communities/east", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || got != want {
			t.Errorf("token %q: HTTP %d, WWW-Authenticate %q, want 401 and %q", token, resp.StatusCode, got, want)
		}
	}
	// A body sent without a token is refused before it is read: the
	// answer comes while the body still trickles in (the server reads
	// bodies whole before the gateway, up to --max-request-bytes).
	for _, token := range []string{"", "ovt_not-a-real-token"} {
		pr, pw := io.Pipe()
		go func() { pw.Write(bytes.Repeat([]byte(" "), 1024)) }() // and then nothing
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+e.srv.HTTPAddr()+"/v1/communities/east/units:import", pr)
		req.ContentLength = 8 << 20
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("a body without a valid token: %v, want 401 before the body is read", err)
		} else {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("a body without a valid token: HTTP %d, want 401", resp.StatusCode)
			}
		}
		cancel()
		pw.Close()
	}
	staff := e.token(auth.CommunityStaff, "east")
	if code := e.do("GET", "/v1/communities/east", staff, nil, nil); code != http.StatusOK {
		t.Fatalf("staff GET own community: HTTP %d", code)
	}
	// The scheme's case does not matter; a token without one is refused.
	for header, want := range map[string]codes.Code{"bearer " + staff: codes.OK, "BEARER " + staff: codes.OK, staff: codes.Unauthenticated, "Basic " + staff: codes.Unauthenticated} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", header)
		if _, err := rs.GetCommunity(ctx, &ov.GetCommunityRequest{CommunityId: "east"}); status.Code(err) != want {
			t.Errorf("GetCommunity with authorization %q…: %v, want %v", header[:8], err, want)
		}
	}
	ts := ov.NewTokenServiceClient(e.conn)
	list, err := ts.ListTokens(e.ctx(e.admin), &ov.ListTokensRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var staffID string
	for _, tk := range list.GetTokens() {
		if tk.GetCommunityId() == "east" {
			staffID = tk.GetTokenId()
		}
	}
	if _, err := ts.RevokeToken(e.ctx(e.admin), &ov.RevokeTokenRequest{TokenId: staffID}); err != nil {
		t.Fatal(err)
	}
	if code := e.do("GET", "/v1/communities/east", staff, nil, nil); code != http.StatusUnauthorized {
		t.Errorf("revoked token: HTTP %d, want 401", code)
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	e.createCommunity("west")
	rs := ov.NewRollServiceClient(e.conn)
	eastStaff := e.token(auth.CommunityStaff, "east")
	auditor := e.token(auth.Auditor, "")
	committee := e.token(auth.CommitteeMember, "east")

	// Wrong role.
	_, err := rs.ImportUnits(e.ctx(auditor), &ov.ImportUnitsRequest{CommunityId: "east"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("auditor ImportUnits = %v, want PermissionDenied", err)
	}
	var ae apiError
	if code := e.do("POST", "/v1/communities", eastStaff, map[string]any{"name": "x", "street_office": "y"}, &ae); code != http.StatusForbidden || ae.reason() != "PERMISSION_DENIED" {
		t.Errorf("staff creates community over JSON: HTTP %d %q, want 403 PERMISSION_DENIED", code, ae.reason())
	}
	if _, err := ov.NewTokenServiceClient(e.conn).CreateToken(e.ctx(committee), &ov.CreateTokenRequest{Role: ov.Role_ROLE_STREET_ADMIN, Label: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("committee CreateToken = %v, want PermissionDenied", err)
	}
	// Other community, over gRPC and JSON.
	_, err = rs.GetCommunity(e.ctx(eastStaff), &ov.GetCommunityRequest{CommunityId: "west"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("east staff GetCommunity(west) = %v, want PermissionDenied", err)
	}
	if code := e.do("POST", "/v1/communities/west/units:import", eastStaff, map[string]any{"units": statutoryRoll}, nil); code != http.StatusForbidden {
		t.Errorf("east staff imports into west over JSON: HTTP %d, want 403", code)
	}
	var units struct {
		Units []any `json:"units"`
	}
	e.do("GET", "/v1/communities/west/units", e.admin, nil, &units)
	if len(units.Units) != 0 {
		t.Errorf("west has %d units after a refused import, want 0", len(units.Units))
	}
	// Lists show only the token's communities.
	got, err := rs.ListCommunities(e.ctx(eastStaff), &ov.ListCommunitiesRequest{})
	if err != nil || len(got.GetCommunities()) != 1 || got.GetCommunities()[0].GetCommunityId() != "east" {
		t.Errorf("east staff ListCommunities = %v, %v; want only east", got, err)
	}
	all, err := rs.ListCommunities(e.ctx(auditor), &ov.ListCommunitiesRequest{})
	if err != nil || len(all.GetCommunities()) != 2 {
		t.Errorf("auditor ListCommunities = %v, %v; want both", all, err)
	}
	// Names are for staff only.
	if _, err := rs.ImportUnits(e.ctx(eastStaff), &ov.ImportUnitsRequest{CommunityId: "east", Units: []*ov.UnitInput{{
		UnitId: "1-1-101", RegisteredAreaM2: "80", Owners: []*ov.OwnerInput{{Name: "甲", IdNumber: idNumber(1), Phone: "13800000001"}},
	}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token    string
		wantName string
	}{{eastStaff, "甲"}, {auditor, ""}, {committee, ""}} {
		owners, err := rs.ListOwners(e.ctx(tc.token), &ov.ListOwnersRequest{CommunityId: "east"})
		if err != nil {
			t.Fatal(err)
		}
		if o := owners.GetOwners()[0]; o.GetName() != tc.wantName || o.GetMaskedPhone() != "138****0001" {
			t.Errorf("owner seen as %s = name %q phone %q, want name %q, masked phone", tc.token[:8], o.GetName(), o.GetMaskedPhone(), tc.wantName)
		}
	}
}

// TestRevealQuotaOverAPI: past its day's quota of owners' numbers, a
// token's reveal is RESOURCE_EXHAUSTED REVEAL_QUOTA over gRPC and 429 over
// JSON, in Chinese too, and nothing is recorded.
func TestRevealQuotaOverAPI(t *testing.T) {
	e := newEnv(t)
	e.revealQuota = 1
	e.restart()
	e.createCommunity("east")
	if code := e.do("POST", "/v1/communities/east/units:import", e.admin, map[string]any{"units": statutoryRoll}, nil); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	rs := ov.NewRollServiceClient(e.conn)
	owners, err := rs.ListOwners(e.ctx(e.admin), &ov.ListOwnersRequest{CommunityId: "east"})
	if err != nil || len(owners.GetOwners()) < 2 {
		t.Fatalf("ListOwners = %v, %v", owners, err)
	}
	first, second := owners.GetOwners()[0].GetOwnerId(), owners.GetOwners()[1].GetOwnerId()
	staff := e.token(auth.CommunityStaff, "east")
	if _, err := rs.RevealOwnerPhone(e.ctx(staff), &ov.RevealOwnerPhoneRequest{CommunityId: "east", OwnerId: first, Reason: "电话动员"}); err != nil {
		t.Fatal(err)
	}
	_, err = rs.RevealOwnerPhone(e.ctx(staff), &ov.RevealOwnerPhoneRequest{CommunityId: "east", OwnerId: second, Reason: "电话动员"})
	if status.Code(err) != codes.ResourceExhausted || server.ReasonOf(err) != "REVEAL_QUOTA" || !strings.Contains(server.ZhOf(err), "已达每日上限") {
		t.Errorf("second owner's number = %v (%s, %q), want RESOURCE_EXHAUSTED REVEAL_QUOTA", err, server.ReasonOf(err), server.ZhOf(err))
	}
	var wait time.Duration
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			wait = ri.GetRetryDelay().AsDuration()
		}
	}
	if wait <= 0 || wait > 24*time.Hour {
		t.Errorf("RetryInfo's delay = %v, want the time until midnight, China time", wait)
	}
	var body map[string]any
	if code := e.do("POST", "/v1/communities/east/owners/"+second+":revealPhone", staff, map[string]any{"reason": "电话动员"}, &body); code != http.StatusTooManyRequests {
		t.Errorf("over JSON: HTTP %d %v, want 429", code, body)
	}
	if log, _ := e.book.AccessLog(e.ctx("")); len(log) != 1 {
		t.Errorf("access log = %+v, want the one reveal given", log)
	} else if logs := e.logs.String(); !strings.Contains(logs, "level=WARN msg=\"phone reveal refused: the sign-in's quota for today is used up\" community=east token="+log[0].TokenID) || strings.Contains(logs, staff) {
		t.Errorf("server log: want a warning naming the token id (and never its secret):\n%s", logs)
	}
	// Another sign-in has its own quota.
	if _, err := rs.RevealOwnerPhone(e.ctx(e.token(auth.CommunityStaff, "east")), &ov.RevealOwnerPhoneRequest{CommunityId: "east", OwnerId: second, Reason: "电话动员"}); err != nil {
		t.Errorf("another token: %v", err)
	}
}

func TestRevealPhoneAndKeysOverAPI(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	if code := e.do("POST", "/v1/communities/east/units:import", e.admin, map[string]any{"units": statutoryRoll}, nil); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	rs := ov.NewRollServiceClient(e.conn)
	owners, err := rs.ListOwners(e.ctx(e.admin), &ov.ListOwnersRequest{CommunityId: "east"})
	if err != nil {
		t.Fatal(err)
	}
	var jia, bing *ov.Owner
	for _, o := range owners.GetOwners() {
		switch o.GetName() {
		case "甲":
			jia = o
		case "丙":
			bing = o
		}
	}
	if len(jia.GetVotingUnitIds()) != 2 || len(bing.GetVotingUnitIds()) != 0 {
		t.Fatalf("voting units: 甲 %v, 丙 %v; want two and none", jia.GetVotingUnitIds(), bing.GetVotingUnitIds())
	}
	platform := e.token(auth.Platform, "")
	if _, err := rs.RevealOwnerPhone(e.ctx(platform), &ov.RevealOwnerPhoneRequest{CommunityId: "east", OwnerId: jia.GetOwnerId(), Reason: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("platform RevealOwnerPhone = %v, want PermissionDenied", err)
	}
	var rev struct {
		Phone string `json:"phone"`
	}
	if code := e.do("POST", "/v1/communities/east/owners/"+jia.GetOwnerId()+":revealPhone", e.admin, map[string]any{"reason": "电话动员"}, &rev); code != http.StatusOK || rev.Phone != "13800000001" {
		t.Errorf("reveal phone: HTTP %d %q", code, rev.Phone)
	}
	if log, _ := e.book.AccessLog(e.ctx("")); len(log) != 1 || log[0].Reason != "电话动员" {
		t.Errorf("access log = %+v, want the reveal recorded", log)
	}
	// Who looked at whose number can be read: by an auditor, page by page,
	// for this community only, never with the number.
	staffTok := e.token(auth.CommunityStaff, "east")
	if _, err := rs.RevealOwnerPhone(e.ctx(staffTok), &ov.RevealOwnerPhoneRequest{CommunityId: "east", OwnerId: bing.GetOwnerId(), Reason: "家属来电 13912345678 要求回拨"}); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "reason") ||
		!strings.HasPrefix(server.ZhOf(err), "查看完整号码的理由不能含电话") {
		t.Errorf("a reveal whose reason holds a phone number: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := rs.RevealOwnerPhone(e.ctx(staffTok), &ov.RevealOwnerPhoneRequest{CommunityId: "east", OwnerId: bing.GetOwnerId(), Reason: "核对住址"}); err != nil {
		t.Fatal(err)
	}
	e.createCommunity("west")
	auditor := e.token(auth.Auditor, "")
	var page struct {
		Reveals []struct {
			OwnerID    string `json:"owner_id"`
			TokenLabel string `json:"token_label"`
			Reason     string `json:"reason"`
			RevealTime string `json:"reveal_time"`
		} `json:"reveals"`
		Next string `json:"next_page_token"`
	}
	raw := func(path, tok string) string {
		t.Helper()
		var out json.RawMessage
		if code := e.do("GET", path, tok, nil, &out); code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, code, out)
		}
		json.Unmarshal(out, &page)
		return string(out)
	}
	first := raw("/v1/communities/east/phoneReveals?page_size=1", auditor)
	if len(page.Reveals) != 1 || page.Reveals[0].OwnerID != jia.GetOwnerId() || page.Reveals[0].Reason != "电话动员" || page.Reveals[0].RevealTime == "" || page.Next == "" {
		t.Errorf("first page of reveals: %s", first)
	}
	second := raw("/v1/communities/east/phoneReveals?page_size=1&page_token="+page.Next, auditor)
	if len(page.Reveals) != 1 || page.Reveals[0].OwnerID != bing.GetOwnerId() || !strings.Contains(page.Reveals[0].TokenLabel, "east") || page.Next != "" {
		t.Errorf("second page of reveals: %s", second)
	}
	if strings.Contains(first+second, "1380000") {
		t.Error("the list of reveals holds a phone number")
	}
	if west := raw("/v1/communities/west/phoneReveals", auditor); len(page.Reveals) != 0 {
		t.Errorf("reveals of another community: %s", west)
	}
	if _, err := rs.ListPhoneReveals(e.ctx(staffTok), &ov.ListPhoneRevealsRequest{CommunityId: "east"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("staff ListPhoneReveals = %v, want PermissionDenied", err)
	}
	if strings.Contains(e.logs.String(), "13800000001") {
		t.Error("the server log contains a full phone number")
	}

	pub, _, _ := ed25519.GenerateKey(nil)
	k, err := rs.RegisterOwnerKey(e.ctx(platform), &ov.RegisterOwnerKeyRequest{CommunityId: "east", OwnerId: jia.GetOwnerId(), PublicKey: pub})
	if err != nil || k.GetStatus() != ov.KeyStatus_KEY_STATUS_ACTIVE {
		t.Fatalf("RegisterOwnerKey = %v, %v", k, err)
	}
	_, err = rs.RegisterOwnerKey(e.ctx(platform), &ov.RegisterOwnerKeyRequest{CommunityId: "east", OwnerId: bing.GetOwnerId(), PublicKey: pub})
	if status.Code(err) != codes.FailedPrecondition && status.Code(err) != codes.AlreadyExists {
		t.Errorf("RegisterOwnerKey(non-representative) = %v, want refused", err)
	}
	var keys struct {
		Keys []struct {
			KeyID  string `json:"key_id"`
			Status string `json:"status"`
		} `json:"keys"`
	}
	pub2, _, _ := ed25519.GenerateKey(nil)
	if _, err := rs.RotateOwnerKey(e.ctx(platform), &ov.RotateOwnerKeyRequest{CommunityId: "east", OwnerId: jia.GetOwnerId(), KeyId: k.GetKeyId(), NewPublicKey: pub2}); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/v1/communities/east/owners/"+jia.GetOwnerId()+"/keys", e.admin, nil, &keys)
	if len(keys.Keys) != 2 || keys.Keys[0].Status != "KEY_STATUS_REVOKED" || keys.Keys[1].Status != "KEY_STATUS_ACTIVE" {
		t.Errorf("key history = %+v, want the old key revoked and the new one active", keys.Keys)
	}
}

func TestRestartKeepsData(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	if code := e.do("POST", "/v1/communities/east/units:import", e.admin, map[string]any{"units": statutoryRoll}, nil); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	e.restart()
	var c struct {
		Figures struct {
			UnitCount   int    `json:"unit_count"`
			TotalAreaM2 string `json:"total_area_m2"`
			TotalHead   int    `json:"total_head"`
		} `json:"figures"`
	}
	if code := e.do("GET", "/v1/communities/east", e.admin, nil, &c); code != http.StatusOK {
		t.Fatalf("after restart: HTTP %d", code)
	}
	if c.Figures.UnitCount != 6 || c.Figures.TotalAreaM2 != "405.75" || c.Figures.TotalHead != 4 {
		t.Errorf("figures after restart = %+v, want 6 units, 405.75 m², 4 heads", c.Figures)
	}
	if err := e.st.Check(); err != nil {
		t.Errorf("bbolt check after restart: %v", err)
	}
}

// TestRefusedCallsAreLogged: a call the authorizer refuses is logged with
// the token its secret named, where it came from and why — over gRPC and
// JSON — so that a sign-in probing another community, or a revoked secret
// in use, can be traced; never with the secret.
func TestRefusedCallsAreLogged(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	e.createCommunity("west")
	staff := e.token(auth.CommunityStaff, "east")
	rs := ov.NewRollServiceClient(e.conn)
	if _, err := rs.GetCommunity(e.ctx(staff), &ov.GetCommunityRequest{CommunityId: "west"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("east's staff reading west: %v", err)
	}
	if code := e.do("GET", "/v1/communities/west/figures", staff, nil, nil); code != http.StatusForbidden {
		t.Fatalf("east's staff reading west's figures over JSON: %d", code)
	}
	if _, err := rs.GetCommunity(e.ctx("ovt_not-a-real-token"), &ov.GetCommunityRequest{CommunityId: "east"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("an unknown secret: %v", err)
	}
	// A JSON call with a body, refused before its body is read.
	if code := e.do("POST", "/v1/communities/east/units:import", "ovt_not-a-real-token", map[string]any{"units": []any{}}, nil); code != http.StatusUnauthorized {
		t.Fatalf("an unknown secret posting an import: %d", code)
	}
	var id string
	list, _ := ov.NewTokenServiceClient(e.conn).ListTokens(e.ctx(e.admin), &ov.ListTokensRequest{})
	for _, tk := range list.GetTokens() {
		if tk.GetCommunityId() == "east" {
			id = tk.GetTokenId()
		}
	}
	logs := e.logs.String()
	var refused []string
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "msg=\"call refused\"") {
			refused = append(refused, l)
		}
	}
	if len(refused) != 4 {
		t.Fatalf("%d refusals logged, want 4:\n%s", len(refused), strings.Join(refused, ""))
	}
	for i, want := range []string{"method=GetCommunity token=" + id + " from=127.0.0.1:", "method=GetRollFigures token=" + id + " from=127.0.0.1", "method=GetCommunity token=\"\" from=127.0.0.1:",
		"method=\"POST /v1/communities/east/units:import\" token=\"\" from=127.0.0.1:"} {
		if !strings.Contains(refused[i], want) {
			t.Errorf("refusal %d logged as %q, want %q", i, refused[i], want)
		}
	}
	if strings.Contains(logs, staff) || strings.Contains(logs, "ovt_not-a-real-token") {
		t.Error("the log holds a token's secret")
	}
}
