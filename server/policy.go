package server

import (
	"slices"
	"strings"

	"github.com/ownervote/ownervote/auth"
)

// Scope says how a rule checks the community a caller acts in.
type Scope string

// The scopes of the policy table.
const (
	// ScopeAll: only tokens for all communities.
	ScopeAll Scope = "ALL_COMMUNITIES"
	// ScopeRequest: the request's community_id must be in the token's
	// scope.
	ScopeRequest Scope = "REQUEST_COMMUNITY"
	// ScopeFiltered: any token of the roles; the reply shows only what is
	// in the token's scope.
	ScopeFiltered Scope = "FILTERED"
)

// Rule is one row of the policy table, as tests and documentation read it.
type Rule struct {
	// Method is a gRPC full method name ("/ownervote.v1.RollService/
	// ImportUnits"), or "VERB /path" for an HTTP endpoint that is not a
	// gRPC method (the online backup).
	Method string
	Roles  []auth.Role
	Scope  Scope
}

// HTTPOnly reports whether the rule is for an HTTP endpoint rather than a
// gRPC method.
func (r Rule) HTTPOnly() bool { return !strings.HasPrefix(r.Method, "/") }

// Policy returns the policy table, sorted by method. The table itself (the
// variable policy in authz.go) stays the one source of truth; this is a
// copy.
func Policy() []Rule {
	out := make([]Rule, 0, len(policy))
	for m, a := range policy {
		sc := ScopeRequest
		switch a.scope {
		case scopeAll:
			sc = ScopeAll
		case scopeFiltered:
			sc = ScopeFiltered
		}
		out = append(out, Rule{Method: m, Roles: slices.Clone(a.roles), Scope: sc})
	}
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.Method, b.Method) })
	return out
}
