package assembly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// AmendmentEffect is what a roll amendment did to a running vote.
type AmendmentEffect string

// The effects (DESIGN §2: a unit sold during the vote keeps its earlier
// ballot; if none was cast, the new owner may vote once the amendment is
// recorded).
const (
	// BallotKept: the previous owner had voted; the unit stays with that
	// ballot for this assembly and the new owner does not vote for it.
	BallotKept AmendmentEffect = "BALLOT_KEPT"
	// VoterChanged: nobody had voted for the unit; the new owner votes
	// for it from now on.
	VoterChanged AmendmentEffect = "VOTER_CHANGED"
)

// Amendment is a recorded change of a unit's owner during a vote.
type Amendment struct {
	// AssemblyID is the assembly it was recorded in (not stored: the
	// assembly's record holds its amendments).
	AssemblyID     string          `json:"-"`
	UnitID         string          `json:"unit_id"`
	PreviousVoter  string          `json:"previous_voter"`
	NewVoter       string          `json:"new_voter"`
	Effect         AmendmentEffect `json:"effect"`
	DocumentSHA256 string          `json:"document_sha256"`
	Recorded       time.Time       `json:"recorded"`
	RecordedBy     string          `json:"recorded_by"`
}

// ErrBallotWaiting: a unit's sale cannot be recorded while a ballot of its
// voter waits for confirmation, whose outcome the sale would decide.
var ErrBallotWaiting = errors.New("assembly: a ballot of the unit's voter waits for confirmation")

// Sale is a unit's sale as recorded: the roll's change and its figures
// after, and the amendment of each assembly under way that has the unit on
// its frozen roll.
type Sale struct {
	Change     roll.AccessEntry
	Figures    roll.Figures
	Amendments []Amendment
}

// RecordSale records that a unit changed hands (the new owners validated
// as an import's; docSHA256 the SHA-256 of the transfer registration on
// file). The community's roll takes the new owners at once, so that the
// next assembly's frozen roll has the buyer (book.TransferRecordedTx,
// recorded with the sign-in). In each assembly under way - published, not
// yet closed - that has the unit on its frozen roll (DESIGN §2), the unit
// keeps the previous owner's counted ballot if there is one, and that
// ballot can no longer be changed (whatever AllowRevote says); otherwise
// the new owner becomes the unit's voter (one more voter, or more area for
// an owner who already votes). It is refused (ErrBallotWaiting) while a
// ballot of the unit's voter waits for confirmation in one of them, whose
// outcome the sale would decide. With in, the sale is recorded only if
// assembly in is one of them (AmendRoll). All of it is decided at one
// time: an assembly under way then takes the sale, one closed by then
// does not.
func (r *Registry) RecordSale(ctx context.Context, book *roll.Book, communityID, unitID string, owners []roll.OwnerInput, docSHA256 string, by roll.Actor, in string) (Sale, error) {
	if err := transferDocument(docSHA256); err != nil {
		return Sale{}, err
	}
	var sale Sale
	var busy []string
	err := r.st.Update(ctx, func(tx store.Tx) error {
		if _, err := roll.CommunityTx(tx, communityID); err != nil {
			return err
		}
		now := r.now().UTC()
		var err error
		if busy, err = r.underWay(tx, communityID, unitID, now); err != nil {
			return err
		}
		if in != "" && !slices.Contains(busy, in) {
			rec, err := getRecord(tx, in)
			switch {
			case err != nil:
				return err
			case rec.CommunityID != communityID:
				return fmt.Errorf("%w: assembly %q in community %q", ErrNotFound, in, communityID)
			case rec.StateAt(now) != Published && rec.StateAt(now) != Open:
				return l10n.ZH(fmt.Errorf("%w: %s is %s; the frozen roll is amended between publication and closing", ErrWrongState, in, rec.StateAt(now)),
					"该会议不在发布后、投票结束前，不再登记过户：请在小区名册上登记")
			}
			return l10n.ZH(fmt.Errorf("%w: unit_id: %q is not on the frozen roll", ErrInvalid, unitID), "该房屋不在本次会议冻结的业主名册上")
		}
		// Each assembly's unit and voter as it froze them, and no ballot of
		// the voter waiting.
		type frozen struct {
			rec  *record
			unit tally.Unit
			prev string
		}
		var all []frozen
		for _, id := range busy {
			rec, err := getRecord(tx, id)
			if err != nil {
				return err
			}
			f := frozen{rec: rec}
			if _, err := store.GetJSON(tx, store.AssemblyUnits, store.Key(id, unitID), &f.unit); err != nil {
				return err
			}
			f.prev = audit.BallotVoter(tally.VoterOf(f.unit))
			switch w, ok, err := waitingBallot(tx, &rec.Assembly, f.prev); {
			case err != nil:
				return err
			case ok:
				return l10n.ZH(fmt.Errorf("%w: ballot %s (no. %d) of unit %s's voter in %s waits for a second staff member's check; confirm or reject it, then record the sale",
					ErrBallotWaiting, w.ID, w.Seq, unitID, id), fmt.Sprintf("该房屋业主在会议 %s 中有一张待复核的选票（第%d号）：请先由第二名工作人员复核计入或驳回，再登记过户", id, w.Seq))
			}
			all = append(all, f)
		}
		e, figures, nu, err := book.TransferRecordedTx(tx, communityID, unitID, owners, by, docSHA256, now)
		if err != nil {
			return err
		}
		sale = Sale{Change: e, Figures: figures}
		for _, f := range all {
			am, err := r.amendTx(tx, f.rec, f.unit, f.prev, Amendment{UnitID: unitID, NewVoter: nu.Voter(), DocumentSHA256: docSHA256, Recorded: now, RecordedBy: by.TokenID})
			if err != nil {
				return err
			}
			sale.Amendments = append(sale.Amendments, am)
		}
		return nil
	})
	if err != nil {
		return Sale{}, err
	}
	for _, id := range busy {
		r.notify(id)
	}
	return sale, nil
}

// amendTx records sale am in the assembly of rec, whose frozen roll has the
// unit u with voter prev, and returns it with its effect.
func (r *Registry) amendTx(tx store.Tx, rec *record, u tally.Unit, prev string, am Amendment) (Amendment, error) {
	assemblyID := rec.ID
	am.AssemblyID, am.PreviousVoter = assemblyID, prev
	var pv voterRecord
	if _, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(assemblyID, prev), &pv); err != nil {
		return am, err
	}
	if pv.Counted != 0 || am.NewVoter == prev {
		// The seller owns the unit no more: their ballot stays as cast,
		// even where votes may be changed (voterRecord.another).
		am.Effect = BallotKept
		return am, r.saveAmendment(tx, rec, am)
	}
	am.Effect = VoterChanged
	area := Figures{Area: int64(u.Area)}
	// The previous voter gives up the unit, and is no voter any more
	// without another one.
	pv.Units = slices.DeleteFunc(pv.Units, func(id string) bool { return id == u.ID })
	pv.Figures = pv.Figures.sub(area)
	if len(pv.Units) == 0 {
		if err := tx.Delete(store.AssemblyVoters, store.Key(assemblyID, prev)); err != nil {
			return am, err
		}
		rec.RollTotal.Head--
	} else if err := store.PutJSON(tx, store.AssemblyVoters, store.Key(assemblyID, prev), pv); err != nil {
		return am, err
	}
	var nv voterRecord
	ok, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(assemblyID, am.NewVoter), &nv)
	if err != nil {
		return am, err
	}
	if !ok {
		nv.Figures.Head = 1
		rec.RollTotal.Head++
	}
	nv.Units = append(nv.Units, u.ID)
	nv.Figures = nv.Figures.add(area)
	if nv.Counted != 0 {
		// The new owner already voted for another unit: their ballot now
		// carries this unit's area as well.
		p, err := getProgress(tx, &rec.Assembly)
		if err != nil {
			return am, err
		}
		br, err := getBallot(tx, assemblyID, nv.Counted)
		if err != nil {
			return am, err
		}
		b, err := ballot.Parse(br.Canonical)
		if err != nil {
			return am, err
		}
		p.applyFigures(b, area, +1)
		if err := putProgress(tx, assemblyID, p); err != nil {
			return am, err
		}
	}
	if err := store.PutJSON(tx, store.AssemblyVoters, store.Key(assemblyID, am.NewVoter), nv); err != nil {
		return am, err
	}
	u.OwnerID, u.Developer = am.NewVoter, false
	if err := store.PutJSON(tx, store.AssemblyUnits, store.Key(assemblyID, u.ID), u); err != nil {
		return am, err
	}
	return am, r.saveAmendment(tx, rec, am)
}

func (r *Registry) saveAmendment(tx store.Tx, rec *record, am Amendment) error {
	rec.Amendments = append(rec.Amendments, am)
	if err := r.appendEntry(tx, rec.ID, am.Recorded, audit.Entry{Kind: audit.KindAmendment, Amendment: &audit.AmendmentEntry{UnitID: am.UnitID,
		PreviousVoter: am.PreviousVoter, NewVoter: am.NewVoter, Effect: string(am.Effect), DocumentSHA256: am.DocumentSHA256, By: am.RecordedBy}}); err != nil {
		return err
	}
	return store.PutJSON(tx, store.Assemblies, []byte(rec.ID), rec)
}

// beforeClose loads an assembly for a change made between its publication
// and its closing (proxies recorded or withdrawn: what),
// and returns it with the time of the change.
func (r *Registry) beforeClose(tx store.Tx, assemblyID, what string) (*record, time.Time, error) {
	rec, err := getRecord(tx, assemblyID)
	if err != nil {
		return nil, time.Time{}, err
	}
	now := r.now().UTC()
	if s := rec.StateAt(now); s != Published && s != Open {
		return nil, now, fmt.Errorf("%w: %s is %s; %s between publication and closing", ErrWrongState, assemblyID, s, what)
	}
	return rec, now, nil
}

// waitingBallot finds the first ballot of the voter that waits for
// confirmation (maker-checker), by the voter's record.
func waitingBallot(tx store.Tx, a *Assembly, voter string) (w BallotRecord, ok bool, err error) {
	var vr voterRecord
	if _, err := store.GetJSON(tx, store.AssemblyVoters, store.Key(a.ID, voter), &vr); err != nil {
		return w, false, err
	}
	return vr.firstWaiting(tx, a.ID)
}

// WithdrawUnit removes a unit imported by mistake from a community's roll
// (book.WithdrawUnitTx). It is refused (ErrWrongState) while an assembly
// under way has the unit on its frozen roll: that assembly counts it, a
// sale of it goes into that assembly too (RecordSale, which needs the unit
// on the roll),
// and it is withdrawn once that assembly has closed.
func (r *Registry) WithdrawUnit(ctx context.Context, book *roll.Book, communityID, unitID string, actor roll.Actor, reason string) (roll.AccessEntry, roll.Figures, error) {
	return r.betweenVotes(ctx, communityID, only(unitID), func(busy string) error {
		return l10n.ZH(fmt.Errorf("%w: unit %s is on the frozen roll of %s, under way, which counts it: withdraw it once that has closed", ErrWrongState, unitID, busy),
			"该房屋在进行中的会议（"+busy+"）冻结的名册上，该会议按其计票：请在会议结束后再撤回")
	}, func(tx store.Tx) (roll.AccessEntry, roll.Figures, error) {
		return book.WithdrawUnitTx(tx, communityID, unitID, actor, reason)
	})
}

// SetRepresentative makes a co-owner the representative of a co-owned
// unit, and of the other units its co-owners hold together
// (book.SetRepresentativeTx). It is refused (ErrWrongState) while an
// assembly under way has one of them on its frozen roll, which counts it
// through the representative it froze.
func (r *Registry) SetRepresentative(ctx context.Context, book *roll.Book, communityID, unitID, ownerID string, actor roll.Actor, reason, document string) (roll.AccessEntry, roll.Figures, error) {
	together := func(tx store.Tx) ([]string, error) { return roll.CoOwnedTogetherTx(tx, communityID, unitID) }
	return r.betweenVotes(ctx, communityID, together, func(busy string) error {
		return l10n.ZH(fmt.Errorf("%w: unit %s is on the frozen roll of %s, under way, which counts it through its representative then: change the representative once that has closed", ErrWrongState, unitID, busy),
			"该房屋在进行中的会议（"+busy+"）冻结的名册上，该会议按原代表计票：请在会议结束后再更换代表")
	}, func(tx store.Tx) (roll.AccessEntry, roll.Figures, error) {
		return book.SetRepresentativeTx(tx, communityID, unitID, ownerID, actor, reason, document)
	})
}

// betweenVotes makes change, a change of units on a community's roll, in
// one transaction with the check that no assembly under way has one of the
// units on its frozen roll; if one has, the answer is refused(the
// assemblies).
func (r *Registry) betweenVotes(ctx context.Context, communityID string, units func(store.Tx) ([]string, error), refused func(busy string) error, change func(store.Tx) (roll.AccessEntry, roll.Figures, error)) (roll.AccessEntry, roll.Figures, error) {
	var e roll.AccessEntry
	var f roll.Figures
	err := r.st.Update(ctx, func(tx store.Tx) error {
		if _, err := roll.CommunityTx(tx, communityID); err != nil {
			return err
		}
		ids, err := units(tx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			switch busy, err := r.underWay(tx, communityID, id, r.now().UTC()); {
			case err != nil:
				return err
			case len(busy) > 0:
				return refused(strings.Join(busy, ", "))
			}
		}
		e, f, err = change(tx)
		return err
	})
	if err != nil {
		return roll.AccessEntry{}, roll.Figures{}, err
	}
	return e, f, nil
}

// only is the unit unitID alone, for betweenVotes.
func only(unitID string) func(store.Tx) ([]string, error) {
	return func(store.Tx) ([]string, error) { return []string{unitID}, nil }
}

// transferDocument checks the SHA-256 of a sale's transfer registration.
func transferDocument(docSHA256 string) error {
	if ballot.IsSHA256Hex(docSHA256) {
		return nil
	}
	return l10n.ZH(fmt.Errorf("%w: document_sha256: 64 lowercase hex digits, the SHA-256 of the transfer registration", ErrInvalid), "过户登记文件的 SHA-256 须为64位小写十六进制")
}

// underWay returns the assemblies of a community under way (published, not
// yet closed) at now that have the unit on their frozen rolls.
func (r *Registry) underWay(tx store.Tx, communityID, unitID string, now time.Time) ([]string, error) {
	var busy []string
	err := tx.Scan(store.Assemblies, nil, nil, func(_, v []byte) (bool, error) {
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return false, fmt.Errorf("assembly: corrupt assembly: %w", err)
		}
		if s := rec.StateAt(now); rec.CommunityID == communityID && (s == Published || s == Open) && tx.Get(store.AssemblyUnits, store.Key(rec.ID, unitID)) != nil {
			busy = append(busy, rec.ID)
		}
		return true, nil
	})
	return busy, err
}
