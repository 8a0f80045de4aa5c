package tally

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// DigestDomain opens the canonical encoding of a result; it names the
// encoding's version.
const DigestDomain = "ownervote/tally-result/v1"

// Canonical returns the canonical encoding of r, the bytes that Digest hashes
// and that a committee signs (through the digest). It is a sequence of
// fields, each encoded as
//
//   - a string: its length as a 4-byte big-endian unsigned integer, then its
//     UTF-8 bytes;
//   - an integer (area in hundredths of a m², headcount, fraction term,
//     seats): 8 bytes, big-endian two's complement;
//   - a boolean: one byte, 0 or 1;
//   - a list: its length as a 4-byte big-endian unsigned integer, then its
//     elements;
//   - figures: area, then head;
//   - a threshold: num, den, strict;
//   - a requirement: its threshold, then its base as a string ("PARTICIPANTS"
//     or "ALL").
//
// in this order: the string DigestDomain; the rule set (name, quorum
// threshold, ordinary requirement, special requirement, the list of special
// matters sorted bytewise); the abstention mode's wire name; invalid counts
// toward quorum; deemed consent; the total figures; then the list of motions
// in agenda order, each as: ID, matter, kind (String), seats, the list of
// options in motion order, the requirement, total, participating, quorum met,
// the list of tallies (each choice, then figures), no-ballot figures, the
// decision, then a boolean telling whether a without-deemed-consent decision
// follows, and that decision if so. A decision is: base, deemed choice,
// deemed figures, outcome, winner, the lists of qualified, elected and tied
// options.
//
// Explanations are not encoded: they are a rendering of the encoded numbers,
// and leaving them out keeps a result's digest stable when their wording
// improves. Two results with equal figures and decisions have equal digests.
func (r Result) Canonical() []byte {
	var e encoder
	e.str(DigestDomain)
	e.str(r.RuleSet.Name)
	e.threshold(r.RuleSet.Quorum)
	e.requirement(r.RuleSet.Ordinary)
	e.requirement(r.RuleSet.Special)
	special := slices.Clone(r.RuleSet.SpecialMatters)
	slices.Sort(special)
	e.count(len(special))
	for _, m := range special {
		e.str(string(m))
	}
	e.str(r.Abstention.String())
	e.bool(r.InvalidCountsTowardQuorum)
	e.bool(r.DeemedConsent)
	e.figures(r.Total)
	e.count(len(r.Motions))
	for _, m := range r.Motions {
		e.str(m.Motion.ID)
		e.str(string(m.Motion.Matter))
		e.str(m.Kind.String())
		e.int(int64(m.Motion.Seats))
		e.strs(m.Motion.Options)
		e.requirement(m.Requirement)
		e.figures(m.Total)
		e.figures(m.Participating)
		e.bool(m.QuorumMet)
		e.count(len(m.Tallies))
		for _, t := range m.Tallies {
			e.str(string(t.Choice))
			e.figures(t.Figures)
		}
		e.figures(m.NoBallot)
		e.decision(m.Decision)
		e.bool(m.WithoutDeemedConsent != nil)
		if m.WithoutDeemedConsent != nil {
			e.decision(*m.WithoutDeemedConsent)
		}
	}
	return e.b
}

// Digest returns the SHA-256 of r's canonical encoding (see Canonical).
func (r Result) Digest() [sha256.Size]byte {
	return sha256.Sum256(r.Canonical())
}

type encoder struct{ b []byte }

func (e *encoder) count(n int)  { e.b = binary.BigEndian.AppendUint32(e.b, uint32(n)) }
func (e *encoder) int(n int64)  { e.b = binary.BigEndian.AppendUint64(e.b, uint64(n)) }
func (e *encoder) str(s string) { e.count(len(s)); e.b = append(e.b, s...) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) strs(s []string) {
	e.count(len(s))
	for _, x := range s {
		e.str(x)
	}
}

func (e *encoder) figures(f Figures) { e.int(int64(f.Area)); e.int(f.Head) }

func (e *encoder) threshold(t Threshold) { e.int(t.Num); e.int(t.Den); e.bool(t.Strict) }

func (e *encoder) requirement(r Requirement) { e.threshold(r.Threshold); e.str(r.Of.String()) }

func (e *encoder) decision(d Decision) {
	e.figures(d.Base)
	e.str(string(d.DeemedChoice))
	e.figures(d.Deemed)
	e.str(string(d.Outcome))
	e.str(d.Winner)
	e.strs(d.Qualified)
	e.strs(d.Elected)
	e.strs(d.Tied)
}
