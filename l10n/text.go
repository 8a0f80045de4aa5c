package l10n

import (
	"bytes"
	"unicode/utf8"
)

// TextProblem says why a text file that a spreadsheet saved (a CSV roster,
// roll or vote list) is not UTF-8 with \n line ends, in words for whoever
// saved it, from its first bytes (head, after a UTF-8 byte-order mark; all
// of the file when complete); "" when it is. line is the line (from 1)
// where it shows: the first byte that is not UTF-8; 1 otherwise. The defaults of Chinese
// spreadsheet programs are the usual causes: Excel's "CSV (逗号分隔)" is GBK,
// its "Unicode text" UTF-16, Excel for Mac's "CSV (Macintosh)" ends lines in
// CR alone.
func TextProblem(head []byte, complete bool) (problem string, line int) {
	const save = `: save it as "CSV UTF-8 (逗号分隔)" (CSV UTF-8)`
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return `it is UTF-16 text (Excel's "Unicode text")` + save, 1
	}
	valid := head
	if !complete {
		// A character cut off where head ends is not a fault.
		for i := len(valid) - 1; i >= 0 && i >= len(valid)-utf8.UTFMax; i-- {
			if utf8.RuneStart(valid[i]) {
				if !utf8.FullRune(valid[i:]) {
					valid = valid[:i]
				}
				break
			}
		}
	}
	for i := 0; i < len(valid); {
		r, n := utf8.DecodeRune(valid[i:])
		if r == utf8.RuneError && n == 1 {
			return `it is not UTF-8 text (GBK, as Excel's "CSV (逗号分隔)" writes, most likely)` + save, 1 + bytes.Count(valid[:i], []byte{'\n'})
		}
		i += n
	}
	if bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0 {
		return `its lines end in CR alone (Excel for Mac's "CSV (Macintosh)")` + save, 1
	}
	return "", 0
}
