package roll_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

var testSecret = bytes.Repeat([]byte{7}, 32)

// idNumber makes a valid resident ID from a small number.
func idNumber(n int) string {
	first := "99000019800101" + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
	return first + string(roll.ResidentIDCheck(first))
}

func owner(n int, name string) roll.OwnerInput {
	return roll.OwnerInput{Name: name, IDNumber: idNumber(n), Phone: "10012345" + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))}
}

func person(id, area string, o ...roll.OwnerInput) roll.UnitInput {
	return roll.UnitInput{ID: id, Registered: area, Kind: roll.Person, Owners: o}
}

func ident(t *testing.T) *roll.Identifier {
	t.Helper()
	id, err := roll.NewIdentifier(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func figures(t *testing.T, inputs ...roll.UnitInput) roll.Figures {
	t.Helper()
	b, err := roll.Build(ident(t), inputs)
	if err != nil {
		t.Fatalf("Build = %v", err)
	}
	f, err := roll.ComputeFigures(b.Units)
	if err != nil {
		t.Fatalf("ComputeFigures = %v", err)
	}
	return f
}

// TestFiguresStatutoryRules checks each rule of SPC interpretation arts. 8–9
// on the roll's total area and headcount.
func TestFiguresStatutoryRules(t *testing.T) {
	rep := owner(3, "王三")
	rep.Representative = true
	tests := []struct {
		name  string
		units []roll.UnitInput
		want  tally.Figures
	}{
		{
			name:  "one unit one person, areas add",
			units: []roll.UnitInput{person("1-1-101", "80.25", owner(1, "甲")), person("1-1-102", "60.10", owner(2, "乙"))},
			want:  tally.Figures{Area: 14035, Head: 2},
		},
		{
			name:  "owner of several units counts once, areas add",
			units: []roll.UnitInput{person("1-1-101", "80.25", owner(1, "甲")), person("1-1-102", "60.10", owner(1, "甲")), person("1-1-201", "50.00", owner(2, "乙"))},
			want:  tally.Figures{Area: 19035, Head: 2},
		},
		{
			name: "developer units unsold and undelivered count as one person, area counts",
			units: []roll.UnitInput{
				person("1-1-101", "80.00", owner(1, "甲")),
				{ID: "1-1-102", Registered: "70.00", Kind: roll.DeveloperUnsold},
				{ID: "1-1-201", Registered: "70.00", Kind: roll.DeveloperUnsold},
				{ID: "1-1-202", Registered: "65.50", Kind: roll.SoldUndelivered},
			},
			want: tally.Figures{Area: 28550, Head: 2},
		},
		{
			name:  "co-owned unit counts once",
			units: []roll.UnitInput{person("1-1-101", "90.00", rep, owner(4, "李四")), person("1-1-102", "60.00", owner(5, "赵五"))},
			want:  tally.Figures{Area: 15000, Head: 2},
		},
		{
			name: "area precedence: registered, then surveyed, then contract",
			units: []roll.UnitInput{
				{ID: "a", Registered: "80.00", Surveyed: "81.00", Contract: "82.00", Owners: []roll.OwnerInput{owner(1, "甲")}},
				{ID: "b", Surveyed: "71.00", Contract: "72.00", Owners: []roll.OwnerInput{owner(2, "乙")}},
				{ID: "c", Contract: "62.00", Owners: []roll.OwnerInput{owner(3, "丙")}},
			},
			want: tally.Figures{Area: 8000 + 7100 + 6200, Head: 3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := figures(t, tc.units...).Total
			if got != tc.want {
				t.Errorf("ComputeFigures(...).Total = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	dupName := owner(1, "冒名")
	badID := owner(9, "错号")
	badID.IDNumber = idNumber(9)[:17] + "0"
	if strings.HasSuffix(idNumber(9), "0") {
		badID.IDNumber = idNumber(9)[:17] + "1"
	}
	badPhone := owner(8, "错电话")
	badPhone.Phone = "12345"
	co1, co2 := owner(6, "共一"), owner(7, "共二")
	inputs := []roll.UnitInput{
		person("1-1-101", "80.00", owner(1, "甲")),                 // 0 fine
		person("1-1-101", "80.00", owner(2, "乙")),                 // 1 duplicate unit
		person("1-1-102", "80.123", owner(3, "丙")),                // 2 three decimals
		person("1-1-103", "-5", owner(4, "丁")),                    // 3 negative
		{ID: "1-1-104", Owners: []roll.OwnerInput{owner(5, "戊")}}, // 4 no area
		person("1-1-105", "70.00"),                                // 5 missing owner
		person("1-1-106", "70.00", dupName),                       // 6 same ID, other name
		person("1-1-107", "70.00", badID),                         // 7 bad check digit
		person("1-1-108", "70.00", badPhone),                      // 8 bad phone
		person("1-1-109", "70.00", co1, co2),                      // 9 no representative
		{ID: "1-1-110", Registered: "70", Kind: roll.DeveloperUnsold, Owners: []roll.OwnerInput{owner(10, "开发")}}, // 10 developer with owner
		{ID: "1-1-111", Registered: "70", Kind: "RENTED", Owners: []roll.OwnerInput{owner(11, "租")}},              // 11 bad kind
		person("1-1-112", "70.00", owner(12, "张三、李四")),                                                            // 12 two people in one cell
		person("1-1-113", "70.00", owner(13, "张三\n李四")),                                                           // 13 the same, with a line break
		person("1-1-114", "70.00", owner(14, "张三 13911112222")),                                                   // 14 a phone number in the name
		person("1-1-115", "70.00", owner(15, "张三　李四")),                                                            // 15 two people apart (an ideographic space)
		person("1-1-116", "70.00", owner(16, "John Smith")),                                                       // 16 fine: a name with a space
		person("1-1-117", "70.00", owner(17, "欧阳 娜娜 lee")),                                                        // 17 fine: not Han names alone
	}
	_, err := roll.Build(ident(t), inputs)
	var ie *roll.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("Build = %v, want *ImportError", err)
	}
	type key struct {
		path string
		err  error
	}
	var got []key
	for _, p := range ie.Problems {
		got = append(got, key{p.Path(), p.Err})
	}
	want := []key{
		{"units[1].unit_id", roll.ErrDuplicateUnit},
		{"units[2].registered_area_m2", roll.ErrBadArea},
		{"units[3].registered_area_m2", roll.ErrBadArea},
		{"units[4].registered_area_m2", roll.ErrBadArea},
		{"units[5].owners", roll.ErrMissingOwner},
		{"units[6].owners[0].name", roll.ErrConflictingOwner},
		{"units[7].owners[0].id_number", roll.ErrInvalid},
		{"units[8].owners[0].phone", roll.ErrInvalid},
		{"units[9].owners", roll.ErrInvalid},
		{"units[10].owners", roll.ErrInvalid},
		{"units[11].kind", roll.ErrInvalid},
		{"units[12].owners[0].name", roll.ErrInvalid},
		{"units[13].owners[0].name", roll.ErrInvalid},
		{"units[14].owners[0].name", roll.ErrInvalid},
		{"units[15].owners[0].name", roll.ErrInvalid},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b key) bool { return a.path == b.path && a.err == b.err })); diff != "" {
		t.Errorf("Build problems (-want +got):\n%s", diff)
	}
	for _, s := range []error{roll.ErrInvalidImport, roll.ErrDuplicateUnit, roll.ErrBadArea, roll.ErrMissingOwner, roll.ErrConflictingOwner} {
		if !errors.Is(err, s) {
			t.Errorf("errors.Is(Build error, %v) = false", s)
		}
	}
	for _, p := range ie.Problems {
		if strings.Contains(p.Reason, badID.IDNumber) || strings.Contains(err.Error(), badID.IDNumber) || strings.Contains(p.ZH, badID.IDNumber) {
			t.Errorf("problem %q echoes the identity number", p)
		}
		// Staff read it in Chinese too.
		if p.ZH == "" || !strings.ContainsFunc(p.ZH, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("problem %s has no Chinese: %q", p.Path(), p.ZH)
		}
	}
	if ie.Problems[6].ZH != "证件号码有误：居民身份证号码的校验位不对：可能有数字录错" && ie.Problems[6].Path() == "units[7].owners[0].id_number" {
		t.Errorf("the bad check digit in Chinese: %q", ie.Problems[6].ZH)
	}
}

func TestIdentityAndPhone(t *testing.T) {
	if _, err := roll.NormalizeIDNumber(idNumber(42)); err != nil {
		t.Errorf("NormalizeIDNumber(valid) = %v", err)
	}
	if got, err := roll.NormalizeIDNumber(" " + strings.ToLower("E12345678") + " "); err != nil || got != "E12345678" {
		t.Errorf("NormalizeIDNumber(passport) = %q, %v", got, err)
	}
	for _, bad := range []string{"", "12", "11010519491231002Y", "110105194912310021!"} {
		if _, err := roll.NormalizeIDNumber(bad); err == nil {
			t.Errorf("NormalizeIDNumber(%q) = nil error", bad)
		}
	}
	// GB 11643 example number.
	if c := roll.ResidentIDCheck("11010519491231002"); c != 'X' {
		t.Errorf("ResidentIDCheck(11010519491231002) = %c, want X", c)
	}
	for in, want := range map[string]string{"138 1234 5678": "13812345678", "+86-138-1234-5678": "13812345678", "0532-88886666": "053288886666"} {
		if got, err := roll.NormalizePhone(in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{"13812345678": "138****5678", "0532888866": "05****8866", "053288886666": "053*****6666"} {
		if got := roll.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%s) = %q, want %q", in, got, want)
		}
	}
	id := ident(t)
	other, _ := roll.NewIdentifier(bytes.Repeat([]byte{8}, 32))
	n := idNumber(1)
	if !bytes.Equal(id.Hash(n), id.Hash(n)) || bytes.Equal(id.Hash(n), other.Hash(n)) {
		t.Error("identity hash must be stable under one secret and differ under another")
	}
	if _, err := roll.NewIdentifier([]byte("short")); !errors.Is(err, roll.ErrInvalid) {
		t.Errorf("NewIdentifier(short) = %v, want ErrInvalid", err)
	}
}

const csvRoster = "房号,登记面积,实测面积,合同面积,类型,业主姓名,身份证号,联系电话,代表\n" +
	"1-1-101,80.25,,,个人,甲,%ID1%,13800000001,\n" +
	"1-1-102,60.10,,,,甲,%ID1%,13800000001,\n" +
	"1-1-201,,71.00,,,乙,%ID2%,,是\n" +
	"1-1-201,,71.00,,,丙,%ID3%,,否\n" +
	"1-1-202,70.00,,,未售,,,,\n"

func roster(s string) string {
	return strings.NewReplacer("%ID1%", idNumber(1), "%ID2%", idNumber(2), "%ID3%", idNumber(3)).Replace(s)
}

func TestParseCSVRoster(t *testing.T) {
	ro, err := roll.CheckFile("roster.csv", strings.NewReader("\ufeff"+roster(csvRoster)))
	if err != nil {
		t.Fatalf("CheckFile = %v", err)
	}
	if len(ro.Units) != 4 {
		t.Fatalf("%d units, want 4", len(ro.Units))
	}
	co := ro.Units[2]
	if len(co.Owners) != 2 || !co.Owners[0].Representative || co.Owners[1].Representative {
		t.Errorf("co-owned unit owners = %+v", co.Owners)
	}
	if ro.Units[3].Kind != roll.DeveloperUnsold {
		t.Errorf("kind of 1-1-202 = %s, want DEVELOPER_UNSOLD", ro.Units[3].Kind)
	}
	f := figures(t, ro.Units...)
	if want := (tally.Figures{Area: 8025 + 6010 + 7100 + 7000, Head: 3}); f.Total != want {
		t.Errorf("figures = %+v, want %+v", f.Total, want)
	}
}

func TestParseFileReportsEveryBadRow(t *testing.T) {
	bad := roster("unit_id,registered_area_m2,kind,owner_name,id_number,phone,representative\n" +
		"1-1-101,80.00,,甲,%ID1%,,\n" +
		"1-1-101,80.00,,乙,%ID2%,,\n" + // row 3 duplicate unit
		"1-1-102,8O.00,,丙,%ID3%,,\n" + // row 4 letter O
		"1-1-103,70.00,,,,,\n" + // row 5 missing owner
		"1-1-104,70.00,,冒名,%ID1%,,\n" + // row 6 conflicting owner
		"1-1-105,70.00,出租,丁,%ID3%,,\n" + // row 7 bad kind
		"1-1-106,70.00,,戊,12345678901234567X,,\n") // row 8 bad check digit
	_, err := roll.CheckFile("bad.csv", strings.NewReader(bad))
	var fe *roll.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("CheckFile = %v, want *FileError", err)
	}
	var got []string
	for _, p := range fe.Problems {
		got = append(got, p.Place.String())
	}
	want := []string{
		"bad.csv:3: column unit_id",
		"bad.csv:4: column registered_area_m2",
		"bad.csv:5: column representative",
		"bad.csv:6: column owner_name",
		"bad.csv:7: column kind",
		"bad.csv:8: column id_number",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem places (-want +got):\n%s\n%v", diff, err)
	}
	for _, s := range []error{roll.ErrDuplicateUnit, roll.ErrBadArea, roll.ErrMissingOwner, roll.ErrConflictingOwner} {
		if !errors.Is(err, s) {
			t.Errorf("errors.Is(err, %v) = false", s)
		}
	}
	// A conflict names the other row of the file, not an index of the
	// request.
	if r := fe.Problems[3].Reason; !strings.Contains(r, "at row 2 ") || strings.Contains(r, "units[") {
		t.Errorf("conflicting owner: %q, want the other place as row 2", r)
	}
	if zh := fe.Problems[3].ZH; !strings.Contains(zh, "在第2行的姓名不同") || strings.Contains(zh, "units[") {
		t.Errorf("conflicting owner in Chinese: %q, want the other place as 第2行", zh)
	}
}

func TestParseFileHeaderProblems(t *testing.T) {
	_, err := roll.CheckFile("h.csv", strings.NewReader("unit,area\n1,2\n"))
	var fe *roll.FileError
	if !errors.As(err, &fe) || len(fe.Problems) < 3 {
		t.Fatalf("CheckFile(bad header) = %v, want unknown-column and missing-column problems", err)
	}
	for _, p := range fe.Problems {
		if p.ZH == "" || !strings.Contains(p.String(), p.ZH) {
			t.Errorf("file problem %s has no Chinese, or does not say it", p)
		}
	}
	if _, err := roll.CheckFile("r.ods", strings.NewReader("x")); !errors.Is(err, roll.ErrInvalidImport) || !strings.Contains(l10n.Of(err), ".xlsx") {
		t.Errorf("CheckFile(.ods) = %v (%s), want ErrInvalidImport, in Chinese too", err, l10n.Of(err))
	}
	if _, err := roll.CheckFile("r.csv", strings.NewReader("unit_id,registered_area_m2,owner_name,id_number\n")); !errors.Is(err, roll.ErrInvalidImport) {
		t.Errorf("CheckFile(header only) = %v, want ErrInvalidImport", err)
	}
	// A running number and a remark, which most rosters kept in a
	// spreadsheet have, are read past; another column is not.
	r, err := roll.CheckFile("r.csv", strings.NewReader("序号,房号,登记面积,业主姓名,身份证号,备注\n1,1-1-101,80.00,甲,110101199003071233,已核对产权证\n"))
	if err != nil || len(r.Units) != 1 || r.Units[0].ID != "1-1-101" {
		t.Errorf("a roster with 序号 and 备注: %+v, %v; want its one unit", r, err)
	}
	if _, err := roll.CheckFile("r.csv", strings.NewReader("房号,登记面积,建筑面积,业主姓名,身份证号\n1-1-101,80.00,95.00,甲,110101199003071233\n")); err == nil || !strings.Contains(err.Error(), `"建筑面积" is not an area column`) {
		t.Errorf("a roster with 建筑面积 (not the exclusive area): %v, want the column refused", err)
	}
	// An area column that does not say what it rests on is refused with
	// what to name it; another unknown column as before.
	for header, want := range map[string]string{
		"建筑面积":    "「建筑面积」不是可用的面积列：表决按专有部分面积计，列名须写明面积的依据——不动产登记簿记载的填「登记面积」列",
		"面积":      "「面积」不是可用的面积列",
		"Area":    "「Area」不是可用的面积列",
		"楼层":      "不认识的列「楼层」",
		"建筑面积（㎡）": "「建筑面积（㎡）」不是可用的面积列",
		"面积(m²)":  "「面积(m²)」不是可用的面积列",
	} {
		_, err := roll.CheckFile("r.csv", strings.NewReader("房号,"+header+",业主姓名,身份证号\n1-1-101,95.00,甲,110101199003071233\n"))
		var fe *roll.FileError
		if !errors.As(err, &fe) || len(fe.Problems) == 0 || !strings.Contains(fe.Problems[0].ZH, want) || fe.Problems[0].Place.Column != header {
			t.Errorf("a roster with column %s: %v, want %q", header, err, want)
		}
	}
	// A header or an area that reads as a phone or identity number (a row
	// of data taken for the header, columns shifted) is not repeated.
	for what, csv := range map[string]string{
		"a phone number as a header":                           "房号,13812345678,业主姓名,身份证号\n1-1-101,95.00,甲,110101199003071233\n",
		"an identity number under 登记面积":                        "房号,登记面积,业主姓名,身份证号\n1-1-101,11010519491231002X,甲,110101199003071233\n",
		"a phone number under 实测面积":                            "房号,实测面积,业主姓名,身份证号\n1-1-101,13812345678,甲,110101199003071233\n",
		"an identity number with a space under 房号":             "房号,实测面积,业主姓名,身份证号\n110105 19491231002X,80.00,甲,110101199003071233\n",
		"an identity number with a wrong check digit under 房号": "房号,实测面积,业主姓名,身份证号\n990000 198001010071,80.00,甲,110101199003071233\n",
		"a phone number in groups under 房号":                    "房号,实测面积,业主姓名,身份证号\n\"138 1234 5678\",80.00,甲,110101199003071233\n",
	} {
		_, err := roll.CheckFile("r.csv", strings.NewReader(csv))
		var fe *roll.FileError
		if !errors.As(err, &fe) || len(fe.Problems) == 0 {
			t.Errorf("%s: %v, want it refused", what, err)
			continue
		}
		for _, p := range fe.Problems {
			if all := fmt.Sprint(p.Place, p.Reason, p.ZH, err); strings.Contains(all, "13812345678") || strings.Contains(all, "1949123") || strings.Contains(all, "1234 5678") || strings.Contains(all, "19800101") {
				t.Errorf("%s: the number repeated: %s", what, all)
			}
		}
	}
	// An area column's header may name the unit, square metres.
	for _, header := range []string{"登记面积(㎡)", "登记面积（平方米）", "登记面积 (m²)", "registered_area_m2 (m2)", "登记面积/㎡", "登记面积㎡"} {
		r, err := roll.CheckFile("r.csv", strings.NewReader("房号,"+header+",业主姓名,身份证号\n1-1-101,80.00,甲,110101199003071233\n"))
		if err != nil || len(r.Units) != 1 || r.Units[0].Registered != "80.00" {
			t.Errorf("a roster with column %s: %+v, %v; want its unit's registered area", header, r, err)
		}
	}
	// What Chinese spreadsheet programs save by default: told once, with
	// what to do, not as a fault on every row.
	for _, tc := range []struct{ name, data, want string }{
		{"UTF-16", "\xff\xfeu", "UTF-16"},
		{"GBK", "unit_id,registered_area_m2,owner_name,id_number\n1-1-101,80.00,\xd5\xc5\xc8\xfd,110101199003071234\n", "line 2: it is not UTF-8 text (GBK"},
		{"CR line ends", "unit_id,registered_area_m2,owner_name,id_number\r1-1-101,80.00,a,b\r", "CR alone"},
	} {
		if _, err := roll.CheckFile("r.csv", strings.NewReader(tc.data)); !errors.Is(err, roll.ErrInvalidImport) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "CSV UTF-8") ||
			!strings.Contains(l10n.Of(err), "另存为“CSV UTF-8”") {
			t.Errorf("CheckFile(%s) = %v (%s), want ErrInvalidImport saying %q and how to save it, in Chinese too", tc.name, err, l10n.Of(err), tc.want)
		}
	}
}

// writeXLSX writes rows to the first sheet of a workbook.
func writeXLSX(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseXLSXRoster(t *testing.T) {
	data := writeXLSX(t, [][]any{
		{"房号", "登记面积", "业主姓名", "身份证号", "联系电话"},
		{"1-1-101", 80.25, "甲", idNumber(1), "13800000001"},
		{"1-1-102", "60.1", "乙", idNumber(2), 13800000002},
		{"1-1-103", "abc", "丙", idNumber(3), ""},
		{"1-1-104", 50, "", "", ""},
	})
	_, err := roll.CheckFile("roster.xlsx", bytes.NewReader(data))
	var fe *roll.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("CheckFile(xlsx) = %v, want *FileError", err)
	}
	var got []string
	for _, p := range fe.Problems {
		got = append(got, p.Place.String())
	}
	want := []string{"roster.xlsx:4: column 登记面积", "roster.xlsx:5: column representative"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("xlsx problems (-want +got):\n%s", diff)
	}
	good := writeXLSX(t, [][]any{
		{"房号", "登记面积", "业主姓名", "身份证号"},
		{"1-1-101", 80.25, "甲", idNumber(1)},
		{"1-1-102", "60.1", "乙", idNumber(2)},
	})
	ro, err := roll.CheckFile("roster.xlsx", bytes.NewReader(good))
	if err != nil {
		t.Fatalf("CheckFile(good xlsx) = %v", err)
	}
	if f := figures(t, ro.Units...); f.Total != (tally.Figures{Area: 14035, Head: 2}) {
		t.Errorf("xlsx figures = %+v", f.Total)
	}
}

func newBook(t *testing.T) (*roll.Book, store.Store) {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "roll.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	b, err := roll.NewBook(st, roll.Config{Secret: testSecret, Now: func() time.Time { clock = clock.Add(time.Second); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

func TestBookImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", owner(1, "甲"))}); err != nil {
		t.Fatal(err)
	}
	// A second import with a good new unit, a unit already on the roll and
	// an owner whose name differs from the record: refused whole.
	_, err := b.Import(ctx, "cm1", []roll.UnitInput{
		person("1-1-102", "70.00", owner(2, "乙")),
		person("1-1-101", "80.00", owner(3, "丙")),
		person("1-1-103", "60.00", owner(1, "甲改名")),
	})
	var ie *roll.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 {
		t.Fatalf("Import = %v, want two problems", err)
	}
	if !errors.Is(err, roll.ErrDuplicateUnit) || !errors.Is(err, roll.ErrConflictingOwner) {
		t.Errorf("Import error %v should match ErrDuplicateUnit and ErrConflictingOwner", err)
	}
	units, err := b.Units(ctx, "cm1")
	if err != nil || len(units) != 1 {
		t.Fatalf("Units after refused import = %d, %v; want 1 (nothing written)", len(units), err)
	}
	c, _ := b.Community(ctx, "cm1")
	if c.Figures.Units != 1 || c.Figures.Total.Head != 1 {
		t.Errorf("figures after refused import = %+v", c.Figures)
	}
	// The same owner's second unit, imported later, joins the owner.
	res, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-102", "70.00", owner(1, "甲"))})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewOwners != 0 || res.Figures.Total != (tally.Figures{Area: 15000, Head: 1}) {
		t.Errorf("Import of second unit = %+v, want no new owner, 150.00 m², 1 head", res)
	}
	if _, err := b.Import(ctx, "nope", []roll.UnitInput{person("x", "1", owner(1, "甲"))}); !errors.Is(err, roll.ErrCommunityNotFound) {
		t.Errorf("Import(unknown community) = %v, want ErrCommunityNotFound", err)
	}
}

func TestBookKeys(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"})
	rep := owner(1, "代表")
	rep.Representative = true
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", rep, owner(2, "共有人"))}); err != nil {
		t.Fatal(err)
	}
	id := ident(t)
	repID, coID := roll.OwnerID(id.Hash(idNumber(1))), roll.OwnerID(id.Hash(idNumber(2)))
	pub1, _, _ := ed25519.GenerateKey(nil)
	pub2, _, _ := ed25519.GenerateKey(nil)
	actor := roll.Actor{TokenID: "tok-1", Label: "平台"}

	if _, err := b.RegisterKey(ctx, "cm1", coID, pub1, actor); !errors.Is(err, roll.ErrNotVoter) {
		t.Errorf("RegisterKey(non-representative co-owner) = %v, want ErrNotVoter", err)
	}
	if _, err := b.RegisterKey(ctx, "cm1", repID, pub1[:31], actor); !errors.Is(err, roll.ErrInvalid) {
		t.Errorf("RegisterKey(short key) = %v, want ErrInvalid", err)
	}
	k1, err := b.RegisterKey(ctx, "cm1", repID, pub1, actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.RegisterKey(ctx, "cm1", repID, pub1, actor); !errors.Is(err, roll.ErrKeyInUse) {
		t.Errorf("RegisterKey(same key again) = %v, want ErrKeyInUse", err)
	}
	k2, err := b.RotateKey(ctx, "cm1", repID, k1.ID, pub2, actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.RotateKey(ctx, "cm1", repID, k1.ID, pub1, actor); !errors.Is(err, roll.ErrKeyRevoked) {
		t.Errorf("RotateKey(revoked key) = %v, want ErrKeyRevoked", err)
	}
	if _, err := b.RevokeKey(ctx, "cm1", repID, k2.ID, "", roll.Actor{}); !errors.Is(err, roll.ErrInvalid) {
		t.Errorf("RevokeKey(no reason) = %v, want ErrInvalid", err)
	}
	if _, err := b.RevokeKey(ctx, "cm1", repID, k2.ID, "手机丢失", roll.Actor{}); err != nil {
		t.Fatal(err)
	}
	keys, err := b.Keys(ctx, "cm1", repID)
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		ID, ReplacedBy, Reason string
		Active                 bool
	}
	var got []view
	for _, k := range keys {
		got = append(got, view{k.ID, k.ReplacedBy, k.RevokeReason, k.Active()})
	}
	want := []view{{k1.ID, k2.ID, "rotated", false}, {k2.ID, "", "手机丢失", false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("key history (-want +got):\n%s", diff)
	}
}

func TestBookRevealPhoneIsRecorded(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"})
	o := owner(1, "甲")
	b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", o)})
	oid := roll.OwnerID(ident(t).Hash(idNumber(1)))
	actor := roll.Actor{TokenID: "tok-9", Label: "社区 张"}
	if _, err := b.RevealPhone(ctx, "cm1", oid, actor, " "); !errors.Is(err, roll.ErrInvalid) {
		t.Errorf("RevealPhone(no reason) = %v, want ErrInvalid", err)
	}
	phone, err := b.RevealPhone(ctx, "cm1", oid, actor, "电话动员")
	if err != nil || phone != o.Phone {
		t.Fatalf("RevealPhone = %q, %v; want %q", phone, err, o.Phone)
	}
	log, err := b.AccessLog(ctx)
	if err != nil || len(log) != 1 {
		t.Fatalf("AccessLog = %v, %v; want one entry", log, err)
	}
	if e := log[0]; e.TokenID != "tok-9" || e.OwnerID != oid || e.Reason != "电话动员" || e.Action != "reveal_phone" {
		t.Errorf("access entry = %+v", e)
	}
}

// TestRevealQuota: a token reveals at most Config.RevealQuota owners'
// numbers a day, China time. Revealing again a number it revealed that day
// does not count; a refused reveal records nothing; another token, or the
// next day from midnight in China, starts again; a negative quota is none.
func TestRevealQuota(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "roll.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// 23:00 on 1 May in China: 15:00 UTC.
	clock := time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)
	newBook := func(quota int) *roll.Book {
		b, err := roll.NewBook(st, roll.Config{Secret: testSecret, RevealQuota: quota, Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := newBook(2)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	var units []roll.UnitInput
	var oids []string
	for i := 1; i <= 5; i++ {
		units = append(units, person(fmt.Sprintf("1-1-10%d", i), "80.00", owner(i, "业主"+strconv.Itoa(i))))
		oids = append(oids, roll.OwnerID(ident(t).Hash(idNumber(i))))
	}
	if _, err := b.Import(ctx, "cm1", units); err != nil {
		t.Fatal(err)
	}
	a, c, d := roll.Actor{TokenID: "tok-a", Label: "社区 甲"}, roll.Actor{TokenID: "tok-c", Label: "社区 丙"}, roll.Actor{TokenID: "tok-d", Label: "社区 丁"}
	reveal := func(who roll.Actor, i int) error {
		t.Helper()
		clock = clock.Add(time.Second)
		_, err := b.RevealPhone(ctx, "cm1", oids[i], who, "电话动员")
		return err
	}
	// The day before, tok-a's and others' records the count must pass over.
	clock = clock.Add(-24 * time.Hour)
	for _, r := range []struct {
		who roll.Actor
		i   int
	}{{a, 2}, {a, 3}, {d, 0}, {d, 1}} {
		if err := reveal(r.who, r.i); err != nil {
			t.Fatalf("yesterday's reveal of owner %d: %v", r.i, err)
		}
	}
	for range 20 {
		if err := reveal(c, 4); err != nil {
			t.Fatalf("the same number again: %v", err)
		}
	}
	clock = clock.Add(24 * time.Hour)
	for _, i := range []int{0, 1, 1} {
		if err := reveal(a, i); err != nil {
			t.Fatalf("reveal of owner %d within the quota: %v", i, err)
		}
	}
	before, _ := b.AccessLog(ctx)
	err = reveal(a, 2)
	if !errors.Is(err, roll.ErrRevealQuota) || !strings.Contains(err.Error(), "2 owners") || !strings.Contains(l10n.Of(err), "已达每日上限") {
		t.Fatalf("third owner's number = %v (%q), want ErrRevealQuota naming 2 owners, in Chinese too", err, l10n.Of(err))
	}
	if after, _ := b.AccessLog(ctx); len(after) != len(before) {
		t.Errorf("a refused reveal was recorded: %d entries, then %d", len(before), len(after))
	}
	var re *roll.RetryError
	if midnight := time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC); !errors.As(err, &re) || re.RetryAfter() != midnight.Sub(clock) {
		t.Errorf("the refusal's wait = %v, want %v: until midnight, China time", re, midnight.Sub(clock))
	}
	if err := reveal(a, 0); err != nil {
		t.Errorf("a number revealed today, again: %v", err)
	}
	if err := reveal(d, 2); err != nil {
		t.Errorf("another token: %v", err)
	}
	// 23:59:59 in China is still the same day; 00:00 the next one.
	clock = time.Date(2026, 5, 1, 15, 59, 58, 0, time.UTC)
	if err := reveal(a, 3); !errors.Is(err, roll.ErrRevealQuota) {
		t.Errorf("at 23:59:59 China time = %v, want ErrRevealQuota", err)
	}
	if err := reveal(a, 3); err != nil {
		t.Errorf("at midnight China time = %v, want a new day's quota", err)
	}
	if err := reveal(a, 4); err != nil {
		t.Errorf("the new day's second owner = %v", err)
	}
	if err := reveal(a, 2); !errors.Is(err, roll.ErrRevealQuota) {
		t.Errorf("the new day's third owner, the first revealed at 00:00:00 = %v, want ErrRevealQuota", err)
	}
	b = newBook(-1)
	for i := range 5 {
		if err := reveal(a, i); err != nil {
			t.Errorf("no quota: reveal %d = %v", i, err)
		}
	}
	// Zero is the default.
	units = units[:0]
	for i := range roll.DefaultRevealQuota + 1 {
		n := 100 + i
		units = append(units, person(fmt.Sprintf("2-1-%d", n), "80.00", owner(n, "业主"+strconv.Itoa(n))))
		oids = append(oids, roll.OwnerID(ident(t).Hash(idNumber(n))))
	}
	if _, err := b.Import(ctx, "cm1", units); err != nil {
		t.Fatal(err)
	}
	b = newBook(0)
	for i := range roll.DefaultRevealQuota + 1 {
		if err := reveal(c, 5+i); (err == nil) != (i < roll.DefaultRevealQuota) {
			t.Fatalf("default quota: owner %d = %v", i+1, err)
		}
	}
}

// TestIdentityNumberForms: one person's number, however it is written —
// grouped with spaces or hyphens, or as a first-generation 15-digit resident
// ID — gives one owner; a resident ID with a digit missing or extra is
// refused, not taken as another document.
func TestIdentityNumberForms(t *testing.T) {
	id18 := roll.ResidentIDCheck("11010519491231002")
	plain := "11010519491231002" + string(id18)
	for _, in := range []string{plain, "110105 19491231 002" + string(id18), "110105-19491231-002" + strings.ToLower(string(id18)), "110105491231002"} {
		if got, err := roll.NormalizeIDNumber(in); err != nil || got != plain {
			t.Errorf("NormalizeIDNumber(%q) = %q, %v; want %s", in, got, err, plain)
		}
	}
	for _, bad := range []string{"1101051949123100", "11010519491231002", "1101051949123100200", "11010549123100"} {
		if _, err := roll.NormalizeIDNumber(bad); err == nil || !strings.Contains(err.Error(), "digits") {
			t.Errorf("NormalizeIDNumber(%q) = %v, want a resident ID with a digit missing or extra", bad, err)
		}
	}
	if got, err := roll.NormalizeIDNumber("G-1234 5678"); err != nil || got != "G12345678" {
		t.Errorf("NormalizeIDNumber(a grouped passport number) = %q, %v", got, err)
	}

	ctx := context.Background()
	b, _ := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	hyphenated := roll.OwnerInput{Name: "甲", IDNumber: "110105-19491231-002" + string(id18)}
	old15 := roll.OwnerInput{Name: "甲", IDNumber: "110105491231002"}
	res, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", roll.OwnerInput{Name: "甲", IDNumber: plain}), person("1-1-102", "70.00", hyphenated)})
	if err != nil || res.NewOwners != 1 || res.Figures.Total.Head != 1 {
		t.Fatalf("one person's two units, the number written two ways: %+v, %v; want one owner, one head", res, err)
	}
	if res, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-103", "60.00", old15)}); err != nil || res.NewOwners != 0 || res.Figures.Total.Head != 1 {
		t.Errorf("the same person by the 15-digit ID: %+v, %v; want no new owner", res, err)
	}

	// An owner a server stored under the number's earlier form (hyphens
	// kept) stays that owner when imported again.
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm2", Name: "老小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	if err := roll.ImportAsBefore(ctx, b, "cm2", []roll.UnitInput{person("2-1-101", "80.00", hyphenated)}); err != nil {
		t.Fatal(err)
	}
	before, _, err := b.Owners(ctx, "cm2", "", 10)
	if err != nil || len(before) != 1 {
		t.Fatalf("owners stored as before: %v, %v", before, err)
	}
	res, err = b.Import(ctx, "cm2", []roll.UnitInput{person("2-1-102", "70.00", hyphenated)})
	after, _, _ := b.Owners(ctx, "cm2", "", 10)
	if err != nil || res.NewOwners != 0 || len(after) != 1 || after[0].ID != before[0].ID || len(after[0].Units) != 2 {
		t.Errorf("re-importing an owner stored under the earlier form: %+v, %v; owners %+v; want the owner on record, with both units", res, err, after)
	}
	// The same, whatever form comes first in the batch, and for an owner
	// stored by a 15-digit ID imported again by the 18-digit one.
	for n, c := range []struct {
		stored roll.OwnerInput
		again  []roll.OwnerInput
	}{
		{hyphenated, []roll.OwnerInput{{Name: "甲", IDNumber: plain}, hyphenated}},
		{old15, []roll.OwnerInput{{Name: "甲", IDNumber: plain}}},
	} {
		cid := fmt.Sprintf("old%d", n)
		if _, err := b.CreateCommunity(ctx, roll.Community{ID: cid, Name: "老小区", StreetOffice: "街道"}); err != nil {
			t.Fatal(err)
		}
		if err := roll.ImportAsBefore(ctx, b, cid, []roll.UnitInput{person("3-1-101", "80.00", c.stored)}); err != nil {
			t.Fatal(err)
		}
		var units []roll.UnitInput
		for i, o := range c.again {
			units = append(units, person(fmt.Sprintf("3-1-%d", 102+i), "70.00", o))
		}
		res, err := b.Import(ctx, cid, units)
		owners, _, _ := b.Owners(ctx, cid, "", 10)
		if err != nil || res.NewOwners != 0 || len(owners) != 1 || len(owners[0].Units) != 1+len(c.again) {
			t.Errorf("case %d: %+v, %v; owners %+v; want the one owner on record with every unit", n, res, err, owners)
		}
	}
}

// TestParseFileCoOwnerRowWithoutOwner: a co-owned unit whose first row
// names no owner is refused at that row, not read as a unit of the other
// co-owner alone.
func TestParseFileCoOwnerRowWithoutOwner(t *testing.T) {
	bad := roster("unit_id,registered_area_m2,kind,owner_name,id_number,phone,representative\n" +
		"1-1-101,80.00,,,,,是\n" +
		"1-1-101,80.00,,乙,%ID2%,,否\n" +
		"1-1-101,80.00,,丙,%ID3%,,否\n")
	_, err := roll.CheckFile("co.csv", strings.NewReader(bad))
	var fe *roll.FileError
	if !errors.As(err, &fe) || fe.Problems[0].Place.String() != "co.csv:2: column owner_name" || !strings.Contains(fe.Problems[0].Reason, "names no owner") {
		t.Fatalf("CheckFile = %v, want a problem at co.csv:2, column owner_name", err)
	}
	for _, p := range fe.Problems {
		if !strings.HasPrefix(p.Place.String(), "co.csv:2:") {
			t.Errorf("problem at %s: %s; want all at row 2", p.Place, p.Reason)
		}
	}
}

// TestBuildRefusesAnImplausibleArea: an area beyond any exclusive unit is
// refused at its field, so a dropped decimal point of that size, or an
// overflowing total, never reaches the roll.
func TestBuildRefusesAnImplausibleArea(t *testing.T) {
	_, err := roll.Build(ident(t), []roll.UnitInput{person("1-1-101", "100000.00", owner(1, "甲")), person("1-1-102", "90000000000000000", owner(2, "乙")),
		{ID: "1-1-103", Surveyed: "100000.01", Kind: roll.Person, Owners: []roll.OwnerInput{owner(3, "丙")}}})
	var ie *roll.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 || ie.Problems[0].Path() != "units[1].registered_area_m2" || ie.Problems[1].Path() != "units[2].surveyed_area_m2" ||
		!strings.Contains(ie.Problems[0].Reason, "decimal point") || !errors.Is(err, roll.ErrBadArea) {
		t.Errorf("Build = %v; want units[1] and units[2] refused for their areas, 100000.00 m² taken", err)
	}
}

// TestPhoneRevealsWithholdANumber: a reveal's reason recorded with a phone
// number in it (before such reasons were refused) is not read back.
func TestPhoneRevealsWithholdANumber(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	if err := roll.RecordRevealAsBefore(ctx, b, "cm1", "o1", "家属来电 13912345678 要求回拨"); err != nil {
		t.Fatal(err)
	}
	got, _, err := b.PhoneReveals(ctx, "cm1", 0, 10)
	if err != nil || len(got) != 1 || strings.Contains(got[0].Reason, "13912345678") || !strings.Contains(got[0].Reason, "withheld") ||
		strings.Contains(got[0].Label, "13912345678") || !strings.Contains(got[0].Label, "withheld") {
		t.Errorf("PhoneReveals = %+v, %v; want the reason and the token's label withheld", got, err)
	}
	if _, _, err := b.PhoneReveals(ctx, "cm1", 0, 0); !errors.Is(err, roll.ErrInvalid) {
		t.Errorf("PhoneReveals(limit 0) = %v, want ErrInvalid", err)
	}
}

// TestTransferOfABigUnitOnRoll: a unit imported before areas were bounded,
// larger than the bound, can still change hands.
func TestTransferOfABigUnitOnRoll(t *testing.T) {
	ctx := context.Background()
	b, st := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	if err := roll.ImportAsBefore(ctx, b, "cm1", []roll.UnitInput{person("S-1", "200000.00", owner(1, "甲"))}); err != nil {
		t.Fatal(err)
	}
	err := st.Update(ctx, func(tx store.Tx) error {
		_, _, _, err := b.TransferRecordedTx(tx, "cm1", "S-1", []roll.OwnerInput{owner(2, "乙")}, roll.Actor{}, "", time.Now())
		return err
	})
	if err != nil {
		t.Errorf("transfer of a 200000.00 m² unit on the roll: %v", err)
	}
	// A sale's problems name the request's fields (AmendRoll's new_owners),
	// not an import's units.
	for _, tc := range []struct {
		owners []roll.OwnerInput
		path   string
	}{
		{nil, "new_owners"},
		{[]roll.OwnerInput{owner(3, "")}, "new_owners[0].name"},
	} {
		err := st.Update(ctx, func(tx store.Tx) error {
			_, _, _, err := b.TransferRecordedTx(tx, "cm1", "S-1", tc.owners, roll.Actor{}, "", time.Now())
			return err
		})
		var ie *roll.ImportError
		if !errors.As(err, &ie) || len(ie.Problems) == 0 || ie.Problems[0].Path() != tc.path {
			t.Errorf("transfer to %v: %v, want a problem at %s", tc.owners, err, tc.path)
		}
	}
}

// TestParseFileLaterCoOwnerRowWithoutOwner: a later row of a co-owned unit
// that names no owner is told so, not called a duplicate.
func TestParseFileLaterCoOwnerRowWithoutOwner(t *testing.T) {
	bad := roster("unit_id,registered_area_m2,kind,owner_name,id_number,phone,representative\n" +
		"1-1-101,80.00,,甲,%ID1%,,是\n" +
		"1-1-101,80.00,,乙,%ID2%,,否\n" +
		"1-1-101,80.00,,,,,否\n")
	_, err := roll.CheckFile("co.csv", strings.NewReader(bad))
	var fe *roll.FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 1 || fe.Problems[0].Place.String() != "co.csv:4: column owner_name" || !strings.Contains(fe.Problems[0].Reason, "names no owner") {
		t.Errorf("CheckFile = %v, want one problem at co.csv:4, column owner_name", err)
	}
}

// TestSameCoOwnersOneRepresentative: co-owners holding several units
// together are one owner (one buyer, SPC interpretation art. 9) and vote
// through one representative: a roll naming two for them, in one import,
// against the roll or by a transfer, is refused; other sets of owners are
// other buyers.
func TestSameCoOwnersOneRepresentative(t *testing.T) {
	ctx := context.Background()
	b, st := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	rep := func(o roll.OwnerInput) roll.OwnerInput { o.Representative = true; return o }
	jia, yi, bing := owner(1, "甲"), owner(2, "乙"), owner(3, "丙")

	_, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "90.00", rep(jia), yi), person("1-1-102", "60.00", jia, rep(yi))})
	var ie *roll.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Path() != "units[1].owners[1].representative" ||
		ie.Problems[0].Other == nil || ie.Problems[0].Other.Path() != "units[0].owners[0].representative" || !errors.Is(err, roll.ErrConflictingOwner) {
		t.Fatalf("two representatives for the same co-owners in one import: %v, want one problem at units[1].owners[1] naming units[0].owners[0]", err)
	}
	// roll import --check finds it too (Build, without the roll).
	if _, err := roll.Build(ident(t), []roll.UnitInput{person("1-1-101", "90.00", rep(jia), yi), person("1-1-102", "60.00", jia, rep(yi))}); !errors.As(err, &ie) ||
		len(ie.Problems) != 1 || ie.Problems[0].Path() != "units[1].owners[1].representative" {
		t.Errorf("Build of two representatives for the same co-owners: %v", err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "90.00", rep(jia), yi)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-102", "60.00", rep(yi), jia)}); !errors.As(err, &ie) ||
		len(ie.Problems) != 1 || ie.Problems[0].Path() != "units[0].owners[0].representative" {
		t.Errorf("the same co-owners under another representative than on the roll: %v", err)
	}
	// A unit already on the roll is that problem alone.
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "90.00", jia, rep(yi))}); !errors.As(err, &ie) ||
		len(ie.Problems) != 1 || !errors.Is(err, roll.ErrDuplicateUnit) {
		t.Errorf("a unit on the roll imported again under another representative: %v, want only ErrDuplicateUnit", err)
	}
	// The same representative, or another set of owners: accepted.
	res, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-102", "60.00", yi, rep(jia)), person("1-1-103", "50.00", jia, yi, rep(bing)), person("1-1-104", "40.00", owner(4, "丁"))})
	if err != nil {
		t.Fatal(err)
	}
	// {甲, 乙} for 101 and 102, {甲, 乙, 丙} for 103, 丁 for 104.
	if res.Figures.Total.Head != 3 {
		t.Errorf("headcount = %d, want 3", res.Figures.Total.Head)
	}
	// A sale to the same co-owners under another representative.
	err = st.Update(ctx, func(tx store.Tx) error {
		_, _, _, err := b.TransferRecordedTx(tx, "cm1", "1-1-104", []roll.OwnerInput{rep(yi), jia}, roll.Actor{}, "", time.Now())
		return err
	})
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Field != "representative" {
		t.Errorf("a transfer to the same co-owners under another representative: %v", err)
	}
	err = st.Update(ctx, func(tx store.Tx) error {
		_, _, _, err := b.TransferRecordedTx(tx, "cm1", "1-1-104", []roll.OwnerInput{rep(jia), yi}, roll.Actor{}, "", time.Now())
		return err
	})
	if err != nil {
		t.Errorf("a transfer to the same co-owners under the same representative: %v", err)
	}

	// A roll stored before this rule names two representatives for 甲
	// and 乙 (101: 甲, 102: 乙): either is taken, so that its units can
	// still be sold and imported beside.
	units, err := b.Units(ctx, "cm1")
	if err != nil {
		t.Fatal(err)
	}
	var yiID string
	for _, u := range units {
		if u.ID == "1-1-101" {
			for _, o := range u.Owners {
				if !o.Representative {
					yiID = o.OwnerID
				}
			}
		}
	}
	if err := roll.SetRepresentative(ctx, b, "cm1", "1-1-102", yiID); err != nil {
		t.Fatal(err)
	}
	for i, in := range []roll.UnitInput{person("1-1-105", "40.00", rep(yi), jia), person("1-1-106", "40.00", yi, rep(jia))} {
		if _, err := b.Import(ctx, "cm1", []roll.UnitInput{in}); err != nil {
			t.Errorf("an import beside a roll with two representatives for the same co-owners, naming the %d: %v", i, err)
		}
	}
}

// TestMaskPhoneHasTheBallotsShape: the roll's mask of a phone of any
// length is one a ballot may carry (ballot.MaskedLikeTheRoll).
func TestMaskPhoneHasTheBallotsShape(t *testing.T) {
	for _, p := range []string{"5557777", "88886666", "0532888866", "13800138000", "053288886666"} {
		if m := roll.MaskPhone(p); !ballot.MaskedLikeTheRoll(m) {
			t.Errorf("MaskPhone(%s) = %s, which a ballot may not carry", p, m)
		}
	}
}

// TestCreateCommunityChecksItsFields: a community's id goes in every API
// path and store key of it, its names on every notice: each is checked,
// and a refused community is not stored.
func TestCreateCommunityChecksItsFields(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	good := roll.Community{ID: "beizhai-jiguan", Name: "北宅机关宿舍楼", StreetOffice: "金家岭街道", ResidentsCommittee: "惠都社区"}
	long := strings.Repeat("宿", 101)
	for _, tc := range []struct {
		name string
		edit func(c *roll.Community)
	}{
		{"an id with capitals", func(c *roll.Community) { c.ID = "Beizhai" }},
		{"an id with a slash", func(c *roll.Community) { c.ID = "bei/zhai" }},
		{"an id of two characters", func(c *roll.Community) { c.ID = "bz" }},
		{"an id ending with '-'", func(c *roll.Community) { c.ID = "beizhai-" }},
		{"an id of 41 characters", func(c *roll.Community) { c.ID = strings.Repeat("b", 41) }},
		{"no name", func(c *roll.Community) { c.Name = "  " }},
		{"a name of 101 characters", func(c *roll.Community) { c.Name = long }},
		{"no street office", func(c *roll.Community) { c.StreetOffice = "" }},
		{"a street office of 101 characters", func(c *roll.Community) { c.StreetOffice = long }},
		{"a residents' committee of 101 characters", func(c *roll.Community) { c.ResidentsCommittee = long }},
		// Printed on the public notices: no phone or identity number.
		{"a phone number as the id", func(c *roll.Community) { c.ID = "13812345678" }},
		{"a phone number in the name", func(c *roll.Community) { c.Name = "北宅机关宿舍楼 13812345678" }},
		{"an identity number in the street office", func(c *roll.Community) { c.StreetOffice = "金家岭街道 11010519491231002X" }},
		{"a phone number in groups in the residents' committee", func(c *roll.Community) { c.ResidentsCommittee = "惠都社区 张 138 1234 5678" }},
	} {
		c := good
		tc.edit(&c)
		if _, err := b.CreateCommunity(ctx, c); !errors.Is(err, roll.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	if cs, _, err := b.Communities(ctx, func(string) bool { return true }, "", 10); err != nil || len(cs) != 0 {
		t.Errorf("after the refusals: %d communities (%v), want none", len(cs), err)
	}
	// The longest of each, and an id of three characters, pass.
	c := good
	c.ID, c.Name, c.StreetOffice, c.ResidentsCommittee = "b-1", long[:len(long)-len("宿")], long[:len(long)-len("宿")], long[:len(long)-len("宿")]
	if _, err := b.CreateCommunity(ctx, c); err != nil {
		t.Errorf("the longest fields: %v", err)
	}
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: strings.Repeat("b", 40), Name: "x", StreetOffice: "y"}); err != nil {
		t.Errorf("an id of 40 characters: %v", err)
	}
}

// TestUnitSpelling: spellings of one unit id that differ in case, leading
// zeros or separators agree; others do not.
func TestUnitSpelling(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"A-101", "A-101"}, {"a_101", "A-101"}, {"A.0101", "A-101"}, {"1-1-0101", "1-1-101"},
		{"0", "0"}, {"00", "0"}, {"A-00", "A-0"}, {"A-000B", "A-0B"}, {"1001", "1001"}, {"010", "10"},
		{"B2-01", "B2-1"}, {"11-01", "11-1"}, {"1-101", "1-101"}, {"x9_0.z", "X9-0-Z"},
	} {
		if got := roll.UnitSpelling(c.in); got != c.want {
			t.Errorf("UnitSpelling(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestImportRefusesAUnitSpelledTwoWays: a unit id that differs from another
// of the same import, or of the roll, only in case, leading zeros or
// separators is refused, naming both; nothing is written.
func TestImportRefusesAUnitSpelledTwoWays(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	if _, err := b.CreateCommunity(ctx, roll.Community{ID: "cm1", Name: "测试小区", StreetOffice: "街道"}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Import(ctx, "cm1", []roll.UnitInput{person("1-1-101", "80.00", owner(1, "甲")), person("1-1-102", "80.00", owner(2, "乙")), person("1.1.0101", "80.00", owner(3, "丙"))})
	var ie *roll.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Unit != 2 || !errors.Is(ie.Problems[0].Err, roll.ErrDuplicateUnit) ||
		!strings.Contains(ie.Problems[0].Reason, "units[0].unit_id's 1-1-101") || !strings.Contains(ie.Problems[0].ZH, "与 units[0].unit_id 的1-1-101") {
		t.Fatalf("import with 1-1-101 and 1.1.0101 = %v, want one problem at units[2] naming units[0]", err)
	}
	if units, _ := b.Units(ctx, "cm1"); len(units) != 0 {
		t.Fatalf("a refused import wrote %d units", len(units))
	}
	// In a file, the other spelling is named by its row.
	_, err = roll.CheckFile("r.csv", strings.NewReader(roster("unit_id,registered_area_m2,kind,owner_name,id_number,phone,representative\n"+
		"1-1-101,80.00,,甲,%ID1%,,\n1-1-102,80.00,,乙,%ID2%,,\n1.1.0101,80.00,,丙,%ID3%,,\n1-1-102,80.00,,丙,%ID3%,,\n")))
	var fe *roll.FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 2 || !strings.Contains(fe.Problems[0].Reason, "row 2's 1-1-101") || !strings.Contains(fe.Problems[0].ZH, "与第2行的1-1-101") ||
		!strings.Contains(fe.Problems[1].Reason, "first at row 3") || !strings.Contains(fe.Problems[1].ZH, "首次在第3行") {
		t.Errorf("CheckFile with 1.1.0101 after 1-1-101 and 1-1-102 twice = %v, want rows 2 and 3 named", err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("A-101", "80.00", owner(1, "甲"))}); err != nil {
		t.Fatal(err)
	}
	_, err = b.Import(ctx, "cm1", []roll.UnitInput{person("A-102", "80.00", owner(2, "乙")), person("a_101", "80.00", owner(3, "丙"))})
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Unit != 1 || !errors.Is(ie.Problems[0].Err, roll.ErrDuplicateUnit) ||
		!strings.Contains(ie.Problems[0].Reason, "from A-101, on the roll") || !strings.Contains(ie.Problems[0].ZH, "名册上的A-101") {
		t.Fatalf("import of a_101 onto a roll with A-101 = %v, want one problem at units[1] naming A-101", err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("A-101", "80.00", owner(1, "甲"))}); !errors.As(err, &ie) || !strings.Contains(ie.Problems[0].Reason, "already on the roll") {
		t.Errorf("A-101 again = %v, want already on the roll", err)
	}
	if _, err := b.Import(ctx, "cm1", []roll.UnitInput{person("A-1010", "80.00", owner(2, "乙")), person("A1-01", "80.00", owner(3, "丙"))}); err != nil {
		t.Errorf("units whose ids differ otherwise: %v", err)
	}
}

// TestAccessRecordsPageByTheIndex: a community's roll changes and reveals
// are read by the access index, a page at a time in the order they were
// recorded, past other communities' records and other actions.
func TestAccessRecordsPageByTheIndex(t *testing.T) {
	ctx := context.Background()
	b, _ := newBook(t)
	for _, id := range []string{"cm1", "cm2"} {
		if _, err := b.CreateCommunity(ctx, roll.Community{ID: id, Name: "测试小区", StreetOffice: "街道"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range [][3]string{{"cm1", "reveal_phone", "a"}, {"cm2", roll.UnitTransferAction, "b"}, {"cm1", roll.UnitTransferAction, "c"},
		{"cm1", "reveal_phone", "d"}, {"cm1", roll.UnitWithdrawalAction, "e"}, {"cm2", "reveal_phone", "f"}, {"cm1", roll.UnitTransferAction, "g"}} {
		if err := roll.RecordAccess(ctx, b, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	pages := func(read func(after uint64) ([]roll.AccessEntry, uint64, error)) []string {
		t.Helper()
		var out []string
		for after, n := uint64(0), 0; n < 10; n++ {
			got, next, err := read(after)
			if err != nil {
				t.Fatal(err)
			}
			var page []string
			for _, e := range got {
				page = append(page, e.UnitID)
			}
			out = append(out, strings.Join(page, ""))
			if after = next; next == 0 {
				break
			}
		}
		return out
	}
	if got := pages(func(after uint64) ([]roll.AccessEntry, uint64, error) { return b.RollChanges(ctx, "cm1", after, 2) }); !slices.Equal(got, []string{"ce", "g"}) {
		t.Errorf("cm1's roll changes by pages of 2: %q, want [ce g]", got)
	}
	if got := pages(func(after uint64) ([]roll.AccessEntry, uint64, error) { return b.PhoneReveals(ctx, "cm1", after, 1) }); !slices.Equal(got, []string{"a", "d"}) {
		t.Errorf("cm1's reveals by pages of 1: %q, want [a d]", got)
	}
	if got := pages(func(after uint64) ([]roll.AccessEntry, uint64, error) { return b.RollChanges(ctx, "cm2", after, 10) }); !slices.Equal(got, []string{"b"}) {
		t.Errorf("cm2's roll changes: %q, want [b]", got)
	}
}
