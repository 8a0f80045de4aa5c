package recount

import (
	"fmt"
	"io"
	"strings"

	"github.com/ownervote/ownervote/tally"
)

// rollColumns are the columns of ROLL.csv.
var rollColumns = []string{"unit_id", "owner_id", "owner_kind", "registered_area_m2", "surveyed_area_m2", "contract_area_m2"}

// Owner kinds of ROLL.csv.
const (
	KindPerson    = "PERSON"
	KindDeveloper = "DEVELOPER"
)

const (
	personBit    = 1
	developerBit = 2
)

// Roll is a parsed ROLL.csv: the units for the tally, and what each
// owner_id stands for when it appears in VOTES.csv.
type Roll struct {
	Units []tally.Unit
	kinds map[string]uint8 // owner_id → personBit | developerBit
}

// ParseRoll reads ROLL.csv (DESIGN §4) from r; file names it in errors.
// Every row must have a unit_id, unique in the file; an owner_id unless its
// owner_kind is DEVELOPER; an owner_kind of PERSON, DEVELOPER or empty
// (PERSON); and at least one of registered_area_m2, surveyed_area_m2 and
// contract_area_m2, each a decimal with at most two decimals. The unit's
// area is the first present in that order (tally.EffectiveArea). All bad
// rows are reported (the first maxErrors in detail), each as an *Error.
func ParseRoll(file string, r io.Reader) (*Roll, error) {
	errs := &errorList{file: file}
	f, ok := openCSV(r, rollColumns, errs)
	if !ok {
		return nil, errs.err()
	}
	roll := &Roll{kinds: map[string]uint8{}}
	firstLine := map[string]int{}
	for {
		rec, lines, _, more := f.next()
		if !more {
			break
		}
		u, good := tally.Unit{}, true
		bad := func(i int, sentinel error, format string, args ...any) {
			errs.addf(lines[i], rollColumns[i], sentinel, format, args...)
			good = false
		}
		for i := range 3 {
			if msg := checkText(rec[i]); msg != "" {
				bad(i, ErrBadField, "%s", msg)
			}
		}
		u.ID, u.OwnerID = rec[0], rec[1]
		switch rec[2] {
		case "", KindPerson:
		case KindDeveloper:
			u.Developer = true
		default:
			bad(2, ErrBadOwnerKind, "%q is not PERSON, DEVELOPER or empty (PERSON)", rec[2])
		}
		if u.ID == "" {
			bad(0, ErrBadField, "empty unit_id")
		} else if first, dup := firstLine[u.ID]; dup {
			bad(0, tally.ErrDuplicateUnit, "unit %q is also on line %d", u.ID, first)
		} else {
			firstLine[u.ID] = lines[0]
		}
		if u.OwnerID == "" && !u.Developer {
			bad(1, ErrBadField, "empty owner_id on a PERSON unit (only DEVELOPER units may leave it empty)")
		}
		var areas [3]*tally.Area
		for i := range areas {
			s := rec[3+i]
			if s == "" {
				continue
			}
			a, err := tally.ParseArea(s)
			switch {
			case err != nil:
				// ParseArea says what is wrong: too large, three decimals…
				bad(3+i, tally.ErrBadArea, "not an area in m²: %s", strings.TrimPrefix(err.Error(), tally.ErrBadArea.Error()+": "))
				continue
			case a <= 0:
				// A sheet's 0 is most often a cell meant to be empty: the
				// next column's area would be the unit's.
				bad(3+i, tally.ErrBadArea, "an area of %q: an area must be greater than zero; leave the cell empty if the unit has none of this kind", s)
				continue
			}
			areas[i] = &a
		}
		if rec[3] == "" && rec[4] == "" && rec[5] == "" {
			bad(3, ErrNoArea, "unit %q has no registered, surveyed or contract area", u.ID)
		}
		if !good {
			continue
		}
		u.Area, _ = tally.EffectiveArea(areas[0], areas[1], areas[2])
		roll.Units = append(roll.Units, u)
		if u.OwnerID != "" {
			if u.Developer {
				roll.kinds[u.OwnerID] |= developerBit
			} else {
				roll.kinds[u.OwnerID] |= personBit
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	if len(roll.Units) == 0 {
		errs.addf(0, "", ErrEmptyFile, "no units: the roll has only its header row")
		return nil, errs.err()
	}
	if _, err := tally.Totals(roll.Units); err != nil {
		// Every per-unit check is done above; what is left is the sum.
		errs.add(0, "", fmt.Errorf("the roll cannot be counted: %w", err))
		return nil, errs.err()
	}
	return roll, nil
}

// voter returns the tally voter key of an owner_id written in VOTES.csv.
func (r *Roll) voter(ownerID string) (string, error) {
	switch r.kinds[ownerID] {
	case personBit:
		return ownerID, nil
	case developerBit:
		return tally.DeveloperVoter, nil
	case personBit | developerBit:
		return "", detail(ErrAmbiguousOwner, "owner %q is on PERSON rows and on DEVELOPER rows of the roll, so its vote "+
			"cannot be told apart from the developer's: give the DEVELOPER rows another owner_id (for them it "+
			"does not matter which)", ownerID)
	}
	return "", detail(ErrUnknownOwner, "owner %q is not on the roll", ownerID)
}
