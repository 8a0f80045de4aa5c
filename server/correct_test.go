package server_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
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
		Before     areas  `json:"areas_before"`
		After      areas  `json:"areas_after"`
		Reason     string `json:"reason"`
		Document   string `json:"document_sha256"`
		TokenLabel string `json:"token_label"`
		Time       string `json:"change_time"`
	}
	var resp struct {
		Correction correction `json:"change"`
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
	// An assembly published after it freezes the corrected areas.
	next := v.publishFund(t)
	if next.GetRollTotal().GetAreaM2() != "13285.50" {
		t.Errorf("an assembly published after the correction froze %v, want 13285.50 m²", next.GetRollTotal())
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
		Corrections []correction `json:"changes"`
	}
	for _, tok := range []string{e.token(auth.CommitteeMember, v.community), e.token(auth.Auditor, "")} {
		if code := e.do("GET", "/v1/communities/"+v.community+"/rollChanges", tok, nil, &list); code != http.StatusOK || len(list.Corrections) != 1 ||
			list.Corrections[0].After.Registered != "85.50" || list.Corrections[0].Before.Effective != "80.00" || list.Corrections[0].TokenLabel == "" {
			t.Errorf("rollChanges: HTTP %d %+v", code, list)
		}
	}
	if _, err := v.rs.ListRollChanges(v.ctx(e.token(auth.CommunityStaff, "west")), &ov.ListRollChangesRequest{CommunityId: v.community}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("ListRollChanges by another community's staff = %v, want PermissionDenied", err)
	}
	if !strings.Contains(e.logs.String(), "unit areas corrected") {
		t.Error("the correction is not in the server's log")
	}

	// A unit on the frozen roll of an assembly under way is not withdrawn
	// while that counts it; one on no frozen roll leaves the figures.
	var ae apiError
	if code := e.do("POST", "/v1/communities/"+v.community+"/units/"+v.units[1]+":withdraw", v.staffTok, map[string]any{"reason": "重复录入"}, &ae); code != http.StatusPreconditionFailed && code != http.StatusBadRequest ||
		ae.reason() != "WRONG_STATE" || !strings.Contains(ae.Message, v.assembly) || !strings.Contains(ae.zh(), "请在会议结束后再撤回") {
		t.Errorf("withdrawing a unit of the assembly under way: HTTP %d %s %q", code, ae.reason(), ae.zh())
	}
	if code := e.do("POST", "/v1/communities/"+v.community+"/units:import", v.staffTok, map[string]any{"units": []any{
		map[string]any{"unit_id": "P-001", "registered_area_m2": "12.00", "owners": []any{map[string]any{"name": "赵某某", "id_number": idNumberN(902)}}},
	}}, nil); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	var wresp struct {
		Change struct {
			Kind   string   `json:"kind"`
			Owners []string `json:"owner_ids"`
			Before areas    `json:"areas_before"`
			After  *areas   `json:"areas_after"`
		} `json:"change"`
		Figures struct {
			Units     int    `json:"unit_count"`
			TotalArea string `json:"total_area_m2"`
		} `json:"figures"`
	}
	if code := e.do("POST", "/v1/communities/"+v.community+"/units/P-001:withdraw", v.staffTok, map[string]any{"reason": "车位误录为专有部分"}, &wresp); code != http.StatusOK {
		t.Fatalf("withdraw: HTTP %d", code)
	}
	if c := wresp.Change; c.Kind != "ROLL_CHANGE_KIND_UNIT_WITHDRAWN" || len(c.Owners) != 1 || c.Before.Effective != "12.00" || c.After != nil ||
		wresp.Figures.Units != 166 || wresp.Figures.TotalArea != "13285.50" {
		t.Errorf("withdrawal = %+v", wresp)
	}
	withdrawn := "P-001"
	if _, err := v.rs.WithdrawUnit(v.ctx(v.platTok), &ov.WithdrawUnitRequest{CommunityId: v.community, UnitId: unit, Reason: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("WithdrawUnit by the platform = %v, want PermissionDenied", err)
	}
	var after struct {
		Corrections []struct {
			UnitID string `json:"unit_id"`
			Kind   string `json:"kind"`
		} `json:"changes"`
	}
	if code := e.do("GET", "/v1/communities/"+v.community+"/rollChanges", e.token(auth.Auditor, ""), nil, &after); code != http.StatusOK ||
		len(after.Corrections) != 2 || after.Corrections[1].UnitID != withdrawn || after.Corrections[1].Kind != "ROLL_CHANGE_KIND_UNIT_WITHDRAWN" || after.Corrections[0].Kind != "ROLL_CHANGE_KIND_AREAS_CORRECTED" {
		t.Errorf("rollChanges after the withdrawal: HTTP %d %+v", code, after)
	}
}

// An owner's new phone number goes through the JSON API: the call list
// shows it at once, masked; the record keeps it masked, and names only for
// staff.
func TestCorrectOwnerOverAPI(t *testing.T) {
	v := newVote(t, nil)
	e := v.e
	type correction struct {
		OwnerID      string `json:"owner_id"`
		NameBefore   string `json:"name_before"`
		NameAfter    string `json:"name_after"`
		NameChanged  bool   `json:"name_changed"`
		PhoneBefore  string `json:"masked_phone_before"`
		PhoneAfter   string `json:"masked_phone_after"`
		PhoneChanged bool   `json:"phone_changed"`
		Reason       string `json:"reason"`
	}
	var resp struct {
		Correction correction `json:"change"`
	}
	o, err := v.rs.ListOwners(v.ctx(v.staffTok), &ov.ListOwnersRequest{CommunityId: v.community, PageSize: 1})
	if err != nil || len(o.GetOwners()) != 1 {
		t.Fatalf("ListOwners = %v, %v", o, err)
	}
	owner, name, masked := o.GetOwners()[0].GetOwnerId(), o.GetOwners()[0].GetName(), o.GetOwners()[0].GetMaskedPhone()
	path := "/v1/communities/" + v.community + "/owners/" + owner + ":correct"
	if code := e.do("POST", path, v.staffTok, map[string]any{"phone": "139-1234-5678", "reason": "业主更换手机号码"}, &resp); code != http.StatusOK {
		t.Fatalf("correct owner: HTTP %d", code)
	}
	if c := resp.Correction; c.OwnerID != owner || c.PhoneBefore != masked || c.PhoneAfter != "139****5678" || !c.PhoneChanged ||
		c.NameChanged || c.NameBefore != name || c.NameAfter != name || name == "" || c.Reason != "业主更换手机号码" {
		t.Errorf("correction = %+v", c)
	}
	nv, err := v.as.ListNonVoters(v.ctx(v.staffTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	shown := "(not listed)"
	for _, n := range nv.GetNonVoters() {
		if n.GetVoter() == owner {
			shown = n.GetMaskedPhone()
		}
	}
	if shown != "139****5678" {
		t.Errorf("the call list shows %s for the owner, want the new number masked", shown)
	}
	var ae apiError
	if code := e.do("POST", "/v1/communities/"+v.community+"/owners/o-none:correct", v.staffTok, map[string]any{"phone": "13912345678", "reason": "换号"}, &ae); code != http.StatusNotFound || ae.reason() != "OWNER_NOT_FOUND" {
		t.Errorf("an owner not on the roll: HTTP %d %s", code, ae.reason())
	}
	if _, err := v.rs.CorrectOwner(v.ctx(v.platTok), &ov.CorrectOwnerRequest{CommunityId: v.community, OwnerId: owner, Name: "某某", Reason: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("CorrectOwner by the platform = %v, want PermissionDenied", err)
	}

	// An auditor reads the correction without the names; staff with them.
	var list struct {
		Corrections []correction `json:"changes"`
	}
	for _, tok := range []string{e.token(auth.Auditor, ""), e.token(auth.CommitteeMember, v.community)} {
		if code := e.do("GET", "/v1/communities/"+v.community+"/rollChanges", tok, nil, &list); code != http.StatusOK ||
			len(list.Corrections) != 1 || list.Corrections[0].NameBefore != "" || list.Corrections[0].NameAfter != "" || list.Corrections[0].PhoneAfter != "139****5678" {
			t.Errorf("rollChanges for an auditor or a committee member: HTTP %d %+v", code, list)
		}
	}
	if code := e.do("GET", "/v1/communities/"+v.community+"/rollChanges", v.staffTok, nil, &list); code != http.StatusOK ||
		len(list.Corrections) != 1 || list.Corrections[0].NameBefore != name {
		t.Errorf("rollChanges for staff: HTTP %d %+v", code, list)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "owner corrected") || strings.Contains(logs, "13912345678") || strings.Contains(logs, "1234-5678") {
		t.Error("the server log lacks the correction or holds the new number")
	}
}

// A sale goes on the roll for the next assembly, and into each assembly
// under way that has the unit on its frozen roll: there the seller's
// counted ballot stays, or the buyer votes.
func TestTransferUnitOverAPI(t *testing.T) {
	v := newVote(t, nil)
	e := v.e
	doc := strings.Repeat("ab", 32)
	buyer := map[string]any{"name": "新业主", "id_number": idNumberN(900), "phone": "13912345678"}
	path := func(unit string) string { return "/v1/communities/" + v.community + "/units/" + unit + ":transfer" }

	// A unit imported after the assembly was published is on no frozen roll.
	if code := e.do("POST", "/v1/communities/"+v.community+"/units:import", v.staffTok, map[string]any{"units": []any{
		map[string]any{"unit_id": "9-1-101", "registered_area_m2": "75.00", "owners": []any{map[string]any{"name": "原业主", "id_number": idNumberN(901)}}},
	}}, nil); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	for _, tc := range []struct {
		name   string
		unit   string
		body   map[string]any
		code   int
		reason string
	}{
		{"no transfer registration", "9-1-101", map[string]any{"new_owners": []any{buyer}}, http.StatusBadRequest, "INVALID_ARGUMENT"},
		{"a unit not on the roll", "9-9-909", map[string]any{"new_owners": []any{buyer}, "document_sha256": doc}, http.StatusNotFound, "UNIT_NOT_FOUND"},
		{"a buyer on the roll under another name", "9-1-101", map[string]any{"new_owners": []any{map[string]any{"name": "冒名", "id_number": idNumberN(5)}}, "document_sha256": doc}, http.StatusBadRequest, "INVALID_IMPORT"},
	} {
		var ae apiError
		if code := e.do("POST", path(tc.unit), v.staffTok, tc.body, &ae); code != tc.code || ae.reason() != tc.reason {
			t.Errorf("%s: HTTP %d %s, want %d %s", tc.name, code, ae.reason(), tc.code, tc.reason)
		}
	}
	matches, err := v.rs.ListIdentityMatches(v.ctx(e.admin), &ov.ListIdentityMatchesRequest{CommunityId: v.community})
	if err != nil || len(matches.GetMatches()) != 1 || matches.GetMatches()[0].GetMethod() != "TransferUnit" {
		t.Errorf("identity matches after the refused transfer: %v, %v; want it recorded", matches, err)
	}

	var resp struct {
		Change struct {
			Kind      string   `json:"kind"`
			Owners    []string `json:"owner_ids"`
			NewOwners []string `json:"new_owner_ids"`
			Document  string   `json:"document_sha256"`
		} `json:"change"`
		Figures struct {
			Head int `json:"total_head"`
		} `json:"figures"`
	}
	if code := e.do("POST", path("9-1-101"), v.staffTok, map[string]any{"new_owners": []any{buyer}, "document_sha256": doc}, &resp); code != http.StatusOK {
		t.Fatalf("transfer: HTTP %d", code)
	}
	units, err := v.rs.ListUnits(v.ctx(v.staffTok), &ov.ListUnitsRequest{CommunityId: v.community, Building: "9"})
	if err != nil || len(units.GetUnits()) != 1 {
		t.Fatalf("ListUnits: %v, %v", units, err)
	}
	c := resp.Change
	if c.Kind != "ROLL_CHANGE_KIND_UNIT_TRANSFERRED" || len(c.Owners) != 1 || len(c.NewOwners) != 1 || c.NewOwners[0] != units.GetUnits()[0].GetVoterOwnerId() ||
		c.Owners[0] == c.NewOwners[0] || c.Document != doc || resp.Figures.Head != 167 {
		t.Errorf("transfer = %+v; unit now %v", resp, units.GetUnits()[0])
	}
	var list struct {
		Changes []struct {
			Kind string `json:"kind"`
		} `json:"changes"`
	}
	if code := e.do("GET", "/v1/communities/"+v.community+"/rollChanges", e.token(auth.Auditor, ""), nil, &list); code != http.StatusOK ||
		len(list.Changes) != 1 || list.Changes[0].Kind != "ROLL_CHANGE_KIND_UNIT_TRANSFERRED" {
		t.Errorf("rollChanges: HTTP %d %+v", code, list)
	}

	// The next assembly's frozen roll has the buyer.
	v.publishFund(t)
	nv, err := v.as.ListNonVoters(v.ctx(v.staffTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: "fund-2026", Building: "9"})
	if err != nil || len(nv.GetNonVoters()) != 1 || nv.GetNonVoters()[0].GetVoter() != c.NewOwners[0] {
		t.Errorf("the next assembly's voter of 9-1-101: %v, %v; want the buyer %s", nv, err, c.NewOwners[0])
	}

	// A unit both assemblies under way have on their frozen rolls, whose
	// owner has voted in the open one: the sale goes into each, with its
	// effect there.
	seller := v.owners[0]
	v.cast(t, 0, ballot.Online, "AGREE")
	sale, err := v.rsTransfer(v.units[0], doc, 950)
	if err != nil {
		t.Fatal(err)
	}
	effects := map[string]string{}
	for _, am := range sale.GetAmendments() {
		if am.GetPreviousVoter() != seller || am.GetNewVoter() == seller || am.GetRecordTime() == nil {
			t.Errorf("amendment %v", am)
		}
		effects[am.GetAssemblyId()] = am.GetEffect()
	}
	if want := map[string]string{v.assembly: "BALLOT_KEPT", "fund-2026": "VOTER_CHANGED"}; !maps.Equal(effects, want) {
		t.Errorf("the sale's amendments %v, want %v", effects, want)
	}
	for id, effect := range effects {
		a, err := v.as.GetAssembly(v.ctx(v.staffTok), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: id})
		if err != nil || len(a.GetAmendments()) != 1 || a.GetAmendments()[0].GetEffect() != effect || a.GetAmendments()[0].GetAssemblyId() != id {
			t.Errorf("%s's amendments: %v, %v", id, a.GetAmendments(), err)
		}
	}
	if len(sale.GetAmendments()) != 2 {
		t.FailNow()
	}
	nv, err = v.as.ListNonVoters(v.ctx(v.staffTok), &ov.ListNonVotersRequest{CommunityId: v.community, AssemblyId: "fund-2026"})
	if err != nil || !slices.ContainsFunc(nv.GetNonVoters(), func(x *ov.NonVoter) bool { return x.GetVoter() == sale.GetAmendments()[0].GetNewVoter() }) {
		t.Errorf("the buyer is no voter of fund-2026: %v", err)
	}
	if code := e.do("GET", "/v1/communities/"+v.community+"/rollChanges", e.token(auth.Auditor, ""), nil, &list); code != http.StatusOK || len(list.Changes) != 2 {
		t.Errorf("rollChanges after a sale during the votes: HTTP %d %+v", code, list)
	}
	// Both assemblies' logs verify offline with it.
	for _, id := range []string{v.assembly, "fund-2026"} {
		exp, err := v.as.ExportAssembly(v.ctx(e.admin), &ov.ExportAssemblyRequest{CommunityId: v.community, AssemblyId: id})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifyFiles(exp.GetFiles()); err != nil {
			t.Errorf("verify %s: %v", id, err)
		}
		if id != v.assembly {
			continue
		}
		// A sale logged as of the closing would move area into a counted
		// ballot after the vote: refused offline.
		late := cloneFiles(exp.GetFiles())
		editEntries(late, func(_ int, e *audit.Entry) bool {
			if e.Kind == audit.KindAmendment {
				e.Time = closesAt
			}
			return e.Kind == audit.KindAmendment
		})
		if _, err := verifyFiles(late); err == nil || !strings.Contains(err.Error(), "at or after the vote's closing") {
			t.Errorf("verify %s with its sale at the closing: %v", id, err)
		}
	}

	// Once the assemblies have closed, a sale touches no vote.
	e.clock.Set(duringVote.Add(26 * 24 * time.Hour))
	if sale, err := v.rsTransfer(v.units[1], doc, 951); err != nil || len(sale.GetAmendments()) != 0 {
		t.Errorf("a unit of closed assemblies: %v, %v", sale.GetAmendments(), err)
	}
}

// rsTransfer sells unit to the owner of identity number n through
// RollService.TransferUnit.
func (v *vote) rsTransfer(unit, doc string, n int) (*ov.TransferUnitResponse, error) {
	return v.rs.TransferUnit(v.ctx(v.staffTok), &ov.TransferUnitRequest{CommunityId: v.community, UnitId: unit, DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: fmt.Sprintf("买受人%d", n), IdNumber: idNumberN(n)}}})
}

// publishFund creates and publishes a second assembly of v's community,
// fund-2026, opening twenty days after duringVote, and returns it.
func (v *vote) publishFund(t *testing.T) *ov.Assembly {
	t.Helper()
	a, err := v.as.CreateAssembly(v.ctx(v.staffTok), &ov.CreateAssemblyRequest{CommunityId: v.community, Assembly: &ov.Assembly{
		AssemblyId: "fund-2026", Title: "关于使用专项维修资金的业主大会会议",
		Motions: []*ov.Motion{{MotionId: "m1", Title: "使用专项维修资金更换电梯", Matter: ov.Matter_MATTER_USE_MAINTENANCE_FUND}},
		OpensAt: timestamppb.New(duringVote.Add(20 * 24 * time.Hour)), ClosesAt: timestamppb.New(duringVote.Add(25 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM}, Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1},
	}})
	if err == nil {
		a, err = v.as.PublishAssembly(v.ctx(v.staffTok), &ov.PublishAssemblyRequest{CommunityId: v.community, AssemblyId: a.GetAssemblyId()})
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSetUnitRepresentativeOverAPI: the co-owners of a unit designate
// another of them to vote for it; the change is recorded, the voters and
// the figures follow (a representative who holds another unit alone is one
// voter for both; co-owners who hold several units together change them
// all), and it waits while an assembly under way has the unit, where a
// "sale" to the same co-owners is refused too.
func TestSetUnitRepresentativeOverAPI(t *testing.T) {
	v := newVote(t, nil)
	e := v.e
	path := func(unit string) string {
		return "/v1/communities/" + v.community + "/units/" + unit + ":setRepresentative"
	}
	doc := strings.Repeat("cd", 32)
	jia := map[string]any{"name": "甲共有人", "id_number": idNumberN(902), "representative": true}
	yi := map[string]any{"name": "乙共有人", "id_number": idNumberN(903)}
	bing := map[string]any{"name": "丙共有人", "id_number": idNumberN(904), "representative": true}
	ding := map[string]any{"name": "丁共有人", "id_number": idNumberN(905)}
	if code := e.do("POST", "/v1/communities/"+v.community+"/units:import", v.staffTok, map[string]any{"units": []any{
		map[string]any{"unit_id": "9-1-102", "registered_area_m2": "90.00", "owners": []any{jia, yi}},
		map[string]any{"unit_id": "9-1-103", "registered_area_m2": "60.00", "owners": []any{map[string]any{"name": "乙共有人", "id_number": idNumberN(903)}}},
		map[string]any{"unit_id": "9-1-104", "registered_area_m2": "70.00", "owners": []any{bing, ding}},
		map[string]any{"unit_id": "9-1-105", "registered_area_m2": "71.00", "owners": []any{bing, ding}},
	}}, nil); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	voterOf := func(unit string) (string, []*ov.UnitOwner) {
		t.Helper()
		units, err := v.rs.ListUnits(v.ctx(v.staffTok), &ov.ListUnitsRequest{CommunityId: v.community, Building: "9"})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range units.GetUnits() {
			if u.GetUnitId() == unit {
				return u.GetVoterOwnerId(), u.GetOwners()
			}
		}
		t.Fatalf("no unit %s", unit)
		return "", nil
	}
	a, owners := voterOf("9-1-102")
	b, _ := voterOf("9-1-103")
	c, _ := voterOf("9-1-104")
	var d string
	for _, o := range func() []*ov.UnitOwner { _, os := voterOf("9-1-104"); return os }() {
		if o.GetOwnerId() != c {
			d = o.GetOwnerId()
		}
	}
	if len(owners) != 2 || b == a || d == "" {
		t.Fatalf("9-1-102 has %v, voted by %s; 9-1-103 by %s", owners, a, b)
	}
	figures, err := v.rs.GetRollFigures(v.ctx(v.staffTok), &ov.GetRollFiguresRequest{CommunityId: v.community})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, unit, owner, reason, doc, zh string
	}{
		{"no co-owners", "9-1-103", b, "共有人协商更换代表", doc, "没有共有人"},
		{"no co-owner of the unit", "9-1-102", v.owners[1], "共有人协商更换代表", doc, "不是房屋9-1-102的共有人"},
		{"the representative already", "9-1-102", a, "共有人协商更换代表", doc, "已是房屋9-1-102的代表"},
		{"no reason", "9-1-102", b, "", doc, "理由"},
		{"a reason naming a co-owner", "9-1-102", b, "乙共有人接替", doc, "不要写业主姓名"},
		{"no written designation", "9-1-102", b, "共有人协商更换代表", "", "书面推举"},
		{"a designation that is no SHA-256", "9-1-102", b, "共有人协商更换代表", "abc", "SHA-256"},
	} {
		var ae apiError
		if code := e.do("POST", path(tc.unit), v.staffTok, map[string]any{"owner_id": tc.owner, "reason": tc.reason, "document_sha256": tc.doc}, &ae); code != http.StatusBadRequest ||
			ae.reason() != "INVALID_ARGUMENT" || !strings.Contains(ae.zh(), tc.zh) {
			t.Errorf("%s: HTTP %d %s %q, want INVALID_ARGUMENT saying %q", tc.name, code, ae.reason(), ae.zh(), tc.zh)
		}
	}
	if code := e.do("POST", path("9-1-102"), e.token(auth.CommitteeMember, v.community), map[string]any{"owner_id": b, "reason": "共有人协商更换代表", "document_sha256": doc}, nil); code != http.StatusForbidden {
		t.Errorf("a committee member: HTTP %d, want 403", code)
	}

	type answer struct {
		Change struct {
			Kind      string   `json:"kind"`
			UnitID    string   `json:"unit_id"`
			Owner     string   `json:"owner_id"`
			Owners    []string `json:"owner_ids"`
			Document  string   `json:"document_sha256"`
			Reason    string   `json:"reason"`
			NameAfter string   `json:"name_after"`
		} `json:"change"`
		Figures struct {
			Head int `json:"total_head"`
		} `json:"figures"`
	}
	var resp answer
	if code := e.do("POST", path("9-1-102"), v.staffTok, map[string]any{"owner_id": b, "reason": "共有人协商更换代表", "document_sha256": doc}, &resp); code != http.StatusOK {
		t.Fatalf("setRepresentative: HTTP %d", code)
	}
	ch := resp.Change
	if ch.Kind != "ROLL_CHANGE_KIND_REPRESENTATIVE_CHANGED" || ch.UnitID != "9-1-102" || ch.Owner != b || !slices.Equal(ch.Owners, []string{a}) || ch.Document != doc ||
		ch.Reason != "共有人协商更换代表" || ch.NameAfter != "乙共有人" || resp.Figures.Head != int(figures.GetTotalHead())-1 {
		t.Errorf("setRepresentative = %+v, want %s after %s, %d heads", resp, b, a, figures.GetTotalHead()-1)
	}
	if now, _ := voterOf("9-1-102"); now != b {
		t.Errorf("9-1-102 is voted by %s after the change, want %s", now, b)
	}
	// Co-owners who hold two units together: both change, and they stay
	// one voter.
	if code := e.do("POST", path("9-1-104"), v.staffTok, map[string]any{"owner_id": d, "reason": "共有人协商更换代表", "document_sha256": doc}, &resp); code != http.StatusOK {
		t.Fatalf("setRepresentative of 9-1-104: HTTP %d", code)
	}
	if now104, _ := voterOf("9-1-104"); now104 != d {
		t.Errorf("9-1-104 is voted by %s, want %s", now104, d)
	}
	if now105, _ := voterOf("9-1-105"); now105 != d {
		t.Errorf("9-1-105, held by the same co-owners, is voted by %s, want %s with 9-1-104", now105, d)
	}
	if resp.Figures.Head != int(figures.GetTotalHead())-1 {
		t.Errorf("%d heads after the second change, want %d", resp.Figures.Head, figures.GetTotalHead()-1)
	}
	var list struct {
		Changes []struct {
			Kind      string `json:"kind"`
			Unit      string `json:"unit_id"`
			Owner     string `json:"owner_id"`
			NameAfter string `json:"name_after"`
		} `json:"changes"`
	}
	if code := e.do("GET", "/v1/communities/"+v.community+"/rollChanges", e.token(auth.Auditor, ""), nil, &list); code != http.StatusOK || len(list.Changes) != 3 ||
		list.Changes[0].Kind != "ROLL_CHANGE_KIND_REPRESENTATIVE_CHANGED" || list.Changes[0].Owner != b || list.Changes[0].NameAfter != "" ||
		list.Changes[1].Unit != "9-1-104" || list.Changes[2].Unit != "9-1-105" {
		t.Errorf("rollChanges as an auditor reads them: HTTP %d %+v", code, list)
	}

	// An assembly published now has the units on its frozen roll: the
	// representative waits until it closes, and a "sale" to the same
	// co-owners in it is refused.
	v.publishFund(t)
	var ae apiError
	if code := e.do("POST", path("9-1-102"), v.staffTok, map[string]any{"owner_id": a, "reason": "共有人协商更换代表", "document_sha256": doc}, &ae); code != http.StatusPreconditionFailed && code != http.StatusBadRequest ||
		ae.reason() != "WRONG_STATE" || !strings.Contains(ae.Message, "fund-2026") || !strings.Contains(ae.zh(), "该会议按原代表计票") {
		t.Errorf("a co-owned unit of an assembly under way: HTTP %d %s %q, want WRONG_STATE naming fund-2026", code, ae.reason(), ae.zh())
	}
	// 9-1-106, bought by the co-owners of 9-1-104 and 9-1-105 after the
	// publication, is on no frozen roll; its representative is theirs, and
	// waits with theirs.
	bing["representative"], ding["representative"] = false, true
	if code := e.do("POST", "/v1/communities/"+v.community+"/units:import", v.staffTok, map[string]any{"units": []any{
		map[string]any{"unit_id": "9-1-106", "registered_area_m2": "72.00", "owners": []any{bing, ding}},
	}}, &ae); code != http.StatusOK {
		t.Fatalf("import of 9-1-106: HTTP %d %s", code, ae.Message)
	}
	var busy apiError
	if code := e.do("POST", path("9-1-106"), v.staffTok, map[string]any{"owner_id": c, "reason": "共有人协商更换代表", "document_sha256": doc}, &busy); code != http.StatusPreconditionFailed && code != http.StatusBadRequest ||
		busy.reason() != "WRONG_STATE" || !strings.Contains(busy.zh(), "该会议按原代表计票") {
		t.Errorf("9-1-106, whose co-owners' other units are under way: HTTP %d %s %q, want WRONG_STATE", code, busy.reason(), busy.zh())
	}
	jia["representative"], yi["representative"] = true, false
	var same apiError
	if code := e.do("POST", "/v1/communities/"+v.community+"/assemblies/fund-2026/amendments", v.staffTok, map[string]any{"unit_id": "9-1-102",
		"new_owners": []any{jia, yi}, "document_sha256": doc}, &same); code != http.StatusBadRequest || !strings.Contains(same.zh(), "共有人更换代表不是过户") {
		t.Errorf("a sale of 9-1-102 to its co-owners in fund-2026: HTTP %d %s %q, want it refused", code, same.reason(), same.zh())
	}
	e.clock.Set(duringVote.Add(26 * 24 * time.Hour))
	if code := e.do("POST", path("9-1-102"), v.staffTok, map[string]any{"owner_id": a, "reason": "共有人协商更换代表", "document_sha256": doc}, nil); code != http.StatusOK {
		t.Errorf("once the assemblies have closed: HTTP %d", code)
	}
}

// TestListUnitsQuery: the roll is searched by a piece of a unit id, or, by
// street admins and staff, of an owner's name; other roles' searches never
// match a name.
func TestListUnitsQuery(t *testing.T) {
	v := newVote(t, nil)
	e := v.e
	if code := e.do("POST", "/v1/communities/"+v.community+"/units:import", v.staffTok, map[string]any{"units": []any{
		map[string]any{"unit_id": "9-2-1501", "registered_area_m2": "90.00", "owners": []any{map[string]any{"name": "欧阳查询", "id_number": idNumberN(906)}}},
		map[string]any{"unit_id": "9-2-1502", "registered_area_m2": "90.00", "owners": []any{map[string]any{"name": "Zhang Query", "id_number": idNumberN(907)}}},
	}}, nil); code != http.StatusOK {
		t.Fatalf("import: HTTP %d", code)
	}
	find := func(tok, building, query string, pageSize int32) ([]string, int32, string) {
		t.Helper()
		r, err := v.rs.ListUnits(v.ctx(tok), &ov.ListUnitsRequest{CommunityId: v.community, Building: building, Query: query, PageSize: pageSize})
		if err != nil {
			t.Fatalf("ListUnits(%q, %q): %v", building, query, err)
		}
		var ids []string
		for _, u := range r.GetUnits() {
			ids = append(ids, u.GetUnitId())
		}
		return ids, r.GetTotalSize(), r.GetNextPageToken()
	}
	member := e.token(auth.CommitteeMember, v.community)
	for _, tc := range []struct {
		tok, building, query string
		want                 []string
	}{
		{v.staffTok, "", "2-150", []string{"9-2-1501", "9-2-1502"}},
		{v.staffTok, "", "欧阳", []string{"9-2-1501"}},
		{v.staffTok, "", "zhang q", []string{"9-2-1502"}},
		{v.staffTok, "9", "1502", []string{"9-2-1502"}},
		{e.admin, "", "欧阳", []string{"9-2-1501"}}, // a street admin sees names too
		{v.staffTok, "1", "1502", nil},
		{member, "", "2-1501", []string{"9-2-1501"}},
		{member, "", "欧阳", nil},
	} {
		if got, total, _ := find(tc.tok, tc.building, tc.query, 100); !slices.Equal(got, tc.want) || int(total) != len(tc.want) {
			t.Errorf("ListUnits(building %q, query %q) = %v (total %d), want %v", tc.building, tc.query, got, total, tc.want)
		}
	}
	// Pages of a search: one at a time, the token bound to the search.
	first, total, next := find(v.staffTok, "", "2-150", 1)
	if len(first) != 1 || total != 2 || next == "" {
		t.Fatalf("first page of one: %v, total %d, next %q", first, total, next)
	}
	r, err := v.rs.ListUnits(v.ctx(v.staffTok), &ov.ListUnitsRequest{CommunityId: v.community, Query: "2-150", PageSize: 1, PageToken: next})
	if err != nil || len(r.GetUnits()) != 1 || r.GetUnits()[0].GetUnitId() != "9-2-1502" || r.GetNextPageToken() != "" || len(r.GetUnits()[0].GetOwners()) != 1 {
		t.Errorf("second page: %v, %v; want 9-2-1502 with its owner, the last", r, err)
	}
	// A building and a search together, a page at a time.
	if got, total, next := find(v.staffTok, "9", "150", 1); !slices.Equal(got, []string{"9-2-1501"}) || total != 2 || next == "" {
		t.Errorf("building 9, query 150, page of one: %v, total %d, next %q", got, total, next)
	}
	if _, err := v.rs.ListUnits(v.ctx(v.staffTok), &ov.ListUnitsRequest{CommunityId: v.community, Query: "欧阳", PageSize: 1, PageToken: next}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a page token of another search: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := v.rs.ListUnits(v.ctx(v.staffTok), &ov.ListUnitsRequest{CommunityId: v.community, Query: strings.Repeat("查", 51)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a query of 51 characters: %v, want INVALID_ARGUMENT", err)
	}
}

// TestASaleWakesTheDashboards: a sale recorded in an assembly under way is
// sent at once to those who watch its progress (the console's dashboard,
// the city platform), not at the next heartbeat.
func TestASaleWakesTheDashboards(t *testing.T) {
	v := newVote(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // well within the 15 s heartbeat
	defer cancel()
	stream, err := v.as.WatchProgress(metadataCtx(ctx, v.e.admin), &ov.WatchProgressRequest{CommunityId: v.community, AssemblyId: v.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.rsTransfer(v.units[3], strings.Repeat("ab", 32), 960); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Errorf("no progress sent after the sale: %v", err)
	}
}

// TestASaleInTwoOpenVotes: a unit sold while two votes are open, whose
// seller voted in one and not in the other, to an owner who voted in the
// other: the first keeps the seller's ballot, the second moves the unit's
// area into the buyer's counted ballot, one voter fewer. A ballot waiting
// for its check in either refuses the sale in both, whichever assembly it
// is asked through, and leaves everything as it was. Both logs verify
// with their results.
func TestASaleInTwoOpenVotes(t *testing.T) {
	v := newVote(t, nil)
	first := v.assembly
	v.openAnother(t, &ov.Assembly{
		AssemblyId: "second-2026", Title: "使用维修资金", Motions: []*ov.Motion{{MotionId: "m1", Title: "更换电梯", Matter: ov.Matter_MATTER_USE_MAINTENANCE_FUND}},
		OpensAt: timestamppb.New(opensAt), ClosesAt: timestamppb.New(closesAt),
		Channels: []ov.Channel{ov.Channel_CHANNEL_ONLINE, ov.Channel_CHANNEL_PLATFORM, ov.Channel_CHANNEL_PHONE}, Settings: &ov.Settings{MakerChecker: true},
		Committee: &ov.Committee{MemberKeyIds: []string{v.committee.keyID()}, K: 1},
	})
	second := v.assembly
	seller, buyer := 10, 50
	v.assembly = first
	v.cast(t, seller, ballot.Online, "AGREE")
	v.assembly = second
	v.cast(t, buyer, ballot.Platform, "AGREE")
	v.pendingPhone(t, 11) // waits for its check in the second vote only
	progress := func(id string) *ov.Progress {
		t.Helper()
		p, err := v.as.GetProgress(v.ctx(v.staffTok), &ov.GetProgressRequest{CommunityId: v.community, AssemblyId: id})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	amendments := func(id string) int {
		t.Helper()
		a, err := v.as.GetAssembly(v.ctx(v.staffTok), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: id})
		if err != nil {
			t.Fatal(err)
		}
		return len(a.GetAmendments())
	}
	doc := strings.Repeat("cd", 32)

	// Asked through the first vote, refused for the ballot waiting in the
	// second: nothing changes anywhere.
	_, err := v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: first, UnitId: v.units[11], DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(970)}}})
	if server.ReasonOf(err) != "BALLOT_WAITING" || !strings.Contains(server.ZhOf(err), second) {
		t.Errorf("a sale while a ballot waits in the other vote: %v (%q)", err, server.ZhOf(err))
	}
	// Likewise through the second, and on the roll.
	_, err = v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: second, UnitId: v.units[11], DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(970)}}})
	if server.ReasonOf(err) != "BALLOT_WAITING" {
		t.Errorf("the same sale through the second vote: %v", err)
	}
	if _, err := v.rsTransfer(v.units[11], doc, 970); server.ReasonOf(err) != "BALLOT_WAITING" {
		t.Errorf("the same sale on the roll: %v", err)
	}
	units, err := v.rs.ListUnits(v.ctx(v.staffTok), &ov.ListUnitsRequest{CommunityId: v.community, Query: v.units[11]})
	if err != nil || len(units.GetUnits()) != 1 || units.GetUnits()[0].GetVoterOwnerId() != v.owners[11] || amendments(first)+amendments(second) != 0 {
		t.Errorf("after the refused sale: %v, %v; %d and %d amendments", units.GetUnits(), err, amendments(first), amendments(second))
	}

	// A unit imported after both were published is on neither frozen roll:
	// asked through one of them, the sale is refused, and not written.
	if _, err := v.rs.ImportUnits(v.ctx(v.staffTok), &ov.ImportUnitsRequest{CommunityId: v.community, Units: []*ov.UnitInput{
		{UnitId: "9-1-101", RegisteredAreaM2: "75.00", Owners: []*ov.OwnerInput{{Name: "原业主", IdNumber: idNumberN(901)}}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: first, UnitId: "9-1-101", DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(971)}}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(server.ZhOf(err), "不在本次会议冻结的业主名册上") {
		t.Errorf("a sale through a vote that does not have the unit: %v", err)
	}
	if units, err := v.rs.ListUnits(v.ctx(v.staffTok), &ov.ListUnitsRequest{CommunityId: v.community, Building: "9"}); err != nil || units.GetUnits()[0].GetOwners()[0].GetName() != "原业主" {
		t.Errorf("9-1-101 after the refused sale: %v, %v", units.GetUnits(), err)
	}

	// The buyer is the owner of record who voted in the second vote (their
	// identity number is the one of the import's row their name numbers).
	name := v.ownerName(t, v.owners[buyer])
	row, _ := strconv.Atoi(strings.TrimPrefix(name, "业主"))
	before := progress(second)
	_, err = v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: second, UnitId: v.units[seller], DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: name, IdNumber: idNumberN(row), Phone: fmt.Sprintf("138%08d", row)}}})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{first: "BALLOT_KEPT", second: "VOTER_CHANGED"} {
		a, err := v.as.GetAssembly(v.ctx(v.staffTok), &ov.GetAssemblyRequest{CommunityId: v.community, AssemblyId: id})
		if err != nil || len(a.GetAmendments()) != 1 || a.GetAmendments()[0].GetEffect() != want || a.GetAmendments()[0].GetNewVoter() != v.owners[buyer] {
			t.Errorf("%s's amendments %v, %v; want %s to the buyer", id, a.GetAmendments(), err, want)
		}
	}
	after := progress(second)
	agree := func(p *ov.Progress) string { return p.GetMotions()[0].GetChoices()[0].GetFigures().GetAreaM2() }
	if agree(before) != "80.00" || agree(after) != "160.00" || after.GetMotions()[0].GetTotal().GetHead() != before.GetMotions()[0].GetTotal().GetHead()-1 {
		t.Errorf("the second vote's agreement %s → %s m², heads %d → %d; want the unit's 80 m² in the buyer's ballot and one voter fewer",
			agree(before), agree(after), before.GetMotions()[0].GetTotal().GetHead(), after.GetMotions()[0].GetTotal().GetHead())
	}

	// Both logs verify offline, with their results.
	v.e.clock.Set(closesAt)
	if _, err := v.e.reg.CloseDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Closed, a vote takes no sale.
	_, err = v.as.AmendRoll(v.ctx(v.staffTok), &ov.AmendRollRequest{CommunityId: v.community, AssemblyId: first, UnitId: v.units[12], DocumentSha256: doc,
		NewOwners: []*ov.OwnerInput{{Name: "买受人", IdNumber: idNumberN(972)}}})
	if server.ReasonOf(err) != "WRONG_STATE" {
		t.Errorf("a sale through a closed vote: %v, want WRONG_STATE", err)
	}
	for _, id := range []string{first, second} {
		exp, err := v.as.ExportAssembly(v.ctx(v.e.admin), &ov.ExportAssemblyRequest{CommunityId: v.community, AssemblyId: id})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := verifyFiles(exp.GetFiles()); err != nil {
			t.Errorf("verify %s: %v", id, err)
		}
	}
}
