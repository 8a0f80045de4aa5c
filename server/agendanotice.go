package server

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/tally"
)

// The convening notice (会议公告) is public from the assembly's
// publication: what it decides and how - the motions and the majority
// each needs, the voting window, the channels, the rules and settings, the
// frozen roll's figures - as the street office posts it in the community
// at least 15 days before voting opens. It names no owner of the roll
// (candidates are named, as the agenda names them).

var agendaTemplate = template.Must(template.New("agenda.html").Funcs(noticeFuncs).ParseFS(templates, "templates/agenda.html"))

var agendaCSP = styleCSP("templates/agenda.html")

// errNoPublishedAgenda: the convening notice of an assembly that does not
// exist or is not published.
var errNoPublishedAgenda = fmt.Errorf("no published notice for this assembly: an assembly is announced when it is published")

// AgendaNotice is the convening notice of a published assembly.
type AgendaNotice struct {
	AssemblyID         string         `json:"assembly_id"`
	Title              string         `json:"title"`
	Community          string         `json:"community"`
	StreetOffice       string         `json:"street_office"`
	ResidentsCommittee string         `json:"residents_committee"`
	Convener           string         `json:"convener"`
	ConvenerKind       string         `json:"convener_kind"`
	Published          time.Time      `json:"published"`
	Opens              time.Time      `json:"opens"`
	Closes             time.Time      `json:"closes"`
	ShortNoticeReason  string         `json:"short_notice_reason,omitempty"`
	State              string         `json:"state"`
	CancelReason       string         `json:"cancel_reason,omitempty"`
	Channels           []string       `json:"channels"`
	RuleSet            string         `json:"rule_set"`
	Quorum             string         `json:"quorum"`
	Settings           []string       `json:"settings"`
	Motions            []AgendaMotion `json:"motions"`
	// The frozen roll: its units, area and headcount, and its digest,
	// which every ballot names.
	RollUnits     int          `json:"roll_units"`
	RollTotal     NoticeFigure `json:"roll_total"`
	RollDigest    string       `json:"roll_digest"`
	ObjectionDays int          `json:"objection_days"`
	CommitteeK    int          `json:"committee_k"`
	CommitteeN    int          `json:"committee_n"`
	// LogVerifier is the key that signs the assembly's log checkpoints: pin
	// it when verifying a receipt or an export.
	LogVerifier string `json:"log_verifier_key"`
}

// AgendaMotion is a motion as the notice states it.
type AgendaMotion struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Matter      string   `json:"matter"`
	Special     bool     `json:"special"`
	Requirement string   `json:"requirement"`
	Candidates  []string `json:"candidates,omitempty"`
	Seats       int      `json:"seats,omitempty"`
}

var convenerZH = map[assembly.ConvenerKind]string{assembly.OwnersCommittee: "业主委员会", assembly.ResidentsCommittee: "居民委员会（代行业主委员会职责）"}

var agendaStateZH = map[assembly.State]string{assembly.Published: "已公告，投票尚未开始", assembly.Open: "投票进行中", assembly.Closed: "投票已结束",
	assembly.Preliminary: "投票已结束，初步结果已公布", assembly.Certified: "结果已认证", assembly.Cancelled: "会议已取消"}

var abstentionZH = map[tally.Abstention]string{tally.AbstentionParticipates: "弃权计入参与表决，计入同意比例的分母",
	tally.AbstentionExcludedFromDenominator: "弃权计入参与表决，但不计入同意比例的分母", tally.AbstentionNotParticipating: "弃权不视为参与表决"}

// agendaNotice builds the convening notice of a published assembly.
func (s *Server) agendaNotice(r *http.Request, id string) (*AgendaNotice, error) {
	ctx := r.Context()
	reg := s.cfg.Registry
	a, err := reg.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	st := a.StateAt(reg.Now())
	if st == assembly.Draft {
		return nil, fmt.Errorf("%w: %s is a draft", assembly.ErrNotFound, id)
	}
	c, err := s.cfg.Book.Community(ctx, a.CommunityID)
	if err != nil {
		return nil, err
	}
	rs := a.RuleSet
	n := &AgendaNotice{AssemblyID: a.ID, Title: a.Title, Community: c.Name, StreetOffice: c.StreetOffice, ResidentsCommittee: c.ResidentsCommittee,
		Convener: a.Convener.Name, ConvenerKind: convenerZH[a.Convener.Kind], Published: a.Published, Opens: a.Opens, Closes: a.Closes,
		ShortNoticeReason: a.ShortNoticeReason, State: agendaStateZH[st], CancelReason: a.CancelReason, RuleSet: ruleSetZH(rs.Name),
		Quorum: "参与表决的业主须占全体业主专有部分面积和人数均" + thresholdZH(rs.Quorum), RollUnits: a.RollUnits, RollTotal: fig(a.RollTotal.Tally()),
		RollDigest: a.RollDigest, ObjectionDays: a.ObjectionDays, CommitteeK: a.Committee.K, CommitteeN: len(a.Committee.Members), LogVerifier: reg.LogVerifierKey()}
	for _, ch := range a.Channels {
		n.Channels = append(n.Channels, channelZH[string(ch)])
	}
	n.Settings = append(n.Settings, abstentionZH[a.Settings.Abstention])
	for _, x := range []struct {
		on bool
		zh string
	}{
		{a.Settings.MakerChecker, "工作人员录入的电话、上门、纸质表决须经第二名工作人员复核后计票"},
		{a.Settings.AllowRevote, "业主可在投票截止前改票，以最后一票为准"},
		{!a.Settings.AllowRevote, "每户只计第一张有效选票，之后的选票不计并登记在案"},
		{a.Settings.InvalidCountsTowardQuorum, "交回的无效票计入参与表决（从不计为同意）"},
		{a.Settings.DeemedConsent, "依管理规约或议事规则，未参与表决的业主视为同意多数意见（结果同时列出不计视为同意时的票数）"},
		{a.Settings.ProxyCap > 0, fmt.Sprintf("每名受托人最多代理 %d 户", a.Settings.ProxyCap)},
	} {
		if x.on {
			n.Settings = append(n.Settings, x.zh)
		}
	}
	for _, m := range a.Motions {
		special := slices.Contains(rs.SpecialMatters, m.Matter)
		am := AgendaMotion{ID: m.ID, Title: m.Title, Matter: m.Matter.ZH(), Special: special, Requirement: requirementZH(rs.RequirementFor(m.Matter)), Seats: m.Seats}
		for _, o := range m.Options {
			am.Candidates = append(am.Candidates, o.Name)
		}
		n.Motions = append(n.Motions, am)
	}
	return n, nil
}

// ruleSetZH names a rule set.
func ruleSetZH(name string) string {
	switch name {
	case tally.CivilCode2021Name:
		return "民法典（2021年起施行）"
	case tally.PropertyLaw2007Name:
		return "物权法（2007年）"
	}
	return "自定义（地方规定）"
}

// thresholdZH writes a threshold as the law does: 过半数, 2/3以上, 超过2/3.
func thresholdZH(t tally.Threshold) string {
	switch {
	case t.Strict && t.Num*2 == t.Den:
		return "过半数"
	case t.Strict:
		return "超过" + t.Fraction()
	}
	return t.Fraction() + "以上"
}
