package recount

import (
	"fmt"
	"io"
	"strings"

	"github.com/ownervote/ownervote/tally"
)

var voteColumns = []string{"owner_id", "motion_id", "choice"}

// ParseVotes reads VOTES.csv (DESIGN §4) from r, checking each row against
// the roll and the assembly; file names it in errors. It returns one
// tally.Ballot per voter and motion, in the order of their first rows.
//
// A row's owner_id must be on the roll; any owner_id of a DEVELOPER row
// votes for the developer (all DEVELOPER rows are one voter), and an
// owner_id on both PERSON and DEVELOPER rows is refused as ambiguous. choice
// is AGREE, OPPOSE, ABSTAIN or INVALID on an agree/oppose motion, and an
// option, ABSTAIN or INVALID on a motion with options. There is at most one
// row per voter and motion, except on a committee election (a motion with
// seats): there a voter has one row per candidate marked, at most seats
// rows, or a single ABSTAIN or INVALID row. All bad rows are reported (the
// first maxErrors in detail), each as an *Error.
func ParseVotes(file string, r io.Reader, roll *Roll, a tally.Assembly) ([]tally.Ballot, error) {
	errs := &errorList{file: file}
	f, ok := openCSV(r, voteColumns, errs)
	if !ok {
		return nil, errs.err()
	}
	motions := map[string]tally.Motion{}
	var ids []string
	for _, m := range a.Motions {
		motions[m.ID] = m
		ids = append(ids, m.ID)
	}
	type key struct{ voter, motion string }
	type rows struct {
		ballot  int   // index into ballots
		lines   []int // lines of the rows so far
		owners  []string
		special bool // the rows so far are one ABSTAIN or INVALID
	}
	seen := map[key]*rows{}
	var ballots []tally.Ballot
	for {
		rec, lines, _, more := f.next()
		if !more {
			break
		}
		good := true
		bad := func(i int, sentinel error, format string, args ...any) {
			errs.addf(lines[i], voteColumns[i], sentinel, format, args...)
			good = false
		}
		for i, s := range rec {
			if msg := checkText(s); msg != "" {
				bad(i, ErrBadField, "%s", msg)
			} else if s == "" {
				bad(i, ErrBadField, "empty %s", voteColumns[i])
			}
		}
		if !good {
			continue
		}
		owner, motionID, choice := rec[0], rec[1], tally.Choice(rec[2])
		voter, err := roll.voter(owner)
		if err != nil {
			errs.add(lines[0], "owner_id", err)
			good = false
		}
		m, known := motions[motionID]
		if !known {
			bad(1, tally.ErrUnknownMotion, "%q is not a motion of the assembly (%s)", motionID, strings.Join(ids, ", "))
		} else if msg := choiceError(m, choice); msg != "" {
			bad(2, tally.ErrBadChoice, "%s", msg)
		}
		if !good {
			continue
		}
		who := fmt.Sprintf("owner %q", owner)
		if voter == tally.DeveloperVoter {
			who = fmt.Sprintf("the developer (owner_id %q)", owner)
		}
		k := key{voter, motionID}
		prev := seen[k]
		special := choice == tally.Abstain || choice == tally.Invalid
		switch {
		case prev == nil:
			seen[k] = &rows{ballot: len(ballots), lines: []int{lines[0]}, owners: []string{owner}, special: special}
			ballots = append(ballots, tally.Ballot{Voter: voter, Motion: motionID, Choices: []tally.Choice{choice}})
			continue
		case m.Kind() != tally.Election:
			bad(0, tally.ErrDuplicateBallot, "second vote of %s on motion %s (first on line %d%s)", who, motionID, prev.lines[0], sameDeveloper(voter, owner, prev.owners[0]))
		case special || prev.special:
			bad(2, tally.ErrBadChoice, "%s has several rows on election %s (also line %d): ABSTAIN or INVALID must be the only row", who, motionID, prev.lines[0])
		default:
			b := &ballots[prev.ballot]
			for i, c := range b.Choices {
				if c == choice {
					bad(2, tally.ErrDuplicateBallot, "%s marks %s twice on election %s (first on line %d%s)", who, choice, motionID, prev.lines[i], sameDeveloper(voter, owner, prev.owners[i]))
				}
			}
			if good && len(b.Choices) >= m.Seats {
				bad(2, tally.ErrTooManyChoices, "%s marks more than the %d seats of election %s (other rows on lines %s)", who, m.Seats, motionID, joinInts(prev.lines))
			}
			if good {
				b.Choices = append(b.Choices, choice)
				prev.lines = append(prev.lines, lines[0])
				prev.owners = append(prev.owners, owner)
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return ballots, nil
}

// sameDeveloper explains, for a second developer row under another
// owner_id, that all DEVELOPER rows are one voter.
func sameDeveloper(voter, owner, first string) string {
	if voter == tally.DeveloperVoter && owner != first {
		return fmt.Sprintf(" under owner_id %q; all DEVELOPER units are one voter", first)
	}
	return ""
}

// choiceError says why c is not a choice on m, or returns "".
func choiceError(m tally.Motion, c tally.Choice) string {
	if c == tally.Abstain || c == tally.Invalid {
		return ""
	}
	if m.Kind() == tally.AgreeOppose {
		if c == tally.Agree || c == tally.Oppose {
			return ""
		}
		return fmt.Sprintf("%q is not AGREE, OPPOSE, ABSTAIN or INVALID (motion %s is voted for or against)", string(c), m.ID)
	}
	for _, o := range m.Options {
		if string(c) == o {
			return ""
		}
	}
	return fmt.Sprintf("%q is not an option of motion %s (%s), ABSTAIN or INVALID", string(c), m.ID, strings.Join(m.Options, ", "))
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
