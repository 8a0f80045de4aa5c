package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/assembly/assemblytest"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/server"
	"github.com/ownervote/ownervote/store"
)

var (
	testSecret = bytes.Repeat([]byte{5}, 32)
	receiptKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{6}, 32))
)

// clock is the server's clock in tests, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// env is a real server on a real bbolt file in a temp dir, with real gRPC
// and HTTP listeners on loopback.
type env struct {
	t      testing.TB
	dir    string
	st     *store.Bolt
	book   *roll.Book
	tokens *auth.Tokens
	reg    *assembly.Registry
	clock  *clock
	srv    *server.Server
	conn   *grpc.ClientConn
	admin  string // all-community street-admin token
	logs   *bytes.Buffer
	// failSync, while set, makes the registry's writes report a failed
	// fdatasync (see assemblytest.Disk).
	failSync atomic.Bool
	// configure, when set, adjusts the server's Config before each start.
	configure func(*server.Config)
	// revealQuota is the roll's Config.RevealQuota at each start.
	revealQuota int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), logs: &bytes.Buffer{}, clock: &clock{now: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}}
	e.start()
	_, secret, err := e.tokens.Create(context.Background(), auth.StreetAdmin, "", "test admin")
	if err != nil {
		t.Fatal(err)
	}
	e.admin = secret
	t.Cleanup(e.stop)
	return e
}

func (e *env) start() {
	t := e.t
	t.Helper()
	var err error
	e.st, err = store.OpenBolt(filepath.Join(e.dir, "ownervote.db"), store.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.book, err = roll.NewBook(e.st, roll.Config{Secret: testSecret, RevealQuota: e.revealQuota})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens = auth.NewTokens(e.st, auth.Config{})
	logSigner, logVKey, err := audit.LogKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.reg, err = assembly.NewRegistry(&assemblytest.Disk{Bolt: e.st, FailSync: &e.failSync}, assembly.Config{ReceiptKey: receiptKey, LogSigner: logSigner, LogVerifierKey: logVKey, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Book: e.book, Tokens: e.tokens, Registry: e.reg, Logger: log, Backup: e.st}
	if e.configure != nil {
		e.configure(&cfg)
	}
	e.srv, err = server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.conn, err = grpc.NewClient(e.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) stop() {
	if e.srv == nil {
		return
	}
	e.conn.Close()
	if err := e.srv.Shutdown(context.Background()); err != nil {
		e.t.Errorf("Shutdown: %v", err)
	}
	if err := e.st.Close(); err != nil {
		e.t.Errorf("store Close: %v", err)
	}
	e.srv = nil
}

// restart stops the server, closes the database and opens both again.
func (e *env) restart() {
	e.stop()
	e.start()
}

// ctx returns a context that carries token as bearer credentials.
func (e *env) ctx(token string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	e.t.Cleanup(cancel)
	if token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// token creates a token directly in the store.
func (e *env) token(role auth.Role, community string) string {
	e.t.Helper()
	_, secret, err := e.tokens.Create(context.Background(), role, community, string(role)+" "+community)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// tokenFor issues a token of role to the person whose signer id is
// signerID (auth.Tokens.CreateFor) and returns its secret.
func (e *env) tokenFor(role auth.Role, community, signerID string) string {
	e.t.Helper()
	_, secret, err := e.tokens.CreateFor(context.Background(), role, community, string(role)+" "+signerID, signerID, time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// do sends a JSON request through the gateway and decodes the reply into
// out (if not nil); it returns the HTTP status.
func (e *env) do(method, path, token string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+e.srv.HTTPAddr()+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decoding %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// apiError is the JSON body of an error reply.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type            string            `json:"@type"`
		Reason          string            `json:"reason"`
		Locale          string            `json:"locale"`
		Message         string            `json:"message"`
		Metadata        map[string]string `json:"metadata"`
		FieldViolations []struct {
			Field       string `json:"field"`
			Description string `json:"description"`
			Reason      string `json:"reason"`
		} `json:"field_violations"`
	} `json:"details"`
}

// zh is the error's zh-CN message, if any.
func (a apiError) zh() string {
	for _, d := range a.Details {
		if d.Locale == "zh-CN" {
			return d.Message
		}
	}
	return ""
}

func (a apiError) reason() string {
	for _, d := range a.Details {
		if d.Type == "type.googleapis.com/google.rpc.ErrorInfo" {
			return d.Reason
		}
	}
	return ""
}
