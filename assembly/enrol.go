package assembly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/l10n"
	"github.com/ownervote/ownervote/store"
)

// ErrSignerNotPending means that a signer to approve is not waiting for
// approval: it is active already, or revoked.
var ErrSignerNotPending = errors.New("assembly: signer is not waiting for approval")

// EnrolSigner records a staff member's or committee member's own public
// key, submitted by its holder (the web console makes the key in the
// browser and never sends the private key). The signer is stored pending:
// it cannot sign until a street admin approves it with ApproveSigner. The
// kind must be STAFF or COMMITTEE; the platform's key is registered by an
// admin with RegisterSigner. by is the token it comes through and boundTo
// the signer id that token was issued to (auth.Token.SignerID), if any: the
// key is then enrolled under that id only. s.HolderEnrolled, set by the
// caller where the token's role is the key's own (a committee member's for
// a COMMITTEE key), is kept only for such a token.
func (r *Registry) EnrolSigner(ctx context.Context, s Signer, by, boundTo string) (Signer, error) {
	switch {
	case s.Kind != StaffSigner && s.Kind != CommitteeSigner:
		return Signer{}, fmt.Errorf("%w: kind: %q: enrol a STAFF or COMMITTEE key", ErrInvalid, s.Kind)
	case boundTo != "" && strings.TrimSpace(s.ID) != boundTo:
		return Signer{}, l10n.ZH(fmt.Errorf("%w: signer_id: %q: this sign-in was issued to %s, and enrols keys under that id only", ErrInvalid, s.ID, boundTo),
			"此登录凭证签发给 "+boundTo+"，只能以该编号登记密钥")
	}
	s.Pending, s.Approved, s.ApprovedBy = true, time.Time{}, ""
	// Marked its holder's only where the server says so (the sign-in's
	// role fits the key) and the sign-in is issued to this id.
	s.HolderEnrolled = s.HolderEnrolled && boundTo != ""
	// A signer id whose holder enrolled a key that is not revoked belongs
	// to that holder's sign-in: another sign-in cannot enrol a key under
	// it (a staff member under a colleague's id, to sign as them once an
	// admin approves it by mistake).
	return r.register(ctx, s, by, func(tx store.Tx, s Signer) error {
		var held []string
		err := tx.Scan(store.Signers, nil, nil, func(_, v []byte) (bool, error) {
			var q Signer
			if err := json.Unmarshal(v, &q); err != nil {
				return false, err
			}
			if q.ID == s.ID && q.Revoked.IsZero() && (q.Pending || !q.Approved.IsZero()) && q.RegisteredBy != by {
				held = append(held, q.KeyID)
			}
			return true, nil
		})
		if err == nil && len(held) > 0 {
			err = l10n.ZH(fmt.Errorf("%w: signer_id: %q has key(s) %s enrolled through another sign-in (pending or active); a street admin revokes them first", ErrInvalid, s.ID, strings.Join(held, ", ")),
				"编号 "+s.ID+" 已有通过其他登录凭证登记的密钥（"+strings.Join(held, "、")+"，待审批或已生效）：请街道管理员先注销")
		}
		return err
	})
}

// ApproveSigner activates a pending signer.
func (r *Registry) ApproveSigner(ctx context.Context, keyID, by string) (Signer, error) {
	var s Signer
	err := r.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if s, err = getSigner(tx, keyID); err != nil {
			return err
		}
		switch {
		case !s.Revoked.IsZero():
			return fmt.Errorf("%w: %s was revoked %s", ErrSignerNotPending, keyID, audit.FormatChinaTime(s.Revoked))
		case !s.Pending:
			return fmt.Errorf("%w: %s is active already", ErrSignerNotPending, keyID)
		}
		s.Pending, s.Approved, s.ApprovedBy = false, r.now().UTC(), by
		return store.PutJSON(tx, store.Signers, []byte(keyID), s)
	})
	return s, err
}
