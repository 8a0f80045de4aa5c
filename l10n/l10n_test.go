package l10n_test

import (
	"errors"
	"fmt"
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
