package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ownervote/ownervote/bench"
)

// benchResult runs `ownervote bench` with args and returns its last line,
// which must be the JSON result, decoded, and its whole output.
func benchResult(t *testing.T, args ...string) (map[string]float64, string) {
	t.Helper()
	code, stdout, stderr := runCmd(append([]string{"bench", "--dir", t.TempDir()}, args...)...)
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	var res map[string]float64
	if err := json.Unmarshal([]byte(last), &res); err != nil {
		t.Fatalf("last line is not the JSON result: %v\n%s", err, stdout)
	}
	return res, stdout
}

// TestBenchSmallCity runs `ownervote bench` on a tiny city and checks its
// last line: every figure the issue names, and acked == stored.
func TestBenchSmallCity(t *testing.T) {
	res, out := benchResult(t, "--communities", "3", "--households", "40", "--concurrency", "4", "--duration", "600ms")
	for _, k := range []string{"grpc_ballots_per_s", "json_ballots_per_s", "ceiling_ballots_per_s", "grpc_ratio",
		"json_to_grpc_ratio", "grpc_p99_ms", "json_p99_ms", "grpc_cpu_us", "ceiling_cpu_us", "grpc_pages_per_ballot", "ceiling_pages_per_request"} {
		if res[k] <= 0 {
			t.Errorf("%s = %v, want > 0\n%s", k, res[k], out)
		}
	}
	if res["acked"] == 0 || res["acked"] != res["stored"] {
		t.Errorf("acked %v, stored %v", res["acked"], res["stored"])
	}
	if res["errors"] != 0 {
		t.Errorf("errors = %v\n%s", res["errors"], out)
	}
	// The ceiling's batch defaults: one record per client (four here), 2 ms.
	if res["ceiling_batch_size"] != 4 || res["ceiling_batch_delay_ms"] != 2 {
		t.Errorf("ceiling batches of %v, %v ms; want 4 (one per client) and 2 ms", res["ceiling_batch_size"], res["ceiling_batch_delay_ms"])
	}
	if strings.Contains(out, "not the figure the target is for") {
		t.Errorf("with the default ceiling the summary says the ratio is not the target's:\n%s", out)
	}
}

// TestBenchCeilingBatch runs the ceiling with other batch settings: the
// result says so, and its rate shows both settings were applied. Four
// clients fill no batch of 1000, so each waits its 100 ms (at most ~40
// requests/s). With the default size (4, one per client) they would fill
// their batch at once, and with the default delay wait 2 ms: either way
// thousands of requests/s.
func TestBenchCeilingBatch(t *testing.T) {
	city := []string{"--communities", "2", "--households", "30", "--concurrency", "4", "--duration", "600ms", "--skip", "grpc", "--skip", "json"}
	res, out := benchResult(t, append(city, "--ceiling-batch-size", "1000", "--ceiling-batch-delay", "100ms")...)
	if res["ceiling_batch_size"] != 1000 || res["ceiling_batch_delay_ms"] != 100 {
		t.Errorf("ceiling batches of %v, %v ms; want 1000, 100 ms\n%s", res["ceiling_batch_size"], res["ceiling_batch_delay_ms"], out)
	}
	if r := res["ceiling_ballots_per_s"]; r <= 0 || r > 4/0.100*1.1 {
		t.Errorf("ceiling %v requests/s with 4 clients and batches started 100 ms after their first request; want at most ~40\n%s", r, out)
	}
	if !strings.Contains(out, "not the figure the target is for") {
		t.Errorf("with other ceiling settings the summary does not say the ratio is not the target's:\n%s", out)
	}
	// Refused before anything is made: no profile file.
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	for _, bad := range [][]string{{"--ceiling-batch-size", "-1"}, {"--ceiling-batch-delay", "-1ms"}, {"--ceiling-batch-delay", "500ns"}, {"--ceiling-batch-delay", "2s"}} {
		if code, _, stderr := runCmd(append([]string{"bench", "--cpuprofile", prof}, bad...)...); code != 2 || !strings.Contains(stderr, "the ceiling's batch") {
			t.Errorf("bench %v: exit %d, %s", bad, code, stderr)
		}
		if _, err := os.Stat(prof); err == nil {
			t.Errorf("bench %v refused, but made %s", bad, prof)
		}
	}
}

// TestBenchSkip runs the gRPC phase alone (for profiling it): the other
// phases report nothing and the ratios that need them are zero.
func TestBenchSkip(t *testing.T) {
	res, out := benchResult(t, "--communities", "2", "--households", "30", "--concurrency", "2", "--duration", "300ms",
		"--skip", "json", "--skip", "ceiling")
	if res["grpc_ballots_per_s"] <= 0 || res["json_ballots_per_s"] != 0 || res["ceiling_ballots_per_s"] != 0 || res["grpc_ratio"] != 0 {
		t.Errorf("with json and ceiling skipped: %s", out)
	}
	if code, _, stderr := runCmd("bench", "--skip", "grcp"); code == 0 || !strings.Contains(stderr, `unknown phase "grcp"`) {
		t.Errorf("--skip grcp: exit %d, %s", code, stderr)
	}
}

// TestBenchRefusesLostBallots: a run whose store holds other than the
// ballots it acknowledged still prints its figures, and then fails.
func TestBenchRefusesLostBallots(t *testing.T) {
	for _, c := range []struct{ acked, stored int64 }{{1000, 999}, {1000, 1001}} {
		var out strings.Builder
		err := reportBench(&out, bench.Result{GRPCPerSecond: 100, CeilingPerSecond: 200, GRPCRatio: 0.5, Acked: c.acked, Stored: c.stored,
			Concurrency: 64, CeilingBatchSize: bench.DefaultCeilingBatchSize(64), CeilingBatchDelayMs: 2})
		want := fmt.Sprintf("acked %d ballots but the store holds %d", c.acked, c.stored)
		if err == nil || err.Error() != want {
			t.Errorf("acked %d, stored %d: error %v, want %q", c.acked, c.stored, err, want)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var res bench.Result
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.Acked != c.acked || res.Stored != c.stored {
			t.Errorf("last line %q (%v): want the JSON result with acked %d, stored %d", lines[len(lines)-1], err, c.acked, c.stored)
		}
	}
	var out strings.Builder
	if err := reportBench(&out, bench.Result{Acked: 1000, Stored: 1000}); err != nil {
		t.Errorf("acked = stored: %v", err)
	}
}
