package assembly_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ownervote/ownervote/assembly"
)

// BenchmarkSubmit measures the intake path per ballot: parse, signer
// lookup, signature check, the one-ballot rule, storage with the log entry
// and counters, group commit with fsync, the signed receipt and its
// inclusion proof; 32 concurrent submitters. Past 20,000 iterations voters
// repeat and their ballots are refused (and stored) as second ballots.
func BenchmarkSubmit(b *testing.B) {
	f := newFixture(b, 20000, assembly.Settings{})
	subs := make([]assembly.Submission, min(b.N, len(f.Voters)))
	for i := range subs {
		subs[i] = f.signed(b, i, "AGREE")
	}
	var next atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(next.Add(1) - 1)
			_, err := f.reg.Submit(context.Background(), subs[n%len(subs)])
			if err != nil && !(n >= len(subs) && errors.Is(err, assembly.ErrAlreadyVoted)) {
				b.Error(err)
			}
		}
	})
}
