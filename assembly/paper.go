package assembly

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/store"
)

// ErrPaperReused: from procedure rules 5 on, a paper ballot whose serial
// or scan another voter's ballot in the assembly carries (one that counts,
// waits for its check, or was superseded by its voter's later ballot).
// One sheet of paper is one household's vote.
var ErrPaperReused = errors.New("the paper ballot is another voter's")

// paperRules is the first version of the procedure rules under which a
// paper ballot is one voter's (audit.Rules).
const paperRules = 5

// paperMarks are a paper ballot's PaperIndex keys, each with what it
// stands for: its serial, and its scan's digest.
func paperMarks(assemblyID string, a *ballot.Attestation) [2]struct {
	key  []byte
	what string
} {
	return [2]struct {
		key  []byte
		what string
	}{
		{store.Key(assemblyID, "serial", a.PaperSerial), "serial " + a.PaperSerial},
		{store.Key(assemblyID, "scan", a.ScanSHA256), "scan " + a.ScanSHA256},
	}
}

// paperHeld refuses, in an assembly of procedure rules 5 on, a paper
// ballot whose serial or scan a ballot of another voter carries that was
// not refused. A ballot refused (at intake, at its check, or at the close)
// holds nothing: a sheet entered for the wrong household and rejected at
// its check is entered again for the right one. The voter's own ballots
// may carry it again (a sheet entered twice meets the one-ballot rule).
func paperHeld(tx store.Tx, a *Assembly, b *ballot.Ballot) (reason error, detail string, err error) {
	if b.Channel != ballot.Paper || a.Rules < paperRules {
		return nil, "", nil
	}
	for _, m := range paperMarks(a.ID, b.Attestation) {
		var seqs []uint64
		if _, err := store.GetJSON(tx, store.PaperIndex, m.key, &seqs); err != nil {
			return nil, "", err
		}
		for _, seq := range seqs {
			br, err := getBallot(tx, a.ID, seq)
			if err != nil {
				return nil, "", err
			}
			if br.Voter != b.Voter && br.Status != Refused {
				return ErrPaperReused, fmt.Sprintf("its %s is on ballot %d (%s) of %s, %s: one paper ballot is one voter's; "+
					"if that entry is wrong and still waits for its check, have it rejected there, then enter the sheet again", m.what, br.Seq, br.ID, br.Voter, br.Status), nil
			}
		}
	}
	return nil, "", nil
}

// indexPaper adds a paper ballot taken (counted, or waiting for its
// check) in an assembly of procedure rules 5 on to PaperIndex.
func indexPaper(tx store.Tx, a *Assembly, b *ballot.Ballot, seq uint64) error {
	if b.Channel != ballot.Paper || a.Rules < paperRules {
		return nil
	}
	for _, m := range paperMarks(a.ID, b.Attestation) {
		var seqs []uint64
		if _, err := store.GetJSON(tx, store.PaperIndex, m.key, &seqs); err != nil {
			return err
		}
		if slices.Contains(seqs, seq) {
			continue
		}
		if err := store.PutJSON(tx, store.PaperIndex, m.key, append(seqs, seq)); err != nil {
			return err
		}
	}
	return nil
}
