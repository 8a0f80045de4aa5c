package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/demo"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/server"
	"github.com/ownervote/ownervote/store"
)

func init() {
	commands["serve"] = command{summary: "run the platform: gRPC and the JSON API", run: runServe}
}

// storeOpened is given serve's store once it is open: nothing to do, but
// in the test builds of faults.go.
var storeOpened = func(*store.Bolt) {}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dataDir := fl.String("data", "./data", "directory of the database and the identity secret")
	grpcAddr := fl.String("grpc-addr", "127.0.0.1:7700", "gRPC listen address")
	httpAddr := fl.String("http-addr", "127.0.0.1:7780", "JSON API (HTTP) listen address")
	seed := fl.Bool("demo", false, "seed the demo community on an empty database and print an admin token")
	level := fl.String("log-level", "info", "log level: debug, info, warn, error")
	quotaFlag := fl.Int("phone-reveal-quota", roll.DefaultRevealQuota, "owners' full phone numbers one sign-in may reveal a day (China time); 0 for no quota")
	sf := addServeSecurityFlags(fl)
	kp := addKeyFlags(fl)
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	tuneGC()
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	}
	if *quotaFlag < 0 {
		return fmt.Errorf("%w: --phone-reveal-quota %d: a number of owners a day, or 0 for no quota", errUsage, *quotaFlag)
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	// Every flag is checked before the data directory is touched.
	cfg := server.Config{GRPCAddr: *grpcAddr, HTTPAddr: *httpAddr, Logger: log}
	started := false
	if err := sf.apply(&cfg); err != nil {
		return err
	}
	for _, addr := range []string{*grpcAddr, *httpAddr} {
		// A malformed or insecure address is a command-line mistake; a
		// name that does not resolve now may resolve at the next start.
		var ae *net.AddrError
		switch err := server.CheckListenAddr(addr, cfg); {
		case errors.Is(err, server.ErrInsecureListen), errors.As(err, &ae):
			return fmt.Errorf("%w: %v", errUsage, err)
		case err != nil:
			return err
		}
	}
	// The ports are taken now, before the data directory is made, and
	// served by Start; until then, an early return closes them.
	for _, l := range []struct {
		addr string
		ln   *net.Listener
	}{{*grpcAddr, &cfg.GRPCListener}, {*httpAddr, &cfg.HTTPListener}} {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return fmt.Errorf("cannot listen on %s: %w", l.addr, err)
		}
		*l.ln = ln
		defer func() {
			if !started {
				ln.Close()
			}
		}()
	}

	d, err := openDataWith(*dataDir, *kp, log)
	if err != nil {
		return err
	}
	st := d.st
	defer st.Close() // for the early returns; closed explicitly after shutdown
	storeOpened(st)
	book, err := roll.NewBook(st, roll.Config{Secret: d.secret, RevealQuota: revealQuota(*quotaFlag)})
	if err != nil {
		return err
	}
	tokens := auth.NewTokens(st, auth.Config{})
	reg, err := assembly.NewRegistry(st, assembly.Config{ReceiptKey: d.receiptKey, LogSigner: d.logSigner, LogVerifierKey: d.logVKey, Logger: log})
	if err != nil {
		return err
	}

	cfg.Book, cfg.Tokens, cfg.Registry, cfg.Backup = book, tokens, reg, st
	srv, err := server.Start(ctx, cfg)
	started = true // Start serves the listeners, or has closed them
	if errors.Is(err, server.ErrInsecureListen) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return err
	}
	// The demo is seeded once the server listens: a port in use leaves no
	// token behind that nobody was shown.
	if *seed {
		demoToken, err := seedDemo(ctx, book, tokens, log)
		if err != nil {
			srv.Shutdown(context.Background())
			return err
		}
		printDemo(stdout, srv, demoToken)
	}
	var failed error // what stops the server other than a signal
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing requests in flight")
	case err := <-srv.Err():
		log.Error("listener failed, shutting down", "err", err)
		failed = err
	case <-st.Failed():
		// Nothing more can be written until the store is opened again:
		// stop (applying what was acknowledged, with an error for a
		// supervisor to start the server again) rather than refuse every
		// write while looking healthy.
		failed = st.WriteErr()
		log.Error("the disk failed a write, shutting down: start the server again to take writes", "err", failed)
	}
	if failed != nil {
		srv.Shutdown(context.Background())
		return failed
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	log.Info("stopped; database closed")
	return nil
}

// seedDemo seeds the demo community on an empty database and makes a
// street-admin token to try it with.
func seedDemo(ctx context.Context, book *roll.Book, tokens *auth.Tokens, log *slog.Logger) (string, error) {
	created, err := demo.Seed(ctx, book)
	if err != nil {
		return "", err
	}
	if created {
		log.InfoContext(ctx, "demo community seeded", "community", demo.CommunityID, "units", demo.Households)
	}
	_, token, err := tokens.Create(ctx, auth.StreetAdmin, "", "演示管理员 demo admin")
	return token, err
}

// revealQuota is roll.Config.RevealQuota for serve's --phone-reveal-quota,
// whose 0 is no quota (the Config's zero is its default).
func revealQuota(flag int) int {
	if flag == 0 {
		return -1
	}
	return flag
}

func printDemo(w io.Writer, srv *server.Server, token string) {
	base := srv.HTTPURL()
	var b strings.Builder
	fmt.Fprintf(&b, "\n演示小区已就绪 / demo community ready: %s (%s)\n", demo.Community.Name, demo.CommunityID)
	fmt.Fprintf(&b, "管理员令牌 / admin token (shown once, keep it private):\n  %s\n\n", token)
	fmt.Fprintf(&b, "Console:    %s/  (工作台 web console: sign in with the token above)\n", base)
	fmt.Fprintf(&b, "JSON API:   %s/v1/communities\n", base)
	fmt.Fprintf(&b, "OpenAPI:    %s/openapi.json\n", base)
	fmt.Fprintf(&b, "gRPC:       %s\n\n", srv.GRPCAddr())
	fmt.Fprintf(&b, "Try:\n  curl -H \"Authorization: Bearer %s\" %s/v1/communities/%s\n\n", token, base, demo.CommunityID)
	io.WriteString(w, b.String())
}
