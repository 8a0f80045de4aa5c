package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
// deadline, authorization, rate limits), as a call over a connection would
// run: the request and the reply are marshalled and unmarshalled as on the
// wire (which checks them, strings in UTF-8 for one) within the same size
// limits; the gateway's outgoing metadata arrives as incoming metadata
// without the keys the server reserves; errors come back as the server sends them, and the header and
// trailer as the client receives them; a caller whose deadline passed or
// who left gets its context's error, whatever the method answers. What it
// leaves out is the transport between the gateway and the server: HTTP/2
// framing and the goroutine hand-offs of an in-memory connection, about a
// tenth of a JSON request's CPU. Streams and methods registered elsewhere
// go over the in-memory pipe (ClientConn).
//
// What differs: a request the gRPC client would have refused to send
// (Internal, HTTP 500) is refused as malformed (InvalidArgument, HTTP 400);
// a call cut off by the server's stop answers UNAVAILABLE with the usual
// details; a caller whose deadline passes is answered when the method
// returns (every method stops at its context's end), not at that instant;
// the method's incoming metadata lacks what the transport adds
// (":authority", "user-agent", "content-type"), which no method reads.
type localConn struct {
	*grpc.ClientConn
	methods     map[string]localMethod
	intercept   grpc.UnaryServerInterceptor
	log         *slog.Logger
	maxRequest  int
	maxResponse int
	// stopping is cancelled when the server stops waiting for calls in
	// flight: they are cancelled, and answer UNAVAILABLE as calls cut off
	// by the gRPC server's Stop did.
	stopping     context.Context
	stopInFlight context.CancelFunc
}

type localMethod struct {
	srv     any
	handler grpc.MethodHandler
}

func newLocalConn(intercept grpc.UnaryServerInterceptor, maxRequest, maxResponse int, log *slog.Logger) *localConn {
	stopping, stop := context.WithCancel(context.Background())
	return &localConn{methods: map[string]localMethod{}, intercept: intercept, log: log, maxRequest: maxRequest, maxResponse: maxResponse,
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

// Errors of the local connection, mapped in errors.go.
var (
	// ErrMalformedRequest: a JSON request that could not be carried as a
	// gRPC call (a string that is not UTF-8).
	ErrMalformedRequest = errors.New("server: malformed request")
	// ErrShuttingDown: the server stopped before the call finished.
	ErrShuttingDown = errors.New("server: shutting down")
)

// Invoke implements grpc.ClientConnInterface.
func (c *localConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := c.methods[method]
	if !ok {
		return c.ClientConn.Invoke(ctx, method, args, reply, opts...)
	}
	if c.stopping.Err() != nil {
		return toStatus(ctx, c.log, ErrShuttingDown)
	}
	in, ok1 := args.(proto.Message)
	out, ok2 := reply.(proto.Message)
	if !ok1 || !ok2 {
		return status.Errorf(codes.Internal, "grpc: local call %s: request %T or reply %T is not a protobuf message", method, args, reply)
	}
	// The gateway passes on only headers that are valid gRPC metadata
	// (runtime.AnnotateContext), as the gRPC client would require.
	md, _ := metadata.FromOutgoingContext(ctx)
	raw, err := proto.Marshal(in)
	if err != nil {
		return toStatus(ctx, c.log, fmt.Errorf("%w: %v", ErrMalformedRequest, err))
	}
	if len(raw) > c.maxRequest {
		return status.Errorf(codes.ResourceExhausted, "grpc: trying to send message larger than max (%d vs. %d)", len(raw), c.maxRequest)
	}

	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.stopping, cancel)()
	st := &localStream{method: method}
	sctx := grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(metadata.NewOutgoingContext(callCtx, nil), dropReserved(md)), st)
	resp, err := m.handler(m.srv, sctx, func(v any) error {
		if err := proto.Unmarshal(raw, v.(proto.Message)); err != nil {
			return status.Errorf(codes.Internal, "grpc: error unmarshalling request: %v", err)
		}
		return nil
	}, c.intercept)
	if ctx.Err() != nil {
		// The caller's deadline passed or it left: the gRPC client answers
		// so whatever the method does.
		return status.FromContextError(ctx.Err()).Err()
	}
	if err != nil {
		if c.stopping.Err() != nil {
			err = toStatus(ctx, c.log, ErrShuttingDown)
		}
		// As the gRPC server sends an error: a status as it is, a context's
		// error as its code, any other as Unknown.
		s, ok := status.FromError(err)
		if !ok {
			s = status.FromContextError(err)
		}
		st.deliver(opts, s)
		return s.Err()
	}
	r, ok := resp.(proto.Message)
	if !ok {
		err := status.Errorf(codes.Internal, "grpc: error while marshaling: %s returned %T, not a protobuf message", method, resp)
		st.deliver(opts, status.Convert(err))
		return err
	}
	rawReply, err := proto.Marshal(r)
	if err != nil {
		err = status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
		st.deliver(opts, status.Convert(err))
		return err
	}
	st.deliver(opts, nil)
	if len(rawReply) > c.maxResponse {
		return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", len(rawReply), c.maxResponse)
	}
	if err := proto.Unmarshal(rawReply, out); err != nil {
		return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
	}
	return nil
}

// dropReserved removes from md (a copy: metadata.FromOutgoingContext makes
// one) the keys that grpc-go's server keeps out of the metadata it hands a
// method.
func dropReserved(md metadata.MD) metadata.MD {
	for k := range md {
		switch {
		case k == "content-type", k == "user-agent", k == "grpc-message-type", k == "grpc-encoding",
			k == "grpc-message", k == "grpc-status", k == "grpc-timeout", k == "te", strings.HasPrefix(k, ":"):
			delete(md, k)
		}
	}
	return md
}

// localStream is a local call's grpc.ServerTransportStream: it keeps the
// header and trailer a method sets, for the caller's grpc.Header and
// grpc.Trailer options.
type localStream struct {
	method          string
	mu              sync.Mutex
	header, trailer metadata.MD
	headerSent      bool
}

func (s *localStream) Method() string { return s.method }

func (s *localStream) SetHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headerSent {
		return errHeaderSent
	}
	s.header = metadata.Join(s.header, md)
	return nil
}

// errHeaderSent is grpc-go's answer to a header set after it was sent.
var errHeaderSent = status.Error(codes.Internal, "transport: SendHeader called multiple times")

func (s *localStream) SendHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headerSent {
		return errHeaderSent
	}
	s.header, s.headerSent = metadata.Join(s.header, md), true
	return nil
}

func (s *localStream) SetTrailer(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}

// deliver hands the header and trailer to the call's options as the gRPC
// client receives them: the header carries the content type; an error
// with no header set or sent comes in a trailers-only response, whose
// trailer carries the content type instead; an error's trailer carries the
// status's details.
func (s *localStream) deliver(opts []grpc.CallOption, failed *status.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	contentType := metadata.Pairs("content-type", "application/grpc")
	header, trailer := metadata.Join(contentType, s.header), s.trailer
	if failed != nil {
		if len(s.header) == 0 && !s.headerSent {
			header, trailer = nil, metadata.Join(contentType, trailer)
		} else {
			trailer = metadata.Join(trailer)
		}
		if p := failed.Proto(); len(p.GetDetails()) > 0 {
			if b, err := proto.Marshal(p); err == nil {
				trailer.Set("grpc-status-details-bin", string(b))
			}
		}
	}
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = trailer
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
