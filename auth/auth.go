package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
)

// Role is what a token may do.
type Role string

// The roles.
const (
	StreetAdmin     Role = "STREET_ADMIN"
	CommunityStaff  Role = "COMMUNITY_STAFF"
	CommitteeMember Role = "COMMITTEE_MEMBER"
	Platform        Role = "PLATFORM"
	Auditor         Role = "AUDITOR"
)

// Roles lists every role.
func Roles() []Role {
	return []Role{StreetAdmin, CommunityStaff, CommitteeMember, Platform, Auditor}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// ParseRole accepts a role's name in any case, with or without "ROLE_",
// and with '-' for '_'.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimPrefix(strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), "-", "_"), "ROLE_"))
	if !r.Valid() {
		return "", fmt.Errorf("%w: role %q is not one of street-admin, community-staff, committee-member, platform, auditor", ErrInvalid, s)
	}
	return r, nil
}

// Staff reports whether the role may see owners' names.
func (r Role) Staff() bool { return r == StreetAdmin || r == CommunityStaff }

// Token is a bearer token's record; it never holds the secret.
type Token struct {
	ID string
	// Role is what the token may do.
	Role Role
	// CommunityID is the one community the token acts in; "" for all.
	CommunityID string
	Label       string
	// SignerID, when set, is the signer id of the one person the token
	// was issued to: keys enrolled through it are enrolled under that id
	// only, so a key it enrolled is known to be that person's.
	SignerID string
	Created  time.Time
	Revoked  time.Time
	// Expires is when the token stops working by itself (a campaign
	// worker's sign-in, say); zero for never.
	Expires time.Time
}

// Active reports whether the token may be used.
func (t Token) Active() bool { return t.Revoked.IsZero() }

// InScope reports whether the token may act in community id.
func (t Token) InScope(id string) bool { return t.CommunityID == "" || t.CommunityID == id }

// Sentinel errors.
var (
	ErrUnauthenticated  = errors.New("auth: missing, unknown or revoked token")
	ErrPermissionDenied = errors.New("auth: permission denied")
	ErrTokenNotFound    = errors.New("auth: token not found")
	ErrInvalid          = errors.New("auth: invalid argument")
)

// Config configures Tokens.
type Config struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Tokens keeps tokens in a store.
type Tokens struct {
	st  store.Store
	now func() time.Time

	// cache holds recently authenticated tokens by their secret's hash,
	// for cacheTTL: every call needs its token, and reading it from the
	// store cost as much as a small RPC. Revoke drops the token at once.
	mu    sync.Mutex
	cache map[string]cachedToken
	// revocations counts revocations, so that a token read from the store
	// before a revocation committed is not put back in the cache after it.
	revocations uint64
	// onRevoke are the functions to call when a token is revoked, by its
	// id (OnRevoke): streams its sign-in keeps open.
	onRevoke map[string]map[*func()]struct{}
}

// OnRevoke calls f once token id is revoked (after the revocation is
// committed), until stop is called. A stream that outlives its first
// authentication ends by it.
func (t *Tokens) OnRevoke(id string, f func()) (stop func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.onRevoke == nil {
		t.onRevoke = map[string]map[*func()]struct{}{}
	}
	if t.onRevoke[id] == nil {
		t.onRevoke[id] = map[*func()]struct{}{}
	}
	t.onRevoke[id][&f] = struct{}{}
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.onRevoke[id], &f)
		if len(t.onRevoke[id]) == 0 {
			delete(t.onRevoke, id)
		}
	}
}

type cachedToken struct {
	tok   Token
	until time.Time
}

// cacheTTL bounds how long an authenticated token is taken from memory.
const cacheTTL = 30 * time.Second

// NewTokens returns Tokens over st.
func NewTokens(st store.Store, cfg Config) *Tokens {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Tokens{st: st, now: now}
}

type tokenRecord struct {
	ID          string    `json:"id"`
	Role        Role      `json:"role"`
	CommunityID string    `json:"community_id,omitempty"`
	Label       string    `json:"label"`
	SignerID    string    `json:"signer_id,omitempty"`
	Created     time.Time `json:"created"`
	Revoked     time.Time `json:"revoked,omitzero"`
	Expires     time.Time `json:"expires,omitzero"`
}

// secretPrefix starts every token secret, so that leaked secrets are easy to
// recognise and scan for.
const secretPrefix = "ovt_"

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Create issues a token and returns it with its secret, which is not stored.
func (t *Tokens) Create(ctx context.Context, role Role, communityID, label string) (Token, string, error) {
	return t.CreateFor(ctx, role, communityID, label, "", time.Time{})
}

// CreateFor is Create for a token issued to one person, whose signer id
// (their staff or committee member id) is signerID: keys enrolled through it
// are theirs, under that id only ("" for none); and, unless expires is
// zero, working until expires only.
func (t *Tokens) CreateFor(ctx context.Context, role Role, communityID, label, signerID string, expires time.Time) (Token, string, error) {
	label = strings.TrimSpace(label)
	now := t.now().UTC()
	switch {
	case !expires.IsZero() && !expires.After(now.Add(time.Minute)):
		return Token{}, "", l10n.ZH(fmt.Errorf("%w: expire_time: %s is not in the future (at least a minute from now)", ErrInvalid, expires.UTC().Format(time.RFC3339)),
			"登录凭证的失效时间须至少在一分钟之后")
	case signerID != "" && signerIDProblem(signerID) != nil:
		return Token{}, "", signerIDProblem(signerID)
	case signerID != "" && role != StreetAdmin && role != CommunityStaff && role != CommitteeMember:
		return Token{}, "", l10n.ZH(fmt.Errorf("%w: signer_id: a %s token enrols no key of a person", ErrInvalid, role), "该角色的凭证不属于某个人，不填工号或委员编号")
	case !role.Valid():
		return Token{}, "", fmt.Errorf("%w: role %q is not one of %v", ErrInvalid, role, Roles())
	case label == "":
		return Token{}, "", l10n.ZH(fmt.Errorf("%w: label: say who holds the token", ErrInvalid), "请填写凭证的持有人")
	case len([]rune(label)) > 100:
		return Token{}, "", l10n.ZH(fmt.Errorf("%w: label: at most 100 characters", ErrInvalid), "持有人至多 100 字")
	case ballot.LongNumber(label) >= 0:
		// Auditors read labels (who revealed a phone).
		return Token{}, "", l10n.ZH(fmt.Errorf("%w: label: %s", ErrInvalid, ballot.LongNumberRule), "持有人一栏会出现在记录和审计中，不能含完整的电话、证件或银行卡号码")
	case communityID == "" && (role == CommunityStaff || role == CommitteeMember):
		return Token{}, "", l10n.ZH(fmt.Errorf("%w: community_id: a %s token acts in one community; name it", ErrInvalid, role), "社区工作人员和委员会成员的凭证只在一个小区使用，请指定小区")
	}
	var raw [32]byte
	rand.Read(raw[:])
	secret := secretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var idb [6]byte
	rand.Read(idb[:])
	tok := Token{ID: "tok-" + hex.EncodeToString(idb[:]), Role: role, CommunityID: communityID, Label: label, SignerID: signerID, Created: now}
	if !expires.IsZero() {
		tok.Expires = expires.UTC()
	}
	err := t.st.Update(ctx, func(tx store.Tx) error {
		if communityID != "" && tx.Get(store.Communities, []byte(communityID)) == nil {
			return l10n.ZH(fmt.Errorf("%w: community_id: no community %q", ErrInvalid, communityID), "没有这个小区："+communityID)
		}
		rec, err := json.Marshal(tokenRecord(tok))
		if err != nil {
			return err
		}
		h := hashSecret(secret)
		if err := tx.Put(store.Tokens, h, rec); err != nil {
			return err
		}
		return tx.Put(store.TokenIDs, []byte(tok.ID), h)
	})
	if err != nil {
		return Token{}, "", err
	}
	return tok, secret, nil
}

// Authenticate returns the active token whose secret this is.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, secretPrefix) || len(secret) > 100 {
		return Token{}, ErrUnauthenticated
	}
	h := hashSecret(secret)
	now := t.now()
	t.mu.Lock()
	ct, ok := t.cache[string(h)]
	t.mu.Unlock()
	if ok && now.Before(ct.until) {
		return ct.tok, nil
	}
	t.mu.Lock()
	gen := t.revocations
	t.mu.Unlock()
	var tok Token
	err := t.st.View(ctx, func(tx store.Tx) error {
		raw := tx.Get(store.Tokens, h)
		if raw == nil {
			return ErrUnauthenticated
		}
		var r tokenRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("auth: corrupt token record: %w", err)
		}
		tok = Token(r)
		return nil
	})
	if err != nil {
		return Token{}, err
	}
	if !tok.Active() {
		return Token{}, fmt.Errorf("%w: token %s was revoked", ErrUnauthenticated, tok.ID)
	}
	if !tok.Expires.IsZero() && !now.Before(tok.Expires) {
		return Token{}, fmt.Errorf("%w: token %s expired %s", ErrUnauthenticated, tok.ID, tok.Expires.Format(time.RFC3339))
	}
	until := now.Add(cacheTTL)
	if !tok.Expires.IsZero() && tok.Expires.Before(until) {
		until = tok.Expires // taken from memory no longer than it works
	}
	t.mu.Lock()
	if t.cache == nil || len(t.cache) > 10000 {
		t.cache = make(map[string]cachedToken)
	}
	if t.revocations == gen {
		t.cache[string(h)] = cachedToken{tok: tok, until: until}
	}
	t.mu.Unlock()
	return tok, nil
}

// List returns every token, oldest first.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	var out []Token
	err := t.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(store.Tokens, nil, nil, func(_, v []byte) (bool, error) {
			var r tokenRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return false, fmt.Errorf("auth: corrupt token record: %w", err)
			}
			out = append(out, Token(r))
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b Token) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// Revoke revokes a token at once. Revoking a revoked token changes nothing.
func (t *Tokens) Revoke(ctx context.Context, id string) (Token, error) {
	var tok Token
	var revokedHash []byte
	err := t.st.Update(ctx, func(tx store.Tx) error {
		h := tx.Get(store.TokenIDs, []byte(id))
		if h == nil {
			return fmt.Errorf("%w: %q", ErrTokenNotFound, id)
		}
		h = slices.Clone(h)
		var r tokenRecord
		if err := json.Unmarshal(tx.Get(store.Tokens, h), &r); err != nil {
			return fmt.Errorf("auth: corrupt token record: %w", err)
		}
		if r.Revoked.IsZero() {
			r.Revoked = t.now().UTC()
		}
		revokedHash = h
		tok = Token(r)
		rec, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return tx.Put(store.Tokens, h, rec)
	})
	if err == nil {
		// After the commit: from now on every read sees the revocation, and
		// a read from before it is not cached (see revocations).
		t.mu.Lock()
		t.revocations++
		delete(t.cache, string(revokedHash))
		var calls []func()
		for f := range t.onRevoke[id] {
			calls = append(calls, *f)
		}
		t.mu.Unlock()
		for _, f := range calls {
			f()
		}
	}
	return tok, err
}

// signerIDProblem is what is wrong with a signer id (ballot.SignerIDProblem),
// or nil.
func signerIDProblem(id string) error {
	if en, zh := ballot.SignerIDProblem(id); en != "" {
		return l10n.ZH(fmt.Errorf("%w: signer_id: %s", ErrInvalid, en), zh)
	}
	return nil
}
