package server

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// localConn is the JSON gateway's connection to the gRPC services. A unary
// call runs the service's method handler in the caller's goroutine through
// the same interceptor chain as the gRPC server's (recovery, logging,
// deadline, authorization, rate limits), as the server would run it: the
// HTTP headers that the gateway turns into outgoing metadata arrive as
// incoming metadata, errors come back as statuses the way the server sends
// them, and the same message size limits hold. What it leaves out is the
// HTTP/2 transport between the gateway and the server: framing, protobuf
// encoding both ways and the goroutine hand-offs of an in-memory connection,
// about a tenth of a JSON request's CPU. Streams and methods registered
// elsewhere go over the in-memory pipe (ClientConn).
type localConn struct {
	*grpc.ClientConn
	methods      map[string]localMethod
	intercept    grpc.UnaryServerInterceptor
	maxRequest   int
	maxResponse  int
	stopping     context.Context // cancelled when the server stops waiting for calls in flight
	stopInFlight context.CancelFunc
}

type localMethod struct {
	srv     any
	handler grpc.MethodHandler
}

func newLocalConn(intercept grpc.UnaryServerInterceptor, maxRequest, maxResponse int) *localConn {
	stopping, stop := context.WithCancel(context.Background())
	return &localConn{methods: map[string]localMethod{}, intercept: intercept, maxRequest: maxRequest, maxResponse: maxResponse,
		stopping: stopping, stopInFlight: stop}
}

// registrar registers services with the gRPC server and, for their unary
// methods, with the local connection.
type registrar struct {
	grpc  *grpc.Server
	local *localConn
}

func (r registrar) RegisterService(desc *grpc.ServiceDesc, impl any) {
	r.grpc.RegisterService(desc, impl)
	for _, m := range desc.Methods {
		r.local.methods["/"+desc.ServiceName+"/"+m.MethodName] = localMethod{srv: impl, handler: m.Handler}
	}
}

// Invoke implements grpc.ClientConnInterface.
func (c *localConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := c.methods[method]
	if !ok {
		return c.ClientConn.Invoke(ctx, method, args, reply, opts...)
	}
	in, ok1 := args.(proto.Message)
	out, ok2 := reply.(proto.Message)
	if !ok1 || !ok2 {
		return status.Errorf(codes.Internal, "local call %s: request %T or reply %T is not a protobuf message", method, args, reply)
	}
	if n := proto.Size(in); n > c.maxRequest {
		return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", n, c.maxRequest)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.stopping, cancel)()

	md, _ := metadata.FromOutgoingContext(ctx)
	st := &localStream{method: method}
	sctx := grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(metadata.NewOutgoingContext(ctx, nil), md), st)
	resp, err := m.handler(m.srv, sctx, func(v any) error {
		proto.Merge(v.(proto.Message), in)
		return nil
	}, c.intercept)
	st.deliver(opts)
	if err != nil {
		// As the gRPC server sends an error: a status as it is, a context's
		// error as its code, any other as Unknown.
		s, ok := status.FromError(err)
		if !ok {
			s = status.FromContextError(err)
		}
		return s.Err()
	}
	r, ok := resp.(proto.Message)
	if !ok || r == nil {
		return status.Errorf(codes.Internal, "grpc: error while marshaling: %s returned %T", method, resp)
	}
	if !r.ProtoReflect().IsValid() {
		return nil // a nil message, which the server would send as an empty one
	}
	if n := proto.Size(r); n > c.maxResponse {
		return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", n, c.maxResponse)
	}
	proto.Merge(out, r)
	return nil
}

// localStream is a local call's grpc.ServerTransportStream: it keeps the
// header and trailer a method sets, for the caller's grpc.Header and
// grpc.Trailer options.
type localStream struct {
	method          string
	mu              sync.Mutex
	header, trailer metadata.MD
}

func (s *localStream) Method() string { return s.method }

func (s *localStream) SetHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *localStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s *localStream) SetTrailer(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}

// deliver hands the header and trailer to the call's options.
func (s *localStream) deliver(opts []grpc.CallOption) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = s.header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = s.trailer
		}
	}
}

// chainUnary makes one interceptor of several, the first outermost, as
// grpc.ChainUnaryInterceptor does for the server.
func chainUnary(interceptors ...grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return chainFrom(interceptors, 0, info, handler)(ctx, req)
	}
}

func chainFrom(interceptors []grpc.UnaryServerInterceptor, i int, info *grpc.UnaryServerInfo, last grpc.UnaryHandler) grpc.UnaryHandler {
	if i == len(interceptors) {
		return last
	}
	return func(ctx context.Context, req any) (any, error) {
		return interceptors[i](ctx, req, info, chainFrom(interceptors, i+1, info, last))
	}
}
