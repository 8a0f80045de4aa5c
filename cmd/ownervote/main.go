// Command ownervote runs and administers the ownervote platform.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/ownervote/ownervote/l10n"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of ownervote. It parses its own flags from args
// and writes its output to stdout; diagnostics go to stderr.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// errUsage marks a command-line mistake; main exits with status 2 for it.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ownervote: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if zh := l10n.Of(err); zh != "" {
			// The people who fix a roster read Chinese first.
			fmt.Fprintf(stderr, "ownervote %s: %s\n", args[0], zh)
		}
		fmt.Fprintf(stderr, "ownervote %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

// parseFlags parses a command's flags, before or after its arguments
// (verify DIR --log-verifier KEY as well as verify --log-verifier KEY DIR;
// after "--" everything is an argument): -h or --help is flag.ErrHelp
// (the usage printed, exit status 0), a bad flag a usage error (status 2).
func parseFlags(fl *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fl.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	return fl.Parse(append([]string{"--"}, positional...))
}

// groupHelp answers -h, --help or help given to a command with
// subcommands (token --help): its usage, and flag.ErrHelp for status 0.
func groupHelp(args []string, stderr io.Writer, usage string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stderr, "usage: ownervote "+usage)
		return flag.ErrHelp
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ownervote <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
