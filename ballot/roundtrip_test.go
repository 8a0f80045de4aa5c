package ballot_test

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/ownervote/ownervote/ballot"
)

// normalized returns a copy of b with its choices sorted by motion and its
// values sorted, as Parse returns them.
func normalized(b *ballot.Ballot) *ballot.Ballot {
	n := *b
	if b.Attestation != nil {
		a := *b.Attestation
		n.Attestation = &a
	}
	n.Choices = nil
	for _, c := range b.Choices {
		v := slices.Clone(c.Values)
		slices.Sort(v)
		n.Choices = append(n.Choices, ballot.Choice{Motion: c.Motion, Values: v})
	}
	slices.SortFunc(n.Choices, func(x, y ballot.Choice) int { return cmp.Compare(x.Motion, y.Motion) })
	return &n
}

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"

// noteRunes are the characters random notes are made of: ASCII, the
// separators of the format, Chinese, full-width punctuation, white space
// allowed inside, an emoji and a joiner.
var noteRunes = []rune("aZ09=,.:-_ 业主同意反对弃权号楼单元，。！\u3000\u00a0\u200d😀é\u0301")

type randomBallots struct{ r *rand.Rand }

func (g randomBallots) id() string {
	b := make([]byte, 1+g.r.IntN(64))
	for i := range b {
		b[i] = idChars[g.r.IntN(len(idChars))]
	}
	return string(b)
}

func (g randomBallots) hex(n int) string {
	b := make([]byte, n/2)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return hex.EncodeToString(b)
}

func (g randomBallots) time() time.Time {
	// Between 1970 and 9999, whole seconds, UTC.
	return time.Unix(g.r.Int64N(253402300800), 0).UTC()
}

func (g randomBallots) note() string {
	for {
		var b strings.Builder
		n := 1 + g.r.IntN(160)
		for i := 0; i < n; i++ {
			b.WriteRune(noteRunes[g.r.IntN(len(noteRunes))])
		}
		s := b.String()
		for len(s) > ballot.MaxNoteBytes {
			_, size := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-size]
		}
		s = strings.Trim(s, " \u3000\u00a0")
		if s != "" {
			return s
		}
	}
}

func (g randomBallots) maskedPhone() string {
	for {
		n := 7 + g.r.IntN(9)
		b := make([]byte, n)
		stars, digits := 0, 0
		for i := range b {
			if g.r.IntN(2) == 0 {
				b[i], stars = '*', stars+1
			} else {
				b[i], digits = byte('0'+g.r.IntN(10)), digits+1
			}
		}
		if stars >= 4 && digits <= 8 {
			return string(b)
		}
	}
}

func (g randomBallots) choices() []ballot.Choice {
	n := 1 + g.r.IntN(8)
	seen := map[string]bool{}
	var out []ballot.Choice
	for len(out) < n {
		m := g.id()
		if seen[m] {
			continue
		}
		seen[m] = true
		var values []string
		if k := g.r.IntN(6); k < 4 {
			values = []string{[]string{ballot.Agree, ballot.Oppose, ballot.Abstain, ballot.Invalid}[k]}
		} else {
			vs := map[string]bool{}
			for i := 1 + g.r.IntN(5); i > 0; i-- {
				vs[g.id()] = true
			}
			for v := range vs {
				values = append(values, v)
			}
		}
		out = append(out, ballot.Choice{Motion: m, Values: values})
	}
	return out
}

func (g randomBallots) ballot() *ballot.Ballot {
	channels := []ballot.Channel{ballot.Online, ballot.Platform, ballot.Phone, ballot.Visit, ballot.Paper, ballot.Proxy}
	ch := channels[g.r.IntN(len(channels))]
	b := &ballot.Ballot{
		Assembly:   g.id(),
		RollDigest: g.hex(64),
		Voter:      g.id(),
		Channel:    ch,
		Signer:     ch.Signer(),
		KeyID:      g.hex(32),
		Nonce:      g.hex(32),
		Time:       g.time(),
		Choices:    g.choices(),
	}
	maybe := func(s string) string {
		if g.r.IntN(2) == 0 {
			return ""
		}
		return s
	}
	switch ch {
	case ballot.Platform:
		b.PlatformVoteID = g.id()
	case ballot.Proxy:
		b.ProxyAuthorization = g.hex(64)
	case ballot.Phone:
		b.Attestation = &ballot.Attestation{StaffID: g.id(), At: g.time(), MaskedPhone: g.maskedPhone(), Note: maybe(g.note()), RecordingSHA256: maybe(g.hex(64))}
	case ballot.Visit:
		b.Attestation = &ballot.Attestation{StaffID: g.id(), At: g.time(), Note: g.note(), RecordingSHA256: maybe(g.hex(64))}
	case ballot.Paper:
		b.Attestation = &ballot.Attestation{StaffID: g.id(), At: g.time(), PaperSerial: g.id(), ScanSHA256: g.hex(64)}
	}
	return b
}

// TestRoundTrip checks, for random valid ballots, that Parse(Canonical(b))
// is b (choices and values sorted), that Canonical is stable and does not
// depend on the order of choices, and that the JSON form round-trips.
func TestRoundTrip(t *testing.T) {
	g := randomBallots{rand.New(rand.NewPCG(20260508, 1))}
	for i := 0; i < 1000; i++ {
		b := g.ballot()
		c, err := b.Canonical()
		if err != nil {
			t.Fatalf("Canonical(%+v) = %v", b, err)
		}
		got, err := ballot.Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", c, err)
		}
		if diff := gocmp.Diff(normalized(b), got); diff != "" {
			t.Fatalf("Parse(Canonical(b)) differs from b (-want +got):\n%s", diff)
		}
		again, err := got.Canonical()
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("Canonical(Parse(c)) = %q, %v, want %q", again, err, c)
		}
		g.r.Shuffle(len(b.Choices), func(i, j int) { b.Choices[i], b.Choices[j] = b.Choices[j], b.Choices[i] })
		if shuffled, err := b.Canonical(); err != nil || !bytes.Equal(shuffled, c) {
			t.Fatalf("Canonical() with choices shuffled = %q, %v, want %q", shuffled, err, c)
		}
		j, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("json.Marshal(%+v) = %v", got, err)
		}
		var fromJSON ballot.Ballot
		if err := json.Unmarshal(j, &fromJSON); err != nil {
			t.Fatalf("json.Unmarshal(%s) = %v", j, err)
		}
		if diff := gocmp.Diff(got, &fromJSON); diff != "" {
			t.Fatalf("JSON round trip differs (-want +got):\n%s", diff)
		}
	}
}

// TestReceiptRoundTrip checks ParseReceipt(Canonical(r)) = r for random
// receipts.
func TestReceiptRoundTrip(t *testing.T) {
	g := randomBallots{rand.New(rand.NewPCG(20260512, 2))}
	for i := 0; i < 1000; i++ {
		r := &ballot.Receipt{
			BallotID:    g.hex(64),
			Assembly:    g.id(),
			Seq:         1 + g.r.Uint64N(1<<63),
			Status:      ballot.StatusAccepted,
			Received:    time.UnixMilli(g.r.Int64N(253402300800000)).UTC(),
			ServerKeyID: g.hex(32),
		}
		if i == 0 {
			r.Seq = 1<<64 - 1
		}
		c, err := r.Canonical()
		if err != nil {
			t.Fatalf("Canonical(%+v) = %v", r, err)
		}
		got, err := ballot.ParseReceipt(c)
		if err != nil {
			t.Fatalf("ParseReceipt(%q) = %v", c, err)
		}
		if diff := gocmp.Diff(r, got); diff != "" {
			t.Fatalf("ParseReceipt(Canonical(r)) differs (-want +got):\n%s", diff)
		}
		j, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON ballot.Receipt
		if err := json.Unmarshal(j, &fromJSON); err != nil {
			t.Fatalf("json.Unmarshal(%s) = %v", j, err)
		}
		if diff := gocmp.Diff(got, &fromJSON); diff != "" {
			t.Fatalf("JSON round trip differs (-want +got):\n%s", diff)
		}
	}
}
