// Package tally is the statutory rule engine of an owners' assembly
// (业主大会表决): from the frozen roll, the ballots, the rule set and the
// assembly's settings it computes, for every motion, the figures, the
// decision and a bilingual explanation of it. It is pure: no I/O, no clock,
// no mutable globals, and its result does not depend on the order of units,
// ballots or choices.
//
// # Arithmetic
//
// Areas are integers of 0.01 m² (Area); headcounts are int64. Every
// threshold test "a/b ⋚ p/q" is the exact cross-multiplication a·q ⋚ p·b,
// formed in 128 bits (math/bits.Mul64), so it cannot overflow. Sums cannot
// overflow either: the roll's total area is checked to fit in an int64 and
// every other sum is part of it. A test over an empty base (b = 0) is never
// met.
//
// # Voters
//
// Each non-developer unit votes under its OwnerID (for a co-owned unit, the
// co-owners' representative); one owner with several units is one voter
// whose areas add up. All developer units (unsold, or sold but not yet
// delivered) are ONE voter, DeveloperVoter, whatever their OwnerID. Total
// area is the sum of all units' areas; total headcount is the number of
// voters (Totals). A Ballot names its voter by that key (VoterOf).
//
// # Counting a motion
//
// A motion is AgreeOppose (AGREE, OPPOSE, ABSTAIN, INVALID), Candidates (one
// option, ABSTAIN or INVALID) or Election (Seats > 0: one to Seats distinct
// options, or ABSTAIN, or INVALID). Per motion:
//
//   - Participating: every ballot with AGREE, OPPOSE or options; abstentions
//     unless the assembly's Abstention is AbstentionNotParticipating; invalid
//     ballots only when InvalidCountsTowardQuorum.
//   - Quorum: participating area AND headcount reach the rule set's Quorum of
//     the totals (civil-code-2021: ≥ 2/3, the boundary included).
//   - Approval: the supporting figures reach the motion's Requirement (by
//     its matter: ordinary or special) of the base, on both axes. The base
//     is the totals for a requirement OfAll (property-law-2007); otherwise the
//     participating figures, less abstentions under
//     AbstentionExcludedFromDenominator. Counted invalid ballots stay in the
//     base in every abstention mode (they weigh like an abstention that takes
//     part) and never count as agreement. Civil-code-2021: ordinary > 1/2
//     (exactly half fails), special ≥ 3/4 (exactly 3/4 passes).
//   - Candidates: every option that meets the requirement on both axes
//     qualifies. Exactly one qualified option wins. None qualifying, nobody
//     wins (a run-off is a new assembly); never a plurality. Two or more
//     qualifying (impossible under "more than 1/2" with one choice per voter,
//     but possible under a custom rule set with a lower fraction) is reported
//     as no winner either: the outcome is FAILED and the explanation names
//     them.
//   - Election: each candidate's support is the voters who marked it; each
//     needs the motion's requirement on both axes. Seats go to the qualified
//     candidates by area of support, descending. When the last seat(s) cannot
//     be told apart because qualified candidates have equal area at the cut,
//     all candidates at that area are reported in Tied and none of them is
//     elected: a tie is never broken, by chance or by headcount. The motion
//     PASSED only when every seat is filled; otherwise it FAILED with the
//     elected candidates still listed.
//   - Outcome: NO_QUORUM without the quorum, else PASSED or FAILED.
//
// # Deemed consent
//
// When the assembly has DeemedConsent (未参与表决的业主视为同意多数意见), the
// owners who returned no ballot on a motion are deemed to agree with the
// majority opinion: the decision choice (AGREE, OPPOSE or an option) that
// leads every other one strictly on BOTH area and headcount among the ballots
// cast. If no choice leads on both axes there is no majority opinion and
// nothing is deemed. Deemed owners are added to that choice's support and,
// for a base of participants, to the base. They never make the quorum: the
// quorum is judged on ballots actually returned, because a quorum reached by
// presumption would let any turnout bind everyone. Owners who returned a
// ballot (abstaining or invalid included) are never deemed. Deemed consent
// does not apply to elections. The result carries the official decision
// (with deemed consent) and WithoutDeemedConsent.
//
// # Digest
//
// Result.Digest is the SHA-256 of Result.Canonical, a documented
// length-prefixed binary encoding of every figure and decision (not of the
// explanations). Later code signs it to certify a result.
package tally
