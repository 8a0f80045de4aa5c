package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchSmallCity runs `ownervote bench` on a tiny city and checks its
// last line: every figure the issue names, and acked == stored.
func TestBenchSmallCity(t *testing.T) {
	code, stdout, stderr := runCLI(t, "bench", "--communities", "3", "--households", "40", "--concurrency", "4",
		"--duration", "600ms", "--dir", t.TempDir())
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var res map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line is not the JSON result: %v\n%s", err, stdout)
	}
	for _, k := range []string{"grpc_ballots_per_s", "json_ballots_per_s", "ceiling_ballots_per_s", "grpc_ratio",
		"json_to_grpc_ratio", "grpc_p99_ms", "json_p99_ms", "grpc_cpu_us", "ceiling_cpu_us", "grpc_pages_per_ballot", "ceiling_pages_per_request"} {
		if res[k] <= 0 {
			t.Errorf("%s = %v, want > 0\n%s", k, res[k], stdout)
		}
	}
	if res["acked"] == 0 || res["acked"] != res["stored"] {
		t.Errorf("acked %v, stored %v", res["acked"], res["stored"])
	}
	if res["errors"] != 0 {
		t.Errorf("errors = %v\n%s", res["errors"], stderr)
	}
}

// TestBenchSkip runs the gRPC phase alone (for profiling it): the other
// phases report nothing and the ratios that need them are zero.
func TestBenchSkip(t *testing.T) {
	code, stdout, stderr := runCLI(t, "bench", "--communities", "2", "--households", "30", "--concurrency", "2",
		"--duration", "300ms", "--skip", "json", "--skip", "ceiling", "--dir", t.TempDir())
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var res map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatal(err)
	}
	if res["grpc_ballots_per_s"] <= 0 || res["json_ballots_per_s"] != 0 || res["ceiling_ballots_per_s"] != 0 || res["grpc_ratio"] != 0 {
		t.Errorf("with json and ceiling skipped: %s", lines[len(lines)-1])
	}
	if code, _, stderr := runCLI(t, "bench", "--skip", "grcp"); code == 0 || !strings.Contains(stderr, `unknown phase "grcp"`) {
		t.Errorf("--skip grcp: exit %d, %s", code, stderr)
	}
}
