package server_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/browsertest"
)

// TestConsoleLeavingWhileListLoads: a user of one community opens the
// community list, and goes to the keys page just as the list arrives — in
// the same turn of the page's event loop, before the address change is
// handled. The list must not send them on to their community: they stay
// on the keys page. (This race made the committee browser test fail now
// and then.)
func TestConsoleLeavingWhileListLoads(t *testing.T) {
	c := newConsole(t)
	tab := c.tab()
	c.signIn(tab, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	wait(tab, "the single community opens", `location.hash.startsWith('#/c/')`)
	holdNextReply(tab, `url.startsWith('/v1/communities?')`, "#/")
	wait(tab, "the list is held", `typeof window.__release === 'function'`)
	eval[bool](tab, "go to the keys page as the list arrives", `(() => { location.hash = '#/keys'; window.__release(); return true; })()`)
	if got := eval[string](tab, "read the address", `new Promise((res) => setTimeout(() => res(location.hash), 300))`); got != "#/keys" {
		t.Fatalf("after the list arrived the address is %q, want #/keys", got)
	}
	tab.Run("the keys page", chromedp.WaitVisible(chromedp.CSS(`[data-testid=enrol]`)))
	if errs := tab.Errors(); len(errs) > 0 {
		t.Errorf("browser errors: %v", errs)
	}
}

// TestConsoleLeavingWhileDashboardLoads: a user opens an assembly's
// dashboard and goes to the keys page before the assembly has loaded. The
// dashboard, left behind, must not start polling the progress (it would
// poll for as long as the tab stays open, its stop lost).
func TestConsoleLeavingWhileDashboardLoads(t *testing.T) {
	c := newConsole(t)
	a := c.openAssembly("select-2026-d", nil, nil)
	tab := c.tab()
	c.signIn(tab, c.labelledToken(auth.CommunityStaff, c.cid, "惠都社区 王工作人员"))
	wait(tab, "the single community opens", `location.hash.startsWith('#/c/')`)
	holdNextReply(tab, `url.endsWith('/assemblies/`+a.GetAssemblyId()+`')`, "#/c/"+c.cid+"/a/"+a.GetAssemblyId())
	wait(tab, "the assembly is held", `typeof window.__release === 'function'`)
	eval[bool](tab, "go to the keys page", `(() => { location.hash = '#/keys'; return true; })()`)
	tab.Run("the keys page", chromedp.WaitVisible(chromedp.CSS(`[data-testid=enrol]`)))
	eval[bool](tab, "the assembly arrives", `(() => { window.__release(); return true; })()`)
	if n := eval[float64](tab, "count progress requests", `new Promise((res) => setTimeout(() => res(window.__progress), 2500))`); n != 0 {
		t.Errorf("the dashboard left behind requested the progress %v times", n)
	}
	if got := eval[string](tab, "read the address", `location.hash`); got != "#/keys" {
		t.Errorf("address %q, want #/keys", got)
	}
	if errs := tab.Errors(); len(errs) > 0 {
		t.Errorf("browser errors: %v", errs)
	}
}

// holdNextReply makes the page hold the reply to its next request whose
// url (a string) matches the JavaScript condition until window.__release()
// is called, counts the requests for progress in window.__progress, and
// goes to the address hash. The released reply is a plain object, so that
// everything after it runs as microtasks.
func holdNextReply(tab *browsertest.Tab, condition, hash string) {
	eval[bool](tab, "hold the next reply", `(() => {
		const orig = window.fetch;
		let held = false;
		window.__progress = 0;
		window.fetch = (u, opts) => {
			const url = String(u);
			if (url.includes('/progress')) window.__progress++;
			if (held || !(`+condition+`)) return orig(u, opts);
			held = true;
			return orig(u, opts).then((r) => r.text()).then((body) => new Promise((res) => {
				window.__release = () => res({ ok: true, status: 200, headers: new Headers(), text: async () => body });
			}));
		};
		location.hash = '`+hash+`';
		return true;
	})()`)
}

// TestConsoleMalformedAddress: an address that does not decode (a stray
// "%") shows "no such page", not a page stuck loading.
func TestConsoleMalformedAddress(t *testing.T) {
	c := newConsole(t)
	tab := c.tab()
	c.signIn(tab, c.e.admin)
	c.open(tab, "#/c/%E0%A4%A")
	wait(tab, "not found", `document.querySelector('main')?.textContent === '页面不存在。'`)
	if errs := tab.Errors(); len(errs) > 0 {
		t.Errorf("browser errors: %v", errs)
	}
}
