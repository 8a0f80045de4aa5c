package recount

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors of the recount files, besides the tally's sentinel errors
// (tally.ErrBadArea, tally.ErrDuplicateUnit, tally.ErrUnknownMotion,
// tally.ErrBadChoice, tally.ErrTooManyChoices, tally.ErrDuplicateBallot,
// tally.ErrBadRuleSet, tally.ErrBadMotion), which the parsers wrap where they
// apply.
var (
	// ErrSyntax: the file is not well-formed CSV or JSON, or not UTF-8.
	ErrSyntax = errors.New("syntax error")
	// ErrHeader: the CSV header row lacks a column, repeats one or has an
	// unknown one.
	ErrHeader = errors.New("bad header row")
	// ErrBadField: a field is empty where it is required, has surrounding
	// spaces or control characters, or has the wrong number of columns.
	ErrBadField = errors.New("bad field")
	// ErrNoArea: a roll row has none of the three areas.
	ErrNoArea = errors.New("no area")
	// ErrBadOwnerKind: owner_kind is not PERSON, DEVELOPER or empty.
	ErrBadOwnerKind = errors.New("bad owner kind")
	// ErrUnknownOwner: a vote's owner_id is on no row of the roll.
	ErrUnknownOwner = errors.New("owner not on the roll")
	// ErrAmbiguousOwner: a vote's owner_id is on PERSON rows and on
	// DEVELOPER rows of the roll, so it cannot tell which voter it is.
	ErrAmbiguousOwner = errors.New("owner on both PERSON and DEVELOPER rows")
	// ErrUnknownKey: a JSON object has a key the format does not define.
	ErrUnknownKey = errors.New("unknown key")
	// ErrDuplicateKey: a JSON object has a key twice.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrMissingKey: a JSON object lacks a required key.
	ErrMissingKey = errors.New("missing key")
	// ErrEncoding: a file is not UTF-8 text with \n (or \r\n) line ends.
	ErrEncoding = errors.New("not UTF-8 text")
	// ErrEmptyFile: a file has no data rows (or no motions).
	ErrEmptyFile = errors.New("no data")
)

// maxErrors is how many errors of one file the parsers report in detail.
const maxErrors = 20

// Error is an error in an input file: it names the file, the line (0 when
// the error is about the whole file) and the field.
type Error struct {
	File  string
	Line  int
	Field string
	Err   error
}

// Error formats e as "file:line: field name: message".
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		s += ": field " + e.Field
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errorList collects the errors of one file.
type errorList struct {
	file string
	errs []error
	n    int
}

func (l *errorList) add(line int, field string, err error) {
	l.n++
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, &Error{File: l.file, Line: line, Field: field, Err: err})
	}
}

func (l *errorList) addf(line int, field string, sentinel error, format string, args ...any) {
	l.add(line, field, detail(sentinel, format, args...))
}

// detailed is an error whose message is a precise description for people
// and which wraps a sentinel error for programs.
type detailed struct {
	sentinel error
	msg      string
}

func (d *detailed) Error() string { return d.msg }
func (d *detailed) Unwrap() error { return d.sentinel }

// detail returns an error with the formatted message that wraps sentinel.
func detail(sentinel error, format string, args ...any) error {
	return &detailed{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

// err returns the collected errors joined (with a count of those not
// detailed), or nil.
func (l *errorList) err() error {
	if l.n == 0 {
		return nil
	}
	errs := l.errs
	if l.n > len(errs) {
		errs = append(errs, &Error{File: l.file, Err: moreErrors(l.n - len(errs))})
	}
	return errors.Join(errs...)
}

// moreErrors stands for the errors found beyond those detailed.
type moreErrors int

func (m moreErrors) Error() string { return fmt.Sprintf("… and %d more errors", int(m)) }

// Count returns how many input errors err holds: those detailed, and those
// found beyond them.
func Count(err error) int {
	var m moreErrors
	switch e := err.(type) {
	case nil:
		return 0
	case interface{ Unwrap() []error }:
		n := 0
		for _, x := range e.Unwrap() {
			n += Count(x)
		}
		return n
	case *Error:
		if errors.As(e.Err, &m) {
			return int(m)
		}
	}
	return 1
}
