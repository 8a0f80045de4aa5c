package roll

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// AreaCorrectionAction is the access log's action of a correction of a
// unit's areas (CorrectAreas).
const AreaCorrectionAction = "area_correction"

// CorrectAreas replaces the areas of a unit on a community's roll with in
// (all three as they should now be: an empty one is none, at least one is
// given) and updates the community's figures, recording in the same
// transaction who corrected what, from what, when and why, and the SHA-256
// of the document on file (optional). It is for a figure mistyped at
// import, or a registered or surveyed area that came later.
//
// The frozen rolls of assemblies already published are not this roll:
// they keep the areas they were published with. An assembly published
// later takes the corrected ones.
func (b *Book) CorrectAreas(ctx context.Context, communityID, unitID string, in AreasInput, actor Actor, reason, document string) (AccessEntry, Figures, error) {
	reason, err := recordedReason(reason, "更正面积的理由", "why the areas are corrected")
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	document = strings.TrimSpace(document)
	if document != "" && !ballot.IsSHA256Hex(document) {
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: document_sha256: 64 lowercase hex digits, the SHA-256 of the document that gives the area (or none)", ErrInvalid),
			"证明文件的 SHA-256 须为64位小写十六进制（可不填）")
	}
	var ens, zhs []string
	problem := func(field string, _ error, zh, format string, args ...any) {
		ens = append(ens, field+": "+fmt.Sprintf(format, args...))
		zhs = append(zhs, areaNamesZH[field]+"："+zh)
	}
	refused := func() error {
		return l10n.ZH(fmt.Errorf("%w: %w: %s", ErrInvalid, ErrBadArea, strings.Join(ens, "; ")), strings.Join(zhs, "；"))
	}
	// (The bound on an area is checked below, on the areas that change:
	// a unit imported before it was set keeps what it has.)
	after, ok := parseAreas(in, true, problem)
	if !ok {
		return AccessEntry{}, Figures{}, refused()
	}
	var e AccessEntry
	var f Figures
	err = b.st.Update(ctx, func(tx store.Tx) error {
		cr, err := getCommunity(tx, communityID)
		if err != nil {
			return err
		}
		u, err := getUnit(tx, communityID, unitID)
		if err != nil {
			return err
		}
		owners, err := ownersOf(tx, communityID, u)
		if err != nil {
			return err
		}
		if err := reasonNamesNoOwner(reason, namesOf(owners)...); err != nil {
			return err
		}
		before := u.areas()
		for _, a := range []struct {
			name   string
			before *tally.Area
			after  *tally.Area
		}{{"registered_area_m2", before.Registered, after.Registered}, {"surveyed_area_m2", before.Surveyed, after.Surveyed}, {"contract_area_m2", before.Contract, after.Contract}} {
			if a.after != nil && *a.after > maxUnitArea && (a.before == nil || *a.before != *a.after) {
				problem(a.name, ErrBadArea, "面积超过一套专有部分可能的面积：请检查小数点", "area %s m² is more than one exclusive unit can have (%s): check the decimal point", a.after, maxUnitArea)
			}
		}
		if len(ens) > 0 {
			return refused()
		}
		if before.equal(after) {
			return l10n.ZH(fmt.Errorf("%w: unit %s already has these areas: nothing to correct", ErrInvalid, unitID), "房屋"+unitID+"的面积已是所填数值，无需更正")
		}
		u.Registered, u.Surveyed, u.Contract = after.Registered, after.Surveyed, after.Contract
		if err := store.PutJSON(tx, store.Units, store.Key(communityID, unitID), u); err != nil {
			return err
		}
		if f, err = refreshFigures(tx, cr); err != nil {
			return err
		}
		e, err = appendChange(tx, AccessEntry{Time: b.now().UTC(), Action: AreaCorrectionAction, TokenID: actor.TokenID, Label: actor.Label,
			CommunityID: communityID, Reason: reason, UnitID: unitID, Before: before, After: after, Document: document})
		return err
	})
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	return e, f, nil
}

// appendChange records a change of the roll in the access log and returns
// it with its sequence number.
func appendChange(tx store.Tx, e AccessEntry) (AccessEntry, error) {
	r := accessRecord{Time: e.Time, Action: e.Action, TokenID: e.TokenID, Label: e.Label, CommunityID: e.CommunityID, OwnerID: e.OwnerID,
		Reason: e.Reason, UnitID: e.UnitID, Document: e.Document, Kind: e.Kind, Owners: e.Owners, NewOwners: e.NewOwners}
	if e.Before != (Areas{}) {
		r.Before = &e.Before
	}
	if e.After != (Areas{}) {
		r.After = &e.After
	}
	if e.Owner != (OwnerChange{}) {
		r.Owner = &e.Owner
	}
	var err error
	e.Seq, err = appendAccessSeq(tx, r)
	return e, err
}

// areaNamesZH names the area fields for staff.
var areaNamesZH = map[string]string{"registered_area_m2": "登记面积", "surveyed_area_m2": "实测面积", "contract_area_m2": "合同面积"}

// RollChanges lists, like PhoneReveals, the recorded changes of a
// community's roll other than imports (Action says which: areas corrected,
// a unit withdrawn or transferred, an owner corrected, a co-owned unit's
// representative changed).
func (b *Book) RollChanges(ctx context.Context, communityID string, after uint64, limit int) ([]AccessEntry, uint64, error) {
	return b.accessEntriesOf(ctx, communityID, []string{AreaCorrectionAction, UnitWithdrawalAction, UnitTransferAction, OwnerCorrectionAction, RepresentativeAction}, after, limit)
}

// UnitTransferAction is the access log's action of a unit's sale recorded
// on a community's roll (TransferRecordedTx).
const UnitTransferAction = "unit_transfer"

// TransferRecordedTx records, inside a transaction of the caller's, that a
// unit changed hands: it becomes person-owned by the new owners (validated
// like an import; problems come back as an *ImportError about units[0]),
// the previous owners no longer hold it, and the community's figures are
// updated. It records, as of at, who recorded the sale, the unit's kind
// and owners before, the owners after, and the SHA-256 of the transfer
// registration, and returns the record, the roll's figures after and the
// unit as it is now. A transfer to the owners it has is refused.
// (assembly.Registry.RecordSale records the sale in the assemblies under
// way that have the unit too, at the same time.)
func (b *Book) TransferRecordedTx(tx store.Tx, communityID, unitID string, owners []OwnerInput, actor Actor, document string, at time.Time) (AccessEntry, Figures, Unit, error) {
	old, err := getUnit(tx, communityID, unitID)
	if err != nil {
		return AccessEntry{}, Figures{}, Unit{}, err
	}
	nu, err := b.transfer(tx, communityID, old, owners)
	if err != nil {
		return AccessEntry{}, Figures{}, Unit{}, err
	}
	var after []string
	for _, o := range nu.Owners {
		after = append(after, o.OwnerID)
	}
	cr, err := getCommunity(tx, communityID)
	if err != nil {
		return AccessEntry{}, Figures{}, Unit{}, err
	}
	e, err := appendChange(tx, AccessEntry{Time: at.UTC(), Action: UnitTransferAction, TokenID: actor.TokenID, Label: actor.Label,
		CommunityID: communityID, UnitID: unitID, Kind: old.Kind, Owners: old.ownerIDs(), NewOwners: after, Document: document})
	return e, cr.community().Figures, nu, err
}

// UnitWithdrawalAction is the access log's action of a unit withdrawn from
// a community's roll (WithdrawUnit).
const UnitWithdrawalAction = "unit_withdrawal"

// WithdrawUnitTx removes a unit from a community's roll, in the caller's
// transaction: one imported by mistake (a row twice under two numbers, a
// unit of another community, a parking space that is no exclusive unit),
// which would count in every later assembly's totals. The roll's figures
// are updated; its owners no longer hold it, and stay owners of record (of
// their other units, or of none). The withdrawal is recorded, with the
// unit's areas, kind and owners, the token and the reason. (Assemblies
// already published keep the unit on their frozen rolls;
// assembly.Registry.WithdrawUnit refuses while one under way has it.)
func (b *Book) WithdrawUnitTx(tx store.Tx, communityID, unitID string, actor Actor, reason string) (AccessEntry, Figures, error) {
	reason, err := recordedReason(reason, "撤回房屋的理由", "why the unit is withdrawn")
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	cr, err := getCommunity(tx, communityID)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	u, err := getUnit(tx, communityID, unitID)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	owners, err := ownersOf(tx, communityID, u)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	if err := reasonNamesNoOwner(reason, namesOf(owners)...); err != nil {
		return AccessEntry{}, Figures{}, err
	}
	for _, o := range owners {
		o.Units = slices.DeleteFunc(o.Units, func(id string) bool { return id == unitID })
		if err := store.PutJSON(tx, store.Owners, store.Key(communityID, o.ID), o); err != nil {
			return AccessEntry{}, Figures{}, err
		}
	}
	if err := tx.Delete(store.Units, store.Key(communityID, unitID)); err != nil {
		return AccessEntry{}, Figures{}, err
	}
	f, err := refreshFigures(tx, cr)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	e, err := appendChange(tx, AccessEntry{Time: b.now().UTC(), Action: UnitWithdrawalAction, TokenID: actor.TokenID, Label: actor.Label,
		CommunityID: communityID, Reason: reason, UnitID: unitID, Before: u.areas(), Kind: u.Kind, Owners: u.ownerIDs()})
	return e, f, err
}

// RepresentativeAction is the access log's action of a co-owned unit's
// representative changed (SetRepresentativeTx).
const RepresentativeAction = "unit_representative"

// SetRepresentativeTx makes ownerID, a co-owner of the unit, its
// representative, in the caller's transaction: the co-owners designated
// another of them, in writing (document: the designation's SHA-256), to
// vote for the unit. Co-owners who hold several units together are one
// voter through one representative, so the change is made for every unit
// they hold together (CoOwnedTogetherTx), each recorded with the
// representative before (Owners, and the name in Owner) and after
// (OwnerID), the reason and the document. The roll's figures are
// refreshed, since the voters change (a representative who holds another
// unit alone is one voter for all). It returns the record of unitID.
// (assembly.Registry.SetRepresentative refuses while an assembly under
// way has one of the units.)
func (b *Book) SetRepresentativeTx(tx store.Tx, communityID, unitID, ownerID string, actor Actor, reason, document string) (AccessEntry, Figures, error) {
	reason, err := recordedReason(reason, "更换代表的理由", "why the representative changes")
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	document = strings.TrimSpace(document)
	if !ballot.IsSHA256Hex(document) {
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: document_sha256: 64 lowercase hex digits, the SHA-256 of the co-owners' written designation of their representative", ErrInvalid),
			"须填写共有人书面推举（指定）代表文件的 SHA-256（64位小写十六进制）")
	}
	cr, err := getCommunity(tx, communityID)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	u, err := getUnit(tx, communityID, unitID)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	if len(u.Owners) < 2 {
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: unit %s has no co-owners: its owner votes for it", ErrInvalid, unitID), "房屋"+unitID+"没有共有人，由业主本人表决，无需指定代表")
	}
	_, _, before := u.coOwners()
	owners, err := ownersOf(tx, communityID, u)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	names := map[string]string{}
	for _, o := range owners {
		names[o.ID] = o.Name
	}
	switch _, found := names[ownerID]; {
	case !found:
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: owner_id: %s is no co-owner of unit %s", ErrInvalid, ownerID, unitID), "该业主不是房屋"+unitID+"的共有人")
	case before == ownerID:
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: owner_id: %s represents unit %s already", ErrInvalid, ownerID, unitID), "该业主已是房屋"+unitID+"的代表")
	}
	if err := reasonNamesNoOwner(reason, namesOf(owners)...); err != nil {
		return AccessEntry{}, Figures{}, err
	}
	together, err := coOwnedTogether(tx, communityID, u)
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	var asked AccessEntry
	for _, v := range together {
		// Each unit's own representative before (a roll stored before one
		// was required for all the units of a set may name two); one
		// represented by ownerID already is left as it is.
		_, _, was := v.coOwners()
		if was == ownerID {
			continue
		}
		for i, o := range v.Owners {
			v.Owners[i].Representative = o.OwnerID == ownerID
		}
		if err := store.PutJSON(tx, store.Units, store.Key(communityID, v.ID), v); err != nil {
			return AccessEntry{}, Figures{}, err
		}
		var wasList []string
		if was != "" {
			wasList = []string{was}
		}
		e, err := appendChange(tx, AccessEntry{Time: b.now().UTC(), Action: RepresentativeAction, TokenID: actor.TokenID, Label: actor.Label,
			CommunityID: communityID, Reason: reason, UnitID: v.ID, OwnerID: ownerID, Owners: wasList, Document: document,
			Owner: OwnerChange{NameBefore: names[was], NameAfter: names[ownerID]}})
		if err != nil {
			return AccessEntry{}, Figures{}, err
		}
		if v.ID == unitID {
			asked = e
		}
	}
	f, err := refreshFigures(tx, cr)
	return asked, f, err
}

// CoOwnedTogetherTx returns the ids of the units held by exactly the owners
// of unitID, unitID among them: co-owners who hold several units together
// are one voter, through one representative.
func CoOwnedTogetherTx(tx store.Tx, communityID, unitID string) ([]string, error) {
	u, err := getUnit(tx, communityID, unitID)
	if err != nil {
		return nil, err
	}
	together, err := coOwnedTogether(tx, communityID, u)
	var ids []string
	for _, v := range together {
		ids = append(ids, v.ID)
	}
	return ids, err
}

// coOwnedTogether returns the units held by exactly u's owners (u among
// them).
func coOwnedTogether(tx store.Tx, communityID string, u unitRecord) ([]unitRecord, error) {
	if len(u.Owners) == 0 {
		return []unitRecord{u}, nil
	}
	set, _, _ := u.coOwners()
	out, err := unitsHeldBy(tx, communityID, u.Owners[0].OwnerID, set)
	if err == nil && !slices.ContainsFunc(out, func(v unitRecord) bool { return v.ID == u.ID }) {
		out = append(out, u)
	}
	return out, err
}

// getUnit reads a unit of a community's roll.
func getUnit(tx store.Tx, communityID, unitID string) (unitRecord, error) {
	var u unitRecord
	switch ok, err := store.GetJSON(tx, store.Units, store.Key(communityID, unitID), &u); {
	case err != nil:
		return u, err
	case !ok:
		return u, l10n.ZH(fmt.Errorf("%w: unit %q is not on the roll of %s", ErrUnitNotFound, unitID, communityID), "房屋"+unitID+"不在本小区名册上")
	}
	return u, nil
}

func (r unitRecord) ownerIDs() []string {
	var ids []string
	for _, o := range r.Owners {
		ids = append(ids, o.OwnerID)
	}
	return ids
}

func (r unitRecord) areas() Areas {
	return Areas{Registered: r.Registered, Surveyed: r.Surveyed, Contract: r.Contract}
}

// recordedReason is a reason that is recorded and read back, trimmed, or
// what is wrong with it (ballot.ReasonProblem): whatZH names it for staff
// (更正面积的理由), why says in English what it is for.
func recordedReason(reason, whatZH, why string) (string, error) {
	reason = strings.TrimSpace(reason)
	if en, zh := ballot.ReasonProblem(reason, whatZH); en != "" {
		return "", l10n.ZH(fmt.Errorf("%w: reason (%s; it is recorded): %s", ErrInvalid, why, en), zh)
	}
	return reason, nil
}

// ownersOf reads the records of a unit's owners, in the unit's order.
func ownersOf(tx store.Tx, communityID string, u unitRecord) ([]ownerRecord, error) {
	out := make([]ownerRecord, 0, len(u.Owners))
	for _, o := range u.Owners {
		r, err := getOwner(tx, communityID, o.OwnerID)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// namesOf are the owners' names.
func namesOf(owners []ownerRecord) []string {
	names := make([]string, len(owners))
	for i, o := range owners {
		names[i] = o.Name
	}
	return names
}

// reasonNamesNoOwner refuses a reason that holds one of the owners' names:
// committee members and auditors read the reasons of the roll's changes,
// and owners' names are not shown to them.
func reasonNamesNoOwner(reason string, names ...string) error {
	for _, n := range names {
		if n != "" && strings.Contains(reason, n) {
			return l10n.ZH(fmt.Errorf("%w: reason: it holds an owner's name, which those who read the roll's changes may not see", ErrInvalid),
				"理由中不要写业主姓名（查阅名册变更记录的委员、审计人员不能看到姓名）")
		}
	}
	return nil
}

// OwnerCorrectionAction is the access log's action of a correction of an
// owner's name or phone number (CorrectOwner).
const OwnerCorrectionAction = "owner_correction"

// OwnerFix is what CorrectOwner changes: the name, the phone number (both
// as an import takes them; empty leaves them), or the phone number removed.
type OwnerFix struct {
	Name, Phone string
	RemovePhone bool
}

// OwnerChange is a recorded owner correction: the names before and after,
// and the phone numbers masked (MaskPhone), which is all the record keeps
// of them.
type OwnerChange struct {
	NameBefore        string `json:"name_before"`
	NameAfter         string `json:"name_after"`
	MaskedPhoneBefore string `json:"masked_phone_before,omitempty"`
	MaskedPhoneAfter  string `json:"masked_phone_after,omitempty"`
	PhoneChanged      bool   `json:"phone_changed,omitempty"`
}

// CorrectOwner corrects an owner of record's name (mistyped at import: it
// must be as the identity document gives it, which FindOwner compares) or
// phone number (a new one, or none), recording in the same transaction who
// did it, when and why, with the names before and after and the phone
// numbers masked. The identity number is not corrected here: the owner id
// derives from it, and another number is another person.
func (b *Book) CorrectOwner(ctx context.Context, communityID, ownerID string, fix OwnerFix, actor Actor, reason string) (AccessEntry, error) {
	reason, err := recordedReason(reason, "更正业主信息的理由", "why the owner's details are corrected")
	if err != nil {
		return AccessEntry{}, err
	}
	name, phone := strings.TrimSpace(fix.Name), strings.TrimSpace(fix.Phone)
	switch {
	case name == "" && phone == "" && !fix.RemovePhone:
		return AccessEntry{}, l10n.ZH(fmt.Errorf("%w: nothing to correct: give a name, a phone number, or remove_phone", ErrInvalid), "请填写更正后的姓名或联系电话，或选择删除联系电话")
	case phone != "" && fix.RemovePhone:
		return AccessEntry{}, l10n.ZH(fmt.Errorf("%w: a phone number and remove_phone: one or the other", ErrInvalid), "新的联系电话与删除联系电话只能选一项")
	}
	if name != "" {
		if zh, en, err := nameProblem(name); err != nil {
			return AccessEntry{}, l10n.ZH(fmt.Errorf("%w: name: %s", ErrInvalid, en), zh)
		}
	}
	if phone != "" {
		p, err := NormalizePhone(phone)
		if err != nil {
			return AccessEntry{}, l10n.ZH(fmt.Errorf("%w: phone %v", ErrInvalid, err), "联系电话格式不正确")
		}
		phone = p
	}
	var e AccessEntry
	err = b.st.Update(ctx, func(tx store.Tx) error {
		if _, err := getCommunity(tx, communityID); err != nil {
			return err
		}
		o, err := getOwner(tx, communityID, ownerID)
		if err != nil {
			return err
		}
		// (The names before and after are recorded apart.)
		if err := reasonNamesNoOwner(reason, o.Name, name); err != nil {
			return err
		}
		ch := OwnerChange{NameBefore: o.Name, NameAfter: o.Name, MaskedPhoneBefore: MaskPhone(o.Phone)}
		if name != "" {
			o.Name = name
		}
		if phone != "" || fix.RemovePhone {
			ch.PhoneChanged = o.Phone != phone
			o.Phone = phone
		}
		ch.NameAfter, ch.MaskedPhoneAfter = o.Name, MaskPhone(o.Phone)
		if ch.NameAfter == ch.NameBefore && !ch.PhoneChanged {
			return l10n.ZH(fmt.Errorf("%w: owner %s already has this name and phone number: nothing to correct", ErrInvalid, ownerID), "业主信息已是所填内容，无需更正")
		}
		if err := store.PutJSON(tx, store.Owners, store.Key(communityID, ownerID), o); err != nil {
			return err
		}
		e, err = appendChange(tx, AccessEntry{Time: b.now().UTC(), Action: OwnerCorrectionAction, TokenID: actor.TokenID, Label: actor.Label,
			CommunityID: communityID, OwnerID: ownerID, Reason: reason, Owner: ch})
		return err
	})
	if err != nil {
		return AccessEntry{}, err
	}
	return e, nil
}
