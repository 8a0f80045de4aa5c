package recount

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ownervote/ownervote/l10n"
)

// csvFile reads a CSV file with a header row: it checks the header and gives
// each record with its fields' line numbers.
type csvFile struct {
	r    *csv.Reader
	errs *errorList
	cols []string // the expected columns, in the order records are returned
	idx  []int    // idx[i] is the file's column of cols[i]
	n    int      // the number of columns of the file
	rec  []string
	line []int
}

// thousands tells whether a record holds two neighbouring fields that read
// as a number cut at a thousands separator: digits, then three digits
// (with decimals or not).
func thousands(rec []string) bool {
	digits := func(s string) bool {
		return s != "" && strings.Trim(s, "0123456789") == ""
	}
	for i := 1; i < len(rec); i++ {
		whole, frac, _ := strings.Cut(rec[i], ".")
		if digits(rec[i-1]) && len(whole) == 3 && digits(whole) && (frac == "" || digits(frac)) {
			return true
		}
	}
	return false
}

// openCSV reads the header row of a CSV file and checks that it has exactly
// the columns cols, in any order. A UTF-8 byte order mark, as spreadsheets
// write, is skipped.
func openCSV(rd io.Reader, cols []string, errs *errorList) (*csvFile, bool) {
	br := bufio.NewReaderSize(rd, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\uFEFF")) {
		br.Discard(3)
	}
	// A file a spreadsheet saved in another encoding, or with CR line
	// ends, is told once, not as a fault on every row.
	head, err := br.Peek(64 << 10)
	if p, line := l10n.TextProblem(head, err != nil); p != "" {
		errs.addf(line, "", ErrEncoding, "%s", p)
		return nil, false
	}
	f := &csvFile{r: csv.NewReader(br), errs: errs, cols: cols}
	f.r.FieldsPerRecord = -1
	f.r.ReuseRecord = true
	header, err := f.r.Read()
	if err == io.EOF {
		errs.addf(0, "", ErrEmptyFile, "empty file: want a header row %s", strings.Join(cols, ","))
		return nil, false
	}
	if err != nil {
		f.syntax(err)
		return nil, false
	}
	f.n = len(header)
	pos := map[string]int{}
	ok := true
	for i, h := range header {
		switch _, dup := pos[h]; {
		case !slicesContains(cols, h):
			errs.addf(1, "", ErrHeader, "unknown column %q in the header row; want %s", h, strings.Join(cols, ","))
			ok = false
		case dup:
			errs.addf(1, "", ErrHeader, "column %q twice in the header row", h)
			ok = false
		}
		pos[h] = i
	}
	for _, c := range cols {
		i, found := pos[c]
		if !found {
			errs.addf(1, "", ErrHeader, "no column %q in the header row; want %s", c, strings.Join(cols, ","))
			ok = false
		}
		f.idx = append(f.idx, i)
	}
	return f, ok
}

func slicesContains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// next reads the next record and returns its fields in the order of cols
// and their line numbers, skipping rows with nothing in them (a sheet's
// formatted but empty rows: only commas, or spaces) and skipping (and
// reporting) records that are not well-formed CSV or have the wrong number
// of fields. ok is false at the end of the file or when it cannot be read.
func (f *csvFile) next() (fields []string, lines []int, recLine int, ok bool) {
	for {
		rec, err := f.r.Read()
		if err == io.EOF {
			return nil, nil, 0, false
		}
		if err != nil {
			// The reader goes on after the record it could not parse (an
			// unclosed quote runs to the end of the file).
			if !f.syntax(err) {
				return nil, nil, 0, false
			}
			continue
		}
		if blankRecord(rec) {
			continue
		}
		recLine, _ = f.r.FieldPos(0)
		if len(rec) != f.n {
			hint := ""
			if len(rec) > f.n && thousands(rec) {
				// 1,234.50 unquoted is two fields.
				hint = "; a number written with a thousands separator (1,234.50) must be quoted or written 1234.50"
			}
			f.errs.addf(recLine, "", ErrBadField, "%d fields, want %d like the header row (%s)%s", len(rec), f.n, strings.Join(f.cols, ","), hint)
			continue
		}
		f.rec, f.line = f.rec[:0], f.line[:0]
		for _, i := range f.idx {
			l, _ := f.r.FieldPos(i)
			f.rec = append(f.rec, rec[i])
			f.line = append(f.line, l)
		}
		return f.rec, f.line, recLine, true
	}
}

// syntax reports a record that could not be read, at the line where it
// starts; false if the file cannot be read on.
func (f *csvFile) syntax(err error) bool {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		f.errs.addf(0, "", ErrSyntax, "reading: %v", err)
		return false
	}
	if pe.StartLine != pe.Line {
		f.errs.addf(pe.StartLine, "", ErrSyntax, "malformed CSV: a quoted field that starts on this line runs to line %d: %v", pe.Line, pe.Err)
	} else {
		f.errs.addf(pe.StartLine, "", ErrSyntax, "malformed CSV: %v", pe.Err)
	}
	return true
}

// blankRecord tells whether a record has nothing in any field.
func blankRecord(rec []string) bool {
	return !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" })
}

// checkText reports why s is not acceptable as an identifier or keyword:
// invalid UTF-8, surrounding spaces, control characters, or invisible
// format characters (a zero-width space, a byte order mark, a direction
// mark: copied from a web page or a sheet, they would make one owner look
// like two). It returns "" for an acceptable s.
func checkText(s string) string {
	switch {
	case !utf8.ValidString(s):
		return fmt.Sprintf("%q is not valid UTF-8", s)
	case strings.TrimSpace(s) != s:
		return fmt.Sprintf("%q has leading or trailing spaces", s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Sprintf("%q has a control character", s)
	}
	if i := strings.IndexFunc(s, isFormat); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Sprintf("%q has an invisible character U+%04X at byte %d", s, r, i)
	}
	return ""
}

func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }
