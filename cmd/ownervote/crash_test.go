package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ownervote/ownervote/assembly"
	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/roll"
	"github.com/ownervote/ownervote/store"
)

var (
	crashSeed   = flag.Uint64("crash.seed", 20260508, "seed of the crash test: kill moments, ballots, keys")
	crashRounds = flag.Int("crash.rounds", 12, "SIGKILL rounds of the crash test (go test ./cmd/ownervote -run TestCrash -crash.rounds 200)")
)

// ownervoteBinary builds the real binary with `go build`, with the given
// build tags, into a temporary directory of the test.
func ownervoteBinary(t *testing.T, tags ...string) string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		gotool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "ownervote")
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	if out, err := exec.Command(gotool, append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one `ownervote serve` process.
type proc struct {
	cmd      *exec.Cmd
	stderr   *syncBuffer
	exited   chan struct{}
	waitErr  error
	grpcAddr string
	httpAddr string
}

var servingLine = regexp.MustCompile(`msg=serving grpc=(\S+) http=(\S+)`)

// startProc starts `ownervote serve` on dataDir with loopback ports chosen
// by the kernel; waitReady learns them from the log.
func startProc(t *testing.T, bin, dataDir string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--data", dataDir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, extra...)
	p := &proc{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// waitReady waits for the serving line; false if the process exited first.
func (p *proc) waitReady(t *testing.T) bool {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(p.stderr.String()); m != nil {
			p.grpcAddr, p.httpAddr = m[1], m[2]
			return true
		}
		select {
		case <-p.exited:
			return false
		case <-deadline:
			t.Fatalf("serve did not start within 30 s:\n%s", p.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// state says, for a failure message, whether the process is still running
// and what it logged last.
func (p *proc) state() string {
	if p == nil {
		return "no server"
	}
	log := p.stderr.String()
	if len(log) > 4000 {
		log = "…" + log[len(log)-4000:]
	}
	select {
	case <-p.exited:
		return fmt.Sprintf("serve exited: %v; its log ends:\n%s", p.waitErr, log)
	default:
		return "serve is running; its log ends:\n" + log
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// crashVote is the vote the crash test drives: a community, its signers,
// an open assembly and the tokens of two intake channels.
type crashVote struct {
	// running is the server the checks talk to, for failure messages.
	running     *proc
	dataDir     string
	admin       string
	community   string
	assembly    string
	rollDigest  string
	voters      []string
	platform    ed25519.PrivateKey
	staff       ed25519.PrivateKey
	staffID     string
	platTok     string
	staffTok    string
	receiptPub  ed25519.PublicKey
	logVerifier string
}

// adminToken makes a street-admin token in dataDir with `ownervote token
// create`, as an operator does before the first start.
func adminToken(t *testing.T, dataDir string) string {
	t.Helper()
	code, out, errOut := runCmd("token", "create", "--data", dataDir, "--role", "street-admin", "--label", "test admin")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	return strings.TrimSpace(out)
}

// reasonOf is the ErrorInfo reason of a gRPC error, or "".
func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func authCtx(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func crashIDNumber(n int) string {
	first := fmt.Sprintf("9900001970%07d", n)
	return first + string(roll.ResidentIDCheck(first))
}

func keyFrom(rng *rand.Rand) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(rng.Uint32())
	}
	return ed25519.NewKeyFromSeed(seed)
}

// setUp seeds the vote through the API of a running server.
func (cv *crashVote) setUp(t *testing.T, p *proc, rng *rand.Rand, voters int) {
	t.Helper()
	conn := dialProc(t, p)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := authCtx(ctx, cv.admin)
	rs, as, ss, ts := ov.NewRollServiceClient(conn), ov.NewAssemblyServiceClient(conn), ov.NewSignerServiceClient(conn), ov.NewTokenServiceClient(conn)
	if _, err := rs.CreateCommunity(admin, &ov.CreateCommunityRequest{Community: &ov.Community{CommunityId: cv.community, Name: "崩溃测试小区", StreetOffice: "金家岭街道"}}); err != nil {
		t.Fatal(err)
	}
	units := make([]*ov.UnitInput, voters)
	for i := range units {
		units[i] = &ov.UnitInput{UnitId: fmt.Sprintf("%d-1-%03d", 1+i/100, i%100), RegisteredAreaM2: "80.00",
			Owners: []*ov.OwnerInput{{Name: fmt.Sprintf("业主%04d", i), IdNumber: crashIDNumber(i)}}}
	}
	if _, err := rs.ImportUnits(admin, &ov.ImportUnitsRequest{CommunityId: cv.community, Units: units}); err != nil {
		t.Fatal(err)
	}
	cv.platform, cv.staff, cv.staffID = keyFrom(rng), keyFrom(rng), "staff-crash"
	committee := keyFrom(rng)
	for _, s := range []struct {
		key       ed25519.PrivateKey
		kind, id  string
		community string
	}{{cv.platform, "PLATFORM", "platform-crash", ""}, {cv.staff, "STAFF", cv.staffID, cv.community}, {committee, "COMMITTEE", "member-crash", cv.community}} {
		if _, err := ss.RegisterSigner(admin, &ov.RegisterSignerRequest{Signer: &ov.Signer{Kind: s.kind, SignerId: s.id, Name: s.id, CommunityId: s.community,
			PublicKey: s.key.Public().(ed25519.PublicKey)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tk := range []struct {
		role ov.Role
		out  *string
	}{{ov.Role_ROLE_PLATFORM, &cv.platTok}, {ov.Role_ROLE_COMMUNITY_STAFF, &cv.staffTok}} {
		r, err := ts.CreateToken(admin, &ov.CreateTokenRequest{Role: tk.role, CommunityId: cv.community, Label: "crash " + tk.role.String()})
		if err != nil {
			t.Fatal(err)
		}
		*tk.out = r.GetSecret()
	}
	opens := time.Now().Add(2 * time.Second).Truncate(time.Second)
	if _, err := as.CreateAssembly(admin, &ov.CreateAssemblyRequest{CommunityId: cv.community, Assembly: &ov.Assembly{
		AssemblyId: cv.assembly, Title: "崩溃测试：选聘物业服务企业",
		Motions: []*ov.Motion{{MotionId: "m1", Title: "选聘物业服务企业", Matter: ov.Matter_MATTER_SELECT_PROPERTY_FIRM}},
		OpensAt: timestamppb.New(opens), ClosesAt: timestamppb.New(opens.Add(24 * time.Hour)),
		Channels:          []ov.Channel{ov.Channel_CHANNEL_PLATFORM, ov.Channel_CHANNEL_PHONE},
		Committee:         &ov.Committee{MemberKeyIds: []string{ballot.KeyID(committee.Public().(ed25519.PublicKey))}, K: 1},
		ShortNoticeReason: "crash test: the vote opens in two seconds",
	}}); err != nil {
		t.Fatal(err)
	}
	a, err := as.PublishAssembly(admin, &ov.PublishAssemblyRequest{CommunityId: cv.community, AssemblyId: cv.assembly})
	if err != nil {
		t.Fatal(err)
	}
	cv.rollDigest = a.GetRollDigest()
	for tok := ""; ; {
		page, err := rs.ListUnits(admin, &ov.ListUnitsRequest{CommunityId: cv.community, PageToken: tok, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.GetUnits() {
			cv.voters = append(cv.voters, u.GetVoterOwnerId())
		}
		if tok = page.GetNextPageToken(); tok == "" {
			break
		}
	}
	keys, err := ss.GetServerKeys(admin, &ov.GetServerKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cv.receiptPub = keys.GetReceiptPublicKey()
	time.Sleep(time.Until(opens) + 100*time.Millisecond)
}

// job is one ballot submission of the workload, signed in advance.
type job struct {
	voter     int
	channel   ballot.Channel
	choice    string
	canonical []byte
	sig       []byte
	id        string
}

// jobs makes n submissions from rng: ballots of random voters on the
// platform and phone channels (so that one voter often has ballots on
// both at once), and some exact resubmissions.
func (cv *crashVote) jobs(t *testing.T, rng *rand.Rand, round, n int) []job {
	t.Helper()
	out := make([]job, 0, n)
	now := time.Now().UTC().Truncate(time.Second)
	for j := range n {
		if j > 0 && rng.IntN(10) == 0 {
			out = append(out, out[rng.IntN(len(out))]) // a client's retry of the same bytes
			continue
		}
		jb := job{voter: rng.IntN(len(cv.voters)), channel: []ballot.Channel{ballot.Platform, ballot.Phone}[rng.IntN(2)],
			choice: []string{"AGREE", "AGREE", "OPPOSE", "ABSTAIN"}[rng.IntN(4)]}
		nonce := make([]byte, 16)
		for i := range nonce {
			nonce[i] = byte(rng.Uint32())
		}
		b := &ballot.Ballot{Assembly: cv.assembly, RollDigest: cv.rollDigest, Voter: cv.voters[jb.voter], Channel: jb.channel, Signer: jb.channel.Signer(),
			Nonce: hex.EncodeToString(nonce), Time: now, Choices: []ballot.Choice{{Motion: "m1", Values: []string{jb.choice}}}}
		key := cv.platform
		if jb.channel == ballot.Platform {
			b.PlatformVoteID = fmt.Sprintf("crash-%d-%d", round, j)
		} else {
			key = cv.staff
			rec := sha256.Sum256(nonce)
			b.Attestation = &ballot.Attestation{StaffID: cv.staffID, At: now.Add(-time.Second), MaskedPhone: "138****0000", RecordingSHA256: hex.EncodeToString(rec[:])}
		}
		b.KeyID = ballot.KeyID(key.Public().(ed25519.PublicKey))
		var err error
		if jb.canonical, jb.sig, err = ballot.Sign(b, key); err != nil {
			t.Fatal(err)
		}
		jb.id = ballot.ID(jb.canonical)
		out = append(out, jb)
	}
	return out
}

// ledger is what the clients were told.
type ledger struct {
	mu sync.Mutex
	// accepted maps ballot id to the seq of its receipt.
	accepted map[string]uint64
	// refused are ballots the server acknowledged as refused
	// (ALREADY_VOTED): recorded, not counted.
	refused map[string]bool
	// unknown are ballots sent without an answer: the server died.
	unknown map[string]job
	// checkpoint is the last signed log checkpoint a client was given.
	checkpoint *ov.Checkpoint
	// storageFailed counts the answers UNAVAILABLE STORAGE_FAILED: the
	// server's disk failed the write.
	storageFailed int
}

func newLedger() *ledger {
	return &ledger{accepted: map[string]uint64{}, refused: map[string]bool{}, unknown: map[string]job{}}
}

func dialProc(t *testing.T, p *proc) *grpc.ClientConn {
	t.Helper()
	// An export of thousands of ballots is larger than gRPC's default
	// 4 MiB reply.
	conn, err := grpc.NewClient(p.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// submit sends one job and records the answer; it reports false when the
// server is gone.
func (cv *crashVote) submit(t *testing.T, as ov.AssemblyServiceClient, l *ledger, jb job) bool {
	tok := cv.platTok
	if jb.channel == ballot.Phone {
		tok = cv.staffTok
	}
	ctx, cancel := context.WithTimeout(authCtx(context.Background(), tok), 10*time.Second)
	defer cancel()
	r, err := as.SubmitBallot(ctx, &ov.SubmitBallotRequest{CommunityId: cv.community, AssemblyId: cv.assembly, Ballot: jb.canonical, Signature: jb.sig})
	l.mu.Lock()
	defer l.mu.Unlock()
	switch code := status.Code(err); {
	case err == nil:
		if r.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED || r.GetBallotId() != jb.id {
			t.Errorf("ballot %s: receipt %v for %s, want ACCEPTED", jb.id[:12], r.GetStatus(), r.GetBallotId())
		}
		rc, err := ballot.VerifyReceipt(r.GetReceipt(), r.GetReceiptSignature(), cv.receiptPub)
		if err != nil || rc.BallotID != jb.id || rc.Seq != r.GetSeq() {
			t.Errorf("ballot %s: receipt does not verify: %v", jb.id[:12], err)
		}
		l.accepted[jb.id] = r.GetSeq()
		delete(l.unknown, jb.id)
	case code == codes.AlreadyExists:
		l.refused[jb.id] = true
		delete(l.unknown, jb.id)
	case code == codes.Unavailable || code == codes.DeadlineExceeded || code == codes.Canceled:
		if reasonOf(err) == "STORAGE_FAILED" {
			l.storageFailed++
		}
		if _, ok := l.accepted[jb.id]; !ok && !l.refused[jb.id] {
			l.unknown[jb.id] = jb
		}
		return false
	default:
		t.Errorf("ballot %s of voter %d via %s: %v", jb.id[:12], jb.voter, jb.channel, err)
		return false
	}
	return true
}

// TestCrashDuringIntake runs the real binary, drives concurrent intake from
// the platform and the phone campaign, SIGKILLs the server at random
// moments, restarts it and checks after every crash that nothing
// acknowledged was lost, nothing half-written is visible, the progress
// equals a recount, the transparency log is consistent with the
// checkpoints handed out, and bbolt's own check passes. Seeded: the same
// -crash.seed gives the same kill moments and ballots (not the same
// goroutine interleaving).
func TestCrashDuringIntake(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and kills the real binary")
	}
	bin := ownervoteBinary(t)
	rng := rand.New(rand.NewPCG(*crashSeed, 0x6f776e6572766f74))
	t.Logf("crash test: -crash.seed %d -crash.rounds %d", *crashSeed, *crashRounds)
	cv := &crashVote{dataDir: t.TempDir(), community: "crash", assembly: "crash-vote"}

	cv.admin = adminToken(t, cv.dataDir)
	serveArgs := []string{"--rate-limit", "0"}
	p := startProc(t, bin, cv.dataDir, serveArgs...)
	if !p.waitReady(t) {
		t.Fatalf("serve exited: %v\n%s", p.waitErr, p.stderr.String())
	}
	cv.setUp(t, p, rng, 1200)
	l := newLedger()
	cv.check(t, p, l, 0)

	for round := 1; round <= *crashRounds && !t.Failed(); round++ {
		jobs := cv.jobs(t, rng, round, 1500)
		killAfter := time.Duration(rng.IntN(500)) * time.Millisecond
		earlyKill := rng.IntN(4) == 0
		startupKill := time.Duration(rng.IntN(40)) * time.Millisecond
		sent := cv.intake(t, p, l, jobs, killAfter, p.kill)
		if !t.Failed() {
			cv.checkOffline(t, l, round)
		}
		if earlyKill {
			// Killed again while starting up: opening the database must
			// survive that too.
			p = startProc(t, bin, cv.dataDir, serveArgs...)
			time.Sleep(startupKill)
			p.kill()
			cv.checkOffline(t, l, round)
		}
		p = startProc(t, bin, cv.dataDir, serveArgs...)
		if !p.waitReady(t) {
			t.Fatalf("round %d: serve did not restart: %v\n%s", round, p.waitErr, p.stderr.String())
		}
		t.Logf("round %d: killed after %s (startup kill %v at %s): %d sent; %d accepted and %d refused in all, %d unanswered at the kill",
			round, killAfter, earlyKill, startupKill, sent, len(l.accepted), len(l.refused), len(l.unknown))
		cv.check(t, p, l, round)
	}
	// A clean stop at the end: SIGTERM, exit 0, database closed.
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	if p.waitErr != nil || !strings.Contains(p.stderr.String(), "database closed") {
		t.Errorf("serve after SIGTERM: %v\n%s", p.waitErr, p.stderr.String())
	}
	if _, err := store.VerifyFile(filepath.Join(cv.dataDir, dbFile)); err != nil {
		t.Errorf("database after the last round: %v", err)
	}
}

// intake runs the jobs from eight clients (four as the platform, four as
// phone staff) until the server is gone: after killAfter, kill is called,
// and returns once it is. It returns how many submissions were sent.
func (cv *crashVote) intake(t *testing.T, p *proc, l *ledger, jobs []job, killAfter time.Duration, kill func()) int {
	t.Helper()
	conn := dialProc(t, p)
	defer conn.Close()
	as := ov.NewAssemblyServiceClient(conn)
	queue := make(chan job)
	var sent sync.WaitGroup
	var n int
	var mu sync.Mutex
	stop := make(chan struct{})
	for range 8 {
		sent.Go(func() {
			for jb := range queue {
				mu.Lock()
				n++
				mu.Unlock()
				if !cv.submit(t, as, l, jb) {
					return
				}
			}
		})
	}
	// A client polls the signed checkpoint meanwhile, as an auditor would.
	var poll sync.WaitGroup
	poll.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(authCtx(context.Background(), cv.admin), 5*time.Second)
			cp, err := as.GetCheckpoint(ctx, &ov.GetCheckpointRequest{CommunityId: cv.community, AssemblyId: cv.assembly})
			cancel()
			if err == nil {
				l.mu.Lock()
				l.checkpoint = cp
				l.mu.Unlock()
			}
		}
	})
	killed := make(chan struct{})
	go func() {
		time.Sleep(killAfter)
		kill()
		close(killed)
	}()
feed:
	for _, jb := range jobs {
		select {
		case queue <- jb:
		case <-killed:
			break feed
		}
	}
	close(queue)
	<-killed
	sent.Wait()
	close(stop)
	poll.Wait()
	return n
}

// checkOffline opens the dead server's database read-only and checks it
// as a file: bbolt's consistency check, and the counted ballots against
// the ledger.
func (cv *crashVote) checkOffline(t *testing.T, l *ledger, round int) {
	t.Helper()
	path := filepath.Join(cv.dataDir, dbFile)
	if _, err := store.VerifyFile(path); err != nil {
		t.Fatalf("round %d: database after SIGKILL: %v", round, err)
	}
	st, err := store.OpenBolt(path, store.BoltOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("round %d: bbolt check: %v", round, err)
	}
	reg := cv.offlineRegistry(t, st)
	counted, err := reg.CountedBallots(context.Background(), cv.assembly)
	if err != nil {
		t.Fatal(err)
	}
	progress, err := reg.Progress(context.Background(), cv.assembly)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(counted)) != progress.Counted {
		t.Errorf("round %d: offline: %d counted ballots, progress says %d", round, len(counted), progress.Counted)
	}
	// The stored counters equal a recount of the stored ballots.
	heads := map[string]int64{}
	for _, b := range counted {
		heads[string(b.Choices[0])]++
	}
	m := progress.Motions[0]
	got := map[string]int64{"ABSTAIN": m.Abstain.Head}
	for _, c := range m.Choices {
		got[c.Choice] = c.Figures.Head
	}
	for _, choice := range []string{"AGREE", "OPPOSE", "ABSTAIN"} {
		if got[choice] != heads[choice] {
			t.Errorf("round %d: offline: progress %s = %d, a recount of the stored ballots gives %d", round, choice, got[choice], heads[choice])
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if int64(len(l.accepted)) > progress.Counted {
		t.Errorf("round %d: offline: %d ballots acknowledged as accepted, only %d counted: acknowledged ballots were lost", round, len(l.accepted), progress.Counted)
	}
}

// offlineRegistry is an assembly registry over a read-only store, with the
// data directory's keys.
func (cv *crashVote) offlineRegistry(t *testing.T, st store.Store) *assembly.Registry {
	t.Helper()
	seed, err := os.ReadFile(filepath.Join(cv.dataDir, receiptKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	logSeed, err := os.ReadFile(filepath.Join(cv.dataDir, logKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, vkey, err := audit.LogKey(logSeed)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := assembly.NewRegistry(st, assembly.Config{ReceiptKey: ed25519.NewKeyFromSeed(seed), LogSigner: signer, LogVerifierKey: vkey})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// check runs the checks of a restarted server over its API, then resends
// every unanswered ballot (as a client retries) and checks again.
func (cv *crashVote) check(t *testing.T, p *proc, l *ledger, round int) {
	t.Helper()
	conn := dialProc(t, p)
	defer conn.Close()
	as := ov.NewAssemblyServiceClient(conn)
	cv.running = p
	cv.checkServed(t, as, l, round)
	cv.checkTransparencyLog(t, as, l, round)
	l.mu.Lock()
	retry := make([]job, 0, len(l.unknown))
	for _, jb := range l.unknown {
		retry = append(retry, jb)
	}
	l.mu.Unlock()
	for _, jb := range retry {
		if !cv.submit(t, as, l, jb) {
			t.Fatalf("round %d: resending ballot %s: the server is gone", round, jb.id[:12])
		}
	}
	if len(l.unknown) != 0 {
		t.Fatalf("round %d: %d ballots still unanswered after a resend", round, len(l.unknown))
	}
	if len(retry) > 0 {
		cv.checkServed(t, as, l, round)
		cv.checkTransparencyLog(t, as, l, round)
	}
}

// checkServed checks what the restarted server serves against the ledger.
func (cv *crashVote) checkServed(t *testing.T, as ov.AssemblyServiceClient, l *ledger, round int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(authCtx(context.Background(), cv.admin), time.Minute)
	defer cancel()
	var list []*ov.BallotEntry
	for after := uint64(0); ; {
		page, err := as.ListBallots(ctx, &ov.ListBallotsRequest{CommunityId: cv.community, AssemblyId: cv.assembly, AfterSeq: after, PageSize: 1000})
		if err != nil {
			t.Fatalf("round %d: ListBallots: %v (%s)", round, err, cv.running.state())
		}
		list = append(list, page.GetBallots()...)
		if after = page.GetNextAfterSeq(); after == 0 {
			break
		}
	}
	progress, err := as.GetProgress(ctx, &ov.GetProgressRequest{CommunityId: cv.community, AssemblyId: cv.assembly})
	if err != nil {
		t.Fatalf("round %d: GetProgress: %v (%s)", round, err, cv.running.state())
	}
	byID := map[string]*ov.BallotEntry{}
	countedBy := map[string]string{} // voter → ballot id
	heads := map[string]int64{}      // choice → voters
	var accepted, refused int64
	for i, b := range list {
		if b.GetSeq() != uint64(i+1) {
			t.Fatalf("round %d: ballot %d has seq %d: a gap or a duplicate in the intake sequence", round, i+1, b.GetSeq())
		}
		byID[b.GetBallotId()] = b
		switch b.GetStatus() {
		case ov.BallotStatus_BALLOT_STATUS_ACCEPTED:
			accepted++
			if prev, ok := countedBy[b.GetVoter()]; ok {
				t.Errorf("round %d: voter %s has two counted ballots, %s and %s", round, b.GetVoter(), prev[:12], b.GetBallotId()[:12])
			}
			countedBy[b.GetVoter()] = b.GetBallotId()
			pb, err := ballot.Parse(b.GetBallot())
			if err != nil || ballot.ID(b.GetBallot()) != b.GetBallotId() {
				t.Fatalf("round %d: stored ballot %d unreadable or not matching its id: %v", round, b.GetSeq(), err)
			}
			heads[pb.Choices[0].Values[0]]++
		case ov.BallotStatus_BALLOT_STATUS_REFUSED:
			refused++
			if b.GetReason() == "" {
				t.Errorf("round %d: refused ballot %d without a reason", round, b.GetSeq())
			}
		default:
			t.Errorf("round %d: ballot %d has status %v, want ACCEPTED or REFUSED", round, b.GetSeq(), b.GetStatus())
		}
	}
	l.mu.Lock()
	for id, seq := range l.accepted {
		if b := byID[id]; b == nil || b.GetStatus() != ov.BallotStatus_BALLOT_STATUS_ACCEPTED || b.GetSeq() != seq {
			t.Errorf("round %d: acknowledged ballot %s (seq %d) is %v after the crash", round, id[:12], seq, b.GetStatus())
		}
	}
	for id := range l.refused {
		if b := byID[id]; b == nil || b.GetStatus() != ov.BallotStatus_BALLOT_STATUS_REFUSED {
			t.Errorf("round %d: ballot %s acknowledged as refused is %v after the crash", round, id[:12], b.GetStatus())
		}
	}
	unknown := make([]string, 0, len(l.unknown))
	for id := range l.unknown {
		unknown = append(unknown, id)
	}
	l.mu.Unlock()
	// An unanswered ballot is either wholly there, with its receipt, or
	// not there at all.
	for _, id := range unknown {
		rc, err := as.GetBallotReceipt(ctx, &ov.GetBallotReceiptRequest{CommunityId: cv.community, AssemblyId: cv.assembly, BallotId: id})
		b := byID[id]
		switch {
		case b == nil && status.Code(err) != codes.NotFound:
			t.Errorf("round %d: unanswered ballot %s is not listed, but GetBallotReceipt = %v", round, id[:12], err)
		case b != nil && err != nil:
			t.Errorf("round %d: unanswered ballot %s is listed, but GetBallotReceipt = %v", round, id[:12], err)
		case b != nil && b.GetStatus() == ov.BallotStatus_BALLOT_STATUS_ACCEPTED:
			if r, err := ballot.VerifyReceipt(rc.GetReceipt(), rc.GetReceiptSignature(), cv.receiptPub); err != nil || r.Seq != b.GetSeq() {
				t.Errorf("round %d: unanswered but counted ballot %s has no valid receipt: %v", round, id[:12], err)
			}
		}
	}
	if progress.GetCounted() != accepted || progress.GetRefused() != refused || progress.GetPending() != 0 || progress.GetSuperseded() != 0 {
		t.Errorf("round %d: progress counted %d refused %d pending %d superseded %d; the list has %d accepted, %d refused",
			round, progress.GetCounted(), progress.GetRefused(), progress.GetPending(), progress.GetSuperseded(), accepted, refused)
	}
	// The live figures equal a recount of the listed ballots: every voter
	// holds one unit of 80.00 m².
	m := progress.GetMotions()[0]
	got := map[string]int64{"ABSTAIN": m.GetAbstain().GetHead()}
	area := map[string]string{"ABSTAIN": m.GetAbstain().GetAreaM2()}
	for _, c := range m.GetChoices() {
		got[c.GetChoice()] = c.GetFigures().GetHead()
		area[c.GetChoice()] = c.GetFigures().GetAreaM2()
	}
	for _, choice := range []string{"AGREE", "OPPOSE", "ABSTAIN"} {
		if got[choice] != heads[choice] || area[choice] != fmt.Sprintf("%d.00", 80*heads[choice]) {
			t.Errorf("round %d: progress %s = %d heads, %s m²; a recount of the listed ballots gives %d heads, %d.00 m²",
				round, choice, got[choice], area[choice], heads[choice], 80*heads[choice])
		}
	}
	if m.GetParticipating().GetHead() != accepted {
		t.Errorf("round %d: participating %d, counted ballots %d", round, m.GetParticipating().GetHead(), accepted)
	}
}

// checkTransparencyLog checks the assembly's log after a crash: the
// current checkpoint verifies, is consistent with the last checkpoint a
// client was given before the crash (the log never loses what it signed),
// and an export of the whole log verifies offline with the same counts as
// the progress.
func (cv *crashVote) checkTransparencyLog(t *testing.T, as ov.AssemblyServiceClient, l *ledger, round int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(authCtx(context.Background(), cv.admin), time.Minute)
	defer cancel()
	cp, err := as.GetCheckpoint(ctx, &ov.GetCheckpointRequest{CommunityId: cv.community, AssemblyId: cv.assembly})
	if err != nil {
		t.Fatalf("round %d: GetCheckpoint: %v", round, err)
	}
	cur, err := audit.OpenCheckpoint([]byte(cp.GetCheckpoint()), cp.GetLogVerifierKey(), cv.assembly)
	if err != nil {
		t.Fatalf("round %d: checkpoint does not verify: %v", round, err)
	}
	if cv.logVerifier == "" {
		cv.logVerifier = cp.GetLogVerifierKey()
	}
	if cp.GetLogVerifierKey() != cv.logVerifier {
		t.Errorf("round %d: the log key changed across a restart", round)
	}
	l.mu.Lock()
	prevCP := l.checkpoint
	l.checkpoint = cp
	l.mu.Unlock()
	if prevCP != nil {
		prev, err := audit.OpenCheckpoint([]byte(prevCP.GetCheckpoint()), cv.logVerifier, cv.assembly)
		if err != nil {
			t.Fatalf("round %d: earlier checkpoint: %v", round, err)
		}
		if prev.Size > cur.Size {
			t.Fatalf("round %d: the log shrank from %d to %d entries across a crash", round, prev.Size, cur.Size)
		}
		if prev.Size > 0 && prev.Size < cur.Size {
			proof, err := as.GetConsistencyProof(ctx, &ov.GetConsistencyProofRequest{CommunityId: cv.community, AssemblyId: cv.assembly, Size1: prev.Size, Size2: cur.Size})
			if err != nil {
				t.Fatalf("round %d: GetConsistencyProof(%d, %d): %v", round, prev.Size, cur.Size, err)
			}
			if err := audit.VerifyConsistency(prev.Size, cur.Size, proof.GetHashes(), prev.Hash, cur.Hash); err != nil {
				t.Errorf("round %d: the log after the crash is not an extension of checkpoint %d: %v", round, prev.Size, err)
			}
		} else if prev.Size == cur.Size && !bytes.Equal(prev.Hash, cur.Hash) {
			t.Errorf("round %d: two checkpoints of size %d with different roots", round, cur.Size)
		}
	}
	exp, err := as.ExportAssembly(ctx, &ov.ExportAssemblyRequest{CommunityId: cv.community, AssemblyId: cv.assembly})
	if err != nil {
		t.Fatalf("round %d: ExportAssembly: %v", round, err)
	}
	b, err := audit.ReadBundle(exp.GetFiles())
	if err != nil {
		t.Fatalf("round %d: export: %v", round, err)
	}
	rep, err := audit.Verify(b)
	if err != nil {
		t.Fatalf("round %d: the exported log does not verify: %v", round, err)
	}
	progress, err := as.GetProgress(ctx, &ov.GetProgressRequest{CommunityId: cv.community, AssemblyId: cv.assembly})
	if err != nil {
		t.Fatal(err)
	}
	if int64(rep.Counted) != progress.GetCounted() || int64(rep.Refused) != progress.GetRefused() {
		t.Errorf("round %d: the log holds %d counted and %d refused ballots, the progress %d and %d",
			round, rep.Counted, rep.Refused, progress.GetCounted(), progress.GetRefused())
	}
}
