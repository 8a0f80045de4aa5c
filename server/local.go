package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// localConn is the JSON gateway's connection to the gRPC services. A unary
// call runs the service's method handler in the caller's goroutine through
// the same interceptor chain as the gRPC server's (recovery, logging,
// deadline, authorization, rate limits), on a copy of the request, within
// the same message size limits; the gateway's outgoing metadata arrives as
// incoming metadata without the keys the server reserves; errors come back
// as the server sends them, and the header and trailer the method sets
// reach the caller's grpc.Header and grpc.Trailer options (through the
// gateway's own runtime.ServerTransportStream); a caller whose deadline
// passed or who left gets its context's error, whatever the method
// answers. What it leaves out is the transport between the gateway and the
// server: encoding, HTTP/2 framing and the goroutine hand-offs of an
// in-memory connection. Streams and methods registered elsewhere go over
// the in-memory pipe (ClientConn).
//
// What differs: a call cut off by the server's stop answers UNAVAILABLE
// with the usual details; a caller whose deadline passes is answered when
// the method returns (every method stops at its context's end), not at
// that instant; the method's incoming metadata lacks what the transport
// adds (":authority", "user-agent", "content-type"), which no method
// reads, and grpc.Method(ctx) is empty. Strings that are not UTF-8, which
// the wire would refuse, are refused before the gateway (wellFormedURL).
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
	// gRPC call (a path or query string that is not UTF-8).
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
	in, out := args.(proto.Message), reply.(proto.Message) // generated clients pass messages
	if err := queryProblem(ctx, in); err != nil {
		return toStatus(ctx, c.log, err)
	}
	if n := proto.Size(in); n > c.maxRequest {
		return status.Errorf(codes.ResourceExhausted, "grpc: trying to send message larger than max (%d vs. %d)", n, c.maxRequest)
	}
	// The gateway passes on only headers that are valid gRPC metadata
	// (runtime.AnnotateContext), as the gRPC client would require.
	md, _ := metadata.FromOutgoingContext(ctx)

	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.stopping, cancel)()
	st := &runtime.ServerTransportStream{}
	sctx := grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(metadata.NewOutgoingContext(callCtx, nil), dropReserved(md)), st)
	resp, err := m.handler(m.srv, sctx, func(v any) error {
		proto.Merge(v.(proto.Message), in)
		return nil
	}, c.intercept)
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = st.Header()
		case grpc.TrailerCallOption:
			*o.TrailerAddr = st.Trailer()
		}
	}
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
		return s.Err()
	}
	r, ok := resp.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "grpc: error while marshaling: %s returned %T, not a protobuf message", method, resp)
	}
	if n := proto.Size(r); n > c.maxResponse {
		return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", n, c.maxResponse)
	}
	proto.Merge(out, r)
	return nil
}

// NewStream opens a stream over the connection to the gRPC server (streams
// are not run in process), once the JSON call's query parameters are
// found to name fields of the method's request, as Invoke does: before the
// stream is opened, so that a call refused takes no stream's place.
func (c *localConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if req, ok := requestOf(method); ok {
		if err := queryProblem(ctx, req); err != nil {
			return nil, toStatus(ctx, c.log, err)
		}
	}
	return c.ClientConn.NewStream(ctx, desc, method, opts...)
}

// requestOf is a new request of a gRPC method (/package.Service/Method).
func requestOf(method string) (proto.Message, bool) {
	service, name, ok := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	if !ok {
		return nil, false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return nil, false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok || sd.Methods().ByName(protoreflect.Name(name)) == nil {
		return nil, false
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(sd.Methods().ByName(protoreflect.Name(name)).Input().FullName())
	if err != nil {
		return nil, false
	}
	return mt.New().Interface(), true
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

// wellFormedURL refuses, as ErrMalformedRequest, a request whose path or
// query holds a string that is not UTF-8: the gateway would hand it to a
// method in a string field, which the gRPC wire refuses to carry (and an
// error quoting it could not be written as JSON). Bodies are checked by
// the gateway's JSON decoding.
func wellFormedURL(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := utf8.ValidString(r.URL.Path)
		if ok && r.URL.RawQuery != "" {
			for k, vs := range r.URL.Query() {
				ok = ok && utf8.ValidString(k)
				for _, v := range vs {
					ok = ok && utf8.ValidString(v)
				}
			}
		}
		if !ok {
			err := fmt.Errorf("%w: the path or query of %q is not UTF-8", ErrMalformedRequest, strings.ToValidUTF8(r.URL.Path, "\uFFFD"))
			writeHTTPError(w, r, http.StatusBadRequest, toStatus(r.Context(), log, err))
			return
		}
		next.ServeHTTP(w, r)
	})
}
