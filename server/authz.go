package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// scope says how a method's community is checked against the token's.
type scope int

const (
	// scopeAll: the token must act in all communities.
	scopeAll scope = iota
	// scopeRequest: the request's community_id must be in the token's scope.
	scopeRequest
	// scopeFiltered: any token of the roles; the handler shows only what is
	// in the token's scope.
	scopeFiltered
)

// access is who may call a method.
type access struct {
	roles []auth.Role
	scope scope
}

var (
	everyone  = auth.Roles()
	adminOnly = []auth.Role{auth.StreetAdmin}
	staff     = []auth.Role{auth.StreetAdmin, auth.CommunityStaff}
	keepers   = []auth.Role{auth.StreetAdmin, auth.CommunityStaff, auth.Platform}
	overseers = []auth.Role{auth.StreetAdmin, auth.CommunityStaff, auth.CommitteeMember, auth.Auditor}
	// objectors record an objection (询异) an owner raises with the office
	// or the committee; an auditor only reads.
	objectors  = []auth.Role{auth.StreetAdmin, auth.CommunityStaff, auth.CommitteeMember}
	certifiers = []auth.Role{auth.StreetAdmin, auth.CommitteeMember}
)

// policy is the one table of which roles may call which RPC. A method
// missing here is refused to everyone.
var policy = map[string]access{
	ov.RollService_CreateCommunity_FullMethodName:       {adminOnly, scopeAll},
	ov.RollService_GetCommunity_FullMethodName:          {everyone, scopeRequest},
	ov.RollService_ListCommunities_FullMethodName:       {everyone, scopeFiltered},
	ov.RollService_ImportUnits_FullMethodName:           {staff, scopeRequest},
	ov.RollService_ImportRosterFile_FullMethodName:      {staff, scopeRequest},
	ov.RollService_ListUnits_FullMethodName:             {everyone, scopeRequest},
	ov.RollService_CorrectUnitAreas_FullMethodName:      {staff, scopeRequest},
	ov.RollService_WithdrawUnit_FullMethodName:          {staff, scopeRequest},
	ov.RollService_TransferUnit_FullMethodName:          {staff, scopeRequest},
	ov.RollService_SetUnitRepresentative_FullMethodName: {staff, scopeRequest},
	ov.RollService_CorrectOwner_FullMethodName:          {staff, scopeRequest},
	// Changes of the roll that counts are for whoever oversees it or
	// certifies a result to read.
	ov.RollService_ListRollChanges_FullMethodName:  {overseers, scopeRequest},
	ov.RollService_GetRollFigures_FullMethodName:   {everyone, scopeRequest},
	ov.RollService_ListOwners_FullMethodName:       {everyone, scopeRequest},
	ov.RollService_FindOwner_FullMethodName:        {keepers, scopeRequest},
	ov.RollService_RevealOwnerPhone_FullMethodName: {staff, scopeRequest},
	// Who looked at whose number is for those who oversee the staff.
	ov.RollService_ListPhoneReveals_FullMethodName:    {[]auth.Role{auth.StreetAdmin, auth.Auditor}, scopeRequest},
	ov.RollService_ListIdentityMatches_FullMethodName: {[]auth.Role{auth.StreetAdmin, auth.Auditor}, scopeRequest},
	ov.RollService_RegisterOwnerKey_FullMethodName:    {keepers, scopeRequest},
	ov.RollService_RotateOwnerKey_FullMethodName:      {keepers, scopeRequest},
	ov.RollService_RevokeOwnerKey_FullMethodName:      {keepers, scopeRequest},
	ov.RollService_ListOwnerKeys_FullMethodName:       {everyone, scopeRequest},

	ov.AssemblyService_CreateAssembly_FullMethodName:   {staff, scopeRequest},
	ov.AssemblyService_GetAssembly_FullMethodName:      {everyone, scopeRequest},
	ov.AssemblyService_ListAssemblies_FullMethodName:   {everyone, scopeRequest},
	ov.AssemblyService_PublishAssembly_FullMethodName:  {staff, scopeRequest},
	ov.AssemblyService_CancelAssembly_FullMethodName:   {staff, scopeRequest},
	ov.AssemblyService_CloseAssembly_FullMethodName:    {adminOnly, scopeRequest},
	ov.AssemblyService_SubmitBallot_FullMethodName:     {keepers, scopeRequest},
	ov.AssemblyService_ConfirmBallot_FullMethodName:    {staff, scopeRequest},
	ov.AssemblyService_RejectBallot_FullMethodName:     {staff, scopeRequest},
	ov.AssemblyService_GetBallotReceipt_FullMethodName: {everyone, scopeRequest},
	ov.AssemblyService_ListBallots_FullMethodName:      {overseers, scopeRequest},
	ov.AssemblyService_RecordProxy_FullMethodName:      {staff, scopeRequest},
	ov.AssemblyService_WithdrawProxy_FullMethodName:    {staff, scopeRequest},
	ov.AssemblyService_ListProxies_FullMethodName:      {staff, scopeRequest},
	ov.AssemblyService_AmendRoll_FullMethodName:        {staff, scopeRequest},
	ov.AssemblyService_GetProgress_FullMethodName:      {everyone, scopeRequest},
	ov.AssemblyService_WatchProgress_FullMethodName:    {everyone, scopeRequest},
	ov.AssemblyService_ListNonVoters_FullMethodName:    {staff, scopeRequest},
	ov.AssemblyService_GetResult_FullMethodName:        {everyone, scopeRequest},

	ov.AssemblyService_GetCheckpoint_FullMethodName:       {everyone, scopeRequest},
	ov.AssemblyService_GetInclusionProof_FullMethodName:   {everyone, scopeRequest},
	ov.AssemblyService_GetConsistencyProof_FullMethodName: {everyone, scopeRequest},
	ov.AssemblyService_ListLogEntries_FullMethodName:      {overseers, scopeRequest},
	ov.AssemblyService_RecordObjection_FullMethodName:     {objectors, scopeRequest},
	ov.AssemblyService_RespondObjection_FullMethodName:    {staff, scopeRequest},
	ov.AssemblyService_CertifyResult_FullMethodName:       {certifiers, scopeRequest},
	ov.AssemblyService_ReplaceCommitteeKey_FullMethodName: {certifiers, scopeRequest},
	ov.AssemblyService_ExportAssembly_FullMethodName:      {overseers, scopeRequest},
	ov.AssemblyService_RecordCallAttempt_FullMethodName:   {staff, scopeRequest},
	ov.AssemblyService_ListCallAttempts_FullMethodName:    {staff, scopeRequest},

	ov.SignerService_RegisterSigner_FullMethodName: {adminOnly, scopeAll},
	ov.SignerService_ListSigners_FullMethodName:    {everyone, scopeFiltered},
	ov.SignerService_RevokeSigner_FullMethodName:   {adminOnly, scopeAll},
	ov.SignerService_GetServerKeys_FullMethodName:  {everyone, scopeFiltered},
	// Staff and committee members enrol their own keys (server/enrol.go);
	// a street admin approves them.
	ov.SignerService_EnrolSigner_FullMethodName:   {[]auth.Role{auth.StreetAdmin, auth.CommunityStaff, auth.CommitteeMember}, scopeRequest},
	ov.SignerService_ApproveSigner_FullMethodName: {adminOnly, scopeAll},

	ov.TokenService_CreateToken_FullMethodName: {adminOnly, scopeAll},
	ov.TokenService_ListTokens_FullMethodName:  {adminOnly, scopeAll},
	ov.TokenService_RevokeToken_FullMethodName: {adminOnly, scopeAll},
	ov.TokenService_WhoAmI_FullMethodName:      {everyone, scopeFiltered},

	// Not a gRPC method: the online backup (server/backup.go) checks its
	// callers against this row.
	backupRule: {adminOnly, scopeAll},
}

// public methods need no token: health checks and reflection.
func public(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(method, "/grpc.reflection.")
}

type tokenKey struct{}

// tokenFrom returns the caller's token; handlers run only after authorize
// put it there.
func tokenFrom(ctx context.Context) auth.Token {
	t, _ := ctx.Value(tokenKey{}).(auth.Token)
	return t
}

// communityScoped is every request that names a community.
type communityScoped interface {
	GetCommunityId() string
}

type authorizer struct {
	tokens *auth.Tokens
	log    *slog.Logger
}

// authenticate finds the caller's token and checks its role for method.
func (a *authorizer) authenticate(ctx context.Context, method string) (context.Context, access, error) {
	acc, ok := policy[method]
	if !ok {
		return nil, acc, fmt.Errorf("%w: %s is not open to any role", auth.ErrPermissionDenied, method)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	tok, err := a.bearer(ctx, md.Get("authorization"))
	if err != nil {
		return nil, acc, a.refused(ctx, method, tok, err)
	}
	if !slices.Contains(acc.roles, tok.Role) {
		return nil, acc, a.refused(ctx, method, tok, fmt.Errorf("%w: role %s may not call %s", auth.ErrPermissionDenied, tok.Role, shortMethod(method)))
	}
	if acc.scope == scopeAll && tok.CommunityID != "" {
		return nil, acc, a.refused(ctx, method, tok, fmt.Errorf("%w: %s needs a token for all communities; this one acts in %s", auth.ErrPermissionDenied, shortMethod(method), tok.CommunityID))
	}
	return context.WithValue(ctx, tokenKey{}, tok), acc, nil
}

// refused logs a call the authorizer refuses — who (the token, when the
// secret named one), from where, and why — so that a sign-in probing
// what it may not do, or a stolen or revoked secret in use, can be traced;
// and returns err.
func (a *authorizer) refused(ctx context.Context, method string, tok auth.Token, err error) error {
	logRefused(ctx, a.log, shortMethod(method), tok.ID, callerAddr(ctx), err)
	return err
}

// logRefused is the one form of a refusal's log line.
func logRefused(ctx context.Context, log *slog.Logger, method, tokenID, from string, err error) {
	log.InfoContext(ctx, "call refused", "method", method, "token", tokenID, "from", from, "why", err.Error())
}

// callerAddr is where a call comes from: the gRPC peer's address, or for a
// JSON call (run in process) the HTTP client's, which the gateway passes
// as x-forwarded-for.
func callerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil && p.Addr.Network() != "pipe" {
		return p.Addr.String()
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return strings.Join(md.Get("x-forwarded-for"), ",")
}

// bearer is the active token whose secret the authorization header (its
// values) carries.
func (a *authorizer) bearer(ctx context.Context, vals []string) (auth.Token, error) {
	if len(vals) != 1 {
		return auth.Token{}, fmt.Errorf("%w: send the header \"authorization: Bearer <token>\"", auth.ErrUnauthenticated)
	}
	// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" too.
	scheme, secret, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return auth.Token{}, fmt.Errorf("%w: the authorization header must read \"Bearer <token>\"", auth.ErrUnauthenticated)
	}
	return a.tokens.Authenticate(ctx, strings.TrimSpace(secret))
}

// bodyGate answers a JSON request that comes with a body but without an
// active token (every /v1/ call needs one) with 401 before its body is
// read: limitBody reads bodies whole, up to MaxRequestBytes, and would
// otherwise hold that much memory for anyone who opens a connection.
func (a *authorizer) bodyGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && strings.HasPrefix(r.URL.Path, "/v1/") {
			if _, err := a.bearer(r.Context(), r.Header.Values("Authorization")); err != nil {
				logRefused(r.Context(), a.log, r.Method+" "+r.URL.Path, "", r.RemoteAddr, err)
				writeHTTPError(w, r, http.StatusUnauthorized, toStatus(r.Context(), a.log, err))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkScope checks a request's community against the token's scope.
func checkScope(tok auth.Token, acc access, req any) error {
	if acc.scope != scopeRequest {
		return nil
	}
	cs, ok := req.(communityScoped)
	if !ok {
		return fmt.Errorf("%w: request names no community", auth.ErrPermissionDenied)
	}
	if !tok.InScope(cs.GetCommunityId()) {
		return fmt.Errorf("%w: this token acts in community %s only", auth.ErrPermissionDenied, tok.CommunityID)
	}
	return nil
}

func shortMethod(m string) string { return m[strings.LastIndex(m, "/")+1:] }

func (a *authorizer) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if public(info.FullMethod) {
		return handler(ctx, req)
	}
	ctx, acc, err := a.authenticate(ctx, info.FullMethod)
	if err != nil {
		return nil, toStatus(ctx, a.log, err)
	}
	if err := checkScope(tokenFrom(ctx), acc, req); err != nil {
		return nil, toStatus(ctx, a.log, a.refused(ctx, info.FullMethod, tokenFrom(ctx), err))
	}
	return handler(ctx, req)
}

func (a *authorizer) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if public(info.FullMethod) {
		return handler(srv, ss)
	}
	ctx, acc, err := a.authenticate(ss.Context(), info.FullMethod)
	if err != nil {
		return toStatus(ss.Context(), a.log, err)
	}
	// A stream lasts as long as its sign-in: revoking the token ends it.
	tok := tokenFrom(ctx)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	revoked := fmt.Errorf("%w: token %s was revoked", auth.ErrUnauthenticated, tok.ID)
	stop := a.tokens.OnRevoke(tok.ID, func() { cancel(revoked) })
	defer stop()
	// And as long as the token works: one that expires ends it then.
	expired := fmt.Errorf("%w: token %s expired %s", auth.ErrUnauthenticated, tok.ID, tok.Expires.Format(time.RFC3339))
	if !tok.Expires.IsZero() {
		timer := time.AfterFunc(time.Until(tok.Expires), func() { cancel(expired) })
		defer timer.Stop()
	}
	// Revoked between its authentication and now: not seen above.
	md, _ := metadata.FromIncomingContext(ctx)
	if _, err := a.bearer(ctx, md.Get("authorization")); err != nil {
		return toStatus(ss.Context(), a.log, a.refused(ctx, info.FullMethod, tok, err))
	}
	err = handler(srv, &scopedStream{ServerStream: ss, ctx: ctx, acc: acc, log: a.log, method: shortMethod(info.FullMethod)})
	if cause := context.Cause(ctx); errors.Is(cause, revoked) || errors.Is(cause, expired) {
		return toStatus(ss.Context(), a.log, cause)
	}
	return err
}

// scopedStream checks each received message's community.
type scopedStream struct {
	grpc.ServerStream
	ctx    context.Context
	acc    access
	log    *slog.Logger
	method string // for the log
}

func (s *scopedStream) Context() context.Context { return s.ctx }

func (s *scopedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := checkScope(tokenFrom(s.ctx), s.acc, m); err != nil {
		logRefused(s.ctx, s.log, s.method, tokenFrom(s.ctx).ID, callerAddr(s.ctx), err)
		return toStatus(s.ctx, s.log, err)
	}
	return nil
}
