package ballot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownervote/ownervote/ballot"
)

func canonicalOf(t testing.TB, name string) string {
	t.Helper()
	c, err := sampleNamed(name).ballot.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}

// replace replaces the first old in s by new, and panics when there is no
// old, so that a test case cannot silently test the unchanged input.
func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("no " + old + " in " + s)
	}
	return strings.Replace(s, old, new, 1)
}

// The line helpers take 1-based line numbers of a canonical text.
func lines(s string) []string { return strings.SplitAfter(s, "\n")[:strings.Count(s, "\n")] }

func swapLines(s string, i, j int) string {
	l := lines(s)
	l[i-1], l[j-1] = l[j-1], l[i-1]
	return strings.Join(l, "")
}

func deleteLine(s string, i int) string {
	l := lines(s)
	return strings.Join(append(l[:i-1:i-1], l[i:]...), "")
}

func insertLine(s string, i int, line string) string {
	l := lines(s)
	return strings.Join(append(l[:i-1:i-1], append([]string{line}, l[i-1:]...)...), "")
}

func TestParseRejects(t *testing.T) {
	online := canonicalOf(t, "online")
	phone := canonicalOf(t, "phone")
	paper := canonicalOf(t, "paper")
	committee := canonicalOf(t, "committee")
	platform := canonicalOf(t, "platform")
	visit := canonicalOf(t, "visit")
	hex64 := strings.Repeat("a", 64)
	tests := []struct {
		name string
		in   string
		line int // the line the error names; -1: any
	}{
		{"empty", "", 1},
		{"only the header", "ownervote-ballot/1\n", 2},
		{"reordered lines", swapLines(online, 3, 4), 3},
		{"duplicate line", insertLine(online, 9, lines(online)[7]), 9},
		{"missing line", deleteLine(online, 8), 8},
		{"missing final newline", strings.TrimSuffix(online, "\n"), 10},
		{"CRLF", strings.ReplaceAll(online, "\n", "\r\n"), 1},
		{"CR on one line", replace(online, "ONLINE\n", "ONLINE\r\n"), 5},
		{"CR line ends", strings.ReplaceAll(online, "\n", "\r"), 1},
		{"byte order mark", "\ufeff" + online, 1},
		{"other version", replace(online, "ownervote-ballot/1", "ownervote-ballot/2"), 1},
		{"receipt header", replace(online, "ownervote-ballot/1", "ownervote-receipt/1"), 1},
		{"blank line", insertLine(online, 3, "\n"), 3},
		{"blank line at the end", online + "\n", 11},
		{"text after the final newline", online + "x", 11},
		{"unknown field before the choices", insertLine(online, 10, "comment=hello\n"), 10},
		{"unknown field after the choices", online + "comment=hello\n", 11},
		{"unknown field first", insertLine(online, 2, "version=1\n"), 2},
		{"line without equals sign", insertLine(online, 10, "choice.m0\n"), 10},
		{"line starting with equals sign", insertLine(online, 10, "=AGREE\n"), 10},
		{"uppercase name", replace(online, "voter=", "VOTER="), 4},
		{"space before equals sign", replace(online, "voter=", "voter ="), 4},
		{"space after equals sign", replace(online, "voter=", "voter= "), 4},
		{"leading space", replace(online, "\nvoter=", "\n voter="), 4},
		{"trailing space", replace(online, "owner-0001\n", "owner-0001 \n"), 4},
		{"trailing tab", replace(online, "AGREE\n", "AGREE\t\n"), 10},
		{"empty value", replace(online, "voter=owner-0001", "voter="), 4},
		{"quoted value", replace(online, "voter=owner-0001", `voter="owner-0001"`), 4},
		{"uppercase hex in roll", replace(online, "roll=5afa", "roll=5AFA"), 3},
		{"uppercase hex in key", replace(online, "key=2bf9", "key=2BF9"), 7},
		{"short nonce", replace(online, "nonce=1f42", "nonce=1f4"), 8},
		{"unknown channel", replace(online, "channel=ONLINE", "channel=EMAIL"), 5},
		{"lowercase channel", replace(online, "channel=ONLINE", "channel=online"), 5},
		{"signer not the channel's", replace(online, "signer=OWNER", "signer=STAFF"), 6},
		{"time with offset", replace(online, "2026-05-08T01:30:00Z", "2026-05-08T09:30:00+08:00"), 9},
		{"time with +00:00", replace(online, "2026-05-08T01:30:00Z", "2026-05-08T01:30:00+00:00"), 9},
		{"time with lowercase z", replace(online, "01:30:00Z", "01:30:00z"), 9},
		{"time with lowercase t", replace(online, "08T01", "08t01"), 9},
		{"time with space", replace(online, "08T01", "08 01"), 9},
		{"time with milliseconds", replace(online, "01:30:00Z", "01:30:00.000Z"), 9},
		{"time without seconds", replace(online, "01:30:00Z", "01:30Z"), 9},
		{"time as unix seconds", replace(online, "2026-05-08T01:30:00Z", "1778203800"), 9},
		{"time 30 February", replace(online, "2026-05-08", "2026-02-30"), 9},
		{"time hour 24", replace(online, "T01:30:00Z", "T24:00:00Z"), 9},
		{"time leap second", replace(online, "T01:30:00Z", "T23:59:60Z"), 9},
		{"time before 1970", replace(online, "2026-05-08T01:30:00Z", "1969-12-31T23:59:59Z"), 9},
		{"time with full-width digits", replace(online, "2026-05-08", "２０２６-05-08"), 9},
		{"no choices", deleteLine(online, 10), 10},
		{"choices before time", swapLines(online, 9, 10), 9},
		{"unsorted choices", swapLines(paper, 15, 16), 16},
		{"duplicate choice", insertLine(online, 10, "choice.m1=OPPOSE\n"), 11},
		{"unsorted values", replace(committee, "cand-03,cand-07", "cand-07,cand-03"), 10},
		{"duplicate values", replace(committee, "cand-03,cand-07", "cand-03,cand-03"), 10},
		{"space after comma", replace(committee, "cand-03,cand-07", "cand-03, cand-07"), 10},
		{"trailing comma", replace(online, "AGREE\n", "AGREE,\n"), 10},
		{"keyword with an option", replace(committee, "cand-03,", "ABSTAIN,cand-03,"), 10},
		{"two keywords", replace(online, "AGREE\n", "AGREE,OPPOSE\n"), 10},
		{"empty motion id", replace(online, "choice.m1=", "choice.="), 10},
		{"motion id with a space", replace(online, "choice.m1=", "choice.m 1="), 10},
		{"choice without dot", replace(online, "choice.m1=", "choicem1="), 10},
		{"attestation on online", insertLine(online, 10, "attestation.staff=staff-li\n"), 10},
		{"platform vote id on online", insertLine(online, 10, "platform_vote_id=v1\n"), 10},
		{"platform vote id missing", deleteLine(platform, 10), 10},
		{"proxy authorization on platform", insertLine(platform, 11, "proxy_authorization="+hex64+"\n"), 11},
		{"phone missing", deleteLine(phone, 12), 12},
		{"empty note", replace(phone, "attestation.note=业主本人接听，同意选聘青岛天泰爱家物业服务有限公司", "attestation.note="), 13},
		{"note after recording", swapLines(phone, 13, 14), 14},
		{"note with trailing space", replace(phone, "有限公司\n", "有限公司 \n"), 13},
		{"note with trailing ideographic space", replace(phone, "有限公司\n", "有限公司\u3000\n"), 13},
		{"note with line separator", replace(phone, "同意", "同\u2028意"), 13},
		{"note with vertical tab", replace(phone, "同意", "同\v意"), 13},
		{"note with NUL", replace(phone, "同意", "同\x00意"), 13},
		{"note not UTF-8", replace(phone, "同意", "同\xff意"), 13},
		{"note with overlong UTF-8", replace(phone, "同意", "同\xc0\xaf意"), 13},
		{"note with surrogate", replace(phone, "同意", "同\xed\xa0\x80意"), 13},
		{"note on paper", insertLine(paper, 12, "attestation.note=收到\n"), 12},
		{"note missing on visit", deleteLine(visit, 12), 12},
		{"recording uppercase", replace(phone, "recording=0ea3", "recording=0EA3"), 14},
		{"phone on visit", insertLine(visit, 12, "attestation.phone=138****5678\n"), 12},
		{"full phone number", replace(phone, "138****5678", "13812345678"), 12},
		{"attestation time with fraction", replace(phone, "attestation.time=2026-05-08T02:10:00Z", "attestation.time=2026-05-08T02:10:00.5Z"), 11},
		{"paper serial missing", deleteLine(paper, 12), 12},
		{"scan missing", deleteLine(paper, 13), 13},
		{"NUL byte", replace(online, "owner-0001", "owner\x00-0001"), 4},
		{"too large", online + strings.Repeat("choice.x=AGREE\n", 65536/15), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ballot.Parse([]byte(tt.in))
			if !errors.Is(err, ballot.ErrMalformed) {
				t.Fatalf("Parse(%q) = %+v, %v, want ErrMalformed", tt.in, b, err)
			}
			var pe *ballot.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse() = %v, want a *ParseError", err)
			}
			if tt.line >= 0 && pe.Line != tt.line {
				t.Errorf("Parse() = %v, on line %d, want line %d", err, pe.Line, tt.line)
			}
			// What an integrator's mistake is called, where the pitfalls
			// of docs/ballot-format.md §14 are concerned.
			if want, ok := parseMessages[tt.name]; ok && !strings.Contains(err.Error(), want) {
				t.Errorf("Parse() = %v, want it to say %q", err, want)
			}
		})
	}
}

var parseMessages = map[string]string{
	"CRLF":           "contains a carriage return",
	"CR on one line": "contains a carriage return",
	"blank line":     "empty line",
	"note not UTF-8": "not valid UTF-8",
}

func TestParseReturnsSortedBallot(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			c, err := s.ballot.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ballot.Parse(c)
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if diff := cmp.Diff(normalized(s.ballot), got); diff != "" {
				t.Errorf("Parse(Canonical(b)) differs from b (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseNeighbourhood changes every vector in many small ways (each byte
// replaced, each line deleted, repeated or swapped with the next): Parse must
// refuse each change with ErrMalformed, or return a ballot whose canonical
// form is the changed input itself.
func TestParseNeighbourhood(t *testing.T) {
	check := func(t *testing.T, in string) {
		t.Helper()
		b, err := ballot.Parse([]byte(in))
		if err != nil {
			if !errors.Is(err, ballot.ErrMalformed) {
				t.Fatalf("Parse(%q) = %v, want ErrMalformed", in, err)
			}
			return
		}
		c, err := b.Canonical()
		if err != nil || string(c) != in {
			t.Fatalf("Parse(%q) accepted it, but Canonical() = %q, %v", in, c, err)
		}
	}
	replacements := []byte{0, '\t', '\n', '\r', ' ', ',', '-', '.', '0', '9', ':', '=', 'A', 'Z', '_', 'a', 'f', 'g', 'z', 0x7f, 0x80, 0xc3, 0xff}
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			in := canonicalOf(t, s.name)
			for i := 0; i < len(in); i++ {
				for _, r := range replacements {
					check(t, in[:i]+string([]byte{r})+in[i+1:])
				}
				check(t, in[:i]+in[i+1:])
			}
			for i := 1; i <= strings.Count(in, "\n"); i++ {
				check(t, deleteLine(in, i))
				check(t, insertLine(in, i, lines(in)[i-1]))
				if i < strings.Count(in, "\n") {
					check(t, swapLines(in, i, i+1))
				}
			}
		})
	}
}
