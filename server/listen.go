package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
)

// ErrInsecureListen: without TLS the server listens on loopback only,
// unless Config.InsecureListenAny says otherwise.
var ErrInsecureListen = errors.New("server: refusing to listen on a non-loopback address without TLS")

// listen opens a TCP listener for one of the two APIs, or takes the one
// the caller opened (pre). Without TLS it refuses a non-loopback address
// unless InsecureListenAny is set, and then warns. With TLS the gRPC
// listener is wrapped here (the HTTP server does its own handshake, see
// Start).
func (s *Server) listen(pre net.Listener, addr, api string) (net.Listener, error) {
	ln := pre
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("server: %s listener: %w", api, err)
		}
	}
	if err := plainTextRefusal(s.cfg, ln.Addr(), "the "+api+" API"); err != nil {
		ln.Close()
		return nil, err
	}
	if s.cfg.TLS == nil && !loopback(ln.Addr()) {
		s.log.Warn("serving without TLS on a non-loopback address: tokens, ballots and owners' data cross the network in plain text",
			"api", api, "addr", ln.Addr().String())
	}
	if s.cfg.TLS != nil && api == "gRPC" {
		// gRPC needs ALPN "h2". The TLS layer verifies client certificates
		// (ClientAuth); the gRPC server itself runs without transport
		// credentials so that the gateway can reach it over an in-memory
		// pipe (see pipeListener).
		cfg := s.cfg.TLS.Clone()
		cfg.NextProtos = []string{"h2"}
		ln = tls.NewListener(ln, cfg)
	}
	return ln, nil
}

// CheckListenAddr checks a listen address before anything is started,
// as Start will: it must resolve, and without TLS be loopback unless
// cfg.InsecureListenAny (ErrInsecureListen). Start checks again on the
// address it gets.
func CheckListenAddr(addr string, cfg Config) error {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen address %q: %w", addr, err)
	}
	return plainTextRefusal(cfg, ta, addr)
}

// plainTextRefusal is ErrInsecureListen for a non-loopback address a
// without TLS, unless cfg.InsecureListenAny; nil otherwise.
func plainTextRefusal(cfg Config, a net.Addr, what string) error {
	if cfg.TLS != nil || cfg.InsecureListenAny || loopback(a) {
		return nil
	}
	return fmt.Errorf("%w: %s would listen on %s in plain text; give a TLS certificate (serve --tls-cert, --tls-key), "+
		"listen on 127.0.0.1, or allow it explicitly (serve --insecure-listen-any)", ErrInsecureListen, what, a)
}

// loopback reports whether a listener's address is a loopback address.
// An unspecified address (":7700", "0.0.0.0") is every interface.
func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// pipeListener is an in-memory listener: the JSON gateway's connection to
// the gRPC server for streams and the health check (unary calls go through
// localConn). They pass the same interceptors (authorization, limits) as
// gRPC calls without a network hop, so the gateway needs neither the
// server's certificate nor a client certificate when TLS is on.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept implements net.Listener.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial connects to the listener; it is the gateway's grpc.WithContextDialer.
func (l *pipeListener) dial(ctx context.Context, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	return nil, net.ErrClosed
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "gateway" }

// HTTPURL is the JSON API's base URL, e.g. "https://127.0.0.1:7780"; an
// unspecified listen address is shown as loopback.
func (s *Server) HTTPURL() string {
	scheme := "http://"
	if s.cfg.TLS != nil {
		scheme = "https://"
	}
	return scheme + dialAddr(s.httpLn.Addr())
}
