package server_test

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// A unit's areas are corrected through the JSON API: the roll's figures
// change at once, the published assembly's frozen roll does not, and the
// correction is recorded for those who oversee the roll.
func TestCorrectUnitAreasOverAPI(t *testing.T) {
	v := newVote(t, nil)
	e := v.e
	unit := v.units[0]
	type areas struct {
		Registered string `json:"registered_area_m2"`
		Surveyed   string `json:"surveyed_area_m2"`
		Effective  string `json:"effective_area_m2"`
	}
	type correction struct {
		UnitID     string `json:"unit_id"`
		Before     areas  `json:"before"`
		After      areas  `json:"after"`
		Reason     string `json:"reason"`
		Document   string `json:"document_sha256"`
		TokenLabel string `json:"token_label"`
		Time       string `json:"correction_time"`
	}
	var resp struct {
		Correction correction `json:"correction"`
		Figures    struct {
			TotalArea string `json:"total_area_m2"`
		} `json:"figures"`
	}
	path := "/v1/communities/" + v.community + "/units/" + unit + ":correctAreas"
	doc := strings.Repeat("0f", 32)
	body := map[string]any{"registered_area_m2": "85.50", "surveyed_area_m2": "85.10", "reason": "登记面积录入错误", "document_sha256": doc}
	if code := e.do("POST", path, v.staffTok, body, &resp); code != http.StatusOK {
		t.Fatalf("correct areas: HTTP %d", code)
	}
	c := resp.Correction
	if c.UnitID != unit || c.Before.Registered != "80.00" || c.Before.Surveyed != "" || c.After.Registered != "85.50" || c.After.Surveyed != "85.10" ||
		c.After.Effective != "85.50" || c.Reason != "登记面积录入错误" || c.Document != doc || c.Time == "" || resp.Figures.TotalArea != "13285.50" {
		t.Errorf("correction = %+v, figures %+v", c, resp.Figures)
	}
	// The published assembly counts on the roll it was published with.
	a, err := v.as.GetAssembly(v.ctx(v.staffTok), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if a.GetRollTotal().GetAreaM2() != "13280.00" || a.GetRollDigest() != v.rollDigest {
		t.Errorf("the frozen roll moved with the correction: %v, digest %s", a.GetRollTotal(), a.GetRollDigest())
	}
	fig, err := v.rs.GetRollFigures(v.ctx(v.staffTok), &ov.GetRollFiguresRequest{CommunityId: v.community})
	if err != nil || fig.GetTotalAreaM2() != "13285.50" {
		t.Errorf("roll figures after the correction: %v, %v", fig, err)
	}

	for _, tc := range []struct {
		name   string
		unit   string
		body   map[string]any
		code   int
		reason string
		zh     string
	}{
		{"a unit not on the roll", "9-9-909", map[string]any{"registered_area_m2": "80.00", "reason": "录入错误"}, http.StatusNotFound, "UNIT_NOT_FOUND", "不在本小区名册上"},
		{"no area", unit, map[string]any{"reason": "录入错误"}, http.StatusBadRequest, "INVALID_ARGUMENT", "没有面积"},
		{"no reason", unit, map[string]any{"registered_area_m2": "86.00"}, http.StatusBadRequest, "INVALID_ARGUMENT", "更正面积的理由"},
	} {
		var ae apiError
		if code := e.do("POST", "/v1/communities/"+v.community+"/units/"+tc.unit+":correctAreas", v.staffTok, tc.body, &ae); code != tc.code || ae.reason() != tc.reason || !strings.Contains(ae.zh(), tc.zh) {
			t.Errorf("%s: HTTP %d %s %q, want %d %s %q", tc.name, code, ae.reason(), ae.zh(), tc.code, tc.reason, tc.zh)
		}
	}

	// Only staff correct, and only their own community's roll.
	e.createCommunity("west")
	for _, tok := range []string{v.platTok, e.token(auth.CommunityStaff, "west"), e.token(auth.CommitteeMember, v.community), e.token(auth.Auditor, "")} {
		_, err := v.rs.CorrectUnitAreas(v.ctx(tok), &ov.CorrectUnitAreasRequest{CommunityId: v.community, UnitId: unit, RegisteredAreaM2: "90.00", Reason: "x"})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("CorrectUnitAreas by a token that may not = %v, want PermissionDenied", err)
		}
	}

	// Committee members and auditors read the corrections; staff of
	// another community do not.
	var list struct {
		Corrections []correction `json:"corrections"`
	}
	for _, tok := range []string{e.token(auth.CommitteeMember, v.community), e.token(auth.Auditor, "")} {
		if code := e.do("GET", "/v1/communities/"+v.community+"/areaCorrections", tok, nil, &list); code != http.StatusOK || len(list.Corrections) != 1 ||
			list.Corrections[0].After.Registered != "85.50" || list.Corrections[0].Before.Effective != "80.00" || list.Corrections[0].TokenLabel == "" {
			t.Errorf("areaCorrections: HTTP %d %+v", code, list)
		}
	}
	if _, err := v.rs.ListAreaCorrections(v.ctx(e.token(auth.CommunityStaff, "west")), &ov.ListAreaCorrectionsRequest{CommunityId: v.community}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("ListAreaCorrections by another community's staff = %v, want PermissionDenied", err)
	}
	if !strings.Contains(e.logs.String(), "unit areas corrected") {
		t.Error("the correction is not in the server's log")
	}
}
