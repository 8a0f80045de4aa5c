package roll

import (
	"context"
	"maps"

	"github.com/ownervote/ownervote/store"
)

// ReadXLSX is readXLSX, for the tests that compare it with excelize's
// GetRows.
var ReadXLSX = readXLSX

// ImportAsBefore imports units as a server did before identity numbers
// were normalised as now: owners under the owner id of the number's
// earlier form (Owner.LegacyID).
func ImportAsBefore(ctx context.Context, b *Book, communityID string, inputs []UnitInput) error {
	batch, err := Build(b.ident, inputs)
	if err != nil {
		return err
	}
	for id, o := range maps.Clone(batch.Owners) {
		if o.LegacyID == "" {
			continue
		}
		delete(batch.Owners, id)
		o.ID, o.LegacyID = o.LegacyID, ""
		batch.Owners[o.ID] = o
		for i := range batch.Units {
			for j := range batch.Units[i].Owners {
				if batch.Units[i].Owners[j].OwnerID == id {
					batch.Units[i].Owners[j].OwnerID = o.ID
				}
			}
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
