package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/server"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a leaf certificate for a server (loopback names) or a
// client.
func (ca *testCA) issue(t *testing.T, name string, client bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsClients are a gRPC connection and an HTTPS client to e's server.
func tlsClients(t *testing.T, e *env, roots *x509.CertPool, cert *tls.Certificate) (*grpc.ClientConn, *http.Client) {
	t.Helper()
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	conn, err := grpc.NewClient(e.srv.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	tr := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	return conn, &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func whoAmIOverHTTPS(t *testing.T, c *http.Client, e *env) (int, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.HTTPURL()+"/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestTLSWithClientCertificates: both APIs over TLS, client certificates
// required (the city platform's integration). The JSON gateway reaches the
// gRPC server internally, so JSON works as well.
func TestTLSWithClientCertificates(t *testing.T) {
	serverCA, clientCA := newTestCA(t, "ownervote test server CA"), newTestCA(t, "city platform test CA")
	serverCert := serverCA.issue(t, "ownervote.test", false)
	platformCert := clientCA.issue(t, "qingdao-smart-property-platform", true)
	strangerCert := newTestCA(t, "someone else").issue(t, "stranger", true)

	e := newEnv(t)
	e.reconfigure(func(c *server.Config) {
		c.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: clientCA.pool, ClientAuth: tls.RequireAndVerifyClientCert}
	})
	if !strings.HasPrefix(e.srv.HTTPURL(), "https://") {
		t.Errorf("HTTPURL() = %q, want https", e.srv.HTTPURL())
	}

	conn, hc := tlsClients(t, e, serverCA.pool, &platformCert)
	tok, err := ov.NewTokenServiceClient(conn).WhoAmI(e.ctx(e.admin), &ov.WhoAmIRequest{})
	if err != nil || tok.GetRole() != ov.Role_ROLE_STREET_ADMIN {
		t.Fatalf("WhoAmI over TLS with a client certificate = %v, %v", tok, err)
	}
	if code, err := whoAmIOverHTTPS(t, hc, e); err != nil || code != http.StatusOK {
		t.Errorf("GET /v1/whoami over HTTPS with a client certificate = %d, %v; want 200", code, err)
	}

	for _, tc := range []struct {
		name string
		cert *tls.Certificate
	}{{"no client certificate", nil}, {"certificate of an unknown CA", &strangerCert}} {
		conn, hc := tlsClients(t, e, serverCA.pool, tc.cert)
		if _, err := ov.NewTokenServiceClient(conn).WhoAmI(e.ctx(e.admin), &ov.WhoAmIRequest{}); status.Code(err) != codes.Unavailable {
			t.Errorf("gRPC with %s = %v, want Unavailable (handshake refused)", tc.name, err)
		}
		if code, err := whoAmIOverHTTPS(t, hc, e); err == nil {
			t.Errorf("HTTPS with %s = HTTP %d, want the handshake refused", tc.name, code)
		}
	}
	// Plain text to the TLS listeners is refused too.
	plain, err := grpc.NewClient(e.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := ov.NewTokenServiceClient(plain).WhoAmI(e.ctx(e.admin), &ov.WhoAmIRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("plain-text gRPC to the TLS listener = %v, want Unavailable", err)
	}
	if code := e.do("GET", "/v1/whoami", e.admin, nil, nil); code == http.StatusOK {
		t.Error("plain HTTP to the TLS listener answered 200")
	}
}

func TestTLSWithoutClientCertificates(t *testing.T) {
	ca := newTestCA(t, "ownervote test server CA")
	e := newEnv(t)
	e.reconfigure(func(c *server.Config) {
		c.TLS = &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "ownervote.test", false)}}
	})
	conn, hc := tlsClients(t, e, ca.pool, nil)
	if _, err := ov.NewTokenServiceClient(conn).WhoAmI(e.ctx(e.admin), &ov.WhoAmIRequest{}); err != nil {
		t.Errorf("WhoAmI over TLS = %v", err)
	}
	if code, err := whoAmIOverHTTPS(t, hc, e); err != nil || code != http.StatusOK {
		t.Errorf("GET /v1/whoami over HTTPS = %d, %v; want 200", code, err)
	}
	// A client that does not trust the server's CA refuses it.
	_, hc = tlsClients(t, e, x509.NewCertPool(), nil)
	if _, err := whoAmIOverHTTPS(t, hc, e); err == nil {
		t.Error("HTTPS client without the server's CA connected")
	}
}

// TestListenBeyondLoopback: without TLS the server refuses a non-loopback
// address unless told otherwise, and then warns.
func TestListenBeyondLoopback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := server.Config{Book: e.book, Tokens: e.tokens, Registry: e.reg}
	for _, addrs := range [][2]string{{"0.0.0.0:0", "127.0.0.1:0"}, {"127.0.0.1:0", ":0"}} {
		cfg := base
		cfg.GRPCAddr, cfg.HTTPAddr = addrs[0], addrs[1]
		var logs bytes.Buffer
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		srv, err := server.Start(ctx, cfg)
		if !errors.Is(err, server.ErrInsecureListen) {
			if srv != nil {
				srv.Shutdown(ctx)
			}
			t.Errorf("Start(gRPC %s, HTTP %s) without TLS = %v, want ErrInsecureListen", addrs[0], addrs[1], err)
		}

		cfg.InsecureListenAny = true
		srv, err = server.Start(ctx, cfg)
		if err != nil {
			t.Fatalf("Start(%v) with InsecureListenAny: %v", addrs, err)
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "without TLS") {
			t.Errorf("no warning logged for plain text on every interface:\n%s", logs.String())
		}
	}
	// With TLS any address is fine, without a warning.
	ca := newTestCA(t, "ownervote test server CA")
	cfg := base
	cfg.GRPCAddr, cfg.HTTPAddr = "0.0.0.0:0", "0.0.0.0:0"
	cfg.TLS = &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "ownervote.test", false)}}
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start on 0.0.0.0 with TLS: %v", err)
	}
	if !strings.HasPrefix(srv.HTTPURL(), "https://127.0.0.1:") {
		t.Errorf("HTTPURL() = %q, want https on loopback for an unspecified address", srv.HTTPURL())
	}
	srv.Shutdown(ctx)
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("warning logged for TLS on every interface:\n%s", logs.String())
	}
}

// TestStartTakesListeners: Start serves on listeners the caller opened, and
// closes them when it fails.
func TestStartTakesListeners(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	open := func() (net.Listener, net.Listener) {
		g, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return g, h
	}
	g, h := open()
	cfg := server.Config{GRPCAddr: g.Addr().String(), HTTPAddr: h.Addr().String(), GRPCListener: g, HTTPListener: h,
		Book: e.book, Tokens: e.tokens, Registry: e.reg, Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if srv.GRPCAddr() != g.Addr().String() || srv.HTTPURL() != "http://"+h.Addr().String() {
		t.Errorf("serving on %s and %s, want the listeners' %s and %s", srv.GRPCAddr(), srv.HTTPURL(), g.Addr(), h.Addr())
	}
	resp, err := http.Get(srv.HTTPURL() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz on the given listener: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	srv.Shutdown(ctx)

	// A failing Start (here: no registry) leaves no port taken.
	g, h = open()
	cfg.GRPCListener, cfg.HTTPListener, cfg.Registry = g, h, nil
	if _, err := server.Start(ctx, cfg); err == nil {
		t.Fatal("Start without a registry succeeded")
	}
	for _, ln := range []net.Listener{g, h} {
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(time.Second)) // an open one times out
		if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("listener %s after a failed Start: Accept = %v, want it closed", ln.Addr(), err)
		}
	}
}
