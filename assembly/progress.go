package assembly

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math/big"
	"time"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// progressRecord holds an assembly's live counters, updated in the same
// transaction as every ballot.
type progressRecord struct {
	// NextSeq is the sequence number of the next ballot.
	NextSeq    uint64           `json:"next_seq"`
	Counted    int64            `json:"counted"`
	Pending    int64            `json:"pending"`
	Refused    int64            `json:"refused"`
	Superseded int64            `json:"superseded"`
	ByChannel  map[string]int64 `json:"by_channel"`
	// Hourly is what files written before kept here of the hourly counts;
	// getProgress moves it to the hour keys (see putProgress).
	Hourly  map[string]int64          `json:"hourly,omitempty"`
	Motions map[string]*motionCounter `json:"motions"`
	// Hour and HourCount are the counted ballots of the latest hour that
	// has any; earlier hours have a key each (see putProgress).
	Hour      string `json:"hour,omitempty"`
	HourCount int64  `json:"hour_count,omitempty"`
	// hourDelta holds the counted ballots added, by the UTC hour they
	// arrived in ("2026-05-08T09"), since the record was read.
	hourDelta map[string]int64
}

// Hourly counts are kept in the Progress bucket under assembly id, 0, hour
// — one small key per hour — and not in the record, which would otherwise
// grow by an entry an hour and be rewritten whole with every group; but
// the latest hour's count stays in the record until a later hour begins,
// so that a group writes one key per assembly for its counters, not two.

// getProgress reads an assembly's counters (zero before it is published).
func getProgress(tx store.Tx, a *Assembly) (*progressRecord, error) {
	p := newProgress(a)
	if _, err := store.GetJSON(tx, store.Progress, []byte(a.ID), p); err != nil {
		return p, err
	}
	if len(p.Hourly) > 0 && tx.Writable() {
		for h, n := range p.Hourly {
			p.addHour(h, n)
		}
		p.Hourly = nil
	}
	return p, nil
}

// progressCache keeps each assembly's counters as last read, by their
// stored bytes: the intake's writer reads and rewrites them for every group,
// and decoding the JSON each time cost more than the counting. Unlike the
// other decoded records, the writer changes what it gets, so get hands out
// copies (and the cache is a field, not embedded: its view, which hands out
// the cached record itself, is not for this one).
type progressCache struct{ decoded decodedCache[progressRecord] }

// get is getProgress for a writer, from the cache when the stored bytes
// are the same; the caller owns the copy it returns.
func (c *progressCache) get(tx store.Tx, a *Assembly) (*progressRecord, error) {
	raw := tx.Get(store.Progress, []byte(a.ID))
	if cached, ok := c.decoded.lookup(a.ID, raw); ok && raw != nil {
		return cached.clone(), nil
	}
	p, err := getProgress(tx, a)
	if err != nil || raw == nil || len(p.hourDelta) > 0 {
		return p, err // nothing stored yet, or an earlier file's record being moved
	}
	c.decoded.remember(a.ID, bytes.Clone(raw), p.clone())
	return p, nil
}

// clone copies p deeply (without the hour counts not yet stored).
func (p *progressRecord) clone() *progressRecord {
	c := *p
	c.ByChannel = maps.Clone(p.ByChannel)
	c.Hourly = maps.Clone(p.Hourly)
	c.Motions = make(map[string]*motionCounter, len(p.Motions))
	for id, m := range p.Motions {
		mc := *m
		mc.Choices = maps.Clone(m.Choices)
		c.Motions[id] = &mc
	}
	c.hourDelta = nil
	return &c
}

func (p *progressRecord) addHour(hour string, n int64) {
	if p.hourDelta == nil {
		p.hourDelta = map[string]int64{}
	}
	p.hourDelta[hour] += n
}

// put is putProgress that also remembers what it stored, so that the next
// group's get finds it decoded (a record is the same whatever wrote it).
func (c *progressCache) put(tx store.Tx, assemblyID string, p *progressRecord) error {
	raw, err := encodeProgress(tx, assemblyID, p)
	if err != nil {
		return err
	}
	// The group is done with p: it is kept as it is.
	c.decoded.remember(assemblyID, raw, p)
	return nil
}

// putProgress stores an assembly's counters and adds the new hourly counts.
func putProgress(tx store.Tx, assemblyID string, p *progressRecord) error {
	_, err := encodeProgress(tx, assemblyID, p)
	return err
}

// encodeProgress is putProgress, returning the record's stored bytes. It
// moves p's new hourly counts into p (and clears them) as it writes them:
// after an error p must not be stored again, only dropped with the
// transaction.
func encodeProgress(tx store.Tx, assemblyID string, p *progressRecord) ([]byte, error) {
	for h, n := range p.hourDelta {
		var err error
		switch {
		case p.Hour == "" || h == p.Hour:
			p.Hour, p.HourCount = h, p.HourCount+n
		case h > p.Hour: // a new hour: the last one moves to its key
			err = addHourCount(tx, assemblyID, p.Hour, p.HourCount)
			p.Hour, p.HourCount = h, n
		default:
			err = addHourCount(tx, assemblyID, h, n)
		}
		if err != nil {
			return nil, err
		}
	}
	p.hourDelta = nil
	raw := p.appendJSON(make([]byte, 0, 1024))
	return raw, tx.Put(store.Progress, []byte(assemblyID), raw)
}

// addHourCount adds n to the count of hour's key.
func addHourCount(tx store.Tx, assemblyID, hour string, n int64) error {
	k := store.Key(assemblyID, hour)
	if raw := tx.Get(store.Progress, k); len(raw) == 8 {
		n += int64(binary.BigEndian.Uint64(raw))
	}
	return tx.Put(store.Progress, k, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// hourly reads an assembly's hourly counts: the hour keys, the latest
// hour's in the record, and those a record of an earlier file still holds.
func hourly(tx store.Tx, assemblyID string, p *progressRecord) (map[string]int64, error) {
	out := map[string]int64{}
	for h, n := range p.Hourly {
		out[h] += n
	}
	if p.Hour != "" {
		out[p.Hour] += p.HourCount
	}
	prefix := store.Prefix(assemblyID)
	err := tx.Scan(store.Progress, prefix, nil, func(k, v []byte) (bool, error) {
		if len(v) != 8 {
			return false, fmt.Errorf("assembly: corrupt hourly count %q", k)
		}
		out[string(k[len(prefix):])] += int64(binary.BigEndian.Uint64(v))
		return true, nil
	})
	return out, err
}

// motionCounter is one motion's counters over the counted ballots.
type motionCounter struct {
	// Choices holds the figures behind AGREE, OPPOSE or each option.
	Choices map[string]Figures `json:"choices"`
	// Decided is the figures of voters who chose AGREE, OPPOSE or options.
	Decided Figures `json:"decided"`
	Abstain Figures `json:"abstain"`
	Invalid Figures `json:"invalid"`
}

func newProgress(a *Assembly) *progressRecord {
	p := &progressRecord{NextSeq: 1, ByChannel: map[string]int64{}, Motions: map[string]*motionCounter{}}
	for _, m := range a.Motions {
		p.Motions[m.ID] = &motionCounter{Choices: map[string]Figures{}}
	}
	return p
}

// apply adds (sign +1) or removes (sign −1) a voter's counted ballot.
func (p *progressRecord) apply(b *ballot.Ballot, f Figures, received time.Time, sign int64) {
	p.Counted += sign
	p.ByChannel[string(b.Channel)] += sign
	if sign > 0 {
		p.addHour(received.UTC().Format("2006-01-02T15"), 1)
	}
	p.applyFigures(b, f, sign)
}

// applyFigures adds (sign +1) or removes (sign −1) figures f behind every
// choice of b.
func (p *progressRecord) applyFigures(b *ballot.Ballot, f Figures, sign int64) {
	for _, c := range b.Choices {
		mc := p.Motions[c.Motion]
		if mc == nil {
			continue
		}
		add := func(g Figures) Figures {
			if sign > 0 {
				return g.add(f)
			}
			return g.sub(f)
		}
		switch v := c.Values[0]; {
		case len(c.Values) == 1 && v == string(tally.Abstain):
			mc.Abstain = add(mc.Abstain)
		case len(c.Values) == 1 && v == string(tally.Invalid):
			mc.Invalid = add(mc.Invalid)
		default:
			mc.Decided = add(mc.Decided)
			for _, v := range c.Values {
				mc.Choices[v] = add(mc.Choices[v])
			}
		}
	}
}

// Line is a threshold on both axes with what is still missing to reach it.
type Line struct {
	// Required is the least area and headcount that meet the threshold
	// (for approval: if every further voter agrees).
	Required tally.Figures
	// Remaining is what is still missing: zero once the line is reached.
	Remaining tally.Figures
	// Reachable is false when the owners who have not voted cannot close
	// the gap any more.
	Reachable bool
}

// ChoiceProgress is the support behind one choice with its approval line.
type ChoiceProgress struct {
	Choice  string
	Figures tally.Figures
	// Line is the approval line for AGREE or an option; absent for OPPOSE.
	Line *Line
}

// MotionProgress is the live state of one motion.
type MotionProgress struct {
	Motion        Motion
	Requirement   tally.Requirement
	Total         tally.Figures
	Participating tally.Figures
	Quorum        Line
	Choices       []ChoiceProgress
	Abstain       tally.Figures
	Invalid       tally.Figures
	NotVoted      tally.Figures
}

// Progress is the live state of an assembly.
type Progress struct {
	Assembly   Assembly
	State      State
	Counted    int64
	Pending    int64
	Refused    int64
	Superseded int64
	ByChannel  map[string]int64
	Hourly     map[string]int64
	Motions    []MotionProgress
	// Version changes whenever the counters or the state change: it is the
	// size of the assembly's log.
	Version uint64
}

// Progress reads an assembly's live counters: a constant number of reads,
// whatever the number of ballots.
func (r *Registry) Progress(ctx context.Context, id string) (Progress, error) {
	var out Progress
	err := r.st.View(ctx, func(tx store.Tx) error {
		rec, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		out.Assembly = rec.Assembly
		out.State = rec.StateAt(r.now())
		p, err := getProgress(tx, &rec.Assembly)
		if err != nil {
			return err
		}
		out.Counted, out.Pending, out.Refused, out.Superseded = p.Counted, p.Pending, p.Refused, p.Superseded
		out.ByChannel = p.ByChannel
		if out.Hourly, err = hourly(tx, id, p); err != nil {
			return err
		}
		// Every change that moves the counters or the state is logged, so
		// the log's size is the progress's version.
		if out.Version, err = r.logSize(tx, id); err != nil {
			return err
		}
		total := rec.RollTotal.Tally()
		for _, m := range rec.Motions {
			out.Motions = append(out.Motions, motionProgress(&rec.Assembly, m, total, p.Motions[m.ID]))
		}
		return nil
	})
	return out, err
}

func motionProgress(a *Assembly, m Motion, total tally.Figures, mc *motionCounter) MotionProgress {
	if mc == nil {
		mc = &motionCounter{Choices: map[string]Figures{}}
	}
	mp := MotionProgress{Motion: m, Total: total, Requirement: a.RuleSet.RequirementFor(m.Matter),
		Abstain: mc.Abstain.Tally(), Invalid: mc.Invalid.Tally()}
	part := mc.Decided
	if a.Settings.Abstention != tally.AbstentionNotParticipating {
		part = part.add(mc.Abstain)
	}
	if a.Settings.InvalidCountsTowardQuorum {
		part = part.add(mc.Invalid)
	}
	mp.Participating = part.Tally()
	voted := mc.Decided.add(mc.Abstain).add(mc.Invalid)
	mp.NotVoted = Figures{Area: int64(total.Area) - voted.Area, Head: total.Head - voted.Head}.Tally()
	mp.Quorum = quorumLine(a.RuleSet.Quorum, total, mp.Participating, mp.NotVoted)

	// The approval base: participants (less abstainers when they are left
	// out of the denominator), or all owners.
	base := part
	if a.Settings.Abstention == tally.AbstentionExcludedFromDenominator {
		base = base.sub(mc.Abstain)
	}
	names := []string{string(tally.Agree), string(tally.Oppose)}
	if len(m.Options) > 0 {
		names = names[:0]
		for _, o := range m.Options {
			names = append(names, o.ID)
		}
	}
	for _, n := range names {
		cp := ChoiceProgress{Choice: n, Figures: mc.Choices[n].Tally()}
		if n != string(tally.Oppose) {
			l := approvalLine(mp.Requirement, total, base.Tally(), cp.Figures, mp.NotVoted)
			cp.Line = &l
		}
		mp.Choices = append(mp.Choices, cp)
	}
	return mp
}

// minMeeting returns the least x ≥ 0 with x/base meeting t, for a fixed
// base: x·den ≥ num·base (or > when strict).
func minMeeting(t tally.Threshold, base int64) int64 {
	prod := new(big.Int).Mul(big.NewInt(t.Num), big.NewInt(base))
	q, m := new(big.Int).QuoRem(prod, big.NewInt(t.Den), new(big.Int))
	x := q.Int64()
	if m.Sign() != 0 || t.Strict {
		x++
	}
	return x
}

func quorumLine(t tally.Threshold, total, part, notVoted tally.Figures) Line {
	req := tally.Figures{Area: tally.Area(minMeeting(t, int64(total.Area))), Head: minMeeting(t, total.Head)}
	rem := tally.Figures{Area: max(0, req.Area-part.Area), Head: max(0, req.Head-part.Head)}
	return Line{Required: req, Remaining: rem, Reachable: rem.Area <= notVoted.Area && rem.Head <= notVoted.Head}
}

// approvalLine is the approval threshold for support have over base: for a
// share of all owners the line is fixed; for a share of participants each
// new supporter also joins the base, so x must satisfy
// (have+x)·den ⋚ num·(base+x), i.e. x·(den−num) ⋚ num·base − den·have.
func approvalLine(req tally.Requirement, total, base, have, notVoted tally.Figures) Line {
	axis := func(totalV, baseV, haveV, free int64) (required, remaining int64, ok bool) {
		t := req.Threshold
		if req.Of == tally.OfAll {
			required = minMeeting(t, totalV)
			remaining = max(0, required-haveV)
			return required, remaining, remaining <= free
		}
		if t.Den == t.Num { // unanimity of participants
			switch {
			case haveV == baseV && haveV > 0:
				return baseV, 0, true
			case baseV == 0: // nobody yet: one agreeing voter would do
				return 1, 1, free >= 1
			}
			return baseV + 1, 1, false // someone did not agree: out of reach
		}
		need := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(t.Num), big.NewInt(baseV)), new(big.Int).Mul(big.NewInt(t.Den), big.NewInt(haveV)))
		d := big.NewInt(t.Den - t.Num)
		var x int64
		switch {
		case need.Sign() < 0 || (need.Sign() == 0 && !t.Strict):
			x = 0
		case t.Strict: // least x with x·d > need
			x = new(big.Int).Quo(need, d).Int64() + 1
		default: // least x with x·d ≥ need
			q, m := new(big.Int).QuoRem(need, d, new(big.Int))
			x = q.Int64()
			if m.Sign() != 0 {
				x++
			}
		}
		if baseV+x == 0 { // a share of nobody is never met
			x = 1
		}
		return haveV + x, x, x <= free
	}
	ra, xa, oka := axis(int64(total.Area), int64(base.Area), int64(have.Area), int64(notVoted.Area))
	rh, xh, okh := axis(total.Head, base.Head, have.Head, notVoted.Head)
	return Line{Required: tally.Figures{Area: tally.Area(ra), Head: rh}, Remaining: tally.Figures{Area: tally.Area(xa), Head: xh}, Reachable: oka && okh}
}

// Watch returns a channel that is closed at the next change of the
// assembly's progress or state.
func (r *Registry) Watch(id string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.watchers[id]
	if !ok {
		ch = make(chan struct{})
		r.watchers[id] = ch
	}
	return ch
}

func (r *Registry) notify(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.watchers[id]; ok {
		close(ch)
		delete(r.watchers, id)
	}
}
