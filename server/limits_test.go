package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/server"
)

// reconfigure restarts e's server (same database) with changed limits.
func (e *env) reconfigure(f func(*server.Config)) {
	e.t.Helper()
	e.configure = f
	e.restart()
}

// unitCount counts a community's units in the store itself, past every
// limit of the API.
func (e *env) unitCount(community string) int {
	e.t.Helper()
	units, err := e.book.Units(context.Background(), community)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(units)
}

// developerUnits are n unsold developer units (no owners needed).
func developerUnits(prefix string, n int) []*ov.UnitInput {
	units := make([]*ov.UnitInput, n)
	for i := range units {
		units[i] = &ov.UnitInput{UnitId: fmt.Sprintf("%s-%04d", prefix, i), RegisteredAreaM2: "50.00", Kind: ov.UnitKind_UNIT_KIND_DEVELOPER_UNSOLD}
	}
	return units
}

// rawPost sends body as is (chunked when chunked is set) and returns the
// HTTP status and the decoded error body.
func (e *env) rawPost(path, token string, body []byte, chunked bool) (int, apiError) {
	e.t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // hides the length: sent chunked
	}
	req, err := http.NewRequest("POST", "http://"+e.srv.HTTPAddr()+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ae apiError
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &ae)
	return resp.StatusCode, ae
}

func TestRequestSizeLimit(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	const max = 16 << 10
	e.reconfigure(func(c *server.Config) { c.Limits.MaxRequestBytes = max })
	rs := ov.NewRollServiceClient(e.conn)

	// About 23 bytes a unit in protobuf, 80 in JSON: 2000 units are well
	// over 16 KiB either way.
	big := developerUnits("1-1", 2000)
	_, err := rs.ImportUnits(e.ctx(e.admin), &ov.ImportUnitsRequest{CommunityId: "east", Units: big})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("gRPC ImportUnits of %d units over a %d-byte limit = %v, want ResourceExhausted", len(big), max, err)
	}
	bigJSON, err := json.Marshal(map[string]any{"units": big})
	if err != nil {
		t.Fatal(err)
	}
	for _, chunked := range []bool{false, true} {
		code, ae := e.rawPost("/v1/communities/east/units:import", e.admin, bigJSON, chunked)
		if code != http.StatusRequestEntityTooLarge || ae.reason() != "REQUEST_TOO_LARGE" || ae.Code != int(codes.ResourceExhausted) {
			t.Errorf("JSON import of %d bytes (chunked %v) = HTTP %d %s code %d, want 413 REQUEST_TOO_LARGE code 8", len(bigJSON), chunked, code, ae.reason(), ae.Code)
		}
	}
	if n := e.unitCount("east"); n != 0 {
		t.Errorf("%d units stored after over-size imports, want 0", n)
	}
	// Under the limit, the same request goes through.
	small := big[:100]
	if _, err := rs.ImportUnits(e.ctx(e.admin), &ov.ImportUnitsRequest{CommunityId: "east", Units: small}); err != nil {
		t.Fatalf("ImportUnits of 100 units: %v", err)
	}
	if n := e.unitCount("east"); n != 100 {
		t.Errorf("%d units after a 100-unit import, want 100", n)
	}
}

func TestDefaultLimitsAllowNormalUse(t *testing.T) {
	if server.DefaultMaxRequestBytes != 16<<20 || server.DefaultTokenBurst < 64 || server.DefaultTokenRate < 100 || server.DefaultRequestTimeout < 10*time.Second {
		t.Errorf("defaults: %d bytes, %g/s, burst %d, timeout %s; want 16 MiB and room for a phone campaign", server.DefaultMaxRequestBytes,
			float64(server.DefaultTokenRate), server.DefaultTokenBurst, server.DefaultRequestTimeout)
	}
	// A 166-household roster with names, identity numbers and phones is
	// far under the default request size.
	e := newEnv(t)
	e.createCommunity("dorm")
	units := make([]*ov.UnitInput, households)
	for i := range units {
		units[i] = &ov.UnitInput{UnitId: fmt.Sprintf("1-1-%03d", i), RegisteredAreaM2: "80.00",
			Owners: []*ov.OwnerInput{{Name: fmt.Sprintf("业主%03d", i), IdNumber: idNumberN(i), Phone: fmt.Sprintf("138%08d", i)}}}
	}
	if _, err := ov.NewRollServiceClient(e.conn).ImportUnits(e.ctx(e.admin), &ov.ImportUnitsRequest{CommunityId: "dorm", Units: units}); err != nil {
		t.Fatalf("import of 166 households with default limits: %v", err)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	staff := e.token(auth.CommunityStaff, "east")
	const burst = 3
	// Practically no refill: the fourth call of a token is refused.
	e.reconfigure(func(c *server.Config) { c.Limits.TokenRate, c.Limits.TokenBurst = 0.001, burst })
	rs := ov.NewRollServiceClient(e.conn)
	for i := range burst {
		if _, err := rs.GetCommunity(e.ctx(staff), &ov.GetCommunityRequest{CommunityId: "east"}); err != nil {
			t.Fatalf("call %d of %d: %v", i+1, burst, err)
		}
	}
	_, err := rs.ImportUnits(e.ctx(staff), &ov.ImportUnitsRequest{CommunityId: "east", Units: developerUnits("1-1", 3)})
	if status.Code(err) != codes.ResourceExhausted || server.ReasonOf(err) != "RATE_LIMITED" {
		t.Fatalf("call %d = %v (%s), want ResourceExhausted RATE_LIMITED", burst+1, err, server.ReasonOf(err))
	}
	var retry *errdetails.RetryInfo
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("rate-limited reply has RetryInfo %v, want a positive delay", retry)
	}
	code, ae := e.rawPost("/v1/communities/east/units:import", staff, []byte(`{"units":[{"unit_id":"1-1-1","registered_area_m2":"50","kind":"UNIT_KIND_DEVELOPER_UNSOLD"}]}`), false)
	if code != http.StatusTooManyRequests || ae.reason() != "RATE_LIMITED" {
		t.Errorf("JSON import over the limit = HTTP %d %s, want 429 RATE_LIMITED", code, ae.reason())
	}
	// And says when to try again in the header HTTP clients read.
	req, _ := http.NewRequest("GET", "http://"+e.srv.HTTPAddr()+"/v1/communities/east", nil)
	req.Header.Set("Authorization", "Bearer "+staff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != http.StatusTooManyRequests || err != nil || secs < 1 {
		t.Errorf("HTTP %d, Retry-After %q; want 429 and whole seconds", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := e.unitCount("east"); n != 0 {
		t.Errorf("%d units stored by refused imports, want 0", n)
	}
	// Another token has its own bucket.
	if _, err := rs.ImportUnits(e.ctx(e.admin), &ov.ImportUnitsRequest{CommunityId: "east", Units: developerUnits("1-1", 3)}); err != nil {
		t.Errorf("another token's call: %v", err)
	}
	// Health checks carry no token and are never limited.
	for range burst + 2 {
		if code := e.do("GET", "/healthz", "", nil, nil); code != http.StatusOK {
			t.Fatalf("GET /healthz = %d under rate limits, want 200", code)
		}
	}
}

func TestRequestDeadline(t *testing.T) {
	v := newVote(t, nil)
	e := v.e
	e.reconfigure(func(c *server.Config) { c.Limits.RequestTimeout = time.Nanosecond })
	v.rs, v.as = ov.NewRollServiceClient(e.conn), ov.NewAssemblyServiceClient(e.conn)
	before := e.unitCount(v.community)

	// A call without a deadline of its own gets the server's (here 1 ns):
	// it fails before anything is written.
	noDeadline := metadataCtx(context.Background(), e.admin)
	_, err := v.rs.ImportUnits(noDeadline, &ov.ImportUnitsRequest{CommunityId: v.community, Units: developerUnits("9-9", 3)})
	if status.Code(err) != codes.DeadlineExceeded || server.ReasonOf(err) != "DEADLINE_EXCEEDED" {
		t.Errorf("ImportUnits without a client deadline = %v (%s), want DeadlineExceeded DEADLINE_EXCEEDED", err, server.ReasonOf(err))
	}
	// The gateway sets no deadline either.
	code, ae := e.rawPost("/v1/communities/"+v.community+"/units:import", e.admin, []byte(`{"units":[{"unit_id":"9-9-1","registered_area_m2":"50","kind":"UNIT_KIND_DEVELOPER_UNSOLD"}]}`), false)
	if code != http.StatusGatewayTimeout || ae.reason() != "DEADLINE_EXCEEDED" {
		t.Errorf("JSON import under a 1 ns default deadline = HTTP %d %s, want 504 DEADLINE_EXCEEDED", code, ae.reason())
	}
	if n := e.unitCount(v.community); n != before {
		t.Errorf("%d units after timed-out imports, want %d", n, before)
	}

	// A client's own deadline is kept.
	if _, err := v.rs.ImportUnits(e.ctx(e.admin), &ov.ImportUnitsRequest{CommunityId: v.community, Units: developerUnits("9-9", 3)}); err != nil {
		t.Fatalf("ImportUnits with a 30 s client deadline: %v", err)
	}

	// A stream gets no default deadline: WatchProgress keeps delivering.
	watchCtx, cancel := context.WithCancel(metadataCtx(context.Background(), e.admin))
	defer cancel()
	stream, err := v.as.WatchProgress(watchCtx, &ov.WatchProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first progress: %v", err)
	}
	time.Sleep(20 * time.Millisecond)
	v.cast(t, 41, ballot.Platform, "AGREE")
	next, err := stream.Recv()
	if err != nil || next.GetCounted() != 1 {
		t.Errorf("progress after a ballot = %v, %v; want counted 1 on a stream without deadline", next.GetCounted(), err)
	}
}

// A stream is logged as a call is, when it ends: a refused WatchProgress
// shows in the log with its code.
func TestStreamsAreLogged(t *testing.T) {
	v := newVote(t, nil)
	stream, err := v.as.WatchProgress(metadataCtx(context.Background(), "ovt_not-a-token"), &ov.WatchProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("WatchProgress with an unknown token: %v", err)
	}
	v.e.stop() // the log is read once the server is done writing it
	if want := "msg=rpc method=/ownervote.v1.AssemblyService/WatchProgress code=Unauthenticated"; !strings.Contains(v.e.logs.String(), want) {
		t.Errorf("the log has no line %q", want)
	}
}

func TestListPagesAreBounded(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("big")
	rs := ov.NewRollServiceClient(e.conn)
	if _, err := rs.ImportUnits(e.ctx(e.admin), &ov.ImportUnitsRequest{CommunityId: "big", Units: developerUnits("1-1", 1200)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pageSize int32
		want     int
		wantCode codes.Code
	}{
		{0, 100, codes.OK},
		{10, 10, codes.OK},
		{1000, 1000, codes.OK},
		{5000, 1000, codes.OK},
		{1 << 30, 1000, codes.OK},
		{-1, 0, codes.InvalidArgument},
	}
	for _, tc := range tests {
		page, err := rs.ListUnits(e.ctx(e.admin), &ov.ListUnitsRequest{CommunityId: "big", PageSize: tc.pageSize})
		if status.Code(err) != tc.wantCode || len(page.GetUnits()) != tc.want {
			t.Errorf("ListUnits(page_size %d) = %d units, %v; want %d, %v", tc.pageSize, len(page.GetUnits()), status.Code(err), tc.want, tc.wantCode)
		}
		if err == nil && tc.want < 1200 && page.GetNextPageToken() == "" {
			t.Errorf("ListUnits(page_size %d): no next_page_token with units left", tc.pageSize)
		}
	}
	var units struct {
		Units []any `json:"units"`
	}
	if code := e.do("GET", "/v1/communities/big/units?page_size=100000", e.admin, nil, &units); code != http.StatusOK || len(units.Units) != 1000 {
		t.Errorf("JSON page_size=100000: HTTP %d with %d units, want 200 with 1000", code, len(units.Units))
	}
	var ae apiError
	if code := e.do("GET", "/v1/communities/big/units?page_size=-5", e.admin, nil, &ae); code != http.StatusBadRequest || ae.reason() != "INVALID_ARGUMENT" {
		t.Errorf("JSON page_size=-5: HTTP %d %s, want 400 INVALID_ARGUMENT", code, ae.reason())
	}
}

// TestSlowBodyIsCutOff: a JSON body that trickles in is cut off at the
// request deadline with 408, and nothing is written.
func TestSlowBodyIsCutOff(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	e.reconfigure(func(c *server.Config) { c.Limits.RequestTimeout = 200 * time.Millisecond })
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"units":[{"unit_id":"1-1-101","registered_area_m2":"50",`))
		time.Sleep(2 * time.Second)
		pw.Write([]byte(`"kind":"UNIT_KIND_DEVELOPER_UNSOLD"}]}`))
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", "http://"+e.srv.HTTPAddr()+"/v1/communities/east/units:import", pr)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ae apiError
	json.NewDecoder(resp.Body).Decode(&ae)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || ae.reason() != "DEADLINE_EXCEEDED" || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("slow body: HTTP %d %s after %s, want 408 DEADLINE_EXCEEDED within the deadline", resp.StatusCode, ae.reason(), time.Since(start))
	}
	if n := e.unitCount("east"); n != 0 {
		t.Errorf("%d units after a cut-off import, want 0", n)
	}
}

// TestGatewayOwnErrors: the errors the JSON gateway makes itself (a body
// or query it cannot decode, an unknown path, a method the path does not
// take) have a reason and a zh-CN message like every other error, and a
// wrong method is 405, not 501.
func TestGatewayOwnErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, method, path, body string
		code                     int
		reason                   string
		allow                    string // a 405's Allow header
	}{
		{"a body cut short", "POST", "/v1/tokens", `{"role":`, http.StatusBadRequest, "MALFORMED_REQUEST", ""},
		{"an unknown enum value", "POST", "/v1/tokens", `{"role": "ROLE_KING"}`, http.StatusBadRequest, "MALFORMED_REQUEST", ""},
		{"an unknown field", "POST", "/v1/tokens", `{"rank": 1}`, http.StatusBadRequest, "MALFORMED_REQUEST", ""},
		{"more after the body's JSON", "POST", "/v1/communities", `{"community_id": "x-1"} garbage`, http.StatusBadRequest, "MALFORMED_REQUEST", ""},
		{"two objects in a row", "POST", "/v1/tokens", `{"role": "STAFF"}{"role": "STREET_ADMIN"}`, http.StatusBadRequest, "MALFORMED_REQUEST", ""},
		{"a brace too many", "POST", "/v1/tokens", `{"role": "STAFF"}}`, http.StatusBadRequest, "MALFORMED_REQUEST", ""},
		{"a query value that is no number", "GET", "/v1/communities/dorm/units?page_size=abc", "", http.StatusBadRequest, "MALFORMED_REQUEST", ""},
		{"an unknown path", "GET", "/v1/nothing", "", http.StatusNotFound, "NO_SUCH_ENDPOINT", ""},
		{"a method the path does not take", "DELETE", "/v1/communities/dorm", "", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET"},
		{"a method a custom verb does not take", "DELETE", "/v1/communities/dorm/assemblies/a1:certify", "", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST"},
		{"a method a collection does not take", "DELETE", "/v1/communities/dorm/assemblies", "", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET, POST"},
		{"a POST of the OpenAPI description", "POST", "/openapi.json", "{}", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET, HEAD"},
		{"a POST of a public notice", "POST", "/notices/x.json", "{}", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET, HEAD"},
	} {
		req, err := http.NewRequest(c.method, "http://"+e.srv.HTTPAddr()+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ae apiError
		err = json.NewDecoder(resp.Body).Decode(&ae)
		resp.Body.Close()
		zh := ae.zh()
		if err != nil || resp.StatusCode != c.code || ae.reason() != c.reason || zh == "" || ae.Message == "" {
			t.Errorf("%s: HTTP %d %s %q (zh %q; %v), want %d %s with a zh-CN message", c.name, resp.StatusCode, ae.reason(), ae.Message, zh, err, c.code, c.reason)
		}
		if got := resp.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s: Allow %q, want %q", c.name, got, c.allow)
		}
	}
}

// TestMalformedJSONRequest: a JSON request that cannot be carried as a gRPC
// call (a path segment that is not UTF-8) is refused with 400
// MALFORMED_REQUEST, not an internal error. A header that is not valid
// gRPC metadata is dropped by the gateway, and the request goes on.
func TestMalformedJSONRequest(t *testing.T) {
	e := newEnv(t)
	var ae apiError
	if code := e.do("GET", "/v1/communities/%FF/units", e.admin, nil, &ae); code != http.StatusBadRequest || ae.reason() != "MALFORMED_REQUEST" {
		t.Errorf("a community id that is not UTF-8: HTTP %d %s (%s), want 400 MALFORMED_REQUEST", code, ae.reason(), ae.Message)
	}
	if code := e.do("GET", "/v1/communities/dorm/units?page_token=%FF", e.admin, nil, &ae); code != http.StatusBadRequest || ae.reason() != "MALFORMED_REQUEST" {
		t.Errorf("a query value that is not UTF-8: HTTP %d %s (%s), want 400 MALFORMED_REQUEST", code, ae.reason(), ae.Message)
	}
	// A query parameter that names no field of the request is refused, as
	// an unknown field of a body is, not dropped: a mistyped one would be
	// answered as if it had not been sent.
	e.createCommunity("dorm")
	for _, path := range []string{
		"/v1/communities/dorm/units?pagesize=5",
		"/v1/communities/dorm/units?page_size=5&bogus=1",
		"/v1/communities/dorm/units?page_size.x=5",
		"/v1/communities?page_size=5&after_seq=3",
	} {
		var ae apiError
		if code := e.do("GET", path, e.admin, nil, &ae); code != http.StatusBadRequest || ae.reason() != "MALFORMED_REQUEST" || !strings.Contains(ae.Message, "unknown query parameter") {
			t.Errorf("GET %s: HTTP %d %s (%s), want 400 MALFORMED_REQUEST naming the parameter", path, code, ae.reason(), ae.Message)
		}
	}
	// So on a call whose fields are all in the path, where the gateway
	// reads no query, and on a stream; a parameter that repeats the path's
	// is refused too, and any on a call with a body.
	for _, tc := range []struct{ method, path, says string }{
		{"GET", "/v1/whoami?x=1", "unknown query parameter \"x\""},
		{"GET", "/v1/communities/dorm?bogus=1", "unknown query parameter \"bogus\""},
		{"GET", "/v1/server/keys?pagesize=5", "unknown query parameter"},
		{"GET", "/v1/communities/dorm/assemblies/none/progress:watch?bogus=1", "unknown query parameter \"bogus\""},
		{"GET", "/v1/communities/other/units?community_id=dorm", "is given by the path"},
		{"GET", "/v1/communities/other/units?communityId=dorm", "is given by the path"},
		{"POST", "/v1/communities/dorm/units:import?dry_run=1", "not in the query"},
	} {
		var ae apiError
		if code := e.do(tc.method, tc.path, e.admin, map[string]any{}, &ae); code != http.StatusBadRequest || ae.reason() != "MALFORMED_REQUEST" || !strings.Contains(ae.Message, tc.says) {
			t.Errorf("%s %s: HTTP %d %s (%s), want 400 MALFORMED_REQUEST saying %q", tc.method, tc.path, code, ae.reason(), ae.Message, tc.says)
		}
	}
	// Proto and JSON names both name a field.
	for _, path := range []string{"/v1/communities/dorm/units?page_size=5&building=1", "/v1/communities/dorm/units?pageSize=5", "/v1/communities?pageToken="} {
		if code := e.do("GET", path, e.admin, nil, nil); code != http.StatusOK {
			t.Errorf("GET %s: HTTP %d, want 200", path, code)
		}
	}
	req, err := http.NewRequest("GET", "http://"+e.srv.HTTPAddr()+"/v1/communities", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Grpc-Metadata-Note", "caf\xc3\xa9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a header value that is not ASCII: HTTP %d, want 200 (the gateway drops the header)", resp.StatusCode)
	}
}

// TestShutdownStopsLocalCalls: once Shutdown returns, the JSON gateway's
// local calls are cancelled and refused.
func TestShutdownStopsLocalCalls(t *testing.T) {
	e := newEnv(t)
	srv := e.srv
	if server.LocalCallsStopped(srv) {
		t.Fatal("local calls stopped before Shutdown")
	}
	e.stop()
	if !server.LocalCallsStopped(srv) {
		t.Error("local calls not stopped after Shutdown")
	}
}
