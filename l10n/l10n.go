// Package l10n lets an error carry, besides its English detail, a sentence
// in Chinese (zh-CN) about this very case, for the people who read it: the
// server sends it as the reply's localized message in place of its reason's
// general one.
package l10n

import "errors"

// Error is an error with a zh-CN sentence about it.
type Error struct {
	Err error
	ZH  string
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap lets errors.Is and errors.As see the error it carries.
func (e *Error) Unwrap() error { return e.Err }

// ZH gives err a zh-CN sentence.
func ZH(err error, zh string) error { return &Error{Err: err, ZH: zh} }

// Of returns the zh-CN sentence of the first Error in err's chain, or "".
func Of(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.ZH
	}
	return ""
}
