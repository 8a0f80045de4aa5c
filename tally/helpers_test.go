package tally

import (
	"fmt"
	"slices"
)

// owners returns n units of one owner each, "o1"… "on", all of the same
// area.
func owners(n int, area Area) []Unit {
	us := make([]Unit, n)
	for i := range us {
		us[i] = Unit{ID: fmt.Sprintf("u%d", i+1), OwnerID: fmt.Sprintf("o%d", i+1), Area: area}
	}
	return us
}

// ballots returns one ballot with choice c on motion m for each voter
// o(from)…o(to).
func ballots(m string, c Choice, from, to int) []Ballot {
	var bs []Ballot
	for i := from; i <= to; i++ {
		bs = append(bs, Ballot{Voter: fmt.Sprintf("o%d", i), Motion: m, Choices: []Choice{c}})
	}
	return bs
}

// vote returns one ballot.
func vote(voter, m string, cs ...Choice) Ballot {
	return Ballot{Voter: voter, Motion: m, Choices: cs}
}

func concat(bss ...[]Ballot) []Ballot { return slices.Concat(bss...) }

// civil returns an assembly under civil-code-2021 with the default settings.
func civil(ms ...Motion) Assembly {
	return Assembly{RuleSet: CivilCode2021(), Motions: ms}
}

func agreeOppose(id string, m Matter) Motion { return Motion{ID: id, Matter: m} }

// summary is what the table tests compare: a motion's figures and decision
// without the explanation.
type summary struct {
	Participating Figures
	QuorumMet     bool
	Outcome       Outcome
	Winner        string
	Qualified     []string
	Elected       []string
	Tied          []string
	Base          Figures
	DeemedChoice  Choice
	Deemed        Figures
	// Without is the outcome without deemed consent, "" when not reported.
	Without Outcome
}

func summarize(m MotionResult) summary {
	s := summary{
		Participating: m.Participating,
		QuorumMet:     m.QuorumMet,
		Outcome:       m.Decision.Outcome,
		Winner:        m.Decision.Winner,
		Qualified:     m.Decision.Qualified,
		Elected:       m.Decision.Elected,
		Tied:          m.Decision.Tied,
		Base:          m.Decision.Base,
		DeemedChoice:  m.Decision.DeemedChoice,
		Deemed:        m.Decision.Deemed,
	}
	if m.WithoutDeemedConsent != nil {
		s.Without = m.WithoutDeemedConsent.Outcome
	}
	return s
}

func fig(area Area, head int64) Figures { return Figures{Area: area, Head: head} }
