package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// errTypedNil asks the test method to return a nil *ov.BallotReceipt.
var errTypedNil = errors.New("typed nil")

const localMethodName = "/ownervote.v1.AssemblyService/GetBallotReceipt"

// newTestLocalConn is a localConn whose one method runs h, and whose other
// methods go to a connection that cannot be dialled.
func newTestLocalConn(t *testing.T, intercept grpc.UnaryServerInterceptor, maxRequest, maxResponse int,
	h func(ctx context.Context, req *ov.GetBallotReceiptRequest) (any, error)) *localConn {
	t.Helper()
	if intercept == nil {
		intercept = chainUnary()
	}
	c := newLocalConn(intercept, maxRequest, maxResponse, slog.New(slog.DiscardHandler))
	c.methods[localMethodName] = localMethod{handler: func(_ any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
		req := new(ov.GetBallotReceiptRequest)
		if err := dec(req); err != nil {
			return nil, err
		}
		return in(ctx, req, &grpc.UnaryServerInfo{FullMethod: localMethodName}, func(ctx context.Context, r any) (any, error) {
			return h(ctx, r.(*ov.GetBallotReceiptRequest))
		})
	}}
	cc, err := grpc.NewClient("passthrough:///nowhere", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return nil, errors.New("no network in this test") }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close(); c.stopInFlight() })
	c.ClientConn = cc
	return c
}

// TestLocalConnCallsAsTheServerWould: the method sees the caller's outgoing
// metadata as incoming (and none outgoing) and a copy of the request; its
// header and trailer reach the call options, a copy of its reply the
// caller.
func TestLocalConnCallsAsTheServerWould(t *testing.T) {
	req := &ov.GetBallotReceiptRequest{CommunityId: "c-1", AssemblyId: "a-1", BallotId: "b-1"}
	c := newTestLocalConn(t, nil, 1<<20, 1<<20, func(ctx context.Context, got *ov.GetBallotReceiptRequest) (any, error) {
		if got == req || !proto.Equal(got, req) {
			t.Errorf("method got %v (same pointer: %t), want a copy of %v", got, got == req, req)
		}
		if md, _ := metadata.FromIncomingContext(ctx); strings.Join(md.Get("authorization"), ",") != "Bearer t" {
			t.Errorf("incoming metadata %v, want the caller's authorization", md)
		}
		if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md) > 0 {
			t.Errorf("the method's context carries outgoing metadata %v", md)
		}
		grpc.SetHeader(ctx, metadata.Pairs("x-header", "h"))
		grpc.SetTrailer(ctx, metadata.Pairs("x-trailer", "t"))
		return &ov.BallotReceipt{BallotId: got.GetBallotId(), Seq: 7}, nil
	})
	var header, trailer metadata.MD
	reply := new(ov.BallotReceipt)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer t")
	if err := c.Invoke(ctx, localMethodName, req, reply, grpc.Header(&header), grpc.Trailer(&trailer)); err != nil {
		t.Fatal(err)
	}
	if reply.GetBallotId() != "b-1" || reply.GetSeq() != 7 {
		t.Errorf("reply %v", reply)
	}
	if strings.Join(header.Get("x-header"), ",") != "h" || strings.Join(trailer.Get("x-trailer"), ",") != "t" {
		t.Errorf("header %v, trailer %v; want the method's", header, trailer)
	}
}

// testRequest is a request of requestSize bytes whose reply in
// TestLocalConnErrors is replySize bytes.
var (
	testRequest = &ov.GetBallotReceiptRequest{CommunityId: "community-1", BallotId: "ballot-1"}
	requestSize = proto.Size(testRequest)
	replySize   = proto.Size(&ov.BallotReceipt{BallotId: strings.Repeat("b", 64)})
)

// TestLocalConnErrors: errors come back as the gRPC server sends them, and
// the server's message size limits hold.
func TestLocalConnErrors(t *testing.T) {
	for _, c := range []struct {
		name        string
		ret         error
		nilReply    bool
		maxReq      int
		maxResp     int
		code        codes.Code
		messagePart string
	}{
		{name: "status", ret: status.Error(codes.NotFound, "no such ballot"), code: codes.NotFound, messagePart: "no such ballot"},
		{name: "plain error", ret: errors.New("disk on fire"), code: codes.Unknown, messagePart: "disk on fire"},
		{name: "deadline", ret: context.DeadlineExceeded, code: codes.DeadlineExceeded},
		{name: "cancelled", ret: context.Canceled, code: codes.Canceled},
		{name: "nil reply", nilReply: true, code: codes.Internal},
		{name: "nil message", ret: errTypedNil, code: codes.OK},
		{name: "large request", maxReq: 10, code: codes.ResourceExhausted, messagePart: "trying to send message larger than max"},
		{name: "request at the limit", maxReq: requestSize, code: codes.OK},
		{name: "reply at the limit", maxResp: replySize, code: codes.OK},
		{name: "large reply", maxResp: 10, code: codes.ResourceExhausted, messagePart: "received message larger than max"},
	} {
		t.Run(c.name, func(t *testing.T) {
			maxReq, maxResp := 1<<20, 1<<20
			if c.maxReq > 0 {
				maxReq = c.maxReq
			}
			if c.maxResp > 0 {
				maxResp = c.maxResp
			}
			called := false
			lc := newTestLocalConn(t, nil, maxReq, maxResp, func(context.Context, *ov.GetBallotReceiptRequest) (any, error) {
				called = true
				if c.nilReply {
					return nil, nil
				}
				if c.ret == errTypedNil {
					return (*ov.BallotReceipt)(nil), nil
				}
				if c.ret != nil {
					return nil, c.ret
				}
				return &ov.BallotReceipt{BallotId: strings.Repeat("b", 64)}, nil
			})
			err := lc.Invoke(context.Background(), localMethodName, testRequest, new(ov.BallotReceipt))
			s, ok := status.FromError(err)
			if !ok || s.Code() != c.code || !strings.Contains(s.Message(), c.messagePart) {
				t.Errorf("error %v, want code %s with %q", err, c.code, c.messagePart)
			}
			if c.maxReq > 0 && c.code == codes.ResourceExhausted && called {
				t.Error("an over-size request reached the method")
			}
		})
	}
}

// TestLocalConnInterceptsAndStops: the interceptors run in order around
// the method; stopping cancels a call in flight, which answers UNAVAILABLE
// as calls cut off by the gRPC server's Stop did, and refuses later calls
// without running them; a method the connection does not hold goes to the
// real connection.
func TestLocalConnInterceptsAndStops(t *testing.T) {
	var order []string
	mark := func(name string) grpc.UnaryServerInterceptor {
		return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			order = append(order, name+" "+info.FullMethod[strings.LastIndex(info.FullMethod, "/")+1:])
			return h(ctx, req)
		}
	}
	started := make(chan struct{})
	calls := 0
	c := newTestLocalConn(t, chainUnary(mark("first"), mark("second")), 1<<20, 1<<20, func(ctx context.Context, _ *ov.GetBallotReceiptRequest) (any, error) {
		calls++
		order = append(order, "method")
		close(started)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
			t.Error("stopping did not cancel the call in flight")
			return &ov.BallotReceipt{}, nil
		}
	})
	go func() {
		<-started
		c.stopInFlight()
	}()
	err := c.Invoke(context.Background(), localMethodName, &ov.GetBallotReceiptRequest{}, new(ov.BallotReceipt))
	if status.Code(err) != codes.Unavailable || ReasonOf(err) != "SHUTTING_DOWN" {
		t.Errorf("a call in flight when the server stopped waiting: %v, want Unavailable SHUTTING_DOWN", err)
	}
	if got := strings.Join(order, ", "); got != "first GetBallotReceipt, second GetBallotReceipt, method" {
		t.Errorf("order %s", got)
	}
	err = c.Invoke(context.Background(), localMethodName, &ov.GetBallotReceiptRequest{}, new(ov.BallotReceipt))
	if status.Code(err) != codes.Unavailable || calls != 1 {
		t.Errorf("a call after the stop: %v, method run %d times; want Unavailable and the method not run again", err, calls)
	}
	err = c.Invoke(context.Background(), "/ownervote.v1.AssemblyService/WatchProgress", &ov.GetBallotReceiptRequest{}, new(ov.BallotReceipt))
	if status.Code(err) != codes.Unavailable || ReasonOf(err) != "" {
		t.Errorf("a method the local connection does not hold: %v, want Unavailable from the real connection", err)
	}
}

// TestRegistrarRegistersUnaryMethods: a service registered through the
// registrar serves on the gRPC server and its unary methods, every one,
// are called locally; its streams are not.
func TestRegistrarRegistersUnaryMethods(t *testing.T) {
	gs := grpc.NewServer()
	local := newLocalConn(chainUnary(), 1<<20, 1<<20, slog.New(slog.DiscardHandler))
	defer local.stopInFlight()
	ov.RegisterAssemblyServiceServer(registrar{grpc: gs, local: local}, &assemblyService{})
	info, ok := gs.GetServiceInfo()[ov.AssemblyService_ServiceDesc.ServiceName]
	if !ok {
		t.Fatal("the service is not registered with the gRPC server")
	}
	unary := 0
	for _, m := range info.Methods {
		_, local := local.methods["/"+ov.AssemblyService_ServiceDesc.ServiceName+"/"+m.Name]
		if stream := m.IsClientStream || m.IsServerStream; local == stream {
			t.Errorf("%s (stream %t): local %t", m.Name, stream, local)
		}
		if !m.IsClientStream && !m.IsServerStream {
			unary++
		}
	}
	if unary == 0 || len(local.methods) != unary {
		t.Errorf("%d local methods for %d unary ones", len(local.methods), unary)
	}
}

// TestLocalConnCallerLeaves: a caller whose context ends gets its
// context's error, as from the gRPC client, even when the method then
// succeeds, and even when the server is stopping meanwhile.
func TestLocalConnCallerLeaves(t *testing.T) {
	for _, stop := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		var c *localConn
		c = newTestLocalConn(t, nil, 1<<20, 1<<20, func(mctx context.Context, _ *ov.GetBallotReceiptRequest) (any, error) {
			cancel()
			if stop {
				c.stopInFlight()
				<-mctx.Done()
				return nil, mctx.Err()
			}
			return &ov.BallotReceipt{}, nil
		})
		err := c.Invoke(ctx, localMethodName, &ov.GetBallotReceiptRequest{}, new(ov.BallotReceipt))
		if status.Code(err) != codes.Canceled || ReasonOf(err) != "" {
			t.Errorf("stopping %t: %v, want the caller's Canceled", stop, err)
		}
	}
}

// TestLocalConnIncomingMetadata: the keys the gRPC server reserves do not
// reach the method; the others do.
func TestLocalConnIncomingMetadata(t *testing.T) {
	c := newTestLocalConn(t, nil, 1<<20, 1<<20, func(ctx context.Context, _ *ov.GetBallotReceiptRequest) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		for _, k := range []string{"user-agent", "te", "grpc-timeout", "content-type", ":authority", "grpc-status"} {
			if len(md.Get(k)) != 0 {
				t.Errorf("the method sees reserved key %q", k)
			}
		}
		if strings.Join(md.Get("x-note"), ",") != "kept" {
			t.Errorf("incoming metadata %v lacks x-note", md)
		}
		return &ov.BallotReceipt{}, nil
	})
	ctx := metadata.AppendToOutgoingContext(context.Background(), "user-agent", "evil", "te", "x", "grpc-timeout", "1S", "content-type", "text/plain",
		":authority", "elsewhere", "grpc-status", "0", "x-note", "kept")
	if err := c.Invoke(ctx, localMethodName, &ov.GetBallotReceiptRequest{}, new(ov.BallotReceipt)); err != nil {
		t.Fatal(err)
	}
}
