package tally

import (
	"errors"
	"fmt"
	"math"
)

// DeveloperVoter is the voter key under which every developer unit votes:
// all units the developer has not sold, or sold but not yet delivered, are
// ONE voter whatever their OwnerID says. It begins with a NUL byte so that it
// cannot collide with a real owner ID; Totals and Count reject a
// non-developer unit whose OwnerID equals it.
const DeveloperVoter = "\x00developer"

// Unit is one exclusive unit (专有部分) of the frozen roll.
type Unit struct {
	// ID identifies the unit (e.g. "3-1-201"); unique within a roll.
	ID string
	// OwnerID is the voter: the owner of record or, for a co-owned unit, the
	// co-owners' designated representative. The same OwnerID on several
	// units is one voter whose areas add up. Ignored for developer units.
	OwnerID string
	// Developer marks a unit the developer has not sold, or has sold but not
	// yet delivered: all developer units together are ONE voter
	// (DeveloperVoter), whatever OwnerID says.
	Developer bool
	// Area is the unit's effective area (see EffectiveArea).
	Area Area
}

// Figures is an area and a headcount: the two axes of every statutory test.
type Figures struct {
	Area Area
	Head int64
}

func (f Figures) add(g Figures) Figures { return Figures{f.Area + g.Area, f.Head + g.Head} }
func (f Figures) sub(g Figures) Figures { return Figures{f.Area - g.Area, f.Head - g.Head} }

// Errors about the roll.
var (
	ErrEmptyUnitID   = errors.New("empty unit ID")
	ErrDuplicateUnit = errors.New("duplicate unit ID")
	ErrEmptyOwner    = errors.New("empty owner ID on a non-developer unit")
	ErrReservedOwner = errors.New("owner ID is the reserved developer voter key")
	ErrNegativeArea  = errors.New("negative area")
	ErrAreaOverflow  = errors.New("total area too large")
	ErrTooManyVoters = errors.New("more than 2³¹−1 voters")
	ErrEmptyRoll     = errors.New("roll has no units")
)

// VoterOf returns the voter key that u's ballot is cast under: u.OwnerID, or
// DeveloperVoter for a developer unit.
func VoterOf(u Unit) string {
	if u.Developer {
		return DeveloperVoter
	}
	return u.OwnerID
}

// Totals returns the roll's total area (the sum of all units' areas, the
// developer's included) and its total headcount per the SPC interpretation
// on building division ownership, arts. 8–9: one voter per distinct OwnerID
// among non-developer units, plus ONE for all developer units together if
// there are any. It fails, wrapping ErrEmptyUnitID, ErrDuplicateUnit,
// ErrEmptyOwner, ErrReservedOwner, ErrNegativeArea, ErrAreaOverflow or
// ErrTooManyVoters, on a
// roll that cannot be counted. An empty roll has zero totals.
func Totals(units []Unit) (Figures, error) {
	r, err := indexRoll(units)
	if err != nil {
		return Figures{}, err
	}
	return r.total, nil
}

// roll is the voter index built from the units: voters are numbered densely
// and carry the summed area of their units and a head of one each.
type roll struct {
	voter map[string]int32 // voter key → index into area
	area  []Area           // area of each voter
	total Figures
}

func indexRoll(units []Unit) (*roll, error) {
	r := &roll{voter: make(map[string]int32, len(units))}
	ids := make(map[string]struct{}, len(units))
	var sum uint64
	for i, u := range units {
		switch {
		case u.ID == "":
			return nil, fmt.Errorf("unit %d: %w", i, ErrEmptyUnitID)
		case !u.Developer && u.OwnerID == "":
			return nil, fmt.Errorf("unit %q: %w", u.ID, ErrEmptyOwner)
		case !u.Developer && u.OwnerID == DeveloperVoter:
			return nil, fmt.Errorf("unit %q: %w", u.ID, ErrReservedOwner)
		case u.Area < 0:
			return nil, fmt.Errorf("unit %q: %w: %s", u.ID, ErrNegativeArea, u.Area)
		}
		if _, dup := ids[u.ID]; dup {
			return nil, fmt.Errorf("unit %q: %w", u.ID, ErrDuplicateUnit)
		}
		ids[u.ID] = struct{}{}
		sum += uint64(u.Area)
		if sum > math.MaxInt64 {
			return nil, fmt.Errorf("%w: more than %s m²", ErrAreaOverflow, Area(math.MaxInt64))
		}
		k := VoterOf(u)
		v, ok := r.voter[k]
		if !ok {
			if len(r.area) == math.MaxInt32 {
				return nil, ErrTooManyVoters
			}
			v = int32(len(r.area))
			r.voter[k] = v
			r.area = append(r.area, 0)
		}
		r.area[v] += u.Area
	}
	r.total = Figures{Area: Area(sum), Head: int64(len(r.area))}
	return r, nil
}
