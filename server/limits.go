package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/roll"
)

// Limits bound what one request, and one token, may take. A zero field
// takes its default.
type Limits struct {
	// MaxRequestBytes bounds one request: a gRPC request message and a JSON
	// request body. DefaultMaxRequestBytes when zero.
	MaxRequestBytes int
	// TokenRate is how many requests per second one token may make,
	// sustained; DefaultTokenRate when zero, no limit when negative.
	TokenRate float64
	// TokenBurst is how many requests one token may make at once before
	// TokenRate applies; DefaultTokenBurst when zero.
	TokenBurst int
	// PlatformRate is TokenRate for PLATFORM tokens, through which the
	// city platform relays every online ballot of a whole city on the last
	// evening of a vote; DefaultPlatformRate when zero, no limit when
	// negative. Their burst is twice the rate.
	PlatformRate float64
	// RequestTimeout is the deadline given to a unary call whose client set
	// none (a client's own deadline is kept); DefaultRequestTimeout when
	// zero, none when negative. Streams (WatchProgress) get none: they last
	// as long as the client watches.
	RequestTimeout time.Duration
}

// The default limits: far above what the phone campaign, the web console
// or the city platform's intake need, low enough that one runaway client
// cannot take the server from everyone else.
const (
	DefaultMaxRequestBytes = 16 << 20
	DefaultTokenRate       = 1000
	DefaultTokenBurst      = 2000
	DefaultPlatformRate    = 50000
	DefaultRequestTimeout  = time.Minute
)

// maxResponseBytes bounds a reply the gateway receives from the gRPC
// server; replies are made by the server, so this only guards against a
// runaway list.
const maxResponseBytes = 64 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if l.TokenRate == 0 {
		l.TokenRate = DefaultTokenRate
	}
	if l.TokenBurst <= 0 {
		l.TokenBurst = DefaultTokenBurst
	}
	if l.PlatformRate == 0 {
		l.PlatformRate = DefaultPlatformRate
	}
	if l.RequestTimeout == 0 {
		l.RequestTimeout = DefaultRequestTimeout
	}
	return l
}

// Errors of the limits, mapped in errors.go.
var (
	// ErrRateLimited: the token made more requests than Limits allow.
	ErrRateLimited = errors.New("server: too many requests for this token")
	// ErrRequestTooLarge: a JSON request body exceeds MaxRequestBytes.
	// (gRPC refuses an over-size message itself, with RESOURCE_EXHAUSTED.)
	ErrRequestTooLarge = errors.New("server: request too large")
)

// tokenBuckets is a token bucket per token id.
type tokenBuckets struct {
	rate  float64 // tokens per second; <= 0 means no limit
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newTokenBuckets(l Limits, now func() time.Time) *tokenBuckets {
	return &tokenBuckets{rate: l.TokenRate, burst: float64(l.TokenBurst), now: now, buckets: make(map[string]*tokenBucket)}
}

// take takes one request from id's bucket. When the bucket is empty it
// takes nothing and returns how long until a request is allowed.
func (tb *tokenBuckets) take(id string) (ok bool, wait time.Duration) {
	if tb.rate <= 0 {
		return true, 0
	}
	now := tb.now()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	b := tb.buckets[id]
	if b == nil {
		b = &tokenBucket{tokens: tb.burst, last: now}
		tb.buckets[id] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(tb.burst, b.tokens+elapsed*tb.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / tb.rate * float64(time.Second))
}

// limiter enforces Limits in interceptors and HTTP handlers.
type limiter struct {
	limits   Limits
	buckets  *tokenBuckets
	platform *tokenBuckets
	log      *slog.Logger
}

func newLimiter(l Limits, log *slog.Logger) *limiter {
	l = l.withDefaults()
	p := l
	p.TokenRate, p.TokenBurst = l.PlatformRate, int(2*l.PlatformRate)
	return &limiter{limits: l, buckets: newTokenBuckets(l, time.Now), platform: newTokenBuckets(p, time.Now), log: log}
}

// admit charges one request to the caller's token; calls without a token
// (public methods) are not charged here.
func (l *limiter) admit(ctx context.Context) error {
	tok := tokenFrom(ctx)
	if tok.ID == "" {
		return nil
	}
	buckets := l.buckets
	if tok.Role == auth.Platform {
		buckets = l.platform
	}
	ok, wait := buckets.take(tok.ID)
	if ok {
		return nil
	}
	wait = max(wait.Round(time.Millisecond), time.Millisecond)
	return toStatus(ctx, l.log, &roll.RetryError{After: wait, Err: fmt.Errorf("%w: token %s may make %g requests per second (bursts of %g); retry in %s",
		ErrRateLimited, tok.ID, buckets.rate, buckets.burst, wait)})
}

// deadline gives a unary call the default deadline when its client set
// none. It runs before authentication, so that a slow store bounds that
// too.
func (l *limiter) deadline(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if _, ok := ctx.Deadline(); !ok && l.limits.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.limits.RequestTimeout)
		defer cancel()
	}
	return handler(ctx, req)
}

// unary rate-limits authenticated unary calls; it runs after the
// authorizer, which puts the token in the context.
func (l *limiter) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := l.admit(ctx); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// stream rate-limits the start of authenticated streams.
func (l *limiter) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := l.admit(ss.Context()); err != nil {
		return err
	}
	return handler(srv, ss)
}

// limitBody refuses a JSON request whose body exceeds MaxRequestBytes with
// HTTP 413 and the reason REQUEST_TOO_LARGE, before any of it reaches the
// gateway. The body is read here (at most MaxRequestBytes), so that an
// over-size body is refused whole rather than cut off part way through
// decoding.
func (l *limiter) limitBody(next http.Handler) http.Handler {
	max := int64(l.limits.MaxRequestBytes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := func() {
			err := fmt.Errorf("%w: the body may have at most %d bytes", ErrRequestTooLarge, max)
			writeHTTPError(w, r, http.StatusRequestEntityTooLarge, toStatus(r.Context(), l.log, err))
		}
		if r.ContentLength > max {
			tooLarge()
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			// A body that trickles in is bounded like a call (a server-wide
			// ReadTimeout would also cut the JSON progress stream).
			rc := http.NewResponseController(w)
			if l.limits.RequestTimeout > 0 {
				rc.SetReadDeadline(time.Now().Add(l.limits.RequestTimeout))
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
			rc.SetReadDeadline(time.Time{})
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					tooLarge()
					return
				}
				if errors.Is(err, os.ErrDeadlineExceeded) {
					writeHTTPError(w, r, http.StatusRequestTimeout, toStatus(r.Context(), l.log, fmt.Errorf("%w: the request body did not arrive in time", context.DeadlineExceeded)))
					return
				}
				l.log.InfoContext(r.Context(), "reading a request body", "path", r.URL.Path, "err", err)
				writeHTTPError(w, r, http.StatusBadRequest, status.Error(codes.InvalidArgument, "could not read the request body"))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// writeHTTPError writes a gRPC status as the gateway does: the
// google.rpc.Status as JSON, with the given HTTP status code.
func writeHTTPError(w http.ResponseWriter, r *http.Request, code int, err error) {
	st := status.Convert(err)
	body, merr := protojson.MarshalOptions{UseProtoNames: true}.Marshal(st.Proto())
	if merr != nil {
		body = []byte(`{"code":13,"message":"internal error"}`)
	}
	errorHeaders(w.Header(), r, st)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}
