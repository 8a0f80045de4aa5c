package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ownervote/ownervote"
	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/auth"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/roll"
)

// Config configures a Server.
type Config struct {
	// GRPCAddr and HTTPAddr are the listen addresses, e.g. "127.0.0.1:7700";
	// port 0 picks a free port.
	GRPCAddr string
	HTTPAddr string
	// GRPCListener and HTTPListener, when set, are listeners the caller
	// opened on those addresses (to know the ports are free before doing
	// anything else); Start serves on them instead of listening, and closes
	// them if it fails.
	GRPCListener net.Listener
	HTTPListener net.Listener
	Book         *roll.Book
	Tokens       *auth.Tokens
	Registry     *assembly.Registry
	Logger       *slog.Logger
	// ShutdownTimeout bounds how long Shutdown waits for requests in flight;
	// 10 s when zero.
	ShutdownTimeout time.Duration
	// Limits bound request size, each token's request rate and call
	// duration (see Limits; zero fields take the defaults).
	Limits Limits
	// TLS, when set, serves both listeners over TLS: its Certificates, and
	// ClientAuth with ClientCAs to require client certificates.
	TLS *tls.Config
	// InsecureListenAny allows a non-loopback address without TLS, with a
	// warning in the log; without it Start refuses (ErrInsecureListen).
	InsecureListenAny bool
	// Backup, when set, serves GET /v1/admin/backup (see backupHandler).
	Backup Backuper
}

// Server is a running ownervote server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	grpc    *grpc.Server
	health  *health.Server
	http    *http.Server
	conn    *grpc.ClientConn
	local   *localConn
	pipe    *pipeListener
	grpcLn  net.Listener
	httpLn  net.Listener
	wg      sync.WaitGroup
	errOnce sync.Once
	// stopCloser stops the loop that closes assemblies at the end of their
	// window.
	stopCloser context.CancelFunc
	errc       chan error
}

// StreamWorkers is the number of goroutines kept to run gRPC calls
// (bench's ceiling runs its calls the same way).
const StreamWorkers = 256

// Start listens on both addresses and serves until Shutdown.
func Start(ctx context.Context, cfg Config) (srv *Server, err error) {
	defer func() {
		if err != nil {
			for _, ln := range []net.Listener{cfg.GRPCListener, cfg.HTTPListener} {
				if ln != nil {
					ln.Close()
				}
			}
		}
	}()
	if cfg.Book == nil || cfg.Tokens == nil || cfg.Registry == nil {
		return nil, errors.New("server: Book, Tokens and Registry are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// An owner's key revoked is logged where it signed, in the same
	// transaction, for the offline verifier.
	cfg.Book.OnKeyRevoked(cfg.Registry.LogKeyRevoked)
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, errc: make(chan error, 1)}
	az := &authorizer{tokens: cfg.Tokens, log: s.log}
	lim := newLimiter(cfg.Limits, s.log)
	// One chain for gRPC and JSON calls alike.
	unary := chainUnary(s.recoverUnary, s.logUnary, lim.deadline, az.unary, lim.unary)
	s.grpc = grpc.NewServer(
		grpc.UnaryInterceptor(unary),
		grpc.ChainStreamInterceptor(s.recoverStream, s.logStream, az.stream, lim.stream),
		grpc.MaxRecvMsgSize(lim.limits.MaxRequestBytes),
		// Calls run on long-lived goroutines whose stacks have grown,
		// instead of a new goroutine per call growing its stack again
		// (3–4% of intake's CPU); beyond that many at once, new ones.
		grpc.NumStreamWorkers(StreamWorkers),
	)
	s.local = newLocalConn(unary, lim.limits.MaxRequestBytes, maxResponseBytes, s.log)
	reg := registrar{grpc: s.grpc, local: s.local}
	ov.RegisterRollServiceServer(reg, &rollService{book: cfg.Book, reg: cfg.Registry, log: s.log, files: make(chan struct{}, 2)})
	ov.RegisterTokenServiceServer(reg, &tokenService{tokens: cfg.Tokens, log: s.log})
	ov.RegisterAssemblyServiceServer(reg, &assemblyService{reg: cfg.Registry, book: cfg.Book, tokens: cfg.Tokens, log: s.log})
	ov.RegisterSignerServiceServer(reg, &signerService{reg: cfg.Registry, log: s.log})
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)

	if s.grpcLn, err = s.listen(cfg.GRPCListener, cfg.GRPCAddr, "gRPC"); err != nil {
		return nil, err
	}
	if s.httpLn, err = s.listen(cfg.HTTPListener, cfg.HTTPAddr, "HTTP"); err != nil {
		s.grpcLn.Close()
		return nil, err
	}
	// The gateway calls the gRPC services through the server's interceptors,
	// so the same rules authorize and limit JSON requests: unary calls
	// directly (localConn), streams over an in-memory pipe.
	s.pipe = newPipeListener()
	s.conn, err = grpc.NewClient("passthrough:///gateway", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(s.pipe.dial),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxResponseBytes), grpc.MaxCallSendMsgSize(lim.limits.MaxRequestBytes)))
	if err != nil {
		s.grpcLn.Close()
		s.httpLn.Close()
		return nil, fmt.Errorf("server: gateway connection: %w", err)
	}
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, wholeJSON{&runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.WithHealthzEndpoint(healthpb.NewHealthClient(s.conn)),
		runtime.WithErrorHandler(gatewayError),
		runtime.WithRoutingErrorHandler(routingError),
		runtime.SetQueryParameterParser(&strictQuery{}),
		runtime.WithMiddlewares(strictParams(s.log)),
	)
	s.local.ClientConn = s.conn
	for _, err := range []error{
		ov.RegisterRollServiceHandlerClient(ctx, gw, ov.NewRollServiceClient(s.local)),
		ov.RegisterTokenServiceHandlerClient(ctx, gw, ov.NewTokenServiceClient(s.local)),
		ov.RegisterAssemblyServiceHandlerClient(ctx, gw, ov.NewAssemblyServiceClient(s.local)),
		ov.RegisterSignerServiceHandlerClient(ctx, gw, ov.NewSignerServiceClient(s.local)),
	} {
		if err != nil {
			s.conn.Close()
			s.grpcLn.Close()
			s.httpLn.Close()
			return nil, fmt.Errorf("server: gateway: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", wellFormedURL(s.log, gw))
	mux.Handle("/healthz", gw)
	mux.Handle("GET /notices/", s.noticeHandler())
	mux.Handle("/", s.consoleHandler())
	// Another method on a public page is answered as the gateway answers
	// one on its paths, not by the console's 404.
	mux.HandleFunc("/notices/", onlyGet)
	mux.HandleFunc("/openapi.json", onlyGet)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(ownervote.OpenAPI())
	})
	mux.Handle(backupRule, s.backupHandler(az, lim))
	s.http = &http.Server{
		Handler:           dated(cfg.Registry.Now, az.bodyGate(lim.limitBody(mux))),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		TLSConfig:         cfg.TLS,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, svc := range []string{ov.RollService_ServiceDesc.ServiceName, ov.TokenService_ServiceDesc.ServiceName,
		ov.AssemblyService_ServiceDesc.ServiceName, ov.SignerService_ServiceDesc.ServiceName} {
		s.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	}
	closerCtx, stopCloser := context.WithCancel(context.Background())
	s.stopCloser = stopCloser
	s.wg.Add(4)
	go func() {
		defer s.wg.Done()
		s.closeDueLoop(closerCtx)
	}()
	go func() {
		defer s.wg.Done()
		if err := s.grpc.Serve(s.grpcLn); err != nil {
			s.fail(fmt.Errorf("server: gRPC: %w", err))
		}
	}()
	go func() {
		defer s.wg.Done()
		if err := s.grpc.Serve(s.pipe); err != nil {
			s.fail(fmt.Errorf("server: gateway pipe: %w", err))
		}
	}()
	go func() {
		defer s.wg.Done()
		serve := s.http.Serve
		if cfg.TLS != nil {
			serve = func(ln net.Listener) error { return s.http.ServeTLS(ln, "", "") }
		}
		if err := serve(s.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.fail(fmt.Errorf("server: HTTP: %w", err))
		}
	}()
	s.log.InfoContext(ctx, "serving", "grpc", s.grpcLn.Addr().String(), "http", s.httpLn.Addr().String(), "tls", cfg.TLS != nil,
		"client_certs", cfg.TLS != nil && cfg.TLS.ClientAuth == tls.RequireAndVerifyClientCert)
	return s, nil
}

func (s *Server) fail(err error) {
	s.errOnce.Do(func() { s.errc <- err })
}

// dated sets every reply's Date header from the server's clock (now), the
// one that decides when voting opens and closes and when the objection
// window ends: the console corrects its own clock by it (serverNow).
func dated(now func() time.Time, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", now().UTC().Format(http.TimeFormat))
		h.ServeHTTP(w, r)
	})
}

// Err delivers the first error that stopped a listener.
func (s *Server) Err() <-chan error { return s.errc }

// dialAddr turns a listen address into one to dial: an unspecified host
// becomes loopback.
func dialAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
}

// GRPCAddr is the gRPC listener's address.
func (s *Server) GRPCAddr() string { return s.grpcLn.Addr().String() }

// HTTPAddr is the JSON listener's address.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// Shutdown stops accepting requests, lets those in flight finish (up to the
// configured timeout) and returns when both listeners are closed. The caller
// closes the store afterwards.
func (s *Server) Shutdown(ctx context.Context) error {
	s.health.Shutdown()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	httpErr := s.http.Shutdown(ctx)
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
		<-done
	}
	s.local.stopInFlight()
	s.conn.Close()
	s.stopCloser()
	s.wg.Wait()
	return httpErr
}

// CloseInterval is how often the server looks for assemblies whose voting
// window has ended.
const CloseInterval = time.Second

// closeDueLoop closes assemblies at the end of their window and stores
// their preliminary results.
func (s *Server) closeDueLoop(ctx context.Context) {
	t := time.NewTicker(CloseInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		closed, err := s.cfg.Registry.CloseDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "closing assemblies", "err", err)
		}
		for _, id := range closed {
			s.log.InfoContext(ctx, "assembly closed; preliminary result stored", "assembly", id)
		}
	}
}

func (s *Server) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(ctx, "panic in handler", "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	return handler(ctx, req)
}

func (s *Server) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(ss.Context(), "panic in handler", "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	return handler(srv, ss)
}

// logUnary logs each call's method, code and duration; never its payload.
func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	s.logCall(ctx, info.FullMethod, start, err)
	return resp, err
}

// logStream logs each stream as logUnary a call, when it ends.
func (s *Server) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	s.logCall(ss.Context(), info.FullMethod, start, err)
	return err
}

// logCall logs a call's end: at debug level when it succeeded.
func (s *Server) logCall(ctx context.Context, method string, start time.Time, err error) {
	code := status.Code(err)
	level := slog.LevelDebug
	if code != codes.OK {
		level = slog.LevelInfo
	}
	if !s.log.Enabled(ctx, level) {
		return // before the arguments are boxed: once per call
	}
	s.log.Log(ctx, level, "rpc", "method", method, "code", code.String(), "ms", time.Since(start).Milliseconds())
}
