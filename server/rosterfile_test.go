package server_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/server"
)

// violations are a refused import's problems, as "field: zh-CN message".
func violations(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				out = append(out, fv.GetField()+": "+fv.GetLocalizedMessage().GetMessage())
			}
		}
	}
	return out
}

// A roster file is imported by the server's own rules, through the JSON
// API as the console sends it: every problem named by its row and column,
// the file checked alone or imported, nothing written when refused.
func TestImportRosterFileOverAPI(t *testing.T) {
	e := newEnv(t)
	e.createCommunity("east")
	rs := ov.NewRollServiceClient(e.conn)
	staff := e.token(auth.CommunityStaff, "east")
	good := "房号,登记面积(㎡),业主姓名,身份证号,联系电话\n1-1-101,80.00,甲,110101199003071233,13800000001\n1-1-102,60.50,乙," + idNumber(2) + ",\n"
	bad := "房号,登记面积,业主姓名,身份证号\n1-1-101,80.00,甲,110101199003071233\n1-1-102,80.123,乙," + idNumber(2) + "\n"

	var ae apiError
	if code := e.do("POST", "/v1/communities/east/units:importFile", staff, map[string]any{"file_name": "花名册.csv", "content": base64.StdEncoding.EncodeToString([]byte(bad))}, &ae); code != http.StatusBadRequest || ae.reason() != "INVALID_IMPORT" {
		t.Errorf("a roster with a bad area: HTTP %d %s", code, ae.reason())
	}
	_, err := rs.ImportRosterFile(e.ctx(staff), &ov.ImportRosterFileRequest{CommunityId: "east", FileName: "花名册.csv", Content: []byte(bad)})
	if v := violations(err); len(v) != 1 || !strings.HasPrefix(v[0], "花名册.csv:3: column 登记面积: 面积须为平方米数") {
		t.Errorf("violations of the bad roster: %q", v)
	}
	if n := e.unitCount("east"); n != 0 {
		t.Errorf("%d units on the roll after a refused roster", n)
	}

	var resp struct {
		Units    int  `json:"units"`
		Imported bool `json:"imported"`
		Figures  struct {
			Area string `json:"total_area_m2"`
		} `json:"figures"`
	}
	if code := e.do("POST", "/v1/communities/east/units:importFile", staff, map[string]any{"file_name": "花名册.csv", "content": base64.StdEncoding.EncodeToString([]byte(good)), "check_only": true}, &resp); code != http.StatusOK ||
		resp.Units != 2 || resp.Imported || resp.Figures.Area != "140.50" || e.unitCount("east") != 0 {
		t.Errorf("check only: HTTP %d %+v, %d units on the roll", code, resp, e.unitCount("east"))
	}
	// A file named with a phone number: renamed first, as every problem's
	// place would repeat it.
	if _, err := rs.ImportRosterFile(e.ctx(staff), &ov.ImportRosterFileRequest{CommunityId: "east", FileName: "王五13812345678花名册.csv", Content: []byte(good), CheckOnly: true}); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(server.ZhOf(err), "请给文件改名") || strings.Contains(err.Error(), "13812345678") {
		t.Errorf("a file named with a phone number: %v (%q)", err, server.ZhOf(err))
	}
	if _, err := rs.ImportRosterFile(e.ctx(e.admin), &ov.ImportRosterFileRequest{CommunityId: "nosuch", FileName: "花名册.csv", Content: []byte(good), CheckOnly: true}); status.Code(err) != codes.NotFound {
		t.Errorf("a check against a community that does not exist: %v, want NotFound", err)
	}
	if code := e.do("POST", "/v1/communities/east/units:importFile", staff, map[string]any{"file_name": "花名册.csv", "content": base64.StdEncoding.EncodeToString([]byte(good))}, &resp); code != http.StatusOK ||
		resp.Units != 2 || !resp.Imported || resp.Figures.Area != "140.50" || e.unitCount("east") != 2 {
		t.Errorf("import: HTTP %d %+v", code, resp)
	}
	// Problems against the roll are rows of the file too, checked or
	// imported.
	for _, check := range []bool{true, false} {
		_, err = rs.ImportRosterFile(e.ctx(staff), &ov.ImportRosterFileRequest{CommunityId: "east", FileName: "花名册.csv", Content: []byte(good), CheckOnly: check})
		if v := violations(err); len(v) != 2 || !strings.HasPrefix(v[0], "花名册.csv:2: column 房号: 房屋1-1-101已在本小区名册上") {
			t.Errorf("the roster again (check only %v): %q", check, v)
		}
	}

	// An Excel workbook, as the console uploads it.
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"房号", "实测面积", "业主姓名", "身份证号"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"2-1-101", "95.00", "丙", idNumber(3)})
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	r, err := rs.ImportRosterFile(e.ctx(staff), &ov.ImportRosterFileRequest{CommunityId: "east", FileName: "二期.xlsx", Content: b.Bytes()})
	if err != nil || r.GetUnits() != 1 || r.GetFigures().GetTotalAreaM2() != "235.50" {
		t.Errorf("an Excel roster: %v, %v", r, err)
	}
	if _, err := rs.ImportRosterFile(e.ctx(e.token(auth.Platform, "")), &ov.ImportRosterFileRequest{CommunityId: "east", FileName: "r.csv", Content: []byte(good)}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("the platform's roster: %v, want PermissionDenied", err)
	}
}
