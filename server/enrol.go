package server

import (
	"context"
	"fmt"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// Enrolment of staff and committee keys made in the web console: the
// holder submits the public key (EnrolSigner), a street admin approves it
// (ApproveSigner). The server never sees a private key.

// enrolKinds says which kind of key each role may enrol for itself.
var enrolKinds = map[auth.Role][]assembly.SignerKind{
	auth.StreetAdmin:     {assembly.StaffSigner, assembly.CommitteeSigner},
	auth.CommunityStaff:  {assembly.StaffSigner},
	auth.CommitteeMember: {assembly.CommitteeSigner},
}

func (s *signerService) EnrolSigner(ctx context.Context, req *ov.EnrolSignerRequest) (*ov.Signer, error) {
	tok := tokenFrom(ctx)
	kind := assembly.SignerKind(req.GetKind())
	if kind != assembly.StaffSigner && kind != assembly.CommitteeSigner {
		return nil, s.err(ctx, fmt.Errorf("%w: kind: %q: enrol a STAFF or COMMITTEE key", assembly.ErrInvalid, kind))
	}
	allowed := false
	for _, k := range enrolKinds[tok.Role] {
		allowed = allowed || k == kind
	}
	if !allowed {
		return nil, s.err(ctx, fmt.Errorf("%w: role %s may not enrol a %q key", auth.ErrPermissionDenied, tok.Role, kind))
	}
	// A key is its holder's when enrolled through a sign-in issued to them
	// in the role the key is for: a committee member's for a COMMITTEE key,
	// not a street admin's who happens to enrol one.
	holder := kind == assembly.StaffSigner || tok.Role == auth.CommitteeMember
	// A sign-in issued to one person enrols under their id, given or not.
	id := req.GetSignerId()
	if id == "" {
		id = tok.SignerID
	}
	sg, err := s.reg.EnrolSigner(ctx, assembly.Signer{Kind: kind, ID: id, Name: req.GetName(),
		CommunityID: req.GetCommunityId(), PublicKey: req.GetPublicKey(), HolderEnrolled: holder}, tok.ID, tok.SignerID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "signer enrolled, pending approval", "key", sg.KeyID, "kind", sg.Kind, "community", sg.CommunityID, "token", tok.ID)
	return signerProto(sg), nil
}

func (s *signerService) ApproveSigner(ctx context.Context, req *ov.ApproveSignerRequest) (*ov.Signer, error) {
	sg, err := s.reg.ApproveSigner(ctx, req.GetKeyId(), tokenFrom(ctx).ID)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "signer approved", "key", sg.KeyID, "kind", sg.Kind, "community", sg.CommunityID, "token", tokenFrom(ctx).ID)
	return signerProto(sg), nil
}
