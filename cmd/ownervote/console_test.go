package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/demo"
	"github.com/ownervote/ownervote/roll"
)

// TestServeDemoPrintsConsole: serve --demo prints the web console's address,
// and the console is served there.
func TestServeDemoPrintsConsole(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data", t.TempDir(), "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d: %s", code, stderr.String())
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "gRPC:") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := regexp.MustCompile(`Console:\s+(http://\S+/)\s`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("serve --demo prints no console address:\n%s", stdout.String())
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "/assets/js/app.js") {
		t.Errorf("GET %s = %d:\n%s", m[1], resp.StatusCode, body)
	}
}

// TestServeRevealQuotaFlag: serve's --phone-reveal-quota is the day's number
// of owners' phone numbers one sign-in may reveal.
func TestServeRevealQuotaFlag(t *testing.T) {
	s := serveInProc(t, t.TempDir(), "--demo", "--phone-reveal-quota", "1")
	var owners struct {
		Owners []struct {
			OwnerID string `json:"owner_id"`
		} `json:"owners"`
	}
	if code := apiGet(t, http.DefaultClient, s.base, "/v1/communities/"+demo.CommunityID+"/owners", s.token, &owners); code != http.StatusOK || len(owners.Owners) < 2 {
		t.Fatalf("owners: HTTP %d, %d owners", code, len(owners.Owners))
	}
	for i, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
		req, _ := http.NewRequest("POST", s.base+"/v1/communities/"+demo.CommunityID+"/owners/"+owners.Owners[i].OwnerID+":revealPhone", strings.NewReader(`{"reason":"电话动员"}`))
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("reveal %d: HTTP %d, want %d", i+1, resp.StatusCode, want)
		}
		if secs, _ := strconv.Atoi(resp.Header.Get("Retry-After")); want == http.StatusTooManyRequests && (secs < 1 || secs > 24*3600) {
			t.Errorf("reveal %d: Retry-After %q, want the seconds until midnight, China time", i+1, resp.Header.Get("Retry-After"))
		}
	}
}

// TestRevealQuotaFlagValues: --phone-reveal-quota 0 is no quota, not the
// roll's default.
func TestRevealQuotaFlagValues(t *testing.T) {
	for flag, want := range map[int]int{0: -1, 1: 1, roll.DefaultRevealQuota: roll.DefaultRevealQuota} {
		if got := revealQuota(flag); got != want {
			t.Errorf("revealQuota(%d) = %d, want %d", flag, got, want)
		}
	}
}
