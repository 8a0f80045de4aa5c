package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ownervote/ownervote/auth"
	"github.com/ownervote/ownervote/store"
)

// tokenUsage is the command's usage line (its flags: --help).
const tokenUsage = "token create|list|revoke [flags]  (ownervote token create --help for the flags of one)"

func init() {
	commands["token"] = command{summary: "create, list or revoke access tokens (create|list|revoke)", run: runToken}
}

// runToken manages tokens directly in the data directory; the server must
// not be running on it (use the TokenService API then).
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := groupHelp(args, stderr, tokenUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, tokenUsage)
	}
	fl := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	dataDir := fl.String("data", "./data", "data directory")
	switch args[0] {
	case "create":
		role := fl.String("role", "", "street-admin, community-staff, committee-member, platform or auditor")
		community := fl.String("community", "", "community id the token acts in (empty: all communities)")
		label := fl.String("label", "", "who holds the token (required)")
		signerID := fl.String("signer-id", "", "the staff or committee member id of the one person the token is issued to: keys enrolled through it are theirs, under that id only")
		validFor := fl.String("valid-for", "", "how long the token works, e.g. 30d or 12h (empty: until it is revoked)")
		if err := parseFlags(fl, args[1:]); err != nil {
			return err
		}
		var expires time.Time
		if *validFor != "" {
			d, err := parseDays(*validFor)
			if err != nil {
				return fmt.Errorf("%w: --valid-for: %v", errUsage, err)
			}
			expires = time.Now().Add(d)
		}
		if fl.NArg() > 0 {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
		}
		r, err := auth.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("%w: --role: %v", errUsage, err)
		}
		if strings.TrimSpace(*label) == "" {
			return fmt.Errorf("%w: --label: say who holds the token (a name, a desk, a system)", errUsage)
		}
		return withTokens(*dataDir, true, stderr, func(ts *auth.Tokens) error {
			t, secret, err := ts.CreateFor(ctx, r, *community, *label, *signerID, expires)
			if err != nil {
				return err
			}
			until := ""
			if !t.Expires.IsZero() {
				until = ", until " + t.Expires.Format(time.RFC3339)
			}
			fmt.Fprintf(stderr, "created %s (%s, %s%s); the secret below is shown once:\n", t.ID, t.Role, scopeText(t), until)
			fmt.Fprintln(stdout, secret)
			if t.SignerID == "" {
				return nil
			}
			// A new sign-in for a person usually replaces a lost one: say
			// which of theirs are still active.
			list, err := ts.List(ctx)
			if err != nil {
				return err
			}
			var others []string
			for _, o := range list {
				if o.ID != t.ID && o.SignerID == t.SignerID && o.Active() {
					others = append(others, o.ID)
				}
			}
			if len(others) > 0 {
				fmt.Fprintf(stderr, "note: %s also holds active token(s) %s; if one was lost, revoke it: ownervote token revoke TOKEN_ID\n",
					t.SignerID, strings.Join(others, ", "))
			}
			return nil
		})
	case "list":
		if err := parseFlags(fl, args[1:]); err != nil {
			return err
		}
		if fl.NArg() > 0 {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
		}
		return withTokens(*dataDir, false, stderr, func(ts *auth.Tokens) error {
			list, err := ts.List(ctx)
			if err != nil {
				return err
			}
			// The label, often Chinese (two columns wide in a terminal,
			// which tabwriter counts as one), comes last, so that it
			// shifts no column.
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tROLE\tSCOPE\tISSUED TO\tCREATED\tREVOKED\tEXPIRES\tLABEL")
			for _, t := range list {
				revoked, expires := "-", "-"
				if !t.Active() {
					revoked = t.Revoked.Format(time.RFC3339)
				}
				if !t.Expires.IsZero() {
					expires = t.Expires.Format(time.RFC3339)
				}
				issued := t.SignerID
				if issued == "" {
					issued = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, scopeText(t), issued, t.Created.Format(time.RFC3339), revoked, expires, t.Label)
			}
			return tw.Flush()
		})
	case "revoke":
		if err := parseFlags(fl, args[1:]); err != nil {
			return err
		}
		if fl.NArg() != 1 {
			return fmt.Errorf("%w: token revoke [--data DIR] TOKEN_ID", errUsage)
		}
		return withTokens(*dataDir, false, stderr, func(ts *auth.Tokens) error {
			t, err := ts.Revoke(ctx, fl.Arg(0))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s at %s\n", t.ID, t.Revoked.Format(time.RFC3339))
			return nil
		})
	}
	return fmt.Errorf("%w: unknown token command %q (create, list, revoke)", errUsage, args[0])
}

func scopeText(t auth.Token) string {
	if t.CommunityID == "" {
		return "all communities"
	}
	return "community " + t.CommunityID
}

// withTokens runs fn on the tokens of the database in dir, with the server
// stopped. Tokens need no key file, so an existing database is opened
// alone (its keys may be kept elsewhere, see keyPaths). Only create may
// start a data directory, for the first admin token of a new installation
// (with its key files, as serve would make them), and it says so: a
// mistyped --data would otherwise hand out a token no server knows.
func withTokens(dir string, create bool, stderr io.Writer, fn func(*auth.Tokens) error) error {
	if err := refuseUnfinishedRestore(dir); err != nil {
		return err
	}
	path := filepath.Join(dir, dbFile)
	var st *store.Bolt
	switch _, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist) && !create:
		return fmt.Errorf("no database in %s: is --data right?", dir)
	case errors.Is(err, fs.ErrNotExist):
		d, err := openData(dir)
		if err != nil {
			return err
		}
		st = d.st
		fmt.Fprintf(stderr, "no database was in %s: a new data directory is made (start the server with --data %s)\n", dir, dir)
	case err != nil:
		return err
	default:
		if st, err = store.OpenBolt(path, store.BoltOptions{}); err != nil {
			return err
		}
	}
	err := fn(auth.NewTokens(st, auth.Config{}))
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// parseDays reads a duration given in days ("30d") or as Go writes one
// ("12h", "90m").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 3660 {
			return 0, fmt.Errorf("%q: give whole days from 1 to 3660, like 30d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: give a duration like 30d or 12h", s)
	}
	return d, nil
}
