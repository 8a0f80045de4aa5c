package ballot_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/ballot"
)

// modified returns a fresh copy of sample name changed by f.
func modified(name string, f func(b *ballot.Ballot)) *ballot.Ballot {
	b := sampleNamed(name).ballot
	f(b)
	return b
}

var beijing = time.FixedZone("CST", 8*3600)

func manyChoices(n, values, valueLen int) []ballot.Choice {
	out := make([]ballot.Choice, n)
	for i := range out {
		out[i].Motion = fmt.Sprintf("m%03d", i)
		for j := 0; j < values; j++ {
			v := fmt.Sprintf("o%03d-", j)
			out[i].Values = append(out[i].Values, v+strings.Repeat("x", valueLen-len(v)))
		}
	}
	return out
}

func TestValidateRejects(t *testing.T) {
	hex64 := strings.Repeat("a", 64)
	tests := []struct {
		name  string
		b     *ballot.Ballot
		field string
	}{
		{"assembly empty", modified("online", func(b *ballot.Ballot) { b.Assembly = "" }), "assembly"},
		{"assembly 65 characters", modified("online", func(b *ballot.Ballot) { b.Assembly = strings.Repeat("a", 65) }), "assembly"},
		{"assembly with a space", modified("online", func(b *ballot.Ballot) { b.Assembly = "asm 1" }), "assembly"},
		{"assembly with a slash", modified("online", func(b *ballot.Ballot) { b.Assembly = "asm/1" }), "assembly"},
		{"assembly with an equals sign", modified("online", func(b *ballot.Ballot) { b.Assembly = "a=b" }), "assembly"},
		{"assembly not ASCII", modified("online", func(b *ballot.Ballot) { b.Assembly = "业主大会" }), "assembly"},
		{"roll empty", modified("online", func(b *ballot.Ballot) { b.RollDigest = "" }), "roll"},
		{"roll 63 digits", modified("online", func(b *ballot.Ballot) { b.RollDigest = hex64[:63] }), "roll"},
		{"roll uppercase", modified("online", func(b *ballot.Ballot) { b.RollDigest = strings.ToUpper(b.RollDigest) }), "roll"},
		{"roll not hex", modified("online", func(b *ballot.Ballot) { b.RollDigest = strings.Repeat("g", 64) }), "roll"},
		{"voter empty", modified("online", func(b *ballot.Ballot) { b.Voter = "" }), "voter"},
		{"voter with a comma", modified("online", func(b *ballot.Ballot) { b.Voter = "a,b" }), "voter"},
		{"channel empty", modified("online", func(b *ballot.Ballot) { b.Channel = "" }), "channel"},
		{"channel unknown", modified("online", func(b *ballot.Ballot) { b.Channel = "EMAIL" }), "channel"},
		{"channel lowercase", modified("online", func(b *ballot.Ballot) { b.Channel = "online" }), "channel"},
		{"signer empty", modified("online", func(b *ballot.Ballot) { b.Signer = "" }), "signer"},
		{"signer not the channel's", modified("online", func(b *ballot.Ballot) { b.Signer = ballot.SignerStaff }), "signer"},
		{"signer unknown", modified("online", func(b *ballot.Ballot) { b.Signer = "ADMIN" }), "signer"},
		{"staff signer on proxy", modified("proxy", func(b *ballot.Ballot) { b.Signer = ballot.SignerStaff }), "signer"},
		{"key empty", modified("online", func(b *ballot.Ballot) { b.KeyID = "" }), "key"},
		{"key 64 digits", modified("online", func(b *ballot.Ballot) { b.KeyID = hex64 }), "key"},
		{"key uppercase", modified("online", func(b *ballot.Ballot) { b.KeyID = strings.ToUpper(b.KeyID) }), "key"},
		{"nonce empty", modified("online", func(b *ballot.Ballot) { b.Nonce = "" }), "nonce"},
		{"nonce 31 digits", modified("online", func(b *ballot.Ballot) { b.Nonce = b.Nonce[:31] }), "nonce"},
		{"time zero", modified("online", func(b *ballot.Ballot) { b.Time = time.Time{} }), "time"},
		{"time not UTC", modified("online", func(b *ballot.Ballot) { b.Time = b.Time.In(beijing) }), "time"},
		{"time fractional", modified("online", func(b *ballot.Ballot) { b.Time = b.Time.Add(time.Millisecond) }), "time"},
		{"time before 1970", modified("online", func(b *ballot.Ballot) { b.Time = at("1969-12-31T23:59:59Z") }), "time"},
		{"time after 9999", modified("online", func(b *ballot.Ballot) { b.Time = at("9999-12-31T23:59:59Z").Add(time.Second) }), "time"},
		{"platform vote id missing", modified("platform", func(b *ballot.Ballot) { b.PlatformVoteID = "" }), "platform_vote_id"},
		{"platform vote id bad", modified("platform", func(b *ballot.Ballot) { b.PlatformVoteID = "vote 1" }), "platform_vote_id"},
		{"platform vote id on online", modified("online", func(b *ballot.Ballot) { b.PlatformVoteID = "v1" }), "platform_vote_id"},
		{"proxy authorization missing", modified("proxy", func(b *ballot.Ballot) { b.ProxyAuthorization = "" }), "proxy_authorization"},
		{"proxy authorization bad", modified("proxy", func(b *ballot.Ballot) { b.ProxyAuthorization = "abc" }), "proxy_authorization"},
		{"proxy authorization on platform", modified("platform", func(b *ballot.Ballot) { b.ProxyAuthorization = hex64 }), "proxy_authorization"},
		{"attestation missing on phone", modified("phone", func(b *ballot.Ballot) { b.Attestation = nil }), "attestation"},
		{"attestation missing on visit", modified("visit", func(b *ballot.Ballot) { b.Attestation = nil }), "attestation"},
		{"attestation missing on paper", modified("paper", func(b *ballot.Ballot) { b.Attestation = nil }), "attestation"},
		{"attestation on online", modified("online", func(b *ballot.Ballot) { b.Attestation = sampleNamed("visit").ballot.Attestation }), "attestation"},
		{"attestation on platform", modified("platform", func(b *ballot.Ballot) { b.Attestation = &ballot.Attestation{} }), "attestation"},
		{"attestation on proxy", modified("proxy", func(b *ballot.Ballot) { b.Attestation = sampleNamed("paper").ballot.Attestation }), "attestation"},
		{"staff empty", modified("phone", func(b *ballot.Ballot) { b.Attestation.StaffID = "" }), "attestation.staff"},
		{"staff bad", modified("paper", func(b *ballot.Ballot) { b.Attestation.StaffID = "李" }), "attestation.staff"},
		{"attestation time zero", modified("visit", func(b *ballot.Ballot) { b.Attestation.At = time.Time{} }), "attestation.time"},
		{"attestation time not UTC", modified("phone", func(b *ballot.Ballot) { b.Attestation.At = b.Attestation.At.In(beijing) }), "attestation.time"},
		{"attestation time fractional", modified("paper", func(b *ballot.Ballot) { b.Attestation.At = b.Attestation.At.Add(time.Nanosecond) }), "attestation.time"},
		{"phone missing", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "" }), "attestation.phone"},
		{"phone on visit", modified("visit", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "138****5678" }), "attestation.phone"},
		{"phone on paper", modified("paper", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "138****5678" }), "attestation.phone"},
		{"phone full number", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "13812345678" }), "attestation.phone"},
		{"phone 3 stars", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "138***45678" }), "attestation.phone"},
		{"phone 9 digits", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "13812****56789" }), "attestation.phone"},
		{"phone full number after stars", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "****13812345678" }), "attestation.phone"},
		{"phone 6 characters", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "1****8" }), "attestation.phone"},
		{"phone 16 characters", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "****************" }), "attestation.phone"},
		{"phone with dashes", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "138-****-5678" }), "attestation.phone"},
		{"phone with a plus", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "+86****5678" }), "attestation.phone"},
		{"note missing on visit", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "" }), "attestation.note"},
		{"note on paper", modified("paper", func(b *ballot.Ballot) { b.Attestation.Note = "收到" }), "attestation.note"},
		{"note 501 bytes", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = strings.Repeat("访", 167) }), "attestation.note"},
		{"note with newline", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\nchoice.m1=OPPOSE" }), "attestation.note"},
		{"note with carriage return", modified("phone", func(b *ballot.Ballot) { b.Attestation.Note = "a\rb" }), "attestation.note"},
		{"note with tab", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\tb" }), "attestation.note"},
		{"note with NUL", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\x00b" }), "attestation.note"},
		{"note with DEL", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\x7fb" }), "attestation.note"},
		{"note with NEL", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\u0085b" }), "attestation.note"},
		{"note with line separator", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\u2028b" }), "attestation.note"},
		{"note with paragraph separator", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\u2029b" }), "attestation.note"},
		{"note with right-to-left override", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\u202eb" }), "attestation.note"},
		{"note with isolate", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\u2067b" }), "attestation.note"},
		{"note with byte order mark", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "\ufeffab" }), "attestation.note"},
		{"note not UTF-8", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "a\xffb" }), "attestation.note"},
		{"note leading space", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = " ab" }), "attestation.note"},
		{"note trailing space", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "ab " }), "attestation.note"},
		{"note trailing ideographic space", modified("phone", func(b *ballot.Ballot) { b.Attestation.Note = "同意\u3000" }), "attestation.note"},
		{"note only a no-break space", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "\u00a0" }), "attestation.note"},
		{"recording bad", modified("phone", func(b *ballot.Ballot) { b.Attestation.RecordingSHA256 = strings.ToUpper(hex64) }), "attestation.recording"},
		{"recording on paper", modified("paper", func(b *ballot.Ballot) { b.Attestation.RecordingSHA256 = hex64 }), "attestation.recording"},
		{"paper serial missing", modified("paper", func(b *ballot.Ballot) { b.Attestation.PaperSerial = "" }), "attestation.paper_serial"},
		{"paper serial bad", modified("paper", func(b *ballot.Ballot) { b.Attestation.PaperSerial = "No. 57" }), "attestation.paper_serial"},
		{"paper serial on visit", modified("visit", func(b *ballot.Ballot) { b.Attestation.PaperSerial = "P-1" }), "attestation.paper_serial"},
		{"scan missing", modified("paper", func(b *ballot.Ballot) { b.Attestation.ScanSHA256 = "" }), "attestation.scan"},
		{"scan bad", modified("paper", func(b *ballot.Ballot) { b.Attestation.ScanSHA256 = hex64 + "0" }), "attestation.scan"},
		{"scan on phone", modified("phone", func(b *ballot.Ballot) { b.Attestation.ScanSHA256 = hex64 }), "attestation.scan"},
		{"no choices", modified("online", func(b *ballot.Ballot) { b.Choices = nil }), "choice"},
		{"257 choices", modified("online", func(b *ballot.Ballot) { b.Choices = manyChoices(257, 1, 8) }), "choice"},
		{"canonical over 64 KiB", modified("online", func(b *ballot.Ballot) { b.Choices = manyChoices(256, 256, 64) }), "choice"},
		{"motion empty", modified("online", func(b *ballot.Ballot) { b.Choices[0].Motion = "" }), "choice[0].motion"},
		{"motion with an equals sign", modified("online", func(b *ballot.Ballot) { b.Choices[0].Motion = "m=1" }), "choice[0].motion"},
		{"motion with a dot and a space", modified("online", func(b *ballot.Ballot) { b.Choices[0].Motion = "m. 1" }), "choice[0].motion"},
		{"motion twice", modified("paper", func(b *ballot.Ballot) { b.Choices[2].Motion = "m1" }), "choice.m1"},
		{"no values", modified("online", func(b *ballot.Ballot) { b.Choices[0].Values = nil }), "choice.m1"},
		{"257 values", modified("committee", func(b *ballot.Ballot) { b.Choices = manyChoices(1, 257, 6) }), "choice.m000"},
		{"empty value", modified("online", func(b *ballot.Ballot) { b.Choices[0].Values = []string{""} }), "choice.m1"},
		{"value with a comma", modified("committee", func(b *ballot.Ballot) { b.Choices[0].Values = []string{"cand-01,cand-02"} }), "choice.committee"},
		{"keyword with an option", modified("committee", func(b *ballot.Ballot) { b.Choices[0].Values = []string{"cand-01", ballot.Abstain} }), "choice.committee"},
		{"two keywords", modified("online", func(b *ballot.Ballot) { b.Choices[0].Values = []string{ballot.Agree, ballot.Oppose} }), "choice.m1"},
		{"same keyword twice", modified("online", func(b *ballot.Ballot) { b.Choices[0].Values = []string{ballot.Agree, ballot.Agree} }), "choice.m1"},
		{"same option twice", modified("committee", func(b *ballot.Ballot) { b.Choices[0].Values = []string{"cand-03", "cand-07", "cand-03"} }), "choice.committee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if !errors.Is(err, ballot.ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			var fe *ballot.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("Validate() = %v, want a FieldError for field %s", err, tt.field)
			}
			if c, err := tt.b.Canonical(); !errors.Is(err, ballot.ErrInvalid) {
				t.Errorf("Canonical() = %q, %v, want ErrInvalid", c, err)
			}
			if tt.field != "key" {
				key := testKey("owner-0001")
				tt.b.KeyID = ballot.KeyID(pubOf(key))
				if _, _, err := ballot.Sign(tt.b, key); !errors.Is(err, ballot.ErrInvalid) {
					t.Errorf("Sign() = %v, want ErrInvalid", err)
				}
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		b    *ballot.Ballot
	}{
		{"choices in any order", modified("paper", func(b *ballot.Ballot) {
			b.Choices[0], b.Choices[2] = b.Choices[2], b.Choices[0]
		})},
		{"values in any order", modified("committee", func(b *ballot.Ballot) { b.Choices[0].Values = []string{"z", "a", "M"} })},
		{"a lowercase keyword is an option id", modified("online", func(b *ballot.Ballot) { b.Choices[0].Values = []string{"agree"} })},
		{"one option", modified("online", func(b *ballot.Ballot) { b.Choices[0].Values = []string{"firm-a"} })},
		{"ids of 64 characters with every allowed character", modified("online", func(b *ballot.Ballot) {
			id := "AZaz09._:-" + strings.Repeat("x", 54)
			b.Assembly, b.Voter, b.Choices[0].Motion, b.Choices[0].Values = id, id, id, []string{id}
		})},
		{"developer voter", modified("online", func(b *ballot.Ballot) { b.Voter = ballot.DeveloperVoter })},
		{"phone without note or recording", modified("phone", func(b *ballot.Ballot) { b.Attestation.Note, b.Attestation.RecordingSHA256 = "", "" })},
		{"phone masked landline", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "0532****1234" })},
		{"phone all stars", modified("phone", func(b *ballot.Ballot) { b.Attestation.MaskedPhone = "*******" })},
		{"visit with recording", modified("visit", func(b *ballot.Ballot) { b.Attestation.RecordingSHA256 = strings.Repeat("0", 64) })},
		{"note of 500 bytes", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = strings.Repeat("访", 166) + "ab" })},
		{"note with equals, comma and inner spaces", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "choice.m1=OPPOSE, 不是 选择\u3000!" })},
		{"note with emoji and joiner", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "👨\u200d👩\u200d👧 全家同意" })},
		{"note decomposed, not normalised", modified("visit", func(b *ballot.Ballot) { b.Attestation.Note = "Zoe\u0301" })},
		{"earliest time", modified("online", func(b *ballot.Ballot) { b.Time = at("1970-01-01T00:00:00Z") })},
		{"latest time", modified("online", func(b *ballot.Ballot) { b.Time = at("9999-12-31T23:59:59Z") })},
		{"256 choices", modified("online", func(b *ballot.Ballot) { b.Choices = manyChoices(256, 1, 8) })},
		{"256 values", modified("committee", func(b *ballot.Ballot) { b.Choices = manyChoices(1, 256, 8) })},
	}
	for _, s := range samples() {
		tests = append(tests, struct {
			name string
			b    *ballot.Ballot
		}{"sample " + s.name, s.ballot})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.b.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			c, err := tt.b.Canonical()
			if err != nil {
				t.Fatalf("Canonical() = %v", err)
			}
			if _, err := ballot.Parse(c); err != nil {
				t.Errorf("Parse(Canonical()) = %v", err)
			}
		})
	}
}

func TestChannelSigner(t *testing.T) {
	for c, want := range map[ballot.Channel]ballot.SignerRole{
		ballot.Online:   ballot.SignerOwner,
		ballot.Platform: ballot.SignerPlatform,
		ballot.Phone:    ballot.SignerStaff,
		ballot.Visit:    ballot.SignerStaff,
		ballot.Paper:    ballot.SignerStaff,
		ballot.Proxy:    ballot.SignerProxy,
		"EMAIL":         "",
		"":              "",
	} {
		if got := c.Signer(); got != want {
			t.Errorf("Channel(%q).Signer() = %q, want %q", c, got, want)
		}
	}
}

// TestCanonicalOrderIndependent checks that the order of choices and values
// does not change the canonical bytes, and that Canonical does not reorder
// the caller's slices.
func TestCanonicalOrderIndependent(t *testing.T) {
	a := sampleNamed("paper").ballot
	b := sampleNamed("paper").ballot
	b.Choices[0], b.Choices[1], b.Choices[2] = b.Choices[2], b.Choices[0], b.Choices[1]
	b.Choices[1].Values = []string{"opt-b", "opt-a"}
	a.Choices[0].Values = []string{"opt-a", "opt-b"}
	ca, err := a.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if string(ca) != string(cb) {
		t.Errorf("Canonical() depends on the order of choices:\n%s\n%s", ca, cb)
	}
	if b.Choices[0].Motion != "m10" || b.Choices[1].Values[0] != "opt-b" {
		t.Errorf("Canonical() reordered the caller's choices: %+v", b.Choices)
	}
}

// A note with a phone or identity number is not signed, but it is no
// breach of the format: ballots signed before the rule still parse and
// verify.
func TestSignRefusesNumbersInNotes(t *testing.T) {
	s := sampleNamed("visit")
	s.ballot.Attestation.Note = "业主手机 138-1234-5678，当面表决"
	_, _, err := ballot.Sign(s.ballot, testKey(s.key))
	var fe *ballot.FieldError
	if !errors.As(err, &fe) || fe.Field != "attestation.note" {
		t.Fatalf("Sign(note with a phone number) = %v, want a field error on attestation.note", err)
	}
	canonical, err := s.ballot.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ballot.Verify(canonical, ballot.SignBytes(testKey(s.key), canonical), pubOf(testKey(s.key))); err != nil {
		t.Errorf("a ballot signed before the rule, with a number in its note: Verify = %v, want it to verify", err)
	}
}
