package roll

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// Config configures a Book.
type Config struct {
	// Secret keys the identity-number hash; at least 32 bytes. Changing it
	// makes existing owners unrecognisable at the next import.
	Secret []byte
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// RevealQuota is how many owners' full phone numbers one token may
	// reveal in a day, China time (RevealPhone); DefaultRevealQuota when
	// zero, no quota when negative. A number the token has revealed that
	// day may be revealed again without counting twice.
	RevealQuota int
}

// DefaultRevealQuota is Config.RevealQuota's default: a staff member's
// day of a phone campaign is a few dozen to a hundred and fifty calls, and a
// sign-in that reveals more is more likely copying the roll than calling.
const DefaultRevealQuota = 200

// Book is the owner roll kept in a store.
type Book struct {
	st    store.Store
	ident *Identifier
	now   func() time.Time
	// revealQuota is Config.RevealQuota, its default applied.
	revealQuota int
	// keyRevoked, when set, runs in the transaction that revokes an
	// owner's key (OnKeyRevoked).
	keyRevoked func(tx store.Tx, keyID string) error
}

// NewBook returns a Book over st.
func NewBook(st store.Store, cfg Config) (*Book, error) {
	ident, err := NewIdentifier(cfg.Secret)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	quota := cfg.RevealQuota
	if quota == 0 {
		quota = DefaultRevealQuota
	}
	return &Book{st: st, ident: ident, now: now, revealQuota: quota}, nil
}

// Identifier returns the book's identity hasher.
func (b *Book) Identifier() *Identifier { return b.ident }

// Stored records. Field names are part of the file format: change them only
// with a schema migration.
type communityRecord struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	StreetOffice       string    `json:"street_office"`
	ResidentsCommittee string    `json:"residents_committee"`
	HasOwnersCommittee bool      `json:"has_owners_committee"`
	Created            time.Time `json:"created"`
	Figures            figRecord `json:"figures"`
}

type figRecord struct {
	Units           int64 `json:"units"`
	Area            int64 `json:"area"`
	Head            int64 `json:"head"`
	DeveloperUnits  int64 `json:"developer_units"`
	DeveloperArea   int64 `json:"developer_area"`
	MultiUnitOwners int64 `json:"multi_unit_owners"`
	CoOwnedUnits    int64 `json:"co_owned_units"`
}

type unitRecord struct {
	ID         string        `json:"id"`
	Registered *tally.Area   `json:"registered,omitempty"`
	Surveyed   *tally.Area   `json:"surveyed,omitempty"`
	Contract   *tally.Area   `json:"contract,omitempty"`
	Kind       Kind          `json:"kind"`
	Owners     []ownerOfUnit `json:"owners,omitempty"`
}

type ownerOfUnit struct {
	OwnerID        string `json:"owner_id"`
	Representative bool   `json:"representative,omitempty"`
}

type ownerRecord struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Phone  string   `json:"phone,omitempty"`
	IDHash []byte   `json:"id_hash"`
	Units  []string `json:"units"`
}

type keyRecord struct {
	ID                string    `json:"id"`
	OwnerID           string    `json:"owner_id"`
	PublicKey         []byte    `json:"public_key"`
	Created           time.Time `json:"created"`
	Revoked           time.Time `json:"revoked,omitzero"`
	RevokeReason      string    `json:"revoke_reason,omitempty"`
	ReplacedBy        string    `json:"replaced_by,omitempty"`
	RegisteredBy      string    `json:"registered_by,omitempty"`
	RevokedBy         string    `json:"revoked_by,omitempty"`
	RegisteredByToken string    `json:"registered_by_token,omitempty"`
	RevokedByToken    string    `json:"revoked_by_token,omitempty"`
}

type accessRecord struct {
	Time        time.Time `json:"time"`
	Action      string    `json:"action"`
	TokenID     string    `json:"token_id"`
	Label       string    `json:"label"`
	CommunityID string    `json:"community_id"`
	OwnerID     string    `json:"owner_id"`
	Reason      string    `json:"reason"`
	// An area correction's (AreaCorrectionAction).
	UnitID   string `json:"unit_id,omitempty"`
	Before   *Areas `json:"before,omitempty"`
	After    *Areas `json:"after,omitempty"`
	Document string `json:"document_sha256,omitempty"`
	// An owner correction's (OwnerCorrectionAction).
	Owner *OwnerChange `json:"owner_change,omitempty"`
	// A withdrawn unit's (UnitWithdrawalAction): its kind and owners; a
	// transferred unit's (UnitTransferAction): the owners before and after;
	// a co-owned unit's new representative (RepresentativeAction): the
	// representative before (and OwnerID, after).
	Kind      Kind     `json:"kind,omitempty"`
	Owners    []string `json:"owners,omitempty"`
	NewOwners []string `json:"new_owners,omitempty"`
}

var communityIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// CreateCommunity stores a new community. An empty ID is generated.
func (b *Book) CreateCommunity(ctx context.Context, c Community) (Community, error) {
	c.Name = strings.TrimSpace(c.Name)
	c.StreetOffice = strings.TrimSpace(c.StreetOffice)
	c.ResidentsCommittee = strings.TrimSpace(c.ResidentsCommittee)
	if c.ID == "" {
		var r [4]byte
		rand.Read(r[:])
		c.ID = "c-" + hex.EncodeToString(r[:])
	}
	switch {
	case ballot.PersonalNumber(c.ID) >= 0:
		// In the public notices' addresses; not echoed.
		return Community{}, l10n.ZH(fmt.Errorf("%w: community_id: a phone or identity number is no community id (it is published)", ErrInvalid), "小区编号会公开，不能用电话或身份证号码")
	case !communityIDPattern.MatchString(c.ID):
		return Community{}, l10n.ZH(fmt.Errorf("%w: community_id %q: want 3 to 40 of a-z, 0-9 and '-', not starting or ending with '-'", ErrInvalid, c.ID),
			"小区编号须为 3 至 40 个小写英文字母、数字或 -（不以 - 开头或结尾），如 huidu-1")
	case c.Name == "":
		return Community{}, l10n.ZH(fmt.Errorf("%w: name: the community's name is required", ErrInvalid), "请填写小区名称")
	case len([]rune(c.Name)) > 100:
		return Community{}, l10n.ZH(fmt.Errorf("%w: name: at most 100 characters", ErrInvalid), "小区名称至多 100 字")
	case c.StreetOffice == "":
		return Community{}, l10n.ZH(fmt.Errorf("%w: street_office: the street office (街道) is required", ErrInvalid), "请填写组织表决的街道办事处")
	case len([]rune(c.StreetOffice)) > 100 || len([]rune(c.ResidentsCommittee)) > 100:
		return Community{}, l10n.ZH(fmt.Errorf("%w: street_office, residents_committee: at most 100 characters", ErrInvalid), "街道和社区名称各至多 100 字")
	}
	// Printed on the public notices.
	for _, f := range []struct{ name, zh, v string }{{"name", "小区名称", c.Name}, {"street_office", "街道名称", c.StreetOffice}, {"residents_committee", "社区名称", c.ResidentsCommittee}} {
		if ballot.LongNumber(f.v) >= 0 {
			return Community{}, l10n.ZH(fmt.Errorf("%w: %s (printed on public notices): %s", ErrInvalid, f.name, ballot.LongNumberRule), f.zh+"会印在公开的公告上，"+ballot.LongNumberRuleZH)
		}
	}
	c.Created = b.now().UTC()
	c.Figures = Figures{}
	err := b.st.Update(ctx, func(tx store.Tx) error {
		key := []byte(c.ID)
		if tx.Get(store.Communities, key) != nil {
			return l10n.ZH(fmt.Errorf("%w: %s", ErrCommunityExists, c.ID), "小区编号 "+c.ID+" 已被使用：请换一个，或留空由系统生成")
		}
		return store.PutJSON(tx, store.Communities, key, toCommunityRecord(c))
	})
	if err != nil {
		return Community{}, err
	}
	return c, nil
}

func toCommunityRecord(c Community) communityRecord {
	f := c.Figures
	return communityRecord{
		ID: c.ID, Name: c.Name, StreetOffice: c.StreetOffice, ResidentsCommittee: c.ResidentsCommittee,
		HasOwnersCommittee: c.HasOwnersCommittee, Created: c.Created,
		Figures: figRecord{Units: f.Units, Area: int64(f.Total.Area), Head: f.Total.Head, DeveloperUnits: f.DeveloperUnits,
			DeveloperArea: int64(f.DeveloperArea), MultiUnitOwners: f.MultiUnitOwners, CoOwnedUnits: f.CoOwnedUnits},
	}
}

func (r communityRecord) community() Community {
	f := r.Figures
	return Community{
		ID: r.ID, Name: r.Name, StreetOffice: r.StreetOffice, ResidentsCommittee: r.ResidentsCommittee,
		HasOwnersCommittee: r.HasOwnersCommittee, Created: r.Created,
		Figures: Figures{Units: f.Units, Total: tally.Figures{Area: tally.Area(f.Area), Head: f.Head}, DeveloperUnits: f.DeveloperUnits,
			DeveloperArea: tally.Area(f.DeveloperArea), MultiUnitOwners: f.MultiUnitOwners, CoOwnedUnits: f.CoOwnedUnits},
	}
}

func getCommunity(tx store.Tx, id string) (communityRecord, error) {
	var r communityRecord
	ok, err := store.GetJSON(tx, store.Communities, []byte(id), &r)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, fmt.Errorf("%w: %q", ErrCommunityNotFound, id)
	}
	return r, nil
}

// Community returns one community.
func (b *Book) Community(ctx context.Context, id string) (Community, error) {
	var c Community
	err := b.st.View(ctx, func(tx store.Tx) error {
		r, err := getCommunity(tx, id)
		c = r.community()
		return err
	})
	return c, err
}

// Communities lists communities in id order after the id after, at most
// limit of them, those for which visible returns true. next is the last id
// returned when more may follow.
func (b *Book) Communities(ctx context.Context, visible func(id string) bool, after string, limit int) (cs []Community, next string, err error) {
	err = b.st.View(ctx, func(tx store.Tx) error {
		var afterKey []byte
		if after != "" {
			afterKey = []byte(after)
		}
		return tx.Scan(store.Communities, nil, afterKey, func(k, v []byte) (bool, error) {
			if !visible(string(k)) {
				return true, nil
			}
			if len(cs) == limit {
				next = cs[len(cs)-1].ID
				return false, nil
			}
			var r communityRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return false, fmt.Errorf("roll: corrupt community %q: %w", k, err)
			}
			cs = append(cs, r.community())
			return true, nil
		})
	})
	return cs, next, err
}

// ImportResult summarises an import.
type ImportResult struct {
	Units     int
	NewOwners int
	Figures   Figures
}

// Import adds units and their owners to a community in one transaction.
// Every problem, within the input or against the stored roll (a unit that is
// already there, an owner whose name or phone differs from the record), is
// reported at once in an *ImportError and nothing is written.
func (b *Book) Import(ctx context.Context, communityID string, inputs []UnitInput) (ImportResult, error) {
	return b.importUnits(ctx, communityID, inputs, false)
}

// CheckImport checks an import as Import does, against the stored roll
// too, and writes nothing: it answers what Import would answer now, the
// figures included.
func (b *Book) CheckImport(ctx context.Context, communityID string, inputs []UnitInput) (ImportResult, error) {
	return b.importUnits(ctx, communityID, inputs, true)
}

// errDryRun ends CheckImport's transaction without writing.
var errDryRun = errors.New("roll: checked, not written")

func (b *Book) importUnits(ctx context.Context, communityID string, inputs []UnitInput, dryRun bool) (ImportResult, error) {
	if len(inputs) == 0 {
		return ImportResult{}, fmt.Errorf("%w: units: nothing to import", ErrInvalid)
	}
	batch, err := Build(b.ident, inputs)
	if err != nil {
		return ImportResult{}, err
	}
	index := make(map[string]int, len(inputs)) // unit id -> input index
	for i, in := range inputs {
		index[strings.TrimSpace(in.ID)] = i
	}
	var res ImportResult
	err = b.st.Update(ctx, func(tx store.Tx) error {
		if _, err := getCommunity(tx, communityID); err != nil {
			return err
		}
		onRoll, err := unitSpellings(tx, communityID)
		if err != nil {
			return err
		}
		var probs []Problem
		for _, u := range batch.Units {
			switch stored, ok := onRoll[UnitSpelling(u.ID)]; {
			case tx.Get(store.Units, store.Key(communityID, u.ID)) != nil:
				probs = append(probs, Problem{Unit: index[u.ID], Owner: -1, Field: "unit_id", Err: ErrDuplicateUnit,
					Reason: fmt.Sprintf("unit %s is already on the roll of %s", u.ID, communityID), ZH: "房屋" + u.ID + "已在本小区名册上"})
			case ok:
				probs = append(probs, Problem{Unit: index[u.ID], Owner: -1, Field: "unit_id", Err: ErrDuplicateUnit,
					Reason: fmt.Sprintf("unit %s differs from %s, on the roll of %s, only in case, leading zeros or separators ('-', '_', '.'): the same unit written another way? Write it as on the roll; another unit needs an id that differs otherwise", u.ID, stored, communityID),
					ZH:     fmt.Sprintf("房号%s与本小区名册上的%s只差大小写、数字前的0或分隔符（- _ .），像是同一套房屋：请按名册上的写法填写；确为另一套房屋的，请改用可区分的房号", u.ID, stored)})
			}
		}
		res, err = storeBatch(tx, communityID, batch, index, probs)
		if err == nil && dryRun {
			return errDryRun
		}
		return err
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return ImportResult{}, err
	}
	return res, nil
}

// unitSpellings maps the UnitSpelling of each unit id on a community's
// roll to the id.
func unitSpellings(tx store.Tx, communityID string) (map[string]string, error) {
	ids := make(map[string]string)
	prefix := store.Key(communityID, "")
	err := tx.Scan(store.Units, prefix, nil, func(k, _ []byte) (bool, error) {
		id := string(k[len(prefix):])
		ids[UnitSpelling(id)] = id
		return true, nil
	})
	return ids, err
}

// storeBatch writes a validated batch: it checks its owners against the
// stored ones (refusing with every problem, probs included, in an
// *ImportError), writes units and owners, and updates the community's
// figures. index maps unit ids to input positions for the problems.
func storeBatch(tx store.Tx, communityID string, batch *Batch, index map[string]int, probs []Problem) (ImportResult, error) {
	var res ImportResult
	cr, err := getCommunity(tx, communityID)
	if err != nil {
		return res, err
	}
	keepLegacyOwners(tx, communityID, batch)
	stored := make(map[string]*ownerRecord)
	for _, u := range batch.Units {
		for j, uo := range u.Owners {
			if _, done := stored[uo.OwnerID]; done {
				continue
			}
			o := batch.Owners[uo.OwnerID]
			var rec ownerRecord
			ok, err := store.GetJSON(tx, store.Owners, store.Key(communityID, o.ID), &rec)
			if err != nil {
				return res, err
			}
			if !ok {
				stored[o.ID] = nil
				continue
			}
			switch {
			case rec.Name != o.Name:
				// Neither the name nor the units on record are told: the
				// answer would say whose a guessed identity number is.
				probs = append(probs, Problem{Unit: index[u.ID], Owner: j, Field: "name", Err: ErrConflictingOwner, onRoll: []string{o.ID},
					Reason: "the roll has this identity number under another name: check the name and the number against the owner's papers",
					ZH:     "名册上该证件号码对应另一个姓名：请对照业主证件核对姓名和号码"})
			case o.Phone != "" && rec.Phone != "" && o.Phone != rec.Phone:
				probs = append(probs, Problem{Unit: index[u.ID], Owner: j, Field: "phone", Err: ErrConflictingOwner, onRoll: []string{o.ID},
					Reason: fmt.Sprintf("the roll has this owner with phone %s", MaskPhone(rec.Phone)), ZH: "名册上该业主的联系电话为 " + MaskPhone(rec.Phone)})
			}
			stored[o.ID] = &rec
		}
	}
	sameBuyer, err := sameBuyerProblems(tx, communityID, batch, index)
	if err != nil {
		return res, err
	}
	probs = append(probs, sameBuyer...)
	if len(probs) > 0 {
		slices.SortStableFunc(probs, func(a, b Problem) int { return a.Unit - b.Unit })
		return res, &ImportError{Problems: probs}
	}
	// Writes go in key order: bbolt then appends instead of shifting a
	// growing node at every insert (quadratic for a large roster).
	sorted := slices.Clone(batch.Units)
	slices.SortFunc(sorted, func(a, b Unit) int { return strings.Compare(a.ID, b.ID) })
	for _, u := range sorted {
		rec := unitRecord{ID: u.ID, Registered: u.Registered, Surveyed: u.Surveyed, Contract: u.Contract, Kind: u.Kind}
		for _, o := range u.Owners {
			rec.Owners = append(rec.Owners, ownerOfUnit(o))
		}
		if err := store.PutJSON(tx, store.Units, store.Key(communityID, u.ID), rec); err != nil {
			return res, err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(batch.Owners)) {
		o := batch.Owners[id]
		rec := stored[id]
		if rec == nil {
			rec = &ownerRecord{ID: o.ID, Name: o.Name, Phone: o.Phone, IDHash: o.IDHash}
			res.NewOwners++
		} else if rec.Phone == "" {
			rec.Phone = o.Phone
		}
		for _, u := range o.Units {
			if !slices.Contains(rec.Units, u) {
				rec.Units = append(rec.Units, u)
			}
		}
		slices.Sort(rec.Units)
		if err := store.PutJSON(tx, store.Owners, store.Key(communityID, id), rec); err != nil {
			return res, err
		}
	}
	res.Units = len(batch.Units)
	res.Figures, err = refreshFigures(tx, cr)
	return res, err
}

// refreshFigures computes the figures of the community of record cr from
// its units and stores them with it.
func refreshFigures(tx store.Tx, cr communityRecord) (Figures, error) {
	c := cr.community()
	units, err := loadUnits(tx, c.ID)
	if err != nil {
		return Figures{}, err
	}
	if c.Figures, err = ComputeFigures(units); err != nil {
		return Figures{}, err
	}
	return c.Figures, store.PutJSON(tx, store.Communities, []byte(c.ID), toCommunityRecord(c))
}

// keepLegacyOwners gives an owner of the batch the owner id on record where
// the roll has them under an id their number had before numbers were
// normalised as now (Owner.LegacyIDs: the first of them on record) and not
// under the new one, so that one person stays one owner.
func keepLegacyOwners(tx store.Tx, communityID string, batch *Batch) {
	for _, id := range slices.Sorted(maps.Keys(batch.Owners)) {
		o := batch.Owners[id]
		if len(o.LegacyIDs) == 0 || tx.Get(store.Owners, store.Key(communityID, id)) != nil {
			continue
		}
		i := slices.IndexFunc(o.LegacyIDs, func(l string) bool { return tx.Get(store.Owners, store.Key(communityID, l)) != nil })
		if i < 0 {
			continue
		}
		if _, clash := batch.Owners[o.LegacyIDs[i]]; !clash {
			batch.renameOwner(id, o.LegacyIDs[i])
		}
	}
}

// renameOwner gives the batch's owner from the owner id to, in the owners
// and in the units that name them.
func (batch *Batch) renameOwner(from, to string) {
	o := batch.Owners[from]
	delete(batch.Owners, from)
	o.ID = to
	batch.Owners[to] = o
	for i := range batch.Units {
		for j := range batch.Units[i].Owners {
			if batch.Units[i].Owners[j].OwnerID == from {
				batch.Units[i].Owners[j].OwnerID = to
			}
		}
	}
}

// coOwners is the key of a co-owned unit's set of owners, and the position
// and id of its representative.
func coOwners(owners []UnitOwner) (set string, rep int, repID string) {
	ids := make([]string, len(owners))
	for i, o := range owners {
		ids[i] = o.OwnerID
		if o.Representative {
			rep, repID = i, o.OwnerID
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ","), rep, repID
}

// coOwners is coOwners of a stored unit's owners.
func (r unitRecord) coOwners() (set string, rep int, repID string) {
	return coOwners(r.unit().Owners)
}

// unitsHeldBy returns the units on the roll held by exactly the set of
// owners set (coOwners' key), ownerID among them, read through ownerID's
// record (none if there is no such owner).
func unitsHeldBy(tx store.Tx, communityID, ownerID, set string) ([]unitRecord, error) {
	var rec ownerRecord
	if ok, err := store.GetJSON(tx, store.Owners, store.Key(communityID, ownerID), &rec); err != nil || !ok {
		return nil, err
	}
	var out []unitRecord
	for _, id := range rec.Units {
		var ur unitRecord
		if ok, err := store.GetJSON(tx, store.Units, store.Key(communityID, id), &ur); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		if s, _, _ := ur.coOwners(); s == set {
			out = append(out, ur)
		}
	}
	return out, nil
}

// sameBuyerProblems refuses co-owned units of the batch whose owners hold
// another unit together on the roll under another representative (the
// batch's own units are checked by build). The same co-owners are one
// buyer, so one person of the headcount (SPC interpretation art. 9), who
// votes through one representative; with two, the roll would count them
// twice. A roll that already names two for them (stored before this rule)
// takes either.
func sameBuyerProblems(tx store.Tx, communityID string, batch *Batch, index map[string]int) ([]Problem, error) {
	checked := make(map[string]bool) // co-owner sets looked up on the roll
	var probs []Problem
	for _, u := range batch.Units {
		if len(u.Owners) < 2 {
			continue
		}
		set, rep, repID := coOwners(u.Owners)
		if checked[set] {
			continue // build compared the batch's units of one set
		}
		checked[set] = true
		// The set's units on the roll, minus any the batch replaces (a
		// transfer's unit).
		held, err := unitsHeldBy(tx, communityID, u.Owners[0].OwnerID, set)
		if err != nil {
			return nil, err
		}
		var reps []string // the set's representatives on the roll
		for _, ur := range held {
			if _, inBatch := index[ur.ID]; inBatch {
				continue
			}
			if _, _, r := ur.coOwners(); !slices.Contains(reps, r) {
				reps = append(reps, r)
			}
		}
		if len(reps) > 0 && !slices.Contains(reps, repID) {
			owners := make([]string, len(u.Owners))
			for i, o := range u.Owners {
				owners[i] = o.OwnerID
			}
			probs = append(probs, Problem{Unit: index[u.ID], Owner: rep, Field: "representative", Err: ErrConflictingOwner, onRoll: owners,
				Reason: "the same co-owners hold a unit on the roll with another representative: co-owners holding several units together are one owner (one buyer) and vote through one representative; name the same one on each unit",
				ZH:     "同一组共有人在名册上另一套房屋的代表不同：共有人共同持有多套房屋时视为同一业主，须由同一位代表表决，请填写同一位代表"})
		}
	}
	return probs, nil
}

// transfer is TransferRecordedTx's change of the unit of record old, not
// yet recorded as a roll change.
func (b *Book) transfer(tx store.Tx, communityID string, old unitRecord, owners []OwnerInput) (Unit, error) {
	unitID := old.ID
	area := func(a *tally.Area) string {
		if a == nil {
			return ""
		}
		return a.String()
	}
	in := UnitInput{ID: unitID, Registered: area(old.Registered), Surveyed: area(old.Surveyed), Contract: area(old.Contract), Kind: Person, Owners: owners}
	batch, err := build(b.ident, []UnitInput{in}, true)
	if err != nil {
		return Unit{}, asTransfer(err)
	}
	before, _, _ := old.coOwners()
	if after, _, _ := coOwners(batch.Units[0].Owners); old.Kind == Person && before == after {
		return Unit{}, l10n.ZH(fmt.Errorf("%w: unit %s is held by these owners already: nothing to transfer (a new representative of the same co-owners is no sale: SetUnitRepresentative, between votes)", ErrInvalid, unitID),
			"房屋"+unitID+"已登记为这些业主所有，无需过户（共有人更换代表不是过户，请在会议之外登记更换代表）")
	}
	for _, o := range old.Owners {
		rec, err := getOwner(tx, communityID, o.OwnerID)
		if err != nil {
			return Unit{}, err
		}
		rec.Units = slices.DeleteFunc(rec.Units, func(u string) bool { return u == unitID })
		if err := store.PutJSON(tx, store.Owners, store.Key(communityID, o.OwnerID), rec); err != nil {
			return Unit{}, err
		}
	}
	if _, err := storeBatch(tx, communityID, batch, map[string]int{unitID: 0}, nil); err != nil {
		return Unit{}, asTransfer(err)
	}
	return batch.Units[0], nil
}

// asTransfer makes the problems of a refused transfer name the fields of
// its request: the new owners, not an import's units.
func asTransfer(err error) error {
	var ie *ImportError
	if errors.As(err, &ie) {
		for i := range ie.Problems {
			p := &ie.Problems[i]
			p.transfer = true
			if p.Other != nil {
				before := p.Other.Path()
				p.Other.transfer = true
				p.Reason = strings.Replace(p.Reason, before, p.Other.Path(), 1)
			}
		}
	}
	return err
}

func (r unitRecord) unit() Unit {
	u := Unit{ID: r.ID, Building: BuildingOf(r.ID), Registered: r.Registered, Surveyed: r.Surveyed, Contract: r.Contract, Kind: r.Kind}
	for _, o := range r.Owners {
		u.Owners = append(u.Owners, UnitOwner(o))
	}
	return u
}

func loadUnits(tx store.Tx, communityID string) ([]Unit, error) {
	var units []Unit
	err := tx.Scan(store.Units, store.Prefix(communityID), nil, func(k, v []byte) (bool, error) {
		var r unitRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return false, fmt.Errorf("roll: corrupt unit %q: %w", k, err)
		}
		units = append(units, r.unit())
		return true, nil
	})
	return units, err
}

// UnitsTx returns all units of a community inside a transaction of the
// caller's, in unit-id order (byte order).
func UnitsTx(tx store.Tx, communityID string) ([]Unit, error) {
	if _, err := getCommunity(tx, communityID); err != nil {
		return nil, err
	}
	return loadUnits(tx, communityID)
}

// OwnerKeyTx returns an owner's key inside a transaction of the caller's.
func OwnerKeyTx(tx store.Tx, communityID, ownerID, keyID string) (Key, error) {
	return getKey(tx, communityID, ownerID, keyID)
}

// OwnerPhoneTx returns an owner's phone number ("" if none) inside a
// transaction of the caller's; callers show it masked.
func OwnerPhoneTx(tx store.Tx, communityID, ownerID string) (string, error) {
	o, err := getOwner(tx, communityID, ownerID)
	return o.Phone, err
}

// NamesOwner reports whether text, to be published, names an owner by
// their name on the roll (of two characters or more: one alone is found in
// too many words). Other names are not found.
func NamesOwner(text, name string) bool {
	return len([]rune(name)) >= 2 && strings.Contains(text, name)
}

// OwnerNameTx returns an owner's name on the roll inside a transaction of
// the caller's.
func OwnerNameTx(tx store.Tx, communityID, ownerID string) (string, error) {
	o, err := getOwner(tx, communityID, ownerID)
	return o.Name, err
}

// CommunityTx returns a community inside a transaction of the caller's.
func CommunityTx(tx store.Tx, id string) (Community, error) {
	r, err := getCommunity(tx, id)
	return r.community(), err
}

// Units returns all units of a community in unit-id order (byte order).
func (b *Book) Units(ctx context.Context, communityID string) ([]Unit, error) {
	var units []Unit
	err := b.st.View(ctx, func(tx store.Tx) error {
		if _, err := getCommunity(tx, communityID); err != nil {
			return err
		}
		var err error
		units, err = loadUnits(tx, communityID)
		return err
	})
	return units, err
}

// UnitPage is a page of units with their owners' records.
type UnitPage struct {
	Units  []Unit
	Owners map[string]Owner
	Next   string
	Total  int64 // units on all pages
}

// UnitFilter chooses the units UnitPage lists: of one building, if
// Building is set; whose id contains Query, or, if Names, one of whose
// owners' names contains it, if Query is set (letters compared without
// regard to case).
type UnitFilter struct {
	Building string
	Query    string
	Names    bool
}

// UnitPage lists a community's units after the unit id after, at most
// limit, those the filter chooses. Total counts the units listed on all
// pages: the community's, or those the filter chooses.
func (b *Book) UnitPage(ctx context.Context, communityID string, f UnitFilter, after string, limit int) (UnitPage, error) {
	p := UnitPage{Owners: make(map[string]Owner)}
	query := strings.ToLower(strings.TrimSpace(f.Query))
	err := b.st.View(ctx, func(tx store.Tx) error {
		cr, err := getCommunity(tx, communityID)
		if err != nil {
			return err
		}
		// owner reads an owner's record once per request; p.Owners gets
		// only the page's units' owners.
		read := make(map[string]Owner)
		owner := func(id string) (Owner, error) {
			if o, ok := read[id]; ok {
				return o, nil
			}
			rec, err := getOwner(tx, communityID, id)
			if err != nil {
				return Owner{}, err
			}
			read[id] = rec.owner()
			return read[id], nil
		}
		chosen := func(r unitRecord) (bool, error) {
			if f.Building != "" && BuildingOf(r.ID) != f.Building {
				return false, nil
			}
			if query == "" || strings.Contains(strings.ToLower(r.ID), query) {
				return true, nil
			}
			if !f.Names {
				return false, nil
			}
			for _, o := range r.Owners {
				rec, err := owner(o.OwnerID)
				if err != nil {
					return false, err
				}
				if strings.Contains(strings.ToLower(rec.Name), query) {
					return true, nil
				}
			}
			return false, nil
		}
		prefix := store.Prefix(communityID)
		// Unfiltered, the page is read from after on, and the roll's
		// figures count it. Filtered, one pass over the community counts
		// the chosen units and takes the page's from them.
		filtered := f.Building != "" || query != ""
		p.Total = cr.Figures.Units
		var from []byte
		if filtered {
			p.Total = 0
		} else if after != "" {
			from = store.Key(communityID, after)
		}
		return tx.Scan(store.Units, prefix, from, func(k, v []byte) (bool, error) {
			if f.Building != "" && BuildingOf(string(k[len(prefix):])) != f.Building {
				return true, nil
			}
			var r unitRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return false, fmt.Errorf("roll: corrupt unit %q: %w", k, err)
			}
			if ok, err := chosen(r); err != nil || !ok {
				return err == nil, err
			}
			if filtered {
				p.Total++
				if after != "" && r.ID <= after {
					return true, nil // on an earlier page
				}
			}
			if len(p.Units) == limit {
				if p.Next == "" {
					p.Next = p.Units[len(p.Units)-1].ID
				}
				return filtered, nil // (a filtered list counts on)
			}
			u := r.unit()
			p.Units = append(p.Units, u)
			for _, o := range u.Owners {
				rec, err := owner(o.OwnerID)
				if err != nil {
					return false, err
				}
				p.Owners[o.OwnerID] = rec
			}
			return true, nil
		})
	})
	return p, err
}

func getOwner(tx store.Tx, communityID, ownerID string) (ownerRecord, error) {
	var r ownerRecord
	ok, err := store.GetJSON(tx, store.Owners, store.Key(communityID, ownerID), &r)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, fmt.Errorf("%w: %q in community %q", ErrOwnerNotFound, ownerID, communityID)
	}
	return r, nil
}

func (r ownerRecord) owner() Owner {
	return Owner{ID: r.ID, Name: r.Name, Phone: r.Phone, IDHash: r.IDHash, Units: r.Units}
}

// OwnerEntry is an owner with the units they vote for and their number of
// active keys.
type OwnerEntry struct {
	Owner
	VotingUnits []string
	ActiveKeys  int
}

// Owners lists a community's owners after the owner id after, at most limit.
func (b *Book) Owners(ctx context.Context, communityID, after string, limit int) (entries []OwnerEntry, next string, err error) {
	err = b.st.View(ctx, func(tx store.Tx) error {
		if _, err := getCommunity(tx, communityID); err != nil {
			return err
		}
		var afterKey []byte
		if after != "" {
			afterKey = store.Key(communityID, after)
		}
		return tx.Scan(store.Owners, store.Prefix(communityID), afterKey, func(k, v []byte) (bool, error) {
			if len(entries) == limit {
				next = entries[len(entries)-1].ID
				return false, nil
			}
			var r ownerRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return false, fmt.Errorf("roll: corrupt owner %q: %w", k, err)
			}
			e, err := ownerEntry(tx, communityID, r)
			if err != nil {
				return false, err
			}
			entries = append(entries, e)
			return true, nil
		})
	})
	return entries, next, err
}

func ownerEntry(tx store.Tx, communityID string, r ownerRecord) (OwnerEntry, error) {
	e := OwnerEntry{Owner: r.owner()}
	for _, uid := range r.Units {
		var ur unitRecord
		if _, err := store.GetJSON(tx, store.Units, store.Key(communityID, uid), &ur); err != nil {
			return e, err
		}
		if ur.unit().Voter() == r.ID {
			e.VotingUnits = append(e.VotingUnits, uid)
		}
	}
	keys, err := loadKeys(tx, communityID, r.ID)
	if err != nil {
		return e, err
	}
	for _, k := range keys {
		if k.Active() {
			e.ActiveKeys++
		}
	}
	return e, nil
}

// OwnerNames returns the names of the owners of record among ids, in one
// read (an id that is no owner of record, such as "developer", has none).
func (b *Book) OwnerNames(ctx context.Context, communityID string, ids []string) (map[string]string, error) {
	names := make(map[string]string, len(ids))
	err := b.st.View(ctx, func(tx store.Tx) error {
		for _, id := range ids {
			r, err := getOwner(tx, communityID, id)
			switch {
			case errors.Is(err, ErrOwnerNotFound):
			case err != nil:
				return err
			default:
				names[id] = r.Name
			}
		}
		return nil
	})
	return names, err
}

// Owner returns one owner with voting units and active keys.
func (b *Book) Owner(ctx context.Context, communityID, ownerID string) (OwnerEntry, error) {
	var e OwnerEntry
	err := b.st.View(ctx, func(tx store.Tx) error {
		r, err := getOwner(tx, communityID, ownerID)
		if err != nil {
			return err
		}
		e, err = ownerEntry(tx, communityID, r)
		return err
	})
	return e, err
}

// FindOwner returns the owner of record of communityID with this name and
// identity number, and records, in the same transaction, that the answer
// told it (an identity match, by actor, via "FindOwner"). An owner whose
// number matches but not their name is not found, as one whose number does
// not: the answer tells nothing but a whole match.
func (b *Book) FindOwner(ctx context.Context, communityID, name, idNumber string, actor Actor) (OwnerEntry, error) {
	name = strings.TrimSpace(name)
	number, err := NormalizeIDNumber(idNumber)
	switch {
	case name == "":
		return OwnerEntry{}, l10n.ZH(fmt.Errorf("%w: name: the person's name as on their identity document", ErrInvalid), "请填写姓名（与身份证件一致）")
	case err != nil:
		return OwnerEntry{}, l10n.ZH(fmt.Errorf("%w: id_number: identity number %v", ErrInvalid, err), "身份证件号码格式不正确")
	}
	ids := append([]string{OwnerID(b.ident.Hash(number))}, b.ident.LegacyOwnerIDs(idNumber, number)...)
	var found OwnerEntry
	notFound := l10n.ZH(fmt.Errorf("%w: no owner of record of %s has that name and identity number", ErrOwnerNotFound, communityID), "本小区业主名册中没有姓名和身份证件号码都相符的业主")
	// A read first: most questions find nobody, and need no write (the
	// intake's group commit shares the writer).
	var match bool
	if err := b.st.View(ctx, func(tx store.Tx) (err error) {
		_, match, err = ownerNamed(tx, communityID, ids, name)
		return err
	}); err != nil {
		return OwnerEntry{}, err
	}
	if !match {
		return OwnerEntry{}, notFound
	}
	err = b.st.Update(ctx, func(tx store.Tx) error {
		r, ok, err := ownerNamed(tx, communityID, ids, name)
		switch {
		case err != nil:
			return err
		case !ok: // gone since the read
			return notFound
		}
		if found, err = ownerEntry(tx, communityID, r); err != nil {
			return err
		}
		return appendAccess(tx, accessRecord{Time: b.now().UTC(), Action: IdentityMatchAction, TokenID: actor.TokenID,
			Label: actor.Label, CommunityID: communityID, OwnerID: r.ID, Reason: "FindOwner"})
	})
	return found, err
}

// ownerNamed is the owner of communityID under one of ids whose name is
// name; ok is false when there is none.
func ownerNamed(tx store.Tx, communityID string, ids []string, name string) (r ownerRecord, ok bool, err error) {
	if tx.Get(store.Communities, []byte(communityID)) == nil {
		return r, false, fmt.Errorf("%w: %s", ErrCommunityNotFound, communityID)
	}
	for _, id := range ids {
		r, err := getOwner(tx, communityID, id)
		switch {
		case errors.Is(err, ErrOwnerNotFound):
		case err != nil:
			return r, false, err
		case r.Name == name:
			return r, true, nil
		}
	}
	return r, false, nil
}

// appendAccess records a sensitive read in the access log.
func appendAccess(tx store.Tx, r accessRecord) error {
	_, err := appendAccessSeq(tx, r)
	return err
}

// appendAccessSeq is appendAccess that returns the record's sequence
// number.
func appendAccessSeq(tx store.Tx, r accessRecord) (uint64, error) {
	seq, err := tx.NextSequence(store.AccessLog)
	if err != nil {
		return 0, err
	}
	if err := store.PutJSON(tx, store.AccessLog, store.Seq(seq), r); err != nil {
		return 0, err
	}
	return seq, tx.Put(store.AccessIndex, store.AccessIndexKey(r.CommunityID, r.Action, seq), store.AccessIndexValue)
}

// RevealPhone returns an owner's full phone number and records, in the same
// transaction, who asked and why. The number itself is not recorded. A
// token reveals at most Config.RevealQuota owners' numbers a day (China
// time), counted in store.RevealIndex; beyond it, a *RetryError wrapping
// ErrRevealQuota, and nothing is recorded.
func (b *Book) RevealPhone(ctx context.Context, communityID, ownerID string, actor Actor, reason string) (string, error) {
	// The reason is recorded and read back (PhoneReveals).
	reason, err := recordedReason(reason, "查看完整号码的理由", "why the full number is needed")
	if err != nil {
		return "", err
	}
	var phone string
	err = b.st.Update(ctx, func(tx store.Tx) error {
		r, err := getOwner(tx, communityID, ownerID)
		if err != nil {
			return err
		}
		if r.Phone == "" {
			return fmt.Errorf("%w: owner %s", ErrNoPhone, ownerID)
		}
		now := b.now().UTC()
		// The day's reveals by this token, one key per owner.
		day := now.In(audit.ChinaTime).Format("20060102")
		key := store.Key(actor.TokenID, day, communityID, ownerID)
		again := tx.Get(store.RevealIndex, key) != nil
		if !again && b.revealQuota > 0 {
			n := 0
			if err := tx.Scan(store.RevealIndex, store.Key(actor.TokenID, day, ""), nil, func(_, _ []byte) (bool, error) {
				n++
				return n < b.revealQuota, nil
			}); err != nil {
				return err
			}
			if n >= b.revealQuota {
				return &RetryError{Err: l10n.ZH(fmt.Errorf("%w: %d owners' numbers revealed through this sign-in today (China time), the most a day allows; numbers already revealed today may be revealed again, others from tomorrow",
					ErrRevealQuota, n), fmt.Sprintf("本登录今日已查看 %d 位业主的完整号码，已达每日上限；今日已查看过的号码仍可再次查看，其他号码请明日再查", n)),
					After: nextChinaMidnight(now).Sub(now)}
			}
		}
		phone = r.Phone
		err = appendAccess(tx, accessRecord{
			Time: now, Action: revealAction, TokenID: actor.TokenID, Label: actor.Label,
			CommunityID: communityID, OwnerID: ownerID, Reason: reason,
		})
		if err != nil || again {
			return err
		}
		return tx.Put(store.RevealIndex, key, store.Seq(uint64(now.Unix())))
	})
	return phone, err
}

// RetryError is a refusal that the same request may overcome after a
// while, such as a reveal past the day's quota (or the server's per-token
// rate limit): the server tells the caller when (gRPC RetryInfo, HTTP
// Retry-After).
type RetryError struct {
	Err   error
	After time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter is how long to wait before asking again.
func (e *RetryError) RetryAfter() time.Duration { return e.After }

// nextChinaMidnight is the first midnight, China time, after t.
func nextChinaMidnight(t time.Time) time.Time {
	local := t.In(audit.ChinaTime)
	return time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, audit.ChinaTime)
}

// revealAction is the access log's action of a phone reveal.
const revealAction = "reveal_phone"

// AccessEntry is one recorded sensitive read.
type AccessEntry struct {
	Seq         uint64
	Time        time.Time
	Action      string
	TokenID     string
	Label       string
	CommunityID string
	OwnerID     string
	Reason      string
	// An area correction's: the unit, its areas before and after, and the
	// SHA-256 of the document on file ("" if none was given).
	UnitID        string
	Before, After Areas
	Document      string
	// An owner correction's.
	Owner OwnerChange
	// A withdrawn unit's: its kind and owners (Before: its areas); a
	// transferred unit's: the owners before and after.
	Kind      Kind
	Owners    []string
	NewOwners []string
}

// PhoneReveals returns the recorded phone reveals of a community's owners
// after the entry of sequence number after, oldest first, at most limit, and
// the sequence number to continue after, 0 at the end.
func (b *Book) PhoneReveals(ctx context.Context, communityID string, after uint64, limit int) ([]AccessEntry, uint64, error) {
	return b.accessEntries(ctx, communityID, revealAction, after, limit)
}

// accessEntries lists a community's access records of one action.
func (b *Book) accessEntries(ctx context.Context, communityID, action string, after uint64, limit int) (out []AccessEntry, next uint64, err error) {
	return b.accessEntriesOf(ctx, communityID, []string{action}, after, limit)
}

// accessEntriesOf lists a community's access records of any of actions.
func (b *Book) accessEntriesOf(ctx context.Context, communityID string, actions []string, after uint64, limit int) (out []AccessEntry, next uint64, err error) {
	if limit < 1 {
		return nil, 0, fmt.Errorf("%w: limit %d", ErrInvalid, limit)
	}
	err = b.st.View(ctx, func(tx store.Tx) error {
		if _, err := getCommunity(tx, communityID); err != nil {
			return err
		}
		// The community's records of these actions after after, by the
		// index: up to limit+1 of each, merged in sequence order.
		var seqs []uint64
		for _, action := range actions {
			prefix := store.Prefix(communityID, action)
			n := 0
			if err := tx.Scan(store.AccessIndex, prefix, append(slices.Clone(prefix), store.Seq(after)...), func(k, _ []byte) (bool, error) {
				if len(k) != len(prefix)+8 {
					return false, fmt.Errorf("roll: access index key %x is no sequence number", k)
				}
				seqs = append(seqs, beUint64(k[len(prefix):]))
				n++
				return n <= limit, nil
			}); err != nil {
				return err
			}
		}
		slices.Sort(seqs)
		for _, seq := range seqs {
			if len(out) == limit {
				next = out[len(out)-1].Seq
				return nil
			}
			e, err := accessEntryAt(tx, seq)
			if err != nil {
				return err
			}
			// (The index names what the record says: checked, as cheap.)
			if e.CommunityID != communityID || !slices.Contains(actions, e.Action) {
				return fmt.Errorf("roll: the access index lists record %d under %s, which is of %s %s", seq, communityID, e.CommunityID, e.Action)
			}
			// Recorded before such reasons and labels were refused.
			if ballot.LongNumber(e.Reason) >= 0 {
				e.Reason = "（理由含电话或证件号码，不予显示 withheld: it holds a phone or identity number）"
			}
			if ballot.LongNumber(e.Label) >= 0 {
				e.Label = "（标签含电话或证件号码，不予显示 withheld: it holds a phone or identity number）"
			}
			out = append(out, e)
		}
		return nil
	})
	return out, next, err
}

// IdentityMatchAction is the access log's action of a refusal that told
// whether an identity number is on the roll (ImportError.OwnersMatched).
const IdentityMatchAction = "identity_match"

// RecordIdentityMatches records, before the refusal is answered, that a
// refused roll change (via: ImportUnits, AmendRoll) told actor that the
// identity numbers of these owners are on the roll: what an import or a
// sale must check lets whoever may make one test numbers, so each answer
// that tells is recorded like a phone reveal, for street admins and
// auditors to read (IdentityMatches).
func (b *Book) RecordIdentityMatches(ctx context.Context, actor Actor, communityID string, owners []string, via string) error {
	if len(owners) == 0 {
		return nil
	}
	return b.st.Update(ctx, func(tx store.Tx) error {
		now := b.now().UTC()
		for _, o := range owners {
			if err := appendAccess(tx, accessRecord{Time: now, Action: IdentityMatchAction, TokenID: actor.TokenID,
				Label: actor.Label, CommunityID: communityID, OwnerID: o, Reason: via}); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordOwnersAmong records, as RecordIdentityMatches does, which of ids
// are owners of communityID, for an answer that will tell it (a proxy
// holder who is an owner): the reads and the record in one transaction.
func (b *Book) RecordOwnersAmong(ctx context.Context, actor Actor, communityID string, ids []string, via string) error {
	return b.st.Update(ctx, func(tx store.Tx) error {
		for _, id := range ids {
			if id == "" || tx.Get(store.Owners, store.Key(communityID, id)) == nil {
				continue
			}
			if err := appendAccess(tx, accessRecord{Time: b.now().UTC(), Action: IdentityMatchAction, TokenID: actor.TokenID,
				Label: actor.Label, CommunityID: communityID, OwnerID: id, Reason: via}); err != nil {
				return err
			}
		}
		return nil
	})
}

// IdentityMatches lists, like PhoneReveals, the recorded refusals that told
// whether an owner's identity number is on the roll (Reason: the call).
func (b *Book) IdentityMatches(ctx context.Context, communityID string, after uint64, limit int) ([]AccessEntry, uint64, error) {
	return b.accessEntries(ctx, communityID, IdentityMatchAction, after, limit)
}

// AccessLog returns the recorded sensitive reads, oldest first.
func (b *Book) AccessLog(ctx context.Context) ([]AccessEntry, error) {
	var out []AccessEntry
	err := b.st.View(ctx, func(tx store.Tx) error {
		return scanAccessLog(tx, 0, func(e AccessEntry) bool {
			out = append(out, e)
			return true
		})
	})
	return out, err
}

// scanAccessLog calls fn for each recorded sensitive read after the one of
// sequence number after (0: from the first), oldest first, while fn returns
// true.
func scanAccessLog(tx store.Tx, after uint64, fn func(AccessEntry) bool) error {
	var from []byte
	if after > 0 {
		from = store.Seq(after)
	}
	return tx.Scan(store.AccessLog, nil, from, func(k, v []byte) (bool, error) {
		e, err := accessEntry(beUint64(k), v)
		if err != nil {
			return false, err
		}
		return fn(e), nil
	})
}

// accessEntryAt reads the access log's record seq.
func accessEntryAt(tx store.Tx, seq uint64) (AccessEntry, error) {
	v := tx.Get(store.AccessLog, store.Seq(seq))
	if v == nil {
		return AccessEntry{}, fmt.Errorf("roll: the access index names record %d, which the access log lacks", seq)
	}
	return accessEntry(seq, v)
}

// accessEntry is the access log's record seq, stored as v.
func accessEntry(seq uint64, v []byte) (AccessEntry, error) {
	var r accessRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return AccessEntry{}, err
	}
	e := AccessEntry{Seq: seq, Time: r.Time, Action: r.Action, TokenID: r.TokenID, Label: r.Label,
		CommunityID: r.CommunityID, OwnerID: r.OwnerID, Reason: r.Reason, UnitID: r.UnitID, Document: r.Document, Kind: r.Kind, Owners: r.Owners, NewOwners: r.NewOwners}
	if r.Before != nil {
		e.Before = *r.Before
	}
	if r.After != nil {
		e.After = *r.After
	}
	if r.Owner != nil {
		e.Owner = *r.Owner
	}
	return e, nil
}

func beUint64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// KeyID is the id of a public key: hex of the first 16 bytes of its SHA-256.
func KeyID(pub []byte) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:16])
}

func loadKeys(tx store.Tx, communityID, ownerID string) ([]Key, error) {
	var keys []Key
	err := tx.Scan(store.OwnerKeys, store.Prefix(communityID, ownerID), nil, func(k, v []byte) (bool, error) {
		var r keyRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return false, fmt.Errorf("roll: corrupt key %q: %w", k, err)
		}
		keys = append(keys, Key(r))
		return true, nil
	})
	slices.SortStableFunc(keys, func(a, b Key) int { return a.Created.Compare(b.Created) })
	return keys, err
}

func checkPublicKey(pub []byte, field string) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: %s: an ed25519 public key is %d bytes, got %d", ErrInvalid, field, ed25519.PublicKeySize, len(pub))
	}
	if bytes.Equal(pub, make([]byte, ed25519.PublicKeySize)) {
		return fmt.Errorf("%w: %s: all-zero key", ErrInvalid, field)
	}
	return nil
}

// addKey registers pub for an owner who votes for a unit.
func (b *Book) addKey(tx store.Tx, communityID string, owner ownerRecord, pub []byte, actor Actor, now time.Time) (Key, error) {
	e, err := ownerEntry(tx, communityID, owner)
	if err != nil {
		return Key{}, err
	}
	switch {
	case len(e.Units) == 0:
		// A unit withdrawn or sold (WithdrawUnit, TransferUnit, AmendRoll).
		return Key{}, fmt.Errorf("%w: owner %s holds no unit on the roll", ErrNotVoter, owner.ID)
	case len(e.VotingUnits) == 0:
		return Key{}, fmt.Errorf("%w: owner %s is a co-owner but not the representative of any unit; register the representative instead", ErrNotVoter, owner.ID)
	}
	h := sha256.Sum256(pub)
	if tx.Get(store.KeyIndex, h[:]) != nil || tx.Get(store.Signers, []byte(KeyID(pub))) != nil {
		return Key{}, fmt.Errorf("%w: key %s", ErrKeyInUse, KeyID(pub))
	}
	k := Key{ID: KeyID(pub), OwnerID: owner.ID, PublicKey: slices.Clone(pub), Created: now, RegisteredBy: actor.Label, RegisteredByToken: actor.TokenID}
	if err := store.PutJSON(tx, store.OwnerKeys, store.Key(communityID, owner.ID, k.ID), keyRecord(k)); err != nil {
		return Key{}, err
	}
	if err := tx.Put(store.KeyIndex, h[:], store.Key(communityID, owner.ID, k.ID)); err != nil {
		return Key{}, err
	}
	return k, nil
}

// RegisterKey binds an ed25519 public key to an owner who votes for a unit
// (sole owner or a co-owned unit's representative). A key can belong to one
// owner only, ever.
func (b *Book) RegisterKey(ctx context.Context, communityID, ownerID string, pub []byte, actor Actor) (Key, error) {
	if err := checkPublicKey(pub, "public_key"); err != nil {
		return Key{}, err
	}
	var k Key
	err := b.st.Update(ctx, func(tx store.Tx) error {
		o, err := getOwner(tx, communityID, ownerID)
		if err != nil {
			return err
		}
		k, err = b.addKey(tx, communityID, o, pub, actor, b.now().UTC())
		return err
	})
	return k, err
}

func getKey(tx store.Tx, communityID, ownerID, keyID string) (Key, error) {
	var r keyRecord
	ok, err := store.GetJSON(tx, store.OwnerKeys, store.Key(communityID, ownerID, keyID), &r)
	if err != nil {
		return Key{}, err
	}
	if !ok {
		return Key{}, fmt.Errorf("%w: %q of owner %q", ErrKeyNotFound, keyID, ownerID)
	}
	return Key(r), nil
}

// OnKeyRevoked sets what revoking an owner's key (RevokeKey, RotateKey)
// also does, in the same transaction: the server logs the revocation in the
// assemblies where the key signed (assembly.Registry.LogKeyRevoked). Set it
// before the book is used.
func (b *Book) OnKeyRevoked(fn func(tx store.Tx, keyID string) error) {
	b.keyRevoked = fn
}

// revoked runs the OnKeyRevoked function, if any.
func (b *Book) revoked(tx store.Tx, keyID string) error {
	if b.keyRevoked == nil {
		return nil
	}
	return b.keyRevoked(tx, keyID)
}

// RotateKey revokes an active key and registers its replacement in one
// transaction.
func (b *Book) RotateKey(ctx context.Context, communityID, ownerID, keyID string, newPub []byte, actor Actor) (Key, error) {
	if err := checkPublicKey(newPub, "new_public_key"); err != nil {
		return Key{}, err
	}
	var nk Key
	err := b.st.Update(ctx, func(tx store.Tx) error {
		o, err := getOwner(tx, communityID, ownerID)
		if err != nil {
			return err
		}
		old, err := getKey(tx, communityID, ownerID, keyID)
		if err != nil {
			return err
		}
		if !old.Active() {
			return fmt.Errorf("%w: %s (revoked %s)", ErrKeyRevoked, keyID, old.Revoked.Format(time.RFC3339))
		}
		now := b.now().UTC()
		nk, err = b.addKey(tx, communityID, o, newPub, actor, now)
		if err != nil {
			return err
		}
		old.Revoked, old.RevokeReason, old.ReplacedBy, old.RevokedBy, old.RevokedByToken = now, "rotated", nk.ID, actor.Label, actor.TokenID
		if err := b.revoked(tx, keyID); err != nil {
			return err
		}
		return store.PutJSON(tx, store.OwnerKeys, store.Key(communityID, ownerID, keyID), keyRecord(old))
	})
	return nk, err
}

// RevokeKey revokes a key; it stays in the history.
func (b *Book) RevokeKey(ctx context.Context, communityID, ownerID, keyID, reason string, actor Actor) (Key, error) {
	reason = strings.TrimSpace(reason)
	if en, zh := ballot.ReasonProblem(reason, "注销密钥的理由"); en != "" {
		return Key{}, l10n.ZH(fmt.Errorf("%w: reason (why the key is revoked; other roles read it): %s", ErrInvalid, en), zh)
	}
	var k Key
	err := b.st.Update(ctx, func(tx store.Tx) error {
		if _, err := getOwner(tx, communityID, ownerID); err != nil {
			return err
		}
		var err error
		k, err = getKey(tx, communityID, ownerID, keyID)
		if err != nil {
			return err
		}
		if !k.Active() {
			return fmt.Errorf("%w: %s", ErrKeyRevoked, keyID)
		}
		k.Revoked, k.RevokeReason, k.RevokedBy, k.RevokedByToken = b.now().UTC(), reason, actor.Label, actor.TokenID
		if err := b.revoked(tx, keyID); err != nil {
			return err
		}
		return store.PutJSON(tx, store.OwnerKeys, store.Key(communityID, ownerID, keyID), keyRecord(k))
	})
	return k, err
}

// Keys returns an owner's keys, oldest first, revoked ones included.
func (b *Book) Keys(ctx context.Context, communityID, ownerID string) ([]Key, error) {
	var keys []Key
	err := b.st.View(ctx, func(tx store.Tx) error {
		if _, err := getOwner(tx, communityID, ownerID); err != nil {
			return err
		}
		var err error
		keys, err = loadKeys(tx, communityID, ownerID)
		return err
	})
	return keys, err
}
