package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/l10n"
)

type tokenService struct {
	ov.UnsafeTokenServiceServer
	tokens *auth.Tokens
	log    *slog.Logger
}

func (s *tokenService) err(ctx context.Context, err error) error { return toStatus(ctx, s.log, err) }

var roles = map[ov.Role]auth.Role{
	ov.Role_ROLE_STREET_ADMIN:     auth.StreetAdmin,
	ov.Role_ROLE_COMMUNITY_STAFF:  auth.CommunityStaff,
	ov.Role_ROLE_COMMITTEE_MEMBER: auth.CommitteeMember,
	ov.Role_ROLE_PLATFORM:         auth.Platform,
	ov.Role_ROLE_AUDITOR:          auth.Auditor,
}

func roleProto(r auth.Role) ov.Role {
	for pr, ar := range roles {
		if ar == r {
			return pr
		}
	}
	return ov.Role_ROLE_UNSPECIFIED
}

func tokenProto(t auth.Token) *ov.Token {
	pt := &ov.Token{TokenId: t.ID, Role: roleProto(t.Role), CommunityId: t.CommunityID, Label: t.Label, SignerId: t.SignerID, CreateTime: timestamppb.New(t.Created)}
	if !t.Active() {
		pt.RevokeTime = timestamppb.New(t.Revoked)
	}
	if !t.Expires.IsZero() {
		pt.ExpireTime = timestamppb.New(t.Expires)
	}
	return pt
}

func (s *tokenService) CreateToken(ctx context.Context, req *ov.CreateTokenRequest) (*ov.CreateTokenResponse, error) {
	role, ok := roles[req.GetRole()]
	if !ok {
		return nil, s.err(ctx, l10n.ZH(fmt.Errorf("%w: role is required: one of ROLE_STREET_ADMIN, ROLE_COMMUNITY_STAFF, ROLE_COMMITTEE_MEMBER, ROLE_PLATFORM, ROLE_AUDITOR", auth.ErrInvalid), "请选择凭证的角色"))
	}
	var expires time.Time
	if req.GetExpireTime() != nil {
		if err := req.GetExpireTime().CheckValid(); err != nil {
			return nil, s.err(ctx, fmt.Errorf("%w: expire_time: %v", auth.ErrInvalid, err))
		}
		expires = req.GetExpireTime().AsTime()
	}
	// A token that expires issues none that outlives it.
	if by := tokenFrom(ctx); !by.Expires.IsZero() && (expires.IsZero() || expires.After(by.Expires)) {
		return nil, s.err(ctx, l10n.ZH(fmt.Errorf("%w: expire_time: this sign-in expires %s and issues tokens that expire no later", auth.ErrInvalid, by.Expires.Format(time.RFC3339)),
			"当前登录凭证将于 "+audit.FormatChinaTime(by.Expires)+" 失效，签发的凭证须在此之前失效"))
	}
	t, secret, err := s.tokens.CreateFor(ctx, role, req.GetCommunityId(), req.GetLabel(), req.GetSignerId(), expires)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "token created", "token", t.ID, "role", t.Role, "community", t.CommunityID, "by", tokenFrom(ctx).ID)
	return &ov.CreateTokenResponse{Token: tokenProto(t), Secret: secret}, nil
}

func (s *tokenService) ListTokens(ctx context.Context, _ *ov.ListTokensRequest) (*ov.ListTokensResponse, error) {
	ts, err := s.tokens.List(ctx)
	if err != nil {
		return nil, s.err(ctx, err)
	}
	resp := &ov.ListTokensResponse{}
	for _, t := range ts {
		resp.Tokens = append(resp.Tokens, tokenProto(t))
	}
	return resp, nil
}

func (s *tokenService) RevokeToken(ctx context.Context, req *ov.RevokeTokenRequest) (*ov.Token, error) {
	t, err := s.tokens.Revoke(ctx, req.GetTokenId())
	if err != nil {
		return nil, s.err(ctx, err)
	}
	s.log.InfoContext(ctx, "token revoked", "token", t.ID, "by", tokenFrom(ctx).ID)
	return tokenProto(t), nil
}

func (s *tokenService) WhoAmI(ctx context.Context, _ *ov.WhoAmIRequest) (*ov.Token, error) {
	return tokenProto(tokenFrom(ctx)), nil
}
