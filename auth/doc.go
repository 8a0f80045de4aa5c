// Package auth issues, stores and checks the bearer tokens that every call
// to ownervote needs.
//
// A token has a role (street-office admin, community staff, committee
// member, platform integration, auditor) and a scope: one community, or all
// of them. Only the SHA-256 of a token's secret is stored; the secret is
// shown once, when the token is created.
package auth
