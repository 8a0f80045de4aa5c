package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ownervote/ownervote/tally"
)

// DeveloperVoter is how ballots, logs and exports name the one voter that
// holds all developer units (tally.DeveloperVoter inside the tally).
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

const rollHeader = "ownervote-roll/1"

// CanonicalRoll encodes a frozen roll: UTF-8 text, the line
// "ownervote-roll/1", then one line per unit in byte order of unit id,
// "<unit id>\t<voter>\t<area>", voter being the owner id that votes for the
// unit or "developer", area in m² with exactly two decimals; every line
// ends in "\n".
func CanonicalRoll(units []tally.Unit) []byte {
	sorted := slices.Clone(units)
	slices.SortFunc(sorted, func(a, b tally.Unit) int { return strings.Compare(a.ID, b.ID) })
	var b bytes.Buffer
	b.WriteString(rollHeader + "\n")
	for _, u := range sorted {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", u.ID, BallotVoter(tally.VoterOf(u)), u.Area)
	}
	return b.Bytes()
}

// RollDigest is the lowercase hex SHA-256 of CanonicalRoll(units).
func RollDigest(units []tally.Unit) string {
	sum := sha256.Sum256(CanonicalRoll(units))
	return hex.EncodeToString(sum[:])
}

// ParseRoll decodes CanonicalRoll's encoding strictly.
func ParseRoll(data []byte) ([]tally.Unit, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	var units []tally.Unit
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if line == 1 {
			if t != rollHeader {
				return nil, fmt.Errorf("roll line 1: want %q", rollHeader)
			}
			continue
		}
		f := strings.Split(t, "\t")
		if len(f) != 3 || f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("roll line %d: want unit, voter and area separated by tabs", line)
		}
		a, err := tally.ParseArea(f[2])
		if err != nil || a.String() != f[2] {
			return nil, fmt.Errorf("roll line %d: area %q is not m² with two decimals", line, f[2])
		}
		u := tally.Unit{ID: f[0], OwnerID: f[1], Area: a}
		if f[1] == DeveloperVoter {
			u.OwnerID, u.Developer = "", true
		}
		units = append(units, u)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if line == 0 || !bytes.HasSuffix(data, []byte("\n")) {
		return nil, fmt.Errorf("roll: empty or not ending in a newline")
	}
	if !bytes.Equal(CanonicalRoll(units), data) {
		return nil, fmt.Errorf("roll: not in canonical form (units must be sorted by id, each once)")
	}
	return units, nil
}
