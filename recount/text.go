package recount

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ownervote/ownervote/tally"
)

// width returns the number of terminal columns s takes: East Asian wide and
// fullwidth characters take two.
func width(s string) int {
	w := 0
	for _, r := range s {
		if wide(r) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

func wide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, // Hangul Jamo
		r >= 0x2E80 && r <= 0x303E, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33FF, // kana, CJK compatibility
		r >= 0x3400 && r <= 0x4DBF, // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF, // Yi
		r >= 0xAC00 && r <= 0xD7A3, // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF, // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F, // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60, // fullwidth forms
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x20000 && r <= 0x3FFFD:
		return true
	}
	return false
}

// pad returns s followed by spaces up to n columns.
func pad(s string, n int) string {
	if w := width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// lpad returns s preceded by spaces up to n columns.
func lpad(s string, n int) string {
	if w := width(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}

type row struct{ label, area, head, note string }

// writeTable writes rows with the labels left-aligned and the figures
// right-aligned in columns.
func writeTable(w io.Writer, rows []row) {
	lw, aw, hw := 0, 0, 0
	for _, r := range rows {
		lw, aw, hw = max(lw, width(r.label)), max(aw, width(r.area)), max(hw, width(r.head))
	}
	for _, r := range rows {
		line := pad(r.label, lw) + "  " + lpad(r.area, aw) + "  " + lpad(r.head, hw)
		if r.note != "" {
			line += "   " + r.note
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func figRow(label string, f tally.Figures, note string) row {
	return row{label, f.Area.Grouped(), tally.GroupedInt(f.Head), note}
}

const rule = "================================================================================"

func thresholdText(t tally.Threshold, of tally.Base) (zh, en string) {
	zh, en = "总数", "of total area and headcount"
	if of == tally.OfParticipants {
		zh, en = "参与表决", "of participating area and headcount"
	}
	return "面积和人数均 " + t.String() + "（" + zh + "）", t.String() + " " + en
}

func abstentionText(a tally.Abstention) string {
	switch a {
	case tally.AbstentionExcludedFromDenominator:
		return "计入参与表决，但不计入计票基数 / takes part for the quorum, left out of the approval base"
	case tally.AbstentionNotParticipating:
		return "不计入参与表决 / does not take part"
	}
	return "计入参与表决和计票基数，视为未同意 / takes part and weighs against passing"
}

func outcomeText(o tally.Outcome) string { return o.ZH() + " " + string(o) }

// choiceLabel labels a tally row: Chinese and wire name for the fixed
// choices, the option ID for candidates.
func choiceLabel(c tally.Choice) string {
	switch c {
	case tally.Agree, tally.Oppose, tally.Abstain, tally.Invalid:
		return "  " + c.ZH() + " " + string(c)
	}
	return "  " + string(c)
}

// WriteText writes res for people: a committee, a street office, a court.
// Chinese comes first, English beside or after it, figures are aligned, and
// every motion ends with its explanation.
func WriteText(w io.Writer, res tally.Result) error {
	bw := bufio.NewWriter(w)
	rs := res.RuleSet
	fmt.Fprintln(bw, "业主大会表决结果（离线重新计票）")
	fmt.Fprintln(bw, "Owners' assembly result (offline recount)")
	fmt.Fprintln(bw)

	qzh, qen := thresholdText(rs.Quorum, tally.OfAll)
	ozh, oen := thresholdText(rs.Ordinary.Threshold, rs.Ordinary.Of)
	szh, sen := thresholdText(rs.Special.Threshold, rs.Special.Of)
	var special []string
	for _, m := range tally.Matters() {
		if rs.IsSpecial(m) {
			special = append(special, string(m))
		}
	}
	if len(special) == 0 {
		special = []string{"无 none"}
	}
	deemed := "不适用 / off"
	if res.DeemedConsent {
		deemed = "适用：未投票的业主视为同意多数意见（不计入参与表决）/ on: owners without a ballot are deemed to agree with the majority opinion (they do not make the quorum)"
	}
	invalid := "不计入参与表决 / do not count toward the quorum"
	if res.InvalidCountsTowardQuorum {
		invalid = "计入参与表决和计票基数，不计为同意 / count toward the quorum and in the base, never as agreement"
	}
	settings := [][2]string{
		{"规则 Rule set", rs.Name},
		{"  表决要求 Quorum", qzh + " / " + qen},
		{"  普通事项 Ordinary", ozh + " / " + oen},
		{"  特别事项 Special", szh + " / " + sen},
		{"  特别事项包括 Special matters", strings.Join(special, ", ")},
		{"弃权 Abstention", abstentionText(res.Abstention) + " (" + res.Abstention.String() + ")"},
		{"无效票 Invalid ballots", invalid},
		{"视为同意 Deemed consent", deemed},
		{"总面积 Total area", res.Total.Area.Grouped() + " m²"},
		{"总人数 Total headcount", tally.GroupedInt(res.Total.Head)},
		{"结果摘要 Result digest", Digest(res)},
	}
	lw := 0
	for _, s := range settings {
		lw = max(lw, width(s[0]))
	}
	for _, s := range settings {
		fmt.Fprintln(bw, pad(s[0], lw)+"  "+s[1])
	}

	for _, m := range res.Motions {
		writeMotion(bw, rs, m)
	}
	return bw.Flush()
}

func writeMotion(w io.Writer, rs tally.RuleSet, m tally.MotionResult) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, rule)
	fmt.Fprintf(w, "议题 Motion %s：%s / %s\n", m.Motion.ID, m.Motion.Matter.ZH(), m.Motion.Matter.EN())
	class := "普通事项 ordinary matter"
	if rs.IsSpecial(m.Motion.Matter) {
		class = "特别事项 special matter"
	}
	rzh, ren := thresholdText(m.Requirement.Threshold, m.Requirement.Of)
	fmt.Fprintf(w, "类别 Class: %s，%s / %s\n", class, rzh, ren)
	switch m.Kind {
	case tally.Candidates:
		fmt.Fprintf(w, "候选 Candidates: %s（每人选一 / one choice each）\n", strings.Join(m.Motion.Options, ", "))
	case tally.Election:
		fmt.Fprintf(w, "候选 Candidates: %s（应选 %d 席，每人最多选 %d 名 / %d seats, up to %d marks each）\n",
			strings.Join(m.Motion.Options, ", "), m.Motion.Seats, m.Motion.Seats, m.Motion.Seats, m.Motion.Seats)
	}
	fmt.Fprintln(w)
	writeOutcome(w, m, m.Decision)
	fmt.Fprintln(w)

	d := m.Decision
	rows := []row{
		{"", "面积 Area m²", "人数 Head", ""},
		figRow("总数 Total", m.Total, ""),
		figRow("参与表决 Participating", m.Participating, quorumNote(m.QuorumMet)),
	}
	for _, t := range m.Tallies {
		rows = append(rows, figRow(choiceLabel(t.Choice), t.Figures, optionNote(m, d, t.Choice)))
	}
	rows = append(rows, figRow("未投票 No ballot", m.NoBallot, ""))
	if d.DeemedChoice != "" {
		rows = append(rows, figRow("视为同意 Deemed consent ("+string(d.DeemedChoice)+")", d.Deemed, ""))
	}
	rows = append(rows, figRow("计票基数 Approval base", d.Base, ""))
	writeTable(w, rows)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "说明："+d.Explanation.ZH)
	fmt.Fprintln(w, "Explanation: "+d.Explanation.EN)
	if wd := m.WithoutDeemedConsent; wd != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "不计视为同意时 Without deemed consent: %s", outcomeText(wd.Outcome))
		if wd.Winner != "" {
			fmt.Fprintf(w, "，当选 winner: %s", wd.Winner)
		}
		fmt.Fprintf(w, "；计票基数 approval base %s m², %s\n", wd.Base.Area.Grouped(), tally.GroupedInt(wd.Base.Head))
		fmt.Fprintln(w, "说明："+wd.Explanation.ZH)
		fmt.Fprintln(w, "Explanation: "+wd.Explanation.EN)
	}
}

func writeOutcome(w io.Writer, m tally.MotionResult, d tally.Decision) {
	fmt.Fprintf(w, "结果 Outcome: %s\n", outcomeText(d.Outcome))
	switch m.Kind {
	case tally.Candidates:
		if d.Winner != "" {
			fmt.Fprintf(w, "当选 Winner: %s\n", d.Winner)
		} else if d.Outcome != tally.NoQuorum {
			fmt.Fprintln(w, "当选 Winner: 无 none")
		}
	case tally.Election:
		if d.Outcome == tally.NoQuorum {
			return
		}
		elected := "无 none"
		if len(d.Elected) > 0 {
			elected = strings.Join(d.Elected, ", ")
		}
		fmt.Fprintf(w, "当选 Elected: %s\n", elected)
		if len(d.Tied) > 0 {
			fmt.Fprintf(w, "末席平局 Tied for the last seat(s): %s（未决，需另行表决 / not broken: a new vote is needed）\n", strings.Join(d.Tied, ", "))
		}
		if v := m.Motion.Seats - len(d.Elected); v > 0 {
			fmt.Fprintf(w, "空缺席位 Vacant seats: %d\n", v)
		}
	}
}

func quorumNote(met bool) string {
	if met {
		return "达到表决要求 quorum met"
	}
	return "未达到表决要求 quorum not met"
}

// optionNote marks a candidate's row with its fate.
func optionNote(m tally.MotionResult, d tally.Decision, c tally.Choice) string {
	o := string(c)
	switch {
	case m.Kind == tally.AgreeOppose || !slices.Contains(m.Motion.Options, o):
		return ""
	case d.Winner == o:
		return "当选 wins"
	case slices.Contains(d.Elected, o):
		return "当选 elected"
	case slices.Contains(d.Tied, o):
		return "平局 tied"
	case slices.Contains(d.Qualified, o):
		return "达到要求 qualifies"
	}
	return ""
}
