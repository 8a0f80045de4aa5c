package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/server"
	"github.com/ownervote/ownervote/store"
	"github.com/ownervote/ownervote/tally"
)

// Config configures a run.
type Config struct {
	// Dir holds the server's and the ceiling's database files.
	Dir string
	// Communities × Households is the synthetic city.
	Communities, Households int
	// Concurrency is the number of concurrent clients in every phase.
	Concurrency int
	// Duration is the length of each phase. The phases run interleaved, in
	// rounds of Round (gRPC, JSON, ceiling, each Round/3), so that a noisy
	// neighbour weighs on all three alike.
	Duration time.Duration
	// Round is the length of one round of the three phases; 3 s when zero.
	Round time.Duration
	// CeilingBatchSize and CeilingBatchDelay are the ceiling's group
	// commit (bbolt's DB.Batch MaxBatchSize and MaxBatchDelay); zero means
	// DefaultCeilingBatchSize(Concurrency) and DefaultCeilingBatchDelay.
	CeilingBatchSize  int
	CeilingBatchDelay time.Duration
	// Skip names phases not to run ("grpc", "json", "ceiling"), to profile
	// one alone; the ratios that need a skipped phase are then zero.
	Skip []string
	// CPUProfile, when set, receives a CPU profile (pprof) of the measured
	// rounds alone, without building the city and signing its ballots.
	CPUProfile io.Writer
	// Log receives progress; nothing when nil.
	Log *slog.Logger
	// Progress receives human-readable lines as the run goes; may be nil.
	Progress io.Writer
}

// Phase is what one phase measured.
type Phase struct {
	Acked      int64         `json:"acked"`
	Errors     int64         `json:"errors"`
	Elapsed    time.Duration `json:"-"`
	PerSecond  float64       `json:"per_s"`
	P50, P95   time.Duration `json:"-"`
	P99        time.Duration `json:"-"`
	FirstError string        `json:"first_error,omitempty"`
	// CPU is the process's CPU time (user and system, client and server
	// together) while the phase ran.
	CPU time.Duration `json:"-"`
	// Pages is the number of database pages written while the phase ran.
	Pages       int64 `json:"-"`
	Exhausted   bool  `json:"exhausted"`
	latencies   []time.Duration
	latenciesMu sync.Mutex
	firstErr    sync.Once
}

// Result is a run's figures. Its JSON is the last line of `ownervote
// bench`.
type Result struct {
	GRPCPerSecond    float64 `json:"grpc_ballots_per_s"`
	JSONPerSecond    float64 `json:"json_ballots_per_s"`
	CeilingPerSecond float64 `json:"ceiling_ballots_per_s"`
	GRPCRatio        float64 `json:"grpc_ratio"`
	JSONToGRPCRatio  float64 `json:"json_to_grpc_ratio"`
	GRPCP50ms        float64 `json:"grpc_p50_ms"`
	GRPCP95ms        float64 `json:"grpc_p95_ms"`
	GRPCP99ms        float64 `json:"grpc_p99_ms"`
	JSONP50ms        float64 `json:"json_p50_ms"`
	JSONP95ms        float64 `json:"json_p95_ms"`
	JSONP99ms        float64 `json:"json_p99_ms"`
	CeilingP99ms     float64 `json:"ceiling_p99_ms"`
	// CPU per acknowledged request (client and server in one process), and
	// the share of the machine's cores the phase kept busy.
	GRPCCPUus    float64 `json:"grpc_cpu_us"`
	JSONCPUus    float64 `json:"json_cpu_us"`
	CeilingCPUus float64 `json:"ceiling_cpu_us"`
	GRPCCores    float64 `json:"grpc_cores"`
	CeilingCores float64 `json:"ceiling_cores"`
	// Database pages (4 KiB) written per acknowledged request.
	GRPCPages     float64 `json:"grpc_pages_per_ballot"`
	CeilingPages  float64 `json:"ceiling_pages_per_request"`
	Acked         int64   `json:"acked"`
	Stored        int64   `json:"stored"`
	CeilingAcked  int64   `json:"ceiling_acked"`
	CeilingStored int64   `json:"ceiling_stored"`
	Errors        int64   `json:"errors"`
	Concurrency   int     `json:"concurrency"`
	Voters        int     `json:"voters"`
	PhaseSeconds  float64 `json:"phase_s"`
	// The ceiling's group commit, as it ran.
	CeilingBatchSize    int     `json:"ceiling_batch_size"`
	CeilingBatchDelayMs float64 `json:"ceiling_batch_delay_ms"`
}

// prepared is a signed ballot ready to send: its assembly in
// city.targets, its bytes in city.data. The city's ballots are thus a few
// pointer-free arrays, which the collector does not mark: the bench's
// client shares the server's process, and 100,000 ballots held as strings
// and slices (~400,000 objects) made every collection of the server mark
// them, which a real server, whose clients are elsewhere, never does.
type prepared struct {
	target               int // index into city.targets
	canonical, sig, body span
}

// span is where a prepared ballot's part is in city.data.
type span struct{ off, n int }

// target is an assembly ballots are sent to.
type target struct{ community, assembly string }

// part returns a prepared ballot's part.
func (c *city) part(s span) []byte { return c.data[s.off : s.off+s.n : s.off+s.n] }

type city struct {
	srv       *server.Server
	st        *store.Bolt
	reg       *assembly.Registry
	token     string
	platform  ed25519.PrivateKey
	ballots   []prepared
	targets   []target
	data      []byte
	voters    int
	closeDown func() error
}

func (c Config) printf(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", args...)
	}
}

// buildCity starts a server and builds the synthetic city: communities,
// units, a platform signing key, one open assembly per community, and one
// signed PLATFORM ballot per voter.
func buildCity(ctx context.Context, cfg Config) (*city, error) {
	st, err := store.OpenBolt(filepath.Join(cfg.Dir, "ownervote.db"), store.BoltOptions{})
	if err != nil {
		return nil, err
	}
	seed := make([]byte, 32)
	rand.Read(seed)
	book, err := roll.NewBook(st, roll.Config{Secret: seed})
	if err != nil {
		return nil, err
	}
	logSigner, logVKey, err := audit.LogKey(seed)
	if err != nil {
		return nil, err
	}
	_, receiptKey, _ := ed25519.GenerateKey(nil)
	reg, err := assembly.NewRegistry(st, assembly.Config{ReceiptKey: receiptKey, LogSigner: logSigner, LogVerifierKey: logVKey})
	if err != nil {
		return nil, err
	}
	tokens := auth.NewTokens(st, auth.Config{})
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := server.Start(ctx, server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Book: book, Tokens: tokens, Registry: reg,
		Logger: log, Limits: server.Limits{TokenRate: -1, PlatformRate: -1}})
	if err != nil {
		st.Close()
		return nil, err
	}
	c := &city{srv: srv, st: st, reg: reg, closeDown: func() error {
		err := srv.Shutdown(context.Background())
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		return err
	}}
	fail := func(err error) (*city, error) {
		c.closeDown()
		return nil, err
	}
	_, c.token, err = tokens.Create(ctx, auth.StreetAdmin, "", "bench")
	if err != nil {
		return fail(err)
	}
	platformPub, platformKey, _ := ed25519.GenerateKey(nil)
	c.platform = platformKey
	if _, err := reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.PlatformSigner, ID: "bench-platform", Name: "bench platform", PublicKey: platformPub}, "bench"); err != nil {
		return fail(err)
	}
	type ready struct {
		community, assembly, roll string
		voters                    []string
	}
	var assemblies []ready
	var cids []string
	for ci := range cfg.Communities {
		cid := fmt.Sprintf("bench-%04d", ci)
		if _, err := book.CreateCommunity(ctx, roll.Community{ID: cid, Name: "基准小区 " + cid, StreetOffice: "基准街道"}); err != nil {
			return fail(err)
		}
		units := make([]roll.UnitInput, cfg.Households)
		for h := range units {
			n := ci*cfg.Households + h
			first := fmt.Sprintf("990000%08d%03d", 19700101+n/1000%10000, n%1000)
			units[h] = roll.UnitInput{ID: fmt.Sprintf("%d-%d-%d%02d", 1+h/60, 1+h/12%5, 1+h/2%6, 1+h%2),
				Registered: fmt.Sprintf("%d.%02d", 50+n%70, n%100), Kind: roll.Person,
				Owners: []roll.OwnerInput{{Name: fmt.Sprintf("业主%d", n), IDNumber: first + string(roll.ResidentIDCheck(first))}}}
		}
		if _, err := book.Import(ctx, cid, units); err != nil {
			return fail(err)
		}
		cids = append(cids, cid)
	}
	// Publishing freezes every roll: give it time before voting opens.
	opens := time.Now().Add(2*time.Second + time.Duration(cfg.Communities*cfg.Households)*40*time.Microsecond).UTC()
	for _, cid := range cids {
		memberPub, _, _ := ed25519.GenerateKey(nil)
		if _, err := reg.RegisterSigner(ctx, assembly.Signer{Kind: assembly.CommitteeSigner, ID: "member-" + cid, Name: "委员", CommunityID: cid, PublicKey: memberPub}, "bench"); err != nil {
			return fail(err)
		}
		a, err := reg.Create(ctx, assembly.Assembly{ID: "a-" + cid, CommunityID: cid, Title: "基准表决",
			Motions: []assembly.Motion{{ID: "m1", Title: "选聘物业", Matter: tally.SelectPropertyFirm}},
			Opens:   opens, Closes: opens.Add(24 * time.Hour), Channels: []ballot.Channel{ballot.Platform},
			Committee: assembly.Committee{Members: []string{ballot.KeyID(memberPub)}, K: 1}, ShortNoticeReason: "benchmark"}, "bench")
		if err != nil {
			return fail(err)
		}
		if a, err = reg.Publish(ctx, a.ID); err != nil {
			return fail(err)
		}
		all, err := book.Units(ctx, cid)
		if err != nil {
			return fail(err)
		}
		r := ready{community: cid, assembly: a.ID, roll: a.RollDigest}
		for _, u := range all {
			r.voters = append(r.voters, u.Voter())
		}
		assemblies = append(assemblies, r)
	}
	cfg.printf("city: %d communities × %d households, %d open assemblies", cfg.Communities, cfg.Households, len(assemblies))

	// One signed ballot per voter, interleaved across assemblies as the city
	// platform would relay them; signed before the clock starts.
	type signed struct {
		target               int
		voter                string
		canonical, sig, body []byte
	}
	var todo []signed
	for i := range cfg.Households {
		for t, a := range assemblies {
			if i < len(a.voters) {
				todo = append(todo, signed{target: t, voter: a.voters[i]})
			}
		}
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	rng.Shuffle(len(todo), func(i, j int) { todo[i], todo[j] = todo[j], todo[i] })
	keyID := ballot.KeyID(platformPub)
	var wg sync.WaitGroup
	var signErr atomic.Value
	workers := 2
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(todo); i += workers {
				p := &todo[i]
				a := &assemblies[p.target]
				choice := []string{"AGREE", "AGREE", "OPPOSE", "ABSTAIN"}[i%4]
				var nonce [16]byte
				rand.Read(nonce[:])
				b := &ballot.Ballot{Assembly: a.assembly, RollDigest: a.roll, Voter: p.voter, Channel: ballot.Platform,
					Signer: ballot.SignerPlatform, KeyID: keyID, Nonce: fmt.Sprintf("%x", nonce), Time: opens.Truncate(time.Second),
					PlatformVoteID: fmt.Sprintf("qd-%d", i), Choices: []ballot.Choice{{Motion: "m1", Values: []string{choice}}}}
				canonical, sig, err := ballot.Sign(b, platformKey)
				if err != nil {
					signErr.Store(err)
					return
				}
				body, _ := json.Marshal(map[string]string{"ballot": base64.StdEncoding.EncodeToString(canonical), "signature": base64.StdEncoding.EncodeToString(sig)})
				p.canonical, p.sig, p.body = canonical, sig, body
			}
		})
	}
	wg.Wait()
	if err, ok := signErr.Load().(error); ok {
		return fail(err)
	}
	for _, a := range assemblies {
		c.targets = append(c.targets, target{community: a.community, assembly: a.assembly})
	}
	size := 0
	for _, p := range todo {
		size += len(p.canonical) + len(p.sig) + len(p.body)
	}
	c.data = make([]byte, 0, size)
	c.ballots = make([]prepared, len(todo))
	add := func(b []byte) span {
		c.data = append(c.data, b...)
		return span{off: len(c.data) - len(b), n: len(b)}
	}
	for i, p := range todo {
		c.ballots[i] = prepared{target: p.target, canonical: add(p.canonical), sig: add(p.sig), body: add(p.body)}
	}
	c.voters = len(todo)
	if d := time.Until(opens); d > 0 {
		time.Sleep(d + 50*time.Millisecond)
	}
	return c, nil
}

// sink is the store a phase writes to.
type sink interface {
	// PagesWritten counts the pages written so far.
	PagesWritten() int64
	// Flush finishes the work the store deferred.
	Flush() error
}

// ceilingSink is the ceiling's bbolt file, which defers nothing.
type ceilingSink func() int64

func (c ceilingSink) PagesWritten() int64 { return c() }
func (ceilingSink) Flush() error          { return nil }

// runSlice sends requests from next with cfg.Concurrency clients for d
// or until next runs out, adding to ph what they took, with the CPU time
// and the pages written to st; st's deferred work is done (and counted)
// at the end.
func runSlice(ctx context.Context, cfg Config, ph *Phase, d time.Duration, st sink, next func() (int, bool), send func(ctx context.Context, i int) error) {
	deadline := time.Now().Add(d)
	start := time.Now()
	cpu0, pages0 := processCPU(), st.PagesWritten()
	var exhausted atomic.Bool
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			var local []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				i, ok := next()
				if !ok {
					exhausted.Store(true)
					break
				}
				t0 := time.Now()
				err := send(ctx, i)
				d := time.Since(t0)
				if err != nil {
					atomic.AddInt64(&ph.Errors, 1)
					ph.firstErr.Do(func() { ph.FirstError = err.Error() })
					continue
				}
				atomic.AddInt64(&ph.Acked, 1)
				local = append(local, d)
			}
			ph.latenciesMu.Lock()
			ph.latencies = append(ph.latencies, local...)
			ph.latenciesMu.Unlock()
		})
	}
	wg.Wait()
	// Work the store defers (applying its journal) is the phase's: it is
	// done now, on the phase's clock, rather than in the next phase's.
	if err := st.Flush(); err != nil {
		atomic.AddInt64(&ph.Errors, 1)
		ph.firstErr.Do(func() { ph.FirstError = err.Error() })
	}
	ph.Elapsed += time.Since(start)
	ph.CPU += processCPU() - cpu0
	ph.Pages += st.PagesWritten() - pages0
	ph.Exhausted = ph.Exhausted || exhausted.Load()
}

// finish computes the phase's rate and percentiles.
func (ph *Phase) finish() {
	if ph.Elapsed > 0 {
		ph.PerSecond = float64(ph.Acked) / ph.Elapsed.Seconds()
	}
	slices.Sort(ph.latencies)
	pct := func(p float64) time.Duration {
		if len(ph.latencies) == 0 {
			return 0
		}
		return ph.latencies[min(len(ph.latencies)-1, int(p*float64(len(ph.latencies))))]
	}
	ph.P50, ph.P95, ph.P99 = pct(0.50), pct(0.95), pct(0.99)
}

// cpuPerOp is the CPU time per acknowledged request, in microseconds.
func (ph *Phase) cpuPerOp() float64 {
	if ph.Acked == 0 {
		return 0
	}
	return float64(ph.CPU.Microseconds()) / float64(ph.Acked)
}

// pagesPerOp is the number of database pages written per acknowledged
// request.
func (ph *Phase) pagesPerOp() float64 {
	if ph.Acked == 0 {
		return 0
	}
	return float64(ph.Pages) / float64(ph.Acked)
}

// cores is the number of cores the phase kept busy on average.
func (ph *Phase) cores() float64 {
	if ph.Elapsed == 0 {
		return 0
	}
	return ph.CPU.Seconds() / ph.Elapsed.Seconds()
}

// counter hands out indexes [from, to).
func counter(from, to int) func() (int, bool) {
	var n atomic.Int64
	n.Store(int64(from) - 1)
	return func() (int, bool) {
		i := int(n.Add(1))
		return i, i < to
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Check returns cfg with its defaults filled in, or an ErrConfig saying
// what is wrong with it: a caller checks before making the files Run needs.
func (cfg Config) Check() (Config, error) {
	if cfg.Concurrency < 1 || cfg.Duration <= 0 || cfg.Communities < 1 || cfg.Households < 1 {
		return cfg, fmt.Errorf("%w: concurrency, duration, communities and households must be positive", ErrConfig)
	}
	if cfg.Round <= 0 {
		cfg.Round = 3 * time.Second
	}
	if cfg.CeilingBatchSize == 0 {
		cfg.CeilingBatchSize = DefaultCeilingBatchSize(cfg.Concurrency)
	}
	if cfg.CeilingBatchDelay == 0 {
		cfg.CeilingBatchDelay = DefaultCeilingBatchDelay
	}
	return cfg, checkCeilingBatch(cfg.CeilingBatchSize, cfg.CeilingBatchDelay, cfg.Round/3)
}

// Run builds the city and measures the three phases.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg, err := cfg.Check()
	if err != nil {
		return Result{}, err
	}
	c, err := buildCity(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	defer c.closeDown()
	half := len(c.ballots) / 2

	conn, err := grpc.NewClient(c.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	as := ov.NewAssemblyServiceClient(conn)
	authCtx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)

	httpc := &http.Client{Transport: &http.Transport{MaxIdleConns: cfg.Concurrency * 2, MaxIdleConnsPerHost: cfg.Concurrency * 2, MaxConnsPerHost: cfg.Concurrency * 2}}
	base := "http://" + c.srv.HTTPAddr()
	addr, ceilingPages, stopCeiling, err := startCeiling(cfg.Dir, cfg.CeilingBatchSize, cfg.CeilingBatchDelay)
	if err != nil {
		return Result{}, err
	}
	cconn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return Result{}, err
	}
	bs := ov.NewBenchServiceClient(cconn)
	pub := c.platform.Public().(ed25519.PublicKey)

	sendGRPC := func(ctx context.Context, i int) error {
		p := &c.ballots[i]
		t := &c.targets[p.target]
		_, err := as.SubmitBallot(ctx, &ov.SubmitBallotRequest{CommunityId: t.community, AssemblyId: t.assembly, Ballot: c.part(p.canonical), Signature: c.part(p.sig)})
		return err
	}
	sendJSON := func(ctx context.Context, i int) error {
		p := &c.ballots[i]
		t := &c.targets[p.target]
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/communities/"+t.community+"/assemblies/"+t.assembly+"/ballots", bytes.NewReader(c.part(p.body)))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpc.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
		}
		return nil
	}
	// The ceiling checks no uniqueness, so the same signed ballots serve
	// again as long as the phase lasts.
	sendCeiling := func(ctx context.Context, i int) error {
		p := &c.ballots[i%len(c.ballots)]
		_, err := bs.Ingest(ctx, &ov.IngestRequest{Payload: c.part(p.canonical), Signature: c.part(p.sig), PublicKey: pub})
		return err
	}

	slice := cfg.Round / 3
	rounds := max(1, int(cfg.Duration/slice))
	grpcPhase, jsonPhase, ceilPhase := &Phase{}, &Phase{}, &Phase{}
	nextGRPC, nextJSON, nextCeiling := counter(0, half), counter(half, len(c.ballots)), counter(0, math.MaxInt)
	cfg.printf("%d clients, %d rounds of %s: gRPC, JSON, ceiling (bare verify + group commit) in turn", cfg.Concurrency, rounds, cfg.Round)
	if cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(cfg.CPUProfile); err != nil {
			return Result{}, err
		}
	}
	for range rounds {
		if !slices.Contains(cfg.Skip, "grpc") {
			runSlice(authCtx, cfg, grpcPhase, slice, c.st, nextGRPC, sendGRPC)
		}
		if !slices.Contains(cfg.Skip, "json") {
			runSlice(ctx, cfg, jsonPhase, slice, c.st, nextJSON, sendJSON)
		}
		if !slices.Contains(cfg.Skip, "ceiling") {
			runSlice(ctx, cfg, ceilPhase, slice, ceilingSink(ceilingPages), nextCeiling, sendCeiling)
		}
	}
	if cfg.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	grpcPhase.finish()
	jsonPhase.finish()
	ceilPhase.finish()
	cconn.Close()
	ceilStored, err := stopCeiling()
	if err != nil {
		return Result{}, err
	}

	stored, err := countAccepted(ctx, c.st)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		GRPCPerSecond: grpcPhase.PerSecond, JSONPerSecond: jsonPhase.PerSecond, CeilingPerSecond: ceilPhase.PerSecond,
		GRPCP50ms: ms(grpcPhase.P50), GRPCP95ms: ms(grpcPhase.P95), GRPCP99ms: ms(grpcPhase.P99),
		JSONP50ms: ms(jsonPhase.P50), JSONP95ms: ms(jsonPhase.P95), JSONP99ms: ms(jsonPhase.P99), CeilingP99ms: ms(ceilPhase.P99),
		GRPCCPUus: grpcPhase.cpuPerOp(), JSONCPUus: jsonPhase.cpuPerOp(), CeilingCPUus: ceilPhase.cpuPerOp(),
		GRPCCores: grpcPhase.cores(), CeilingCores: ceilPhase.cores(),
		GRPCPages: grpcPhase.pagesPerOp(), CeilingPages: ceilPhase.pagesPerOp(),
		Acked: grpcPhase.Acked + jsonPhase.Acked, Stored: stored, CeilingAcked: ceilPhase.Acked, CeilingStored: ceilStored,
		Errors: grpcPhase.Errors + jsonPhase.Errors + ceilPhase.Errors, Concurrency: cfg.Concurrency, Voters: c.voters, PhaseSeconds: cfg.Duration.Seconds(),
		CeilingBatchSize: cfg.CeilingBatchSize, CeilingBatchDelayMs: ms(cfg.CeilingBatchDelay),
	}
	if res.CeilingPerSecond > 0 {
		res.GRPCRatio = res.GRPCPerSecond / res.CeilingPerSecond
	}
	if res.GRPCPerSecond > 0 {
		res.JSONToGRPCRatio = res.JSONPerSecond / res.GRPCPerSecond
	}
	for name, ph := range map[string]*Phase{"gRPC": grpcPhase, "JSON": jsonPhase, "ceiling": ceilPhase} {
		if ph.Errors > 0 {
			cfg.printf("%s phase: %d errors, first: %s", name, ph.Errors, ph.FirstError)
		}
		if ph.Exhausted {
			cfg.printf("%s phase ran out of voters before %s: make the city bigger for longer runs", name, cfg.Duration)
		}
	}
	return res, nil
}

// countAccepted counts the ACCEPTED ballots in the store.
func countAccepted(ctx context.Context, st store.Store) (int64, error) {
	var n int64
	err := st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(store.Ballots, nil, nil, func(_, v []byte) (bool, error) {
			var br struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(v, &br); err != nil {
				return false, err
			}
			if br.Status == string(assembly.Accepted) {
				n++
			}
			return true, nil
		})
	})
	return n, err
}
