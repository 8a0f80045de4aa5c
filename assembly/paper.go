package assembly

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/store"
)

// ErrPaperReused: from procedure rules 5 on, a paper ballot whose serial
// or scan (audit.PaperMarks) another voter's ballot in the assembly carries
// (one that counts, waits for its check, or was superseded by its voter's
// later ballot). One sheet of paper is one household's vote.
var ErrPaperReused = errors.New("the paper ballot is another voter's")

// paperHolder is what paperHeld reads of a ballot that carries a sheet.
type paperHolder struct {
	Seq    uint64       `json:"seq"`
	ID     string       `json:"id"`
	Voter  string       `json:"voter"`
	Status BallotStatus `json:"status"`
}

// paperHeld refuses, in an assembly of procedure rules 5 on, a paper
// ballot whose serial or scan a ballot of another voter carries that was
// not refused. A ballot refused (at intake, at its check, or at the close)
// holds nothing: a sheet entered for the wrong household and rejected at
// its check is entered again for the right one. The voter's own ballots
// may carry it again (a sheet entered twice meets the one-ballot rule).
// (The index is kept for assemblies of rules 5 on only: in another, no
// sheet is held.)
func paperHeld(tx store.Tx, a *Assembly, b *ballot.Ballot) (reason error, detail string, err error) {
	if b.Channel != ballot.Paper {
		return nil, "", nil
	}
	for _, m := range audit.PaperMarks(b.Attestation) {
		var seqs []uint64
		if _, err := store.GetJSON(tx, store.PaperIndex, store.Key(a.ID, m), &seqs); err != nil {
			return nil, "", err
		}
		for _, seq := range seqs {
			var h paperHolder
			if ok, err := store.GetJSON(tx, store.Ballots, ballotKey(a.ID, seq), &h); err != nil || !ok {
				return nil, "", cmp.Or(err, fmt.Errorf("assembly: ballot %d of %s, in the paper index, is missing", seq, a.ID))
			}
			if h.Voter == b.Voter || h.Status == Refused {
				continue
			}
			var remedy string
			switch h.Status {
			case Pending:
				remedy = "if that entry is wrong, have it rejected at its check, then enter the sheet again"
			case Superseded:
				remedy = "its voter's later ballot replaced that one, and the sheet stays theirs: if its entry was wrong, it is a matter for an objection to the result; the household may vote on a new sheet (a new serial and scan)"
			default:
				remedy = "that ballot counts: if its entry was wrong, it is a matter for an objection to the result; the household may vote on a new sheet (a new serial and scan)"
			}
			return ErrPaperReused, fmt.Sprintf("its %s is on ballot %d (%s) of %s, %s: one paper ballot is one voter's; %s", m, h.Seq, h.ID, h.Voter, h.Status, remedy), nil
		}
	}
	return nil, "", nil
}

// indexPaper adds a paper ballot taken (counted, or waiting for its
// check) in an assembly of procedure rules 5 on to PaperIndex.
func indexPaper(tx store.Tx, a *Assembly, b *ballot.Ballot, seq uint64) error {
	if b.Channel != ballot.Paper || a.Rules < audit.PaperRules {
		return nil
	}
	for _, m := range audit.PaperMarks(b.Attestation) {
		key := store.Key(a.ID, m)
		var seqs []uint64
		if _, err := store.GetJSON(tx, store.PaperIndex, key, &seqs); err != nil {
			return err
		}
		if err := store.PutJSON(tx, store.PaperIndex, key, append(seqs, seq)); err != nil {
			return err
		}
	}
	return nil
}
