package ballot

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseError reports why bytes are not a canonical ballot or receipt. Line
// is the 1-based line number (the domain separator is line 1), or 0 when the
// problem is not on one line. It wraps ErrMalformed.
type ParseError struct {
	Record string // "ballot" or "receipt"
	Line   int
	Field  string // the field at or expected at that line, when known
	Reason string
}

// Error names the record, the line, the field when known and the reason.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Record)
	if e.Line > 0 {
		b.WriteString(": line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns ErrMalformed.
func (e *ParseError) Unwrap() error { return ErrMalformed }

// Parse parses a canonical ballot. It is the strict inverse of Canonical:
// it accepts exactly the bytes that Canonical returns for some valid Ballot,
// and returns that Ballot, with its choices sorted by motion id and each
// choice's values sorted. Errors are *ParseError wrapping ErrMalformed.
func Parse(canonical []byte) (*Ballot, error) {
	r := newReader("ballot", ballotHeader, canonical, MaxCanonicalSize)
	b := &Ballot{}
	b.Assembly = r.field("assembly", checkID)
	b.RollDigest = r.field("roll", hexOf(64))
	b.Voter = r.field("voter", checkID)
	b.Channel = Channel(r.field("channel", func(v string) string { return checkChannel(Channel(v)) }))
	b.Signer = SignerRole(r.field("signer", func(v string) string { return checkSigner(SignerRole(v), b.Channel) }))
	b.KeyID = r.field("key", hexOf(32))
	b.Nonce = r.field("nonce", hexOf(32))
	b.Time = r.time("time", secondsLayout)
	switch b.Channel {
	case Platform:
		b.PlatformVoteID = r.field("platform_vote_id", checkID)
	case Proxy:
		b.ProxyAuthorization = r.field("proxy_authorization", hexOf(64))
	case Phone, Visit, Paper:
		a := &Attestation{}
		a.StaffID = r.field("attestation.staff", checkID)
		a.At = r.time("attestation.time", secondsLayout)
		switch b.Channel {
		case Phone:
			a.MaskedPhone = r.field("attestation.phone", checkMaskedPhone)
			a.Note = r.optional("attestation.note", checkNote)
			a.RecordingSHA256 = r.optional("attestation.recording", hexOf(64))
		case Visit:
			a.Note = r.field("attestation.note", checkNote)
			a.RecordingSHA256 = r.optional("attestation.recording", hexOf(64))
		case Paper:
			a.PaperSerial = r.field("attestation.paper_serial", checkID)
			a.ScanSHA256 = r.field("attestation.scan", hexOf(64))
		}
		b.Attestation = a
	}
	b.Choices = r.choices()
	if r.err != nil {
		return nil, r.err
	}
	// Every line was checked above; these two checks make sure that Parse
	// stays the strict inverse of Canonical whatever changes.
	if err := b.validateFields(); err != nil {
		var fe *FieldError
		errors.As(err, &fe)
		return nil, &ParseError{Record: "ballot", Field: fe.Field, Reason: fe.Reason}
	}
	if !bytes.Equal(b.encode(), canonical) {
		return nil, &ParseError{Record: "ballot", Reason: "not in canonical form"}
	}
	return b, nil
}

func hexOf(n int) func(string) string {
	return func(s string) string { return checkHex(s, n) }
}

// choices reads the choice lines, which run to the end of the input.
func (r *reader) choices() []Choice {
	var out []Choice
	for r.err == nil && r.i < len(r.lines) {
		if len(out) == MaxChoices {
			r.failNext("", fmt.Sprintf("more than %d choices", MaxChoices))
			break
		}
		name, value, ok := r.nextLine()
		if !ok {
			break
		}
		motion, isChoice := strings.CutPrefix(name, "choice.")
		if !isChoice {
			r.fail(name, "want a choice.<motion> line or the end of the ballot here")
			break
		}
		if reason := checkID(motion); reason != "" {
			r.fail(name, "motion id "+reason)
			break
		}
		if n := len(out); n > 0 {
			switch prev := out[n-1].Motion; {
			case motion == prev:
				r.fail(name, "a second choice for the same motion")
			case motion < prev:
				r.fail(name, fmt.Sprintf("choice lines must be sorted by motion id (byte order), %q comes before %q", motion, prev))
			}
			if r.err != nil {
				break
			}
		}
		values := strings.Split(value, ",")
		if reason := checkValues(values); reason != "" {
			r.fail(name, reason)
			break
		}
		for i := 1; i < len(values); i++ {
			if values[i] < values[i-1] {
				r.fail(name, fmt.Sprintf("values must be sorted (byte order), %q comes before %q", values[i], values[i-1]))
				break
			}
		}
		out = append(out, Choice{Motion: motion, Values: values})
	}
	if r.err == nil && len(out) == 0 {
		r.failNext("", "at least one choice.<motion> line is required")
	}
	return out
}

// reader reads the name=value lines of a canonical record in order; after
// the first error it does nothing, and err holds that error.
type reader struct {
	record string
	lines  []string // without the header and without "\n"
	i      int      // index in lines of the next line to read
	seen   map[string]bool
	err    *ParseError
}

// newReader checks what is common to all lines of a canonical record: its
// size, UTF-8, the final newline, no carriage returns or empty lines, and the
// header.
func newReader(record, header string, data []byte, max int) *reader {
	r := &reader{record: record, seen: map[string]bool{}}
	fail := func(line int, format string, args ...any) *reader {
		r.err = &ParseError{Record: record, Line: line, Reason: fmt.Sprintf(format, args...)}
		return r
	}
	switch {
	case len(data) == 0:
		return fail(1, "empty input")
	case len(data) > max:
		return fail(0, "%d bytes, at most %d allowed", len(data), max)
	case data[len(data)-1] != '\n':
		return fail(bytes.Count(data, []byte{'\n'})+1, "missing the final newline (every line ends in \\n)")
	}
	lines := strings.Split(string(data[:len(data)-1]), "\n")
	for i, l := range lines {
		switch {
		case !utf8.ValidString(l):
			return fail(i+1, "not valid UTF-8")
		case strings.Contains(l, "\r"):
			return fail(i+1, "contains a carriage return (lines end in \\n alone)")
		case l == "":
			return fail(i+1, "empty line")
		}
	}
	if lines[0] != header {
		if strings.HasPrefix(lines[0], "\ufeff") {
			return fail(1, "starts with a byte order mark")
		}
		return fail(1, "want the domain separator %q, got %q", header, truncate(lines[0]))
	}
	r.lines = lines[1:]
	return r
}

// lineNo returns the line number of lines[i].
func (r *reader) lineNo(i int) int { return i + 2 }

// fail records an error on the line just read.
func (r *reader) fail(field, reason string) {
	if r.err == nil {
		r.err = &ParseError{Record: r.record, Line: r.lineNo(r.i - 1), Field: field, Reason: reason}
	}
}

// failNext records an error on the next line (which may be past the end).
func (r *reader) failNext(field, reason string) {
	if r.err == nil {
		r.err = &ParseError{Record: r.record, Line: r.lineNo(r.i), Field: field, Reason: reason}
	}
}

// nextLine reads the next line as name and value.
func (r *reader) nextLine() (name, value string, ok bool) {
	if r.err != nil {
		return "", "", false
	}
	if r.i >= len(r.lines) {
		r.failNext("", "unexpected end")
		return "", "", false
	}
	l := r.lines[r.i]
	r.i++
	name, value, found := strings.Cut(l, "=")
	if !found || name == "" {
		r.fail("", fmt.Sprintf("want name=value, got %q", truncate(l)))
		return "", "", false
	}
	return name, value, true
}

// peek returns the name of the next line, or "" at the end.
func (r *reader) peek() string {
	if r.err != nil || r.i >= len(r.lines) {
		return ""
	}
	name, _, _ := strings.Cut(r.lines[r.i], "=")
	return name
}

// field reads the next line, which must be the field name, and checks its
// value.
func (r *reader) field(name string, check func(string) string) string {
	if r.err != nil {
		return ""
	}
	if r.i >= len(r.lines) {
		r.failNext(name, "missing")
		return ""
	}
	got, value, ok := r.nextLine()
	if !ok {
		return ""
	}
	if got != name {
		if r.seen[got] {
			r.fail(name, fmt.Sprintf("field %s appears twice", got))
		} else {
			r.fail(name, fmt.Sprintf("want field %s here, got %q", name, truncate(got)))
		}
		return ""
	}
	r.seen[got] = true
	if reason := check(value); reason != "" {
		r.fail(name, reason)
		return ""
	}
	return value
}

// optional reads field name if it is the next line.
func (r *reader) optional(name string, check func(string) string) string {
	if r.peek() != name {
		return ""
	}
	return r.field(name, check)
}

// time reads a time field written in layout.
func (r *reader) time(name, layout string) time.Time {
	v := r.field(name, func(string) string { return "" })
	if r.err != nil {
		return time.Time{}
	}
	t, reason := parseTime(v, layout)
	if reason != "" {
		r.fail(name, reason)
	}
	return t
}

// end checks that every line was read.
func (r *reader) end() {
	if r.err == nil && r.i < len(r.lines) {
		name, _, _ := strings.Cut(r.lines[r.i], "=")
		r.failNext("", fmt.Sprintf("unexpected line %q after the last field", truncate(name)))
	}
}

// truncate shortens s for an error message.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
