package roll_test

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"

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
		if _, err := roll.ParseFile("r.xlsx", bytes.NewReader(sheet(c.cells))); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %q", c.name, err, c.says)
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
