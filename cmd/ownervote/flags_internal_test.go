package main

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// TestFlagsAfterArguments: a command's flags are read before or after its
// arguments; after "--" everything is an argument.
func TestFlagsAfterArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		key  string
		rest []string
	}{
		{[]string{"--log-verifier", "K", "DIR"}, "K", []string{"DIR"}},
		{[]string{"DIR", "--log-verifier", "K"}, "K", []string{"DIR"}},
		{[]string{"A", "--log-verifier=K", "B"}, "K", []string{"A", "B"}},
		{[]string{"A", "--", "--log-verifier", "K"}, "", []string{"A", "--log-verifier", "K"}},
	} {
		fl := flag.NewFlagSet("verify", flag.ContinueOnError)
		fl.SetOutput(io.Discard)
		key := fl.String("log-verifier", "", "")
		if err := parseFlags(fl, c.args); err != nil || *key != c.key || !slices.Equal(fl.Args(), c.rest) {
			t.Errorf("parseFlags(%q) = %v: key %q, args %q; want %q, %q", c.args, err, *key, fl.Args(), c.key, c.rest)
		}
	}
}
