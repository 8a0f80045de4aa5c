package audit_test

import (
	"bytes"
	"testing"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/tally"
)

// FuzzParseEntry: the log entry parser never panics, and what it accepts
// re-encodes to an entry it accepts again with the same kind and index.
func FuzzParseEntry(f *testing.F) {
	f.Add([]byte(`{"index":0,"kind":"ROLL","assembly":"a","time":"2026-05-08T00:00:00Z","roll":{"digest":"00","units":1,"total_area_m2":"80.00","total_head":1}}`))
	f.Add([]byte(`{"index":3,"kind":"BALLOT","assembly":"a","time":"2026-05-08T00:00:00Z","ballot":{"seq":1,"id":"x","ballot":"AA==","signature":"AA==","status":"ACCEPTED","submitted_by":"t"}}`))
	f.Add([]byte(`{"index":4,"kind":"STATUS","assembly":"a","time":"2026-05-08T00:00:00Z","status":{"seq":1,"id":"x","status":"SUPERSEDED","by":"t"}}`))
	f.Add([]byte(`{"kind":"KEY","key":{},"ballot":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := audit.ParseEntry(data)
		if err != nil {
			return
		}
		again, err := e.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed entry: %v", err)
		}
		e2, err := audit.ParseEntry(again)
		if err != nil || e2.Kind != e.Kind || e2.Index != e.Index {
			t.Fatalf("re-encoded entry %q does not parse back: %v", again, err)
		}
	})
}

// FuzzParseRoll: the frozen roll parser never panics and accepts only the
// canonical encoding of what it returns.
func FuzzParseRoll(f *testing.F) {
	f.Add(audit.CanonicalRoll([]tally.Unit{{ID: "1-1-101", OwnerID: "o1", Area: 8000}, {ID: "1-1-102", Developer: true, Area: 7000}}))
	f.Add([]byte("ownervote-roll/1\n"))
	f.Add([]byte("ownervote-roll/1\nu\to\t1.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		units, err := audit.ParseRoll(data)
		if err != nil {
			return
		}
		if got := audit.CanonicalRoll(units); !bytes.Equal(got, data) {
			t.Fatalf("ParseRoll accepted %q, whose canonical form is %q", data, got)
		}
	})
}

// FuzzVerifyBundle: the offline verifier never panics on any bundle.
func FuzzVerifyBundle(f *testing.F) {
	roll := audit.CanonicalRoll([]tally.Unit{{ID: "u1", OwnerID: "o1", Area: 8000}})
	f.Add(roll, []byte(`{"index":0,"kind":"ROLL","assembly":"a","time":"2026-05-08T00:00:00Z","roll":{"digest":"00","units":1,"total_area_m2":"80.00","total_head":1}}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, roll, entry, agenda []byte) {
		b := &audit.Bundle{Keys: audit.Keys{Assembly: "a", LogVerifier: "ownervote-log+00000000+AUxY0TQUTXyXeLNsTvvqaRFJg2ezsd2+gYR5C+6Wnlv5"},
			Agenda: agenda, Roll: roll, Entries: [][]byte{entry, entry}, Checkpoints: [][]byte{entry}}
		audit.Verify(b)
	})
}
