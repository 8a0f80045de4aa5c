package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/roll"
)

// rollUsage is the command's usage line (its flags: --help).
const rollUsage = "roll import --community ID [--server ADDR] [--check] FILE"

func init() {
	commands["roll"] = command{summary: "owner roll: import a roster (CSV or .xlsx) into a community", run: runRoll}
}

func runRoll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := groupHelp(args, stderr, rollUsage); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "import" {
		return fmt.Errorf("%w: %s", errUsage, rollUsage)
	}
	fl := flag.NewFlagSet("roll import", flag.ContinueOnError)
	fl.SetOutput(stderr)
	community := fl.String("community", "", "community id to import into (required unless --check)")
	srv := addServerFlags(fl)
	check := fl.Bool("check", false, "only check the file here; send nothing")
	if err := parseFlags(fl, args[1:]); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return fmt.Errorf("%w: name one roster file (.csv or .xlsx)", errUsage)
	}
	if *community == "" && !*check {
		return fmt.Errorf("%w: --community is required", errUsage)
	}
	path := fl.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	roster, err := roll.CheckFile(filepath.Base(path), f)
	f.Close()
	if err != nil {
		return err
	}
	owners := 0
	for _, u := range roster.Units {
		owners += len(u.Owners)
	}
	if *check {
		fmt.Fprintf(stdout, "%s: %d units, %d owner rows, no problems found\n", path, len(roster.Units), owners)
		return nil
	}
	conn, ctx, err := srv.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req := &ov.ImportUnitsRequest{CommunityId: *community}
	kinds := map[roll.Kind]ov.UnitKind{roll.Person: ov.UnitKind_UNIT_KIND_PERSON, roll.DeveloperUnsold: ov.UnitKind_UNIT_KIND_DEVELOPER_UNSOLD, roll.SoldUndelivered: ov.UnitKind_UNIT_KIND_SOLD_UNDELIVERED}
	for _, u := range roster.Units {
		pu := &ov.UnitInput{UnitId: u.ID, RegisteredAreaM2: u.Registered, SurveyedAreaM2: u.Surveyed, ContractAreaM2: u.Contract, Kind: kinds[u.Kind]}
		for _, o := range u.Owners {
			pu.Owners = append(pu.Owners, &ov.OwnerInput{Name: o.Name, IdNumber: o.IDNumber, Phone: o.Phone, Representative: o.Representative})
		}
		req.Units = append(req.Units, pu)
	}
	resp, err := ov.NewRollServiceClient(conn).ImportUnits(ctx, req)
	if err != nil {
		return placeServerError(roster, err)
	}
	fig := resp.GetFigures()
	fmt.Fprintf(stdout, "imported %d units (%d new owners) into %s\n", resp.GetImportedUnits(), resp.GetNewOwners(), *community)
	fmt.Fprintf(stdout, "roll now: %d units, total area %s m², headcount %d\n", fig.GetUnitCount(), fig.GetTotalAreaM2(), fig.GetTotalHead())
	return nil
}

var violationPath = regexp.MustCompile(`^units\[(\d+)\](?:\.owners\[(\d+)\])?\.(\w+)$`)

// placeServerError turns the field violations of a refused import into
// file rows and columns.
func placeServerError(roster *roll.Roster, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded {
		return fmt.Errorf("the server did not answer, nothing imported: %s (is --server right, and the server running?)", st.Message())
	}
	fe := &roll.FileError{}
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			m := violationPath.FindStringSubmatch(v.GetField())
			if m == nil {
				continue
			}
			p := roll.Problem{Owner: -1, Field: m[3], Reason: v.GetDescription()}
			p.Unit, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				p.Owner, _ = strconv.Atoi(m[2])
			}
			fe.Problems = append(fe.Problems, roll.FileProblem{Place: roster.Place(p), Reason: p.Reason, ZH: v.GetLocalizedMessage().GetMessage(), Err: roll.ErrInvalidImport})
		}
	}
	if len(fe.Problems) == 0 {
		return fmt.Errorf("server refused the import: %s (%s)", st.Message(), st.Code())
	}
	return errors.Join(errors.New("server refused the import"), fe)
}
