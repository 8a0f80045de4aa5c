package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/browsertest"
	"github.com/ownervote/ownervote/demo"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/tally"
)

// The web console (package web) tested in a real headless Chromium against
// a real server on a real bbolt file: every step goes through the pages
// and the JSON API the console calls, and the results are checked through
// the API from Go. Screenshots of each page go to the screenshot folder
// (see package browsertest).

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/console-dashboard.png from TestConsoleCampaign")

// console is a running server with the demo community (166 households) and
// a headless browser.
type console struct {
	t        *testing.T
	e        *env
	b        *browsertest.Browser
	url      string
	cid      string
	as       ov.AssemblyServiceClient
	ss       ov.SignerServiceClient
	platform signer
	platTok  string
	clerk    signer // a staff key registered by an admin, for paper ballots
	owners   map[string]signer
	voters   []string // every voter of the roll, in unit order
	base     time.Time
	// others are the choices apiBallot makes on motions other than m1;
	// ABSTAIN where none is given.
	others map[string][]string
}

func newConsole(t *testing.T) *console {
	b := browsertest.Start(t) // skips (or fails under OWNERVOTE_REQUIRE_BROWSER=1) without Chromium
	e := newEnv(t)
	c := &console{t: t, e: e, b: b, url: "http://" + e.srv.HTTPAddr(), cid: demo.CommunityID,
		as: ov.NewAssemblyServiceClient(e.conn), ss: ov.NewSignerServiceClient(e.conn),
		platform: newSigner("qd-platform", 210), clerk: newSigner("staff-li", 214), owners: map[string]signer{},
		base: time.Now().UTC().Truncate(time.Second)}
	if _, err := demo.Seed(context.Background(), e.book); err != nil {
		t.Fatal(err)
	}
	c.platTok = c.labelledToken(auth.Platform, "", "青岛市智慧物业平台")
	if _, err := c.ss.RegisterSigner(e.ctx(e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "PLATFORM", SignerId: c.platform.id,
		Name: "青岛市智慧物业平台", PublicKey: c.platform.pub()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ss.RegisterSigner(e.ctx(e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "STAFF", SignerId: c.clerk.id,
		Name: "李工作人员", CommunityId: c.cid, PublicKey: c.clerk.pub()}}); err != nil {
		t.Fatal(err)
	}
	units, err := ov.NewRollServiceClient(e.conn).ListUnits(e.ctx(e.admin), &ov.ListUnitsRequest{CommunityId: c.cid, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range units.GetUnits() {
		v := u.GetVoterOwnerId()
		if v == "" {
			v = "developer"
		}
		if !seen[v] {
			seen[v] = true
			c.voters = append(c.voters, v)
		}
	}
	return c
}

func (c *console) labelledToken(role auth.Role, community, label string) string {
	c.t.Helper()
	_, secret, err := c.e.tokens.Create(context.Background(), role, community, label)
	if err != nil {
		c.t.Fatal(err)
	}
	return secret
}

// openAssembly creates and publishes an assembly that opened two days ago
// (the clock is moved for it), taking votes through every channel staff
// and the platform use, and leaves the clock at the real time.
func (c *console) openAssembly(id string, settings *ov.Settings, committee *ov.Committee, more ...*ov.Motion) *ov.Assembly {
	c.t.Helper()
	return c.openAssemblyThrough([]ov.Channel{ov.Channel_CHANNEL_ONLINE, ov.Channel_CHANNEL_PLATFORM, ov.Channel_CHANNEL_PHONE, ov.Channel_CHANNEL_VISIT, ov.Channel_CHANNEL_PAPER},
		id, settings, committee, more...)
}

// openAssemblyThrough is openAssembly with the channels given.
func (c *console) openAssemblyThrough(channels []ov.Channel, id string, settings *ov.Settings, committee *ov.Committee, more ...*ov.Motion) *ov.Assembly {
	c.t.Helper()
	c.e.clock.Set(c.base.Add(-3 * 24 * time.Hour))
	if committee == nil {
		member := newSigner("member-zhao", 211)
		if _, err := c.ss.RegisterSigner(c.e.ctx(c.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: member.id,
			Name: "赵委员", CommunityId: c.cid, PublicKey: member.pub()}}); err != nil {
			c.t.Fatal(err)
		}
		committee = &ov.Committee{MemberKeyIds: []string{member.keyID()}, K: 1}
	}
	a, err := c.as.CreateAssembly(c.e.ctx(c.e.admin), &ov.CreateAssemblyRequest{CommunityId: c.cid, Assembly: &ov.Assembly{
		AssemblyId: id, Title: "北宅王哥庄机关宿舍楼业主大会：选聘物业服务企业",
		Motions: append([]*ov.Motion{{MotionId: "m1", Title: "选聘青岛天泰爱家物业服务有限公司为本小区物业服务企业", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}}, more...),
		OpensAt: timestamppb.New(c.base.Add(-2 * 24 * time.Hour)), ClosesAt: timestamppb.New(c.base.Add(3 * 24 * time.Hour)),
		Channels: channels, Settings: settings, Committee: committee, ShortNoticeReason: "测试：公告期缩短",
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	if a, err = c.as.PublishAssembly(c.e.ctx(c.e.admin), &ov.PublishAssemblyRequest{CommunityId: c.cid, AssemblyId: id}); err != nil {
		c.t.Fatal(err)
	}
	c.now()
	return a
}

// now moves the server clock to the real time (plus a minute, so that a
// ballot the browser dates with its own clock is never in the future).
func (c *console) now() time.Time {
	at := time.Now().UTC().Add(time.Minute)
	c.e.clock.Set(at)
	return at
}

// platformBallot submits voter's ballot through the city platform's key, as
// the city platform would, received at the given time.
func (c *console) platformBallot(a *ov.Assembly, voter, choice string, at time.Time) *ov.BallotReceipt {
	return c.apiBallot(a, voter, ballot.Platform, choice, at)
}

// apiBallot submits voter's ballot through the API: ONLINE with the owner's
// own key (registered on first use), PLATFORM with the platform's key, or
// PAPER entered by the clerk.
func (c *console) apiBallot(a *ov.Assembly, voter string, ch ballot.Channel, choice string, at time.Time) *ov.BallotReceipt {
	c.t.Helper()
	c.e.clock.Set(at)
	b := &ballot.Ballot{Assembly: a.GetAssemblyId(), RollDigest: a.GetRollDigest(), Voter: voter, Channel: ch, Signer: ch.Signer(),
		Nonce: nonce(), Time: at.UTC().Truncate(time.Second), Choices: []ballot.Choice{{Motion: "m1", Values: []string{choice}}}}
	// A ballot covers every motion: the others are abstentions unless
	// c.others says otherwise.
	for _, m := range a.GetMotions() {
		if m.GetMotionId() != "m1" {
			values := c.others[m.GetMotionId()]
			if values == nil {
				values = []string{"ABSTAIN"}
			}
			b.Choices = append(b.Choices, ballot.Choice{Motion: m.GetMotionId(), Values: values})
		}
	}
	key, tok := c.platform, c.platTok
	switch ch {
	case ballot.Platform:
		b.PlatformVoteID = "QDWY-" + voter
	case ballot.Phone:
		// Taken by 周工作人员, whose key the harness registers here.
		key, tok = newSigner("staff-zhou", 215), c.e.admin
		if _, err := c.ss.RegisterSigner(c.e.ctx(c.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "STAFF", SignerId: key.id,
			Name: "周工作人员", CommunityId: c.cid, PublicKey: key.pub()}}); err != nil && status.Code(err) != codes.AlreadyExists {
			c.t.Fatal(err)
		}
		b.Attestation = &ballot.Attestation{StaffID: key.id, At: b.Time, MaskedPhone: "138****0215", Note: "业主本人接听"}
	case ballot.Paper:
		key, tok = c.clerk, c.e.admin
		b.Attestation = &ballot.Attestation{StaffID: c.clerk.id, At: b.Time, PaperSerial: "P-" + voter, ScanSHA256: fmt.Sprintf("%x", sha256.Sum256([]byte("表决票扫描件 "+voter)))}
	case ballot.Online:
		k, ok := c.owners[voter]
		if !ok {
			k = newSigner(voter, byte(20+len(c.owners)))
			if _, err := ov.NewRollServiceClient(c.e.conn).RegisterOwnerKey(c.e.ctx(c.platTok), &ov.RegisterOwnerKeyRequest{CommunityId: c.cid,
				OwnerId: voter, PublicKey: k.pub()}); err != nil {
				c.t.Fatal(err)
			}
			c.owners[voter] = k
		}
		key = k
	}
	b.KeyID = key.keyID()
	canonical, sig, err := ballot.Sign(b, key.priv)
	if err != nil {
		c.t.Fatal(err)
	}
	r, err := c.as.SubmitBallot(c.e.ctx(tok), &ov.SubmitBallotRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Ballot: canonical, Signature: sig})
	if err != nil {
		c.t.Fatalf("%s ballot of %s: %v", ch, voter, err)
	}
	return r
}

// castMany has the platform cast the ballots of voters[from:to], spread over
// the hours since voting opened, one in eight opposed.
func (c *console) castMany(a *ov.Assembly, from, to int) {
	c.t.Helper()
	opened := a.GetOpensAt().AsTime()
	span := c.base.Sub(opened)
	for i := from; i < to; i++ {
		choice := "AGREE"
		if i%8 == 3 {
			choice = "OPPOSE"
		}
		// Uneven, yet in order, as the log's times are.
		at := opened.Add(time.Duration(float64(span) * (float64(i-from+1) + 0.4*float64(i%3)) / float64(to-from+3)))
		ch := ballot.Platform
		switch {
		case c.voters[i] == "developer":
		case i%5 == 0:
			ch = ballot.Online
		case i%11 == 0 && !a.GetSettings().GetMakerChecker():
			// (Under maker-checker a paper ballot waits for its check.)
			ch = ballot.Paper
		}
		c.apiBallot(a, c.voters[i], ch, choice, at)
	}
	c.now()
}

// tab opens a new browser profile (its own storage and IndexedDB).
func (c *console) tab() *browsertest.Tab { return c.b.Profile(c.t) }

// open navigates to a console route ("#/…"), reloading the page when it
// shows that route already (a same-document navigation would not).
func (c *console) open(tab *browsertest.Tab, route string) {
	c.t.Helper()
	url := c.url + "/" + route
	nav := chromedp.Navigate(url)
	if browsertest.Get(tab, "read the URL", chromedp.Location()) == url {
		nav = chromedp.Reload()
	}
	tab.Run("open "+route, nav, chromedp.WaitVisible(chromedp.CSS("main")))
}

// signIn signs in with a token, typed into the sign-in form.
func (c *console) signIn(tab *browsertest.Tab, token string) {
	c.t.Helper()
	c.open(tab, "#/signin")
	tab.Run("sign in",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=token]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=token]`), token),
		chromedp.Click(chromedp.CSS(`[data-testid=signin] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=signout]`)))
	if got := browsertest.Get(tab, "read the URL", chromedp.Location()); strings.Contains(got, token) {
		c.t.Errorf("the token appears in the URL %s", got)
	}
}

// wait polls a JavaScript condition until it is true.
func wait(tab *browsertest.Tab, what, js string) {
	tab.Run(what, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond)))
}

func eval[T any](tab *browsertest.Tab, what, js string) T {
	return browsertest.Get(tab, what, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

func click(tab *browsertest.Tab, sel string) {
	tab.Run("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

func typeInto(tab *browsertest.Tab, sel, text string) {
	tab.Run("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// selectValue chooses an option of a <select> as a person would.
func selectValue(tab *browsertest.Tab, sel, value string) {
	if !eval[bool](tab, "choose "+value+" in "+sel, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q;
		s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })()`, sel, value, value)) {
		tab.Fatalf("%s has no option %q", sel, value)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// enrolKey makes a key in the tab's browser and submits it for approval.
func (c *console) enrolKey(tab *browsertest.Tab, kind, signerID, name string) {
	c.t.Helper()
	c.open(tab, "#/keys")
	tab.Run("wait for the enrol form", chromedp.WaitVisible(chromedp.CSS(`[data-testid=enrol]`)))
	selectValue(tab, `[data-testid=enrol-kind]`, kind)
	typeInto(tab, `[data-testid=enrol-id]`, signerID)
	typeInto(tab, `[data-testid=enrol-name]`, name)
	click(tab, `[data-testid=enrol] button[type=submit]`)
	wait(tab, "the key is pending", `document.querySelector('[data-status=PENDING]') !== null`)
}

// signerByID returns the registered signer with a signer id.
func (c *console) signerByID(id string) *ov.Signer {
	c.t.Helper()
	resp, err := c.ss.ListSigners(c.e.ctx(c.e.admin), &ov.ListSignersRequest{CommunityId: c.cid})
	if err != nil {
		c.t.Fatal(err)
	}
	for _, s := range resp.GetSigners() {
		if s.GetSignerId() == id {
			return s
		}
	}
	c.t.Fatalf("no signer %s", id)
	return nil
}

// approveAll approves every pending key on the admin's key page.
func (c *console) approveAll(admin *browsertest.Tab, n int) {
	c.t.Helper()
	c.open(admin, "#/keys")
	for i := range n {
		wait(admin, fmt.Sprintf("%d pending keys listed", n-i), fmt.Sprintf(`document.querySelectorAll('[data-approve]').length === %d`, n-i))
		if i == 0 {
			admin.Screenshot("console-keys-approve")
		}
		click(admin, `[data-approve]`)
	}
	wait(admin, "all approved", `document.querySelector('[data-testid=keys-msg] .ok') !== null && document.querySelectorAll('[data-approve]').length === 0`)
}

func barValue(tab *browsertest.Tab, key string) string {
	return eval[string](tab, "read bar "+key, fmt.Sprintf(`document.querySelector('[data-bar=%q]').getAttribute('aria-valuenow')`, key))
}

// TestConsoleCampaign: the phone campaign in the console. A staff member
// signs in, watches the dashboard move when the platform submits a ballot,
// ranks and filters the call list, reveals a phone number (recorded),
// records a call attempt, enrols a key that an admin approves in the
// console, records a phone vote signed in the browser, and a second staff
// member confirms it (maker-checker). The server verifies the signature and
// the receipt verifies.
func TestConsoleCampaign(t *testing.T) {
	c := newConsole(t)
	staffA := c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员")
	staffB := c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 李工作人员")
	a := c.openAssembly("select-2026", &ov.Settings{MakerChecker: true}, nil)
	const early = 100
	c.castMany(a, 0, early)

	tab := c.tab()
	c.open(tab, "#/signin")
	tab.Run("sign-in form", chromedp.WaitVisible(chromedp.CSS(`[data-testid=token]`)))
	tab.Screenshot("console-signin")
	c.signIn(tab, staffA)
	// One community: the console goes straight to it.
	tab.Run("assemblies listed", chromedp.WaitVisible(chromedp.CSS(`[data-assembly="select-2026"]`)))
	if got := eval[string](tab, "session storage", `JSON.stringify(Object.keys(sessionStorage))`); got != `["ownervote.token"]` {
		t.Errorf("sessionStorage keys = %s", got)
	}
	if got := eval[string](tab, "local storage", `JSON.stringify(Object.values(localStorage))`); strings.Contains(got, "ovt_") || strings.Contains(got, staffA) {
		t.Errorf("the token is in localStorage: %s", got)
	}
	tab.Screenshot("console-assemblies")

	// Dashboard moves when a ballot arrives.
	{
		click(tab, `[data-assembly="select-2026"] [data-tab=dashboard]`)
		wait(tab, "dashboard loaded", `document.querySelector('[data-bar="m1-quorum-head"]') !== null`)
		if got := barValue(tab, "m1-quorum-head"); got != strconv.Itoa(early) {
			t.Errorf("participating head bar = %s, want %d", got, early)
		}
		need := eval[string](tab, "quorum need", `document.querySelector('[data-need="m1-quorum"]').textContent`)
		p, err := c.as.GetProgress(c.e.ctx(c.e.admin), &ov.GetProgressRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
		if err != nil {
			t.Fatal(err)
		}
		q := p.GetMotions()[0].GetQuorum().GetRemaining()
		if want := fmt.Sprintf("还需 %d 人 / %s m² 参与", q.GetHead(), groupArea(q.GetAreaM2())); need != want {
			t.Errorf("quorum line text = %q, want %q", need, want)
		}
		tab.Screenshot("console-dashboard")
		// A draft's roll is not frozen: no bars against lines of nothing.
		if _, err := c.as.CreateAssembly(c.e.ctx(c.e.admin), &ov.CreateAssemblyRequest{CommunityId: c.cid, Assembly: &ov.Assembly{
			AssemblyId: "draft-2026", Title: "续聘物业服务企业", Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
			OpensAt: timestamppb.New(c.base.Add(20 * 24 * time.Hour)), ClosesAt: timestamppb.New(c.base.Add(25 * 24 * time.Hour)),
			Channels: []ov.Channel{ov.Channel_CHANNEL_PLATFORM}, Committee: a.GetCommittee()}}); err != nil {
			t.Fatal(err)
		}
		c.open(tab, "#/c/"+c.cid+"/a/draft-2026")
		wait(tab, "draft dashboard", `document.querySelector('[data-testid=dash-draft]') !== null`)
		if eval[bool](tab, "no bars", `document.querySelector('[data-bar]') !== null || document.body.textContent.includes('已达')`) {
			t.Error("the dashboard of a draft shows figures against lines")
		}
		c.open(tab, "#/c/"+c.cid+"/a/select-2026")
		wait(tab, "dashboard again", `document.querySelector('[data-bar="m1-quorum-head"]') !== null`)
		if *updateDocs {
			tab.Run("docs viewport", chromedp.EmulateViewport(1000, 900))
			png := browsertest.Get(tab, "docs screenshot", chromedp.FullScreenshot(100))
			if err := os.WriteFile("../docs/console-dashboard.png", png, 0o644); err != nil {
				t.Fatal(err)
			}
			tab.Run("desktop viewport", chromedp.EmulateViewport(1280, 900))
		}

		c.platformBallot(a, c.voters[early], "AGREE", c.now())
		wait(tab, "the bar moves", fmt.Sprintf(`document.querySelector('[data-bar="m1-quorum-head"]').getAttribute('aria-valuenow') === '%d'`, early+1))
		if got := barValue(tab, "m1-AGREE-head"); got == "" {
			t.Error("no agreeing headcount bar")
		}
		// The same page on a phone, and in English.
		tab.Run("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		tab.Screenshot("console-dashboard-phone")
		tab.Run("desktop viewport", chromedp.EmulateViewport(1280, 900))
		click(tab, `[data-testid=lang]`)
		wait(tab, "English", `document.documentElement.lang === 'en' && document.querySelector('[data-need="m1-quorum"]') !== null`)
		if got := eval[string](tab, "English need", `document.querySelector('[data-need="m1-quorum"]').textContent`); !strings.Contains(got, "must take part") {
			t.Errorf("English quorum text = %q", got)
		}
		tab.Screenshot("console-dashboard-en")
		click(tab, `[data-testid=lang]`)
		wait(tab, "Chinese", `document.documentElement.lang === 'zh-CN'`)
	}

	var called string
	// Call list.
	{
		c.open(tab, "#/c/"+c.cid+"/a/select-2026/calls")
		wait(tab, "call list", `document.querySelectorAll('[data-voter]').length > 0`)
		nv, err := c.as.ListNonVoters(c.e.ctx(staffA), &ov.ListNonVotersRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
		if err != nil {
			t.Fatal(err)
		}
		area := map[string]tally.Area{}
		for _, v := range nv.GetNonVoters() {
			area[v.GetVoter()], _ = tally.ParseArea(v.GetFigures().GetAreaM2())
		}
		rows := eval[[]string](tab, "rows", `[...document.querySelectorAll('[data-voter]')].map((e) => e.dataset.voter)`)
		if len(rows) != len(nv.GetNonVoters()) {
			t.Fatalf("call list has %d rows, ListNonVoters %d", len(rows), len(nv.GetNonVoters()))
		}
		// Every household counts one head, so the ranking follows the
		// area: the biggest unit helps the area line most.
		for i := 1; i < len(rows); i++ {
			if area[rows[i]] > area[rows[i-1]] {
				t.Errorf("row %d (%s, %s m²) ranks below row %d (%s, %s m²)", i, rows[i], area[rows[i]], i+1, rows[i-1], area[rows[i-1]])
			}
		}
		tab.ScreenshotView("console-calls")
		tab.Run("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		tab.ScreenshotView("console-calls-phone")
		tab.Run("desktop viewport", chromedp.EmulateViewport(1280, 900))

		selectValue(tab, `[data-testid=building]`, "4")
		nv2, err := c.as.ListNonVoters(c.e.ctx(staffA), &ov.ListNonVotersRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Building: "4"})
		if err != nil {
			t.Fatal(err)
		}
		units := eval[[]string](tab, "building 2 rows", `[...document.querySelectorAll('[data-voter]')].map((e) => e.dataset.units)`)
		if len(units) != len(nv2.GetNonVoters()) {
			t.Errorf("building 4: %d rows, ListNonVoters says %d", len(units), len(nv2.GetNonVoters()))
		}
		for _, u := range units {
			if !strings.HasPrefix(u, "4-") && !strings.Contains(u, " 4-") {
				t.Errorf("building filter 4 shows units %s", u)
			}
		}

		// Reveal the full number: an explicit action with a reason, recorded.
		called = eval[string](tab, "first row with a phone", `document.querySelector('[data-reveal]').dataset.reveal`)
		click(tab, fmt.Sprintf(`[data-reveal=%q]`, called))
		tab.Run("reveal dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid=reveal-reason]`)))
		if got := eval[string](tab, "no reason given in advance", `document.querySelector('[data-testid=reveal-reason]').value`); got != "" {
			t.Errorf("the reveal's reason is filled in in advance: %q", got)
		}
		typeInto(tab, `[data-testid=reveal-reason]`, "业主约定今晚电话表决")
		tab.ScreenshotView("console-reveal")
		click(tab, `dialog[open] button[type=submit]`)
		wait(tab, "number shown", fmt.Sprintf(`document.querySelector('[data-revealed=%q]') !== null`, called))
		shown := eval[string](tab, "revealed number", fmt.Sprintf(`document.querySelector('[data-revealed=%q]').textContent`, called))
		if !regexp.MustCompile(`^100\d{8}$`).MatchString(shown) {
			t.Errorf("revealed number %q", shown)
		}
		log, err := c.e.book.AccessLog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 || log[0].OwnerID != called || log[0].Reason != "业主约定今晚电话表决" || log[0].Label != "惠都社区 王工作人员" {
			t.Errorf("access log after the reveal = %+v, want one entry for %s by 王工作人员 with the reason", log, called)
		}

		// Record a call attempt: call back tomorrow.
		click(tab, fmt.Sprintf(`[data-record-call=%q]`, called))
		click(tab, `dialog[open] [data-outcome=CALL_BACK]`)
		typeInto(tab, `dialog[open] [data-testid=call-note]`, "业主出差，明晚回电")
		tab.ScreenshotView("console-call-dialog")
		click(tab, `dialog[open] [data-testid=call-save]`)
		wait(tab, "history updated", fmt.Sprintf(`document.querySelector('[data-voter=%q] .call-last').textContent.includes('约定回电')`, called))
		calls, err := c.as.ListCallAttempts(c.e.ctx(staffA), &ov.ListCallAttemptsRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Voter: called})
		if err != nil {
			t.Fatal(err)
		}
		if got := calls.GetCallAttempts(); len(got) != 1 || got[0].GetOutcome() != ov.CallOutcome_CALL_OUTCOME_CALL_BACK ||
			got[0].GetCallbackTime() == nil || got[0].GetNote() != "业主出差，明晚回电" || got[0].GetRecordedBy() != "惠都社区 王工作人员" {
			t.Errorf("call attempts of %s = %v", called, got)
		}
		tab.ScreenshotView("console-call-recorded")

		// A number that changed is put right from the call list (another
		// household's): recorded with the reason, and listed at once,
		// masked.
		other := eval[string](tab, "another household", fmt.Sprintf(`[...document.querySelectorAll('[data-correct-phone]')].map((e) => e.dataset.correctPhone).find((v) => v !== %q && v !== 'developer')`, called))
		click(tab, fmt.Sprintf(`[data-correct-phone=%q]`, other))
		tab.Run("correction dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-phone]`)))
		typeInto(tab, `[data-testid=correct-reason]`, "业主更换手机号码")
		click(tab, `dialog[open] [data-testid=correct-save]`)
		wait(tab, "asked for a number", `document.querySelector('dialog[open] [role=alert]') !== null`)
		// The server's refusal stays in the dialog, which can be sent again.
		typeInto(tab, `[data-testid=new-phone]`, "12345")
		click(tab, `dialog[open] [data-testid=correct-save]`)
		wait(tab, "refused", `(document.querySelector('dialog[open]') || {textContent: ''}).textContent.includes('联系电话格式不正确')`)
		if eval[bool](tab, "button enabled again", `document.querySelector('dialog[open] [data-testid=correct-save]').disabled`) {
			t.Error("the correction's button stays disabled after a refusal")
		}
		eval[string](tab, "clear the number", `document.querySelector('[data-testid=new-phone]').value = ''`)
		typeInto(tab, `[data-testid=new-phone]`, "139 1234 5678")
		tab.ScreenshotView("console-correct-phone")
		click(tab, `dialog[open] [data-testid=correct-save]`)
		wait(tab, "new number listed", fmt.Sprintf(`document.querySelector('[data-voter=%q] .phone').textContent.includes('139****5678')`, other))
		fixes, _, err := c.e.book.RollChanges(context.Background(), c.cid, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(fixes) != 1 || fixes[0].OwnerID != other || fixes[0].Reason != "业主更换手机号码" || fixes[0].Owner.MaskedPhoneAfter != "139****5678" || fixes[0].Label != "惠都社区 王工作人员" {
			t.Errorf("owner corrections after the console's = %+v", fixes)
		}
		// A number that is no longer the owner's, with no new one, is
		// removed; the developer's row has nothing to correct.
		click(tab, fmt.Sprintf(`[data-correct-phone=%q]`, other))
		click(tab, `dialog[open] [data-testid=remove-phone]`)
		typeInto(tab, `[data-testid=correct-reason]`, "号码已停用")
		click(tab, `dialog[open] [data-testid=correct-save]`)
		wait(tab, "no number listed", fmt.Sprintf(`document.querySelector('[data-voter=%q] .phone').textContent.includes('未登记电话')`, other))
		if fixes, _, _ := c.e.book.RollChanges(context.Background(), c.cid, 0, 10); len(fixes) != 2 || fixes[1].Owner.MaskedPhoneAfter != "" || !fixes[1].Owner.PhoneChanged {
			t.Errorf("owner corrections after the number was removed = %+v", fixes)
		}
		if !eval[bool](tab, "developer's row", `document.querySelector('[data-voter=developer]') !== null && document.querySelector('[data-voter=developer] [data-correct-phone]') === null`) {
			t.Error("the developer's row is not listed, or offers a number correction")
		}
		// Both corrections are listed on the community's page, for a
		// committee member too: what changed, by whom, why.
		member := c.tab()
		c.signIn(member, c.e.token(auth.CommitteeMember, c.cid))
		c.open(member, "#/c/"+c.cid)
		wait(member, "the roll's changes", `document.querySelectorAll('[data-testid=roll-changes] li').length === 2`)
		changes := eval[[]string](member, "changes", `[...document.querySelectorAll('[data-testid=roll-changes] li')].map((li) => li.textContent)`)
		if !strings.Contains(changes[0], "业主信息更正") || !strings.Contains(changes[0], "139****5678") || !strings.Contains(changes[0], "业主更换手机号码") ||
			!strings.Contains(changes[0], "王工作人员") || !strings.Contains(changes[0], other) || !strings.Contains(changes[1], "未登记电话") {
			t.Errorf("the roll's changes as a committee member sees them: %q", changes)
		}
		member.ScreenshotView("console-roll-changes")
	}

	admin := c.tab()
	c.signIn(admin, c.e.admin)
	// Enrol a staff key, approved by an admin.
	{
		c.enrolKey(tab, "STAFF", "staff-wang", "王工作人员")
		tab.Screenshot("console-keys-pending")
		if s := c.signerByID("staff-wang"); !s.GetPending() {
			t.Fatalf("enrolled signer = %v, want pending", s)
		}
		c.open(tab, "#/c/"+c.cid+"/a/select-2026/record")
		tab.Run("a pending key cannot sign", chromedp.WaitVisible(chromedp.CSS(`[data-testid=nokey]`)))
		c.approveAll(admin, 1)
		if s := c.signerByID("staff-wang"); s.GetPending() || s.GetApproveTime() == nil {
			t.Fatalf("approved signer = %v, want active", s)
		}
		// The private key never left the browser: it is not extractable.
		if got := eval[bool](tab, "extractable?", `(async () => {
			const db = await new Promise((ok) => { const r = indexedDB.open('ownervote-keys'); r.onsuccess = () => ok(r.result); });
			const keys = await new Promise((ok) => { const r = db.transaction('keys').objectStore('keys').getAll(); r.onsuccess = () => ok(r.result); });
			return keys.length === 1 && keys[0].privateKey instanceof CryptoKey && !keys[0].privateKey.extractable && keys[0].privateKey.algorithm.name === 'Ed25519';
		})()`); !got {
			t.Error("the browser's key is not a non-extractable Ed25519 CryptoKey in IndexedDB")
		}
	}

	var ballotID string
	// Record a phone vote signed in the browser.
	{
		c.now()
		c.open(tab, "#/c/"+c.cid+"/a/select-2026/record?voter="+called)
		tab.Run("vote form", chromedp.WaitVisible(chromedp.CSS(`[data-testid=vote-form]`)))
		if got := eval[string](tab, "voter chosen", `document.querySelector('[data-testid=voter]').value`); got != called {
			t.Fatalf("voter chosen = %q, want %q from the call list", got, called)
		}
		click(tab, `[data-choice="m1:AGREE"]`)
		typeInto(tab, `[data-testid=att-note]`, "业主本人接听，同意选聘")
		typeInto(tab, `[data-testid=att-recording]`, strings.Repeat("0E", 32)) // as Windows' Get-FileHash writes it
		// A call dated before voting opened is refused here, before
		// anything is signed or sent (the server would keep it refused).
		now := eval[string](tab, "the call's time", `document.querySelector('[data-testid=att-time]').value`)
		eval[bool](tab, "an early time", `(() => { const i = document.querySelector('[data-testid=att-time]'); i.value = i.min.slice(0, 10) + 'T00:00'; return true; })()`)
		click(tab, `[data-testid=next]`)
		wait(tab, "early call refused", `document.querySelector('[data-testid=vote-form]').textContent.includes('投票开始前的表决不计入')`)
		eval[bool](tab, "the time again", fmt.Sprintf(`(() => { document.querySelector('[data-testid=att-time]').value = %q; return true; })()`, now))
		tab.Screenshot("console-record")
		tab.Run("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		tab.ScreenshotView("console-record-phone")
		// Nothing is cut off at a phone's width: no element reaches past
		// the viewport's right edge.
		if over := eval[string](tab, "phone width", `[...document.querySelectorAll('header *, .tabs *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.tagName + ':' + e.textContent.trim().slice(0, 20)).join(', ')`); over != "" {
			t.Errorf("at 390 px, cut off on the right: %s", over)
		}
		tab.Run("desktop viewport", chromedp.EmulateViewport(1280, 900))
		click(tab, `[data-testid=next]`)
		tab.Run("read back", chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirmed]`)))
		if got := eval[string](tab, "read-back text", `document.querySelector('[data-readback=m1]').textContent`); !strings.Contains(got, "同意") {
			t.Errorf("read-back = %q, want the choice 同意", got)
		}
		tab.Screenshot("console-readback")
		click(tab, `[data-testid=confirmed]`)
		click(tab, `[data-testid=sign]`)
		wait(tab, "receipt", `document.querySelector('[data-status]') !== null || document.querySelector('[data-testid=result] .error') !== null`)
		if got := eval[string](tab, "status", `(document.querySelector('[data-status]') || {}).dataset?.status || document.querySelector('[data-testid=result]').textContent`); got != "PENDING_CONFIRMATION" {
			t.Fatalf("ballot status in the page = %q, want PENDING_CONFIRMATION (maker-checker)", got)
		}
		ballotID = eval[string](tab, "ballot id", `document.querySelector('[data-status]').dataset.ballot`)
		tab.Screenshot("console-recorded")

		// The server verified the staff member's signature: check it again
		// here with the enrolled public key.
		staffKey := c.signerByID("staff-wang")
		list, err := c.as.ListBallots(c.e.ctx(c.e.admin), &ov.ListBallotsRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(list.GetBallots(), func(b *ov.BallotEntry) bool { return b.GetBallotId() == ballotID })
		if i < 0 {
			t.Fatalf("ballot %s not listed", ballotID)
		}
		entry := list.GetBallots()[i]
		b, err := ballot.Verify(entry.GetBallot(), entry.GetSignature(), staffKey.GetPublicKey())
		if err != nil {
			t.Fatalf("the browser's ballot does not verify: %v", err)
		}
		if b.Voter != called || b.Channel != ballot.Phone || b.Attestation.StaffID != "staff-wang" || b.Attestation.MaskedPhone == "" ||
			b.Attestation.Note != "业主本人接听，同意选聘" || b.Attestation.RecordingSHA256 != strings.Repeat("0e", 32) || b.Choices[0].Values[0] != "AGREE" {
			t.Errorf("ballot as signed = %+v %+v", b, b.Attestation)
		}
	}

	// A second staff member confirms the ballot, and rejects another one
	// (taken by a third).
	{
		// (An owner of record: the developer has no name to write.)
		var other string
		for i := len(c.voters) - 1; other == ""; i-- {
			if v := c.voters[i]; v != called && v != "developer" {
				other = v
			}
		}
		wrong := c.apiBallot(a, other, ballot.Phone, "OPPOSE", c.now()).GetBallotId()
		c.now()
		tabB := c.tab()
		c.signIn(tabB, staffB)
		// The confirmation is signed with the second staff member's own key.
		c.enrolKey(tabB, "STAFF", "staff-li", "李工作人员")
		c.approveAll(admin, 1)
		c.open(tabB, "#/c/"+c.cid+"/a/select-2026/record")
		tabB.Run("pending ballot listed", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-confirm=%q]`, ballotID))))
		// The checker reads back what the owner chose as the agenda words it.
		if got := eval[string](tabB, "choice read back", fmt.Sprintf(`document.querySelector('[data-pending=%q] [data-chosen=m1]').textContent`, ballotID)); !strings.Contains(got, a.GetMotions()[0].GetTitle()) || !strings.Contains(got, "同意") {
			t.Errorf("the pending ballot's choice reads %q, want the motion's title and 同意", got)
		}
		// The staff member who took it is not offered its check.
		c.open(tab, "#/c/"+c.cid+"/a/select-2026/record")
		wait(tab, "own ballot", fmt.Sprintf(`document.querySelector('[data-pending=%q] [data-testid=own-ballot]') !== null`, ballotID))
		if eval[bool](tab, "no check of one's own", fmt.Sprintf(`document.querySelector('[data-confirm=%q]') !== null || document.querySelector('[data-reject=%q]') !== null`, ballotID, ballotID)) {
			t.Error("the staff member who took the ballot is offered to check it")
		}
		tabB.Screenshot("console-confirm")
		click(tabB, fmt.Sprintf(`[data-confirm=%q]`, ballotID))
		wait(tabB, "confirmed", `document.querySelector('[data-testid=confirmations] .ok') !== null`)
		tabB.Screenshot("console-confirmed")
		r, err := c.as.GetBallotReceipt(c.e.ctx(c.e.admin), &ov.GetBallotReceiptRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), BallotId: ballotID})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
			t.Fatalf("after confirmation the ballot is %v", r.GetStatus())
		}
		if _, err := ballot.VerifyReceipt(r.GetReceipt(), r.GetReceiptSignature(), receiptKey.Public().(ed25519.PublicKey)); err != nil {
			t.Errorf("receipt of the phone ballot: %v", err)
		}
		// The log records the confirmation signed by staff-li's key.
		e, err := audit.ParseEntry(r.GetLogEntry())
		if err != nil || e.Status == nil {
			t.Fatalf("confirmation log entry = %+v, %v", e, err)
		}
		signers, err := c.ss.ListSigners(c.e.ctx(c.e.admin), &ov.ListSignersRequest{CommunityId: c.cid})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(signers.GetSigners(), func(s *ov.Signer) bool { return s.GetKeyId() == e.Status.KeyID && s.GetSignerId() == "staff-li" }) {
			t.Errorf("confirmation signed with key %s, not one of staff-li's", e.Status.KeyID)
		}

		const why = "回拨核实：业主称同意，录入有误"
		click(tabB, fmt.Sprintf(`[data-reject=%q]`, wrong))
		// A reason the server does not take (it names the owner, and is
		// public) is said beside the card, which keeps what was typed.
		wr, err := c.as.GetBallotReceipt(c.e.ctx(c.e.admin), &ov.GetBallotReceiptRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), BallotId: wrong})
		if err != nil {
			t.Fatal(err)
		}
		we, err := audit.ParseEntry(wr.GetLogEntry())
		if err != nil || we.Ballot == nil {
			t.Fatalf("the wrong ballot's entry: %+v, %v", we, err)
		}
		wb, err := ballot.Parse(we.Ballot.Ballot)
		if err != nil {
			t.Fatal(err)
		}
		owner, err := c.e.book.Owner(context.Background(), c.cid, wb.Voter)
		if err != nil {
			t.Fatal(err)
		}
		naming := "回拨核实：" + owner.Name + "称同意"
		typeInto(tabB, fmt.Sprintf(`[data-pending=%q] [data-testid=reject-reason]`, wrong), naming)
		click(tabB, fmt.Sprintf(`[data-pending=%q] [data-testid=reject-send]`, wrong))
		wait(tabB, "refused", `document.querySelector('[data-testid=confirmations] .error')?.textContent.includes('请勿写业主姓名')`)
		if got := eval[string](tabB, "the reason kept", fmt.Sprintf(`(() => { const r = document.querySelector('[data-pending=%q] [data-testid=reject-reason]'); return r.value + '|' + (document.activeElement === r); })()`, wrong)); got != naming+"|true" {
			t.Errorf("after the server refused the reason: %q, want it kept and focused", got)
		}
		eval[string](tabB, "clear the reason", fmt.Sprintf(`document.querySelector('[data-pending=%q] [data-testid=reject-reason]').value = ''`, wrong))
		typeInto(tabB, fmt.Sprintf(`[data-pending=%q] [data-testid=reject-reason]`, wrong), "  "+why+" ")
		tabB.Screenshot("console-reject")
		click(tabB, fmt.Sprintf(`[data-pending=%q] [data-testid=reject-send]`, wrong))
		wait(tabB, "rejected", `document.querySelector('[data-testid=settled-reject]') !== null || document.querySelector('[data-testid=confirmations] .error') !== null`)
		if got := eval[string](tabB, "after the rejection", `document.querySelector('[data-testid=confirmations]').textContent`); !strings.Contains(got, "已驳回") || strings.Contains(got, wrong) {
			t.Errorf("the check's list after the rejection = %q, want it said and the ballot gone", got)
		}
		rj, err := c.as.GetBallotReceipt(c.e.ctx(c.e.admin), &ov.GetBallotReceiptRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), BallotId: wrong})
		if err != nil {
			t.Fatal(err)
		}
		re, err := audit.ParseEntry(rj.GetLogEntry())
		if err != nil || rj.GetStatus() != ov.BallotStatus_BALLOT_STATUS_REFUSED || re.Rejection == nil || re.Rejection.Reason != why ||
			!slices.ContainsFunc(signers.GetSigners(), func(s *ov.Signer) bool { return s.GetKeyId() == re.Rejection.KeyID && s.GetSignerId() == "staff-li" }) {
			t.Errorf("the rejected ballot: %v, log entry %+v (%v); want REFUSED, a REJECTION with the trimmed reason signed by staff-li", rj.GetStatus(), re, err)
		}

		// A ballot refused at the check (its voter voted on the platform
		// meanwhile, which counts): the server's answer is shown over the
		// list, which no longer holds it.
		var third string
		for _, x := range c.voters[len(c.voters)-5:] {
			if x != called && x != other {
				third = x
			}
		}
		late := c.apiBallot(a, third, ballot.Phone, "AGREE", c.now()).GetBallotId()
		c.now()
		c.open(tabB, "#/c/"+c.cid+"/a/select-2026/record")
		tabB.Run("late ballot listed", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-confirm=%q]`, late))))
		// The voter has voted, pending the check: not offered for another
		// ballot, nor on the call list.
		if !eval[bool](tabB, "waiting voter not offered", fmt.Sprintf(`(() => { const o = document.querySelector('[data-testid=voter] option[value=%q]'); return o !== null && o.disabled && o.dataset.waiting === %q && o.textContent.includes('待复核'); })()`, third, late)) {
			t.Error("the record form offers a voter whose ballot waits for its check")
		}
		c.open(tabB, "#/c/"+c.cid+"/a/select-2026/calls")
		wait(tabB, "call list", `document.querySelector('[data-testid=callwaiting]') !== null`)
		if eval[bool](tabB, "waiting voter not called", fmt.Sprintf(`document.querySelector('[data-testid=calllist] [data-voter=%q]') !== null`, third)) {
			t.Error("the call list offers a voter whose ballot waits for its check")
		}
		c.open(tabB, "#/c/"+c.cid+"/a/select-2026/record")
		tabB.Run("late ballot listed again", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-confirm=%q]`, late))))
		c.platformBallot(a, third, "AGREE", c.now())
		click(tabB, fmt.Sprintf(`[data-confirm=%q]`, late))
		wait(tabB, "refused at the check", `document.querySelector('[data-testid=confirmations] .error') !== null`)
		if gone := eval[bool](tabB, "card gone", fmt.Sprintf(`document.querySelector('[data-pending=%q]') === null`, late)); !gone {
			t.Error("the card of a ballot refused at the check is still offered")
		}
		tabB.Screenshot("console-refused-at-check")

		// The dashboard counts the confirmed and the platform's ballots.
		c.open(tab, "#/c/"+c.cid+"/a/select-2026")
		wait(tab, "counted", fmt.Sprintf(`document.querySelector('[data-bar="m1-quorum-head"]')?.getAttribute('aria-valuenow') === '%d'`, early+3))
	}

	// Deleting an active key from the browser, which cannot be undone,
	// takes a confirmation naming it and the end of its id typed.
	{
		key := c.signerByID("staff-wang").GetKeyId()
		c.open(tab, "#/keys")
		tab.Run("key listed", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-key=%q]`, key))))
		click(tab, fmt.Sprintf(`[data-forget=%q]`, key))
		tab.Run("confirmation", chromedp.WaitVisible(chromedp.CSS(`[data-testid=forget-dialog]`)))
		if !eval[bool](tab, "names the key, delete disabled", fmt.Sprintf(`document.querySelector('[data-testid=forget-dialog]').textContent.includes(%q) && document.querySelector('[data-testid=forget-ok]').disabled`, key)) {
			t.Error("the delete confirmation does not name the key, or lets it be deleted without typing")
		}
		tab.Screenshot("console-key-forget")
		click(tab, `[data-testid=forget-cancel]`)
		wait(tab, "kept after cancel", fmt.Sprintf(`document.querySelector('[data-testid=forget-dialog]') === null && document.querySelector('[data-key=%q]') !== null`, key))
		// Escape closes it too, and it goes.
		click(tab, fmt.Sprintf(`[data-forget=%q]`, key))
		tab.Run("confirmation again", chromedp.WaitVisible(chromedp.CSS(`[data-testid=forget-dialog]`)))
		tab.Run("escape", chromedp.KeyEvent(kb.Escape))
		wait(tab, "closed by Escape", fmt.Sprintf(`document.querySelector('[data-testid=forget-dialog]') === null && document.querySelector('[data-key=%q]') !== null`, key))
		click(tab, fmt.Sprintf(`[data-forget=%q]`, key))
		typeInto(tab, `[data-testid=forget-confirm]`, key[len(key)-6:])
		click(tab, `[data-testid=forget-ok]`)
		wait(tab, "deleted", fmt.Sprintf(`document.querySelector('[data-key=%q]') === null && document.querySelector('[data-testid=forget-dialog]') === null`, key))

		// The key is lost: a street admin revokes it in the console, with a
		// reason and the end of its id.
		c.open(admin, "#/keys")
		admin.Run("active keys", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-active=%q]`, key))))
		if got := eval[string](admin, "kinds named", `document.querySelector('[data-testid=active-keys]').textContent`); strings.Contains(got, "kind.") || !strings.Contains(got, "智慧物业平台（签署线上表决）") {
			t.Errorf("the active keys' kinds read %q, want them named (the platform's too)", got)
		}
		click(admin, fmt.Sprintf(`[data-revoke=%q]`, key))
		typeInto(admin, `[data-testid=revoke-reason]`, "密钥所在浏览器已删除")
		if !eval[bool](admin, "revoke waits for the key id", `document.querySelector('[data-testid=revoke-ok]').disabled`) {
			t.Error("the revocation can be sent without the key id's end typed")
		}
		typeInto(admin, `[data-testid=revoke-confirm]`, key[len(key)-6:])
		admin.Screenshot("console-key-revoke")
		click(admin, `[data-testid=revoke-ok]`)
		wait(admin, "revoked", `document.querySelector('[data-testid=revoked-ok]') !== null`)
		if s := c.signerByID("staff-wang"); s.GetRevokeTime() == nil || s.GetRevokeReason() != "密钥所在浏览器已删除" {
			t.Errorf("after the console's revocation: %v, want revoked with the reason", s)
		}
		if eval[bool](admin, "no longer listed", fmt.Sprintf(`document.querySelector('[data-active=%q]') !== null`, key)) {
			t.Error("the revoked key is still listed as active")
		}
	}
	if errs := tab.Errors(); len(errs) > 0 {
		t.Errorf("browser errors: %v", errs)
	}
}

// groupArea writes "1034.20" as "1,034.20", as the console does.
func groupArea(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + frac
}

// TestConsoleCommittee: committee members and a staff member enrol keys in
// their own browsers, an admin approves them in the console, the assembly
// names the members (2 of 3); staff record a visit vote signed in the
// browser (accepted at once, its receipt verified in the page and here);
// after closing a member objects and staff answer in the console; once the
// objection window has passed two members certify in their browsers; the
// public notice shows the certified result without sign-in.
func TestConsoleCommittee(t *testing.T) {
	c := newConsole(t)
	staff := c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员")
	names := []struct{ id, name string }{{"member-zhao", "赵委员"}, {"member-qian", "钱委员"}, {"member-sun", "孙委员"}}
	var members []*browsertest.Tab
	for _, m := range names {
		tab := c.tab()
		c.signIn(tab, c.labelledToken(auth.CommitteeMember, c.cid, "惠都社区居委会 "+m.name))
		c.enrolKey(tab, "COMMITTEE", m.id, m.name)
		members = append(members, tab)
	}
	staffTab := c.tab()
	c.signIn(staffTab, staff)
	c.enrolKey(staffTab, "STAFF", "staff-wang", "王工作人员")
	admin := c.tab()
	c.signIn(admin, c.e.admin)
	c.approveAll(admin, 4)

	var keyIDs []string
	for _, m := range names {
		s := c.signerByID(m.id)
		if s.GetPending() || s.GetKind() != "COMMITTEE" {
			t.Fatalf("signer %s = %v, want an approved COMMITTEE key", m.id, s)
		}
		keyIDs = append(keyIDs, s.GetKeyId())
	}
	a := c.openAssembly("select-2026-c", nil, &ov.Committee{MemberKeyIds: keyIDs, K: 2},
		&ov.Motion{MotionId: "m2", Title: "电梯维保单位（二选一）", Matter: ov.Matter_MATTER_USE_MAINTENANCE_FUND,
			Options: []*ov.Option{{OptionId: "lift-a", Name: "青岛甲电梯公司"}, {OptionId: "lift-b", Name: "青岛乙电梯公司"}}})
	c.castMany(a, 0, 115)

	// A visit vote, signed in the browser: no maker-checker here, so it
	// counts at once and the page checks the receipt's signature.
	voter := c.voters[130]
	c.open(staffTab, "#/c/"+c.cid+"/a/select-2026-c/record?voter="+voter)
	click(staffTab, `[data-channel=VISIT]`)
	click(staffTab, `[data-choice="m1:OPPOSE"]`)
	click(staffTab, `[data-choice="m2:lift-b"]`)
	click(staffTab, `[data-testid=next]`)
	tab := staffTab
	wait(tab, "refused without a note", `document.querySelector('[data-testid=vote-form] .error') !== null`)
	if got := eval[string](tab, "the refusal", `document.querySelector('[data-testid=vote-form] .error').textContent`); !strings.HasPrefix(got, "备注：上门走访必须填写") {
		t.Errorf("a visit without a note is refused with %q, want the rule in Chinese first", got)
	}
	typeInto(tab, `[data-testid=att-note]`, "3号楼上门走访，业主本人当面表决")
	click(tab, `[data-testid=next]`)
	click(tab, `[data-testid=confirmed]`)
	click(tab, `[data-testid=sign]`)
	wait(tab, "receipt", `document.querySelector('[data-status]') !== null || document.querySelector('[data-testid=result] .error') !== null`)
	if got := eval[string](tab, "receipt check", `(document.querySelector('[data-receipt]') || {}).dataset?.receipt || document.querySelector('[data-testid=result]').textContent`); got != "verified" {
		t.Fatalf("receipt in the page: %q, want verified", got)
	}
	ballotID := eval[string](tab, "ballot id", `document.querySelector('[data-status]').dataset.ballot`)
	tab.Screenshot("console-visit-recorded")
	c.open(tab, "#/c/"+c.cid+"/a/select-2026-c")
	wait(tab, "option bars", `document.querySelector('[data-bar="m2-lift-b-head"]')?.getAttribute('aria-valuenow') === '1'`)
	tab.Screenshot("console-dashboard-options")
	r, err := c.as.GetBallotReceipt(c.e.ctx(c.e.admin), &ov.GetBallotReceiptRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), BallotId: ballotID})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("visit ballot is %v", r.GetStatus())
	}
	if _, err := ballot.VerifyReceipt(r.GetReceipt(), r.GetReceiptSignature(), receiptKey.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("receipt of the visit ballot: %v", err)
	}

	// Close; a member objects, staff answer.
	closed := c.now()
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	zhao := members[0]
	c.open(zhao, "#/c/"+c.cid+"/a/select-2026-c/committee")
	wait(zhao, "result", `document.querySelector('[data-outcome]') !== null`)
	if got := eval[string](zhao, "outcome", `document.querySelector('[data-outcome]').dataset.outcome`); got != "PASSED" {
		t.Errorf("outcome shown = %s, want PASSED", got)
	}
	if got := eval[string](zhao, "explanation", `document.querySelector('[data-testid=explanation]').textContent`); got == "" {
		t.Error("no explanation shown")
	}
	typeInto(zhao, `[data-testid=objection-text]`, "请核对3号楼上门走访的选票")
	// Sent twice at once (a double click): logged once.
	eval[bool](zhao, "submit twice", `(() => { const f = document.querySelector('[data-testid=objection-text]').form; f.requestSubmit(); f.requestSubmit(); return true; })()`)
	wait(zhao, "objection listed", `document.querySelector('[data-objection]') !== null`)
	if got, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "select-2026-c"}); err != nil || len(got.GetObjections()) != 1 {
		t.Errorf("objections after a double submit: %v, %v; want one", got.GetObjections(), err)
	}
	c.open(staffTab, "#/c/"+c.cid+"/a/select-2026-c/committee")
	typeInto(staffTab, `[data-objection] textarea`, "已核对：该票有走访记录和业主签字，计票无误")
	click(staffTab, `[data-objection] button[type=submit]`)
	wait(staffTab, "answered", `document.querySelector('[data-objection] .response') !== null`)

	// Too early: the page says until when, and offers no signature yet
	// (the server would refuse it).
	c.open(zhao, "#/c/"+c.cid+"/a/select-2026-c/committee")
	wait(zhao, "the objection window's end", `document.querySelector('[data-testid=window-open]') !== null`)
	if !eval[bool](zhao, "no signature yet", `document.querySelector('[data-testid=certify]').disabled`) {
		t.Error("the page offers a signature inside the objection window")
	}

	c.e.clock.Set(audit.ObjectionDeadline(closed, 3, audit.Rules))
	for i, m := range members[:2] {
		c.open(m, "#/c/"+c.cid+"/a/select-2026-c/committee")
		if i == 0 {
			wait(m, "the certification card", `document.querySelector('[data-testid=certification]') !== null`)
			if eval[bool](m, "objection form", `document.querySelector('[data-testid=objection-text]') !== null`) {
				t.Error("after the objection window the page still offers to record an objection")
			}
			m.Screenshot("console-committee")
			// A statement from the server other than the one the page makes
			// itself is not signed.
			eval[bool](m, "another statement", `(() => { const orig = window.fetch;
				window.fetch = (u, o) => !String(u).endsWith('/result') ? orig(u, o) : orig(u, o).then((r) => r.json()).then((j) => {
					j.certification_statement = j.certification_statement.replace('result=', 'result=00');
					return new Response(JSON.stringify(j), { status: 200, headers: { 'Content-Type': 'application/json' } }); });
				location.hash = '#/c/`+c.cid+`/a/select-2026-c/committee?again=1'; return true; })()`)
			wait(m, "the statement shown again", `document.querySelector('[data-testid=statement]')?.textContent.includes('result=00')`)
			click(m, `[data-testid=certify]`)
			wait(m, "refused", `document.querySelector('[data-testid=certification]')?.textContent.includes('不一致，未签名')`)
			if got, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "select-2026-c"}); err != nil || len(got.GetCertificate()) != 0 {
				t.Errorf("signatures after another statement: %v, %v; want none", got.GetCertificate(), err)
			}
			// (A reload: the page's own fetch again.)
			eval[bool](m, "back", `(() => { location.hash = '#/c/`+c.cid+`/a/select-2026-c/committee'; return true; })()`)
			m.Run("reload", chromedp.Reload())
			wait(m, "the certification card again", `document.querySelector('[data-testid=certify]') !== null && !document.querySelector('[data-testid=statement]').textContent.includes('result=00')`)
		}
		click(m, `[data-testid=certify]`)
		wait(m, "signed", fmt.Sprintf(`document.querySelector('[data-testid=certification]')?.dataset.signed === '%d'`, i+1))
	}
	wait(members[1], "certified", `document.querySelector('[data-testid=certified]') !== null`)
	members[1].Screenshot("console-certified")
	c.open(members[2], "#/c/"+c.cid+"/a/select-2026-c/committee")
	wait(members[2], "k of n", `document.querySelector('[data-testid=kofn]') !== null`)
	if got := eval[bool](members[2], "no sign button", `document.querySelector('[data-testid=certify]') === null`); !got {
		t.Error("a third member can still sign a certified result")
	}
	got, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.as.GetResult(c.e.ctx(c.e.admin), &ov.GetResultRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() != ov.AssemblyState_ASSEMBLY_STATE_CERTIFIED || len(got.GetCertificate()) != 2 {
		t.Fatalf("assembly = %v with %d signatures, want CERTIFIED with 2", got.GetState(), len(got.GetCertificate()))
	}
	for i, sig := range got.GetCertificate() {
		pub := c.signerByID(names[i].id).GetPublicKey()
		if sig.GetKeyId() != keyIDs[i] || !ed25519.Verify(pub, []byte(res.GetCertificationStatement()), sig.GetSignature()) {
			t.Errorf("certificate signature %d (%s) does not verify with %s's enrolled key", i, sig.GetKeyId(), names[i].id)
		}
	}

	// The public notice, without signing in.
	public := c.tab()
	public.Run("open the notice", chromedp.Navigate(c.url+"/notices/select-2026-c"), chromedp.WaitVisible(chromedp.CSS("body")))
	if text := browsertest.Get(public, "notice text", chromedp.Text(chromedp.CSS("body"))); !strings.Contains(text, "已认证") {
		t.Errorf("the public notice does not say the result is certified:\n%s", text)
	}
	public.Screenshot("console-notice")
	for _, tab := range append(members, staffTab, admin) {
		if errs := tab.Errors(); len(errs) > 0 {
			t.Errorf("browser errors: %v", errs)
		}
	}
}

// TestConsoleElectionAndDeemedConsent: the result page names the elected
// and shows, with deemed consent, the decision without it as well.
func TestConsoleElectionAndDeemedConsent(t *testing.T) {
	c := newConsole(t)
	c.others = map[string][]string{"m2": {"c1", "c2"}}
	a := c.openAssembly("elect-2026", &ov.Settings{DeemedConsent: true}, nil,
		&ov.Motion{MotionId: "m2", Title: "选举业主委员会委员（两席）", Matter: ov.Matter_MATTER_ELECT_COMMITTEE, Seats: 2,
			Options: []*ov.Option{{OptionId: "c1", Name: "候选人甲"}, {OptionId: "c2", Name: "候选人乙"}, {OptionId: "c3", Name: "候选人丙"}}})
	c.castMany(a, 0, 120)
	c.now()
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	tab := c.tab()
	c.signIn(tab, c.e.admin)
	c.open(tab, "#/c/"+c.cid+"/a/"+a.GetAssemblyId()+"/committee")
	wait(tab, "result", `document.querySelector('[data-result=m2] [data-testid=elected]') !== null`)
	if got := eval[string](tab, "elected", `document.querySelector('[data-result=m2] [data-testid=elected]').textContent`); got != "当选委员：候选人甲、候选人乙" {
		t.Errorf("elected shown as %q", got)
	}
	if !eval[bool](tab, "without deemed consent", `document.querySelector('[data-result=m1] [data-testid=without-deemed]') !== null`) {
		t.Error("the result page does not show m1's decision without deemed consent")
	}
	if eval[bool](tab, "no second decision for the election", `document.querySelector('[data-result=m2] [data-testid=without-deemed]') !== null`) {
		t.Error("the election shows a decision without deemed consent, which does not apply to it")
	}
	tab.Screenshot("console-election")
}

// TestConsoleDashboardFollowsTheClose: a dashboard left open when the vote
// closes shows the new state and stops saying it updates.
func TestConsoleDashboardFollowsTheClose(t *testing.T) {
	c := newConsole(t)
	a := c.openAssembly("close-2026", nil, nil)
	c.castMany(a, 0, 20)
	c.now()
	tab := c.tab()
	c.signIn(tab, c.e.admin)
	c.open(tab, "#/c/"+c.cid+"/a/"+a.GetAssemblyId())
	wait(tab, "the open state", `document.querySelector('.asm-head .state-open') !== null`)
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	wait(tab, "the closed state", `document.querySelector('.asm-head .state-preliminary') !== null`)
	wait(tab, "no more updates", `document.querySelector('[data-testid=live]').textContent.startsWith('表决已结束')`)
}

// TestConsoleListsEveryCommunity: a street office with more communities
// than one page of the API holds sees them all.
func TestConsoleListsEveryCommunity(t *testing.T) {
	c := newConsole(t)
	for i := range 1000 {
		if _, err := c.e.book.CreateCommunity(context.Background(), roll.Community{ID: fmt.Sprintf("zz-%04d", i), Name: fmt.Sprintf("小区%04d", i), StreetOffice: "金家岭街道", ResidentsCommittee: "惠都社区"}); err != nil {
			t.Fatal(err)
		}
	}
	tab := c.tab()
	c.signIn(tab, c.e.admin)
	c.open(tab, "#/")
	wait(tab, "the list", `document.querySelectorAll('main .cards > li').length > 0`)
	if n := eval[int](tab, "communities listed", `document.querySelectorAll('main .cards > li').length`); n != 1001 {
		t.Errorf("the console lists %d communities, want 1001", n)
	}
}

// TestConsoleOffersOnlyWhatTheServerTakes: before voting opens the call
// list logs calls but offers no vote to record, and a committee key cannot
// be enrolled for all communities.
func TestConsoleOffersOnlyWhatTheServerTakes(t *testing.T) {
	c := newConsole(t)
	c.now()
	member := newSigner("member-zhao", 211)
	if _, err := c.ss.RegisterSigner(c.e.ctx(c.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: member.id, Name: "赵委员", CommunityId: c.cid, PublicKey: member.pub()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.as.CreateAssembly(c.e.ctx(c.e.admin), &ov.CreateAssemblyRequest{CommunityId: c.cid, Assembly: &ov.Assembly{
		AssemblyId: "soon-2026", Title: "选聘物业", Motions: []*ov.Motion{{MotionId: "m1", Title: "选聘", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(c.base.Add(2 * 24 * time.Hour)), ClosesAt: timestamppb.New(c.base.Add(7 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE}, ShortNoticeReason: "测试：公告期缩短",
		Committee: &ov.Committee{MemberKeyIds: []string{member.keyID()}, K: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.as.PublishAssembly(c.e.ctx(c.e.admin), &ov.PublishAssemblyRequest{CommunityId: c.cid, AssemblyId: "soon-2026"}); err != nil {
		t.Fatal(err)
	}
	tab := c.tab()
	c.signIn(tab, c.e.admin)
	c.open(tab, "#/c/"+c.cid+"/a/soon-2026/calls")
	wait(tab, "the call list", `document.querySelector('[data-record-call]') !== null`)
	if eval[bool](tab, "record links", `document.querySelector('.call-actions a[href*="/record"]') !== null`) {
		t.Error("before voting opens the call list offers to record a vote")
	}
	c.open(tab, "#/keys")
	wait(tab, "the enrol form", `document.querySelector('[data-testid=enrol]') !== null`)
	selectValue(tab, `[data-testid=enrol-kind]`, "COMMITTEE")
	if got := eval[string](tab, "the community", `(() => { const s = document.querySelector('[data-testid=enrol-community]'); return s.options[0].disabled + ' ' + s.value; })()`); got != "true "+c.cid {
		t.Errorf("a committee key being enrolled: all-communities option disabled and community = %q, want true and %s", got, c.cid)
	}
}

// TestConsoleRetrySendsTheSameBallot: when the server answers a recorded
// vote with an error although it stored the ballot (here a failed fsync
// after the write), the page keeps the read-back and resends the same
// signed bytes, which the server answers as the ballot it has, instead of
// refusing a second ballot of the owner.
func TestConsoleRetrySendsTheSameBallot(t *testing.T) {
	c := newConsole(t)
	staff := c.tab()
	c.signIn(staff, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.enrolKey(staff, "STAFF", "staff-wang", "王工作人员")
	admin := c.tab()
	c.signIn(admin, c.e.admin)
	c.approveAll(admin, 1)
	a := c.openAssembly("retry-2026", nil, nil)
	c.open(staff, "#/c/"+c.cid+"/a/"+a.GetAssemblyId()+"/record?voter="+c.voters[130])
	click(staff, `[data-channel=VISIT]`)
	click(staff, `[data-choice="m1:AGREE"]`)
	typeInto(staff, `[data-testid=att-note]`, "3号楼上门走访，业主本人当面表决")
	click(staff, `[data-testid=next]`)
	click(staff, `[data-testid=confirmed]`)
	c.e.failSync.Store(true)
	click(staff, `[data-testid=sign]`)
	wait(staff, "the error", `document.querySelector('[data-testid=result] .error') !== null`)
	c.e.failSync.Store(false)
	if got := eval[string](staff, "the sign button", `document.querySelector('[data-testid=sign]').textContent`); got != "重新提交（同一张选票）" {
		t.Errorf("after a failed submission the sign button says %q, want to submit the same ballot again", got)
	}
	click(staff, `[data-testid=sign]`)
	wait(staff, "accepted", `document.querySelector('[data-status=ACCEPTED]') !== null`)
	p, err := c.as.GetProgress(c.e.ctx(c.e.admin), &ov.GetProgressRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	if p.GetCounted() != 1 || p.GetRefused() != 0 {
		t.Errorf("after a retry: %d counted, %d refused; want the one ballot counted once", p.GetCounted(), p.GetRefused())
	}
	// A refusal is final (the same bytes get it again): no retry is
	// offered, and the focus goes to changing the ballot.
	c.open(staff, "#/c/"+c.cid+"/a/"+a.GetAssemblyId()+"/record?channel=VISIT&n=2")
	wait(staff, "the form", `document.querySelector('[data-testid=voter] option[value=`+strconv.Quote(c.voters[131])+`]') !== null`)
	selectValue(staff, `[data-testid=voter]`, c.voters[131])
	click(staff, `[data-channel=VISIT]`)
	click(staff, `[data-choice="m1:AGREE"]`)
	typeInto(staff, `[data-testid=att-note]`, "上门走访")
	click(staff, `[data-testid=next]`)
	click(staff, `[data-testid=confirmed]`)
	if _, err := c.as.CancelAssembly(c.e.ctx(c.e.admin), &ov.CancelAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Reason: "测试：会议取消"}); err != nil {
		t.Fatal(err)
	}
	click(staff, `[data-testid=sign]`)
	wait(staff, "the refusal", `document.querySelector('[data-testid=result] .error') !== null`)
	if got := eval[string](staff, "after a refusal", `(() => { const s = document.querySelector('[data-testid=sign]'); return s.disabled + ' ' + s.textContent + ' ' + document.activeElement?.dataset.testid; })()`); got != "true 签名并提交 back" {
		t.Errorf("after a final refusal: sign button disabled, its text, the focus = %q; want true, not a retry, and the focus on going back", got)
	}
	if errs := staff.Errors(); len(errs) > 0 {
		t.Errorf("browser errors: %v", errs)
	}
}

// TestConsoleCountsOnlySignaturesThatCount: a committee signature whose key
// was revoked (lost) before certification is not counted toward k.
func TestConsoleCountsOnlySignaturesThatCount(t *testing.T) {
	c := newConsole(t)
	members := []signer{newSigner("member-zhao", 231), newSigner("member-qian", 232)}
	for _, m := range members {
		if _, err := c.ss.RegisterSigner(c.e.ctx(c.e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: m.id, Name: m.id,
			CommunityId: c.cid, PublicKey: m.pub()}}); err != nil {
			t.Fatal(err)
		}
	}
	a := c.openAssembly("revoked-2026", nil, &ov.Committee{MemberKeyIds: []string{members[0].keyID(), members[1].keyID()}, K: 2})
	c.castMany(a, 0, 115)
	closed := c.now()
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	c.e.clock.Set(audit.ObjectionDeadline(closed, 3, audit.Rules))
	res, err := c.as.GetResult(c.e.ctx(c.e.admin), &ov.GetResultRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.as.CertifyResult(c.e.ctx(c.e.admin), &ov.CertifyResultRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), KeyId: members[0].keyID(),
		Signature: ed25519.Sign(members[0].priv, []byte(res.GetCertificationStatement()))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ss.RevokeSigner(c.e.ctx(c.e.admin), &ov.RevokeSignerRequest{KeyId: members[0].keyID(), Reason: "密钥丢失"}); err != nil {
		t.Fatal(err)
	}
	tab := c.tab()
	c.signIn(tab, c.e.admin)
	c.open(tab, "#/c/"+c.cid+"/a/"+a.GetAssemblyId()+"/committee")
	wait(tab, "the certification card", `document.querySelector('[data-testid=certification]') !== null`)
	if got := eval[string](tab, "signed", `document.querySelector('[data-testid=certification]').dataset.signed`); got != "0" {
		t.Errorf("the page counts %s signatures toward k; the only one was made with a key revoked since", got)
	}
}

// TestConsoleSharedBrowserKeepsKeysApart: two committee members enrol
// their keys in one browser, one after the other. Signed in as one of them,
// the console lists and uses only that member's key: one person cannot make
// up two signatures of a 2-of-2 committee.
func TestConsoleSharedBrowserKeepsKeysApart(t *testing.T) {
	c := newConsole(t)
	shared := c.tab()
	qian := c.labelledToken(auth.CommitteeMember, c.cid, "惠都社区居委会 钱委员")
	zhao := c.labelledToken(auth.CommitteeMember, c.cid, "惠都社区居委会 赵委员")
	c.signIn(shared, qian)
	c.enrolKey(shared, "COMMITTEE", "member-qian", "钱委员")
	click(shared, `[data-testid=signout]`)
	c.signIn(shared, zhao)
	c.enrolKey(shared, "COMMITTEE", "member-zhao", "赵委员")
	if n := eval[int](shared, "keys listed", `document.querySelectorAll('[data-key]').length`); n != 1 {
		t.Errorf("signed in as 赵委员, the keys page lists %d keys, want only 赵委员's", n)
	}
	if got := eval[string](shared, "others' keys", `(document.querySelector('[data-testid=others-keys]') || {}).textContent || ''`); !strings.Contains(got, "1") {
		t.Errorf("the keys page does not say another sign-in's key is kept here: %q", got)
	}
	admin := c.tab()
	c.signIn(admin, c.e.admin)
	c.approveAll(admin, 2)
	keyIDs := []string{c.signerByID("member-qian").GetKeyId(), c.signerByID("member-zhao").GetKeyId()}
	a := c.openAssembly("shared-2026", nil, &ov.Committee{MemberKeyIds: keyIDs, K: 2})
	c.castMany(a, 0, 115)
	closed := c.now()
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	c.e.clock.Set(audit.ObjectionDeadline(closed, 3, audit.Rules))
	route := "#/c/" + c.cid + "/a/" + a.GetAssemblyId() + "/committee"
	c.open(shared, route)
	click(shared, `[data-testid=certify]`)
	wait(shared, "signed once", `document.querySelector('[data-testid=certification]')?.dataset.signed === '1'`)
	c.open(shared, route)
	wait(shared, "the certification card", `document.querySelector('[data-testid=certification]') !== null`)
	if eval[bool](shared, "sign button", `document.querySelector('[data-testid=certify]') !== null`) {
		t.Error("after 赵委员 signed, the console offers to sign again, with 钱委员's key")
	}
	// Only 赵委员's key is marked as the one signed in here.
	for i, want := range []bool{false, true} {
		if got := eval[bool](shared, "marked as one's own", fmt.Sprintf(`document.querySelector('[data-member=%q]').textContent.includes('您在本浏览器的密钥')`, keyIDs[i])); got != want {
			t.Errorf("member key %d marked as the signed-in member's own: %v, want %v", i, got, want)
		}
	}
	got, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetState() == ov.AssemblyState_ASSEMBLY_STATE_CERTIFIED || len(got.GetCertificate()) != 1 || got.GetCertificate()[0].GetKeyId() != keyIDs[1] {
		t.Errorf("after 赵委员 signed in one browser: %v with %v; want one signature, 赵委员's, not certified", got.GetState(), got.GetCertificate())
	}
}

// TestConsoleReplacesALostCommitteeKey: with k = n = 3, 赵委员 loses the
// key; the street office revokes it, 赵委员 enrols a new one, 钱委员 and
// 孙委员 vouch for it in the console, and all three certify.
func TestConsoleReplacesALostCommitteeKey(t *testing.T) {
	c := newConsole(t)
	zhao, qian, sun, admin := c.tab(), c.tab(), c.tab(), c.tab()
	// 赵委员's sign-in is issued to member-zhao, so that a key enrolled
	// through it again after the loss is marked as his own, and only the
	// rule that the lost key's sign-in may be a thief's hides it.
	_, zhaoFirst, err := c.e.tokens.CreateFor(context.Background(), auth.CommitteeMember, c.cid, "惠都社区居委会 赵委员", "member-zhao", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c.signIn(zhao, zhaoFirst)
	c.enrolKey(zhao, "COMMITTEE", "member-zhao", "赵委员")
	c.signIn(qian, c.labelledToken(auth.CommitteeMember, c.cid, "惠都社区居委会 钱委员"))
	c.enrolKey(qian, "COMMITTEE", "member-qian", "钱委员")
	c.signIn(sun, c.labelledToken(auth.CommitteeMember, c.cid, "惠都社区居委会 孙委员"))
	c.enrolKey(sun, "COMMITTEE", "member-sun", "孙委员")
	c.signIn(admin, c.e.admin)
	c.approveAll(admin, 3)
	lost := c.signerByID("member-zhao").GetKeyId()
	a := c.openAssembly("lost-key-2026", nil, &ov.Committee{MemberKeyIds: []string{lost, c.signerByID("member-qian").GetKeyId(), c.signerByID("member-sun").GetKeyId()}, K: 3})
	c.castMany(a, 0, 115)
	closed := c.now()
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ss.RevokeSigner(c.e.ctx(c.e.admin), &ov.RevokeSignerRequest{KeyId: lost, Reason: "手机遗失"}); err != nil {
		t.Fatal(err)
	}
	c.e.clock.Set(audit.ObjectionDeadline(closed, 3, audit.Rules))
	route := "#/c/" + c.cid + "/a/" + a.GetAssemblyId() + "/committee"
	lostText := func(tab *browsertest.Tab) string {
		t.Helper()
		wait(tab, "the lost key", `document.querySelector('[data-lost]') !== null`)
		return eval[string](tab, "the lost key", `document.querySelector('[data-testid=lost-keys]').textContent`)
	}
	c.open(qian, route)
	if got := lostText(qian); !strings.Contains(got, "重新登记委员密钥") {
		t.Errorf("before a new key: %q, want it to say how to replace the key", got)
	}
	// A key enrolled again through the old sign-in (it may be in a thief's
	// hands) is not offered for vouching; the street office revokes it.
	c.enrolKey(zhao, "COMMITTEE", "member-zhao", "赵委员")
	c.approveAll(admin, 1)
	c.open(qian, route)
	if got := lostText(qian); !strings.Contains(got, "重新登记委员密钥") || eval[bool](qian, "vouch button", `document.querySelector('[data-testid=vouch]') !== null`) {
		t.Errorf("with a key enrolled through the lost key's sign-in: %q, and a vouch button; want neither offered", got)
	}
	resp, err := c.ss.ListSigners(c.e.ctx(c.e.admin), &ov.ListSignersRequest{CommunityId: c.cid})
	if err != nil {
		t.Fatal(err)
	}
	for _, sg := range resp.GetSigners() {
		if sg.GetSignerId() == "member-zhao" && sg.GetRevokeTime() == nil {
			if _, err := c.ss.RevokeSigner(c.e.ctx(c.e.admin), &ov.RevokeSignerRequest{KeyId: sg.GetKeyId(), Reason: "旧登录凭证登记"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 赵委员 gets a sign-in issued to member-zhao and enrols a new key: the
	// form offers that id only.
	_, zhaoNew, err := c.e.tokens.CreateFor(context.Background(), auth.CommitteeMember, c.cid, "惠都社区居委会 赵委员（新手机）", "member-zhao", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c.signIn(zhao, zhaoNew)
	c.enrolKey(zhao, "COMMITTEE", "member-zhao", "赵委员")
	if got := eval[string](zhao, "signer id", `document.querySelector('[data-testid=enrol-id]').value + ' ' + document.querySelector('[data-testid=enrol-id]').readOnly`); got != "member-zhao true" {
		t.Errorf("the enrol form of a sign-in issued to member-zhao: %q, want member-zhao, read-only", got)
	}
	c.approveAll(admin, 1)
	c.open(zhao, route)
	if got := lostText(zhao); !strings.Contains(got, "通过您的登录登记") || eval[bool](zhao, "vouch button", `document.querySelector('[data-testid=vouch]') !== null`) {
		t.Errorf("赵委员 reads %q, and may vouch for their own key: want to be told other members vouch", got)
	}
	c.open(qian, route)
	click(qian, `[data-testid=vouch]`)
	wait(qian, "vouch recorded", `document.querySelector('[data-testid=vouched]') !== null`)
	if got := eval[string](qian, "vouched", `document.querySelector('[data-testid=vouched]').textContent + ' ' + document.querySelector('[data-testid=vouches]').textContent`); !strings.Contains(got, "已记录您的担保") || !strings.Contains(got, "已担保 1 / 需 2") {
		t.Errorf("after one vouch of two, 钱委员 reads %q", got)
	}
	if !eval[bool](qian, "vouched already", `document.querySelector('[data-testid=vouched-already]') !== null && document.querySelector('[data-testid=vouch]') === null`) {
		t.Error("钱委员 is offered to vouch again")
	}
	c.open(sun, route)
	click(sun, `[data-testid=vouch]`)
	wait(sun, "replaced", `document.querySelector('[data-testid=vouched]')?.textContent.includes('已替换')`)
	for _, tab := range []*browsertest.Tab{zhao, qian, sun} {
		c.open(tab, route)
		click(tab, `[data-testid=certify]`)
		wait(tab, "signed", `document.querySelector('[data-testid=signed-ok]') !== null`)
	}
	wait(sun, "certified", `document.querySelector('[data-testid=certified]') !== null`)
	got, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	if r := got.GetCommittee().GetReplacements(); got.GetState() != ov.AssemblyState_ASSEMBLY_STATE_CERTIFIED || len(r) != 1 || r[0].GetReplacedKeyId() != lost ||
		slices.Contains(got.GetCommittee().GetMemberKeyIds(), lost) {
		t.Errorf("after the replacement: %v, committee %v", got.GetState(), got.GetCommittee())
	}
}

// TestConsoleCommunityScope: a staff token of one community sees and changes
// nothing of another, in the console and through every call the console
// makes.
func TestConsoleCommunityScope(t *testing.T) {
	c := newConsole(t)
	// A second community with a vote of its own.
	e := c.e
	e.createCommunity("west")
	if code := e.do("POST", "/v1/communities/west/units:import", e.admin, map[string]any{"units": []any{
		unitJSON("1-1-101", "80.00", ownerJSON(101, "西甲")), unitJSON("1-1-102", "90.00", ownerJSON(102, "西乙")),
	}}, nil); code != 200 {
		t.Fatalf("import into west: HTTP %d", code)
	}
	westMember := newSigner("member-west", 212)
	if _, err := c.ss.RegisterSigner(e.ctx(e.admin), &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: "COMMITTEE", SignerId: westMember.id,
		Name: "西委员", CommunityId: "west", PublicKey: westMember.pub()}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(c.base.Add(-3 * 24 * time.Hour))
	if _, err := c.as.CreateAssembly(e.ctx(e.admin), &ov.CreateAssemblyRequest{CommunityId: "west", Assembly: &ov.Assembly{
		AssemblyId: "west-vote", Title: "西区表决", Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_RENEW_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(c.base.Add(-2 * 24 * time.Hour)), ClosesAt: timestamppb.New(c.base.Add(3 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE}, ShortNoticeReason: "测试",
		Committee: &ov.Committee{MemberKeyIds: []string{westMember.keyID()}, K: 1}}}); err != nil {
		t.Fatal(err)
	}
	west, err := c.as.PublishAssembly(e.ctx(e.admin), &ov.PublishAssemblyRequest{CommunityId: "west", AssemblyId: "west-vote"})
	if err != nil {
		t.Fatal(err)
	}
	c.openAssembly("select-2026", nil, nil)
	nv, err := c.as.ListNonVoters(e.ctx(e.admin), &ov.ListNonVotersRequest{CommunityId: "west", AssemblyId: "west-vote"})
	if err != nil {
		t.Fatal(err)
	}
	westVoter := nv.GetNonVoters()[0].GetVoter()
	staff := c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员")

	// In the console: only the own community is listed, the other one's
	// pages show the server's refusal.
	tab := c.tab()
	c.signIn(tab, staff)
	c.open(tab, "#/?all=1")
	wait(tab, "communities", `document.querySelectorAll('main h2 a').length > 0`)
	links := eval[[]string](tab, "community links", `[...document.querySelectorAll('main h2 a')].map((a) => a.getAttribute('href'))`)
	if !slices.Equal(links, []string{"#/c/" + c.cid}) {
		t.Errorf("communities shown to %s staff: %v", c.cid, links)
	}
	for _, route := range []string{"#/c/west", "#/c/west/a/west-vote", "#/c/west/a/west-vote/calls", "#/c/west/a/west-vote/record", "#/c/west/a/west-vote/committee"} {
		c.open(tab, route)
		wait(tab, "refusal on "+route, `(document.querySelector('main .alert.error') || {}).textContent?.includes('PERMISSION_DENIED')`)
		if route == "#/c/west/a/west-vote/calls" {
			tab.Screenshot("console-other-community")
		}
	}

	// Every call the console makes, aimed at the other community.
	westPath := "/v1/communities/west/assemblies/west-vote"
	b := &ballot.Ballot{Assembly: "west-vote", RollDigest: west.GetRollDigest(), Voter: westVoter, Channel: ballot.Phone, Signer: ballot.SignerStaff,
		KeyID: c.platform.keyID(), Nonce: nonce(), Time: c.now().Truncate(time.Second),
		Attestation: &ballot.Attestation{StaffID: "staff-wang", At: c.base, MaskedPhone: "138****0000"}, Choices: []ballot.Choice{{Motion: "m1", Values: []string{"AGREE"}}}}
	canonical, sig, err := ballot.Sign(b, c.platform.priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/communities/west", nil},
		{"GET", "/v1/communities/west/assemblies", nil},
		{"GET", westPath, nil},
		{"GET", westPath + "/progress", nil},
		{"GET", westPath + "/nonvoters", nil},
		{"GET", westPath + "/calls", nil},
		{"POST", westPath + "/calls", map[string]any{"voter": westVoter, "outcome": "CALL_OUTCOME_NO_ANSWER"}},
		{"POST", "/v1/communities/west/owners/" + westVoter + ":revealPhone", map[string]any{"reason": "电话动员"}},
		{"POST", westPath + "/ballots", map[string]any{"ballot": canonical, "signature": sig}},
		{"GET", westPath + "/ballots", nil},
		{"POST", westPath + "/ballots/x:confirm", map[string]any{}},
		{"POST", westPath + "/ballots/x:reject", map[string]any{"reason": "x"}},
		{"GET", westPath + "/result", nil},
		{"POST", westPath + "/objections", map[string]any{"text": "x"}},
		{"POST", westPath + ":certify", map[string]any{"key_id": westMember.keyID(), "signature": make([]byte, 64)}},
		{"POST", "/v1/signers:enrol", map[string]any{"kind": "STAFF", "signer_id": "spy", "name": "spy", "community_id": "west", "public_key": newSigner("spy", 213).pub()}},
	} {
		var apiErr apiError
		if code := e.do(call.method, call.path, staff, call.body, &apiErr); code != 403 || apiErr.reason() != "PERMISSION_DENIED" {
			t.Errorf("%s %s by %s staff = HTTP %d %s, want 403 PERMISSION_DENIED", call.method, call.path, c.cid, code, apiErr.reason())
		}
	}
	var comms struct {
		Communities []struct {
			CommunityID string `json:"community_id"`
		} `json:"communities"`
	}
	e.do("GET", "/v1/communities", staff, nil, &comms)
	if len(comms.Communities) != 1 || comms.Communities[0].CommunityID != c.cid {
		t.Errorf("GET /v1/communities by %s staff = %+v", c.cid, comms.Communities)
	}
	var signers struct {
		Signers []struct {
			CommunityID string `json:"community_id"`
		} `json:"signers"`
	}
	e.do("GET", "/v1/signers?community_id=west", staff, nil, &signers)
	for _, s := range signers.Signers {
		if s.CommunityID == "west" {
			t.Errorf("GET /v1/signers shows %s staff a signer of west", c.cid)
		}
	}

	// Nothing changed in the other community.
	calls, err := c.as.ListCallAttempts(e.ctx(e.admin), &ov.ListCallAttemptsRequest{CommunityId: "west", AssemblyId: "west-vote"})
	if err != nil || len(calls.GetCallAttempts()) != 0 {
		t.Errorf("west call log = %v, %v; want empty", calls.GetCallAttempts(), err)
	}
	p, err := c.as.GetProgress(e.ctx(e.admin), &ov.GetProgressRequest{CommunityId: "west", AssemblyId: "west-vote"})
	if err != nil || p.GetCounted()+p.GetRefused()+p.GetPending() != 0 {
		t.Errorf("west progress = %v, %v; want no ballot", p, err)
	}
	if log, err := e.book.AccessLog(context.Background()); err != nil || len(log) != 0 {
		t.Errorf("access log = %v, %v; want no phone revealed", log, err)
	}
	list, err := c.ss.ListSigners(e.ctx(e.admin), &ov.ListSignersRequest{CommunityId: "west"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.GetSigners() {
		if s.GetSignerId() == "spy" {
			t.Errorf("a signer was enrolled in west: %v", s)
		}
	}
}

// TestConsoleImportsARoster: staff send a roster file from the community's
// page; the server checks it alone, refuses it with every problem by row
// and column, and imports it once it is right, the figures shown with it.
// Committee members are not offered the form.
func TestConsoleImportsARoster(t *testing.T) {
	c := newConsole(t)
	c.e.createCommunity("east")
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("花名册.csv", "房号,登记面积,业主姓名,身份证号\n1-1-101,80.00,甲,110101199003071233\n1-1-102,80.123,乙,"+idNumber(2)+"\n")
	good := write("花名册-改.csv", "房号,登记面积(㎡),业主姓名,身份证号\n1-1-101,80.00,甲,110101199003071233\n1-1-102,60.50,乙,"+idNumber(2)+"\n")
	tab := c.tab()
	c.signIn(tab, c.e.token(auth.CommunityStaff, "east"))
	c.open(tab, "#/c/east")
	wait(tab, "the roster form", `document.querySelector('[data-testid=roster-file]') !== null`)
	click(tab, `[data-testid=roster-import]`)
	wait(tab, "asked for a file", `document.querySelector('[data-testid=roster-result]').textContent.includes('请先选择花名册文件')`)

	tab.Run("choose the bad file", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=roster-file]`), []string{bad}))
	click(tab, `[data-testid=roster-import]`)
	wait(tab, "problems listed", `document.querySelector('[data-testid=problems]') !== null`)
	rows := eval[[]string](tab, "problems", `[...document.querySelectorAll('[data-testid=problems] tbody tr')].map((r) => r.textContent)`)
	if len(rows) != 1 || !strings.Contains(rows[0], "花名册.csv:3: column 登记面积") || !strings.Contains(rows[0], "面积须为平方米数") {
		t.Errorf("problems shown: %q", rows)
	}
	tab.ScreenshotView("console-roster-problems")
	if n := c.e.unitCount("east"); n != 0 {
		t.Fatalf("%d units imported from a refused roster", n)
	}

	tab.Run("choose the right file", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=roster-file]`), []string{good}))
	click(tab, `[data-testid=roster-check]`)
	wait(tab, "checked", `document.querySelector('[data-testid=roster-result]').textContent.includes('文件无误，与名册核对也无冲突：共 2 套房屋，尚未导入')`)
	if n := c.e.unitCount("east"); n != 0 {
		t.Fatalf("%d units imported by a check", n)
	}
	click(tab, `[data-testid=roster-import]`)
	wait(tab, "imported", `document.querySelector('[data-testid=roster-result]').textContent.includes('已导入 2 套房屋')`)
	wait(tab, "the figures shown", `document.querySelector('.figures').textContent.includes('140.5')`)
	if n := c.e.unitCount("east"); n != 2 {
		t.Errorf("%d units on the roll after the import, want 2", n)
	}

	member := c.tab()
	c.signIn(member, c.e.token(auth.CommitteeMember, "east"))
	c.open(member, "#/c/east")
	wait(member, "the community page", `document.querySelector('.figures') !== null`)
	if eval[bool](member, "the roster form", `document.querySelector('[data-testid=roster]') !== null`) {
		t.Error("a committee member is offered the roster import")
	}
}

// TestConsoleRollPage: staff page through the roll and put it right from
// the console - a unit's areas corrected, a sale between votes, a new
// representative - and a withdrawal of a unit the open assembly counts is
// refused in the dialog, with the server's reason; a unit the open
// assembly counts, sold, goes into it with the effect the page says. A
// committee member sees the roll and no action.
func TestConsoleRollPage(t *testing.T) {
	c := newConsole(t)
	c.openAssembly("select-2026", nil, nil)
	rs := ov.NewRollServiceClient(c.e.conn)
	if _, err := rs.ImportUnits(c.e.ctx(c.e.admin), &ov.ImportUnitsRequest{CommunityId: c.cid, Units: []*ov.UnitInput{
		{UnitId: "9-1-101", RegisteredAreaM2: "75.00", Owners: []*ov.OwnerInput{{Name: "原业主", IdNumber: idNumberN(901)}}},
	}}); err != nil {
		t.Fatal(err)
	}
	tab := c.tab()
	c.signIn(tab, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.open(tab, "#/c/"+c.cid)
	click(tab, `[data-testid=roll-link]`)
	wait(tab, "the first page", `document.querySelectorAll('[data-unit]').length === 100`)
	if got := eval[string](tab, "count", `document.querySelector('[data-testid=unit-count]').textContent`); got != "已显示 100 套，共 167 套" {
		t.Errorf("count shown: %q", got)
	}
	click(tab, `[data-testid=unit-count] + button`)
	wait(tab, "the next page", `document.querySelector('[data-unit="9-1-101"]') !== null`)

	// A unit the open assembly counts is not withdrawn: the dialog says why.
	first := eval[string](tab, "a unit of the assembly", `document.querySelector('[data-unit]').dataset.unit`)
	click(tab, fmt.Sprintf(`[data-withdraw=%q]`, first))
	typeInto(tab, `dialog[open] [data-testid=roll-reason]`, "重复录入")
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "refused", `(document.querySelector('dialog[open]') || {textContent: ''}).textContent.includes('请在会议结束后再撤回')`)
	click(tab, `dialog[open] button[type=button]`)

	// One building's units.
	typeInto(tab, `[data-testid=roll-building]`, "9")
	click(tab, `.filter button[type=submit]`)
	wait(tab, "building 9", `document.querySelectorAll('[data-unit]').length === 1 && document.querySelector('[data-unit="9-1-101"]') !== null`)

	click(tab, `[data-correct-areas="9-1-101"]`)
	eval[string](tab, "clear the area", `document.querySelector('[data-testid=area-registered]').value = ''`)
	typeInto(tab, `[data-testid=area-registered]`, "76.00")
	typeInto(tab, `dialog[open] [data-testid=roll-reason]`, "登记面积录入错误")
	tab.ScreenshotView("console-roll-correct")
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "corrected", `document.querySelector('[role=status]') !== null && document.querySelector('[role=status]').textContent.includes('已更正 9-1-101 的面积：现按 76.00 m² 计')`)

	wait(tab, "the building again", `document.querySelectorAll('[data-unit]').length === 1`)
	click(tab, `[data-transfer="9-1-101"]`)
	typeInto(tab, `[data-testid=buyer-name]`, "新业主")
	// A wrong check digit first: the refusal's problem is listed.
	good := idNumberN(902)
	bad := good[:17] + map[bool]string{true: "1", false: "0"}[good[17] == '0']
	typeInto(tab, `[data-testid=buyer-id]`, bad)
	typeInto(tab, `[data-testid=transfer-doc]`, strings.Repeat("AB", 32)) // as Windows prints a hash
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "the buyer refused", `(document.querySelector('dialog[open] [data-testid=problems]') || {textContent: ''}).textContent.includes('证件号码有误')`)
	eval[string](tab, "the number again", fmt.Sprintf(`document.querySelector('[data-testid=buyer-id]').value = %q`, good))
	// Two buyers together: co-owners, the second their representative.
	click(tab, `[data-testid=add-owner]`)
	eval[string](tab, "the co-owner", fmt.Sprintf(`(() => { const n = document.querySelectorAll('[data-testid=buyer-name]')[1], i = document.querySelectorAll('[data-testid=buyer-id]')[1];
		n.value = '共有人'; i.value = %q; document.querySelectorAll('[data-testid=buyer-rep]')[1].click(); return ''; })()`, idNumberN(903)))
	tab.ScreenshotView("console-roll-sale")
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "sold", `document.querySelector('[role=status]') !== null && document.querySelector('[role=status]').textContent.includes('已登记 9-1-101 过户')`)
	units, err := rs.ListUnits(c.e.ctx(c.e.admin), &ov.ListUnitsRequest{CommunityId: c.cid, Building: "9"})
	if err != nil || len(units.GetUnits()) != 1 || units.GetUnits()[0].GetEffectiveAreaM2() != "76.00" || len(units.GetUnits()[0].GetOwners()) != 2 {
		t.Fatalf("9-1-101 after the console's changes: %v, %v", units, err)
	}
	for _, o := range units.GetUnits()[0].GetOwners() {
		if o.GetRepresentative() != (o.GetName() == "共有人") {
			t.Errorf("9-1-101's owners: %v; want 共有人 the representative", units.GetUnits()[0].GetOwners())
		}
	}

	if eval[bool](tab, "the closed dialog", `[...document.querySelectorAll('input')].some((i) => i.value.includes('`+good[:14]+`'))`) {
		t.Error("the buyer's identity number stays in the page")
	}

	// The co-owners designate the first of them to vote for the unit.
	click(tab, `[data-representative="9-1-101"]`)
	typeInto(tab, `dialog[open] [data-testid=roll-reason]`, "协商一致更换代表")
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "asked for a new one", `document.querySelector('dialog[open]').textContent.includes('请选定一位新的代表')`)
	eval[bool](tab, "the other co-owner", `([...document.querySelectorAll('dialog[open] [data-testid=co-owner]')].find((x) => !x.checked).click(), true)`)
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "asked for the designation", `document.querySelector('dialog[open]').textContent.includes('请选择文件或填写其 SHA-256')`)
	typeInto(tab, `dialog[open] [data-testid=designation-doc]`, strings.Repeat("cd", 32))
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "changed", `document.querySelector('[role=status]') !== null && document.querySelector('[role=status]').textContent.includes('已登记 9-1-101 更换代表')`)
	units, err = rs.ListUnits(c.e.ctx(c.e.admin), &ov.ListUnitsRequest{CommunityId: c.cid, Building: "9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range units.GetUnits()[0].GetOwners() {
		if o.GetRepresentative() == (o.GetName() == "共有人") {
			t.Errorf("9-1-101's owners after the change: %v; want the other co-owner the representative", units.GetUnits()[0].GetOwners())
		}
	}
	// Only co-owned units are offered it: among every unit numbered 101,
	// 9-1-101 alone.
	c.open(tab, "#/c/"+c.cid+"/roll?q=-101")
	wait(tab, "the units numbered 101", `document.querySelectorAll('[data-unit]').length > 1 && document.querySelector('[data-unit="9-1-101"]') !== null`)
	if got := eval[string](tab, "the offers", `(() => {
		const cards = [...document.querySelectorAll('[data-unit]')];
		const offered = cards.filter((c) => c.querySelector('[data-representative]'));
		const wrong = offered.filter((c) => !c.textContent.includes('、'));
		return offered.length + ' offered, ' + wrong.length + ' of one owner, ' + (cards.length - offered.length) + ' not offered';
	})()`); strings.HasPrefix(got, "0 offered") || !strings.Contains(got, " 0 of one owner, ") || strings.HasSuffix(got, " 0 not offered") {
		t.Errorf("new representatives offered: %s; want co-owned units only", got)
	}
	// Found by an owner's name.
	tab.Run("search a name", chromedp.SetValue(chromedp.CSS(`[data-testid=roll-query]`), "共有人"))
	click(tab, `.filter button[type=submit]`)
	wait(tab, "found by name", `document.querySelectorAll('[data-unit]').length === 1 && document.querySelector('[data-unit="9-1-101"]') !== null`)

	member := c.tab()
	c.signIn(member, c.e.token(auth.CommitteeMember, c.cid))
	c.open(member, "#/c/"+c.cid+"/roll?q=%E5%85%B1%E6%9C%89%E4%BA%BA")
	wait(member, "no name found", `(document.querySelector('[data-testid=unit-count]') || {textContent: ''}).textContent.includes('共 0 套') && document.querySelectorAll('[data-unit]').length === 0`)
	c.open(member, "#/c/"+c.cid+"/roll")
	wait(member, "the roll", `document.querySelectorAll('[data-unit]').length === 100`)
	if eval[bool](member, "actions", `document.querySelector('[data-correct-areas], [data-transfer], [data-withdraw]') !== null`) {
		t.Error("a committee member is offered the roll's corrections")
	}
	// The changes as the committee member reads them: no names.
	c.open(member, "#/c/"+c.cid)
	wait(member, "the roll's changes", `document.querySelectorAll('[data-testid=roll-changes] li').length === 3`)
	changes := eval[[]string](member, "changes", `[...document.querySelectorAll('[data-testid=roll-changes] li')].map((li) => li.textContent)`)
	if !strings.Contains(changes[0], "面积更正 9-1-101 · 75.00 m² → 76.00 m²") || !strings.Contains(changes[0], "登记面积录入错误") ||
		!strings.Contains(changes[1], "过户 9-1-101 · 新业主 2 人") || strings.Contains(strings.Join(changes, " "), "原业主") ||
		!strings.Contains(changes[2], "更换代表 9-1-101 · ") || !strings.Contains(changes[2], "协商一致更换代表") {
		t.Errorf("the roll's changes: %q", changes)
	}

	// A unit the open assembly counts, sold: the sale goes into it, and the
	// page says what it did there.
	c.open(tab, "#/c/"+c.cid+"/roll?q="+first)
	click(tab, fmt.Sprintf(`[data-transfer=%q]`, first))
	typeInto(tab, `[data-testid=buyer-name]`, "买受人")
	typeInto(tab, `[data-testid=buyer-id]`, idNumberN(904))
	typeInto(tab, `[data-testid=transfer-doc]`, strings.Repeat("ef", 32))
	click(tab, `dialog[open] [data-testid=roll-save]`)
	wait(tab, "sold during the vote", `document.querySelector('[role=status]') !== null &&
		document.querySelector('[role=status]').textContent.includes('会议 select-2026：原业主未投票，改由新业主为该房屋投票')`)
	a, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: "select-2026"})
	if err != nil || len(a.GetAmendments()) != 1 || a.GetAmendments()[0].GetUnitId() != first || a.GetAmendments()[0].GetEffect() != "VOTER_CHANGED" {
		t.Errorf("select-2026's amendments after the console's sale: %v, %v", a.GetAmendments(), err)
	}
}

// TestConsoleEndsAnAssembly: staff cancel an assembly not yet open, after
// a confirmation; only a street admin closes an open vote early (or
// cancels it), and staff are not offered either there.
func TestConsoleEndsAnAssembly(t *testing.T) {
	c := newConsole(t)
	a := c.openAssembly("select-2026", nil, nil)
	if _, err := c.as.CreateAssembly(c.e.ctx(c.e.admin), &ov.CreateAssemblyRequest{CommunityId: c.cid, Assembly: &ov.Assembly{
		AssemblyId: "soon-2026", Title: "续聘物业", Motions: []*ov.Motion{{MotionId: "m1", Title: "续聘", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(c.base.Add(20 * 24 * time.Hour)), ClosesAt: timestamppb.New(c.base.Add(25 * 24 * time.Hour)),
		Channels: []ov.Channel{ov.Channel_CHANNEL_PHONE}, Committee: a.GetCommittee(),
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.as.PublishAssembly(c.e.ctx(c.e.admin), &ov.PublishAssemblyRequest{CommunityId: c.cid, AssemblyId: "soon-2026"}); err != nil {
		t.Fatal(err)
	}
	state := func(id string) ov.AssemblyState {
		t.Helper()
		got, err := c.as.GetAssembly(c.e.ctx(c.e.admin), &ov.GetAssemblyRequest{CommunityId: c.cid, AssemblyId: id})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetState()
	}

	staff := c.tab()
	c.signIn(staff, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.open(staff, "#/c/"+c.cid+"/a/select-2026")
	wait(staff, "the dashboard", `document.querySelector('[data-testid=dashboard] *') !== null`)
	if eval[bool](staff, "end buttons", `document.querySelector('[data-testid=close-early], [data-testid=cancel-assembly]') !== null`) {
		t.Error("staff are offered to end an open vote")
	}
	c.open(staff, "#/c/"+c.cid+"/a/soon-2026")
	click(staff, `[data-testid=cancel-assembly]`)
	typeInto(staff, `[data-testid=end-reason]`, "物业合同纠纷已和解")
	click(staff, `[data-testid=end-save]`)
	wait(staff, "asked to confirm", `(document.querySelector('dialog[open]') || {textContent: ''}).textContent.includes('请勾选确认')`)
	if state("soon-2026") != ov.AssemblyState_ASSEMBLY_STATE_PUBLISHED {
		t.Fatal("cancelled without the confirmation")
	}
	click(staff, `[data-testid=end-confirm]`)
	click(staff, `[data-testid=end-save]`)
	wait(staff, "cancelled", `document.querySelector('[role=status]') !== null && document.querySelector('[role=status]').textContent.includes('会议已取消')`)
	if got := state("soon-2026"); got != ov.AssemblyState_ASSEMBLY_STATE_CANCELLED {
		t.Errorf("soon-2026 is %v after the console's cancellation", got)
	}

	admin := c.tab()
	c.signIn(admin, c.e.admin)
	c.open(admin, "#/c/"+c.cid+"/a/select-2026")
	click(admin, `[data-testid=close-early]`)
	typeInto(admin, `[data-testid=end-reason]`, "参与已超过三分之二，业主委员会申请提前结束")
	click(admin, `[data-testid=end-confirm]`)
	admin.ScreenshotView("console-close-early")
	click(admin, `[data-testid=end-save]`)
	wait(admin, "closed", `document.querySelector('[role=status]') !== null && document.querySelector('[role=status]').textContent.includes('投票已结束')`)
	if got := state("select-2026"); got == ov.AssemblyState_ASSEMBLY_STATE_OPEN {
		t.Errorf("select-2026 is still open after the console's early close")
	}
	wait(admin, "the buttons gone", `document.querySelector('[data-testid=close-early]') === null`)
}

// TestConsolePaperBallot: staff enter a returned paper ballot - its serial,
// the SHA-256 of its scan computed in the browser, a motion the paper
// leaves invalid - checked against the paper instead of read back, and a
// second staff member checks the scan before counting it. Only a paper
// ballot may say INVALID.
func TestConsolePaperBallot(t *testing.T) {
	c := newConsole(t)
	a := c.openAssembly("paper-2026", &ov.Settings{MakerChecker: true}, nil,
		&ov.Motion{MotionId: "m2", Title: "修订管理规约", Matter: ov.Matter_MATTER_OWNERS_COVENANT},
		&ov.Motion{MotionId: "m3", Title: "选举业主委员会委员", Matter: ov.Matter_MATTER_ELECT_COMMITTEE, Seats: 2,
			Options: []*ov.Option{{OptionId: "c1", Name: "张三"}, {OptionId: "c2", Name: "李四"}, {OptionId: "c3", Name: "王五"}}})
	dir := t.TempDir()
	scanFile, otherFile := filepath.Join(dir, "P-0057.jpg"), filepath.Join(dir, "P-0058.jpg")
	scan := []byte("\xff\xd8\xff\xe0 scan of paper ballot P-0057")
	for p, data := range map[string][]byte{scanFile: scan, otherFile: []byte("\xff\xd8\xff\xe0 another scan")} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	scanSum := fmt.Sprintf("%x", sha256.Sum256(scan))
	voter := c.voters[7]

	maker, checker, admin := c.tab(), c.tab(), c.tab()
	c.signIn(maker, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.signIn(checker, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 刘工作人员"))
	c.signIn(admin, c.e.admin)
	c.enrolKey(maker, "STAFF", "staff-wang", "王工作人员")
	c.enrolKey(checker, "STAFF", "staff-liu", "刘工作人员")
	c.approveAll(admin, 2)

	c.open(maker, "#/c/"+c.cid+"/a/paper-2026/record?voter="+voter)
	maker.Run("vote form", chromedp.WaitVisible(chromedp.CSS(`[data-testid=vote-form]`)))
	visible := func(sel string) bool {
		return eval[bool](maker, "is "+sel+" shown", fmt.Sprintf(`document.querySelector(%q).checkVisibility()`, sel))
	}
	if visible(`[data-testid=paper-fields]`) || visible(`[data-choice="m1:INVALID"]`) || visible(`[data-testid=invalid-hint]`) {
		t.Error("a phone vote is offered the paper's fields or INVALID")
	}
	// What was typed for a call is not signed into a paper ballot.
	typeInto(maker, `[data-testid=att-note]`, "业主本人接听")
	typeInto(maker, `[data-testid=att-recording]`, strings.Repeat("0e", 32))
	click(maker, `[data-channel=PAPER]`)
	if !visible(`[data-testid=paper-fields]`) || !visible(`[data-choice="m1:INVALID"]`) || visible(`[data-testid=att-note]`) || !visible(`[data-testid=invalid-hint]`) {
		t.Error("a paper ballot is not offered its serial, scan and INVALID, or is offered a note")
	}
	click(maker, `[data-choice="m1:INVALID"]`)
	click(maker, `[data-choice="m2:AGREE"]`)
	// Where two candidates may be ticked, INVALID stands alone.
	click(maker, `[data-choice="m3:c1"]`)
	click(maker, `[data-choice="m3:c2"]`)
	click(maker, `[data-choice="m3:INVALID"]`)
	if got := eval[string](maker, "m3 ticked", `[...document.querySelectorAll('[data-motion=m3] input:checked')].map((x) => x.value).join()`); got != "INVALID" {
		t.Errorf("after INVALID, the election's ticks are %q, want INVALID alone", got)
	}
	click(maker, `[data-choice="m3:c3"]`)
	if got := eval[string](maker, "m3 ticked", `[...document.querySelectorAll('[data-motion=m3] input:checked')].map((x) => x.value).join()`); got != "c3" {
		t.Errorf("after a candidate, the election's ticks are %q, want c3 alone", got)
	}
	click(maker, `[data-testid=next]`)
	wait(maker, "asked for the serial", `document.querySelector('[data-testid=vote-form]').textContent.includes('请填写纸质表决票的编号')`)
	typeInto(maker, `[data-testid=paper-serial]`, "P 0057")
	click(maker, `[data-testid=next]`)
	wait(maker, "asked for the scan", `document.querySelector('[data-testid=vote-form]').textContent.includes('请选择表决票扫描件')`)
	maker.Run("choose the scan", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=paper-scan-file]`), []string{scanFile}))
	wait(maker, "the scan's SHA-256", fmt.Sprintf(`document.querySelector('[data-testid=paper-scan]').value === %q`, scanSum))
	click(maker, `[data-testid=next]`)
	wait(maker, "a serial that is not an id refused", `document.querySelector('[data-testid=vote-form]').textContent.includes('表决票编号：1至64位字母')`)
	maker.Run("the serial typed full-width", chromedp.SetValue(chromedp.CSS(`[data-testid=paper-serial]`), "Ｐ－００５７"))
	// Received an hour after voting opened.
	received := eval[string](maker, "the received time", `(() => {
		const i = document.querySelector('[data-testid=att-time]');
		const d = new Date(new Date(i.min).getTime() + 3600e3);
		const p = (n) => String(n).padStart(2, '0');
		i.value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
		return i.value;
	})()`)
	click(maker, `[data-testid=next]`)
	maker.Run("checked against the paper", chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirmed]`)))
	if got := eval[string](maker, "the check", `document.querySelector('[data-testid=readback]').textContent`); !strings.Contains(got, "请与纸质表决票逐项核对") ||
		!strings.Contains(got, "P-0057") || !strings.Contains(got, scanSum) || !strings.Contains(got, "无效") {
		t.Errorf("the check against the paper reads %q", got)
	}
	maker.ScreenshotView("console-record-paper")
	click(maker, `[data-testid=confirmed]`)
	click(maker, `[data-testid=sign]`)
	wait(maker, "recorded", `document.querySelector('[data-status]') !== null || document.querySelector('[data-testid=result] .error') !== null`)
	if got := eval[string](maker, "status", `(document.querySelector('[data-status]') || {}).dataset?.status || document.querySelector('[data-testid=result]').textContent`); got != "PENDING_CONFIRMATION" {
		t.Fatalf("paper ballot status in the page = %q, want PENDING_CONFIRMATION (maker-checker)", got)
	}
	ballotID := eval[string](maker, "ballot id", `document.querySelector('[data-status]').dataset.ballot`)

	list, err := c.as.ListBallots(c.e.ctx(c.e.admin), &ov.ListBallotsRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.GetBallots(), func(b *ov.BallotEntry) bool { return b.GetBallotId() == ballotID })
	if i < 0 {
		t.Fatalf("ballot %s not listed", ballotID)
	}
	b, err := ballot.Verify(list.GetBallots()[i].GetBallot(), list.GetBallots()[i].GetSignature(), c.signerByID("staff-wang").GetPublicKey())
	if err != nil {
		t.Fatalf("the browser's paper ballot does not verify: %v", err)
	}
	if b.Voter != voter || b.Channel != ballot.Paper || b.Attestation.StaffID != "staff-wang" || b.Attestation.PaperSerial != "P-0057" ||
		b.Attestation.ScanSHA256 != scanSum || b.Attestation.Note != "" || b.Attestation.MaskedPhone != "" ||
		b.Attestation.RecordingSHA256 != "" || !b.Attestation.At.Equal(a.GetOpensAt().AsTime().Truncate(time.Minute).Add(time.Hour)) || len(b.Choices) != 3 || b.Choices[0].Values[0] != "INVALID" || b.Choices[1].Values[0] != "AGREE" ||
		!slices.Equal(b.Choices[2].Values, []string{"c3"}) {
		t.Errorf("paper ballot as signed = %+v %+v", b, b.Attestation)
	}

	// The next ballot is a paper one too; INVALID goes when the channel
	// changes.
	click(maker, `[data-testid=another]`)
	wait(maker, "the next form", `(document.querySelector('[data-testid=paper-serial]') || {disabled: true}).disabled === false`)
	if !eval[bool](maker, "paper kept", `document.querySelector('[data-channel=PAPER]').checked`) {
		t.Error("the next ballot's form does not keep the paper channel")
	}
	// The household is found by its unit.
	third := eval[[]string](maker, "an option", `(() => { const o = [...document.querySelectorAll('[data-testid=voter] option')].filter((o) => o.value && !o.disabled)[2]; return [o.value, o.textContent.split(' · ')[0]]; })()`)
	typeInto(maker, `[data-testid=voter-search]`, third[1])
	if got := eval[string](maker, "the household found", `document.querySelector('[data-testid=voter]').value`); got != third[0] {
		t.Errorf("searching %q chose %q, want %q", third[1], got, third[0])
	}
	// A unit number not on the list (its household has voted, say) chooses
	// nobody, not the household chosen before nor one of a like number,
	// and says why.
	typeInto(maker, `[data-testid=voter-search]`, "-99")
	if got := eval[string](maker, "nobody chosen", `document.querySelector('[data-testid=voter]').value`); got != "" {
		t.Errorf("searching %q-99, not on the list, chose %q, want nobody", third[1], got)
	}
	if got := eval[string](maker, "the note", `document.querySelector('[data-testid=voter-match]').textContent`); !strings.Contains(got, "已投票或表决待复核的住户不在名单中") {
		t.Errorf("searching a unit not on the list says %q", got)
	}
	// Part of a number chooses nobody: the household wanted may not be on
	// the list.
	eval[string](maker, "clear the search", `document.querySelector('[data-testid=voter-search]').value = ''`)
	typeInto(maker, `[data-testid=voter-search]`, third[1][:len(third[1])-1])
	if got := eval[string](maker, "nobody chosen by a part", `document.querySelector('[data-testid=voter]').value`); got != "" {
		t.Errorf("searching %q, part of a number, chose %q, want nobody", third[1][:len(third[1])-1], got)
	}
	// Typed whole again, the household is chosen again.
	eval[string](maker, "clear the search", `document.querySelector('[data-testid=voter-search]').value = ''`)
	typeInto(maker, `[data-testid=voter-search]`, third[1])
	if got := eval[string](maker, "the household found again", `document.querySelector('[data-testid=voter]').value`); got != third[0] {
		t.Errorf("searching %q again chose %q, want %q", third[1], got, third[0])
	}
	// Received with the last one, unless said otherwise.
	if got := eval[string](maker, "received", `document.querySelector('[data-testid=att-time]').value`); got != received {
		t.Errorf("the next paper ballot's received time is %q, want the last one's, %q", got, received)
	}
	click(maker, `[data-choice="m1:INVALID"]`)
	click(maker, `[data-channel=PHONE]`)
	if eval[bool](maker, "INVALID kept", `document.querySelector('[data-choice="m1:INVALID"]').checked`) || visible(`[data-choice="m1:INVALID"]`) || visible(`[data-testid=paper-fields]`) {
		t.Error("INVALID stays chosen, or INVALID or the paper's fields are offered, on a phone vote")
	}

	// The checker compares the scan with the one the ballot names.
	c.open(checker, "#/c/"+c.cid+"/a/paper-2026/record")
	card := fmt.Sprintf(`[data-pending=%q]`, ballotID)
	checker.Run("pending paper ballot", chromedp.WaitVisible(chromedp.CSS(card+` [data-testid=scan-check-file]`)))
	if got := eval[string](checker, "the card", `document.querySelector(`+jsString(card)+`).textContent`); !strings.Contains(got, "P-0057") || !strings.Contains(got, "纸质") {
		t.Errorf("the pending paper ballot's card reads %q", got)
	}
	confirmButton := fmt.Sprintf(`document.querySelector('[data-confirm=%q]').disabled`, ballotID)
	checker.Run("another scan", chromedp.SetUploadFiles(chromedp.CSS(card+` [data-testid=scan-check-file]`), []string{otherFile}))
	wait(checker, "the scan differs", `document.querySelector(`+jsString(card+` [data-testid=scan-check]`)+`).dataset.same === 'false'`)
	if !eval[bool](checker, "confirm offered?", confirmButton) {
		t.Error("a paper ballot whose scan differs may be confirmed")
	}
	checker.Run("the scan", chromedp.SetUploadFiles(chromedp.CSS(card+` [data-testid=scan-check-file]`), []string{scanFile}))
	wait(checker, "the scan matches", `document.querySelector(`+jsString(card+` [data-testid=scan-check]`)+`).dataset.same === 'true'`)
	if eval[bool](checker, "confirm offered?", confirmButton) {
		t.Error("a paper ballot whose scan matches cannot be confirmed")
	}
	eval[bool](checker, "scroll to the card", `(document.querySelector(`+jsString(card)+`).scrollIntoView(), true)`)
	checker.ScreenshotView("console-confirm-paper")
	click(checker, fmt.Sprintf(`[data-confirm=%q]`, ballotID))
	wait(checker, "confirmed", `document.querySelector('[data-testid=settled-confirm]') !== null || document.querySelector('[data-testid=confirmations] .alert.error') !== null`)
	r, err := c.as.GetBallotReceipt(c.e.ctx(c.e.admin), &ov.GetBallotReceiptRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), BallotId: ballotID})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Errorf("after its check the paper ballot is %v (the page: %q)", r.GetStatus(),
			eval[string](checker, "the list", `document.querySelector('[data-testid=confirmations]').textContent`))
	}
	// (Checked last: the page records a call without waiting.)
	calls, err := c.as.ListCallAttempts(c.e.ctx(c.e.admin), &ov.ListCallAttemptsRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId(), Voter: voter})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(calls.GetCallAttempts()); n != 0 {
		t.Errorf("a paper ballot recorded %d calls of its voter", n)
	}
}

// TestConsoleProxies: staff record a written proxy authorisation in the
// console (the holder's key as `ownervote ballot keygen` prints it, the
// authorisation's SHA-256 computed from its scan in the browser), the
// holder's ballot signed with that key counts, and a standing
// authorisation is withdrawn with a reason; a refusal (a holder's number
// with a wrong check digit) stays in the dialog. Committee members are
// not offered the page.
func TestConsoleProxies(t *testing.T) {
	c := newConsole(t)
	a := c.openAssemblyThrough([]ov.Channel{ov.Channel_CHANNEL_PHONE, ov.Channel_CHANNEL_PROXY}, "proxy-2026", &ov.Settings{ProxyCap: 2}, nil)
	dir := t.TempDir()
	scan := filepath.Join(dir, "委托书.pdf")
	if err := os.WriteFile(scan, []byte("%PDF-1.4 委托书 扫描件"), 0o600); err != nil {
		t.Fatal(err)
	}
	scanSum := fmt.Sprintf("%x", sha256.Sum256([]byte("%PDF-1.4 委托书 扫描件")))
	holder, other := newSigner("holder-zhao", 190), newSigner("holder-qian", 191)
	voter, voter2 := c.voters[5], c.voters[6]
	list := func() []*ov.ProxyAuthorization {
		t.Helper()
		r, err := c.as.ListProxies(c.e.ctx(c.e.admin), &ov.ListProxiesRequest{CommunityId: c.cid, AssemblyId: "proxy-2026"})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetProxies()
	}

	staff := c.tab()
	c.signIn(staff, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.open(staff, "#/c/"+c.cid+"/a/proxy-2026")
	click(staff, `[data-tab=proxies]`)
	wait(staff, "no proxy yet", `document.querySelector('[data-testid=proxy-none]') !== null`)

	// recordIn fills the dialog for voter v.
	recordIn := func(v, name, idNumber string, key []byte, file string) {
		click(staff, `[data-testid=proxy-new]`)
		wait(staff, "the dialog", `document.querySelector('dialog[open] [data-testid=proxy-voter]') !== null`)
		// Found by its unit.
		unit := eval[string](staff, "the voter's unit", fmt.Sprintf(`[...document.querySelectorAll('[data-testid=proxy-voter] option')].find((o) => o.value === %q).textContent`, v))
		typeInto(staff, `[data-testid=proxy-voter-search]`, unit)
		if got := eval[string](staff, "the voter found", `document.querySelector('[data-testid=proxy-voter]').value`); got != v {
			t.Errorf("searching %q chose %q, want %q", unit, got, v)
		}
		selectValue(staff, `[data-testid=proxy-voter]`, v)
		typeInto(staff, `[data-testid=proxy-name]`, name)
		typeInto(staff, `[data-testid=proxy-id]`, idNumber)
		typeInto(staff, `[data-testid=proxy-key]`, "not a key")
		click(staff, `[data-testid=proxy-save]`)
		wait(staff, "the key refused", `document.querySelector('dialog[open]').textContent.includes('受托人公钥须为')`)
		staff.Run("the key", chromedp.SetValue(chromedp.CSS(`[data-testid=proxy-key]`), string(key)))
		staff.Run("the scan", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=proxy-doc-file]`), []string{file}))
		wait(staff, "the scan's SHA-256", fmt.Sprintf(`document.querySelector('[data-testid=proxy-doc]').value === %q`, scanSum))
	}
	recordIn(voter, "赵受托人", idNumberN(930), []byte(hex.EncodeToString(holder.pub())), scan)
	staff.ScreenshotView("console-proxy-record")
	click(staff, `[data-testid=proxy-save]`)
	wait(staff, "recorded", fmt.Sprintf(`document.querySelector('[data-proxy=%q][data-withdrawn=false]') !== null && document.querySelector('dialog[open]') === null`, voter))
	if got := eval[string](staff, "the card", fmt.Sprintf(`document.querySelector('[data-proxy=%q]').textContent`, voter)); !strings.Contains(got, "赵受托人") ||
		!strings.Contains(got, holder.keyID()) || !strings.Contains(got, scanSum) {
		t.Errorf("the proxy's card reads %q", got)
	}
	if eval[bool](staff, "the number kept?", `[...document.querySelectorAll('input')].some((i) => i.value === `+jsString(idNumberN(930))+`)`) {
		t.Error("the holder's identity number stays in the page")
	}
	ps := list()
	if len(ps) != 1 || ps[0].GetVoter() != voter || ps[0].GetHolderName() != "赵受托人" || ps[0].GetHolderKeyId() != holder.keyID() ||
		ps[0].GetDocumentSha256() != scanSum || ps[0].GetWithdrawTime() != nil || len(ps[0].GetUnitIds()) == 0 {
		t.Fatalf("proxies after the console's record = %v", ps)
	}
	if got := eval[string](staff, "the card's units", fmt.Sprintf(`document.querySelector('[data-proxy=%q] [data-testid=proxy-units]').textContent`, voter)); got != strings.Join(ps[0].GetUnitIds(), "、") {
		t.Errorf("the proxy's card names %q, want the voter's units %v", got, ps[0].GetUnitIds())
	}
	if got := eval[string](staff, "the card", fmt.Sprintf(`document.querySelector('[data-proxy=%q]').textContent`, voter)); ps[0].GetVoterName() == "" || !strings.Contains(got, "委托人 "+ps[0].GetVoterName()) {
		t.Errorf("the proxy's card reads %q, want the voter's name %q", got, ps[0].GetVoterName())
	}
	// The household has a standing authorisation: it is not offered again;
	// and what was typed into a cancelled dialog does not stay.
	click(staff, `[data-testid=proxy-new]`)
	wait(staff, "the dialog", `document.querySelector('dialog[open] [data-testid=proxy-voter]') !== null`)
	if eval[bool](staff, "the voter offered again", fmt.Sprintf(`[...document.querySelectorAll('[data-testid=proxy-voter] option')].some((o) => o.value === %q)`, voter)) {
		t.Error("a household with a standing authorisation is offered another")
	}
	typeInto(staff, `[data-testid=proxy-id]`, idNumberN(932))
	staff.Run("cancel", chromedp.Click(chromedp.CSS(`dialog[open] .actions button[type=button]`)))
	wait(staff, "closed", `document.querySelector('dialog[open]') === null`)
	// (The dialog is emptied by its close event, which comes after.)
	wait(staff, "the number gone", `![...document.querySelectorAll('input')].some((i) => i.value === `+jsString(idNumberN(932))+`)`)

	// The holder votes with their key under the authorisation.
	b := &ballot.Ballot{Assembly: "proxy-2026", RollDigest: a.GetRollDigest(), Voter: voter, Channel: ballot.Proxy, Signer: ballot.SignerProxy,
		KeyID: holder.keyID(), Nonce: nonce(), Time: c.e.clock.Now().UTC().Add(-time.Minute).Truncate(time.Second), ProxyAuthorization: scanSum,
		Choices: []ballot.Choice{{Motion: "m1", Values: []string{"AGREE"}}}}
	canonical, sig, err := ballot.Sign(b, holder.priv)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.as.SubmitBallot(c.e.ctx(c.e.admin), &ov.SubmitBallotRequest{CommunityId: c.cid, AssemblyId: "proxy-2026", Ballot: canonical, Signature: sig}); err != nil ||
		r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED {
		t.Fatalf("the holder's ballot: %v %v", r.GetStatus(), err)
	}

	c.open(staff, "#/c/"+c.cid+"/a/proxy-2026/proxies")
	wait(staff, "the vote shown", fmt.Sprintf(`(document.querySelector('[data-proxy=%q] [data-testid=proxy-vote]') || {textContent: ''}).textContent.includes('受托人已代为投票')`, voter))

	// A refusal stays in the dialog.
	bad := idNumberN(931)
	bad = bad[:17] + map[bool]string{true: "1", false: "2"}[bad[17] != '1']
	c.open(staff, "#/c/"+c.cid+"/a/proxy-2026/proxies")
	recordIn(voter2, "钱受托人", bad, []byte(base64.StdEncoding.EncodeToString(other.pub())), scan)
	click(staff, `[data-testid=proxy-save]`)
	wait(staff, "refused", `document.querySelector('dialog[open]') !== null && document.querySelector('dialog[open]').textContent.includes('受托人证件号码有误')`)
	// The same person as the first proxy, with another key.
	staff.Run("the number", chromedp.SetValue(chromedp.CSS(`[data-testid=proxy-id]`), idNumberN(930)))
	click(staff, `[data-testid=proxy-save]`)
	wait(staff, "recorded", fmt.Sprintf(`document.querySelector('[data-proxy=%q][data-withdrawn=false]') !== null`, voter2))
	if got := eval[string](staff, "acts for", fmt.Sprintf(`document.querySelector('[data-proxy=%q] [data-testid=proxy-acts]').textContent`, voter)); got != "该受托人在本次会议代理 2 户（上限 2 户）" {
		t.Errorf("the first proxy acts for %q, want 2 households of 2", got)
	}

	// Withdrawn with a reason.
	click(staff, fmt.Sprintf(`[data-withdraw-proxy=%q]`, voter2))
	typeInto(staff, `[data-testid=proxy-reason]`, "业主本人撤销委托")
	click(staff, `[data-testid=proxy-withdraw-save]`)
	wait(staff, "withdrawn", fmt.Sprintf(`document.querySelector('[data-proxy=%q][data-withdrawn=true]') !== null`, voter2))
	if got := eval[string](staff, "acts for", fmt.Sprintf(`document.querySelector('[data-proxy=%q] [data-testid=proxy-acts]').textContent`, voter)); got != "该受托人在本次会议代理 1 户（上限 2 户）" {
		t.Errorf("after the withdrawal, the first proxy acts for %q, want 1 household of 2", got)
	}
	// Who recorded it, and who withdrew it.
	for _, tc := range [][2]string{{"proxy-recorded", "经办：惠都社区 王工作人员"}, {"proxy-withdrawn", "业主本人撤销委托 · 经办：惠都社区 王工作人员"}} {
		if got := eval[string](staff, tc[0], fmt.Sprintf(`document.querySelector('[data-proxy=%q][data-withdrawn=true] [data-testid=%s]').textContent`, voter2, tc[0])); !strings.Contains(got, tc[1]) {
			t.Errorf("%s says %q, want %q", tc[0], got, tc[1])
		}
	}
	staff.ScreenshotView("console-proxies")
	ps = list()
	if len(ps) != 2 || ps[1].GetVoter() != voter2 || ps[1].GetWithdrawTime() == nil || ps[1].GetWithdrawReason() != "业主本人撤销委托" {
		t.Errorf("proxies after the console's withdrawal = %v", ps)
	}

	// Once the vote has closed, the list stays, and nothing is offered.
	if _, err := c.as.CloseAssembly(c.e.ctx(c.e.admin), &ov.CloseAssemblyRequest{CommunityId: c.cid, AssemblyId: "proxy-2026", Reason: "测试：提前结束"}); err != nil {
		t.Fatal(err)
	}
	c.open(staff, "#/c/"+c.cid+"/a/proxy-2026/proxies")
	wait(staff, "the closed page", `document.querySelectorAll('[data-proxy]').length === 2 && document.querySelector('[data-testid=proxies]').textContent.includes('不能登记或撤销委托')`)
	if eval[bool](staff, "actions", `document.querySelector('[data-testid=proxy-new], [data-withdraw-proxy]') !== null`) {
		t.Error("a closed assembly's proxies page offers to record or withdraw one")
	}

	committee := c.tab()
	c.signIn(committee, c.e.token(auth.CommitteeMember, c.cid))
	c.open(committee, "#/c/"+c.cid+"/a/proxy-2026")
	wait(committee, "the dashboard", `document.querySelector('[data-tab=dashboard]') !== null`)
	if eval[bool](committee, "proxies tab", `document.querySelector('[data-tab=proxies]') !== null`) {
		t.Error("a committee member is offered the proxies page")
	}
}

// TestConsoleCallListPages: a large call list is drawn a hundred
// households at a time, the rest one click away, and a call recorded joins
// the list drawn without losing the households shown.
func TestConsoleCallListPages(t *testing.T) {
	c := newConsole(t)
	a := c.openAssembly("select-2026", nil, nil)
	nv, err := c.as.ListNonVoters(c.e.ctx(c.e.admin), &ov.ListNonVotersRequest{CommunityId: c.cid, AssemblyId: a.GetAssemblyId()})
	if err != nil {
		t.Fatal(err)
	}
	n := len(nv.GetNonVoters())
	if n <= 100 || n > 200 {
		t.Fatalf("%d households to call; the test wants 101 to 200", n)
	}
	tab := c.tab()
	c.signIn(tab, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.open(tab, "#/c/"+c.cid+"/a/select-2026/calls")
	wait(tab, "call list", `document.querySelectorAll('[data-voter]').length > 0`)
	rows := func() int {
		return eval[int](tab, "rows", `document.querySelectorAll('[data-testid=calllist] [data-voter]').length`)
	}
	if got := rows(); got != 100 {
		t.Errorf("%d households drawn at first, want 100 of %d", got, n)
	}
	more := eval[string](tab, "more", `document.querySelector('[data-testid=call-more]')?.textContent || ''`)
	if want := fmt.Sprintf("再显示 %d 户（还有 %d 户）", n-100, n-100); more != want {
		t.Errorf("the more button says %q, want %q", more, want)
	}
	click(tab, `[data-testid=call-more]`)
	wait(tab, "all drawn", fmt.Sprintf(`document.querySelectorAll('[data-testid=calllist] [data-voter]').length === %d`, n))
	if got := eval[int](tab, "focus", `[...document.querySelectorAll('[data-testid=calllist] [data-voter]')].findIndex((li) => li.contains(document.activeElement))`); got != 100 {
		t.Errorf("after more, the focus is in household %d, want the first drawn anew (100)", got)
	}
	if eval[bool](tab, "no more button", `document.querySelector('[data-testid=call-more]') !== null`) {
		t.Error("a more button with every household drawn")
	}
	// The last household drawn: a call recorded there updates its row,
	// and every household stays drawn.
	last := eval[string](tab, "last row", `[...document.querySelectorAll('[data-testid=calllist] [data-voter]')].pop().dataset.voter`)
	eval[bool](tab, "count the list's reads", `(() => { window.listReads = 0; const f = window.fetch;
		window.fetch = (u, o) => { if (String(u).includes('/nonvoters')) window.listReads++; return f(u, o); }; return true; })()`)
	click(tab, fmt.Sprintf(`[data-record-call=%q]`, last))
	click(tab, `dialog[open] [data-outcome=NO_ANSWER]`)
	click(tab, `dialog[open] [data-testid=call-save]`)
	wait(tab, "history updated", fmt.Sprintf(`document.querySelector('[data-voter=%q] .call-last')?.textContent.includes('无人接听')`, last))
	if got := rows(); got != n {
		t.Errorf("%d households drawn after the call, want all %d still", got, n)
	}
	wait(tab, "focus back on the household's button", fmt.Sprintf(`document.activeElement?.dataset.recordCall === %q`, last))
	if got := eval[int](tab, "list reads", `window.listReads`); got != 0 {
		t.Errorf("the list of %d households read %d times again for one call, want none (it was read just now)", n, got)
	}
}

// TestConsoleCheckedByAColleague: a ballot checked by a colleague while
// it was listed is refused when checked again (NOT_PENDING, which the
// gateway answers with 400 like a bad argument), and the list is drawn
// anew without it, saying why.
func TestConsoleCheckedByAColleague(t *testing.T) {
	c := newConsole(t)
	a := c.openAssembly("check-2026", &ov.Settings{MakerChecker: true}, nil)
	admin, wang, li := c.tab(), c.tab(), c.tab()
	c.signIn(admin, c.e.admin)
	c.signIn(wang, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	c.signIn(li, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 李工作人员"))
	c.enrolKey(wang, "STAFF", "staff-wang", "王工作人员")
	c.enrolKey(li, "STAFF", "staff-li", "李工作人员")
	c.approveAll(admin, 2)
	pending := c.apiBallot(a, c.voters[5], ballot.Phone, "AGREE", c.now()).GetBallotId()
	for _, tab := range []*browsertest.Tab{wang, li} {
		c.open(tab, "#/c/"+c.cid+"/a/"+a.GetAssemblyId()+"/record")
		tab.Run("the ballot listed", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-confirm=%q]`, pending))))
	}
	click(wang, fmt.Sprintf(`[data-confirm=%q]`, pending))
	wait(wang, "confirmed", `document.querySelector('[data-testid=confirmations] .ok') !== null`)
	click(li, fmt.Sprintf(`[data-confirm=%q]`, pending))
	wait(li, "drawn anew without it", fmt.Sprintf(`document.querySelector('[data-pending=%q]') === null && document.querySelector('[data-testid=confirmations] .error') !== null`, pending))
}
