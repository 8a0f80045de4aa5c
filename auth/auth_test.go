package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/store"
)

// newTokens keeps tokens in a fresh bbolt file.
func newTokens(t *testing.T) *auth.Tokens {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "a.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return auth.NewTokens(st, auth.Config{})
}

func TestRevokeEndsACachedToken(t *testing.T) {
	ctx := context.Background()
	ts := newTokens(t)
	tok, secret, err := ts.Create(ctx, auth.StreetAdmin, "", "admin")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second comes from the cache
		if got, err := ts.Authenticate(ctx, secret); err != nil || got.ID != tok.ID {
			t.Fatalf("Authenticate = %v, %v", got, err)
		}
	}
	if _, err := ts.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Authenticate(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate after Revoke = %v, want ErrUnauthenticated", err)
	}
	if _, err := ts.Authenticate(ctx, "ovt_"+secret[4:10]); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate(unknown) = %v, want ErrUnauthenticated", err)
	}
	if _, _, err := ts.Create(ctx, auth.CommunityStaff, "", "staff"); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("Create(staff without community) = %v, want ErrInvalid", err)
	}
}

// TestCreateChecksItsFields: a token needs a role the server knows and a
// label (who holds it) of at most 100 characters; a refused one is not
// stored.
func TestCreateChecksItsFields(t *testing.T) {
	ctx := context.Background()
	ts := newTokens(t)
	long := strings.Repeat("员", 101)
	for _, tc := range []struct {
		name  string
		role  auth.Role
		label string
	}{
		{"a role nobody has", auth.Role("WIZARD"), "x"},
		{"no label", auth.StreetAdmin, "  "},
		{"a label of 101 characters", auth.StreetAdmin, long},
	} {
		if _, _, err := ts.Create(ctx, tc.role, "", tc.label); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	if list, err := ts.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("after the refusals: %d tokens (%v), want none", len(list), err)
	}
	if _, _, err := ts.Create(ctx, auth.StreetAdmin, "", long[:len(long)-len("员")]); err != nil {
		t.Errorf("a label of 100 characters: %v", err)
	}
}

// TestTokenExpires: a token made to expire works until then, from the
// cache too, and not after; one cannot be made already expired.
func TestTokenExpires(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "a.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC)
	ts := auth.NewTokens(st, auth.Config{Now: func() time.Time { return now }})
	if _, _, err := ts.CreateFor(ctx, auth.CommunityStaff, "", "临时工作人员", "", now.Add(-time.Hour)); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("a token expiring an hour ago: %v, want ErrInvalid", err)
	}
	tok, secret, err := ts.CreateFor(ctx, auth.Auditor, "", "临时审计", "", now.Add(2*time.Minute))
	if err != nil || !tok.Expires.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("CreateFor = %+v, %v", tok, err)
	}
	now = now.Add(119 * time.Second)
	for range 2 { // the second from the cache
		if _, err := ts.Authenticate(ctx, secret); err != nil {
			t.Fatalf("before it expires: %v", err)
		}
	}
	// Two seconds later: inside the cache's time, past the token's.
	now = now.Add(2 * time.Second)
	if _, err := ts.Authenticate(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("after it expired: %v, want ErrUnauthenticated, expired", err)
	}
	list, err := ts.List(ctx)
	if err != nil || len(list) != 1 || !list[0].Expires.Equal(tok.Expires) {
		t.Errorf("List = %+v, %v; want the token with its expiry", list, err)
	}
}
