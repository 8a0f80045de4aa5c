package roll_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"

	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
)

// A crafted workbook cannot take the machine's memory: a zip entry that
// declares gigabytes (found by FuzzParseFileXLSX, which then ran out of
// memory), a cell far down or far right.
func TestXLSXBounds(t *testing.T) {
	raw, err := os.ReadFile("testdata/fuzz/FuzzParseFileXLSX/9fb98e16de766d87")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	quoted := s[strings.Index(s, "[]byte(")+len("[]byte(") : strings.LastIndex(s, ")")]
	bomb, err := strconv.Unquote(quoted)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = roll.ParseFile("r.xlsx", strings.NewReader(bomb))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than 64 MiB unzipped") {
		t.Errorf("a workbook declaring gigabytes: %v, want it refused for its size", err)
	}
	if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 64 {
		t.Errorf("reading it allocated %d MiB", mb)
	}

	sheet := func(cells map[string]string) []byte {
		f := excelize.NewFile()
		defer f.Close()
		f.SetSheetRow("Sheet1", "A1", &[]any{"房号", "登记面积", "业主姓名", "身份证号"})
		for cell, v := range cells {
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
		b, err := f.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, c := range []struct {
		name  string
		cells map[string]string
		says  string
	}{
		{"a cell below row 100,000", map[string]string{"A100001": "x"}, "at most 100000 rows"},
		{"a cell in column 65", map[string]string{"BM2": "x"}, "column 65"},
	} {
		if _, err := roll.ParseFile("r.xlsx", bytes.NewReader(sheet(c.cells))); err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(l10n.Of(err), "花名册最多") {
			t.Errorf("%s: %v (%s), want %q, in Chinese too", c.name, err, l10n.Of(err), c.says)
		}
	}
}

// Rows are read as excelize's GetRows reads them: empty rows between
// filled ones kept, trailing ones dropped, however far down a formatted
// empty row is.
func TestXLSXRowsAsGetRows(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"房号", "登记面积", "业主姓名", "身份证号"})
	f.SetSheetRow("Sheet1", "A4", &[]any{"1-1-101", "80"})
	f.SetSheetRow("Sheet1", "A6", &[]any{"1-1-102", "", "甲"})
	f.SetRowHeight("Sheet1", 150000, 30) // formatted, no value
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.GetRows("Sheet1", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := roll.ReadXLSX(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("readXLSX: %v", err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("readXLSX differs from GetRows (-GetRows +readXLSX):\n%s", diff)
	}
}

// A roster is one sheet: a workbook whose other sheets hold values (a
// second phase of the estate) is refused, naming them, rather than read
// without them; other sheets that are empty do not matter.
func TestXLSXOtherSheetsWithValues(t *testing.T) {
	hidden := false
	book := func(second map[string]any) []byte {
		f := excelize.NewFile()
		defer f.Close()
		f.SetSheetName("Sheet1", "一期")
		f.SetSheetRow("一期", "A1", &[]any{"房号", "登记面积", "业主姓名", "身份证号"})
		f.SetSheetRow("一期", "A2", &[]any{"1-1-101", "89.50", "张三", "110101199003071233"})
		if _, err := f.NewSheet("二期"); err != nil {
			t.Fatal(err)
		}
		for cell, v := range second {
			if err := f.SetCellValue("二期", cell, v); err != nil {
				t.Fatal(err)
			}
		}
		if hidden {
			if err := f.SetSheetVisible("二期", false); err != nil {
				t.Fatal(err)
			}
		}
		b, err := f.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	_, err := roll.ParseFile("r.xlsx", bytes.NewReader(book(map[string]any{"A1": "房号", "A2": "2-1-101", "B2": "90.00"})))
	if !errors.Is(err, roll.ErrInvalidImport) || !strings.Contains(err.Error(), `sheet "二期" also holds values`) ||
		l10n.Of(err) != "花名册只读第一个工作表「一期」，但工作表「二期」也有内容：请把所有房屋放在第一个工作表中，或删除其他工作表" {
		t.Errorf("a second sheet with units: %v (%s), want it refused, naming it", err, l10n.Of(err))
	}
	// A template's hidden list sheet: said to be hidden, for it to be found.
	hidden = true
	if _, err := roll.ParseFile("r.xlsx", bytes.NewReader(book(map[string]any{"A1": "是", "A2": "否"}))); err == nil || !strings.Contains(l10n.Of(err), "二期 (hidden/隐藏)") {
		t.Errorf("a hidden sheet with values: %v (%s), want it refused as hidden", err, l10n.Of(err))
	}
	hidden = false
	r, err := roll.ParseFile("r.xlsx", bytes.NewReader(book(map[string]any{"C5": "  "})))
	if err != nil || len(r.Units) != 1 {
		t.Errorf("a second sheet without values: %v, %v; want the first sheet's one row", r, err)
	}
}

// A unit number Excel took for a date (1-12, in the formats of Chinese
// Excel too) or a number (0101, shown as such by a number format) is
// refused with what the cell shows and what it holds, not imported as the
// number held; a unit number that is a number and shows as one is taken.
// Rows are named as the sheet numbers them, past an empty one.
func TestXLSXUnitIDsExcelTookForNumbers(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"序号", "房号", "登记面积", "业主姓名", "身份证号"})
	style := func(s excelize.Style) int {
		id, err := f.NewStyle(&s)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	custom := "0000"
	for _, c := range []struct {
		row, id, style int
	}{
		{2, 45669, style(excelize.Style{NumFmt: 14})},
		{3, 101, style(excelize.Style{CustomNumFmt: &custom})},
		{4, 102, 0},
		{6, 45670, style(excelize.Style{NumFmt: 58})}, // m月d日
		{7, 45671, style(excelize.Style{NumFmt: 31})}, // yyyy年m月d日
	} {
		row := strconv.Itoa(c.row)
		f.SetSheetRow("Sheet1", "A"+row, &[]any{c.row - 1, c.id, "80.00", "业主" + row, idNumber(c.row)})
		if c.style != 0 {
			f.SetCellStyle("Sheet1", "B"+row, "B"+row, c.style)
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	_, err = roll.CheckFile("r.xlsx", bytes.NewReader(b.Bytes()))
	var fe *roll.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("CheckFile = %v, want a FileError", err)
	}
	shows := regexp.MustCompile(`^房号单元格显示为「(.+)」，但 Excel 存的是数值 (\d+)（输入的房号被当作了日期或数字）：请把房号列设置为“文本”格式后重新输入房号，或在房号前加英文单引号 '$`)
	got := map[int][2]string{}
	for _, p := range fe.Problems {
		m := shows.FindStringSubmatch(p.ZH)
		if m == nil || p.Place.Column != "房号" {
			t.Errorf("row %d column %s: %s", p.Place.Row, p.Place.Column, p.ZH)
			continue
		}
		got[p.Place.Row] = [2]string{m[1], m[2]}
	}
	for row, held := range map[int]string{2: "45669", 3: "101", 6: "45670", 7: "45671"} {
		if g, ok := got[row]; !ok || g[1] != held || g[0] == held {
			t.Errorf("row %d: shows %q, holds %q; want it refused, holding %s", row, g[0], g[1], held)
		}
	}
	if got[3][0] != "0101" || !strings.Contains(got[6][0], "月") || !strings.Contains(got[7][0], "年") || len(got) != 4 {
		t.Errorf("problems: %v; want rows 2, 3, 6 and 7, 0101 shown in row 3 and Chinese dates in 6 and 7", got)
	}
}

// An area in a cell formatted as a date or a percentage, or rounded by its
// format, is refused with what the cell shows and what it holds, not taken
// as the number nobody saw; an area shown as it is held (with two
// decimals, thousands separators or m² added by the format) is taken.
func TestXLSXAreasShownOtherwise(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"房号", "登记面积（㎡）", "实测面积", "业主姓名", "身份证号"})
	style := func(s excelize.Style) int {
		id, err := f.NewStyle(&s)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	square := `#,##0.00" ㎡"`
	for _, c := range []struct {
		row      int
		area     float64
		style    int
		surveyed bool // the area in 实测面积 instead
	}{
		{2, 61, style(excelize.Style{NumFmt: 14}), false},    // a date: refused
		{3, 0.805, style(excelize.Style{NumFmt: 10}), false}, // 0.00%: refused
		{4, 80.5, style(excelize.Style{NumFmt: 1}), true},    // 0, rounded to 81: refused
		{5, 80.5, style(excelize.Style{NumFmt: 2}), false},   // 0.00
		{6, 1280.5, style(excelize.Style{NumFmt: 4}), false}, // #,##0.00
		{7, 95.25, style(excelize.Style{CustomNumFmt: &square}), true},
		{8, 70, 0, false},
	} {
		row := strconv.Itoa(c.row)
		areas := []any{c.area, nil}
		col := "B"
		if c.surveyed {
			areas, col = []any{nil, c.area}, "C"
		}
		f.SetSheetRow("Sheet1", "A"+row, &[]any{"1-1-" + row, areas[0], areas[1], "业主" + row, idNumber(c.row)})
		if c.style != 0 {
			f.SetCellStyle("Sheet1", col+row, col+row, c.style)
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	r, err := roll.ParseFile("r.xlsx", bytes.NewReader(b.Bytes()))
	var fe *roll.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("ParseFile = %v, want a FileError", err)
	}
	shows := regexp.MustCompile(`^面积单元格显示为「(.+)」，但 Excel 存的是数值 ([0-9.]+)（`)
	got := map[int]string{}
	for _, p := range fe.Problems {
		m := shows.FindStringSubmatch(p.ZH)
		if m == nil || !errors.Is(p.Err, roll.ErrBadArea) {
			t.Errorf("row %d column %s: %s", p.Place.Row, p.Place.Column, p.ZH)
			continue
		}
		got[p.Place.Row] = m[1]
		if p.Place.Row == 4 && p.Place.Column != "实测面积" {
			t.Errorf("row 4's problem is in column %s, want 实测面积", p.Place.Column)
		}
	}
	if len(got) != 3 || got[2] == "" || got[2] == "61" || !strings.Contains(got[3], "%") || got[4] != "81" {
		t.Errorf("areas refused: %v; want rows 2 (a date), 3 (a percentage) and 4 (81 for 80.5)", got)
	}
	var taken []string
	for _, u := range r.Units {
		taken = append(taken, u.ID+"="+u.Registered+u.Surveyed)
	}
	if want := []string{"1-1-5=80.5", "1-1-6=1280.5", "1-1-7=95.25", "1-1-8=70"}; !slices.Equal(taken, want) {
		t.Errorf("units taken: %v, want %v", taken, want)
	}
}

// What a roster file sent over the network may not make the server do:
// hold a workbook's bloated table of shared strings, read a CSV file of
// endless rows, or answer with every one of a crafted file's problems. A
// CSV row is numbered by its line, blank lines included.
func TestRosterFileBounds(t *testing.T) {
	// A workbook whose shared strings unzip past the bound.
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"房号", "登记面积", "业主姓名", "身份证号"})
	b, err := f.WriteToBuffer()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, e := range zr.File {
		w, err := zw.Create(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name == "xl/sharedStrings.xml" {
			w.Write([]byte(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + strings.Repeat(" ", 17<<20) + `</sst>`))
			continue
		}
		rc, _ := e.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	zw.Close()
	if _, err := roll.ParseFile("r.xlsx", bytes.NewReader(out.Bytes())); err == nil || !strings.Contains(err.Error(), "shared strings are larger than 16 MiB") {
		t.Errorf("a workbook with 17 MiB of shared strings: %v, want it refused", err)
	}

	// A CSV file's rows end at the bound.
	endless := "房号,登记面积,业主姓名,身份证号\n" + strings.Repeat("\n", 100_000) + "1-1-101,80.00,甲," + idNumber(1) + "\n"
	if _, err := roll.ParseFile("r.csv", strings.NewReader(endless)); err == nil || !strings.Contains(err.Error(), "line 100002: a roster has at most 100000 rows") {
		t.Errorf("a CSV row past the bound: %v", err)
	}

	// A blank line counts.
	_, err = roll.CheckFile("r.csv", strings.NewReader("房号,登记面积,业主姓名,身份证号\n1-1-101,80.00,甲,"+idNumber(1)+"\n\n1-1-102,80.123,乙,"+idNumber(2)+"\n"))
	var fe *roll.FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 1 || fe.Problems[0].Place.Row != 4 {
		t.Errorf("a problem after a blank line: %v, want it at row 4", err)
	}

	// 600 bad rows: the first 500 problems, and how many more.
	var rows strings.Builder
	rows.WriteString("房号,登记面积,业主姓名,身份证号\n")
	for i := range 600 {
		fmt.Fprintf(&rows, "1-1-%d,x,业主,%s\n", 1000+i, idNumber(i%900))
	}
	_, err = roll.CheckFile("r.csv", strings.NewReader(rows.String()))
	if !errors.As(err, &fe) || len(fe.Problems) != roll.MaxFileProblems+1 || !strings.Contains(fe.Problems[roll.MaxFileProblems].ZH, "另有100个问题未列出") {
		t.Errorf("600 bad rows: %d problems listed, the last %+v", len(fe.Problems), fe.Problems[len(fe.Problems)-1])
	}

	// A column mislabelled puts numbers where a message repeats the cell:
	// they are not repeated.
	_, err = roll.CheckFile("r.csv", strings.NewReader("身份证号,登记面积,业主姓名,房号,类型\n1-1-101,80.00,甲,13912345678,"+idNumber(1)+"\n1-1-102,80.00,乙,13912345678,个人\n"))
	if err == nil || strings.Contains(err.Error(), "13912345678") || strings.Contains(err.Error(), idNumber(1)) {
		t.Errorf("a mislabelled roster's problems repeat a number: %v", err)
	}
	// Two rows of the same "unit id", a phone number: the duplicate is
	// reported, without the number.
	_, err = roll.CheckFile("r.csv", strings.NewReader("身份证号,登记面积,业主姓名,房号,类型\n"+idNumber(1)+",80.00,甲,13912345678,个人\n"+idNumber(2)+",80.00,乙,13912345678,个人\n"))
	dup := false
	if errors.As(err, &fe) {
		for _, p := range fe.Problems {
			dup = dup || (p.Place.Row == 3 && strings.Contains(p.ZH, "重复"))
		}
	}
	if !dup || strings.Contains(err.Error(), "13912345678") || strings.Contains(fmt.Sprint(fe.Problems), "13912345678") {
		t.Errorf("a phone number in 房号 twice: %v, want the duplicate on row 3 without the number", err)
	}
}
