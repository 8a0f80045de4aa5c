package ballot_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownervote/ownervote/ballot"
)

func modifiedReceipt(f func(r *ballot.Receipt)) *ballot.Receipt {
	r := sampleReceipt()
	f(r)
	return r
}

func TestReceiptValidateRejects(t *testing.T) {
	tests := []struct {
		name  string
		r     *ballot.Receipt
		field string
	}{
		{"ballot id missing", modifiedReceipt(func(r *ballot.Receipt) { r.BallotID = "" }), "ballot_id"},
		{"ballot id uppercase", modifiedReceipt(func(r *ballot.Receipt) { r.BallotID = strings.ToUpper(r.BallotID) }), "ballot_id"},
		{"assembly missing", modifiedReceipt(func(r *ballot.Receipt) { r.Assembly = "" }), "assembly"},
		{"assembly bad", modifiedReceipt(func(r *ballot.Receipt) { r.Assembly = "a b" }), "assembly"},
		{"seq zero", modifiedReceipt(func(r *ballot.Receipt) { r.Seq = 0 }), "seq"},
		{"status empty", modifiedReceipt(func(r *ballot.Receipt) { r.Status = "" }), "status"},
		{"status unknown", modifiedReceipt(func(r *ballot.Receipt) { r.Status = "SUPERSEDED" }), "status"},
		{"status lowercase", modifiedReceipt(func(r *ballot.Receipt) { r.Status = "accepted" }), "status"},
		{"received zero", modifiedReceipt(func(r *ballot.Receipt) { r.Received = time.Time{} }), "received"},
		{"received not UTC", modifiedReceipt(func(r *ballot.Receipt) { r.Received = r.Received.In(beijing) }), "received"},
		{"received with microseconds", modifiedReceipt(func(r *ballot.Receipt) { r.Received = r.Received.Add(time.Microsecond) }), "received"},
		{"server key missing", modifiedReceipt(func(r *ballot.Receipt) { r.ServerKeyID = "" }), "server_key"},
		{"server key too long", modifiedReceipt(func(r *ballot.Receipt) { r.ServerKeyID += "00" }), "server_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			var fe *ballot.FieldError
			if !errors.Is(err, ballot.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate() = %v, want ErrInvalid for field %s", err, tt.field)
			}
			if _, err := tt.r.Canonical(); !errors.Is(err, ballot.ErrInvalid) {
				t.Errorf("Canonical() = %v, want ErrInvalid", err)
			}
			if tt.field != "server_key" {
				if _, _, err := ballot.SignReceipt(tt.r, testKey("server")); !errors.Is(err, ballot.ErrInvalid) {
					t.Errorf("SignReceipt() = %v, want ErrInvalid", err)
				}
			}
		})
	}
}

func TestReceiptCanonical(t *testing.T) {
	r := sampleReceipt()
	r.Received = at("2026-05-08T01:30:01Z")
	r.Seq = 1234567
	c, err := r.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nreceived=2026-05-08T01:30:01.000Z\n", "\nseq=1234567\n"} {
		if !strings.Contains(string(c), want) {
			t.Errorf("Canonical() = %q, want it to contain %q", c, want)
		}
	}
}

func TestParseReceiptRejects(t *testing.T) {
	good, err := sampleReceipt().Canonical()
	if err != nil {
		t.Fatal(err)
	}
	rc := string(good)
	tests := []struct {
		name string
		in   string
		line int
	}{
		{"empty", "", 1},
		{"ballot header", replace(rc, "ownervote-receipt/1", "ownervote-ballot/1"), 1},
		{"missing final newline", strings.TrimSuffix(rc, "\n"), 7},
		{"CRLF", strings.ReplaceAll(rc, "\n", "\r\n"), 1},
		{"reordered", swapLines(rc, 2, 3), 2},
		{"duplicate line", insertLine(rc, 5, "seq=1\n"), 5},
		{"missing line", deleteLine(rc, 7), 7},
		{"extra line", rc + "note=x\n", 8},
		{"seq zero", replace(rc, "seq=1", "seq=0"), 4},
		{"seq with leading zero", replace(rc, "seq=1", "seq=01"), 4},
		{"seq with sign", replace(rc, "seq=1", "seq=+1"), 4},
		{"seq negative", replace(rc, "seq=1", "seq=-1"), 4},
		{"seq too large", replace(rc, "seq=1", "seq=18446744073709551616"), 4},
		{"seq hex", replace(rc, "seq=1", "seq=0x1"), 4},
		{"seq with underscore", replace(rc, "seq=1", "seq=1_0"), 4},
		{"status unknown", replace(rc, "ACCEPTED", "REFUSED"), 5},
		{"received without milliseconds", replace(rc, "01:30:01.250Z", "01:30:01Z"), 6},
		{"received with 2 digits", replace(rc, "01:30:01.250Z", "01:30:01.25Z"), 6},
		{"received with 6 digits", replace(rc, "01:30:01.250Z", "01:30:01.250000Z"), 6},
		{"received with offset", replace(rc, "01:30:01.250Z", "09:30:01.250+08:00"), 6},
		{"received with comma", replace(rc, "01:30:01.250Z", "01:30:01,250Z"), 6},
		{"uppercase ballot id", replace(rc, "ballot_id=0dfa", "ballot_id=0DFA"), 2},
		{"trailing space", replace(rc, "ACCEPTED\n", "ACCEPTED \n"), 5},
		{"too large", rc + strings.Repeat("x", 1024), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ballot.ParseReceipt([]byte(tt.in))
			var pe *ballot.ParseError
			if !errors.Is(err, ballot.ErrMalformed) || !errors.As(err, &pe) {
				t.Fatalf("ParseReceipt(%q) = %+v, %v, want ErrMalformed", tt.in, r, err)
			}
			if pe.Line != tt.line {
				t.Errorf("ParseReceipt() = %v, on line %d, want line %d", err, pe.Line, tt.line)
			}
			if strings.HasPrefix(tt.name, "seq ") && tt.name != "seq zero" && tt.name != "seq with leading zero" && !strings.Contains(err.Error(), "is not a decimal number") {
				t.Errorf("ParseReceipt() = %v, want it to say the seq is not a decimal number", err)
			}
		})
	}
}

func TestSignVerifyReceipt(t *testing.T) {
	r := sampleReceipt()
	server := testKey("server")
	canonical, sig, err := ballot.SignReceipt(r, server)
	if err != nil {
		t.Fatalf("SignReceipt() = %v", err)
	}
	got, err := ballot.VerifyReceipt(canonical, sig, pubOf(server))
	if err != nil {
		t.Fatalf("VerifyReceipt() = %v", err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("VerifyReceipt() differs (-want +got):\n%s", diff)
	}
	if _, _, err := ballot.SignReceipt(r, testKey("owner-0001")); !errors.Is(err, ballot.ErrWrongKey) {
		t.Errorf("SignReceipt() with another key = %v, want ErrWrongKey", err)
	}

	// A ballot signature is never a receipt signature: the domain
	// separators differ, so the bytes differ.
	bc, bsig, bpub := signed(t, "online")
	if _, err := ballot.VerifyReceipt(bc, bsig, bpub); !errors.Is(err, ballot.ErrMalformed) {
		t.Errorf("VerifyReceipt(ballot) = %v, want ErrMalformed", err)
	}
	if _, err := ballot.Verify(canonical, sig, pubOf(server)); !errors.Is(err, ballot.ErrMalformed) {
		t.Errorf("Verify(receipt) = %v, want ErrMalformed", err)
	}

	seqAt := bytes.Index(canonical, []byte("seq=1")) + len("seq=")
	tests := []struct {
		name      string
		canonical []byte
		sig       []byte
		want      error
	}{
		{"seq changed", append(append(bytes.Clone(canonical[:seqAt]), '2'), canonical[seqAt+1:]...), sig, ballot.ErrBadSignature},
		{"truncated signature", canonical, sig[:32], ballot.ErrBadSignature},
		{"signature flipped", canonical, append(bytes.Clone(sig[:63]), sig[63]^1), ballot.ErrBadSignature},
	}
	for _, tt := range tests {
		if _, err := ballot.VerifyReceipt(tt.canonical, tt.sig, pubOf(server)); !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyReceipt() = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := ballot.VerifyReceipt(canonical, sig, pubOf(testKey("owner-0001"))); !errors.Is(err, ballot.ErrWrongKey) {
		t.Errorf("VerifyReceipt() with another key = %v, want ErrWrongKey", err)
	}
	if _, err := ballot.VerifyReceipt(canonical, sig, nil); !errors.Is(err, ballot.ErrWrongKey) {
		t.Errorf("VerifyReceipt() without key = %v, want ErrWrongKey", err)
	}
}
