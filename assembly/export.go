package assembly

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/recount"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// Export returns everything needed to re-derive and check an assembly's
// result offline (see audit.Verify and docs/export-format.md).
func (r *Registry) Export(ctx context.Context, assemblyID string) (*audit.Bundle, error) {
	b := &audit.Bundle{Keys: audit.Keys{Assembly: assemblyID, LogVerifier: r.logVKey, ReceiptPublicKey: r.ReceiptPublicKey()}}
	err := r.st.View(ctx, func(tx store.Tx) error {
		rec, err := getRecord(tx, assemblyID)
		if err != nil {
			return err
		}
		if rec.Published.IsZero() {
			return fmt.Errorf("%w: %s has not been published", ErrWrongState, assemblyID)
		}
		units, err := frozenUnits(tx, assemblyID)
		if err != nil {
			return err
		}
		b.Roll = audit.CanonicalRoll(originalRoll(units, rec.Amendments))
		ag, err := agendaOf(tx, assemblyID)
		if err != nil {
			return err
		}
		if b.Agenda, err = audit.IndentedJSON(ag); err != nil {
			return err
		}
		err = tx.Scan(store.LogEntries, store.Prefix(assemblyID), nil, func(_, v []byte) (bool, error) {
			b.Entries = append(b.Entries, slices.Clone(v))
			return true, nil
		})
		if err != nil {
			return err
		}
		// The checkpoints of the log as published and as it is now; any
		// other size can be had from CheckpointAt.
		sizes := []uint64{2}
		if n := uint64(len(b.Entries)); n > 2 {
			sizes = append(sizes, n)
		}
		for _, size := range sizes {
			root, err := rootAt(tx, assemblyID, size)
			if err != nil {
				return err
			}
			cp, err := audit.SignCheckpoint(r.logSigner, assemblyID, size, root)
			if err != nil {
				return err
			}
			b.Checkpoints = append(b.Checkpoints, cp)
		}
		if rec.Result != nil {
			var buf bytes.Buffer
			if err := recount.WriteJSON(&buf, *rec.Result); err != nil {
				return err
			}
			b.Result = buf.Bytes()
		}
		if len(rec.Certificate) > 0 {
			c := audit.Certificate{Statement: string(rec.Statement(rec.ResultDigest))}
			// A member by the agenda's name, whichever of their keys signed.
			for _, s := range rec.Certificate {
				if slices.Contains(rec.Uncounted, s.KeyID) {
					continue // revoked since it signed (KEY_REVOKED before CERTIFIED)
				}
				name := s.KeyID
				for _, m := range ag.Committee {
					if m.KeyID == rec.Committee.Original(s.KeyID) {
						name = m.Name
					}
				}
				c.Signatures = append(c.Signatures, audit.CertificateEntry{KeyID: s.KeyID, Name: name, Signature: s.Signature})
			}
			if b.Certificate, err = audit.IndentedJSON(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// originalRoll undoes the amendments that changed a unit's voter, giving
// the roll as frozen at publication.
func originalRoll(units []tally.Unit, amendments []Amendment) []tally.Unit {
	byID := make(map[string]int, len(units))
	for i, u := range units {
		byID[u.ID] = i
	}
	out := slices.Clone(units)
	for i := len(amendments) - 1; i >= 0; i-- {
		am := amendments[i]
		if am.Effect != VoterChanged {
			continue
		}
		u := &out[byID[am.UnitID]]
		if am.PreviousVoter == audit.DeveloperVoter {
			u.OwnerID, u.Developer = "", true
		} else {
			u.OwnerID, u.Developer = am.PreviousVoter, false
		}
	}
	return out
}

// VotedUnit is a unit whose voter has a counted ballot, for the notice.
type VotedUnit struct {
	UnitID  string
	Area    tally.Area
	Channel string
}

// VotedUnits lists the units whose voters have a counted ballot, in unit
// order, with the channel of the ballot; never names. Once the vote has
// closed its ballots never change, and the list (which the public notice
// shows at every request) is kept: the slice returned is shared, and not
// to be changed.
func (r *Registry) VotedUnits(ctx context.Context, assemblyID string) ([]VotedUnit, error) {
	r.votedMu.Lock()
	kept, ok := r.voted[assemblyID]
	r.votedMu.Unlock()
	if ok {
		return kept, nil
	}
	var out []VotedUnit
	var final bool
	err := r.st.View(ctx, func(tx store.Tx) error {
		rec, err := r.records.view(tx, assemblyID)
		if err != nil {
			return err
		}
		// Final once the close has been written (the closer's transaction
		// follows every group that could still count a ballot): not by the
		// clock alone, which passes the closing time before that.
		final = rec.State == Preliminary || rec.State == Certified
		units, err := frozenUnits(tx, assemblyID)
		if err != nil {
			return err
		}
		channel := map[string]string{}
		err = tx.Scan(store.AssemblyVoters, store.Prefix(assemblyID), nil, func(k, v []byte) (bool, error) {
			var vr voterRecord
			if err := vr.DecodeJSON(v); err != nil {
				return false, fmt.Errorf("assembly: voter record %q: %w", k, err)
			}
			if vr.Counted == 0 {
				return true, nil
			}
			// The channel alone: the ballot's bytes stay in its log entry.
			var br struct {
				Channel ballot.Channel `json:"channel"`
			}
			if ok, err := store.GetJSON(tx, store.Ballots, ballotKey(assemblyID, vr.Counted), &br); err != nil || !ok {
				return false, cmp.Or(err, fmt.Errorf("%w: %s #%d", ErrBallotNotFound, assemblyID, vr.Counted))
			}
			channel[string(k[len(assemblyID)+1:])] = string(br.Channel)
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, u := range units {
			if c, ok := channel[audit.BallotVoter(tally.VoterOf(u))]; ok {
				out = append(out, VotedUnit{UnitID: u.ID, Area: u.Area, Channel: c})
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b VotedUnit) int { return strings.Compare(a.UnitID, b.UnitID) })
	if err == nil && final {
		r.votedMu.Lock()
		if len(r.voted) >= maxVotedKept {
			clear(r.voted) // (a city's closed votes come and go; the next request reads it again)
		}
		r.voted[assemblyID] = out
		r.votedMu.Unlock()
	}
	return out, err
}

// maxVotedKept bounds the closed votes whose voted units are kept.
const maxVotedKept = 64
