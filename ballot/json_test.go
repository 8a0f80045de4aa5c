package ballot_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ownervote/ownervote/ballot"
)

func TestBallotJSON(t *testing.T) {
	b := sampleNamed("phone").ballot
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"assembly":"asm-qd-2026-05-firm","roll":"` + b.RollDigest + `","voter":"owner-0003","channel":"PHONE","signer":"STAFF",` +
		`"key":"` + b.KeyID + `","nonce":"` + b.Nonce + `","time":"2026-05-08T02:12:00Z","attestation":{"staff":"staff-li",` +
		`"time":"2026-05-08T02:10:00Z","phone":"138****5678","note":"` + b.Attestation.Note + `","recording":"` + b.Attestation.RecordingSHA256 + `"},` +
		`"choice":{"m1":["AGREE"]}}`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("json.Marshal(phone) differs (-want +got):\n%s", diff)
	}

	// A partial ballot, as `ownervote ballot sign` takes it.
	var partial ballot.Ballot
	if err := json.Unmarshal([]byte(`{"assembly":"a1","voter":"v1","channel":"ONLINE","choice":{"m2":["OPPOSE"],"m1":["AGREE"]}}`), &partial); err != nil {
		t.Fatalf("json.Unmarshal(partial) = %v", err)
	}
	wantPartial := ballot.Ballot{Assembly: "a1", Voter: "v1", Channel: ballot.Online, Choices: []ballot.Choice{
		{Motion: "m1", Values: []string{ballot.Agree}}, {Motion: "m2", Values: []string{ballot.Oppose}},
	}}
	if diff := cmp.Diff(wantPartial, partial); diff != "" {
		t.Errorf("json.Unmarshal(partial) differs (-want +got):\n%s", diff)
	}
}

func TestBallotJSONRejects(t *testing.T) {
	for _, in := range []string{
		`{"assembly":"a1","choices":[]}`,                  // unknown key
		`{"attestation":{"staff":"s","masked_phone":""}}`, // unknown nested key
		`{"time":"2026-05-08T09:30:00+08:00"}`,            // not the canonical time form
		`{"time":"2026-05-08T01:30:00.5Z"}`,
		`{"attestation":{"time":"yesterday"}}`,
		`{"choice":{"m1":"AGREE"}}`, // values are an array
		`{"assembly":1}`,
		`[]`,
	} {
		var b ballot.Ballot
		if err := json.Unmarshal([]byte(in), &b); !errors.Is(err, ballot.ErrMalformed) {
			t.Errorf("json.Unmarshal(%s) = %v, want ErrMalformed", in, err)
		}
	}
	for _, in := range []string{`{"seq":"01"}`, `{"seq":1}`, `{"received":"2026-05-08T01:30:01Z"}`, `{"ballot":"x"}`} {
		var r ballot.Receipt
		if err := json.Unmarshal([]byte(in), &r); !errors.Is(err, ballot.ErrMalformed) {
			t.Errorf("json.Unmarshal(%s) into a Receipt = %v, want ErrMalformed", in, err)
		}
	}
}

func TestMarshalJSONRejects(t *testing.T) {
	for name, b := range map[string]*ballot.Ballot{
		"two choices for one motion": modified("paper", func(b *ballot.Ballot) { b.Choices[1].Motion = "m1" }),
		"time not UTC":               modified("online", func(b *ballot.Ballot) { b.Time = b.Time.In(beijing) }),
		"attestation time fraction":  modified("phone", func(b *ballot.Ballot) { b.Attestation.At = b.Attestation.At.Add(time.Millisecond) }),
	} {
		if _, err := json.Marshal(b); !errors.Is(err, ballot.ErrInvalid) {
			t.Errorf("%s: json.Marshal() = %v, want ErrInvalid", name, err)
		}
	}
	r := modifiedReceipt(func(r *ballot.Receipt) { r.Received = r.Received.Add(time.Microsecond) })
	if _, err := json.Marshal(r); !errors.Is(err, ballot.ErrInvalid) {
		t.Errorf("json.Marshal(receipt with microseconds) = %v, want ErrInvalid", err)
	}
}
