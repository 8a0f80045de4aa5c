package roll_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/ownervote/ownervote/roll"
)

// csvSeeds are rosters good and bad; testdata/fuzz/ holds more.
var csvSeeds = []string{
	"房号,登记面积,业主姓名,身份证号,联系电话\n1-1-101,80.00,甲," + idNumber(1) + ",13800000001\n",
	"unit_id,registered_area_m2,surveyed_area_m2,contract_area_m2,kind,owner_name,id_number,phone,representative\n" +
		"1-1-101,80.25,,,,甲," + idNumber(1) + ",13800000001,\n" +
		"1-1-102,,60.10,,个人,甲," + idNumber(1) + ",,\n" +
		"1-1-201,,,71,,乙," + idNumber(2) + ",,是\n" +
		"1-1-201,,,71,,丙," + idNumber(3) + ",,否\n" +
		"1-1-202,70,,,未售,,,,\n",
	"\xef\xbb\xbf房号,实测面积,姓名,证件号码\n2-1-101,\"1,000.5\",丁,123\n2-1-101,80,戊," + idNumber(4) + "\n",
	"房号,登记面积,业主姓名,身份证号\n",
	"",
	"a,b,c\n\"unterminated\n",
}

// FuzzParseFileCSV feeds arbitrary bytes to the roster reader as CSV.
func FuzzParseFileCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ro := checkRoster(t, "roster.csv", data)
		if ro == nil {
			return
		}
		// Round trip: the accepted units written back as a roster read
		// the same.
		again, err := roll.CheckFile("again.csv", bytes.NewReader(rosterCSV(t, ro.Units)))
		if err != nil {
			t.Fatalf("the accepted roster written back is refused: %v", err)
		}
		if diff := cmp.Diff(ro.Units, again.Units); diff != "" {
			t.Fatalf("roster round trip (-first +again):\n%s", diff)
		}
	})
}

// FuzzParseFileXLSX feeds arbitrary bytes to the roster reader as Excel.
func FuzzParseFileXLSX(f *testing.F) {
	f.Add(rosterXLSX(f, [][]any{
		{"房号", "登记面积", "实测面积", "类型", "业主姓名", "身份证号", "联系电话", "代表"},
		{"1-1-101", 80.25, nil, "", "甲", idNumber(1), "13800000001", ""},
		{"1-1-201", nil, 71, "", "乙", idNumber(2), "", "是"},
		{"1-1-201", nil, 71, "", "丙", idNumber(3), "", "否"},
		{"1-1-202", 70, nil, "未售", nil, nil, nil, nil},
	}))
	f.Add(rosterXLSX(f, [][]any{{"房号", "登记面积"}, {"1-1-101", "abc"}}))
	f.Add([]byte("PK\x03\x04 not really a workbook"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoster(t, "roster.xlsx", data)
	})
}

// checkRoster checks what must hold for any input: no panic, every
// refusal is an ErrInvalidImport whose problems name the file and a row,
// and what CheckFile accepts, Build accepts too. It returns the accepted
// roster, or nil.
func checkRoster(t *testing.T, name string, data []byte) *roll.Roster {
	t.Helper()
	parsed, perr := roll.ParseFile(name, bytes.NewReader(data))
	if perr != nil && !errors.Is(perr, roll.ErrInvalidImport) {
		t.Fatalf("ParseFile error %v does not match ErrInvalidImport", perr)
	}
	ro, err := roll.CheckFile(name, bytes.NewReader(data))
	if err != nil {
		if !errors.Is(err, roll.ErrInvalidImport) {
			t.Fatalf("CheckFile error %v does not match ErrInvalidImport", err)
		}
		if ro != nil {
			t.Fatal("CheckFile returned a roster with an error")
		}
		var fe *roll.FileError
		if errors.As(err, &fe) {
			if len(fe.Problems) == 0 {
				t.Fatal("a FileError without problems")
			}
			for _, p := range fe.Problems {
				if p.Place.File != name || p.Place.Row < 1 || p.Reason == "" || p.Err == nil {
					t.Fatalf("problem %+v: want the file name, a row from 1, a reason and a sentinel", p)
				}
			}
		}
		return nil
	}
	if perr != nil || parsed == nil {
		t.Fatalf("CheckFile accepts what ParseFile refuses: %v", perr)
	}
	if len(ro.Units) == 0 {
		t.Fatal("CheckFile accepted a roster without units")
	}
	ident, _ := roll.NewIdentifier(testSecret)
	if _, err := roll.Build(ident, ro.Units); err != nil {
		t.Fatalf("CheckFile accepted units that Build refuses: %v", err)
	}
	return ro
}

// rosterCSV writes units as a roster file: one row per owner.
func rosterCSV(t *testing.T, units []roll.UnitInput) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"unit_id", "registered_area_m2", "surveyed_area_m2", "contract_area_m2", "kind", "owner_name", "id_number", "phone", "representative"})
	for _, u := range units {
		row := []string{u.ID, u.Registered, u.Surveyed, u.Contract, string(u.Kind)}
		if len(u.Owners) == 0 {
			w.Write(append(row, "", "", "", ""))
		}
		for _, o := range u.Owners {
			rep := "否"
			if o.Representative {
				rep = "是"
			}
			w.Write(append(row[:5:5], o.Name, o.IDNumber, o.Phone, rep))
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rosterXLSX(tb testing.TB, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			tb.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
