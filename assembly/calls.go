package assembly

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
)

// CallOutcome is what came of one call or home visit of the phone
// campaign.
type CallOutcome string

// The outcomes of a call attempt.
const (
	CallNoAnswer       CallOutcome = "NO_ANSWER"
	CallRefused        CallOutcome = "REFUSED"
	CallBack           CallOutcome = "CALL_BACK"
	CallWillVoteOnline CallOutcome = "WILL_VOTE_ONLINE"
	CallWrongNumber    CallOutcome = "WRONG_NUMBER"
	CallVoted          CallOutcome = "VOTED"
)

// CallOutcomes lists the outcomes.
var CallOutcomes = []CallOutcome{CallNoAnswer, CallRefused, CallBack, CallWillVoteOnline, CallWrongNumber, CallVoted}

// MaxCallNote bounds a call attempt's note, in characters.
const MaxCallNote = 500

// CallAttempt is one call or home visit of the phone campaign: campaign
// bookkeeping for staff, not part of the result or of the assembly's log.
type CallAttempt struct {
	Seq     uint64         `json:"seq"`
	Voter   string         `json:"voter"`
	Outcome CallOutcome    `json:"outcome"`
	Channel ballot.Channel `json:"channel"`
	// CallBack is when to call again, for CallBack.
	CallBack time.Time `json:"call_back,omitzero"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
	// By is the recording token's id, ByLabel its label.
	By      string `json:"by"`
	ByLabel string `json:"by_label,omitempty"`
}

// RecordCall records a call attempt for a voter of a published or open
// assembly's frozen roll. Voter, Outcome, Channel (PHONE when empty),
// CallBack and Note are taken from c; the rest is set here.
func (r *Registry) RecordCall(ctx context.Context, assemblyID string, c CallAttempt) (CallAttempt, error) {
	c.Note = strings.TrimSpace(c.Note)
	if c.Channel == "" {
		c.Channel = ballot.Phone
	}
	switch {
	case !ballot.ValidID(c.Voter):
		return CallAttempt{}, fmt.Errorf("%w: voter: %q is not a voter id", ErrInvalid, c.Voter)
	case !slices.Contains(CallOutcomes, c.Outcome):
		return CallAttempt{}, fmt.Errorf("%w: outcome: %q: want one of %v", ErrInvalid, c.Outcome, CallOutcomes)
	case c.Channel != ballot.Phone && c.Channel != ballot.Visit:
		return CallAttempt{}, fmt.Errorf("%w: channel: %s: a call attempt is PHONE or VISIT", ErrInvalid, c.Channel)
	case c.Outcome == CallBack && c.CallBack.IsZero():
		return CallAttempt{}, l10n.ZH(fmt.Errorf("%w: callback_time: say when to call back", ErrInvalid), "请填写回拨时间")
	case c.Outcome != CallBack && !c.CallBack.IsZero():
		return CallAttempt{}, fmt.Errorf("%w: callback_time: only for CALL_BACK", ErrInvalid)
	case !utf8.ValidString(c.Note) || utf8.RuneCountInString(c.Note) > MaxCallNote:
		return CallAttempt{}, l10n.ZH(fmt.Errorf("%w: note: at most %d characters of UTF-8", ErrInvalid, MaxCallNote), fmt.Sprintf("备注最多%d字", MaxCallNote))
	case ballot.LongNumber(c.Note) >= 0:
		return CallAttempt{}, l10n.ZH(fmt.Errorf("%w: note: %s", ErrInvalid, ballot.LongNumberRule), "备注"+ballot.LongNumberRuleZH)
	}
	c.CallBack = c.CallBack.UTC()
	err := r.st.Update(ctx, func(tx store.Tx) error {
		_, now, err := r.beforeClose(tx, assemblyID, "calls are recorded")
		if err != nil {
			return err
		}
		if tx.Get(store.AssemblyVoters, store.Key(assemblyID, c.Voter)) == nil {
			return fmt.Errorf("%w: voter: %q is not on the frozen roll of %s", ErrInvalid, c.Voter, assemblyID)
		}
		seq, err := tx.NextSequence(store.CallLog)
		if err != nil {
			return err
		}
		c.Seq, c.At = seq, now
		return store.PutJSON(tx, store.CallLog, callKey(assemblyID, c.Voter, seq), c)
	})
	if err != nil {
		return CallAttempt{}, err
	}
	return c, nil
}

// callKey is the CallLog key: assembly id, 0, voter, 0, big-endian seq.
func callKey(assemblyID, voter string, seq uint64) []byte {
	return append(store.Prefix(assemblyID, voter), store.Seq(seq)...)
}

// Calls lists an assembly's call attempts, or one voter's when voter is not
// empty, in the order they were recorded.
func (r *Registry) Calls(ctx context.Context, assemblyID, voter string) ([]CallAttempt, error) {
	if voter != "" && !ballot.ValidID(voter) {
		return nil, fmt.Errorf("%w: voter: %q is not a voter id", ErrInvalid, voter)
	}
	prefix := store.Prefix(assemblyID)
	if voter != "" {
		prefix = store.Prefix(assemblyID, voter)
	}
	var out []CallAttempt
	err := r.st.View(ctx, func(tx store.Tx) error {
		if _, err := getRecord(tx, assemblyID); err != nil {
			return err
		}
		return tx.Scan(store.CallLog, prefix, nil, func(k, v []byte) (bool, error) {
			var c CallAttempt
			if err := json.Unmarshal(v, &c); err != nil {
				return false, fmt.Errorf("assembly: corrupt call attempt %q: %w", k, err)
			}
			out = append(out, c)
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b CallAttempt) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, err
}
