package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ownervote/ownervote/web"
)

// TestHandler checks what the console's handler serves: the page at "/",
// the assets with their types, a strict Content-Security-Policy on
// everything, revalidation by ETag, and nothing else.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	get := func(method, path string, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/assets/js/app.js">`},
		{"/assets/js/api.js", "text/javascript; charset=utf-8", "sessionStorage"},
		{"/assets/js/ballot.js", "text/javascript; charset=utf-8", "ownervote-ballot/1"},
		{"/assets/app.css", "text/css; charset=utf-8", "@media print"},
		{"/assets/icon.svg", "image/svg+xml", "<svg"},
	} {
		resp, body := get("GET", tc.path, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.contentType || !strings.Contains(body, tc.contains) {
			t.Errorf("GET %s = %d %s, want 200 %s containing %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.contentType, tc.contains)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: Content-Security-Policy allows %q", tc.path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: missing nosniff or no-referrer", tc.path)
		}
		etag := resp.Header.Get("ETag")
		if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: ETag %q, Cache-Control %q", tc.path, etag, resp.Header.Get("Cache-Control"))
		}
		if resp, _ := get("GET", tc.path, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag = %d, want 304", tc.path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/index.html", "/assets/", "/assets/js/", "/static/index.html", "/assets/../index.html", "/nope"} {
		if resp, _ := get("GET", path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := get("POST", "/", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", resp.StatusCode)
	}
	if resp, body := get("HEAD", "/", nil); resp.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD / = %d with %d bytes", resp.StatusCode, len(body))
	}
}

// TestNoRemoteAssets: the page loads nothing from another origin (the
// console must work without internet).
func TestNoRemoteAssets(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	// Every script, as embedded.
	scripts, err := filepath.Glob("static/assets/js/*.js")
	if err != nil || len(scripts) < 10 {
		t.Fatalf("scripts %v, %v", scripts, err)
	}
	paths := []string{"/", "/assets/app.css"}
	for _, f := range scripts {
		paths = append(paths, "/assets/js/"+filepath.Base(f))
	}
	for _, path := range paths {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "localStorage.setItem('ownervote.token'"} {
			if strings.Contains(string(body), bad) && !(bad == "http://" && strings.Contains(string(body), "http://www.w3.org/2000/svg")) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
	}
}
