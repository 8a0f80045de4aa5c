package roll

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
)

// A roster file has a header row and one row per owner of a unit. The
// columns may come in any order and may be named in English or Chinese:
//
//	unit_id             房号
//	registered_area_m2  登记面积
//	surveyed_area_m2    实测面积
//	contract_area_m2    合同面积
//	kind                类型      PERSON/个人 (default), DEVELOPER_UNSOLD/未售, SOLD_UNDELIVERED/已售未交付
//	owner_name          业主姓名
//	id_number           身份证号
//	phone               联系电话
//	representative      代表      是/否 (yes/no): only for co-owned units
//
// A co-owned unit takes one row per co-owner, with the same unit_id and
// areas, 是 in the representative column of exactly one of them and 否 in
// the others'. Rows with the same unit_id and an empty representative
// column are duplicates, and each row of a co-owned unit names its owner.
var columns = []struct {
	field string
	names []string
}{
	{"unit_id", []string{"unit_id", "房号", "房屋编号", "专有部分"}},
	{"registered_area_m2", []string{"registered_area_m2", "登记面积"}},
	{"surveyed_area_m2", []string{"surveyed_area_m2", "实测面积"}},
	{"contract_area_m2", []string{"contract_area_m2", "合同面积"}},
	{"kind", []string{"kind", "类型", "房屋类型"}},
	{"name", []string{"owner_name", "业主姓名", "姓名"}},
	{"id_number", []string{"id_number", "身份证号", "证件号码"}},
	{"phone", []string{"phone", "联系电话", "电话"}},
	{"representative", []string{"representative", "代表"}},
}

// ignoredColumns are read past: a row's running number, which nearly every
// roster kept in a spreadsheet has, and a remark. (A column of another name
// is refused: it may hold what belongs in a known one, an area of another
// kind, say.)
var ignoredColumns = map[string]bool{"序号": true, "no.": true, "备注": true, "remark": true, "remarks": true}

// withoutAreaUnit drops the unit of square metres that a header may end
// with, bracketed or not (登记面积(㎡), 实测面积（平方米）, registered_area_m2 (m²)):
// the figures are square metres whatever the header says.
func withoutAreaUnit(h string) string {
	for _, u := range []string{"㎡", "m²", "m2", "平方米", "平米"} {
		for _, form := range []string{"(" + u + ")", "（" + u + "）", "[" + u + "]", "/" + u, u} {
			if t, ok := strings.CutSuffix(h, form); ok && t != "" && !strings.HasSuffix(t, "_") {
				return strings.TrimSpace(t)
			}
		}
	}
	return h
}

// unsourcedArea are headers of an area column that do not say which of
// the three areas it holds (a gross floor area, 建筑面积, is found in the
// register, a survey and a sale contract alike): refused with what to
// name it instead.
var unsourcedArea = map[string]bool{"面积": true, "建筑面积": true, "房屋面积": true, "套内面积": true, "套内建筑面积": true, "产权面积": true, "area": true, "area_m2": true}

var kindNames = map[string]Kind{
	"": Person, "PERSON": Person, "个人": Person, "业主": Person,
	"DEVELOPER_UNSOLD": DeveloperUnsold, "未售": DeveloperUnsold,
	"SOLD_UNDELIVERED": SoldUndelivered, "已售未交付": SoldUndelivered,
}

// Place is a cell of a roster file.
type Place struct {
	File   string
	Row    int // 1-based, the header is row 1
	Column string
}

func (p Place) String() string {
	return fmt.Sprintf("%s:%d: column %s", p.File, p.Row, p.Column)
}

// FileProblem is one problem of a roster file, with its place.
type FileProblem struct {
	Place  Place
	Reason string
	// ZH says it in Chinese, for the staff who fix the roster.
	ZH  string
	Err error
}

func (p FileProblem) String() string {
	if p.ZH == "" {
		return p.Place.String() + ": " + p.Reason
	}
	return p.Place.String() + ": " + p.ZH + " / " + p.Reason
}

// FileError lists every problem of a roster file. It matches
// ErrInvalidImport and each problem's sentinel under errors.Is.
type FileError struct {
	Problems []FileProblem
}

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s), nothing imported:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns ErrInvalidImport and the problems' sentinels.
func (e *FileError) Unwrap() []error {
	errs := []error{ErrInvalidImport}
	for _, p := range e.Problems {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// Roster is a parsed roster file.
type Roster struct {
	File  string
	Units []UnitInput
	// rows[i] are the file rows of Units[i]: the unit's first row, then one
	// per owner.
	unitRow  []int
	ownerRow [][]int
	header   map[string]string // field -> column name as written
}

// Place maps a problem found in Units (by Build or by the server) back to
// the file.
func (r *Roster) Place(p Problem) Place {
	row := 0
	if p.Unit >= 0 && p.Unit < len(r.unitRow) {
		row = r.unitRow[p.Unit]
		if p.Owner >= 0 && p.Owner < len(r.ownerRow[p.Unit]) {
			row = r.ownerRow[p.Unit][p.Owner]
		}
	}
	col := r.header[p.Field]
	if p.Field == "owners" {
		// The unit's owners: who represents them.
		if col = r.header["representative"]; col == "" {
			col = "representative"
		}
	}
	if col == "" {
		col = p.Field
	}
	return Place{File: r.File, Row: row, Column: col}
}

// FileErrorFor converts an *ImportError about r.Units into a *FileError
// naming file rows and columns, at most MaxFileProblems of them; other
// errors are returned as they are.
func (r *Roster) FileErrorFor(err error) error {
	err = r.fileErrorFor(err)
	if fe, ok := err.(*FileError); ok {
		fe.cap(r.File)
	}
	return err
}

// fileErrorFor is FileErrorFor without the bound.
func (r *Roster) fileErrorFor(err error) error {
	var ie *ImportError
	if !errors.As(err, &ie) {
		return err
	}
	fe := &FileError{}
	for _, p := range ie.Problems {
		reason, zh := p.Reason, p.ZH
		if p.Other != nil {
			// The other place of a conflict, as a row of the file.
			row := r.Place(*p.Other).Row
			reason = strings.Replace(reason, p.Other.Path(), fmt.Sprintf("row %d", row), 1)
			zh = strings.Replace(zh, " "+p.Other.Path()+" ", fmt.Sprintf("第%d行", row), 1)
		}
		fe.Problems = append(fe.Problems, FileProblem{Place: r.Place(p), Reason: reason, ZH: zh, Err: p.Err})
	}
	return fe
}

// CheckFile parses a roster file and validates it as Build would, with a
// throwaway identity secret (identity numbers are compared within the file
// only). It reports every problem of the file at once, in row order.
func CheckFile(name string, r io.Reader) (*Roster, error) {
	ro, err := ParseFile(name, r)
	if ro == nil {
		return nil, err
	}
	var fe *FileError
	if err != nil && !errors.As(err, &fe) {
		return nil, err
	}
	if fe == nil {
		fe = &FileError{}
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	ident, _ := NewIdentifier(secret)
	if _, berr := Build(ident, ro.Units); berr != nil {
		var bfe *FileError
		if !errors.As(ro.fileErrorFor(berr), &bfe) {
			return nil, berr
		}
		fe.Problems = append(fe.Problems, bfe.Problems...)
	}
	if len(fe.Problems) == 0 {
		return ro, nil
	}
	slices.SortStableFunc(fe.Problems, func(a, b FileProblem) int { return a.Place.Row - b.Place.Row })
	fe.cap(name)
	return nil, fe
}

// MaxFileProblems bounds the problems a FileError lists: a file that has
// more is fixed and checked again (the answer to a crafted file stays
// small).
const MaxFileProblems = 500

// cap keeps the first MaxFileProblems problems and says how many more
// there are.
func (e *FileError) cap(file string) {
	if n := len(e.Problems) - MaxFileProblems; n > 0 {
		e.Problems = append(e.Problems[:MaxFileProblems:MaxFileProblems], FileProblem{Place: Place{File: file, Column: "-"}, Err: ErrInvalid,
			Reason: fmt.Sprintf("and %d more problems: fix these and check the file again", n), ZH: fmt.Sprintf("另有%d个问题未列出：请先修改以上问题，再重新检查", n)})
	}
}

// ParseFile reads a roster from CSV (UTF-8, optionally with a BOM) or Excel
// .xlsx (first sheet), chosen by the file name's extension. It reports every
// problem of form at once in a *FileError; when the header was readable it
// also returns the units of the rows without such problems, so that Build
// can check them too (see CheckFile).
func ParseFile(name string, r io.Reader) (*Roster, error) {
	var rows [][]string
	var shown map[[2]int]string
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		rows, err = readCSV(r)
	case ".xlsx", ".xlsm":
		rows, shown, err = readWorkbook(r)
	default:
		return nil, l10n.ZH(fmt.Errorf("%w: %s: unknown roster format %q, want .csv or .xlsx", ErrInvalidImport, name, filepath.Ext(name)),
			"花名册须为 .xlsx 工作簿或 .csv 文件（在 Excel 或 WPS 中另存为）")
	}
	if err != nil {
		err2 := fmt.Errorf("%w: %s: %v", ErrInvalidImport, name, err)
		if zh := l10n.Of(err); zh != "" {
			err2 = l10n.ZH(err2, zh)
		}
		return nil, err2
	}
	return parseRows(name, rows, shown)
}

func readCSV(r io.Reader) ([][]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if p, line := l10n.TextProblem(data, true); p != "" {
		return nil, l10n.ZH(fmt.Errorf("line %d: %s, or import the .xlsx itself", line, p),
			fmt.Sprintf("第%d行起不是 UTF-8 文本：请在 Excel 或 WPS 中另存为“CSV UTF-8”，或直接导入 .xlsx 工作簿", line))
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, l10n.ZH(fmt.Errorf("CSV: %v", err), "CSV 文件格式有误（如引号不成对）：请在 Excel 或 WPS 中重新另存为 CSV，或直接导入 .xlsx 工作簿")
		}
		// A record is the row of the line it starts on: the reader passes
		// over blank lines, which a spreadsheet numbers.
		line, _ := cr.FieldPos(0)
		if line > maxXLSXRows {
			return nil, l10n.ZH(fmt.Errorf("line %d: a roster has at most %d rows", line, maxXLSXRows),
				fmt.Sprintf("第%d行：花名册最多%d行，请删除多余的内容", line, maxXLSXRows))
		}
		for len(rows) < line-1 {
			rows = append(rows, nil)
		}
		rows = append(rows, rec)
	}
}

// Bounds of a roster workbook, far above any community's roll, so that a
// crafted file cannot take the machine's memory: a zip entry declaring
// gigabytes is allocated whole by the reader, and a cell at row 1,048,576
// or column XFD makes a sheet's rows that large.
const (
	maxXLSXUnzipped = 64 << 20 // bytes, all parts unzipped
	maxXLSXRows     = 100_000
	maxXLSXColumns  = 64
)

// maxSharedStrings bounds a workbook's table of shared strings, which the
// reader decodes whole into memory: a roster of 100,000 rows holds a few
// MiB of them.
const maxSharedStrings = 16 << 20

// readWorkbook reads the first sheet's rows as GetRows would (raw cell
// values; empty rows between filled ones kept, trailing ones dropped),
// within the bounds above, and unitIDsShownOtherwise's finds.
func readWorkbook(r io.Reader) ([][]string, map[[2]int]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxXLSXUnzipped+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxXLSXUnzipped {
		return nil, nil, l10n.ZH(fmt.Errorf("the workbook is larger than %d MiB; a roster is far smaller", maxXLSXUnzipped>>20),
			"工作簿过大：花名册远小于此，请只保留花名册这一个工作表")
	}
	if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
		for _, f := range zr.File {
			if strings.EqualFold(f.Name, "xl/sharedStrings.xml") && f.UncompressedSize64 > maxSharedStrings {
				return nil, nil, l10n.ZH(fmt.Errorf("the workbook's shared strings are larger than %d MiB unzipped; a roster's are far smaller", maxSharedStrings>>20),
					"工作簿中的文字内容过大：花名册远小于此，请只保留花名册这一个工作表后重新保存")
			}
		}
	}
	r = bytes.NewReader(data)
	// (zh-CN: the Chinese built-in date formats, such as m月d日, are then
	// rendered, which unitIDsShownOtherwise compares.)
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: maxXLSXUnzipped, UnzipXMLSizeLimit: 16 << 20, CultureInfo: excelize.CultureNameZhCN})
	// (excelize says "unzip size exceeds the N bytes limit", with no
	// sentinel to match.)
	if err != nil && strings.Contains(err.Error(), "unzip size exceeds") {
		return nil, nil, l10n.ZH(fmt.Errorf("the workbook is larger than %d MiB unzipped; a roster is far smaller", maxXLSXUnzipped>>20),
			"工作簿过大：花名册远小于此，请只保留花名册这一个工作表")
	}
	if err != nil {
		return nil, nil, l10n.ZH(fmt.Errorf("not a readable .xlsx workbook: %v", err), "无法读取该 .xlsx 工作簿：请在 Excel 或 WPS 中打开后重新保存为 .xlsx")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, l10n.ZH(fmt.Errorf("workbook has no sheet"), "工作簿中没有工作表")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, nil, fmt.Errorf("sheet %q: %v", sheets[0], err)
	}
	defer it.Close()
	var out [][]string
	empty := 0 // empty rows since the last filled one, kept only if another follows
	for n := 1; it.Next(); n++ {
		row, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, nil, fmt.Errorf("sheet %q row %d: %v", sheets[0], n, err)
		}
		if len(row) > maxXLSXColumns {
			for c, v := range row[maxXLSXColumns:] {
				if v != "" {
					return nil, nil, l10n.ZH(fmt.Errorf("sheet %q row %d has a value in column %d; a roster has at most %d columns", sheets[0], n, maxXLSXColumns+c+1, maxXLSXColumns),
						fmt.Sprintf("工作表「%s」第%d行第%d列有内容：花名册最多%d列，请删除多余的列", sheets[0], n, maxXLSXColumns+c+1, maxXLSXColumns))
				}
			}
			row = slices.Clone(row[:maxXLSXColumns])
		}
		if len(row) == 0 {
			empty++ // a formatted row without a value far down is no row
			continue
		}
		if n > maxXLSXRows {
			return nil, nil, l10n.ZH(fmt.Errorf("sheet %q has a value in row %d; a roster has at most %d rows", sheets[0], n, maxXLSXRows),
				fmt.Sprintf("工作表「%s」第%d行有内容：花名册最多%d行，请删除表格下方多余的内容", sheets[0], n, maxXLSXRows))
		}
		out = append(out, make([][]string, empty)...)
		out = append(out, row)
		empty = 0
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("sheet %q: %v", sheets[0], err)
	}
	// The roster is the first sheet. Units on another (a second phase of
	// the estate, say) would be left out of every vote without a word.
	var others []string
	for _, name := range sheets[1:] {
		filled, err := sheetHasValues(f, name)
		if err != nil {
			return nil, nil, fmt.Errorf("sheet %q: %v", name, err)
		}
		if filled {
			// A template's hidden sheet (the list a drop-down offers) is
			// one too: say it is hidden, or nobody finds it.
			if visible, err := f.GetSheetVisible(name); err == nil && !visible {
				name += " (hidden/隐藏)"
			}
			others = append(others, name)
		}
	}
	if len(others) > 0 {
		return nil, nil, l10n.ZH(fmt.Errorf("sheet %q is read as the roster, but sheet %s also holds values: put every unit on the first sheet, or remove the other sheets",
			sheets[0], strings.Join(quoteAll(others), ", ")),
			fmt.Sprintf("花名册只读第一个工作表「%s」，但工作表「%s」也有内容：请把所有房屋放在第一个工作表中，或删除其他工作表", sheets[0], strings.Join(others, "」「")))
	}
	shown, err := cellsShownOtherwise(f, sheets[0], out)
	if err != nil {
		return nil, nil, fmt.Errorf("sheet %q: %v", sheets[0], err)
	}
	return out, shown, nil
}

// cellsShownOtherwise finds the unit ids and areas that a sheet holds as
// numbers but shows otherwise. Excel takes 1-12 typed into a cell for a
// date (12 January, held as 45669), and 0101 for the number 101, which a
// number format may show as 0101; an area in a cell formatted as a date
// or a percentage shows 1900/3/1 or 8050% for the 61 or 80.5 it holds, and
// one rounded by its format shows 81 for 80.5. The roster would take the
// number held: another unit's id, or none's, or an area nobody saw. It
// maps a row of rows (the sheet's row i+1: rows keeps the empty ones) and
// a column to what the cell shows, for at most maxShownOtherwise cells (the
// roster is refused anyway).
func cellsShownOtherwise(f *excelize.File, sheet string, rows [][]string) (map[[2]int]string, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	isUnitID := map[int]bool{} // the columns to look at: the unit id's, and the areas'
	for c, h := range rows[0] {
		switch fieldOf(h) {
		case "unit_id":
			isUnitID[c] = true
		case "registered_area_m2", "surveyed_area_m2", "contract_area_m2":
			isUnitID[c] = false
		}
	}
	held := func(i, col int) bool {
		if i < 1 || i >= len(rows) || col >= len(rows[i]) {
			return false
		}
		_, err := strconv.ParseFloat(strings.TrimSpace(rows[i][col]), 64)
		return err == nil
	}
	anyHeld := func(i int) bool {
		for col := range isUnitID {
			if held(i, col) {
				return true
			}
		}
		return false
	}
	some := false
	for i := range rows {
		some = some || anyHeld(i)
	}
	if !some {
		return nil, nil // no second pass
	}
	// What the cells show, read as the rows were: streamed, not the whole
	// sheet in memory at once.
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	shown := make(map[[2]int]string)
	for i := 0; i < len(rows) && len(shown) < maxShownOtherwise && it.Next(); i++ {
		if !anyHeld(i) {
			continue
		}
		row, err := it.Columns()
		if err != nil {
			return nil, err
		}
		for col, unitID := range isUnitID {
			if !held(i, col) {
				continue
			}
			v, raw := "", strings.TrimSpace(rows[i][col])
			if col < len(row) {
				v = strings.TrimSpace(row[col])
			}
			if unitID && v != raw || !unitID && !sameArea(v, raw) {
				shown[[2]int{i, col}] = v
			}
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	return shown, nil
}

// sameArea tells whether an area cell that holds the number raw shows that
// number (to the hundredth, with thousands separators or a unit of m² if
// its format adds them).
func sameArea(shown, raw string) bool {
	s := strings.NewReplacer(",", "", "，", "", "㎡", "", "m²", "", "m2", "", "平方米", "", " ", "").Replace(shown)
	a, errA := strconv.ParseFloat(s, 64)
	b, errB := strconv.ParseFloat(raw, 64)
	return errA == nil && errB == nil && math.Abs(a-b) < 0.005
}

// fieldOf is the roster field a header names, as parseRows reads the
// header, or "".
func fieldOf(header string) string {
	name := withoutAreaUnit(strings.TrimSpace(header))
	for _, c := range columns {
		for _, n := range c.names {
			if strings.EqualFold(name, n) {
				return c.field
			}
		}
	}
	return ""
}

// maxShownOtherwise bounds the cells unitIDsShownOtherwise reports.
const maxShownOtherwise = 100

// sheetHasValues tells whether a sheet holds a value in any cell.
func sheetHasValues(f *excelize.File, sheet string) (bool, error) {
	it, err := f.Rows(sheet)
	if err != nil {
		return false, err
	}
	defer it.Close()
	for n := 1; it.Next() && n <= maxXLSXRows; n++ {
		row, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(row, func(v string) bool { return strings.TrimSpace(v) != "" }) {
			return true, nil
		}
	}
	return false, it.Error()
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strconv.Quote(x)
	}
	return out
}

// parseRows reads a roster's rows; shown maps a row and column to what a
// workbook's cell shows where that is not the unit id it holds
// (unitIDsShownOtherwise).
func parseRows(name string, rows [][]string, shown map[[2]int]string) (*Roster, error) {
	ro := &Roster{File: name, header: make(map[string]string)}
	fe := &FileError{}
	add := func(row int, col, zh, format string, err error, args ...any) {
		fe.Problems = append(fe.Problems, FileProblem{Place: Place{File: name, Row: row, Column: col}, Reason: fmt.Sprintf(format, args...), ZH: zh, Err: err})
	}
	if len(rows) == 0 {
		add(1, "-", "文件为空：第一行须为表头", "file is empty: a header row is required", ErrInvalid)
		return nil, fe
	}
	colIdx := make(map[string]int)
	for i, h := range rows[0] {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		name := withoutAreaUnit(h) // matched; h, as written, names the column
		field := fieldOf(h)
		found := field != ""
		if found {
			if _, dup := colIdx[field]; dup {
				add(1, h, "表头中该列出现了两次", "column for %s appears twice", ErrInvalid, field)
			}
			colIdx[field] = i
			ro.header[field] = h
		}
		switch {
		case found || ignoredColumns[strings.ToLower(h)]:
		case unsourcedArea[strings.ToLower(name)]:
			// Which area counts depends on where it comes from (DESIGN §2):
			// the column must say.
			add(1, echo(h), "「"+echo(h)+"」不是可用的面积列：表决按专有部分面积计，列名须写明面积的依据——不动产登记簿记载的填「登记面积」列，测绘实测的填「实测面积」列，购房合同记载的填「合同面积」列",
				"column %q is not an area column a roster takes: votes count the exclusive part's area, and the column's name must say what it rests on - the property register's in registered_area_m2 (登记面积), a survey's in surveyed_area_m2 (实测面积), the sale contract's in contract_area_m2 (合同面积)", ErrInvalid, echo(h))
		default:
			add(1, echo(h), "不认识的列「"+echo(h)+"」：可用的列为 房号、登记面积、实测面积、合同面积、类型、业主姓名、身份证号、联系电话、代表（序号、备注不读）", "unknown column %q", ErrInvalid, echo(h))
		}
	}
	for _, need := range []string{"unit_id", "name", "id_number"} {
		if _, ok := colIdx[need]; !ok {
			add(1, need, "缺少必填的列："+strings.Join(columnNames(need), " / ")+"（表头须在第一行）", "required column %s (%s) is missing", ErrInvalid, need, strings.Join(columnNames(need), " / "))
		}
	}
	if _, ok := colIdx["registered_area_m2"]; !ok {
		if _, ok := colIdx["surveyed_area_m2"]; !ok {
			if _, ok := colIdx["contract_area_m2"]; !ok {
				add(1, "registered_area_m2", "缺少面积列：请提供登记面积、实测面积或合同面积", "no area column: give registered_area_m2, surveyed_area_m2 or contract_area_m2", ErrInvalid)
			}
		}
	}
	if len(fe.Problems) > 0 {
		return nil, fe
	}
	cell := func(row []string, field string) string {
		i, ok := colIdx[field]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}

	byID := make(map[string]int)
	repFlag := make(map[int][]string) // unit index -> representative column per owner
	ownerless := make(map[int]bool)   // units whose first row of several names no owner
	for n, row := range rows[1:] {
		line := n + 2
		if blank(row) {
			continue
		}
		id := cell(row, "unit_id")
		if v, ok := shown[[2]int{n + 1, colIdx["unit_id"]}]; ok {
			add(line, ro.header["unit_id"], fmt.Sprintf("房号单元格显示为「%s」，但 Excel 存的是数值 %s（输入的房号被当作了日期或数字）：请把房号列设置为“文本”格式后重新输入房号，或在房号前加英文单引号 '", echo(v), echo(id)),
				"the unit id cell shows %q but holds the number %s (Excel took the unit number typed for a date or a number): format the column as text and type the unit numbers again, or start each with an apostrophe", ErrInvalid, echo(v), echo(id))
			continue
		}
		kindText := cell(row, "kind")
		kind, ok := kindNames[strings.ToUpper(kindText)]
		if !ok {
			kind, ok = kindNames[kindText]
		}
		if !ok {
			add(line, ro.header["kind"], "类型须为 个人、未售 或 已售未交付", "kind %q is not PERSON/个人, DEVELOPER_UNSOLD/未售 or SOLD_UNDELIVERED/已售未交付", ErrInvalid, echo(kindText))
			continue
		}
		rep := cell(row, "representative")
		isRep, okRep := parseYesNo(rep)
		if !okRep {
			add(line, ro.header["representative"], "代表列须填 是 或 否", "representative %q is not 是/否 (yes/no)", ErrInvalid, echo(rep))
			continue
		}
		var owner *OwnerInput
		if cell(row, "name") != "" || cell(row, "id_number") != "" || cell(row, "phone") != "" {
			owner = &OwnerInput{Name: cell(row, "name"), IDNumber: cell(row, "id_number"), Phone: cell(row, "phone"), Representative: isRep}
		}
		shownArea := false
		for _, field := range []string{"registered_area_m2", "surveyed_area_m2", "contract_area_m2"} {
			col, ok := colIdx[field]
			if v, shownOtherwise := shown[[2]int{n + 1, col}]; ok && shownOtherwise {
				add(line, ro.header[field], fmt.Sprintf("面积单元格显示为「%s」，但 Excel 存的是数值 %s（单元格格式为日期、百分比或舍入了小数）：请把面积列设置为“数值”格式（两位小数），核对后重新输入", echo(v), echo(cell(row, field))),
					"the area cell shows %q but holds the number %s (the cell is formatted as a date or a percentage, or rounds the decimals): format the column as a number with two decimals, check the areas and type them again", ErrBadArea, echo(v), echo(cell(row, field)))
				shownArea = true
			}
		}
		if shownArea {
			continue
		}
		in := UnitInput{ID: id, Registered: cell(row, "registered_area_m2"), Surveyed: cell(row, "surveyed_area_m2"), Contract: cell(row, "contract_area_m2"), Kind: kind}
		if i, seen := byID[id]; seen && id != "" {
			prev := &ro.Units[i]
			if owner == nil && rep != "" && repFlag[i][0] != "" {
				add(line, ro.header["name"], "共有房屋"+echo(id)+"的这一行没有业主：每行填一位共有人", "row %d of co-owned unit %s names no owner: each of its rows gives one co-owner", ErrInvalid, line, echo(id))
				continue
			}
			if rep == "" || repFlag[i][0] == "" || owner == nil {
				add(line, ro.header["unit_id"], fmt.Sprintf("房号%s重复（首次在第%d行）；共有房屋请在每一行填写代表列", echo(id), ro.unitRow[i]), "duplicate unit id %s (first at row %d); for a co-owned unit fill the representative column on each of its rows", ErrDuplicateUnit, echo(id), ro.unitRow[i])
				continue
			}
			if len(prev.Owners) == 0 {
				// A co-owner would be lost, and owners' rows miscounted.
				if !ownerless[i] {
					add(ro.unitRow[i], ro.header["name"], "共有房屋"+echo(id)+"的这一行没有业主：每行填一位共有人", "row %d of co-owned unit %s names no owner: each of its rows gives one co-owner", ErrInvalid, ro.unitRow[i], echo(id))
				}
				ownerless[i] = true
				continue
			}
			if prev.Registered != in.Registered || prev.Surveyed != in.Surveyed || prev.Contract != in.Contract || prev.Kind != in.Kind {
				add(line, ro.header["unit_id"], fmt.Sprintf("房屋%s共有人这一行的面积或类型与第%d行不同", echo(id), ro.unitRow[i]), "co-owner row of unit %s has other areas or kind than row %d", ErrDuplicateUnit, echo(id), ro.unitRow[i])
				continue
			}
			prev.Owners = append(prev.Owners, *owner)
			ro.ownerRow[i] = append(ro.ownerRow[i], line)
			repFlag[i] = append(repFlag[i], rep)
			continue
		}
		if owner != nil {
			in.Owners = []OwnerInput{*owner}
		}
		byID[id] = len(ro.Units)
		repFlag[len(ro.Units)] = []string{rep}
		ro.Units = append(ro.Units, in)
		ro.unitRow = append(ro.unitRow, line)
		ro.ownerRow = append(ro.ownerRow, []int{line})
	}
	if len(ro.Units) == 0 && len(fe.Problems) == 0 {
		add(2, ro.header["unit_id"], "没有房屋：文件只有表头", "no units: the file has a header row only", ErrInvalid)
	}
	if len(fe.Problems) > 0 {
		return ro, fe
	}
	return ro, nil
}

// echo is a cell's value as a message may repeat it: not one that holds
// what may be a phone or identity number (ballot.LongNumber: a column
// mislabelled, an identity number under 房号, one typed with a space), which
// answers and logs never hold.
func echo(v string) string {
	if ballot.LongNumber(v) >= 0 {
		return "(号码不予显示 withheld: it reads as a phone or identity number)"
	}
	return v
}

func columnNames(field string) []string {
	for _, c := range columns {
		if c.field == field {
			return c.names
		}
	}
	return nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func parseYesNo(s string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return false, true
	case "是", "y", "yes", "true", "1", "代表":
		return true, true
	case "否", "n", "no", "false", "0":
		return false, true
	}
	return false, false
}
