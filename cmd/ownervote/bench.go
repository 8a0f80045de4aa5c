package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ownervote/ownervote/bench"
)

func init() {
	commands["bench"] = command{summary: "measure ballot intake against the bare pipeline (ratios, one run)", run: runBench}
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("bench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	communities := fl.Int("communities", 200, "communities in the synthetic city")
	households := fl.Int("households", 500, "households per community")
	concurrency := fl.Int("concurrency", 64, "concurrent clients in every phase")
	duration := fl.Duration("duration", 10*time.Second, "length of each phase")
	dir := fl.String("dir", "", "directory for the databases (default: a new temporary directory, removed afterwards)")
	cpuProfile := fl.String("cpuprofile", "", "write a CPU profile of the measured rounds (not the city's setup) to this file")
	ceilingBatchSize := fl.Int("ceiling-batch-size", 0, "the ceiling's group commit: most records in one bbolt transaction (0: one per client, at most 256; bbolt's default is 1000)")
	ceilingBatchDelay := fl.Duration("ceiling-batch-delay", bench.DefaultCeilingBatchDelay, "the ceiling's group commit: longest wait for a batch to fill (0: the default; bbolt's default is 10ms)")
	var skip []string
	fl.Func("skip", "a phase not to run: grpc, json or ceiling (repeatable; to profile one phase alone)", func(v string) error {
		if v != "grpc" && v != "json" && v != "ceiling" {
			return fmt.Errorf("unknown phase %q: grpc, json or ceiling", v)
		}
		skip = append(skip, v)
		return nil
	})
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	}
	// Checked before the directory and the profile are made.
	cfg, err := bench.Config{Communities: *communities, Households: *households,
		Concurrency: *concurrency, Duration: *duration, Skip: skip, Progress: stderr,
		CeilingBatchSize: *ceilingBatchSize, CeilingBatchDelay: *ceilingBatchDelay}.Check()
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "ownervote-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	cfg.Dir = *dir
	tuneGC() // the server's own setting: the bench measures it as serve runs it
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.CPUProfile = f
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	return reportBench(stdout, res)
}

// reportBench prints a bench result, its JSON last, and fails when the store
// does not hold exactly the ballots that were acknowledged.
func reportBench(stdout io.Writer, res bench.Result) error {
	fmt.Fprintf(stdout, "gRPC:    %8.0f ballots/s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms\n", res.GRPCPerSecond, res.GRPCP50ms, res.GRPCP95ms, res.GRPCP99ms)
	fmt.Fprintf(stdout, "JSON:    %8.0f ballots/s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms\n", res.JSONPerSecond, res.JSONP50ms, res.JSONP95ms, res.JSONP99ms)
	fmt.Fprintf(stdout, "ceiling: %8.0f requests/s                                  p99 %6.2f ms", res.CeilingPerSecond, res.CeilingP99ms)
	if res.CeilingPerSecond > 0 {
		fmt.Fprintf(stdout, "  (batches of up to %d, %g ms)", res.CeilingBatchSize, res.CeilingBatchDelayMs)
	}
	fmt.Fprintln(stdout)
	target := "target ≥ 0.6"
	if !res.DefaultCeiling() {
		target = "against a ceiling with other batch settings: not the figure the target is for"
	}
	fmt.Fprintf(stdout, "grpc_ratio %.2f (%s), json_to_grpc_ratio %.2f (target ≥ 0.6); acked %d, stored %d\n",
		res.GRPCRatio, target, res.JSONToGRPCRatio, res.Acked, res.Stored)
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(line))
	if res.Acked != res.Stored {
		return fmt.Errorf("acked %d ballots but the store holds %d", res.Acked, res.Stored)
	}
	return nil
}
