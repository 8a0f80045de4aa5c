package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ownervote/ownervote/recount"
)

func init() {
	commands["recount"] = command{summary: "recount an assembly offline from roll, assembly and votes files", run: runRecount}
}

// runRecount implements "ownervote recount": it tallies an assembly from
// ROLL.csv, ASSEMBLY.json and VOTES.csv (docs/recount-format.md) and prints
// the result as JSON or, with --format text, for people. Every error in the
// input files is printed to stderr, one per line, naming file, line and
// field; then nothing is counted.
func runRecount(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ownervote recount", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rollPath := fs.String("roll", "", "owner roll `ROLL.csv`: unit_id,owner_id,owner_kind,registered_area_m2,surveyed_area_m2,contract_area_m2")
	assemblyPath := fs.String("assembly", "", "assembly `ASSEMBLY.json`: rule set, settings and motions")
	votesPath := fs.String("votes", "", "votes `VOTES.csv`: owner_id,motion_id,choice")
	format := fs.String("format", "json", "output `format`: json, or text for people")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ownervote recount --roll ROLL.csv --assembly ASSEMBLY.json --votes VOTES.csv [--format json|text]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Recounts an assembly offline. The file formats are in docs/recount-format.md.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q (the files are given with --roll, --assembly and --votes)", errUsage, fs.Args())
	}
	var missing []string
	for _, f := range []struct{ name, val string }{{"--roll", *rollPath}, {"--assembly", *assemblyPath}, {"--votes", *votesPath}} {
		if f.val == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", errUsage, strings.Join(missing, ", "))
	}
	if *format != "json" && *format != "text" {
		return fmt.Errorf("%w: --format %q: want json or text", errUsage, *format)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	var sources [3]recount.Source
	for i, p := range []string{*rollPath, *assemblyPath, *votesPath} {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sources[i] = recount.Source{Name: p, R: f}
	}
	res, err := recount.Recount(sources[0], sources[1], sources[2])
	if err != nil {
		fmt.Fprintln(stderr, err)
		n := recount.Count(err)
		if n == 1 {
			return errors.New("bad input: nothing counted")
		}
		return fmt.Errorf("bad input (%d errors): nothing counted", n)
	}
	if *format == "text" {
		return recount.WriteText(stdout, res)
	}
	return recount.WriteJSON(stdout, res)
}
