package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/ownervote/ownervote/ballot"
)

// fuzzEndpoint is a JSON endpoint the gateway fuzz target posts to, with
// the token of a caller who may use it.
type fuzzEndpoint struct {
	path  string
	token func(v *vote) string
}

var fuzzEndpoints = []fuzzEndpoint{
	{"/v1/communities/dorm/units:import", func(v *vote) string { return v.staffTok }},
	{"/v1/communities/dorm/assemblies/select-2026/ballots", func(v *vote) string { return v.platTok }},
	{"/v1/communities/dorm/assemblies", func(v *vote) string { return v.staffTok }},
	{"/v1/communities/dorm/assemblies/select-2026/proxies", func(v *vote) string { return v.staffTok }},
	{"/v1/communities/dorm/assemblies/select-2026/amendments", func(v *vote) string { return v.staffTok }},
	{"/v1/tokens", func(v *vote) string { return v.e.admin }},
	{"/v1/signers", func(v *vote) string { return v.e.admin }},
	{"/v1/communities", func(v *vote) string { return v.e.admin }},
}

// rollState is what a refused import must leave as it was.
type rollState struct{ units, owners int }

func (v *vote) rollState(t *testing.T) rollState {
	t.Helper()
	ctx := context.Background()
	units, err := v.e.book.Units(ctx, v.community)
	if err != nil {
		t.Fatal(err)
	}
	owners, _, err := v.e.book.Owners(ctx, v.community, "", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return rollState{len(units), len(owners)}
}

// FuzzGatewayJSON posts arbitrary JSON bodies through the real gateway to a
// real server with an open vote: no reply is a 5xx, every reply is JSON,
// and a refused import writes nothing, a refused ballot counts nothing.
func FuzzGatewayJSON(f *testing.F) {
	v := newVote(f, nil)
	seed := func(endpoint int, body any) {
		b, err := json.Marshal(body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(endpoint), b)
	}
	seed(0, map[string]any{"units": []any{unitJSON("9-1-101", "80.00", ownerJSON(1, "甲")), unitJSON("9-1-102", "80,5", ownerJSON(2, "乙"))}})
	seed(0, map[string]any{"units": []any{map[string]any{"unit_id": "9-1-201", "contract_area_m2": "55", "kind": "UNIT_KIND_DEVELOPER_UNSOLD"}}})
	b, s := v.ballotFor(100, ballot.Platform, "AGREE")
	canonical, sig := v.sign(f, b, s)
	seed(1, map[string]any{"ballot": base64.StdEncoding.EncodeToString(canonical), "signature": base64.StdEncoding.EncodeToString(sig)})
	seed(1, map[string]any{"ballot": "b3duZXJ2b3RlLWJhbGxvdC8x", "signature": ""})
	seed(2, map[string]any{"assembly_id": "fuzz-1", "title": "续聘", "motions": []any{map[string]any{"motion_id": "m1", "title": "续聘", "matter": "MATTER_RENEW_PROPERTY_FIRM"}},
		"opens_at": "2026-06-01T00:00:00Z", "closes_at": "2026-06-05T00:00:00Z", "channels": []string{"CHANNEL_PLATFORM"}})
	seed(3, map[string]any{"voter": v.owners[120], "holder_name": "受托人", "holder_public_key": base64.StdEncoding.EncodeToString(make([]byte, 32)), "document_sha256": proxyDoc(1)})
	seed(4, map[string]any{"unit_id": v.units[121], "new_owners": []any{ownerJSON(3, "丙")}, "document_sha256": proxyDoc(2)})
	seed(5, map[string]any{"role": "ROLE_AUDITOR", "label": "审计"})
	seed(6, map[string]any{"kind": "STAFF", "signer_id": "fuzz", "name": "x", "community_id": "dorm", "public_key": base64.StdEncoding.EncodeToString(make([]byte, 32))})
	seed(7, map[string]any{"community_id": "fuzz", "name": "小区", "street_office": "街道"})
	f.Add(uint8(0), []byte(`{"units": [{"unit_id": 1e400}]}`))
	f.Add(uint8(1), []byte(`{"ballot": null, "extra": {"a": [1, 2, {}]}}`))
	f.Add(uint8(2), []byte("\xff\xfe{"))

	// Inside the fuzz function only t may be used, not f (nor v.e.t):
	// read the state through the domain packages.
	countedNow := func(t *testing.T) int64 {
		p, err := v.e.reg.Progress(context.Background(), v.assembly)
		if err != nil {
			t.Fatal(err)
		}
		return p.Counted
	}
	f.Fuzz(func(t *testing.T, endpoint uint8, body []byte) {
		ep := fuzzEndpoints[int(endpoint)%len(fuzzEndpoints)]
		before := v.rollState(t)
		counted := countedNow(t)
		req, err := http.NewRequest("POST", "http://"+v.e.srv.HTTPAddr()+ep.path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ep.token(v))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", ep.path, err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s %q = HTTP %d %s", ep.path, body, resp.StatusCode, raw)
		}
		if !json.Valid(raw) {
			t.Fatalf("POST %s = HTTP %d with a reply that is not JSON: %q", ep.path, resp.StatusCode, raw)
		}
		if resp.StatusCode == http.StatusOK {
			return
		}
		if endpoint := int(endpoint) % len(fuzzEndpoints); endpoint == 0 {
			if after := v.rollState(t); after != before {
				t.Fatalf("refused import (HTTP %d) changed the roll from %+v to %+v", resp.StatusCode, before, after)
			}
		}
		if after := countedNow(t); after != counted {
			t.Fatalf("refused request to %s (HTTP %d) changed the counted ballots from %d to %d", ep.path, resp.StatusCode, counted, after)
		}
	})
}
