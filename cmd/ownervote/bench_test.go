package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchResult runs `ownervote bench` with args and returns its last line,
// which must be the JSON result, decoded, and its whole output.
func benchResult(t *testing.T, args ...string) (map[string]float64, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"bench", "--dir", t.TempDir()}, args...)...)
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
	if res["ceiling_batch_size"] != 64 || res["ceiling_batch_delay_ms"] != 2 {
		t.Errorf("ceiling batches of %v, %v ms; want the defaults 64, 2 ms", res["ceiling_batch_size"], res["ceiling_batch_delay_ms"])
	}
}

// TestBenchCeilingBatch runs the ceiling with bbolt's own batch settings:
// the last line says so, and the rate shows the delay was applied (four
// clients can fill no batch of 1000, so each waits its 10 ms).
func TestBenchCeilingBatch(t *testing.T) {
	args := []string{"--communities", "2", "--households", "30", "--concurrency", "4", "--duration", "600ms",
		"--skip", "grpc", "--skip", "json", "--ceiling-batch-size", "1000", "--ceiling-batch-delay", "10ms"}
	res, out := benchResult(t, args...)
	if !strings.Contains(out, "not the figure the target is for") {
		t.Errorf("with other ceiling settings the summary does not say the ratio is not the target's:\n%s", out)
	}
	if res["ceiling_batch_size"] != 1000 || res["ceiling_batch_delay_ms"] != 10 {
		t.Errorf("ceiling batches of %v, %v ms; want 1000, 10 ms\n%s", res["ceiling_batch_size"], res["ceiling_batch_delay_ms"], out)
	}
	if r := res["ceiling_ballots_per_s"]; r <= 0 || r > 4/0.010*1.1 {
		t.Errorf("ceiling %v requests/s with 4 clients and batches started 10 ms after their first request; want at most ~400\n%s", r, out)
	}
	for _, bad := range [][]string{{"--ceiling-batch-size", "0"}, {"--ceiling-batch-delay", "0s"}} {
		if code, _, stderr := runCLI(t, append([]string{"bench"}, bad...)...); code == 0 || !strings.Contains(stderr, "--ceiling-batch") {
			t.Errorf("bench %v: exit %d, %s", bad, code, stderr)
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
	if code, _, stderr := runCLI(t, "bench", "--skip", "grcp"); code == 0 || !strings.Contains(stderr, `unknown phase "grcp"`) {
		t.Errorf("--skip grcp: exit %d, %s", code, stderr)
	}
}
