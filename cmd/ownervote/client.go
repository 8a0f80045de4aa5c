package main

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// dial connects to a server's gRPC listener and returns a context that
// carries the bearer token (from the flag, else $OWNERVOTE_TOKEN).
func dial(ctx context.Context, addr, token string) (*grpc.ClientConn, context.Context, error) {
	if token == "" {
		token = os.Getenv("OWNERVOTE_TOKEN")
	}
	if token == "" {
		return nil, nil, fmt.Errorf("%w: give --token or set OWNERVOTE_TOKEN", errUsage)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30)))
	if err != nil {
		return nil, nil, err
	}
	return conn, metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), nil
}
