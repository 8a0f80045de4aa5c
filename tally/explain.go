package tally

import (
	"strconv"
	"strings"
)

// variant says which decision an explanation is for.
type variant int

const (
	plainDecision  variant = iota // deemed consent off
	officialDeemed                // deemed consent on, applied where it can be
	withoutDeemed                 // deemed consent on, this is the decision without it
)

// bilingual builds a Chinese and an English text side by side.
type bilingual struct{ zh, en strings.Builder }

func (b *bilingual) add(zh, en string) {
	b.zh.WriteString(zh)
	b.en.WriteString(en)
}

// GroupedInt formats n with commas between thousands, e.g. "1,000,000".
func GroupedInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func m2(a Area) string { return a.Grouped() + " m²" }

// rel returns the relation that holds between a figure and the fraction of
// its base, given whether the threshold was met.
func rel(t Threshold, ok bool) string {
	switch {
	case t.Strict && ok:
		return ">"
	case t.Strict:
		return "≤"
	case ok:
		return "≥"
	}
	return "<"
}

// needs describes a threshold: "超过 1/2" / "more than 1/2".
func needs(t Threshold) (zh, en string) {
	if t.Strict {
		return "超过 " + t.Fraction(), "more than " + t.Fraction()
	}
	return "达到 " + t.Fraction() + " 及以上", "at least " + t.Fraction()
}

func explain(a Assembly, mr *MotionResult, d *Decision, v variant) Explanation {
	var b bilingual
	if v == withoutDeemed {
		b.add("（不计视为同意）", "(Without deemed consent) ")
	}

	// Quorum.
	q := a.RuleSet.Quorum
	p, t := mr.Participating, mr.Total
	areaOK := q.met(int64(p.Area), int64(t.Area))
	headOK := q.met(p.Head, t.Head)
	b.add("参与表决面积 "+m2(p.Area)+" "+rel(q, areaOK)+" 总面积 "+m2(t.Area)+" 的 "+q.Fraction()+
		"，参与表决人数 "+GroupedInt(p.Head)+" "+rel(q, headOK)+" 总人数 "+GroupedInt(t.Head)+" 的 "+q.Fraction(),
		"Participating area "+m2(p.Area)+" "+rel(q, areaOK)+" "+q.Fraction()+" of the total area "+m2(t.Area)+
			", participating headcount "+GroupedInt(p.Head)+" "+rel(q, headOK)+" "+q.Fraction()+" of the total headcount "+GroupedInt(t.Head))
	if !mr.QuorumMet {
		b.add("，未达到表决要求（面积和人数均须满足），本议题不作决定。",
			": quorum not met (both are needed), so the motion is not decided.")
		return Explanation{b.zh.String(), b.en.String()}
	}
	b.add("，达到表决要求。", ": quorum met. ")

	// Deemed consent.
	switch {
	case a.DeemedConsent && mr.Kind == Election:
		b.add("视为同意不适用于选举。", "Deemed consent does not apply to elections. ")
	case v == officialDeemed && d.DeemedChoice != "":
		b.add("按业主大会议事规则，未投票的 "+GroupedInt(d.Deemed.Head)+" 名业主（面积 "+m2(d.Deemed.Area)+
			"）视为同意多数意见（"+d.DeemedChoice.ZH()+"），计入该意见的票数和计票基数。",
			"Under the community's rules the "+GroupedInt(d.Deemed.Head)+" owners ("+m2(d.Deemed.Area)+
				") who returned no ballot are deemed to agree with the majority opinion ("+string(d.DeemedChoice)+
				") and are counted with it and in the base. ")
	case v == officialDeemed:
		b.add("已投票中没有在面积和人数上都领先的多数意见，视为同意不适用。",
			"No choice leads on both area and headcount among the ballots cast, so deemed consent does not apply. ")
	}

	req := mr.Requirement
	class, classEN := "普通事项", "ordinary matter"
	if a.RuleSet.IsSpecial(mr.Motion.Matter) {
		class, classEN = "特别事项", "special matter"
	}
	needZH, needEN := needs(req.Threshold)
	baseZH, baseEN := "参与表决", "the participating"
	switch {
	case req.Of == OfAll:
		baseZH, baseEN = "总", "the total"
	case d.DeemedChoice != "" && a.Abstention == AbstentionExcludedFromDenominator && !a.EarlyWording:
		baseZH, baseEN = "参与表决（不含弃权，含视为同意）", "the participating (abstentions excluded, deemed consent included)"
	case d.DeemedChoice != "":
		baseZH, baseEN = "参与表决（含视为同意）", "the participating (deemed consent included)"
	case a.Abstention == AbstentionExcludedFromDenominator:
		baseZH, baseEN = "参与表决（不含弃权）", "the participating (abstentions excluded)"
	}
	frac := req.Fraction()
	B := d.Base
	if B.Head == 0 && !a.EarlyWording {
		// Nobody is in the base (all abstained, with abstentions
		// excluded): no fraction of it is met, and "0 < 3/4 of 0" would
		// not be true.
		b.add(baseZH+"面积和人数均为零（无人计入计票基数），"+class+"须"+needZH+"，无从满足：未通过。",
			capitalize(baseEN)+" area and headcount are both zero (nobody is in the base), so the "+classEN+"'s "+needEN+" cannot be met: failed.")
		return Explanation{b.zh.String(), b.en.String()}
	}

	if mr.Kind == AgreeOppose {
		s := support(mr.Tallies[0], d.DeemedChoice, d.Deemed)
		numZH, numEN := "同意", "agreeing"
		if d.DeemedChoice == Agree {
			numZH, numEN = "同意（含视为同意）", "agreeing (deemed consent included)"
		}
		aOK, hOK := req.met(int64(s.Area), int64(B.Area)), req.met(s.Head, B.Head)
		b.add(numZH+"面积 "+m2(s.Area)+" "+rel(req.Threshold, aOK)+" "+baseZH+"面积 "+m2(B.Area)+" 的 "+frac+
			"，"+numZH+"人数 "+GroupedInt(s.Head)+" "+rel(req.Threshold, hOK)+" "+baseZH+"人数 "+GroupedInt(B.Head)+" 的 "+frac+
			"（"+class+"，面积和人数均须"+needZH+"）：",
			capitalize(numEN)+" area "+m2(s.Area)+" "+rel(req.Threshold, aOK)+" "+frac+" of "+baseEN+" area "+m2(B.Area)+
				", "+numEN+" headcount "+GroupedInt(s.Head)+" "+rel(req.Threshold, hOK)+" "+frac+" of "+baseEN+" headcount "+GroupedInt(B.Head)+
				" ("+classEN+": "+needEN+" needed on both): ")
		if d.Outcome == Passed {
			b.add("通过。", "passed.")
		} else {
			b.add("未通过。", "failed.")
		}
		return Explanation{b.zh.String(), b.en.String()}
	}

	// Candidates and elections.
	if mr.Kind == Election {
		b.add("应选 "+strconv.Itoa(mr.Motion.Seats)+" 席，", strconv.Itoa(mr.Motion.Seats)+" seats. ")
	}
	b.add("每名候选的得票须在"+baseZH+"面积 "+m2(B.Area)+" 和"+baseZH+"人数 "+GroupedInt(B.Head)+" 上都"+needZH+
		"（"+class+"），不以相对多数决定",
		"Each candidate needs "+needEN+" of "+baseEN+" area "+m2(B.Area)+" and of "+
			baseEN+" headcount "+GroupedInt(B.Head)+" ("+classEN+"), never a plurality")
	if mr.Kind == Election {
		b.add("，席位按得票面积排序：", "; seats go by area of support: ")
	} else {
		b.add("：", ": ")
	}
	for i, tl := range mr.Tallies[:len(mr.Motion.Options)] {
		s := support(tl, d.DeemedChoice, d.Deemed)
		aOK, hOK := req.met(int64(s.Area), int64(B.Area)), req.met(s.Head, B.Head)
		if i > 0 {
			b.add("；", "; ")
		}
		deemedZH, deemedEN := "", ""
		if tl.Choice == d.DeemedChoice {
			deemedZH, deemedEN = "（含视为同意）", " (deemed consent included)"
		}
		okZH, okEN := "未达到", "does not qualify"
		if aOK && hOK {
			okZH, okEN = "达到", "qualifies"
		}
		b.add(string(tl.Choice)+deemedZH+" 面积 "+m2(s.Area)+" "+rel(req.Threshold, aOK)+" "+frac+
			"，人数 "+GroupedInt(s.Head)+" "+rel(req.Threshold, hOK)+" "+frac+"，"+okZH,
			string(tl.Choice)+deemedEN+" area "+m2(s.Area)+" "+rel(req.Threshold, aOK)+" "+frac+
				", headcount "+GroupedInt(s.Head)+" "+rel(req.Threshold, hOK)+" "+frac+", "+okEN)
	}
	b.add("。", ". ")

	if mr.Kind == Candidates {
		switch len(d.Qualified) {
		case 1:
			b.add(d.Winner+" 当选：通过。", d.Winner+" wins: passed.")
		case 0:
			b.add("没有候选达到要求，无人当选（需另行表决）：未通过。",
				"No candidate qualifies, so nobody wins (a new vote is needed): failed.")
		default:
			b.add(joinZH(d.Qualified)+" 均达到要求，无法确定唯一当选者，无人当选（需另行表决）：未通过。",
				joinEN(d.Qualified)+" all qualify, so there is no single winner and nobody wins (a new vote is needed): failed.")
		}
		return Explanation{b.zh.String(), b.en.String()}
	}

	seats := mr.Motion.Seats
	switch {
	case len(d.Qualified) == 0:
		b.add("没有候选达到要求，无人当选，"+strconv.Itoa(seats)+" 席空缺：未通过。",
			"No candidate qualifies: nobody is elected and "+strconv.Itoa(seats)+" seats stay vacant: failed.")
	case len(d.Tied) > 0:
		open := seats - len(d.Elected)
		if len(d.Elected) > 0 {
			b.add("当选："+joinZH(d.Elected)+"。", "Elected: "+joinEN(d.Elected)+". ")
		}
		var area Area
		for _, tl := range mr.Tallies {
			if string(tl.Choice) == d.Tied[0] {
				area = tl.Area
			}
		}
		b.add("余下 "+strconv.Itoa(open)+" 席由 "+joinZH(d.Tied)+" 竞争，其得票面积相同（均为 "+m2(area)+
			"），平局如实报告，不以抽签等方式决定，该席位空缺，需另行表决：未通过。",
			"The remaining "+strconv.Itoa(open)+" seat(s) are tied between "+joinEN(d.Tied)+", each with "+m2(area)+
				" of support; the tie is reported, not broken by chance, and the seat(s) stay vacant until a new vote: failed.")
	case len(d.Elected) < seats:
		b.add("当选："+joinZH(d.Elected)+"；只有 "+strconv.Itoa(len(d.Elected))+" 名候选达到要求，"+
			strconv.Itoa(seats-len(d.Elected))+" 席空缺：未通过。",
			"Elected: "+joinEN(d.Elected)+"; only "+strconv.Itoa(len(d.Elected))+" candidate(s) qualify and "+
				strconv.Itoa(seats-len(d.Elected))+" seat(s) stay vacant: failed.")
	default:
		b.add("当选："+joinZH(d.Elected)+"：通过。", "Elected: "+joinEN(d.Elected)+": passed.")
	}
	return Explanation{b.zh.String(), b.en.String()}
}

func (r Requirement) met(a, b int64) bool { return r.Threshold.met(a, b) }

// ZH returns the choice in Chinese: 同意, 反对, 弃权, 无效, or the option ID.
func (c Choice) ZH() string {
	switch c {
	case Agree:
		return "同意"
	case Oppose:
		return "反对"
	case Abstain:
		return "弃权"
	case Invalid:
		return "无效"
	}
	return string(c)
}

// ZH returns the outcome in Chinese: 通过, 未通过 or 未达到表决要求.
func (o Outcome) ZH() string {
	switch o {
	case Passed:
		return "通过"
	case Failed:
		return "未通过"
	case NoQuorum:
		return "未达到表决要求"
	}
	return string(o)
}

func joinZH(s []string) string { return strings.Join(s, "、") }

func joinEN(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
