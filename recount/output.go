package recount

import (
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/ownervote/ownervote/tally"
)

// FormatVersion names the JSON output format of WriteJSON.
const FormatVersion = "ownervote-recount/v1"

type jsonFigures struct {
	Area string `json:"area_m2"`
	Head int64  `json:"head"`
}

func figures(f tally.Figures) jsonFigures { return jsonFigures{f.Area.String(), f.Head} }

type jsonTally struct {
	Choice string `json:"choice"`
	Area   string `json:"area_m2"`
	Head   int64  `json:"head"`
}

type jsonRequirement struct {
	MoreThan string `json:"more_than,omitempty"`
	AtLeast  string `json:"at_least,omitempty"`
	Of       string `json:"of,omitempty"`
}

func requirement(t tally.Threshold, of string) jsonRequirement {
	r := jsonRequirement{Of: of}
	if t.Strict {
		r.MoreThan = t.Fraction()
	} else {
		r.AtLeast = t.Fraction()
	}
	return r
}

type jsonRules struct {
	Quorum         jsonRequirement `json:"quorum"`
	Ordinary       jsonRequirement `json:"ordinary"`
	Special        jsonRequirement `json:"special"`
	SpecialMatters []string        `json:"special_matters"`
}

type jsonDeemed struct {
	Choice string `json:"choice"`
	Area   string `json:"area_m2"`
	Head   int64  `json:"head"`
}

// jsonDecision holds the fields that differ with and without deemed
// consent.
type jsonDecision struct {
	Outcome         string      `json:"outcome"`
	Winner          string      `json:"winner,omitempty"`
	Qualified       []string    `json:"qualified,omitzero"`
	Elected         []string    `json:"elected,omitzero"`
	TiedForLastSeat []string    `json:"tied_for_last_seat,omitzero"`
	ApprovalBase    jsonFigures `json:"approval_base"`
	DeemedConsent   *jsonDeemed `json:"deemed_consent,omitempty"`
	Explanation     string      `json:"explanation"`
	ExplanationEN   string      `json:"explanation_en"`
}

type jsonMotion struct {
	ID            string          `json:"id"`
	Matter        string          `json:"matter"`
	Kind          string          `json:"kind"`
	Options       []string        `json:"options,omitzero"`
	Seats         int             `json:"seats,omitzero"`
	Class         string          `json:"class"`
	Requirement   jsonRequirement `json:"requirement"`
	Total         jsonFigures     `json:"total"`
	Participating jsonFigures     `json:"participating"`
	QuorumMet     bool            `json:"quorum_met"`
	Tallies       []jsonTally     `json:"tallies"`
	NoBallot      jsonFigures     `json:"no_ballot"`
	jsonDecision
	WithoutDeemedConsent *jsonDecision `json:"without_deemed_consent,omitempty"`
}

type jsonResult struct {
	Format                    string       `json:"format"`
	RuleSet                   string       `json:"rule_set"`
	Rules                     jsonRules    `json:"rules"`
	Abstention                string       `json:"abstention"`
	InvalidCountsTowardQuorum bool         `json:"invalid_counts_toward_quorum"`
	DeemedConsent             bool         `json:"deemed_consent"`
	Total                     jsonFigures  `json:"total"`
	Digest                    string       `json:"digest"`
	Motions                   []jsonMotion `json:"motions"`
}

// Digest returns res's digest as written in the output: "sha256:" and the
// hex SHA-256 of tally.Result.Canonical.
func Digest(res tally.Result) string {
	d := res.Digest()
	return "sha256:" + hex.EncodeToString(d[:])
}

func decision(m tally.MotionResult, d tally.Decision) jsonDecision {
	j := jsonDecision{
		Outcome:       string(d.Outcome),
		Winner:        d.Winner,
		ApprovalBase:  figures(d.Base),
		Explanation:   d.Explanation.ZH,
		ExplanationEN: d.Explanation.EN,
	}
	if m.Kind != tally.AgreeOppose {
		j.Qualified = nonNil(d.Qualified)
	}
	if m.Kind == tally.Election {
		j.Elected = nonNil(d.Elected)
		j.TiedForLastSeat = nonNil(d.Tied)
	}
	if m.WithoutDeemedConsent != nil && d.DeemedChoice != "" {
		j.DeemedConsent = &jsonDeemed{string(d.DeemedChoice), d.Deemed.Area.String(), d.Deemed.Head}
	}
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func base(b tally.Base) string { return b.String() }

// WriteJSON writes res as the JSON of DESIGN §4, with extra fields: the
// format version, the rule set's rules and the settings, the digest, and per
// motion its kind, class, requirement, approval base, qualified options,
// elected and tied candidates, the owners without a ballot, deemed consent
// and the decision without it, and the explanation in English.
func WriteJSON(w io.Writer, res tally.Result) error {
	rs := res.RuleSet
	out := jsonResult{
		Format:  FormatVersion,
		RuleSet: rs.Name,
		Rules: jsonRules{
			Quorum:         requirement(rs.Quorum, ""),
			Ordinary:       requirement(rs.Ordinary.Threshold, base(rs.Ordinary.Of)),
			Special:        requirement(rs.Special.Threshold, base(rs.Special.Of)),
			SpecialMatters: []string{},
		},
		Abstention:                res.Abstention.String(),
		InvalidCountsTowardQuorum: res.InvalidCountsTowardQuorum,
		DeemedConsent:             res.DeemedConsent,
		Total:                     figures(res.Total),
		Digest:                    Digest(res),
		Motions:                   []jsonMotion{},
	}
	for _, m := range tally.Matters() {
		if rs.IsSpecial(m) {
			out.Rules.SpecialMatters = append(out.Rules.SpecialMatters, string(m))
		}
	}
	for _, m := range res.Motions {
		jm := jsonMotion{
			ID:            m.Motion.ID,
			Matter:        string(m.Motion.Matter),
			Kind:          m.Kind.String(),
			Options:       m.Motion.Options,
			Seats:         m.Motion.Seats,
			Class:         "ORDINARY",
			Requirement:   requirement(m.Requirement.Threshold, base(m.Requirement.Of)),
			Total:         figures(m.Total),
			Participating: figures(m.Participating),
			QuorumMet:     m.QuorumMet,
			NoBallot:      figures(m.NoBallot),
			jsonDecision:  decision(m, m.Decision),
		}
		if rs.IsSpecial(m.Motion.Matter) {
			jm.Class = "SPECIAL"
		}
		for _, t := range m.Tallies {
			jm.Tallies = append(jm.Tallies, jsonTally{string(t.Choice), t.Area.String(), t.Head})
		}
		if m.WithoutDeemedConsent != nil {
			d := decision(m, *m.WithoutDeemedConsent)
			jm.WithoutDeemedConsent = &d
		}
		out.Motions = append(out.Motions, jm)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
