package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Every command and subcommand answers -h and --help with its usage and
// exit status 0, and a flag it does not know with status 2.
func TestHelpAndBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve"}, {"token"}, {"token", "create"}, {"token", "list"}, {"token", "revoke"}, {"roll"}, {"roll", "import"},
		{"recount"}, {"ballot"}, {"ballot", "sign"}, {"demo"}, {"demo", "vote"}, {"export"}, {"verify"}, {"receipt"},
		{"receipt", "check"}, {"backup"}, {"restore"}, {"bench"},
	} {
		for _, help := range []string{"-h", "--help"} {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), append(append([]string{}, args...), help), &out, &errOut); code != 0 || !strings.Contains(strings.ToLower(errOut.String()), "usage") {
				t.Errorf("ownervote %s %s: exit %d, stderr %q; want 0 and the usage", strings.Join(args, " "), help, code, errOut.String())
			}
		}
		if len(args) == 1 && (args[0] == "token" || args[0] == "roll" || args[0] == "ballot" || args[0] == "demo" || args[0] == "receipt") {
			continue // a group: its subcommand takes the flags
		}
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append(append([]string{}, args...), "--no-such-flag"), &out, &errOut); code != 2 {
			t.Errorf("ownervote %s --no-such-flag: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}
