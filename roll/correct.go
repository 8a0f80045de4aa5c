package roll

import (
	"context"
	"fmt"
	"strings"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
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
	reason = strings.TrimSpace(reason)
	if en, zh := ballot.ReasonProblem(reason, "更正面积的理由"); en != "" {
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: reason (why the areas are corrected; it is recorded): %s", ErrInvalid, en), zh)
	}
	document = strings.TrimSpace(document)
	if document != "" && (len(document) != 64 || strings.Trim(document, "0123456789abcdef") != "") {
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: document_sha256: 64 lowercase hex digits, the SHA-256 of the document that gives the area (or none)", ErrInvalid),
			"证明文件的 SHA-256 须为64位小写十六进制（可不填）")
	}
	var ens, zhs []string
	after, ok := parseAreas(in, false, func(field string, _ error, zh, format string, args ...any) {
		ens = append(ens, field+": "+fmt.Sprintf(format, args...))
		zhs = append(zhs, zh)
	})
	if !ok {
		return AccessEntry{}, Figures{}, l10n.ZH(fmt.Errorf("%w: %w: %s", ErrInvalid, ErrBadArea, strings.Join(ens, "; ")), strings.Join(zhs, "；"))
	}
	var e AccessEntry
	var f Figures
	err := b.st.Update(ctx, func(tx store.Tx) error {
		cr, err := getCommunity(tx, communityID)
		if err != nil {
			return err
		}
		var u unitRecord
		switch ok, err := store.GetJSON(tx, store.Units, store.Key(communityID, unitID), &u); {
		case err != nil:
			return err
		case !ok:
			return l10n.ZH(fmt.Errorf("%w: unit %q is not on the roll of %s", ErrUnitNotFound, unitID, communityID), "房屋"+unitID+"不在本小区名册上")
		}
		before := Areas{Registered: u.Registered, Surveyed: u.Surveyed, Contract: u.Contract}
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
		e = AccessEntry{Time: b.now().UTC(), Action: AreaCorrectionAction, TokenID: actor.TokenID, Label: actor.Label,
			CommunityID: communityID, Reason: reason, UnitID: unitID, Before: before, After: after, Document: document}
		e.Seq, err = appendAccessSeq(tx, accessRecord{Time: e.Time, Action: e.Action, TokenID: e.TokenID, Label: e.Label,
			CommunityID: communityID, Reason: reason, UnitID: unitID, Before: &before, After: &after, Document: document})
		return err
	})
	if err != nil {
		return AccessEntry{}, Figures{}, err
	}
	return e, f, nil
}

// AreaCorrections lists, like PhoneReveals, the recorded corrections of
// the areas of a community's units.
func (b *Book) AreaCorrections(ctx context.Context, communityID string, after uint64, limit int) ([]AccessEntry, uint64, error) {
	return b.accessEntries(ctx, communityID, AreaCorrectionAction, after, limit)
}
