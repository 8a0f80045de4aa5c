package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ownervote/ownervote/auth"
	_ "github.com/ownervote/ownervote/gen/ownervote/v1" // registers the services
	"github.com/ownervote/ownervote/server"
)

// apiMethod is one RPC of the ownervote.v1 services.
type apiMethod struct {
	full string // "/ownervote.v1.RollService/ImportUnits"
	desc protoreflect.MethodDescriptor
}

// apiMethods lists every method of every service in package ownervote.v1,
// as the compiled descriptors say.
func apiMethods(t *testing.T) []apiMethod {
	t.Helper()
	var out []apiMethod
	protoregistry.GlobalFiles.RangeFilesByPackage("ownervote.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			if sd.Name() == "BenchService" {
				continue // served only by `ownervote bench`, never by the server
			}
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				out = append(out, apiMethod{full: "/" + string(sd.FullName()) + "/" + string(md.Name()), desc: md})
			}
		}
		return true
	})
	if len(out) < 30 {
		t.Fatalf("found %d methods in package ownervote.v1: the descriptors are not registered", len(out))
	}
	slices.SortFunc(out, func(a, b apiMethod) int { return strings.Compare(a.full, b.full) })
	return out
}

// caller is one token of the matrix: a role acting in one community, in
// all of them, or no token at all.
type caller struct {
	name      string
	role      auth.Role // "" for no token
	community string    // "" for all communities
	secret    string
}

// outcome is what the authorization layer decides.
type outcome string

const (
	unauthenticated outcome = "UNAUTHENTICATED"
	denied          outcome = "PERMISSION_DENIED"
	allowed         outcome = "ALLOWED"
)

// want is what the policy rule says for a caller acting on community
// target.
func want(r server.Rule, c caller, target string) outcome {
	switch {
	case c.role == "":
		return unauthenticated
	case !slices.Contains(r.Roles, c.role):
		return denied
	case r.Scope == server.ScopeAll && c.community != "":
		return denied
	case r.Scope == server.ScopeRequest && c.community != "" && c.community != target:
		return denied
	}
	return allowed
}

func grpcOutcome(err error) outcome {
	switch status.Code(err) {
	case codes.Unauthenticated:
		return unauthenticated
	case codes.PermissionDenied:
		return denied
	}
	return allowed
}

func httpOutcome(code int) outcome {
	switch code {
	case http.StatusUnauthorized:
		return unauthenticated
	case http.StatusForbidden:
		return denied
	}
	return allowed
}

// matrixCallers are a token of every role for the community under test
// ("east"), for another community ("west"), for all communities where the
// role allows it, and no token.
func matrixCallers(t *testing.T, e *env) []caller {
	t.Helper()
	out := []caller{{name: "no token"}}
	for _, role := range auth.Roles() {
		for _, community := range []string{"east", "west", ""} {
			_, secret, err := e.tokens.Create(context.Background(), role, community, "matrix "+string(role))
			if community == "" && err != nil {
				continue // this role acts in one community only
			}
			if err != nil {
				t.Fatal(err)
			}
			scope := "community " + community
			if community == "" {
				scope = "all communities"
			}
			out = append(out, caller{name: string(role) + " for " + scope, role: role, community: community, secret: secret})
		}
	}
	return out
}

// TestPolicyCoversEveryMethod: every RPC of every service has a rule, and
// every rule names an RPC (or is an HTTP-only endpoint).
func TestPolicyCoversEveryMethod(t *testing.T) {
	methods := apiMethods(t)
	rules := map[string]server.Rule{}
	for _, r := range server.Policy() {
		rules[r.Method] = r
		if len(r.Roles) == 0 {
			t.Errorf("rule for %s allows no role", r.Method)
		}
	}
	for _, m := range methods {
		if _, ok := rules[m.full]; !ok {
			t.Errorf("no policy rule for %s: it would be refused to everyone", m.full)
		}
		delete(rules, m.full)
	}
	for name, r := range rules {
		if !r.HTTPOnly() {
			t.Errorf("policy rule %s names no RPC of the services", name)
		}
	}
}

// TestAuditorsOnlyRead: an auditor's token reads (Get, List, Watch,
// Export, WhoAmI) and never changes anything, as README's role table says.
func TestAuditorsOnlyRead(t *testing.T) {
	for _, r := range server.Policy() {
		if !slices.Contains(r.Roles, auth.Auditor) {
			continue
		}
		name := r.Method[strings.LastIndex(r.Method, "/")+1:]
		if !slices.ContainsFunc([]string{"Get", "List", "Watch", "Export", "WhoAmI"}, func(p string) bool { return strings.HasPrefix(name, p) }) {
			t.Errorf("auditors may call %s, which is not a read", r.Method)
		}
	}
}

// TestConsoleRolesMatchPolicy: the console's table of which roles see an
// action (web/static/assets/js/shell.js, CAN) names the roles the policy
// allows for the RPC behind it, so that it neither shows a button the
// server refuses nor hides one it allows.
func TestConsoleRolesMatchPolicy(t *testing.T) {
	js, err := os.ReadFile("../web/static/assets/js/shell.js")
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`(?s)const CAN = \{(.*?)\n\};`).FindSubmatch(js)
	if table == nil {
		t.Fatal("no CAN table in shell.js")
	}
	can := map[string][]auth.Role{}
	for _, m := range regexp.MustCompile(`(\w+): \[([^\]]*)\]`).FindAllSubmatch(table[1], -1) {
		var roles []auth.Role
		for _, r := range regexp.MustCompile(`'(\w+)'`).FindAllSubmatch(m[2], -1) {
			roles = append(roles, auth.Role(r[1]))
		}
		slices.Sort(roles)
		can[string(m[1])] = roles
	}
	rules := map[string]server.Rule{}
	for _, r := range server.Policy() {
		rules[r.Method] = r
	}
	for action, method := range map[string]string{
		"calls":   "/ownervote.v1.AssemblyService/RecordCallAttempt",
		"respond": "/ownervote.v1.AssemblyService/RespondObjection",
		"object":  "/ownervote.v1.AssemblyService/RecordObjection",
		"certify": "/ownervote.v1.AssemblyService/CertifyResult",
		"enrol":   "/ownervote.v1.SignerService/EnrolSigner",
		"approve": "/ownervote.v1.SignerService/ApproveSigner",
	} {
		want := slices.Clone(rules[method].Roles)
		slices.Sort(want)
		if got, ok := can[action]; !ok || !slices.Equal(got, want) {
			t.Errorf("console CAN.%s = %v, want %v as the policy for %s", action, got, want, method)
		}
	}
}

// TestAuthorizationMatrixGRPC calls every RPC with every caller, over gRPC,
// with an empty request scoped to the community under test, and checks the
// decision against the policy table.
func TestAuthorizationMatrixGRPC(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	e.createCommunity("west")
	callers := matrixCallers(t, e)
	rules := map[string]server.Rule{}
	for _, r := range server.Policy() {
		rules[r.Method] = r
	}
	calls := 0
	for _, m := range apiMethods(t) {
		r, ok := rules[m.full]
		if !ok {
			continue // TestPolicyCoversEveryMethod reports it
		}
		for _, c := range callers {
			got := grpcOutcome(invoke(t, e, m, c.secret, "east"))
			calls++
			if w := want(r, c, "east"); got != w {
				t.Errorf("%s by %s (roles %v, scope %s) = %s, want %s", m.full, c.name, r.Roles, r.Scope, got, w)
			}
		}
	}
	t.Logf("%d calls", calls)
}

// invoke calls method m with an empty request naming community (where the
// request has a community_id) and returns the call's error.
func invoke(t *testing.T, e *env, m apiMethod, secret, community string) error {
	t.Helper()
	req := newMessage(t, m.desc.Input())
	if fd := req.ProtoReflect().Descriptor().Fields().ByName("community_id"); fd != nil {
		req.ProtoReflect().Set(fd, protoreflect.ValueOfString(community))
	}
	resp := newMessage(t, m.desc.Output())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if secret != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+secret)
	}
	if !m.desc.IsStreamingClient() && !m.desc.IsStreamingServer() {
		return e.conn.Invoke(ctx, m.full, req, resp)
	}
	stream, err := e.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: m.desc.IsStreamingServer(), ClientStreams: m.desc.IsStreamingClient()}, m.full)
	if err != nil {
		return err
	}
	if err := stream.SendMsg(req); err != nil && err != io.EOF {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return stream.RecvMsg(resp)
}

func newMessage(t *testing.T, md protoreflect.MessageDescriptor) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatalf("message type %s: %v", md.FullName(), err)
	}
	return mt.New().Interface()
}

// httpRule is one binding of proto/ownervote/v1/http.yaml.
type httpRule struct {
	method     string // gRPC full method name
	verb, path string
	body       string
}

// readHTTPRules reads the gRPC API configuration that maps the services to
// JSON. The file is simple YAML: one "- selector:" per rule followed by
// its verb and body lines.
func readHTTPRules(t *testing.T) []httpRule {
	t.Helper()
	f, err := os.Open("../proto/ownervote/v1/http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []httpRule
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if sel, ok := strings.CutPrefix(line, "- selector:"); ok {
			sel = strings.TrimSpace(sel)
			i := strings.LastIndex(sel, ".")
			out = append(out, httpRule{method: "/" + sel[:i] + "/" + sel[i+1:]})
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok || len(out) == 0 {
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch key {
		case "get", "post", "put", "patch", "delete":
			out[len(out)-1].verb, out[len(out)-1].path = strings.ToUpper(key), val
		case "body":
			out[len(out)-1].body = val
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 30 {
		t.Fatalf("read %d HTTP rules from http.yaml; the parser does not fit the file", len(out))
	}
	return out
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestAuthorizationMatrixJSON does the same over the JSON API, for every
// method that http.yaml maps, and for the HTTP-only endpoints.
func TestAuthorizationMatrixJSON(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	e.createCommunity("west")
	callers := matrixCallers(t, e)
	rules := map[string]server.Rule{}
	for _, r := range server.Policy() {
		rules[r.Method] = r
	}
	methods := map[string]apiMethod{}
	for _, m := range apiMethods(t) {
		methods[m.full] = m
	}
	bindings := readHTTPRules(t)
	for _, r := range server.Policy() {
		if r.HTTPOnly() {
			verb, path, _ := strings.Cut(r.Method, " ")
			bindings = append(bindings, httpRule{method: r.Method, verb: verb, path: path})
		}
	}
	calls := 0
	for _, b := range bindings {
		r, ok := rules[b.method]
		if !ok {
			t.Errorf("http.yaml maps %s, which has no policy rule", b.method)
			continue
		}
		if b.verb == "" {
			t.Errorf("http.yaml: no verb for %s", b.method)
			continue
		}
		path := pathParam.ReplaceAllStringFunc(b.path, func(p string) string {
			if p == "{community_id}" {
				return "east"
			}
			return "x"
		})
		query, body := url.Values{}, map[string]any{}
		if m, ok := methods[b.method]; ok && !strings.Contains(b.path, "{community_id}") && m.desc.Input().Fields().ByName("community_id") != nil {
			if b.body == "*" {
				body["community_id"] = "east"
			} else {
				query.Set("community_id", "east")
			}
		}
		if len(query) > 0 {
			path += "?" + query.Encode()
		}
		for _, c := range callers {
			var send any
			if b.body != "" {
				send = body
			}
			code := e.doRaw(b.verb, path, c.secret, send)
			calls++
			if got, w := httpOutcome(code), want(r, c, "east"); got != w {
				t.Errorf("%s %s (%s) by %s = HTTP %d (%s), want %s", b.verb, path, b.method, c.name, code, got, w)
			}
		}
	}
	t.Logf("%d requests", calls)
}

// doRaw is do without decoding the reply: some replies (a backup, a
// stream) are not one JSON object.
func (e *env) doRaw(method, path, token string, body any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+e.srv.HTTPAddr()+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
