package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// TestConsoleTokens: a street admin of every community issues a committee
// member a sign-in of their own in the console - refused in the page, and
// by the server in Chinese, where it is incomplete - sees its secret once,
// which signs in as issued and leaves the page when the dialog closes,
// and revokes it, after which it signs in no more. Nobody else is offered
// the page.
func TestConsoleTokens(t *testing.T) {
	c := newConsole(t)
	c.now()
	ts := ov.NewTokenServiceClient(c.e.conn)
	count := func() int {
		t.Helper()
		r, err := ts.ListTokens(c.e.ctx(c.e.admin), &ov.ListTokensRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return len(r.GetTokens())
	}
	admin := c.tab()
	c.signIn(admin, c.e.admin)
	click(admin, `[data-testid=nav-tokens]`)
	wait(admin, "the page", `document.querySelector('[data-testid=token-form]') !== null && document.querySelector('[data-testid=tokens]') !== null`)
	// The admin's own sign-in cannot be revoked from here.
	me, err := ts.WhoAmI(c.e.ctx(c.e.admin), &ov.WhoAmIRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wait(admin, "the admin's own, in use", fmt.Sprintf(`document.querySelector('[data-token=%q][data-status=active] [data-testid=token-yours]') !== null`, me.GetTokenId()))
	if eval[bool](admin, "own revoke", fmt.Sprintf(`document.querySelector('[data-revoke-token=%q]') !== null`, me.GetTokenId())) {
		t.Error("the admin is offered to revoke the sign-in in use")
	}
	saysInForm := func(what, text string) {
		t.Helper()
		wait(admin, what, fmt.Sprintf(`document.querySelector('[data-testid=token-issue-msg]').textContent.includes(%s)`, jsString(text)))
	}
	before := count()
	click(admin, `[data-testid=token-issue]`)
	saysInForm("no holder", "请填写持有人")
	selectValue(admin, `[data-testid=token-role]`, "COMMITTEE_MEMBER")
	if got := eval[string](admin, "the first choice", `document.querySelector('[data-testid=token-community]').options[0].textContent`); got != "请选择小区" {
		t.Errorf("a committee member's sign-in offers %q first, want a choice to make", got)
	}
	typeInto(admin, `[data-testid=token-label]`, "赵委员")
	click(admin, `[data-testid=token-issue]`)
	saysInForm("no community chosen", "请选择小区")
	selectValue(admin, `[data-testid=token-community]`, c.cid)
	// Days: none is "until revoked"; 0 or what is no number is refused.
	for _, days := range []string{"0", "-"} {
		eval[bool](admin, "days", `(() => { document.querySelector('[data-testid=token-days]').value = '';
			document.querySelector('[data-testid=token-issue-msg]').replaceChildren(); return true; })()`)
		typeInto(admin, `[data-testid=token-days]`, days)
		click(admin, `[data-testid=token-issue]`)
		saysInForm("days "+days, "有效天数须为 1 至 3650 的整数")
	}
	eval[bool](admin, "no days", `(() => { document.querySelector('[data-testid=token-days]').value = ''; return true; })()`)
	// A member id that is an identity number is refused by the server.
	typeInto(admin, `[data-testid=token-signer]`, idNumberN(7))
	click(admin, `[data-testid=token-issue]`)
	saysInForm("an identity number as the member id", "不能用电话、身份证号码")
	eval[bool](admin, "no member id", `(() => { document.querySelector('[data-testid=token-signer]').value = ''; document.querySelector('[data-testid=token-label]').value = ''; return true; })()`)
	// The server refuses a holder named with a phone number, in Chinese.
	typeInto(admin, `[data-testid=token-label]`, "赵委员 13812345678")
	click(admin, `[data-testid=token-issue]`)
	saysInForm("a number in the holder", "不能含完整的电话")
	if count() != before {
		t.Fatal("a sign-in was issued from a refused form")
	}
	eval[bool](admin, "the holder", `(() => { document.querySelector('[data-testid=token-label]').value = '惠都社区 赵委员'; return true; })()`)
	typeInto(admin, `[data-testid=token-signer]`, "member-zhao")
	typeInto(admin, `[data-testid=token-days]`, "30")
	click(admin, `[data-testid=token-issue]`)
	wait(admin, "the secret", `(document.querySelector('[data-testid=token-secret]') || {value: ''}).value.startsWith('ovt_')`)
	// Stray Escapes do not lose it (the page may refuse the first only).
	for range 2 {
		admin.Run("escape", chromedp.KeyEvent(kb.Escape))
		wait(admin, "still shown", `document.querySelector('dialog[open] [data-testid=token-secret]') !== null`)
	}
	// Nor does a close the browser forces (where it lets a page refuse
	// Escape once only): the dialog opens again.
	eval[bool](admin, "force a close", `(document.querySelector('[data-testid=secret-dialog]').close(), true)`)
	wait(admin, "shown again", `document.querySelector('dialog[open] [data-testid=token-secret]') !== null`)
	admin.ScreenshotView("console-token-issued")
	secret := eval[string](admin, "the secret", `document.querySelector('[data-testid=token-secret]').value`)
	who, err := ts.WhoAmI(c.e.ctx(secret), &ov.WhoAmIRequest{})
	if err != nil {
		t.Fatal(err)
	}
	until := time.Until(who.GetExpireTime().AsTime())
	if who.GetRole() != ov.Role_ROLE_COMMITTEE_MEMBER || who.GetCommunityId() != c.cid || who.GetLabel() != "惠都社区 赵委员" || who.GetSignerId() != "member-zhao" ||
		until < 29*24*time.Hour || until > 30*24*time.Hour+time.Hour {
		t.Errorf("the sign-in issued: %v (expires in %v)", who, until)
	}
	click(admin, `[data-testid=token-done]`)
	// (The dialog's close event, which removes it, follows its closing.)
	wait(admin, "the dialog closed and gone", `document.querySelector('dialog[open]') === null && document.querySelector('[data-testid=secret-dialog]') === null`)
	if where := eval[string](admin, "the secret in the page", fmt.Sprintf(`([...document.querySelectorAll('input, textarea')].find((i) => i.value.includes(%q)) || {outerHTML: ''}).outerHTML`, secret)); where != "" {
		t.Errorf("the secret stays in the page after its dialog closed: %s", where)
	}
	if got := eval[string](admin, "the form", `document.querySelector('[data-testid=token-label]').value + '|' + document.querySelector('[data-testid=token-signer]').value`); got != "|" {
		t.Errorf("the form keeps %q after issuing", got)
	}

	// Revoked after a confirmation: it signs in no more.
	row := fmt.Sprintf(`[data-token=%q]`, who.GetTokenId())
	wait(admin, "listed", fmt.Sprintf(`document.querySelector('%s[data-status=active]') !== null && document.querySelector('%s').textContent.includes('member-zhao')`, row, row))
	click(admin, fmt.Sprintf(`[data-revoke-token=%q]`, who.GetTokenId()))
	click(admin, `[data-testid=token-revoke-save]`)
	wait(admin, "asked to confirm", `document.querySelector('dialog[open]').textContent.includes('请勾选确认')`)
	if _, err := ts.WhoAmI(c.e.ctx(secret), &ov.WhoAmIRequest{}); err != nil {
		t.Fatalf("revoked without the confirmation: %v", err)
	}
	click(admin, `[data-testid=token-revoke-confirm]`)
	click(admin, `[data-testid=token-revoke-save]`)
	wait(admin, "revoked", `document.querySelector('[data-testid=tokens-msg]').textContent.includes('已吊销 惠都社区 赵委员 的登录凭证')`)
	if _, err := ts.WhoAmI(c.e.ctx(secret), &ov.WhoAmIRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("the revoked sign-in: %v, want Unauthenticated", err)
	}
	wait(admin, "gone from the list in force", fmt.Sprintf(`document.querySelector('[data-testid=tokens]') !== null && document.querySelector(%q) === null`, row))
	click(admin, `[data-testid=tokens-all]`)
	wait(admin, "listed as revoked", fmt.Sprintf(`document.querySelector('%s[data-status=revoked]') !== null`, row))

	// An admin whose own sign-in expires issues only sign-ins that end
	// before it: the page asks how many days.
	_, temp, err := c.e.tokens.CreateFor(context.Background(), auth.StreetAdmin, "", "街道 临时管理员", "", time.Now().Add(10*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tempTab := c.tab()
	c.signIn(tempTab, temp)
	c.open(tempTab, "#/tokens")
	wait(tempTab, "the form", `document.querySelector('[data-testid=token-form]') !== null`)
	typeInto(tempTab, `[data-testid=token-label]`, "临时人员")
	selectValue(tempTab, `[data-testid=token-community]`, c.cid)
	click(tempTab, `[data-testid=token-issue]`)
	wait(tempTab, "days asked", `document.querySelector('[data-testid=token-issue-msg]').textContent.includes('签发的凭证不能比它长：请填写 1 至 9 天')`)

	// A street admin of one community, and staff, are offered no such page.
	for name, tok := range map[string]string{"a community's street admin": c.labelledToken(auth.StreetAdmin, c.cid, "惠都社区 管理员"),
		"staff": c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员")} {
		tab := c.tab()
		c.signIn(tab, tok)
		if eval[bool](tab, "nav", `document.querySelector('[data-testid=nav-tokens]') !== null`) {
			t.Errorf("%s is offered the sign-ins page", name)
		}
		c.open(tab, "#/tokens")
		wait(tab, "no such page", `document.querySelector('main').textContent.includes('页面不存在')`)
		if strings.Contains(eval[string](tab, "main", `document.querySelector('main').textContent`), "签发") {
			t.Errorf("%s gets the sign-ins page", name)
		}
	}
}
