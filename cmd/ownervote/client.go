package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// serverFlags are the flags of a command that calls a server's gRPC API:
// its address, the token and, for a server beyond loopback (which serves
// TLS only), how to reach it over TLS.
type serverFlags struct {
	addr, token *string
	tls         *bool
	tlsFiles    clientTLSFlags
}

func addServerFlags(fl *flag.FlagSet) *serverFlags {
	return &serverFlags{
		addr:     fl.String("server", "127.0.0.1:7700", "gRPC address of the ownervote server"),
		token:    fl.String("token", "", "bearer token (default: $OWNERVOTE_TOKEN)"),
		tls:      fl.Bool("tls", false, "reach the server over TLS, trusting the system's roots (implied by --ca, --cert and --key)"),
		tlsFiles: addClientTLSFlags(fl),
	}
}

// tokenOrEnv is the bearer token given by --token, else $OWNERVOTE_TOKEN;
// which, if not empty, says what token the command needs when neither is
// given.
func tokenOrEnv(flagValue, which string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if t := os.Getenv("OWNERVOTE_TOKEN"); t != "" {
		return t, nil
	}
	if which != "" {
		which = " (" + which + ")"
	}
	return "", fmt.Errorf("%w: give --token or set OWNERVOTE_TOKEN%s", errUsage, which)
}

// dial connects to the server's gRPC listener and returns a context that
// carries the bearer token (from --token, else $OWNERVOTE_TOKEN).
func (f *serverFlags) dial(ctx context.Context) (*grpc.ClientConn, context.Context, error) {
	token, err := tokenOrEnv(*f.token, "")
	if err != nil {
		return nil, nil, err
	}
	tlsCfg, err := f.tlsFiles.config()
	if err != nil {
		return nil, nil, err
	}
	if tlsCfg == nil && *f.tls {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	creds := insecure.NewCredentials()
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	conn, err := grpc.NewClient(*f.addr, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30)))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --server %s: %v", errUsage, *f.addr, err)
	}
	return conn, metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), nil
}
