package server

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/tally"
)

// The result notice (公告) is public: once a vote has closed, anyone may
// read the result, the figures behind it, the units that voted with their
// areas and channels, the certificate and the log checkpoint — never an
// owner's name, identity number or phone.

//go:embed templates/notice.html templates/agenda.html
var templates embed.FS

// noticeFuncs are the public notices' template functions.
var noticeFuncs = template.FuncMap{
	"cst": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(audit.ChinaTime).Format("2006年01月02日 15:04")
	},
}

var noticeTemplate = template.Must(template.New("notice.html").Funcs(noticeFuncs).ParseFS(templates, "templates/notice.html"))

// noticeCSP lets the notice page use its own style block and nothing else.
var noticeCSP = styleCSP("templates/notice.html")

// styleCSP is the Content-Security-Policy of a public page that uses its
// template's style block and nothing else: no script, no other origin, not
// framed. The style is allowed by its hash, taken from the template (it
// holds no template action).
func styleCSP(file string) string {
	page, err := templates.ReadFile(file)
	if err != nil {
		panic("server: " + file + ": " + err.Error()) // embedded at build time
	}
	_, rest, ok1 := strings.Cut(string(page), "<style>")
	style, _, ok2 := strings.Cut(rest, "</style>")
	if !ok1 || !ok2 || strings.Contains(style, "{{") {
		panic("server: " + file + ": the style block is missing or not static")
	}
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// NoticeHeading is what both public notices open with: the assembly, its
// community and who convened it.
type NoticeHeading struct {
	AssemblyID         string `json:"assembly_id"`
	Title              string `json:"title"`
	Community          string `json:"community"`
	StreetOffice       string `json:"street_office"`
	ResidentsCommittee string `json:"residents_committee"`
	Convener           string `json:"convener"`
}

func heading(a assembly.Assembly, c roll.Community) NoticeHeading {
	return NoticeHeading{AssemblyID: a.ID, Title: a.Title, Community: c.Name, StreetOffice: c.StreetOffice, ResidentsCommittee: c.ResidentsCommittee,
		Convener: a.Convener.Name}
}

// Notice is the public result notice.
type Notice struct {
	NoticeHeading
	Opens             time.Time      `json:"opens"`
	Closes            time.Time      `json:"closes"`
	Published         time.Time      `json:"published"`
	State             string         `json:"state"`
	StateZH           string         `json:"state_zh"`
	RuleSet           string         `json:"rule_set"`
	Motions           []NoticeMotion `json:"motions"`
	Units             []NoticeUnit   `json:"units"`
	ObjectionDeadline time.Time      `json:"objection_deadline"`
	Objections        int            `json:"objections"`
	Certified         time.Time      `json:"certified,omitzero"`
	Signers           []string       `json:"signers"`
	CommitteeK        int            `json:"committee_k"`
	// KeyReplacements are the committee keys replaced since publication
	// (a member's lost key, on other members' word).
	KeyReplacements []NoticeKeyReplacement `json:"key_replacements,omitempty"`
	ResultDigest    string                 `json:"result_digest"`
	RollDigest      string                 `json:"roll_digest"`
	Checkpoint      string                 `json:"checkpoint"`
	// LogVerifier is the key that signs the checkpoint: pin it when
	// verifying an export (ownervote verify --log-verifier).
	LogVerifier string `json:"log_verifier_key"`
}

// NoticeKeyReplacement is a committee member's lost key replaced by a new
// one: the member's and the vouchers' names, and when.
type NoticeKeyReplacement struct {
	Member   string    `json:"member"`
	Vouchers []string  `json:"vouchers"`
	At       time.Time `json:"at"`
}

// NoticeDecision is a motion's decision: its outcome, who won or was
// elected (by name), and why.
type NoticeDecision struct {
	Outcome   string `json:"outcome"`
	OutcomeZH string `json:"outcome_zh"`
	Winner    string `json:"winner,omitempty"`
	// Elected are the candidates elected to seats, Tied those tied for the
	// last seat(s), which stay vacant.
	Elected       []string `json:"elected,omitempty"`
	Tied          []string `json:"tied,omitempty"`
	Explanation   string   `json:"explanation_zh"`
	ExplanationEN string   `json:"explanation_en"`
}

// NoticeMotion is one motion's outcome and the four figures behind it.
type NoticeMotion struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	NoticeDecision
	// WithoutDeemedConsent is the decision had owners without a ballot not
	// been deemed to consent, where the assembly's rules deem them to.
	WithoutDeemedConsent *NoticeDecision `json:"without_deemed_consent,omitempty"`
	Requirement          string          `json:"requirement"`
	Total                NoticeFigure    `json:"total"`
	Participating        NoticeFigure    `json:"participating"`
	// Agreeing is the support of AGREE, or of the winner (or leading
	// candidate) of a choice among candidates.
	Agreeing      NoticeFigure  `json:"agreeing"`
	AgreeingLabel string        `json:"agreeing_label"`
	Tallies       []NoticeTally `json:"tallies"`
}

// NoticeFigure is an area and a headcount.
type NoticeFigure struct {
	AreaM2 string `json:"area_m2"`
	Head   int64  `json:"head"`
}

// NoticeTally is one choice's figures.
type NoticeTally struct {
	Choice string       `json:"choice"`
	Label  string       `json:"label"`
	Figure NoticeFigure `json:"figures"`
}

// NoticeUnit is a unit that voted.
type NoticeUnit struct {
	UnitID  string `json:"unit_id"`
	AreaM2  string `json:"area_m2"`
	Channel string `json:"channel"`
}

var channelZH = map[string]string{"ONLINE": "线上", "PLATFORM": "智慧物业平台", "PHONE": "电话", "VISIT": "入户", "PAPER": "纸质", "PROXY": "委托"}

var stateZH = map[assembly.State]string{assembly.Preliminary: "初步结果（询异期）", assembly.Certified: "已认证"}

// afterObjectionsZH is the state of a preliminary result whose objection
// window has passed.
const afterObjectionsZH = "初步结果（询异期已满，待认证）"

func fig(f tally.Figures) NoticeFigure { return NoticeFigure{AreaM2: f.Area.Grouped(), Head: f.Head} }

// notice builds the public notice of a closed assembly.
func (s *Server) notice(r *http.Request, id string) (*Notice, error) {
	ctx := r.Context()
	reg := s.cfg.Registry
	a, res, digest, err := reg.Result(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.cfg.Book.Community(ctx, a.CommunityID)
	if err != nil {
		return nil, err
	}
	cp, _, err := reg.Checkpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	units, err := reg.VotedUnits(ctx, id)
	if err != nil {
		return nil, err
	}
	now := reg.Now()
	st := a.StateAt(now)
	n := &Notice{NoticeHeading: heading(a, c), Opens: a.Opens, Closes: a.Closes, Published: a.ClosedAt, State: string(st), StateZH: stateZH[st],
		RuleSet: res.RuleSet.Name, ObjectionDeadline: a.ObjectionDeadline(), Objections: len(a.Objections), Certified: a.CertifiedAt,
		CommitteeK: a.Committee.K, ResultDigest: digest, RollDigest: a.RollDigest, Checkpoint: string(cp), LogVerifier: reg.LogVerifierKey()}
	if st == assembly.Preliminary && !now.Before(a.ObjectionDeadline()) {
		n.StateZH = afterObjectionsZH
	}
	signers, err := reg.Signers(ctx, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	// Members by the names their keys were published under, not one typed
	// in when a replacement key was enrolled.
	nameOf := func(keyID string) string {
		keyID = a.Committee.Original(keyID)
		for _, sg := range signers {
			if sg.KeyID == keyID {
				return sg.Name
			}
		}
		return keyID
	}
	// The signatures that count toward k, as Certify counts them: of keys
	// still active, or, once certified, not revoked before then.
	for _, cs := range a.Certificate {
		for _, sg := range signers {
			if sg.KeyID == cs.KeyID && sg.Counts(a.CertifiedAt) {
				n.Signers = append(n.Signers, nameOf(cs.KeyID))
			}
		}
	}
	for _, x := range a.Committee.Replacements {
		nr := NoticeKeyReplacement{Member: nameOf(x.Replaces), At: x.At}
		for _, v := range x.Vouches {
			nr.Vouchers = append(nr.Vouchers, nameOf(v.Endorser))
		}
		n.KeyReplacements = append(n.KeyReplacements, nr)
	}
	for _, mr := range res.Motions {
		m, _ := a.Motion(mr.Motion.ID)
		names := map[string]string{"AGREE": "同意", "OPPOSE": "反对", "ABSTAIN": "弃权", "INVALID": "无效票"}
		for _, o := range m.Options {
			names[o.ID] = o.Name
		}
		nm := NoticeMotion{ID: m.ID, Title: m.Title, NoticeDecision: noticeDecision(mr.Decision, names),
			Requirement: requirementText(mr.Requirement), Total: fig(mr.Total), Participating: fig(mr.Participating), AgreeingLabel: "同意"}
		if w := mr.WithoutDeemedConsent; w != nil {
			d := noticeDecision(*w, names)
			nm.WithoutDeemedConsent = &d
		}
		var lead tally.Tally
		for _, t := range mr.Tallies {
			nm.Tallies = append(nm.Tallies, NoticeTally{Choice: string(t.Choice), Label: names[string(t.Choice)], Figure: fig(t.Figures)})
			switch {
			case len(m.Options) == 0 && t.Choice == tally.Agree:
				lead = t
			case len(m.Options) > 0 && t.Choice != tally.Abstain && t.Choice != tally.Invalid && t.Area > lead.Area:
				lead = t
			}
		}
		nm.Agreeing = fig(lead.Figures)
		if len(m.Options) > 0 {
			nm.AgreeingLabel = "得票最多者（" + names[string(lead.Choice)] + "）"
		}
		n.Motions = append(n.Motions, nm)
	}
	for _, u := range units {
		n.Units = append(n.Units, NoticeUnit{UnitID: u.UnitID, AreaM2: u.Area.Grouped(), Channel: channelZH[u.Channel]})
	}
	return n, nil
}

// noticeDecision is d with its options named.
func noticeDecision(d tally.Decision, names map[string]string) NoticeDecision {
	nd := NoticeDecision{Outcome: string(d.Outcome), OutcomeZH: d.Outcome.ZH(), Winner: names[d.Winner],
		Explanation: d.Explanation.ZH, ExplanationEN: d.Explanation.EN}
	for _, id := range d.Elected {
		nd.Elected = append(nd.Elected, names[id])
	}
	for _, id := range d.Tied {
		nd.Tied = append(nd.Tied, names[id])
	}
	return nd
}

// errNoPublishedResult: the public notice of an assembly that does not
// exist or whose vote has not closed.
var errNoPublishedResult = errors.New("no published result for this assembly: results are published when the vote has closed")

// noticeHandler serves, without login, GET /notices/{id} (the result
// notice, printable HTML, zh-CN) and GET /notices/{id}/agenda (the
// convening notice), each also as JSON (….json).
func (s *Server) noticeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/notices/")
		asJSON := strings.HasSuffix(id, ".json")
		id = strings.TrimSuffix(id, ".json")
		// (An assembly id has no "/".)
		if agendaID, ok := strings.CutSuffix(id, "/agenda"); ok {
			s.servePublic(w, r, asJSON, agendaCSP, agendaTemplate, errNoPublishedAgenda, func() (any, error) { return s.agendaNotice(r, agendaID) })
			return
		}
		s.servePublic(w, r, asJSON, noticeCSP, noticeTemplate, errNoPublishedResult, func() (any, error) { return s.notice(r, id) })
	})
}

// servePublic answers a public notice that build makes, as JSON or as the
// template's page under csp. An assembly that does not exist and one that
// has nothing to publish yet get the same answer, unpublished: the page
// tells nothing but what is published.
func (s *Server) servePublic(w http.ResponseWriter, r *http.Request, asJSON bool, csp string, tmpl *template.Template, unpublished error, build func() (any, error)) {
	// Never cached, not even a 404: what is published changes.
	w.Header().Set("Cache-Control", "no-store")
	// As the console's: no framing, no sniffing, no referrer.
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	n, err := build()
	if err != nil {
		if errors.Is(err, assembly.ErrNotFound) || errors.Is(err, assembly.ErrWrongState) {
			err = unpublished
		}
		st := status.Convert(toStatus(r.Context(), s.log, err))
		code := runtime.HTTPStatusFromCode(st.Code())
		if asJSON {
			writeHTTPError(w, r, code, st.Err())
			return
		}
		http.Error(w, localizedOf(st)+" / "+st.Message(), code)
		return
	}
	if asJSON {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(n)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := tmpl.Execute(w, n); err != nil {
		s.log.ErrorContext(r.Context(), "notice template", "template", tmpl.Name(), "err", err)
	}
}
