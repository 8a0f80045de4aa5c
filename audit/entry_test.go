package audit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ownervote/ownervote/audit"
)

// TestParseEntryUnknownKind: an entry of a kind this verifier does not know
// is refused as such, with the advice to update, not as a malformed body.
func TestParseEntryUnknownKind(t *testing.T) {
	_, err := audit.ParseEntry([]byte(`{"index":9,"kind":"SOMETHING_NEW","assembly":"a","time":"2026-05-08T00:00:00Z","something_new":{}}`))
	if !errors.Is(err, audit.ErrMalformedEntry) || !strings.Contains(err.Error(), `unknown kind "SOMETHING_NEW"`) || !strings.Contains(err.Error(), "update ownervote") {
		t.Errorf("ParseEntry(an unknown kind) = %v", err)
	}
	if _, err := audit.ParseEntry([]byte(`{"kind":"KEY","key":{},"ballot":{}}`)); err == nil || strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("ParseEntry(a known kind with two bodies) = %v, want malformed, not unknown", err)
	}
}

// TestValidRejectionReason: a rejection's reason is one visible line, as
// signed and shown.
func TestValidRejectionReason(t *testing.T) {
	for s, want := range map[string]bool{
		"回拨核实：业主称未表示同意": true, "": false, " 前有空格": false, "两行\n理由": false, "行\u2028分隔": false,
		strings.Repeat("字", 200): true, strings.Repeat("字", 201): false, "bad \xff utf-8": false,
		// Signed and logged before intake refused them: verify takes them.
		"零宽\u200b字符": true,
	} {
		if got := audit.ValidRejectionReason(s); got != want {
			t.Errorf("ValidRejectionReason(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{"回拨核实": true, "零宽\u200b字符": false, "方向\u202e控制": false, "\ufeff字节序": false, "阿拉伯\u061c标记": false} {
		if got := audit.VisibleText(s); got != want {
			t.Errorf("VisibleText(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestDiscrepancyNamesTheLine: a discrepancy names the log entry by its
// index and by the line of log.jsonl an auditor opens.
func TestDiscrepancyNamesTheLine(t *testing.T) {
	d := &audit.Discrepancy{Check: "ballot-id", Entry: 4, Detail: "changed"}
	if got, want := d.Error(), "ballot-id: log entry 4 (log.jsonl line 5): changed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
