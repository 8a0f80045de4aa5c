package server

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/auth"

	"github.com/google/go-cmp/cmp"
)

func TestTokenBuckets(t *testing.T) {
	now := time.Date(2026, 5, 9, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tb := newTokenBuckets(Limits{TokenRate: 10, TokenBurst: 3}, clock)
	type step struct {
		advance time.Duration
		id      string
		ok      bool
		wait    time.Duration
	}
	steps := []step{
		{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}, // the burst
		{0, "a", false, 100 * time.Millisecond}, // empty: one request every 100 ms
		{0, "b", true, 0},                       // another token has its own bucket
		{50 * time.Millisecond, "a", false, 50 * time.Millisecond},
		{50 * time.Millisecond, "a", true, 0},
		{0, "a", false, 100 * time.Millisecond},
		{time.Hour, "a", true, 0}, // refilled up to the burst, not beyond
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 100 * time.Millisecond},
	}
	var got, want []step
	for _, s := range steps {
		now = now.Add(s.advance)
		ok, wait := tb.take(s.id)
		got = append(got, step{s.advance, s.id, ok, wait.Round(time.Millisecond)})
		want = append(want, s)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(step{})); diff != "" {
		t.Errorf("take (-want +got):\n%s", diff)
	}

	unlimited := newTokenBuckets(Limits{TokenRate: -1, TokenBurst: 1}, clock)
	for i := range 1000 {
		if ok, _ := unlimited.take("a"); !ok {
			t.Fatalf("take %d with no limit refused", i)
		}
	}
}

func TestLimitsDefaults(t *testing.T) {
	tests := []struct {
		in, want Limits
	}{
		{Limits{}, Limits{MaxRequestBytes: DefaultMaxRequestBytes, TokenRate: DefaultTokenRate, TokenBurst: DefaultTokenBurst,
			PlatformRate: DefaultPlatformRate, RequestTimeout: DefaultRequestTimeout}},
		{Limits{MaxRequestBytes: 1 << 10, TokenRate: -1, TokenBurst: 5, PlatformRate: -1, RequestTimeout: -1},
			Limits{MaxRequestBytes: 1 << 10, TokenRate: -1, TokenBurst: 5, PlatformRate: -1, RequestTimeout: -1}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.in.withDefaults()); diff != "" {
			t.Errorf("%+v.withDefaults() (-want +got):\n%s", tc.in, diff)
		}
	}
}

// TestPlatformRate: PLATFORM tokens relay a whole city's ballots and have
// their own, higher rate; other roles keep TokenRate.
func TestPlatformRate(t *testing.T) {
	l := newLimiter(Limits{TokenRate: 1, TokenBurst: 1, PlatformRate: 1000}, slog.New(slog.DiscardHandler))
	platform := context.WithValue(context.Background(), tokenKey{}, auth.Token{ID: "tok-p", Role: auth.Platform})
	staff := context.WithValue(context.Background(), tokenKey{}, auth.Token{ID: "tok-s", Role: auth.CommunityStaff})
	for i := range 100 {
		if err := l.admit(platform); err != nil {
			t.Fatalf("platform request %d: %v", i, err)
		}
	}
	if err := l.admit(staff); err != nil {
		t.Fatalf("first staff request: %v", err)
	}
	if err := l.admit(staff); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("second staff request within a second = %v, want ResourceExhausted", err)
	}
}
