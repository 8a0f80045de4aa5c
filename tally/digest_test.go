package tally

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

func seedResult(t *testing.T) Result {
	t.Helper()
	a := civil(agreeOppose("m1", SelectPropertyFirm),
		Motion{ID: "m2", Matter: ElectCommittee, Options: []string{"a", "b", "c"}, Seats: 2})
	a.DeemedConsent = true
	bs := concat(ballots("m1", Agree, 1, 56), ballots("m1", Oppose, 57, 111),
		marks("m2", "ab", "ab", "ac", "bc", "c", "-"))
	res, err := Count(owners(166, h), a, bs)
	if err != nil {
		t.Fatalf("Count() error = %v", err)
	}
	return res
}

// TestDigestPinned fails when the canonical encoding changes: a change must
// come with a new DigestDomain version, or certified digests stop verifying.
func TestDigestPinned(t *testing.T) {
	const want = "50584f240d47c240143e3e5e602239af0d2a7c08f777ef5c6741fbab6e9142ba"
	d := seedResult(t).Digest()
	if got := hex.EncodeToString(d[:]); got != want {
		t.Errorf("Digest() = %s, want %s", got, want)
	}
}

// TestCanonicalEncoding checks the documented encoding byte by byte on a
// result with no motions.
func TestCanonicalEncoding(t *testing.T) {
	r := Result{RuleSet: CivilCode2021(), Abstention: AbstentionExcludedFromDenominator, DeemedConsent: true,
		Total: Figures{Area: 12345, Head: 7}}
	var want []byte
	str := func(s string) { want = binary.BigEndian.AppendUint32(want, uint32(len(s))); want = append(want, s...) }
	i64 := func(n int64) { want = binary.BigEndian.AppendUint64(want, uint64(n)) }
	boolean := func(b bool) {
		if b {
			want = append(want, 1)
		} else {
			want = append(want, 0)
		}
	}
	str("ownervote/tally-result/v1")
	str("civil-code-2021")
	i64(2)
	i64(3)
	boolean(false)
	i64(1)
	i64(2)
	boolean(true)
	str("PARTICIPANTS")
	i64(3)
	i64(4)
	boolean(false)
	str("PARTICIPANTS")
	want = binary.BigEndian.AppendUint32(want, 3)
	str("CHANGE_COMMON_USE")
	str("RAISE_MAINTENANCE_FUND")
	str("REBUILD_OR_RENOVATE") // sorted
	str("EXCLUDED_FROM_DENOMINATOR")
	boolean(false)
	boolean(true)
	i64(12345)
	i64(7)
	want = binary.BigEndian.AppendUint32(want, 0)
	if got := r.Canonical(); !bytes.Equal(got, want) {
		t.Errorf("Canonical() =\n%x\nwant\n%x", got, want)
	}
	if got, want := r.Digest(), sha256.Sum256(want); got != want {
		t.Errorf("Digest() = %x, want SHA-256 of Canonical() %x", got, want)
	}
}

func TestDigestCoversTheResult(t *testing.T) {
	base := seedResult(t)
	want := base.Digest()

	same := seedResult(t)
	same.Motions[0].Decision.Explanation = Explanation{ZH: "改写", EN: "reworded"}
	if same.Digest() != want {
		t.Errorf("Digest() changed with the explanation's wording; it must not")
	}

	mutations := map[string]func(r *Result){
		"rule set name":         func(r *Result) { r.RuleSet.Name = CustomName },
		"quorum fraction":       func(r *Result) { r.RuleSet.Quorum.Num = 1 },
		"special matters":       func(r *Result) { r.RuleSet.SpecialMatters = r.RuleSet.SpecialMatters[1:] },
		"abstention":            func(r *Result) { r.Abstention = AbstentionNotParticipating },
		"invalid toward quorum": func(r *Result) { r.InvalidCountsTowardQuorum = true },
		"total area":            func(r *Result) { r.Total.Area++ },
		"motion ID":             func(r *Result) { r.Motions[0].Motion.ID = "m9" },
		"participating head":    func(r *Result) { r.Motions[0].Participating.Head-- },
		"quorum met":            func(r *Result) { r.Motions[0].QuorumMet = false },
		"a tally":               func(r *Result) { r.Motions[0].Tallies[1].Area++ },
		"no ballot":             func(r *Result) { r.Motions[0].NoBallot.Head++ },
		"outcome":               func(r *Result) { r.Motions[0].Decision.Outcome = Failed },
		"deemed figures":        func(r *Result) { r.Motions[0].Decision.Deemed.Area++ },
		"without deemed":        func(r *Result) { r.Motions[0].WithoutDeemedConsent.Outcome = NoQuorum },
		"no without deemed":     func(r *Result) { r.Motions[0].WithoutDeemedConsent = nil },
		"elected":               func(r *Result) { r.Motions[1].Decision.Elected = []string{"b", "a"} },
		"seats":                 func(r *Result) { r.Motions[1].Motion.Seats = 1 },
		"string boundaries": func(r *Result) {
			r.Motions[1].Motion.Options = []string{"ab", "", "c"} // same bytes, other split
		},
	}
	for name, mutate := range mutations {
		r := seedResult(t)
		mutate(&r)
		if r.Digest() == want {
			t.Errorf("Digest() did not change when the %s changed", name)
		}
	}
}
