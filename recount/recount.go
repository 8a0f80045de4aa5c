package recount

import (
	"errors"
	"io"

	"github.com/ownervote/ownervote/tally"
)

// Source is one input file: its name, as errors should show it, and its
// content.
type Source struct {
	Name string
	R    io.Reader
}

// Recount parses ROLL.csv, ASSEMBLY.json and VOTES.csv and tallies them. The
// roll and the assembly are both checked before the votes, so that their
// errors are reported together; the votes are checked only against a good
// roll and assembly. Errors are *Error values joined.
func Recount(roll, assembly, votes Source) (tally.Result, error) {
	r, rerr := ParseRoll(roll.Name, roll.R)
	a, aerr := ParseAssembly(assembly.Name, assembly.R)
	if rerr != nil || aerr != nil {
		return tally.Result{}, errors.Join(rerr, aerr)
	}
	ballots, err := ParseVotes(votes.Name, votes.R, r, a)
	if err != nil {
		return tally.Result{}, err
	}
	return tally.Count(r.Units, a, ballots)
}
