package ballot

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The JSON form of a ballot or receipt uses the canonical names as keys
// (attestation.* nested in an "attestation" object, choice.* in a "choice"
// object of motion id to array of values) and the canonical text of every
// value as a JSON string. Absent fields are omitted. It is the form of the
// test vectors and of `ownervote ballot sign`; it is not what is signed.

type ballotJSON struct {
	Assembly           string              `json:"assembly,omitempty"`
	Roll               string              `json:"roll,omitempty"`
	Voter              string              `json:"voter,omitempty"`
	Channel            Channel             `json:"channel,omitempty"`
	Signer             SignerRole          `json:"signer,omitempty"`
	Key                string              `json:"key,omitempty"`
	Nonce              string              `json:"nonce,omitempty"`
	Time               string              `json:"time,omitempty"`
	PlatformVoteID     string              `json:"platform_vote_id,omitempty"`
	ProxyAuthorization string              `json:"proxy_authorization,omitempty"`
	Attestation        *attestationJSON    `json:"attestation,omitempty"`
	Choice             map[string][]string `json:"choice,omitempty"`
}

type attestationJSON struct {
	Staff       string `json:"staff,omitempty"`
	Time        string `json:"time,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Note        string `json:"note,omitempty"`
	Recording   string `json:"recording,omitempty"`
	PaperSerial string `json:"paper_serial,omitempty"`
	Scan        string `json:"scan,omitempty"`
}

// MarshalJSON returns the JSON form of b. It fails for a time the format
// cannot carry or for two choices on one motion; other fields are written as
// they are, valid or not.
func (b Ballot) MarshalJSON() ([]byte, error) {
	j := ballotJSON{
		Assembly:           b.Assembly,
		Roll:               b.RollDigest,
		Voter:              b.Voter,
		Channel:            b.Channel,
		Signer:             b.Signer,
		Key:                b.KeyID,
		Nonce:              b.Nonce,
		PlatformVoteID:     b.PlatformVoteID,
		ProxyAuthorization: b.ProxyAuthorization,
	}
	var err error
	if j.Time, err = formatJSONTime("ballot", "time", b.Time, secondsLayout); err != nil {
		return nil, err
	}
	if a := b.Attestation; a != nil {
		j.Attestation = &attestationJSON{
			Staff:       a.StaffID,
			Phone:       a.MaskedPhone,
			Note:        a.Note,
			Recording:   a.RecordingSHA256,
			PaperSerial: a.PaperSerial,
			Scan:        a.ScanSHA256,
		}
		if j.Attestation.Time, err = formatJSONTime("ballot", "attestation.time", a.At, secondsLayout); err != nil {
			return nil, err
		}
	}
	if len(b.Choices) > 0 {
		j.Choice = make(map[string][]string, len(b.Choices))
		for _, c := range b.Choices {
			if _, dup := j.Choice[c.Motion]; dup {
				return nil, &FieldError{Record: "ballot", Field: "choice." + c.Motion, Reason: "more than one choice for this motion"}
			}
			j.Choice[c.Motion] = c.Values
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON sets b from its JSON form. Unknown keys are an error; times
// must be written as in the canonical form. It does not validate b.
func (b *Ballot) UnmarshalJSON(data []byte) error {
	var j ballotJSON
	if err := decodeStrict(data, &j); err != nil {
		return fmt.Errorf("%w: ballot JSON: %v", ErrMalformed, err)
	}
	t, err := parseJSONTime("ballot", "time", j.Time, secondsLayout)
	if err != nil {
		return err
	}
	nb := Ballot{
		Assembly:           j.Assembly,
		RollDigest:         j.Roll,
		Voter:              j.Voter,
		Channel:            j.Channel,
		Signer:             j.Signer,
		KeyID:              j.Key,
		Nonce:              j.Nonce,
		Time:               t,
		PlatformVoteID:     j.PlatformVoteID,
		ProxyAuthorization: j.ProxyAuthorization,
	}
	if a := j.Attestation; a != nil {
		at, err := parseJSONTime("ballot", "attestation.time", a.Time, secondsLayout)
		if err != nil {
			return err
		}
		nb.Attestation = &Attestation{
			StaffID:         a.Staff,
			At:              at,
			MaskedPhone:     a.Phone,
			Note:            a.Note,
			RecordingSHA256: a.Recording,
			PaperSerial:     a.PaperSerial,
			ScanSHA256:      a.Scan,
		}
	}
	for motion, values := range j.Choice {
		nb.Choices = append(nb.Choices, Choice{Motion: motion, Values: values})
	}
	slices.SortFunc(nb.Choices, func(x, y Choice) int { return cmp.Compare(x.Motion, y.Motion) })
	*b = nb
	return nil
}

type receiptJSON struct {
	BallotID  string `json:"ballot_id,omitempty"`
	Assembly  string `json:"assembly,omitempty"`
	Seq       string `json:"seq,omitempty"`
	Status    string `json:"status,omitempty"`
	Received  string `json:"received,omitempty"`
	ServerKey string `json:"server_key,omitempty"`
}

// MarshalJSON returns the JSON form of r; seq is a decimal string, as in the
// canonical form. It fails for a time the format cannot carry.
func (r Receipt) MarshalJSON() ([]byte, error) {
	j := receiptJSON{BallotID: r.BallotID, Assembly: r.Assembly, Status: r.Status, ServerKey: r.ServerKeyID}
	if r.Seq != 0 {
		j.Seq = strconv.FormatUint(r.Seq, 10)
	}
	var err error
	if j.Received, err = formatJSONTime("receipt", "received", r.Received, millisLayout); err != nil {
		return nil, err
	}
	return json.Marshal(j)
}

// UnmarshalJSON sets r from its JSON form. It does not validate r.
func (r *Receipt) UnmarshalJSON(data []byte) error {
	var j receiptJSON
	if err := decodeStrict(data, &j); err != nil {
		return fmt.Errorf("%w: receipt JSON: %v", ErrMalformed, err)
	}
	nr := Receipt{BallotID: j.BallotID, Assembly: j.Assembly, Status: j.Status, ServerKeyID: j.ServerKey}
	if j.Seq != "" {
		if reason := checkSeq(j.Seq); reason != "" {
			return fmt.Errorf("%w: receipt JSON: field seq: %s", ErrMalformed, reason)
		}
		nr.Seq, _ = strconv.ParseUint(j.Seq, 10, 64)
	}
	var err error
	if nr.Received, err = parseJSONTime("receipt", "received", j.Received, millisLayout); err != nil {
		return err
	}
	*r = nr
	return nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func formatJSONTime(record, field string, t time.Time, layout string) (string, error) {
	if t.IsZero() {
		return "", nil
	}
	unit := time.Second
	if layout == millisLayout {
		unit = time.Millisecond
	}
	if reason := checkTime(t, unit); reason != "" {
		return "", &FieldError{Record: record, Field: field, Reason: reason}
	}
	return t.Format(layout), nil
}

func parseJSONTime(record, field, s, layout string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, reason := parseTime(s, layout)
	if reason != "" {
		return time.Time{}, fmt.Errorf("%w: %s JSON: field %s: %s", ErrMalformed, record, field, reason)
	}
	return t, nil
}
