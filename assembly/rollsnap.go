package assembly

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ownervote/ownervote/tally"
)

// DeveloperVoter is how ballots and exports name the one voter that holds
// all developer units (tally.DeveloperVoter inside the tally package).
const DeveloperVoter = "developer"

// BallotVoter returns the voter name a ballot carries for a tally voter key.
func BallotVoter(tallyVoter string) string {
	if tallyVoter == tally.DeveloperVoter {
		return DeveloperVoter
	}
	return tallyVoter
}

// TallyVoter is the inverse of BallotVoter.
func TallyVoter(ballotVoter string) string {
	if ballotVoter == DeveloperVoter {
		return tally.DeveloperVoter
	}
	return ballotVoter
}

// RollDigest is the SHA-256 of the canonical encoding of a frozen roll, in
// lowercase hex. The encoding is UTF-8 text: the line "ownervote-roll/1",
// then one line per unit in byte order of unit id, each
// "<unit id>\t<voter>\t<area>" where voter is the owner id that votes for
// the unit or "developer", and area is m² with exactly two decimals; every
// line ends in "\n".
func RollDigest(units []tally.Unit) string {
	sum := sha256.Sum256(CanonicalRoll(units))
	return hex.EncodeToString(sum[:])
}

// CanonicalRoll is the encoding RollDigest hashes.
func CanonicalRoll(units []tally.Unit) []byte {
	sorted := slices.Clone(units)
	slices.SortFunc(sorted, func(a, b tally.Unit) int { return strings.Compare(a.ID, b.ID) })
	var b strings.Builder
	b.WriteString("ownervote-roll/1\n")
	for _, u := range sorted {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", u.ID, BallotVoter(tally.VoterOf(u)), u.Area)
	}
	return []byte(b.String())
}
