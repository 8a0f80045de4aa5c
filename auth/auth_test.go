package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/store"
)

func TestRevokeEndsACachedToken(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "a.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := auth.NewTokens(st, auth.Config{})
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
