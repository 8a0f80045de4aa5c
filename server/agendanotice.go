package server

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/tally"
)

// The convening notice (会议公告) is public from the assembly's
// publication: what it decides and how - the motions and the majority
// each needs, the voting window, the channels, the rules and settings, the
// frozen roll's figures - as the street office posts it in the community
// at least 15 days before voting opens. It names the candidates (as the
// agenda and every ballot do) and the convener, and no other owner.

var agendaTemplate = template.Must(template.New("agenda.html").Funcs(noticeFuncs).ParseFS(templates, "templates/agenda.html"))

var agendaCSP = styleCSP("templates/agenda.html")

// errNoPublishedAgenda: the convening notice of an assembly that does not
// exist or is not published.
var errNoPublishedAgenda = errors.New("no published notice for this assembly: an assembly is announced when it is published")

// AgendaNotice is the convening notice of a published assembly.
type AgendaNotice struct {
	NoticeHeading
	ConvenerKind      string    `json:"convener_kind"`
	Published         time.Time `json:"published"`
	Opens             time.Time `json:"opens"`
	Closes            time.Time `json:"closes"`
	ShortNoticeReason string    `json:"short_notice_reason,omitempty"`
	// State is the assembly's state (PUBLISHED, OPEN, …), StateZH it in
	// words.
	State        string   `json:"state"`
	StateZH      string   `json:"state_zh"`
	CancelReason string   `json:"cancel_reason,omitempty"`
	Channels     []string `json:"channels"`
	// RuleSet is the rule set's name (civil-code-2021, …), RuleSetZH it in
	// words.
	RuleSet   string         `json:"rule_set"`
	RuleSetZH string         `json:"rule_set_zh"`
	Quorum    string         `json:"quorum"`
	Settings  []string       `json:"settings"`
	Motions   []AgendaMotion `json:"motions"`
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
	ID string `json:"id"`
	// Matter is the matter (SELECT_PROPERTY_FIRM, …), MatterZH it in words.
	Title       string `json:"title"`
	Matter      string `json:"matter"`
	MatterZH    string `json:"matter_zh"`
	Special     bool   `json:"special"`
	Requirement string `json:"requirement"`
	// Candidates are the options a ballot names, by their ids.
	Candidates []AgendaCandidate `json:"candidates,omitempty"`
	Seats      int               `json:"seats,omitempty"`
}

// AgendaCandidate is an option of a motion.
type AgendaCandidate struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

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
	// Never published (a draft, or one cancelled as a draft): nothing was
	// announced.
	if a.Published.IsZero() {
		return nil, fmt.Errorf("%w: %s was never published", assembly.ErrNotFound, id)
	}
	c, err := s.cfg.Book.Community(ctx, a.CommunityID)
	if err != nil {
		return nil, err
	}
	rs := a.RuleSet
	n := &AgendaNotice{NoticeHeading: heading(a, c), ConvenerKind: string(a.Convener.Kind), Published: a.Published, Opens: a.Opens, Closes: a.Closes,
		ShortNoticeReason: a.ShortNoticeReason, State: string(st), StateZH: agendaStateZH[st], CancelReason: a.CancelReason, RuleSet: rs.Name, RuleSetZH: ruleSetZH(rs.Name),
		Quorum: "参与表决的业主须占全体业主专有部分面积" + thresholdZH(rs.Quorum) + "、且占人数" + thresholdZH(rs.Quorum), RollUnits: a.RollUnits, RollTotal: fig(a.RollTotal.Tally()),
		RollDigest: a.RollDigest, ObjectionDays: a.ObjectionDays, CommitteeK: a.Committee.K, CommitteeN: len(a.Committee.Members), LogVerifier: reg.LogVerifierKey()}
	for _, ch := range a.Channels {
		n.Channels = append(n.Channels, channelZH[string(ch)])
	}
	ofAll := rs.Ordinary.Of == tally.OfAll || rs.Special.Of == tally.OfAll
	abst := abstentionZH[a.Settings.Abstention]
	if ofAll && a.Settings.Abstention != tally.AbstentionNotParticipating {
		abst += "（须经全体业主同意的事项，同意比例按全体业主计算）"
	}
	n.Settings = append(n.Settings, abst)
	takes := func(c ballot.Channel) bool { return slices.Contains(a.Channels, c) }
	for _, x := range []struct {
		on bool
		zh string
	}{
		{a.Settings.MakerChecker && (takes(ballot.Phone) || takes(ballot.Visit) || takes(ballot.Paper)), "工作人员录入的电话、上门、纸质表决须经第二名工作人员复核后计票"},
		{a.Settings.AllowRevote, "投票人可在投票截止前改票，以最后一票为准"},
		{!a.Settings.AllowRevote, "每名投票人（一人有多套房屋的，只投一票）以第一张计票的选票为准（须复核的，以复核计入的为准），之后的选票不计并登记在案"},
		{a.Settings.InvalidCountsTowardQuorum, "交回的无效票计入参与表决，并计入同意比例的分母（从不计为同意）"},
		{!a.Settings.InvalidCountsTowardQuorum, "交回的无效票不计入参与表决"},
		{a.Settings.DeemedConsent, "依管理规约或议事规则，未交回选票的业主视为同意多数意见：不计入参与表决，不用于选举议题；结果同时列出不计视为同意时的决定"},
		{a.Settings.ProxyCap > 0 && takes(ballot.Proxy), fmt.Sprintf("每名受托人最多代理 %d 位业主", a.Settings.ProxyCap)},
	} {
		if x.on {
			n.Settings = append(n.Settings, x.zh)
		}
	}
	for _, m := range a.Motions {
		special := slices.Contains(rs.SpecialMatters, m.Matter)
		am := AgendaMotion{ID: m.ID, Title: m.Title, Matter: string(m.Matter), MatterZH: m.Matter.ZH(), Special: special,
			Requirement: agreementZH(rs.RequirementFor(m.Matter)), Seats: m.Seats}
		for _, o := range m.Options {
			am.Candidates = append(am.Candidates, AgendaCandidate{ID: o.ID, Name: o.Name})
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
		return "物权法（2007年，2021年1月1日起废止）"
	}
	return "自定义（地方规定）"
}

// agreementZH is the agreement a requirement asks, as the law words it.
func agreementZH(r tally.Requirement) string {
	f := thresholdZH(r.Threshold)
	if r.Of == tally.OfAll {
		return "须经全体业主中专有部分面积" + f + "的业主、且人数" + f + "的业主同意"
	}
	return "须经参与表决专有部分面积" + f + "的业主、且参与表决人数" + f + "的业主同意"
}

// thresholdZH writes a threshold as the law does: 过半数, 三分之二以上,
// 超过三分之二.
func thresholdZH(t tally.Threshold) string {
	numerals := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	cn := func(x int64) string {
		if x >= 0 && x <= 10 {
			return numerals[x]
		}
		return fmt.Sprint(x)
	}
	f := cn(t.Den) + "分之" + cn(t.Num)
	switch {
	case t.Strict && t.Num*2 == t.Den:
		return "过半数"
	case t.Strict:
		return "超过" + f
	}
	return f + "以上"
}
