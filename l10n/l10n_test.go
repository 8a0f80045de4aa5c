package l10n_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ownervote/ownervote/l10n"
)

func TestOf(t *testing.T) {
	base := errors.New("invalid")
	err := fmt.Errorf("wrapped: %w", l10n.ZH(fmt.Errorf("%w: reason: empty", base), "请填写理由"))
	if got := l10n.Of(err); got != "请填写理由" || !errors.Is(err, base) || err.Error() != "wrapped: invalid: reason: empty" {
		t.Errorf("Of = %q, Is = %v, Error = %q", got, errors.Is(err, base), err)
	}
	if got := l10n.Of(base); got != "" {
		t.Errorf("Of(an error without one) = %q", got)
	}
}

func TestTextProblem(t *testing.T) {
	gbk := []byte{0xd5, 0xc5, 0xc8, 0xfd} // 张三
	for _, tc := range []struct {
		name     string
		head     string
		complete bool
		want     string // words of the problem; "" for none
		line     int
	}{
		{"UTF-8 with LF", "unit_id,owner_id\n1-1-101,张三\n", true, "", 0},
		{"UTF-8 with CRLF", "unit_id,owner_id\r\n1-1-101,张三\r\n", true, "", 0},
		{"a character cut off at the end of the head", "unit_id,张"[:len("unit_id,张")-1], false, "", 0},
		{"the same, when it is the whole file", "unit_id,张"[:len("unit_id,张")-1], true, "not UTF-8", 1},
		{"UTF-16 LE", "\xff\xfeu\x00n\x00", false, "UTF-16", 1},
		{"UTF-16 BE", "\xfe\xff\x00u\x00n", false, "UTF-16", 1},
		{"GBK", "unit_id,owner_id\n1-1-101," + string(gbk) + "\n", true, "GBK", 2},
		{"CR line ends", "unit_id,owner_id\r1-1-101,a\r", true, "CR alone", 1},
	} {
		got, line := l10n.TextProblem([]byte(tc.head), tc.complete)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) || tc.want != "" && !strings.Contains(got, "CSV UTF-8") || line != tc.line {
			t.Errorf("%s: %q on line %d, want %q on line %d", tc.name, got, line, tc.want, tc.line)
		}
	}
}
