package roll

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ownervote/ownervote/l10n"
)

// Identifier turns identity document numbers into keyed hashes. The same
// number always gives the same owner id under the same secret; without the
// secret the number cannot be recovered or checked.
type Identifier struct {
	secret []byte
}

// NewIdentifier returns an Identifier keyed by secret (at least 32 bytes).
func NewIdentifier(secret []byte) (*Identifier, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("%w: identity secret must be at least 32 bytes, got %d", ErrInvalid, len(secret))
	}
	return &Identifier{secret: append([]byte(nil), secret...)}, nil
}

// Hash returns the keyed hash of a normalised identity number.
func (id *Identifier) Hash(number string) []byte {
	m := hmac.New(sha256.New, id.secret)
	m.Write([]byte("ownervote id-number v1\x00"))
	m.Write([]byte(number))
	return m.Sum(nil)
}

// Tag is a pseudonym of a normalised identity number within one scope (an
// assembly): the same number gives the same tag there, while without the
// secret tags of different scopes cannot be linked, nor a tag to an owner
// id. It is what a public export may show of a person who is not voting.
func (id *Identifier) Tag(scope, number string) string {
	m := hmac.New(sha256.New, id.secret)
	m.Write([]byte("ownervote scoped tag v1\x00"))
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(number))
	return "h" + hex.EncodeToString(m.Sum(nil)[:8])
}

// OwnerID derives the public owner id from an identity hash.
func OwnerID(idHash []byte) string {
	return "o" + hex.EncodeToString(idHash[:8])
}

// NormalizeIDNumber checks an identity document number and returns its
// canonical form, so that one person's number always gives one owner id:
// letters in upper case, without the spaces and hyphens people type to
// group the digits. An 18-character resident ID (居民身份证) must carry a
// valid GB 11643 check digit, so that a mistyped digit is caught at import;
// a first-generation 15-digit resident ID becomes the same person's
// 18-digit number; other all-digit numbers of 14 to 20 digits are refused as
// a resident ID with a digit missing or extra. Other documents (passports,
// permits) are 5 to 32 letters and digits.
func NormalizeIDNumber(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return "", l10n.ZH(fmt.Errorf("is empty"), "号码为空")
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(s) < 5 || len(s) > 32 {
		return "", l10n.ZH(fmt.Errorf("must be 5 to 32 letters and digits"), "号码须为5至32位字母或数字")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return "", l10n.ZH(fmt.Errorf("may hold only letters and digits (and spaces or hyphens between them)"), "号码只能包含字母和数字")
		}
	}
	switch {
	case len(s) == 18 && allDigits(s[:17]):
		if want := residentIDCheck(s[:17]); s[17] != want {
			return "", l10n.ZH(fmt.Errorf("resident ID check digit is wrong (a digit may be mistyped)"), "居民身份证号码的校验位不对：可能有数字录错")
		}
	case len(s) == 15 && allDigits(s):
		// GB 11643: the century 19 inserted before the birth date, and
		// the check digit added.
		first17 := s[:6] + "19" + s[6:]
		return first17 + string(residentIDCheck(first17)), nil
	case allDigits(s) && len(s) >= 14 && len(s) <= 20:
		return "", l10n.ZH(fmt.Errorf("has %d digits: a resident ID has 18 (the last may be X), a first-generation one 15; a digit may be missing or extra", len(s)),
			fmt.Sprintf("号码有%d位：居民身份证为18位（最后一位可为X），第一代为15位；可能多输或少输了数字", len(s)))
	}
	return s, nil
}

// LegacyOwnerIDs returns the owner ids an identity number written raw,
// whose canonical form (NormalizeIDNumber) is canonical, may have had
// under a server before numbers were normalised as now (legacyForms).
func (id *Identifier) LegacyOwnerIDs(raw, canonical string) []string {
	var out []string
	for _, l := range legacyForms(raw, canonical) {
		out = append(out, OwnerID(id.Hash(l)))
	}
	return out
}

// legacyForms returns the forms under which a server before numbers were
// normalised as now may have stored the number written raw, whose
// canonical form is canonical: the old normalisation of raw, and for an
// 18-digit resident ID of the 1900s its first-generation 15 digits.
func legacyForms(raw, canonical string) []string {
	var out []string
	if l := legacyIDNumber(raw); l != "" {
		out = append(out, l)
	}
	if len(canonical) == 18 && allDigits(canonical[:17]) && canonical[6:8] == "19" {
		if l := canonical[:6] + canonical[8:17]; !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// legacyIDNumber is the form NormalizeIDNumber gave a number before it
// dropped spaces and hyphens and converted 15-digit resident IDs, or "" if
// that was no different or the number was refused then. Owners imported
// under it keep their owner id (Book's imports look them up by it).
func legacyIDNumber(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < 5 || len(s) > 32 {
		return ""
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '-') {
			return ""
		}
	}
	if len(s) == 18 && allDigits(s[:17]) && residentIDCheck(s[:17]) != s[17] {
		return ""
	}
	if n, err := NormalizeIDNumber(s); err == nil && n == s {
		return ""
	}
	return s
}

// residentIDCheck computes the GB 11643-1999 check character.
func residentIDCheck(first17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// ResidentIDCheck returns the check character for the first 17 digits of a
// resident ID; it is exported for generating test and demo data.
func ResidentIDCheck(first17 string) byte { return residentIDCheck(first17) }

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// NormalizePhone checks a phone number and returns it as digits (a mobile
// number of 11 digits, or a landline with its area code, 10 to 12 digits),
// dropping spaces, hyphens and a +86 or 0086 prefix.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+86")
	s = strings.TrimPrefix(s, "0086")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("may hold only digits, spaces and hyphens")
		}
	}
	d := b.String()
	switch {
	case len(d) == 11 && d[0] == '1':
		return d, nil
	case len(d) >= 10 && len(d) <= 12 && d[0] == '0':
		return d, nil
	}
	return "", fmt.Errorf("must be an 11-digit mobile number or a landline with area code")
}

// MaskPhone hides at least four middle digits of a phone number and shows
// at most the first three and the last four, e.g. 138****5678.
func MaskPhone(p string) string {
	if p == "" {
		return ""
	}
	if len(p) <= 8 {
		return strings.Repeat("*", len(p))
	}
	stars := max(4, len(p)-7)
	first := len(p) - stars - 4
	return p[:first] + strings.Repeat("*", stars) + p[len(p)-4:]
}
