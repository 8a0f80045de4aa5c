// Package recount reads the offline recount files of DESIGN §4, ROLL.csv,
// ASSEMBLY.json and VOTES.csv, into the inputs of package tally, and writes
// a tally.Result as JSON or as text for people. It is what "ownervote
// recount" runs, and what a committee uses to recount a paper-only
// assembly from a spreadsheet. docs/recount-format.md describes the formats
// for people who produce the files.
//
// Nothing is guessed: a header row without exactly the expected columns, a
// field with surrounding spaces or control characters, an area with more
// than two decimals, an unknown owner, motion or option, a duplicate unit or
// vote, an unknown or repeated JSON key are all errors. Every error is an
// *Error naming the file, the line and the field, and wraps a sentinel
// error (of this package or of tally) for errors.Is; a parser reports all
// the bad rows of a file, the first 20 in detail.
//
// # Several choices on one motion
//
// A committee election is a motion of matter ELECT_COMMITTEE with "options"
// (the candidates) and "seats" (k) in ASSEMBLY.json. In VOTES.csv a voter
// marks each chosen candidate on a row of its own, owner_id,motion_id,option
// — from one to k rows, each candidate at most once — or writes one ABSTAIN
// or one INVALID row and nothing else. Every other motion takes at most one
// row per voter. The rows of one voter on one motion become one
// tally.Ballot with several choices.
//
// # Voters in VOTES.csv
//
// owner_id is the owner_id of the roll: the same value on several rows of
// the roll is one owner. Any owner_id of a DEVELOPER row votes for the
// developer, and all DEVELOPER rows are one voter, so two rows of DEVELOPER
// owner_ids on one motion are a duplicate. An owner_id on both PERSON and
// DEVELOPER rows of the roll (the buyer of an undelivered flat who also
// owns a delivered one) cannot be told apart and is refused when it votes:
// give the DEVELOPER rows another owner_id, which does not change the count.
package recount
