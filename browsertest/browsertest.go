// Package browsertest starts a headless Chromium for tests that drive the
// web console with chromedp, and writes their screenshots for review.
//
// A test that needs the browser calls Start. Without Chromium the test is
// skipped with a message saying how to install it, unless the environment
// variable OWNERVOTE_REQUIRE_BROWSER is 1 (as in CI), which turns the skip
// into a failure. Screenshots go to $OWNERVOTE_SCREENSHOTS, or to
// screenshots/ at the root of the module.
package browsertest

import (
	"context"
	"fmt"
	"github.com/chromedp/cdproto/emulation"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Environment variables read by this package (test helpers only; the
// product never reads them).
const (
	// RequireEnv set to 1 makes a missing browser a test failure.
	RequireEnv = "OWNERVOTE_REQUIRE_BROWSER"
	// ScreenshotsEnv names the folder for screenshots.
	ScreenshotsEnv = "OWNERVOTE_SCREENSHOTS"
	// ChromiumEnv names the browser binary, if not the usual ones.
	ChromiumEnv = "OWNERVOTE_CHROMIUM"
)

// ExecPath returns the Chromium binary: $OWNERVOTE_CHROMIUM when set (and
// then only it), else Debian's /usr/bin/chromium, or chromium,
// chromium-browser or google-chrome on the PATH.
func ExecPath() (string, bool) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		_, err := os.Stat(p)
		return p, err == nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Browser is a running headless Chromium.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// Start starts a headless Chromium with a fresh profile for the test and
// stops it when the test ends. Without Chromium it skips the test, or fails
// it when OWNERVOTE_REQUIRE_BROWSER=1.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, ok := ExecPath()
	if !ok {
		msg := "Chromium is not installed: browser tests need it (Debian: apt-get update && apt-get install -y chromium fonts-wqy-microhei)"
		if p := os.Getenv(ChromiumEnv); p != "" {
			msg = fmt.Sprintf("no Chromium at %s=%s", ChromiumEnv, p)
		}
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s; %s=1 makes this a failure", msg, RequireEnv)
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return &Browser{t: t, ctx: ctx}
}

// Tab is one page of a browser profile, used by one test.
type Tab struct {
	t   testing.TB
	Ctx context.Context
	log *pageLog
}

// pageLog collects a page's console errors and uncaught exceptions.
type pageLog struct {
	t      testing.TB
	mu     sync.Mutex
	done   bool
	errors []string
}

// For returns the tab for use in test t (a subtest), so that its failures
// fail t.
func (tab *Tab) For(t testing.TB) *Tab {
	return &Tab{t: t, Ctx: tab.Ctx, log: tab.log}
}

// Fatalf fails the tab's test.
func (tab *Tab) Fatalf(format string, args ...any) {
	tab.t.Helper()
	tab.t.Fatalf(format, args...)
}

// Profile opens a tab in a new browser context: its own cookies, session
// storage and IndexedDB, as if it were another person's browser.
// Timezone is the time zone the pages run in: not Beijing's.
const Timezone = "America/Los_Angeles"

func (b *Browser) Profile(t testing.TB) *Tab {
	t.Helper()
	tab := &Tab{t: t, log: &pageLog{t: t}}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tab.log.listen))
	tab.Ctx = ctx
	// Pages run far from Beijing: a time read or written as the browser's
	// local time instead of Beijing time shows in every test.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: Timezone}); err != nil {
		cancel()
		t.Fatalf("opening a browser context: %v", err)
	}
	t.Cleanup(func() {
		tab.log.mu.Lock()
		tab.log.done = true
		tab.log.mu.Unlock()
		cancel()
	})
	return tab
}

// listen logs the page's console errors and uncaught exceptions.
func (l *pageLog) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "uncaught exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeWarning {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	default:
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return
	}
	l.errors = append(l.errors, msg)
	l.t.Logf("browser: %s", msg)
}

// Errors returns the console errors and uncaught exceptions seen so far.
func (tab *Tab) Errors() []string {
	tab.log.mu.Lock()
	defer tab.log.mu.Unlock()
	return append([]string(nil), tab.log.errors...)
}

// Timeout bounds each Run and Get: generous, because CI runs the browser
// tests under the race detector alongside every other package.
const Timeout = 60 * time.Second

// Run runs chromedp actions in order, with a timeout, and fails the test
// on error.
func (tab *Tab) Run(what string, actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	Get(tab, what, chromedp.Steps(actions...))
}

// Get runs one action that returns a value, with a timeout, and fails the
// test on error.
func Get[T any](tab *Tab, what string, action chromedp.Action[T]) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tab.t.Fatalf("%s: %v (browser errors: %v; the page as it was: %s)", what, err, tab.Errors(), tab.failureShot())
	}
	return v
}

// failureShot saves what the page shows when a step fails, for the
// failure message.
func (tab *Tab) failureShot() string {
	ctx, cancel := context.WithTimeout(tab.Ctx, 5*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	dir, derr := Dir()
	if err != nil || derr != nil {
		return "no screenshot"
	}
	name := "FAILED-" + strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '_'
		}
		return r
	}, tab.t.Name()) + ".png"
	p := filepath.Join(dir, name)
	if os.WriteFile(p, buf, 0o644) != nil {
		return "no screenshot"
	}
	return p
}

// Screenshot writes a full-page PNG screenshot named name.png into Dir.
func (tab *Tab) Screenshot(name string) string {
	tab.t.Helper()
	return tab.save(name, Get(tab, "screenshot "+name, chromedp.FullScreenshot(100)))
}

// ScreenshotView writes a PNG screenshot of what the window shows (for
// long pages) named name.png into Dir.
func (tab *Tab) ScreenshotView(name string) string {
	tab.t.Helper()
	return tab.save(name, Get(tab, "screenshot "+name, chromedp.CaptureScreenshot()))
}

func (tab *Tab) save(name string, buf []byte) string {
	tab.t.Helper()
	dir, err := Dir()
	if err != nil {
		tab.t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		tab.t.Fatal(err)
	}
	return p
}

// Dir returns (and creates) the screenshot folder: $OWNERVOTE_SCREENSHOTS,
// or screenshots/ at the module root.
func Dir() (string, error) {
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("browsertest: screenshot folder: %w", err)
	}
	return dir, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("browsertest: no go.mod above %s; set %s", dir, ScreenshotsEnv)
		}
	}
}
