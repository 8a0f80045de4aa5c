package assembly

import (
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/tally"
)

// DeveloperVoter is how ballots and exports name the one voter that holds
// all developer units.
const DeveloperVoter = audit.DeveloperVoter

// BallotVoter returns the voter name a ballot carries for a tally voter key.
func BallotVoter(tallyVoter string) string { return audit.BallotVoter(tallyVoter) }

// TallyVoter is the inverse of BallotVoter.
func TallyVoter(ballotVoter string) string { return audit.TallyVoter(ballotVoter) }

// RollDigest is the SHA-256 (hex) of the frozen roll's canonical encoding
// (audit.CanonicalRoll).
func RollDigest(units []tally.Unit) string { return audit.RollDigest(units) }
