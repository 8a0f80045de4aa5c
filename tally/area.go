package tally

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Area is a floor area in hundredths of a square metre (0.01 m²). The tally
// never uses floating point: every area is an exact integer of this unit.
type Area int64

// ErrBadArea is wrapped by every error of ParseArea.
var ErrBadArea = errors.New("bad area")

// ParseArea parses a decimal number of square metres with at most two
// decimals ("123.45", "123.4", "123") into hundredths of a square metre. It
// accepts only ASCII digits with an optional point followed by one or two
// digits: no sign, no exponent, no thousands separator, no spaces. It rejects
// the empty string and values that do not fit in an Area. Every error wraps
// ErrBadArea.
func ParseArea(s string) (Area, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrBadArea)
	}
	whole, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			whole, frac = s[:i], s[i+1:]
			if frac == "" {
				return 0, fmt.Errorf("%w: %q has no digits after the decimal point", ErrBadArea, s)
			}
			break
		}
	}
	if whole == "" {
		return 0, fmt.Errorf("%w: %q has no digits before the decimal point", ErrBadArea, s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%w: %q has more than two decimals", ErrBadArea, s)
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%w: %q is not a decimal number of square metres like 123.45", ErrBadArea, s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/100 {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadArea, s)
	}
	var f int64
	for i := 0; i < 2; i++ {
		f *= 10
		if i < len(frac) {
			f += int64(frac[i] - '0')
		}
	}
	if w*100 > math.MaxInt64-f {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadArea, s)
	}
	return Area(w*100 + f), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats a as square metres with exactly two decimals and no
// grouping, e.g. "123.40". ParseArea(a.String()) == a for every a >= 0.
func (a Area) String() string {
	return a.format(false)
}

// Grouped formats a like String but groups the whole part in thousands with
// commas, e.g. "13,280.00", for text read by people.
func (a Area) Grouped() string {
	return a.format(true)
}

func (a Area) format(group bool) string {
	u := uint64(a)
	neg := a < 0
	if neg {
		u = -u // two's complement: correct for math.MinInt64 too
	}
	whole := strconv.FormatUint(u/100, 10)
	if group && len(whole) > 3 {
		b := make([]byte, 0, len(whole)+len(whole)/3)
		for i := 0; i < len(whole); i++ {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b = append(b, ',')
			}
			b = append(b, whole[i])
		}
		whole = string(b)
	}
	frac := u % 100
	s := whole + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
	if neg {
		s = "-" + s
	}
	return s
}

// EffectiveArea picks a unit's area by the statutory precedence: its
// registered area (登记面积) if known, else its surveyed area (实测面积), else
// its sale-contract area (合同面积). ok is false when all three are nil.
func EffectiveArea(registered, surveyed, contract *Area) (a Area, ok bool) {
	switch {
	case registered != nil:
		return *registered, true
	case surveyed != nil:
		return *surveyed, true
	case contract != nil:
		return *contract, true
	}
	return 0, false
}
