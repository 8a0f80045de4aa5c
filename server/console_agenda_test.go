package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// TestConsoleNewAssembly: staff make an assembly in the console - its
// motions (a choice among firms, a committee election), window, channels,
// settings and committee - saved as a draft exactly as entered, refused in
// the page (in Chinese) where it is incomplete and where the server
// refuses it, then publish it from its dashboard after a confirmation. A
// draft whose notice is too short cannot be published, and says why.
// Committee members are offered neither.
func TestConsoleNewAssembly(t *testing.T) {
	c := newConsole(t)
	c.now()
	ss := c.ss
	var members []string
	for i, name := range []string{"赵委员", "钱委员", "李委员", "孙委员"} {
		m := newSigner(fmt.Sprintf("member-%d", i), byte(221+i))
		if _, err := ss.RegisterSigner(c.e.ctx(c.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: m.id,
			Name: name, CommunityId: c.cid, PublicKey: m.pub()}}); err != nil {
			t.Fatal(err)
		}
		members = append(members, m.keyID())
	}
	// Last year's assembly, by a custom rule set and with a member whose
	// key is lost since: its window has passed.
	if _, err := c.as.CreateAssembly(c.e.ctx(c.e.admin), &ov.CreateAssemblyRequest{CommunityId: c.cid, Assembly: &ov.Assembly{
		AssemblyId: "custom-2025", Title: "使用维修资金", Motions: []*ov.Motion{{MotionId: "m1", Title: "更换电梯", Matter: ov.Matter_MATTER_USE_MAINTENANCE_FUND}},
		OpensAt: timestamppb.New(c.base.Add(-30 * 24 * time.Hour)), ClosesAt: timestamppb.New(c.base.Add(-25 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE}, Committee: &ov.Committee{MemberKeyIds: []string{members[0], members[3]}, K: 2},
		RuleSet: &ov.RuleSet{Name: "custom", Quorum: &ov.Fraction{Numerator: 1, Denominator: 2, Strict: true},
			Ordinary: &ov.Requirement{Fraction: &ov.Fraction{Numerator: 1, Denominator: 2, Strict: true}},
			Special:  &ov.Requirement{Fraction: &ov.Fraction{Numerator: 2, Denominator: 3}}, SpecialMatters: []ov.Matter{ov.Matter_MATTER_USE_MAINTENANCE_FUND}},
	}}); err != nil {
		t.Fatal(err)
	}
	// A member's lost key is not offered.
	if _, err := ss.RevokeSigner(c.e.ctx(c.e.admin), &ov.RevokeSignerRequest{KeyId: members[3], Reason: "手机遗失"}); err != nil {
		t.Fatal(err)
	}
	// A member with a second key: one of them counts.
	second := newSigner("member-0", 229)
	if _, err := ss.RegisterSigner(c.e.ctx(c.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: second.id,
		Name: "赵委员", CommunityId: c.cid, PublicKey: second.pub()}}); err != nil {
		t.Fatal(err)
	}
	// An id already taken, by a draft whose notice is too short and records
	// no reason.
	if _, err := c.as.CreateAssembly(c.e.ctx(c.e.admin), &ov.CreateAssemblyRequest{CommunityId: c.cid, Assembly: &ov.Assembly{
		AssemblyId: "taken-2026", Title: "续聘物业", Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_RENEW_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(c.base.Add(5 * 24 * time.Hour)), ClosesAt: timestamppb.New(c.base.Add(9 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE}, Committee: &ov.Committee{MemberKeyIds: members[:1], K: 1},
		RuleSet: &ov.RuleSet{Name: "property-law-2007"},
	}}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		r, err := c.as.ListAssemblies(c.e.ctx(c.e.admin), &ov.ListAssembliesRequest{CommunityId: c.cid})
		if err != nil {
			t.Fatal(err)
		}
		return len(r.GetAssemblies())
	}
	staff := c.tab()
	c.signIn(staff, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.open(staff, "#/c/"+c.cid)
	click(staff, `[data-testid=new-assembly-link]`)
	wait(staff, "the form", `document.querySelector('[data-testid=new-assembly]') !== null`)
	// Only the active keys are offered.
	if got, want := eval[[]string](staff, "members offered", `[...document.querySelectorAll('[data-member]')].map((x) => x.value)`), append(members[:3:3], second.keyID()); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("members offered %v, want %v and %s", got, members[:3], second.keyID())
	}
	saysInForm := func(what, text string) {
		t.Helper()
		wait(staff, what, fmt.Sprintf(`document.querySelector('[data-testid=new-msg]').textContent.includes(%s)`, jsString(text)))
	}
	local := func(at time.Time) string { return at.In(audit.ChinaTime).Format("2006-01-02T15:04") }
	setTime := func(sel string, at time.Time) {
		t.Helper()
		eval[bool](staff, "set "+sel, fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.value = %q;
			i.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, sel, local(at)))
	}

	// An empty form is refused in the page, in Chinese.
	click(staff, `[data-testid=new-save]`)
	saysInForm("no title", "请填写会议名称")
	typeInto(staff, `[data-testid=new-title]`, "2026年第一次业主大会")
	// A short notice needs its reason.
	opens := time.Now().Add(5 * 24 * time.Hour).Truncate(time.Minute)
	setTime(`[data-testid=new-opens]`, opens)
	setTime(`[data-testid=new-closes]`, opens.Add(7*24*time.Hour))
	wait(staff, "the short notice told", `document.querySelector('[data-testid=new-notice]').textContent.includes('不足 15 日') &&
		!document.querySelector('[data-testid=new-short-reason]').closest('[hidden]')`)
	click(staff, `[data-testid=new-save]`)
	saysInForm("no reason for the short notice", "请填写缩短的理由")
	// Where no short notice is admitted, the page says to open later, and
	// asks no reason.
	click(staff, `[data-testid=new-refuse-short]`)
	wait(staff, "no short notice admitted", `document.querySelector('[data-testid=new-notice]').textContent.includes('不得缩短公告期') &&
		document.querySelector('[data-testid=new-short-reason]').closest('[hidden]') !== null`)
	click(staff, `[data-testid=new-refuse-short]`)
	// A notice of 20 days needs none; a reason may still be given ahead,
	// for a draft published late.
	opens = time.Now().Add(20 * 24 * time.Hour).Truncate(time.Minute)
	closes := opens.Add(7 * 24 * time.Hour)
	setTime(`[data-testid=new-opens]`, opens)
	setTime(`[data-testid=new-closes]`, closes)
	wait(staff, "the notice long enough", `document.querySelector('[data-testid=new-notice]').textContent.includes('若今天发布，公告期为 19 日') &&
		!document.querySelector('[data-testid=new-short-reason]').closest('[hidden]')`)
	typeInto(staff, `[data-testid=new-short-reason]`, "原物业合同月底到期")
	click(staff, `[data-testid=new-save]`)
	saysInForm("no motion text", "请填写第1项议题的内容")
	typeInto(staff, `[data-testid=motion-title]`, "从两家物业服务企业中选聘一家")
	selectValue(staff, `[data-testid=motion-matter]`, "SELECT_PROPERTY_FIRM")
	click(staff, `[data-testid=motion-choose]`)
	typeInto(staff, `[data-testid=motion-candidates]`, "青岛天泰爱家物业服务有限公司\n青岛海信物业服务有限公司\n青岛天泰爱家物业服务有限公司")
	click(staff, `[data-testid=new-save]`)
	saysInForm("a candidate twice", "写了两次")
	eval[bool](staff, "fix the candidates", `(() => { const x = document.querySelector('[data-testid=motion-candidates]');
		x.value = '青岛天泰爱家物业服务有限公司\n青岛海信物业服务有限公司'; return true; })()`)

	// Two more motions, the first of them removed again: the committee
	// election takes its place and number.
	click(staff, `[data-testid=motion-add]`)
	click(staff, `[data-testid=motion-add]`)
	const nth = `[data-testid=motion]:nth-child(%d) [data-testid=%s]`
	typeInto(staff, fmt.Sprintf(nth, 2, "motion-title"), "筹集维修资金")
	typeInto(staff, fmt.Sprintf(nth, 3, "motion-title"), "选举第一届业主委员会委员")
	selectValue(staff, fmt.Sprintf(nth, 3, "motion-matter"), "ELECT_COMMITTEE")
	typeInto(staff, fmt.Sprintf(nth, 3, "motion-candidates"), "王建国\n李秀英\n张伟（3号楼）")
	typeInto(staff, fmt.Sprintf(nth, 3, "motion-seats"), "4")
	click(staff, fmt.Sprintf(nth, 2, "motion-remove"))
	if got := eval[string](staff, "the second legend", `document.querySelector('[data-testid=motion]:nth-child(2) legend').textContent`); got != "第2项议题" {
		t.Errorf("the election's legend after a removal: %q", got)
	}
	click(staff, `[data-testid=new-save]`)
	saysInForm("more seats than candidates", "第2项议题应选 4 人，候选人只有 3 名")
	eval[bool](staff, "two seats", fmt.Sprintf(`(() => { const x = document.querySelector(%q); x.value = '2'; return true; })()`, fmt.Sprintf(nth, 2, "motion-seats")))
	if n := eval[int](staff, "motions", `document.querySelectorAll('[data-testid=motion]').length`); n != 2 {
		t.Fatalf("%d motions in the form after one removed, want 2", n)
	}

	// Channels: proxies too, and no paper.
	click(staff, `[data-channel=PAPER]`)
	click(staff, `[data-channel=PROXY]`)
	click(staff, `[data-testid=new-revote]`)
	eval[bool](staff, "proxy cap and objection days", `(() => {
		document.querySelector('[data-testid=new-proxy-cap]').value = '2';
		document.querySelector('[data-testid=new-objection-days]').value = '5'; return true; })()`)
	click(staff, `[data-testid=new-save]`)
	saysInForm("no committee", "请选择认证结果的委员")
	// One member's two keys are one person.
	click(staff, fmt.Sprintf(`[data-member=%q]`, members[0]))
	click(staff, fmt.Sprintf(`[data-member=%q]`, second.keyID()))
	click(staff, `[data-testid=new-save]`)
	saysInForm("a member twice", "委员 member-0 选了两个密钥")
	click(staff, fmt.Sprintf(`[data-member=%q]`, members[0]))
	click(staff, fmt.Sprintf(`[data-member=%q]`, second.keyID()))
	// k follows the members chosen: a majority of them.
	for _, m := range members[:3] {
		click(staff, fmt.Sprintf(`[data-member=%q]`, m))
	}
	if k := eval[string](staff, "k", `document.querySelector('[data-testid=new-k]').value`); k != "2" {
		t.Errorf("k is %q for three members, want their majority 2", k)
	}
	click(staff, fmt.Sprintf(`[data-member=%q]`, members[2]))
	click(staff, fmt.Sprintf(`[data-member=%q]`, members[1]))
	if k := eval[string](staff, "k", `document.querySelector('[data-testid=new-k]').value`); k != "1" {
		t.Errorf("k is %q for one member, want 1", k)
	}
	click(staff, fmt.Sprintf(`[data-member=%q]`, members[1]))
	if k := eval[string](staff, "k", `document.querySelector('[data-testid=new-k]').value`); k != "2" {
		t.Errorf("k is %q for two members, want their majority 2", k)
	}
	// The server's refusal stays in the page, in Chinese: an id taken.
	typeInto(staff, `[data-testid=new-id]`, "taken-2026")
	before := count()
	click(staff, `[data-testid=new-save]`)
	saysInForm("the id taken", "会议编号 taken-2026 已被使用")
	if count() != before {
		t.Fatal("an assembly was made from a refused form")
	}
	eval[bool](staff, "a new id", `(() => { document.querySelector('[data-testid=new-id]').value = 'wx-2026-01'; return true; })()`)
	staff.Screenshot("console-new-assembly")
	click(staff, `[data-testid=new-save]`)
	wait(staff, "the draft's dashboard", `location.hash.includes('/a/wx-2026-01') && document.querySelector('[data-testid=created]') !== null`)

	a, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "wx-2026-01"})
	if err != nil {
		t.Fatal(err)
	}
	if a.GetState() != ov.AssemblyState_ASSEMBLY_STATE_DRAFT || a.GetTitle() != "2026年第一次业主大会" {
		t.Errorf("made %v %q", a.GetState(), a.GetTitle())
	}
	if !a.GetOpensAt().AsTime().Equal(opens) || !a.GetClosesAt().AsTime().Equal(closes) {
		t.Errorf("window %v – %v, want %v – %v (Beijing time as typed)", a.GetOpensAt().AsTime(), a.GetClosesAt().AsTime(), opens, closes)
	}
	ms := a.GetMotions()
	if len(ms) != 2 || ms[0].GetMotionId() != "m1" || ms[0].GetMatter() != ov.Matter_MATTER_SELECT_PROPERTY_FIRM || ms[0].GetSeats() != 0 ||
		len(ms[0].GetOptions()) != 2 || ms[0].GetOptions()[1].GetOptionId() != "c2" || ms[0].GetOptions()[1].GetName() != "青岛海信物业服务有限公司" ||
		ms[1].GetMotionId() != "m2" || ms[1].GetMatter() != ov.Matter_MATTER_ELECT_COMMITTEE || ms[1].GetSeats() != 2 || len(ms[1].GetOptions()) != 3 ||
		ms[1].GetOptions()[2].GetName() != "张伟（3号楼）" || ms[1].GetTitle() != "选举第一届业主委员会委员" {
		t.Errorf("motions %v", ms)
	}
	wantCh := []ov.Channel{ov.Channel_CHANNEL_PLATFORM, ov.Channel_CHANNEL_PHONE, ov.Channel_CHANNEL_VISIT, ov.Channel_CHANNEL_PROXY}
	if !slices.Equal(a.GetChannels(), wantCh) {
		t.Errorf("channels %v, want %v", a.GetChannels(), wantCh)
	}
	s := a.GetSettings()
	if !s.GetMakerChecker() || !s.GetAllowRevote() || s.GetDeemedConsent() || s.GetProxyCap() != 2 || s.GetRefuseShortNotice() ||
		s.GetAbstention() != ov.Abstention_ABSTENTION_PARTICIPATES || a.GetObjectionDays() != 5 {
		t.Errorf("settings %v, objection days %d, short notice %q", s, a.GetObjectionDays(), a.GetShortNoticeReason())
	}
	if !slices.Equal(a.GetCommittee().GetMemberKeyIds(), members[:2]) || a.GetCommittee().GetK() != 2 || a.GetRuleSet().GetName() != "civil-code-2021" {
		t.Errorf("committee %v, rules %q", a.GetCommittee(), a.GetRuleSet().GetName())
	}
	// The demo community has no owners' committee: its residents'
	// committee convenes, by the name on record.
	if a.GetConvener().GetKind() != "RESIDENTS_COMMITTEE" || a.GetConvener().GetName() != "惠都社区" || a.GetShortNoticeReason() != "原物业合同月底到期" {
		t.Errorf("convener %v, short notice reason %q", a.GetConvener(), a.GetShortNoticeReason())
	}
	// The agenda, unfolded on the draft: the majority each motion needs.
	agenda := eval[string](staff, "the agenda", `(() => { const d = document.querySelector('[data-testid=agenda]'); return d.open ? d.textContent : ''; })()`)
	for _, want := range []string{"从两家物业服务企业中选聘一家", "一般事项", "须经参与表决专有部分面积过半数的业主", "应选 2 人，候选人 3 名；候选人各须达到上述多数",
		"王建国、李秀英、张伟（3号楼）", "三分之二以上", "2 名委员中 2 人签名：赵委员", "钱委员", "草稿，尚未发布", "委托代理", "缩短公告期的理由：原物业合同月底到期"} {
		if !strings.Contains(agenda, want) {
			t.Errorf("the agenda does not say %q:\n%s", want, agenda)
		}
	}

	staff.Screenshot("console-draft-agenda")
	// Published after a confirmation.
	click(staff, `[data-testid=publish]`)
	wait(staff, "the publish dialog", `document.querySelector('[data-testid=publish-notice]') !== null`)
	if eval[bool](staff, "short notice warning", `document.querySelector('[data-testid=publish-short]') !== null`) {
		t.Error("a 20-day notice is said to be too short")
	}
	staff.ScreenshotView("console-publish")
	click(staff, `[data-testid=publish-save]`)
	wait(staff, "asked to confirm", `document.querySelector('dialog[open]').textContent.includes('请勾选确认')`)
	if a, _ := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "wx-2026-01"}); a.GetState() != ov.AssemblyState_ASSEMBLY_STATE_DRAFT {
		t.Fatal("published without the confirmation")
	}
	click(staff, `[data-testid=publish-confirm]`)
	click(staff, `[data-testid=publish-save]`)
	wait(staff, "published", `document.querySelector('[data-testid=published]') !== null`)
	if a, _ := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "wx-2026-01"}); a.GetState() != ov.AssemblyState_ASSEMBLY_STATE_PUBLISHED {
		t.Fatalf("the console's publication left it %v", a.GetState())
	}
	wait(staff, "the page follows", `document.querySelector('[data-testid=publish]') === null && document.querySelector('[data-testid=agenda]') !== null && !document.querySelector('[data-testid=agenda]').open &&
		document.querySelector('[data-testid=agenda-notice]')?.getAttribute('href') === '/notices/wx-2026-01/agenda' &&
		!document.querySelector('[data-testid=agenda]').textContent.includes('尚未发布') && document.querySelector('[data-testid=agenda]').textContent.includes(' 发布')`)

	// A draft whose notice is too short: the dialog says so, and the
	// server's refusal, in Chinese, stays in it. (Its agenda follows the
	// Property Law: majorities of all owners.)
	c.open(staff, "#/c/"+c.cid+"/a/taken-2026")
	wait(staff, "the agenda by the Property Law", `(document.querySelector('[data-testid=agenda]')?.textContent || '').includes('须经全体业主中专有部分面积过半数的业主') &&
		document.querySelector('[data-testid=agenda]').textContent.includes('物权法')`)
	click(staff, `[data-testid=publish]`)
	wait(staff, "the short notice", `document.querySelector('[data-testid=publish-short]') !== null`)
	click(staff, `[data-testid=publish-confirm]`)
	click(staff, `[data-testid=publish-save]`)
	wait(staff, "the server's refusal", `document.querySelector('dialog[open]').textContent.includes('现在发布，公告期只有') &&
		document.querySelector('dialog[open]').textContent.includes('SHORT_NOTICE')`)
	if a, _ := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "taken-2026"}); a.GetState() != ov.AssemblyState_ASSEMBLY_STATE_DRAFT {
		t.Errorf("the short-notice draft is %v", a.GetState())
	}

	// The draft is mended in a copy: the form comes filled in from it.
	c.open(staff, "#/c/"+c.cid+"/a/taken-2026")
	click(staff, `[data-testid=copy-assembly]`)
	wait(staff, "the copy", `document.querySelector('[data-testid=new-from]') !== null && document.querySelector('[data-testid=new-title]').value === '续聘物业'`)
	if got := eval[string](staff, "the copy's fields", `[document.querySelector('[data-testid=motion-title]').value, document.querySelector('[data-testid=motion-matter]').value,
		document.querySelector('[data-testid=new-rules]').value, [...document.querySelectorAll('[data-channel]')].filter((b) => b.checked).map((b) => b.value).join(','),
		[...document.querySelectorAll('[data-member]')].filter((b) => b.checked).map((b) => b.value).join(','), document.querySelector('[data-testid=new-k]').value,
		document.querySelector('[data-testid=new-id]').value].join('|')`); got != "续聘|RENEW_PROPERTY_FIRM|property-law-2007|PHONE|"+members[0]+"|1|" {
		t.Errorf("the copy's form: %q", got)
	}
	opens = time.Now().Add(20 * 24 * time.Hour).Truncate(time.Minute)
	setTime(`[data-testid=new-opens]`, opens)
	setTime(`[data-testid=new-closes]`, opens.Add(5*24*time.Hour))
	typeInto(staff, `[data-testid=new-id]`, "taken-2026-b")
	click(staff, `[data-testid=new-save]`)
	wait(staff, "the copy saved", `location.hash.includes('/a/taken-2026-b') && document.querySelector('[data-testid=created]') !== null`)
	copy, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "taken-2026-b"})
	if err != nil || copy.GetRuleSet().GetName() != "property-law-2007" || len(copy.GetMotions()) != 1 || copy.GetMotions()[0].GetMatter() != ov.Matter_MATTER_RENEW_PROPERTY_FIRM ||
		!slices.Equal(copy.GetChannels(), []ov.Channel{ov.Channel_CHANNEL_PHONE}) || !copy.GetOpensAt().AsTime().Equal(opens) {
		t.Errorf("the copy: %v, %v", copy, err)
	}

	// Last year's assembly copied: its custom rules whole, no window (it
	// has passed), the member whose key is lost left out and k following
	// the one left.
	c.open(staff, "#/c/"+c.cid+"/new?from=custom-2025")
	wait(staff, "the copy", `document.querySelector('[data-testid=new-from]') !== null && document.querySelector('[data-testid=new-title]').value === '使用维修资金'`)
	if got := eval[string](staff, "the copy's fields", `[document.querySelector('[data-testid=new-rules]').value, document.querySelector('[data-testid=new-opens]').value,
		[...document.querySelectorAll('[data-member]')].filter((b) => b.checked).map((b) => b.value).join(','), document.querySelector('[data-testid=new-k]').value].join('|')`); got != "custom||"+members[0]+"|1" {
		t.Errorf("the copy of last year's: %q", got)
	}
	setTime(`[data-testid=new-opens]`, opens)
	setTime(`[data-testid=new-closes]`, opens.Add(5*24*time.Hour))
	click(staff, `[data-testid=new-save]`)
	wait(staff, "saved", `location.hash.includes('?created=1')`)
	copied := strings.TrimSuffix(strings.TrimPrefix(eval[string](staff, "the new id", `location.hash`), "#/c/"+c.cid+"/a/"), "?created=1")
	if got, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: copied}); err != nil ||
		got.GetRuleSet().GetName() != "custom" || got.GetRuleSet().GetQuorum().GetDenominator() != 2 || !got.GetRuleSet().GetQuorum().GetStrict() ||
		got.GetRuleSet().GetSpecial().GetFraction().GetNumerator() != 2 || len(got.GetRuleSet().GetSpecialMatters()) != 1 {
		t.Errorf("the copy's rules: %v, %v", got.GetRuleSet(), err)
	}

	// A committee member makes and publishes nothing.
	member := c.tab()
	c.signIn(member, c.labelledToken(auth.CommitteeMember, c.cid, "赵委员"))
	c.open(member, "#/c/"+c.cid)
	wait(member, "the community", `document.querySelector('[data-testid=roll-link]') !== null`)
	if eval[bool](member, "new link", `document.querySelector('[data-testid=new-assembly-link]') !== null`) {
		t.Error("a committee member is offered to make an assembly")
	}
	c.open(member, "#/c/"+c.cid+"/a/taken-2026")
	wait(member, "the draft", `document.querySelector('[data-testid=agenda]') !== null`)
	if eval[bool](member, "publish or copy", `document.querySelector('[data-testid=publish], [data-testid=copy-assembly]') !== null`) {
		t.Error("a committee member is offered to publish or copy")
	}
	c.open(member, "#/c/"+c.cid+"/new")
	wait(member, "no such page", `document.querySelector('main').textContent.includes('页面不存在')`)
	if eval[bool](member, "the form", `document.querySelector('[data-testid=new-assembly]') !== null`) {
		t.Error("a committee member gets the new assembly form")
	}
}

// TestConsoleNewCommunity: a street admin of every community registers a
// community in the console - refused in the page and by the server, in
// Chinese, where it is wrong - and lands on its page to import its
// roster. Nobody else is offered it.
func TestConsoleNewCommunity(t *testing.T) {
	c := newConsole(t)
	admin := c.tab()
	c.signIn(admin, c.e.admin)
	c.open(admin, "#/")
	// With one community, the admin stays on the list, which offers more.
	wait(admin, "the list", `document.querySelector('[data-testid=new-community]') !== null`)
	click(admin, `[data-testid=new-community] summary`)
	says := func(what, text string) {
		t.Helper()
		wait(admin, what, fmt.Sprintf(`document.querySelector('[data-testid=community-msg]').textContent.includes(%s)`, jsString(text)))
	}
	click(admin, `[data-testid=community-save]`)
	says("no name", "请填写小区名称")
	typeInto(admin, `[data-testid=community-name]`, "惠都花园")
	typeInto(admin, `[data-testid=community-id]`, "Huidu")
	click(admin, `[data-testid=community-save]`)
	says("a bad id", "小区编号须为 3 至 40 个小写英文字母")
	eval[bool](admin, "an id taken", fmt.Sprintf(`(() => { document.querySelector('[data-testid=community-id]').value = %q; return true; })()`, c.cid))
	typeInto(admin, `[data-testid=community-street]`, "金家岭街道")
	click(admin, `[data-testid=community-save]`)
	says("the id taken", "小区编号 "+c.cid+" 已被使用")
	eval[bool](admin, "a new id", `(() => { document.querySelector('[data-testid=community-id]').value = 'huidu-garden'; return true; })()`)
	typeInto(admin, `[data-testid=community-rc]`, "惠都社区")
	click(admin, `[data-testid=community-oc]`)
	click(admin, `[data-testid=community-save]`)
	wait(admin, "its page", `location.hash === '#/c/huidu-garden' && document.querySelector('[data-testid=roster]') !== null`)
	got, err := ov.NewRollServiceClient(c.e.conn).GetCommunity(c.e.ctx(c.e.admin), &ov.GetCommunityRequest{CommunityId: "huidu-garden"})
	if err != nil || got.GetName() != "惠都花园" || got.GetStreetOffice() != "金家岭街道" || got.GetResidentsCommittee() != "惠都社区" || !got.GetHasOwnersCommittee() {
		t.Errorf("the community registered: %v, %v", got, err)
	}

	staff := c.tab()
	c.signIn(staff, c.labelledToken(auth.StreetAdmin, c.cid, "惠都社区 管理员"))
	c.open(staff, "#/?all=1")
	wait(staff, "the list", `document.querySelector('main h1') !== null`)
	if eval[bool](staff, "the form", `document.querySelector('[data-testid=new-community]') !== null`) {
		t.Error("a street admin of one community is offered to register communities")
	}
}

// TestConsoleExportDownload: once a vote has closed, an auditor downloads
// its export from the console as a ZIP archive, which verifies offline
// with the log key the page names.
func TestConsoleExportDownload(t *testing.T) {
	c := newConsole(t)
	a := c.openAssembly("select-2026", nil, nil)
	c.castMany(a, 0, 20)
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: "select-2026", Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	tab := c.tab()
	c.signIn(tab, c.labelledToken(auth.Auditor, "", "市住建局 审计"))
	c.open(tab, "#/c/"+c.cid+"/a/select-2026/committee")
	wait(tab, "the export card", `document.querySelector('[data-testid=export-download]') !== null`)
	// The archive the page makes, as the browser downloads it.
	eval[bool](tab, "watch the download", `(() => { window.zips = []; const make = URL.createObjectURL;
		URL.createObjectURL = (b) => { window.zips.push(b); return make.call(URL, b); }; return true; })()`)
	click(tab, `[data-testid=export-download]`)
	wait(tab, "ready", `document.querySelector('[data-testid=export-link]') !== null && window.zips.length === 1`)
	b64 := eval[string](tab, "the archive", `window.zips[0].arrayBuffer().then((b) => { let s = ''; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); return btoa(s); })`)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	// As ownervote verify reads it.
	files, err := audit.ReadArchive(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("the console's archive: %v", err)
	}
	exp, err := c.as.ExportAssembly(c.e.ctx(c.e.admin), &ov.ExportAssemblyRequest{CommunityId: c.cid, AssemblyId: "select-2026"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(exp.GetFiles()) {
		t.Errorf("the archive has %d files, the export %d", len(files), len(exp.GetFiles()))
	}
	for name, want := range exp.GetFiles() {
		if !bytes.Equal(files[name], want) {
			t.Errorf("%s in the archive differs from the export's", name)
		}
	}
	if _, err := verifyFiles(files); err != nil {
		t.Errorf("the archive does not verify: %v", err)
	}
	keys, err := c.ss.GetServerKeys(c.e.ctx(c.e.admin), &ov.GetServerKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := eval[string](tab, "the command", `document.querySelector('[data-testid=export-command]').textContent`); got != "ownervote verify --log-verifier "+keys.GetLogVerifierKey()+" export-select-2026.zip" {
		t.Errorf("the page says to run %q", got)
	}
	// The city platform, which may not export, is not offered it.
	platform := c.tab()
	c.signIn(platform, c.platTok)
	c.open(platform, "#/c/"+c.cid+"/a/select-2026/committee")
	wait(platform, "the result", `document.querySelector('[data-testid=committee] h2') !== null`)
	if eval[bool](platform, "the export card", `document.querySelector('[data-testid=export]') !== null`) {
		t.Error("the city platform is offered the export")
	}
}

// TestConsoleOwnerKeys: staff register, on the roll page, the public key
// an owner made on their own device for online voting; replace it with a
// new one, and revoke it; a key used before is refused, in Chinese.
func TestConsoleOwnerKeys(t *testing.T) {
	c := newConsole(t)
	rs := ov.NewRollServiceClient(c.e.conn)
	units, err := rs.ListUnits(c.e.ctx(c.e.admin), &ov.ListUnitsRequest{CommunityId: c.cid, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var unit *ov.Unit
	for _, u := range units.GetUnits() {
		if u.GetVoterOwnerId() != "" && len(u.GetOwners()) == 1 {
			unit = u
			break
		}
	}
	owner := unit.GetVoterOwnerId()
	keys := func() []*ov.OwnerKey {
		t.Helper()
		r, err := rs.ListOwnerKeys(c.e.ctx(c.e.admin), &ov.ListOwnerKeysRequest{CommunityId: c.cid, OwnerId: owner})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetKeys()
	}
	tab := c.tab()
	c.signIn(tab, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	open := func() {
		t.Helper()
		c.open(tab, "#/c/"+c.cid+"/roll?q="+unit.GetUnitId())
		click(tab, fmt.Sprintf(`[data-owner-keys=%q]`, unit.GetUnitId()))
		wait(tab, "the dialog", `document.querySelector('dialog[open] [data-testid=owner-key-save]') !== null`)
	}
	says := func(what, text string) {
		t.Helper()
		wait(tab, what, fmt.Sprintf(`(document.querySelector('dialog[open]') || document.querySelector('[role=status]') || {textContent: ''}).textContent.includes(%s)`, jsString(text)))
	}
	first, second := newSigner("owner-phone", 231), newSigner("owner-new-phone", 232)
	open()
	says("none yet", "尚未登记密钥")
	typeInto(tab, `[data-testid=owner-key]`, "not a key")
	click(tab, `[data-testid=owner-key-save]`)
	says("a bad key", "公钥须为 32 字节的 Ed25519 公钥")
	eval[bool](tab, "the key", fmt.Sprintf(`(() => { document.querySelector('[data-testid=owner-key]').value = %q; return true; })()`, hex.EncodeToString(first.pub())))
	click(tab, `[data-testid=owner-key-save]`)
	wait(tab, "registered", fmt.Sprintf(`document.querySelector('dialog[open]') === null && (document.querySelector('[role=status]')?.textContent || '').includes(%q)`, first.keyID()))
	if ks := keys(); len(ks) != 1 || ks[0].GetKeyId() != first.keyID() || ks[0].GetStatus() != ov.KeyStatus_KEY_STATUS_ACTIVE || ks[0].GetRegisteredBy() != "惠都社区 王工作人员" ||
		!strings.HasPrefix(ks[0].GetRegisteredByTokenId(), "tok-") {
		t.Fatalf("keys after the registration: %v", ks)
	}

	// A second device: one more key, both in force.
	third := newSigner("owner-tablet", 233)
	open()
	says("the key in force", first.keyID())
	click(tab, `[data-action=register]`)
	typeInto(tab, `[data-testid=owner-key]`, hex.EncodeToString(third.pub()))
	click(tab, `[data-testid=owner-key-save]`)
	wait(tab, "another", fmt.Sprintf(`document.querySelector('dialog[open]') === null && (document.querySelector('[role=status]')?.textContent || '').includes(%q)`, third.keyID()))
	status := func() map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, k := range keys() {
			by := k.GetRevokedBy()
			if (by == "") != (k.GetRevokedByTokenId() == "") {
				by += " without its token id"
			}
			out[k.GetKeyId()] = fmt.Sprintf("%v/%s/%s", k.GetStatus() == ov.KeyStatus_KEY_STATUS_ACTIVE, k.GetReplacedBy(), by)
		}
		return out
	}
	// That one is lost: it is revoked, the other stays.
	open()
	click(tab, fmt.Sprintf(`[data-action="revoke:%s"]`, third.keyID()))
	typeInto(tab, `[data-testid=owner-key-reason]`, "平板电脑丢失")
	click(tab, `[data-testid=owner-key-save]`)
	wait(tab, "revoked", `document.querySelector('dialog[open]') === null && (document.querySelector('[role=status]')?.textContent || '').includes('已注销')`)
	staffLabel := "惠都社区 王工作人员"
	if got, want := status(), map[string]string{first.keyID(): "true//", third.keyID(): "false//" + staffLabel}; !maps.Equal(got, want) {
		t.Errorf("keys after one of two was revoked: %v, want %v", got, want)
	}
	// A new phone: the first is replaced (base64 this time).
	open()
	typeInto(tab, `[data-testid=owner-key]`, base64.StdEncoding.EncodeToString(second.pub()))
	click(tab, `[data-testid=owner-key-save]`)
	wait(tab, "replaced", fmt.Sprintf(`document.querySelector('dialog[open]') === null && (document.querySelector('[role=status]')?.textContent || '').includes(%q)`, second.keyID()))
	if got, want := status(), map[string]string{first.keyID(): "false/" + second.keyID() + "/" + staffLabel, second.keyID(): "true//", third.keyID(): "false//" + staffLabel}; !maps.Equal(got, want) {
		t.Errorf("keys after the replacement: %v, want %v", got, want)
	}
	// Lost too: revoked, none in force.
	open()
	says("each key's history", "更换为新的密钥")
	says("who ended them", "注销（惠都社区 王工作人员）")
	click(tab, fmt.Sprintf(`[data-action="revoke:%s"]`, second.keyID()))
	typeInto(tab, `[data-testid=owner-key-reason]`, "业主手机丢失")
	click(tab, `[data-testid=owner-key-save]`)
	wait(tab, "revoked", fmt.Sprintf(`document.querySelector('dialog[open]') === null && (document.querySelector('[role=status]')?.textContent || '').includes(%q)`, second.keyID()))
	for _, k := range keys() {
		if k.GetStatus() == ov.KeyStatus_KEY_STATUS_ACTIVE {
			t.Errorf("key %s still in force after every key was ended", k.GetKeyId())
		}
	}
	// A key used before is not registered again.
	open()
	says("listed as replaced and revoked", "已更换")
	typeInto(tab, `[data-testid=owner-key]`, hex.EncodeToString(first.pub()))
	click(tab, `[data-testid=owner-key-save]`)
	says("refused", "该公钥已登记，不能重复使用")
	if len(keys()) != 3 {
		t.Errorf("a key registered twice: %v", keys())
	}
}
