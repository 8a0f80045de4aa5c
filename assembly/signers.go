package assembly

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
)

// SignerKind is what a registered signing key may sign.
type SignerKind string

// The kinds of signer. Owners' own keys live in the roll.
const (
	// PlatformSigner: the city smart-property platform, for PLATFORM ballots.
	PlatformSigner SignerKind = "PLATFORM"
	// StaffSigner: a street or community staff member, for PHONE, VISIT and
	// PAPER ballots.
	StaffSigner SignerKind = "STAFF"
	// CommitteeSigner: a committee member, for certifying results.
	CommitteeSigner SignerKind = "COMMITTEE"
)

// Signer is a registered signing key of a person or system other than an
// owner.
type Signer struct {
	KeyID string     `json:"key_id"`
	Kind  SignerKind `json:"kind"`
	// ID is the signer's own identifier: the staff id written in
	// attestations, the platform's name, a committee member's id.
	ID   string `json:"id"`
	Name string `json:"name"`
	// CommunityID is the one community the signer acts in; "" for all.
	CommunityID  string    `json:"community_id,omitempty"`
	PublicKey    []byte    `json:"public_key"`
	Created      time.Time `json:"created"`
	RegisteredBy string    `json:"registered_by"`
	Revoked      time.Time `json:"revoked,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	// Pending is true for a key its holder enrolled (EnrolSigner) until a
	// street admin approves it (ApproveSigner); a pending key cannot sign.
	Pending    bool      `json:"pending,omitempty"`
	Approved   time.Time `json:"approved,omitzero"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	// HolderEnrolled is true for a key enrolled through a token issued to
	// this signer id (auth.Token.SignerID): its holder's own, as far as the
	// street office checked who it issued the token to.
	HolderEnrolled bool `json:"holder_enrolled,omitempty"`
}

// Active reports whether the signer may sign: approved and not revoked.
func (s Signer) Active() bool { return s.Revoked.IsZero() && !s.Pending }

// Counts reports whether a certification signature made with the key counts
// toward k: while the key is active, and, once the result is certified (at
// certified), if the key was not revoked before. A key revoked (lost,
// compromised) before certification no longer counts.
func (s Signer) Counts(certified time.Time) bool {
	return s.Active() || (!certified.IsZero() && s.Revoked.After(certified))
}

// UsableBy reports whether the key may be used through the token by. A key
// its holder enrolled (EnrolSigner, then approved) is theirs: it signs only
// through the sign-in that enrolled it, so that on a computer several
// people share nobody signs with another's key. A key an admin registered
// (RegisterSigner, for a key kept elsewhere) signs through whoever relays
// its signatures.
func (s Signer) UsableBy(by string) bool { return s.Approved.IsZero() || s.RegisteredBy == by }

// InScope reports whether the signer may act in a community.
func (s Signer) InScope(community string) bool {
	return s.CommunityID == "" || s.CommunityID == community
}

// RegisterSigner records a signing key. A key can be registered once, ever.
// A signer with Pending set is stored pending (see EnrolSigner).
func (r *Registry) RegisterSigner(ctx context.Context, s Signer, by string) (Signer, error) {
	s.HolderEnrolled = false
	return r.register(ctx, s, by, nil)
}

// register records s, once check (when not nil) has passed in the same
// transaction.
func (r *Registry) register(ctx context.Context, s Signer, by string, check func(store.Tx, Signer) error) (Signer, error) {
	s.ID = strings.TrimSpace(s.ID)
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Kind != PlatformSigner && s.Kind != StaffSigner && s.Kind != CommitteeSigner:
		return Signer{}, fmt.Errorf("%w: kind: %q is not PLATFORM, STAFF or COMMITTEE", ErrInvalid, s.Kind)
	case signerIDProblem(s.ID) != nil:
		return Signer{}, signerIDProblem(s.ID)
	case s.Name == "" || len([]rune(s.Name)) > 100:
		return Signer{}, l10n.ZH(fmt.Errorf("%w: name: 1 to 100 characters", ErrInvalid), "请填写姓名（1至100字）")
	case ballot.LongNumber(s.Name) >= 0:
		// Published: a committee member's in the agenda and on notices.
		return Signer{}, l10n.ZH(fmt.Errorf("%w: name (published with the key): %s", ErrInvalid, ballot.LongNumberRule), "姓名会随密钥公开，"+ballot.LongNumberRuleZH)
	case len(s.PublicKey) != ed25519.PublicKeySize:
		return Signer{}, fmt.Errorf("%w: public_key: an ed25519 public key is %d bytes, got %d", ErrInvalid, ed25519.PublicKeySize, len(s.PublicKey))
	case s.Kind == CommitteeSigner && s.CommunityID == "":
		return Signer{}, l10n.ZH(fmt.Errorf("%w: community_id: a committee member belongs to one community", ErrInvalid), "业委会委员的密钥须属于一个小区")
	}
	s.KeyID = ballot.KeyID(s.PublicKey)
	s.Created = r.now().UTC()
	s.RegisteredBy = by
	s.Revoked, s.RevokeReason = time.Time{}, ""
	err := r.st.Update(ctx, func(tx store.Tx) error {
		if s.CommunityID != "" && tx.Get(store.Communities, []byte(s.CommunityID)) == nil {
			return l10n.ZH(fmt.Errorf("%w: community_id: no community %q", ErrInvalid, s.CommunityID), "没有这个小区："+s.CommunityID)
		}
		if tx.Get(store.Signers, []byte(s.KeyID)) != nil {
			return fmt.Errorf("%w: %s", ErrSignerExists, s.KeyID)
		}
		if tx.Get(store.KeyIndex, keyHash(s.PublicKey)) != nil {
			return fmt.Errorf("%w: %s is an owner's key", ErrSignerExists, s.KeyID)
		}
		if check != nil {
			if err := check(tx, s); err != nil {
				return err
			}
		}
		return store.PutJSON(tx, store.Signers, []byte(s.KeyID), s)
	})
	return s, err
}

// RevokeSigner revokes a signing key; it stays on record.
func (r *Registry) RevokeSigner(ctx context.Context, keyID, reason string) (Signer, error) {
	reason = strings.TrimSpace(reason)
	if en, zh := ballot.ReasonProblem(reason, "注销密钥的理由"); en != "" {
		return Signer{}, l10n.ZH(fmt.Errorf("%w: reason (why the key is revoked; every role reads it): %s", ErrInvalid, en), zh)
	}
	var s Signer
	err := r.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if s, err = getSigner(tx, keyID); err != nil {
			return err
		}
		if s.Revoked.IsZero() {
			s.Revoked, s.RevokeReason = r.now().UTC(), reason
			if err := r.LogKeyRevoked(tx, keyID); err != nil {
				return err
			}
		}
		return store.PutJSON(tx, store.Signers, []byte(keyID), s)
	})
	return s, err
}

// Signers lists the signers visible in a community scope ("" for all), by
// kind and id.
func (r *Registry) Signers(ctx context.Context, visible func(community string) bool) ([]Signer, error) {
	var out []Signer
	err := r.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(store.Signers, nil, nil, func(_, v []byte) (bool, error) {
			var s Signer
			if err := json.Unmarshal(v, &s); err != nil {
				return false, fmt.Errorf("assembly: corrupt signer: %w", err)
			}
			if visible(s.CommunityID) {
				out = append(out, s)
			}
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b Signer) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// Signer returns one signer by key id.
func (r *Registry) Signer(ctx context.Context, keyID string) (Signer, error) {
	var s Signer
	err := r.st.View(ctx, func(tx store.Tx) (err error) {
		s, err = getSigner(tx, keyID)
		return err
	})
	return s, err
}

func getSigner(tx store.Tx, keyID string) (Signer, error) {
	var s Signer
	ok, err := store.GetJSON(tx, store.Signers, []byte(keyID), &s)
	if err != nil {
		return s, err
	}
	if !ok {
		return s, fmt.Errorf("%w: %q", ErrSignerNotFound, keyID)
	}
	return s, nil
}

// LogKeyRevoked logs that the key keyID is revoked now, in the same
// transaction, in every assembly still taking ballots whose log names the
// key (a KEY entry; key ids are global), so that the
// offline verifier refuses anything it signs later there. An assembly whose
// log does not name the key learns of it when it signs (its KEY entry),
// which the server then refuses.
func (r *Registry) LogKeyRevoked(tx store.Tx, keyID string) error {
	at := r.now().UTC()
	var ids []string
	err := tx.Scan(store.Assemblies, nil, nil, func(k, v []byte) (bool, error) {
		if tx.Get(store.LogKeys, store.Key(string(k), keyID)) == nil {
			return true, nil // the key never signed there
		}
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return false, fmt.Errorf("assembly: corrupt assembly %s: %w", k, err)
		}
		if s := rec.StateAt(at); s == Published || s == Open {
			ids = append(ids, rec.ID)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		// Dated no earlier than the log's last entry, however far the clock
		// is behind it: a revocation (a key lost, misused) is not held up by
		// a wrong clock, and a later date only narrows what the key may
		// still have signed.
		when := at
		if last, err := lastLogged(tx, id); err != nil {
			return err
		} else if last.After(when) {
			when = last
		}
		lw, err := r.logWriterAt(tx, id, when)
		if err != nil {
			return err
		}
		if _, err := lw.add(audit.Entry{Kind: audit.KindKeyRevoked, KeyRevoked: &audit.KeyRevokedEntry{KeyID: keyID}}); err != nil {
			return err
		}
		if err := lw.finish(); err != nil {
			return err
		}
	}
	return nil
}

// signerIDProblem is what is wrong with a signer id (ballot.SignerIDProblem:
// a staff id is written in the attestations of the public log), or nil.
func signerIDProblem(id string) error {
	if en, zh := ballot.SignerIDProblem(id); en != "" {
		return l10n.ZH(fmt.Errorf("%w: signer_id: %s", ErrInvalid, en), zh)
	}
	return nil
}
