package audit_test

import (
	"errors"
	"testing"

	"github.com/ownervote/ownervote/audit"
)

// TestVerifyFindsBadSignatureInBatch changes one signature among 300
// ballots (several batches): Verify must name that ballot's entry, and an
// untouched export must verify.
func TestVerifyFindsBadSignatureInBatch(t *testing.T) {
	const n = 300
	bundle := syntheticBundle(t, n)
	if rep, err := audit.Verify(bundle); err != nil || rep.Counted != n {
		t.Fatalf("untouched export: %v, %v", rep, err)
	}
	for _, at := range []int{3, 150, n + 2} { // the first, a middle and the last ballot
		b := syntheticBundle(t, n)
		e, err := audit.ParseEntry(b.Entries[at])
		if err != nil || e.Ballot == nil {
			t.Fatalf("entry %d is not a ballot: %v", at, err)
		}
		e.Ballot.Signature[10] ^= 0x40
		if b.Entries[at], err = e.Marshal(); err != nil {
			t.Fatal(err)
		}
		_, err = audit.Verify(b)
		var d *audit.Discrepancy
		if !errors.As(err, &d) || d.Check != "ballot-signature" || d.Entry != at {
			t.Errorf("signature of entry %d changed: Verify = %v, want ballot-signature at entry %d", at, err, at)
		}
	}
}

// A counted ballot covers every motion, as the server's intake requires:
// with a second motion on the agenda, the synthetic ballots (m1 only) are
// refused at the first one.
func TestVerifyNeedsAChoiceOnEveryMotion(t *testing.T) {
	b := syntheticBundle(t, 3)
	e, err := audit.ParseEntry(b.Entries[1])
	if err != nil || e.Agenda == nil {
		t.Fatalf("entry 1 is not the agenda: %v", err)
	}
	e.Agenda.Motions = append(e.Agenda.Motions, audit.Motion{ID: "m2", Title: "续聘", Matter: "RENEW_PROPERTY_FIRM"})
	if b.Entries[1], err = e.Marshal(); err != nil {
		t.Fatal(err)
	}
	if b.Agenda, err = agendaJSON(e.Agenda); err != nil {
		t.Fatal(err)
	}
	_, err = audit.Verify(b)
	var d *audit.Discrepancy
	if !errors.As(err, &d) || d.Check != "choice" || d.Entry != 3 {
		t.Errorf("ballots without a choice on m2: Verify = %v, want a choice discrepancy at entry 3", err)
	}
}
