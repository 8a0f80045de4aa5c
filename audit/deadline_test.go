package audit_test

import (
	"testing"
	"time"

	"github.com/ownervote/ownervote/audit"
)

// TestObjectionDeadline: a window of days starts the day after the close
// and ends at 24:00 China time of its last day (Civil Code arts. 201, 203).
func TestObjectionDeadline(t *testing.T) {
	cst := audit.ChinaTime
	for _, tc := range []struct {
		closed time.Time
		days   int
		want   time.Time
	}{
		{time.Date(2026, 5, 9, 15, 37, 0, 0, cst), 3, time.Date(2026, 5, 13, 0, 0, 0, 0, cst)},
		{time.Date(2026, 5, 12, 23, 59, 59, 0, cst), 3, time.Date(2026, 5, 16, 0, 0, 0, 0, cst)},
		// A close at 00:00 ends the day before ("截止5月12日24时").
		{time.Date(2026, 5, 13, 0, 0, 0, 0, cst), 3, time.Date(2026, 5, 16, 0, 0, 0, 0, cst)},
		// 23:30 UTC is 07:30 the next day in China.
		{time.Date(2026, 5, 12, 23, 30, 0, 0, time.UTC), 1, time.Date(2026, 5, 15, 0, 0, 0, 0, cst)},
		// Across a month's end.
		{time.Date(2026, 5, 30, 10, 0, 0, 0, cst), 3, time.Date(2026, 6, 3, 0, 0, 0, 0, cst)},
		// No window: it ends at the close.
		{time.Date(2026, 5, 9, 15, 37, 0, 0, cst), 0, time.Date(2026, 5, 9, 15, 37, 0, 0, cst)},
	} {
		if got := audit.ObjectionDeadline(tc.closed, tc.days, audit.Rules); !got.Equal(tc.want) {
			t.Errorf("ObjectionDeadline(%s, %d) = %s, want %s", tc.closed, tc.days, got.In(cst), tc.want)
		}
	}
	// An assembly published before the rules were versioned keeps its
	// window of days × 24 h.
	closed := time.Date(2026, 5, 9, 15, 37, 0, 0, cst)
	if got := audit.ObjectionDeadline(closed, 3, 0); !got.Equal(closed.Add(72 * time.Hour)) {
		t.Errorf("ObjectionDeadline under rules 0 = %s, want 72 h after the close", got.In(cst))
	}
}

// TestEarlyWordingByRules: a result of an assembly published under
// procedure rules 0 to 2 is explained as it was then (the words are in the
// stored result and the export, checked byte for byte), one of rules 3 or
// later as now.
func TestEarlyWordingByRules(t *testing.T) {
	for rules, early := range map[int]bool{0: true, 2: true, 3: false, 4: false} {
		if got := (&audit.AgendaEntry{Rules: rules}).TallyAssembly().EarlyWording; got != early {
			t.Errorf("the tally of an agenda of procedure rules %d: EarlyWording %v, want %v", rules, got, early)
		}
	}
}
