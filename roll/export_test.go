package roll

import (
	"context"
	"io"
	"maps"
	"strings"

	"github.com/ownervote/ownervote/store"
)

// ReadXLSX is readWorkbook's rows, for the tests that compare them with
// excelize's GetRows.
func ReadXLSX(r io.Reader) ([][]string, error) {
	rows, _, err := readWorkbook(r)
	return rows, err
}

// ImportAsBefore imports units as a server did before identity numbers
// were normalised as now, and before areas were bounded: owners under the
// owner id of the number's earlier form.
func ImportAsBefore(ctx context.Context, b *Book, communityID string, inputs []UnitInput) error {
	batch, err := build(b.ident, inputs, true)
	if err != nil {
		return err
	}
	// The owner id each number had then: the hash of the number as given,
	// trimmed and in upper case (the earlier rule, written out here so that
	// the test does not check legacyIDNumber against itself), where that
	// differs from the canonical form.
	old := map[string]string{}
	for _, in := range inputs {
		for _, oin := range in.Owners {
			n, err := NormalizeIDNumber(oin.IDNumber)
			if then := strings.ToUpper(strings.TrimSpace(oin.IDNumber)); err == nil && then != n {
				old[OwnerID(b.ident.Hash(n))] = OwnerID(b.ident.Hash(then))
			}
		}
	}
	for id := range maps.Clone(batch.Owners) {
		if to, ok := old[id]; ok {
			batch.renameOwner(id, to)
		}
	}
	index := map[string]int{}
	for i, in := range inputs {
		index[in.ID] = i
	}
	return b.st.Update(ctx, func(tx store.Tx) error {
		_, err := storeBatch(tx, communityID, batch, index, nil)
		return err
	})
}

// RecordRevealAsBefore records a phone reveal as a server did before
// reasons holding long numbers were refused.
func RecordRevealAsBefore(ctx context.Context, b *Book, communityID, ownerID, reason string) error {
	// (Indexed as every record is, by the upgrade that added the index.)
	return b.st.Update(ctx, func(tx store.Tx) error {
		_, err := appendAccessSeq(tx, accessRecord{Action: "reveal_phone", CommunityID: communityID, OwnerID: ownerID, Reason: reason,
			Label: "审计 13912345678"})
		return err
	})
}

// SetRepresentative rewrites which owner represents a stored co-owned
// unit, as a version before the one-representative rule could have
// stored it.
func SetRepresentative(ctx context.Context, b *Book, communityID, unitID, ownerID string) error {
	return b.st.Update(ctx, func(tx store.Tx) error {
		var ur unitRecord
		if _, err := store.GetJSON(tx, store.Units, store.Key(communityID, unitID), &ur); err != nil {
			return err
		}
		for i := range ur.Owners {
			ur.Owners[i].Representative = ur.Owners[i].OwnerID == ownerID
		}
		return store.PutJSON(tx, store.Units, store.Key(communityID, unitID), ur)
	})
}

// RecordAccess records an access log record of action in community, as
// every recording does.
func RecordAccess(ctx context.Context, b *Book, community, action, unit string) error {
	return b.st.Update(ctx, func(tx store.Tx) error {
		_, err := appendAccessSeq(tx, accessRecord{Action: action, CommunityID: community, UnitID: unit, OwnerID: "o-" + unit})
		return err
	})
}
