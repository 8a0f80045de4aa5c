package recount

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ownervote/ownervote/tally"
)

// maxDepth bounds the nesting of ASSEMBLY.json, which needs four levels.
const maxDepth = 32

// node is a JSON value with the line it ends on.
type node struct {
	line  int
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	str   string
	num   json.Number
	b     bool
	keys  []string // object keys in order, with vals
	vals  []*node
	elems []*node
}

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// jsonReader turns a JSON text into nodes, with line numbers, refusing
// duplicate keys, invalid UTF-8 and trailing data.
type jsonReader struct {
	data []byte
	dec  *json.Decoder
}

func (j *jsonReader) lineAt(off int64) int {
	if off > int64(len(j.data)) {
		off = int64(len(j.data))
	}
	return 1 + bytes.Count(j.data[:off], []byte("\n"))
}

// tokenLine is the line of the token just read.
func (j *jsonReader) tokenLine() int { return j.lineAt(max(j.dec.InputOffset()-1, 0)) }

type syntaxErr struct {
	line int
	msg  string
}

func (e *syntaxErr) Error() string { return e.msg }

func (j *jsonReader) fail(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxErr{j.lineAt(se.Offset), "malformed JSON: " + se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &syntaxErr{j.lineAt(int64(len(j.data))), "malformed JSON: unexpected end of file"}
	}
	return &syntaxErr{j.tokenLine(), "malformed JSON: " + err.Error()}
}

// value reads the value at path (motions[0].id; "" for the whole text).
func (j *jsonReader) value(depth int, path string) (*node, error) {
	tok, err := j.dec.Token()
	if err != nil {
		return nil, j.fail(err)
	}
	n := &node{line: j.tokenLine()}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxDepth {
			return nil, &syntaxErr{n.line, "JSON nested too deeply"}
		}
		if t == '{' {
			n.kind = 'o'
			for j.dec.More() {
				kt, err := j.dec.Token()
				if err != nil {
					return nil, j.fail(err)
				}
				k, _ := kt.(string)
				if n.get(k) != nil {
					return nil, &duplicateKey{j.tokenLine(), k, join(path, k)}
				}
				v, err := j.value(depth+1, join(path, k))
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, v)
			}
		} else {
			n.kind = 'a'
			for j.dec.More() {
				v, err := j.value(depth+1, fmt.Sprintf("%s[%d]", path, len(n.elems)))
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
		}
		if _, err := j.dec.Token(); err != nil { // the closing delimiter
			return nil, j.fail(err)
		}
	case string:
		n.kind, n.str = 's', t
	case json.Number:
		n.kind, n.num = 'n', t
	case bool:
		n.kind, n.b = 'b', t
	case nil:
		n.kind = 'z'
	}
	return n, nil
}

type duplicateKey struct {
	line int
	key  string
	path string // where: motions[0].id
}

func (e *duplicateKey) Error() string { return fmt.Sprintf("key %q twice in one object", e.key) }

// parseJSON parses one JSON value, the whole of data.
func parseJSON(data []byte) (*node, error) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, &syntaxErr{1 + bytes.Count(data[:off], []byte("\n")), "not valid UTF-8"}
	}
	j := &jsonReader{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	j.dec.UseNumber()
	n, err := j.value(0, "")
	if err != nil {
		return nil, err
	}
	if _, err := j.dec.Token(); err != io.EOF {
		return nil, &syntaxErr{j.tokenLine(), "unexpected data after the JSON value"}
	}
	return n, nil
}

// assemblyReader interprets the nodes of ASSEMBLY.json.
type assemblyReader struct {
	errs *errorList
}

func (ar *assemblyReader) bad(n *node, field string, sentinel error, format string, args ...any) {
	ar.errs.addf(n.line, field, sentinel, format, args...)
}

// object checks that n is an object with only the allowed keys and the
// required ones.
func (ar *assemblyReader) object(n *node, field string, allowed, required []string) bool {
	if n.kind != 'o' {
		ar.bad(n, field, ErrBadField, "want an object")
		return false
	}
	ok := true
	for i, k := range n.keys {
		if !slicesContains(allowed, k) {
			ar.bad(n.vals[i], join(field, k), ErrUnknownKey, "unknown key %q; the keys are %s", k, strings.Join(allowed, ", "))
			ok = false
		}
	}
	for _, k := range required {
		if n.get(k) == nil {
			ar.bad(n, join(field, k), ErrMissingKey, "missing key %q", k)
			ok = false
		}
	}
	return ok
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (ar *assemblyReader) str(n *node, field string) (string, bool) {
	if n.kind != 's' {
		ar.bad(n, field, ErrBadField, "want a string")
		return "", false
	}
	if msg := checkText(n.str); msg != "" {
		ar.bad(n, field, ErrBadField, "%s", msg)
		return "", false
	}
	return n.str, true
}

func (ar *assemblyReader) boolean(n *node, field string) bool {
	if n.kind != 'b' {
		ar.bad(n, field, ErrBadField, "want true or false")
		return false
	}
	return n.b
}

// ParseAssembly reads ASSEMBLY.json (DESIGN §4) from r; file names it in
// errors. Unknown keys, duplicate keys, values of the wrong type and unknown
// names are errors: nothing is guessed. The keys and defaults are:
//
//	rule_set                      "civil-code-2021" (default), "property-law-2007" or "custom"
//	custom_rule_set               required with "custom", refused otherwise (see docs/recount-format.md)
//	abstention                    "PARTICIPATES" (default), "EXCLUDED_FROM_DENOMINATOR" or "NOT_PARTICIPATING"
//	invalid_counts_toward_quorum  false (default) or true
//	deemed_consent                false (default) or true
//	motions                       required: [{"id", "matter", "options"?, "seats"?}]
//
// A motion with "options" is a choice among candidates; with "seats" too
// (matter ELECT_COMMITTEE only) it is a committee election of that many
// seats. All errors are reported (the first maxErrors in detail), each as an
// *Error.
func ParseAssembly(file string, r io.Reader) (tally.Assembly, error) {
	errs := &errorList{file: file}
	data, err := io.ReadAll(r)
	if err != nil {
		errs.addf(0, "", ErrSyntax, "reading: %v", err)
		return tally.Assembly{}, errs.err()
	}
	// Notepad and WPS save UTF-8 with a byte order mark.
	root, err := parseJSON(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if err != nil {
		var se *syntaxErr
		var dk *duplicateKey
		switch {
		case errors.As(err, &dk):
			errs.addf(dk.line, dk.path, ErrDuplicateKey, "%v", err)
		case errors.As(err, &se):
			errs.addf(se.line, "", ErrSyntax, "%s", se.msg)
		}
		return tally.Assembly{}, errs.err()
	}
	ar := &assemblyReader{errs: errs}
	a := ar.assembly(root)
	if err := errs.err(); err != nil {
		return tally.Assembly{}, err
	}
	if err := a.Validate(); err != nil { // everything is checked above; this is a safety net
		errs.add(0, "", err)
		return tally.Assembly{}, errs.err()
	}
	return a, nil
}

var assemblyKeys = []string{"rule_set", "custom_rule_set", "abstention", "invalid_counts_toward_quorum", "deemed_consent", "motions"}

func (ar *assemblyReader) assembly(n *node) tally.Assembly {
	a := tally.Assembly{RuleSet: tally.CivilCode2021()}
	if !ar.object(n, "", assemblyKeys, []string{"motions"}) {
		if n.kind != 'o' {
			return a
		}
	}
	name, named := tally.CivilCode2021Name, true
	if v := n.get("rule_set"); v != nil {
		name, named = ar.str(v, "rule_set")
	}
	custom := n.get("custom_rule_set")
	switch {
	case name == tally.CustomName && custom == nil:
		ar.bad(n, "custom_rule_set", ErrMissingKey, `rule_set "custom" needs a custom_rule_set object`)
	case name == tally.CustomName:
		a.RuleSet = ar.customRuleSet(custom)
	case custom != nil:
		ar.bad(custom, "custom_rule_set", tally.ErrBadRuleSet, "custom_rule_set is only for rule_set \"custom\", not %q", name)
	case named:
		rs, err := tally.RuleSetByName(name)
		if err != nil {
			ar.bad(n.get("rule_set"), "rule_set", tally.ErrBadRuleSet, "%q is not civil-code-2021, property-law-2007 or custom", name)
		}
		a.RuleSet = rs
	}
	if v := n.get("abstention"); v != nil {
		if s, ok := ar.str(v, "abstention"); ok {
			mode, err := tally.ParseAbstention(s)
			if err != nil {
				ar.bad(v, "abstention", tally.ErrBadAssembly, "%q is not PARTICIPATES, EXCLUDED_FROM_DENOMINATOR or NOT_PARTICIPATING", s)
			}
			a.Abstention = mode
		}
	}
	if v := n.get("invalid_counts_toward_quorum"); v != nil {
		a.InvalidCountsTowardQuorum = ar.boolean(v, "invalid_counts_toward_quorum")
	}
	if v := n.get("deemed_consent"); v != nil {
		a.DeemedConsent = ar.boolean(v, "deemed_consent")
	}
	ms := n.get("motions")
	if ms == nil {
		return a
	}
	if ms.kind != 'a' {
		ar.bad(ms, "motions", ErrBadField, "want an array of motions")
		return a
	}
	if len(ms.elems) == 0 {
		ar.bad(ms, "motions", ErrEmptyFile, "no motions")
	}
	firstLine := map[string]int{}
	for i, mn := range ms.elems {
		field := fmt.Sprintf("motions[%d]", i)
		m, ok := ar.motion(mn, field)
		if !ok {
			continue
		}
		if l, dup := firstLine[m.ID]; dup {
			ar.bad(mn.get("id"), field+".id", tally.ErrBadMotion, "motion %q is also on line %d", m.ID, l)
			continue
		}
		firstLine[m.ID] = mn.get("id").line
		a.Motions = append(a.Motions, m)
	}
	return a
}

var motionKeys = []string{"id", "matter", "options", "seats"}

func (ar *assemblyReader) motion(n *node, field string) (tally.Motion, bool) {
	var m tally.Motion
	if !ar.object(n, field, motionKeys, []string{"id", "matter"}) {
		return m, false
	}
	ok := true
	id, good := ar.str(n.get("id"), field+".id")
	ok = ok && good
	if good && id == "" {
		ar.bad(n.get("id"), field+".id", tally.ErrBadMotion, "empty motion id")
		ok = false
	}
	m.ID = id
	matter, good := ar.str(n.get("matter"), field+".matter")
	ok = ok && good
	if good && !tally.Matter(matter).Valid() {
		var names []string
		for _, x := range tally.Matters() {
			names = append(names, string(x))
		}
		ar.bad(n.get("matter"), field+".matter", tally.ErrBadMotion, "%q is not one of %s", matter, strings.Join(names, ", "))
		ok = false
	}
	m.Matter = tally.Matter(matter)
	if on := n.get("options"); on != nil {
		if on.kind != 'a' {
			ar.bad(on, field+".options", ErrBadField, "want an array of option ids")
			ok = false
		} else if len(on.elems) == 0 {
			ar.bad(on, field+".options", tally.ErrBadMotion, "empty options: leave the key out for a motion voted AGREE/OPPOSE")
			ok = false
		}
		seen := map[string]bool{}
		for i, e := range on.elems {
			f := fmt.Sprintf("%s.options[%d]", field, i)
			o, good := ar.str(e, f)
			switch {
			case !good:
				ok = false
			case o == "":
				ar.bad(e, f, tally.ErrBadMotion, "empty option id")
				ok = false
			case o == string(tally.Agree) || o == string(tally.Oppose) || o == string(tally.Abstain) || o == string(tally.Invalid):
				ar.bad(e, f, tally.ErrBadMotion, "option id %q is a reserved choice", o)
				ok = false
			case seen[o]:
				ar.bad(e, f, tally.ErrBadMotion, "option %q listed twice", o)
				ok = false
			}
			seen[o] = true
			m.Options = append(m.Options, o)
		}
	}
	if sn := n.get("seats"); sn != nil {
		seats, err := strconv.Atoi(string(sn.num))
		if sn.kind != 'n' || err != nil || seats < 1 {
			ar.bad(sn, field+".seats", ErrBadField, "want a whole number of seats, at least 1")
			return m, false
		}
		m.Seats = seats
	}
	if !ok {
		return m, false
	}
	if err := m.Validate(); err != nil {
		// Named at the line of the field the problem is about.
		f, line := field, n.line
		switch {
		case m.Seats > 0:
			f += ".seats"
			if sn := n.get("seats"); sn != nil {
				line = sn.line
			}
		case len(m.Options) > 0:
			f += ".options"
			if on := n.get("options"); on != nil {
				line = on.line
			}
		}
		ar.errs.add(line, f, err)
		return m, false
	}
	return m, true
}

var (
	customKeys      = []string{"quorum", "ordinary", "special", "special_matters"}
	thresholdKeys   = []string{"more_than", "at_least"}
	requirementKeys = []string{"more_than", "at_least", "of"}
)

func (ar *assemblyReader) customRuleSet(n *node) tally.RuleSet {
	rs := tally.RuleSet{Name: tally.CustomName}
	if !ar.object(n, "custom_rule_set", customKeys, customKeys) {
		return rs
	}
	rs.Quorum = ar.threshold(n.get("quorum"), "custom_rule_set.quorum", thresholdKeys)
	rs.Ordinary = ar.requirement(n.get("ordinary"), "custom_rule_set.ordinary")
	rs.Special = ar.requirement(n.get("special"), "custom_rule_set.special")
	sm := n.get("special_matters")
	if sm.kind != 'a' {
		ar.bad(sm, "custom_rule_set.special_matters", ErrBadField, "want an array of matters")
		return rs
	}
	for i, e := range sm.elems {
		f := fmt.Sprintf("custom_rule_set.special_matters[%d]", i)
		s, ok := ar.str(e, f)
		switch {
		case !ok:
		case !tally.Matter(s).Valid():
			ar.bad(e, f, tally.ErrBadRuleSet, "%q is not a matter", s)
		case rs.IsSpecial(tally.Matter(s)):
			ar.bad(e, f, tally.ErrBadRuleSet, "%q listed twice", s)
		default:
			rs.SpecialMatters = append(rs.SpecialMatters, tally.Matter(s))
		}
	}
	return rs
}

// threshold reads {"more_than": "p/q"} or {"at_least": "p/q"}.
func (ar *assemblyReader) threshold(n *node, field string, allowed []string) tally.Threshold {
	if !ar.object(n, field, allowed, nil) {
		return tally.Threshold{}
	}
	mt, al := n.get("more_than"), n.get("at_least")
	if (mt == nil) == (al == nil) {
		ar.bad(n, field, tally.ErrBadRuleSet, `want exactly one of "more_than" and "at_least"`)
		return tally.Threshold{}
	}
	v, key, strict := al, "at_least", false
	if mt != nil {
		v, key, strict = mt, "more_than", true
	}
	s, ok := ar.str(v, join(field, key))
	if !ok {
		return tally.Threshold{}
	}
	t, err := tally.ParseFraction(s, strict)
	if err != nil {
		ar.bad(v, join(field, key), tally.ErrBadRuleSet, "%q is not a usable fraction p/q between 0 and 1", s)
	}
	return t
}

func (ar *assemblyReader) requirement(n *node, field string) tally.Requirement {
	r := tally.Requirement{Threshold: ar.threshold(n, field, requirementKeys)}
	if n.kind != 'o' {
		return r
	}
	if of := n.get("of"); of != nil {
		s, ok := ar.str(of, join(field, "of"))
		switch {
		case !ok:
		case s == "PARTICIPANTS":
			r.Of = tally.OfParticipants
		case s == "ALL":
			r.Of = tally.OfAll
		default:
			ar.bad(of, join(field, "of"), tally.ErrBadRuleSet, "%q is not PARTICIPANTS or ALL", s)
		}
	}
	return r
}
