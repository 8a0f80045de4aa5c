package assembly

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ownervote/ownervote/audit"
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
// admin with RegisterSigner.
func (r *Registry) EnrolSigner(ctx context.Context, s Signer, by string) (Signer, error) {
	if s.Kind != StaffSigner && s.Kind != CommitteeSigner {
		return Signer{}, fmt.Errorf("%w: kind: %q: enrol a STAFF or COMMITTEE key", ErrInvalid, s.Kind)
	}
	s.Pending, s.Approved, s.ApprovedBy = true, time.Time{}, ""
	return r.RegisterSigner(ctx, s, by)
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
