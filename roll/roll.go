package roll

import (
	"errors"
	"strings"
	"time"

	"github.com/ownervote/ownervote/tally"
)

// Kind says who holds a unit.
type Kind string

const (
	// Person: owned by a person, or persons, who took delivery.
	Person Kind = "PERSON"
	// DeveloperUnsold: not yet sold by the developer (建设单位未售).
	DeveloperUnsold Kind = "DEVELOPER_UNSOLD"
	// SoldUndelivered: sold but not delivered; the buyer is not yet an owner
	// and the developer still holds it (已售未交付).
	SoldUndelivered Kind = "SOLD_UNDELIVERED"
)

// Developer reports whether the developer holds a unit of this kind. All
// such units together count as one person (SPC interpretation art. 9).
func (k Kind) Developer() bool { return k == DeveloperUnsold || k == SoldUndelivered }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Person || k.Developer() }

// Community is a residential community.
type Community struct {
	ID                 string
	Name               string
	StreetOffice       string
	ResidentsCommittee string
	HasOwnersCommittee bool
	Created            time.Time
	// Figures of the current roll, kept up to date at every import.
	Figures Figures
}

// Unit is an exclusive unit of a community.
type Unit struct {
	ID       string
	Building string
	// Areas in 0.01 m²; nil where the roster has none.
	Registered, Surveyed, Contract *tally.Area
	Kind                           Kind
	Owners                         []UnitOwner
}

// UnitOwner is one owner of record of a unit.
type UnitOwner struct {
	OwnerID        string
	Representative bool
}

// Area returns the unit's effective area: registered, else surveyed, else
// contract (Build guarantees one is present).
func (u Unit) Area() tally.Area {
	a, _ := tally.EffectiveArea(u.Registered, u.Surveyed, u.Contract)
	return a
}

// Voter returns the owner who votes for the unit: its only owner, or the
// co-owners' representative; "" for developer-held units.
func (u Unit) Voter() string {
	if u.Kind.Developer() {
		return ""
	}
	if len(u.Owners) == 1 {
		return u.Owners[0].OwnerID
	}
	for _, o := range u.Owners {
		if o.Representative {
			return o.OwnerID
		}
	}
	return ""
}

// TallyUnit converts u to the tally engine's form.
func (u Unit) TallyUnit() tally.Unit {
	return tally.Unit{ID: u.ID, OwnerID: u.Voter(), Developer: u.Kind.Developer(), Area: u.Area()}
}

// BuildingOf returns the building part of a unit id: the text before the
// first "-" ("3" for "3-2-501"), or "" when there is no "-".
func BuildingOf(unitID string) string {
	b, _, ok := strings.Cut(unitID, "-")
	if !ok {
		return ""
	}
	return b
}

// Owner is a person holding units of one community.
type Owner struct {
	ID     string
	Name   string
	Phone  string
	IDHash []byte
	// LegacyIDs are the owner ids the same person's number may have had
	// before identity numbers were normalised as now (legacyForms): an
	// owner stored under one of them, and not under ID, is this owner.
	LegacyIDs []string `json:"-"`
	// Units held, sorted.
	Units []string
}

// Key is an owner's ed25519 signing key.
type Key struct {
	ID           string
	OwnerID      string
	PublicKey    []byte
	Created      time.Time
	Revoked      time.Time // zero while active
	RevokeReason string
	ReplacedBy   string
	// RegisteredBy and RevokedBy are the labels of the sign-ins that
	// registered and revoked (or replaced) it, and RegisteredByToken and
	// RevokedByToken their ids (labels need not be unique); empty for keys
	// registered or revoked before they were kept.
	RegisteredBy      string
	RevokedBy         string
	RegisteredByToken string
	RevokedByToken    string
}

// Active reports whether the key may sign.
func (k Key) Active() bool { return k.Revoked.IsZero() }

// Actor is who performs an action, for the records.
type Actor struct {
	TokenID string
	Label   string
}

// Sentinel errors. Errors returned by this package wrap one of them.
var (
	ErrInvalid           = errors.New("roll: invalid argument")
	ErrInvalidImport     = errors.New("roll: invalid import")
	ErrDuplicateUnit     = errors.New("roll: duplicate unit id")
	ErrBadArea           = errors.New("roll: bad area")
	ErrMissingOwner      = errors.New("roll: missing owner")
	ErrConflictingOwner  = errors.New("roll: conflicting owner data")
	ErrCommunityNotFound = errors.New("roll: community not found")
	ErrCommunityExists   = errors.New("roll: community already exists")
	ErrOwnerNotFound     = errors.New("roll: owner not found")
	ErrUnitNotFound      = errors.New("roll: unit not found")
	ErrKeyNotFound       = errors.New("roll: key not found")
	ErrKeyRevoked        = errors.New("roll: key already revoked")
	ErrKeyInUse          = errors.New("roll: public key already registered")
	ErrNotVoter          = errors.New("roll: owner does not vote for any unit")
	ErrNoPhone           = errors.New("roll: no phone number on record")
	// ErrRevealQuota: the token has revealed as many owners' phone numbers
	// today (China time) as Config.RevealQuota allows.
	ErrRevealQuota = errors.New("roll: this sign-in's phone number reveals for today are used up")
)
