package ballot

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules of the format's values. Each check returns "" when the value is
// good, or the reason it is not; Validate and Parse share them.

const maxIDLen = 64

// checkID checks an id: 1–64 characters of A-Z a-z 0-9 . _ : -.
func checkID(s string) string {
	if s == "" {
		return "required"
	}
	if len(s) > maxIDLen {
		return fmt.Sprintf("has %d characters, at most %d allowed", len(s), maxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if !isIDByte(s[i]) {
			return fmt.Sprintf("byte %d (%q) is not one of A-Z a-z 0-9 . _ : -", i, s[i])
		}
	}
	return ""
}

// ValidID reports whether s is an id as the format has them (assemblies,
// voters, motions, options, staff and committee members): 1–64 characters of
// A-Z a-z 0-9 . _ : -.
func ValidID(s string) bool { return checkID(s) == "" }

// IDRule and IDRuleZH say what ValidID takes, in English and in Chinese.
const (
	IDRule   = "1 to 64 of A-Z a-z 0-9 . _ : -"
	IDRuleZH = "须为 1 至 64 个英文字母、数字或 . _ : -"
)

// SignerIDProblem says what is wrong with id as the id of a member of staff
// or of a committee (written in the attestations of the public log), in
// English and in Chinese, or "" if nothing is. A number that may be a
// phone or identity number (LongNumber: 11 or more digits, whether or not
// its check digit is right) is refused (and not echoed) before the id's
// form is checked.
func SignerIDProblem(id string) (en, zh string) {
	switch {
	case LongNumber(id) >= 0:
		return "a phone or identity number, or any number of 11 or more digits, is no staff or member id (it is published in ballots' attestations)", "工号或委员编号会写入公开的选票记录，不能用电话、身份证号码或11位以上的数字"
	case !ValidID(id):
		return fmt.Sprintf("%q: want %s", id, IDRule), "工号或委员编号" + IDRuleZH
	}
	return "", ""
}

func isIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == ':' || c == '-'
}

// checkHex checks n lowercase hexadecimal digits.
func checkHex(s string, n int) string {
	if s == "" {
		return "required"
	}
	if len(s) != n {
		return fmt.Sprintf("has %d characters, want %d lowercase hex digits", len(s), n)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Sprintf("byte %d (%q) is not a lowercase hex digit", i, c)
		}
	}
	return ""
}

func checkChannel(c Channel) string {
	if c == "" {
		return "required"
	}
	if c.Signer() == "" {
		return fmt.Sprintf("unknown channel %q (ONLINE, PLATFORM, PHONE, VISIT, PAPER, PROXY)", string(c))
	}
	return ""
}

func checkSigner(s SignerRole, c Channel) string {
	if s == "" {
		return "required"
	}
	if want := c.Signer(); want != "" && s != want {
		return fmt.Sprintf("is %q, channel %s is signed by %s", string(s), c, want)
	}
	switch s {
	case SignerOwner, SignerPlatform, SignerStaff, SignerProxy:
		return ""
	}
	return fmt.Sprintf("unknown signer role %q", string(s))
}

// Earliest and latest times the format can carry.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)
)

// checkTime checks a time: set, in UTC, a whole number of units (a second or
// a millisecond), between 1970 and 9999.
func checkTime(t time.Time, unit time.Duration) string {
	switch {
	case t.IsZero():
		return "required"
	case t.Location() != time.UTC:
		return fmt.Sprintf("must be in UTC, not %s", t.Location())
	case t.Nanosecond()%int(unit) != 0:
		if unit == time.Second {
			return "must be a whole number of seconds"
		}
		return "must be a whole number of milliseconds"
	case t.Before(minTime) || t.After(maxTime):
		return "must be between 1970-01-01 and 9999-12-31"
	}
	return ""
}

// parseTime parses a time written in layout (secondsLayout or millisLayout)
// and accepts only what Format writes.
func parseTime(s, layout string) (time.Time, string) {
	form := "YYYY-MM-DDTHH:MM:SSZ"
	if layout == millisLayout {
		form = "YYYY-MM-DDTHH:MM:SS.mmmZ"
	}
	if len(s) != len(layout) {
		return time.Time{}, fmt.Sprintf("%q is not of the form %s", s, form)
	}
	for i := 0; i < len(s); i++ {
		digit := '0' <= s[i] && s[i] <= '9'
		l := layout[i]
		if '0' <= l && l <= '9' {
			if !digit {
				return time.Time{}, fmt.Sprintf("%q is not of the form %s", s, form)
			}
		} else if s[i] != l {
			return time.Time{}, fmt.Sprintf("%q is not of the form %s", s, form)
		}
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Format(layout) != s {
		return time.Time{}, fmt.Sprintf("%q is not a valid time", s)
	}
	unit := time.Second
	if layout == millisLayout {
		unit = time.Millisecond
	}
	if r := checkTime(t, unit); r != "" {
		return time.Time{}, r
	}
	return t, ""
}

// presence checks a field that is required for the channels in required,
// allowed for those in optional and must be absent for the others; reason is
// the value's own check, used when the field is present.
func presence(c Channel, present bool, reason string, required, optional []Channel) string {
	switch {
	case slices.Contains(required, c) && !present:
		return "required for channel " + string(c)
	case !present:
		return ""
	case !slices.Contains(required, c) && !slices.Contains(optional, c):
		return "must be absent for channel " + string(c)
	}
	return reason
}

func checkPresence(c Channel, present bool, reason string, only Channel) string {
	return presence(c, present, reason, []Channel{only}, nil)
}

func checkOptional(c Channel, present bool, reason string, required, optional []Channel) string {
	return presence(c, present, reason, required, optional)
}

// checkMaskedPhone checks a masked phone number: 7–15 characters of digits
// and '*', at least 4 '*' and at most 8 digits, so that no full number can
// be written.
func checkMaskedPhone(s string) string {
	if len(s) < 7 || len(s) > 15 {
		return fmt.Sprintf("has %d characters, want 7 to 15", len(s))
	}
	stars, digits := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '*':
			stars++
		case '0' <= c && c <= '9':
			digits++
		default:
			return fmt.Sprintf("byte %d (%q) is neither a digit nor '*'", i, c)
		}
	}
	if stars < 4 {
		return fmt.Sprintf("has %d '*', at least 4 required: never write a full phone number", stars)
	}
	if digits > 8 {
		return fmt.Sprintf("shows %d digits, at most 8 allowed: never write a full phone number", digits)
	}
	return ""
}

// checkNote checks an attestation note: UTF-8 text of at most MaxNoteBytes
// bytes without the forbidden code points (notAllowedInNote) and without
// white space at either end. (A long number is refused when a ballot is
// signed or taken in, not by the format: see NoteHoldsNumber.)
func checkNote(s string) string {
	if s == "" {
		return "must not be empty when present"
	}
	if len(s) > MaxNoteBytes {
		return fmt.Sprintf("has %d bytes, at most %d allowed", len(s), MaxNoteBytes)
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Sprintf("byte %d is not valid UTF-8", i)
			}
		}
		if notAllowedInNote(r) {
			return fmt.Sprintf("byte %d: U+%04X is not allowed (control, line or paragraph separator, bidirectional format or byte order mark)", i, r)
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if isWhiteSpace(first) || isWhiteSpace(last) {
		return "must not begin or end with white space"
	}
	return ""
}

// notAllowedInNote reports the code points a note must not contain: C0
// controls, DEL and C1 controls (which include every line break but U+2028
// and U+2029), U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR, the
// bidirectional formatting characters U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069, and U+FEFF (byte order mark). The list is fixed, so it does
// not depend on a Unicode version.
func notAllowedInNote(r rune) bool {
	switch {
	case r <= 0x1f, 0x7f <= r && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
		return true
	case r == 0xfeff:
		return true
	}
	return false
}

// isWhiteSpace reports the Unicode White_Space characters that a note may
// contain inside but not at either end (the others are controls or line
// separators, which it may not contain at all): U+0020, U+00A0, U+1680,
// U+2000–U+200A, U+202F, U+205F and U+3000.
func isWhiteSpace(r rune) bool {
	switch {
	case r == 0x20, r == 0xa0, r == 0x1680, 0x2000 <= r && r <= 0x200a, r == 0x202f, r == 0x205f, r == 0x3000:
		return true
	}
	return false
}

func isKeyword(v string) bool {
	return v == Agree || v == Oppose || v == Abstain || v == Invalid
}

// checkValues checks the values of one choice: one keyword alone, or one or
// more distinct option ids.
func checkValues(values []string) string {
	switch {
	case len(values) == 0:
		return "at least one value is required"
	case len(values) > MaxValues:
		return fmt.Sprintf("%d values, at most %d allowed", len(values), MaxValues)
	}
	for _, v := range values {
		if isKeyword(v) && len(values) > 1 {
			return v + " must be the only value"
		}
		if r := checkID(v); r != "" {
			return fmt.Sprintf("value %q: %s", v, r)
		}
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return fmt.Sprintf("value %q appears more than once", sorted[i])
		}
	}
	return ""
}

// LongNumberRule says why free text is refused when LongNumber finds a
// number in it.
const LongNumberRule = "a phone, identity or bank card number (11 or more digits, whether or not written in groups) is not allowed; a phone is written masked, like 138****5678"

// LongNumberRuleZH is LongNumberRule for people who read Chinese.
const LongNumberRuleZH = "不能含电话、证件或银行卡号码（11位以上的数字，分组书写的也不行）；电话请写成 138****5678 这样"

// IsSHA256Hex reports whether s is a SHA-256 as 64 lowercase hex digits,
// as a document on file is named (a transfer registration, a survey).
func IsSHA256Hex(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// ReasonProblem tells what is wrong with a reason that others read (a
// proxy withdrawal's, a key revocation's, a cancellation's, a phone
// reveal's), trimmed by the caller: "" where it is 1 to 200 characters
// holding no long number (LongNumber); else what, in English and in
// Chinese, whatZH naming the reason (撤销委托的理由).
func ReasonProblem(reason, whatZH string) (en, zh string) {
	switch {
	case reason == "" || utf8.RuneCountInString(reason) > 200:
		return "1 to 200 characters", "请填写" + whatZH + "（1至200字）"
	case LongNumber(reason) >= 0:
		return LongNumberRule, whatZH + LongNumberRuleZH
	}
	return "", ""
}

// LongNumber finds in free text (a note, an objection) a number that is
// most likely a person's phone, identity or bank card number, which the
// platform never stores where others read it: 11 or more digits in a row
// (ASCII or full-width), or such a number written in groups joined by one
// space, hyphen or full stop (ASCII, full-width or the ideographic space;
// zero-width characters are skipped): a mobile number (13 to 19…) as
// 3-4-4, 7-4 or 3-8 digits (138 1234 5678; 3-8 where the 8 are no date, as
// in 3-1-131 20260512), a landline with its area code (010, 02x or four
// digits starting 0; a local number starting 2 to 9: 0532-88886666,
// 0532 8888 6666, (0532) 88886666), a resident identity number as 6-8-4,
// 6-4-4-4 or 6-6-3 digits (or with 3 and X last), a card number as four
// groups of 4 digits or more. A landline or an identity number of 6-8-4
// or 6-4-4-4 may also be joined throughout by one slash, underscore or
// full-width comma (ASCII or full-width: 0532/8888/6666); the other shapes
// not, since lists of rooms, years and amounts are written so
// (1201，1202，1203，1204室; 150/1200/3000元). It returns the byte offset
// where the number starts, or -1. Dates, times, unit numbers (3-1-201),
// areas, amounts and masked phones (138****5678) pass. The console's
// ballot.js has the same rule (longNumber).
func LongNumber(s string) int { return findNumber(s, false) }

// PersonalNumber finds, like LongNumber, a person's phone or identity
// number in a text that may also hold other long numbers (a title naming a
// tender, a unit numbered by its property code): a run of digits, or an
// identity number's groups, counts only as a mobile (11 digits, 13 to 19…,
// maybe after 86 or 0086), a landline with its area code (11 or 12 digits
// starting 0) or a resident identity number (18 digits, or 17 and X, with
// its check digit; 15 with a birth date); a mobile's and a landline's
// groups as in LongNumber, and no card's.
func PersonalNumber(s string) int { return findNumber(s, true) }

// Separators of a number written in groups: basicSeparators for every
// shape, moreSeparators (each the same throughout the number) for a
// mobile, landline or identity number; a closing bracket after an area
// code.
const (
	basicSeparators = " -.\u3000\uff0d\uff0e"
	moreSeparators  = "/_\uff0f\uff3f\uff0c"
)

func findNumber(s string, personalOnly bool) int {
	// runs are the digit runs of s; a run is joined to the one before it
	// by exactly one separator (sep), and may be followed by an X (the
	// check character of an identity number).
	type run struct {
		at, digits int
		text       []byte // the digits, in ASCII
		sep        rune   // the separator before it, 0 if not joined
		xAfter     bool
	}
	var runs []run
	inRun := false
	var sep rune
	for i, r := range s {
		if zeroWidth(r) {
			continue // invisible: neither a digit nor a separator
		}
		d, ok := digitOf(r)
		switch {
		case ok && inRun:
			r := &runs[len(runs)-1]
			r.digits++
			r.text = append(r.text, byte(d))
		case ok:
			runs = append(runs, run{at: i, digits: 1, text: []byte{byte(d)}, sep: sep})
			inRun, sep = true, 0
		case inRun && (strings.ContainsRune(basicSeparators, r) || strings.ContainsRune(moreSeparators, r) || r == ')' || r == '\uff09'):
			inRun, sep = false, r
		case !inRun && r == ' ' && (sep == ')' || sep == '\uff09'):
			// "(0532) 88886666": the bracket joins across one space.
		default:
			if inRun && (r == 'X' || r == 'x' || r == 'Ｘ' || r == 'ｘ') {
				runs[len(runs)-1].xAfter = true
			}
			inRun, sep = false, 0
		}
	}
	for _, r := range runs {
		if r.digits >= 11 && (!personalOnly || personalDigits(r.text, r.xAfter)) {
			return r.at
		}
	}
	// shape tells whether the runs from i on are groups of these many
	// digits, joined by basic separators, or, where more is set, by one
	// of moreSeparators throughout.
	shape := func(i int, more bool, digits ...int) bool {
		if i+len(digits) > len(runs) {
			return false
		}
		basic, same := true, true
		for k, n := range digits {
			r := runs[i+k]
			if r.digits != n || (k > 0 && r.sep == 0) {
				return false
			}
			if k > 0 {
				basic = basic && strings.ContainsRune(basicSeparators, r.sep)
				same = same && strings.ContainsRune(moreSeparators, r.sep) && r.sep == runs[i+1].sep
			}
		}
		return basic || (more && same)
	}
	// landline tells whether the runs from i on are a landline with its
	// area code: 010, 02x or a 4-digit code starting 0, joined (by a
	// basic separator, one of moreSeparators, or a closing bracket and
	// maybe a space) to a local number starting 2 to 9 of 7 or 8 digits,
	// or in groups of 4-4 or 3-4 (the second joined like the first, or by
	// a basic separator). Times (0800 1200) and rooms (0101，0102) are no
	// such number.
	landline := func(i int) bool {
		a := runs[i]
		switch {
		case a.text[0] != '0' || i+1 == len(runs):
			return false
		case a.digits == 3 && !(a.text[1] == '1' && a.text[2] == '0' || a.text[1] == '2'), a.digits != 3 && a.digits != 4:
			return false
		}
		l := runs[i+1]
		if l.sep == 0 || l.text[0] < '2' || !(strings.ContainsRune(basicSeparators+moreSeparators, l.sep) || l.sep == ')' || l.sep == '\uff09') {
			return false
		}
		if l.digits == 7 || l.digits == 8 && !isDate(l.text) {
			return true
		}
		if (l.digits == 4 || l.digits == 3) && i+2 < len(runs) {
			m := runs[i+2]
			return m.digits == 4 && m.sep != 0 && (strings.ContainsRune(basicSeparators, m.sep) || m.sep == l.sep)
		}
		return false
	}
	for i, r := range runs {
		// A mobile number starts 13 to 19; written 3-8, its 8 digits are
		// no date (3-1-131 20260512 is a room and a day).
		mobile := r.text[0] == '1' && r.digits > 1 && r.text[1] >= '3'
		var id []int // the groups of an identity number here, if any
		switch {
		case shape(i, true, 6, 8, 4), shape(i, true, 6, 8, 3) && runs[i+2].xAfter:
			id = []int{i, i + 1, i + 2}
		case shape(i, true, 6, 4, 4, 4), shape(i, true, 6, 4, 4, 3) && runs[i+3].xAfter:
			id = []int{i, i + 1, i + 2, i + 3}
		case shape(i, false, 6, 6, 3):
			id = []int{i, i + 1, i + 2}
		}
		if id != nil && personalOnly {
			// In a title or a unit's number, only a number that reads as
			// an identity number (check digit, birth date) is one.
			var d []byte
			for _, k := range id {
				d = append(d, runs[k].text...)
			}
			if !personalDigits(d, runs[id[len(id)-1]].xAfter) {
				id = nil
			}
		}
		switch {
		case mobile && (shape(i, false, 3, 4, 4) || shape(i, false, 7, 4) || (shape(i, false, 3, 8) && !isDate(runs[i+1].text))),
			landline(i),
			id != nil,
			!personalOnly && shape(i, false, 4, 4, 4, 4):
			return r.at
		}
	}
	return -1
}

// personalDigits tells whether a run of 11 or more digits reads as a
// person's number rather than any long number.
func personalDigits(d []byte, xAfter bool) bool {
	mobile := func(m []byte) bool { return len(m) == 11 && m[0] == '1' && m[1] >= '3' }
	switch n := len(d); {
	case mobile(d), n == 13 && string(d[:2]) == "86" && mobile(d[2:]), n == 15 && string(d[:4]) == "0086" && mobile(d[4:]):
		return true // a mobile, maybe with the country code
	case (n == 11 || n == 12) && d[0] == '0':
		return true // a landline with its area code
	case n == 18:
		return idCheck(d[:17]) == d[17]
	case n == 17 && xAfter:
		return idCheck(d) == 'X'
	case n == 15:
		m, day := int(d[8]-'0')*10+int(d[9]-'0'), int(d[10]-'0')*10+int(d[11]-'0')
		return m >= 1 && m <= 12 && day >= 1 && day <= 31
	}
	return false
}

// idCheck is the check character of the first 17 digits of a resident
// identity number (GB 11643, ISO 7064 MOD 11-2).
func idCheck(d []byte) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(d[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// zeroWidth tells the invisible characters a number can be split by.
func zeroWidth(r rune) bool {
	return r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
}

// isDate tells whether 8 digits read as a day, yyyymmdd, 1900 to 2099.
func isDate(d []byte) bool {
	if len(d) != 8 {
		return false
	}
	n := func(s []byte) int {
		v := 0
		for _, c := range s {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, m, day := n(d[:4]), n(d[4:6]), n(d[6:])
	return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && day >= 1 && day <= 31
}

// digitOf maps an ASCII or full-width digit to its ASCII form.
func digitOf(r rune) (rune, bool) {
	switch {
	case '0' <= r && r <= '9':
		return r, true
	case '０' <= r && r <= '９':
		return '0' + (r - '０'), true
	}
	return 0, false
}

// NoteHoldsNumber reports, as a field error, an attestation note holding a
// long number (LongNumber): Sign refuses to sign such a ballot and
// ownervote's intake to take it in, since the committee and auditors read
// notes, and a signed ballot can never be changed. It is not a rule of the
// format: ballots signed before it still parse.
//
// It also refuses a phone masked otherwise than the roll masks phones
// (MaskedLikeTheRoll): auditors read the roll's mask, 138****5678, and a
// ballot's 1385678**** beside it would give the whole number.
func NoteHoldsNumber(b *Ballot) error {
	if b.Attestation == nil {
		return nil
	}
	if at := LongNumber(b.Attestation.Note); at >= 0 {
		return b.fieldErr("attestation.note", fmt.Sprintf("byte %d: %s", at, LongNumberRule))
	}
	if p := b.Attestation.MaskedPhone; p != "" && !MaskedLikeTheRoll(p) {
		return b.fieldErr("attestation.phone", "mask the phone as the roll does: the last 4 digits and as many before the stars as leave 4 or more hidden (138****5678; 8 digits or fewer all hidden), so that no two masks of one number together show it")
	}
	return nil
}

// MaskedLikeTheRoll reports whether a masked phone has the shape the roll's
// mask (roll.MaskPhone) gives a number of its length: up to 8 characters
// all '*'; longer, n−7 or at least 4 '*' right before the last 4 digits,
// digits before them.
func MaskedLikeTheRoll(s string) bool {
	n := len(s)
	if n <= 8 {
		return strings.Trim(s, "*") == ""
	}
	stars := max(4, n-7)
	first := n - stars - 4
	isDigits := func(t string) bool { return strings.Trim(t, "0123456789") == "" }
	return isDigits(s[:first]) && strings.Trim(s[first:first+stars], "*") == "" && isDigits(s[n-4:])
}
