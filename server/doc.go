// Package server serves ownervote over gRPC and, through grpc-gateway, as a
// JSON API under /v1/ on a second HTTP listener.
//
// Every RPC reads the same way: validate the request, call the domain
// package, map the error. Authentication and authorization happen in one
// interceptor driven by one declarative table (policy in authz.go), which
// the JSON façade passes through as well because the gateway calls the
// gRPC listener like any other client. Domain errors become gRPC status
// codes with a google.rpc.ErrorInfo reason in exactly one place (errors.go).
package server
