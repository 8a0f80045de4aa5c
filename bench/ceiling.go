package bench

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote/assembly"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/server"
	"github.com/ownervote/ownervote/store"
)

var ceilingBucket = []byte("records")

// ceiling is the bare pipeline: verify, then group-commit with fsync.
type ceiling struct {
	ov.UnimplementedBenchServiceServer
	db *bolt.DB
}

func (c *ceiling) Ingest(ctx context.Context, req *ov.IngestRequest) (*ov.IngestResponse, error) {
	if len(req.GetPublicKey()) != ed25519.PublicKeySize || !ed25519.Verify(req.GetPublicKey(), req.GetPayload(), req.GetSignature()) {
		return nil, status.Error(codes.InvalidArgument, "bad signature")
	}
	// The record has the size of a stored ballot: payload and signature.
	rec := make([]byte, 0, len(req.GetPayload())+len(req.GetSignature()))
	rec = append(append(rec, req.GetPayload()...), req.GetSignature()...)
	var seq uint64
	err := c.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(ceilingBucket)
		b.FillPercent = store.PackedFill // its keys are a sequence: packed pages, as the store's applier packs them
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		seq = n
		return b.Put(binary.BigEndian.AppendUint64(nil, n), rec)
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &ov.IngestResponse{Seq: seq}, nil
}

// The ceiling's group commit by default: a batch starts as soon as every
// client waits (at most assembly.MaxGroup, the intake's largest group) or
// 2 ms after the first request. The intake's group commit has no timer; a
// shorter one here only lowers the ceiling (smaller batches, more fsyncs;
// see docs/performance.md). With bbolt's own defaults (1000 and
// 10 ms) the ceiling measures about a quarter of the rate here, of the
// order of the figure "for scale" (7,000/s).
const DefaultCeilingBatchDelay = 2 * time.Millisecond

// DefaultCeilingBatchSize is the ceiling's batch size for a run with
// concurrency clients.
func DefaultCeilingBatchSize(concurrency int) int { return min(concurrency, assembly.MaxGroup) }

// DefaultCeiling reports whether the run measured the ceiling with the
// default batch settings, the ones the grpc_ratio target is for.
func (r Result) DefaultCeiling() bool {
	return r.CeilingBatchSize == DefaultCeilingBatchSize(r.Concurrency) && r.CeilingBatchDelayMs == ms(DefaultCeilingBatchDelay)
}

// ErrConfig marks a Config that Run refuses.
var ErrConfig = errors.New("bench: bad configuration")

// checkCeilingBatch says what is wrong with the ceiling's batch settings,
// if anything: a batch may not wait longer than a slice of the run.
func checkCeilingBatch(size int, delay, slice time.Duration) error {
	if size < 1 {
		return fmt.Errorf("%w: the ceiling's batch size must be at least 1, not %d", ErrConfig, size)
	}
	if delay < time.Microsecond || delay > slice {
		return fmt.Errorf("%w: the ceiling's batch delay must be between 1µs and %s (a slice of the run), not %s", ErrConfig, slice, delay)
	}
	return nil
}

// startCeiling serves the bare pipeline on loopback over a fresh bbolt file
// whose DB.Batch takes up to batchSize records and waits at most
// batchDelay.
func startCeiling(dir string, batchSize int, batchDelay time.Duration) (addr string, pages func() int64, stop func() (stored int64, err error), err error) {
	db, err := bolt.Open(filepath.Join(dir, "ceiling.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return "", nil, nil, err
	}
	db.MaxBatchSize, db.MaxBatchDelay = batchSize, batchDelay
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(ceilingBucket); return err }); err != nil {
		db.Close()
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return "", nil, nil, err
	}
	// Calls run on kept goroutines, as in the real server: the ceiling
	// gets every transport setting the intake has.
	srv := grpc.NewServer(grpc.NumStreamWorkers(server.StreamWorkers))
	ov.RegisterBenchServiceServer(srv, &ceiling{db: db})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	pages = func() int64 {
		st := db.Stats()
		return st.TxStats.GetWrite()
	}
	return ln.Addr().String(), pages, func() (int64, error) {
		srv.GracefulStop()
		if err := <-done; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return 0, err
		}
		var n int64
		err := db.View(func(tx *bolt.Tx) error {
			n = int64(tx.Bucket(ceilingBucket).Stats().KeyN)
			return nil
		})
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		return n, err
	}, nil
}
