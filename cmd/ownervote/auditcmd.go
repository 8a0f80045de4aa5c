package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	ov "github.com/ownervote/ownervote/gen/ownervote/v1"
	"github.com/ownervote/ownervote/store"
)

// receiptUsage is the command's usage line (its flags: --help).
const receiptUsage = "receipt check --keys KEYS.json [--log-verifier KEY] [--export DIR|FILE.zip] RECEIPT.json"

func init() {
	commands["export"] = command{summary: "export an assembly for offline verification", run: runExport}
	commands["verify"] = command{summary: "verify an exported assembly offline", run: runVerify}
	commands["receipt"] = command{summary: "receipt check: verify a ballot receipt and its inclusion proof offline", run: runReceipt}
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("export", flag.ContinueOnError)
	fl.SetOutput(stderr)
	srv := addServerFlags(fl)
	community := fl.String("community", "", "community of the assembly")
	out := fl.String("out", "", "directory to write the export into")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 1 || *community == "" || *out == "" {
		return fmt.Errorf("%w: export --community ID --out DIR [--server ADDR] ASSEMBLY", errUsage)
	}
	// A new directory: files left from another export would be read
	// with this one's (verify reads every export file the directory holds).
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%w: --out %s exists; name a new directory", errUsage, *out)
	}
	conn, ctx, err := srv.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	resp, err := ov.NewAssemblyServiceClient(conn).ExportAssembly(ctx, &ov.ExportAssemblyRequest{CommunityId: *community, AssemblyId: fl.Arg(0)})
	if err != nil {
		return err
	}
	names := make([]string, 0, len(resp.GetFiles()))
	for name := range resp.GetFiles() {
		if name != filepath.Base(name) || name == "." || name == ".." {
			return fmt.Errorf("export: refusing file name %q", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	// Written whole into a temporary directory beside --out, then renamed:
	// a failure leaves no directory that looks like an export.
	parent := filepath.Dir(filepath.Clean(*out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	removeStalePartials(filepath.Clean(*out), "an export", stderr)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(*out)+".partial-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone after the rename
	for _, name := range names {
		if err := writeNewFile(filepath.Join(tmp, name), resp.GetFiles()[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w (nothing exported)", name, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		return fmt.Errorf("%w (nothing exported)", err)
	}
	if err := store.SyncDir(parent); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %s into %s: %d files\n", fl.Arg(0), *out, len(names))
	return nil
}

// writeNewFile writes a file that must not exist yet, fsynced, with mode
// perm.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("verify", flag.ContinueOnError)
	fl.SetOutput(stderr)
	logKey := fl.String("log-verifier", "", "the server's log verifier key as the street office publishes it (GET /v1/server/keys, the public notice); checkpoints must be signed with it")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return fmt.Errorf("%w: verify [--log-verifier KEY] DIR|FILE.zip (a directory written by ownervote export, or the ZIP archive the console downloads; KEY: the log verifier key the street office publishes)", errUsage)
	}
	files, err := readExport(fl.Arg(0), stdout)
	if errors.Is(err, audit.ErrArchive) {
		return fmt.Errorf("核验未通过 / verification failed: %w", err)
	}
	if err != nil {
		return err
	}
	b, err := audit.ReadBundle(files)
	if err == nil {
		var rep *audit.Report
		if rep, err = audit.VerifyWith(b, audit.Trust{LogVerifier: *logKey}); err == nil {
			fmt.Fprint(stdout, rep.String())
			fmt.Fprintln(stdout, "OK: 核验通过 / verified")
			return nil
		}
	}
	return fmt.Errorf("核验未通过 / verification failed: %w", err)
}

// readExport reads an export's files from a directory written by
// ownervote export, or from the console's ZIP archive.
func readExport(arg string, stdout io.Writer) (map[string][]byte, error) {
	fi, err := os.Stat(arg)
	switch {
	case err != nil:
		// The auditor's mistake, not a bad export.
		return nil, fmt.Errorf("%w: %v (DIR|FILE.zip: a directory written by ownervote export, or the console's ZIP archive)", errUsage, err)
	case fi.IsDir():
		return exportDir(arg, stdout)
	case fi.Mode().IsRegular():
		return exportZip(arg, stdout)
	}
	return nil, fmt.Errorf("%w: %s is neither a directory nor a file (DIR|FILE.zip: a directory written by ownervote export, or the console's ZIP archive)", errUsage, arg)
}

// exportDir reads an export's files from a directory, and says which
// others it holds: they are not part of the export, and nothing in them
// was verified.
func exportDir(dir string, stdout io.Writer) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range audit.ExportFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var others []string
	for _, de := range des {
		if !slices.Contains(audit.ExportFiles, de.Name()) {
			others = append(others, de.Name())
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(stdout, "未核验（不属于导出文件）/ not part of an export, not verified: %s\n", strings.Join(others, ", "))
	}
	return files, nil
}

// exportZip reads an export's files from a ZIP archive (audit.ReadArchive)
// and says which it read, with their SHA-256: what another tool unpacks
// from the archive can be compared with them.
func exportZip(file string, stdout io.Writer) (map[string][]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	files, err := audit.ReadArchive(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(stdout, "从 %s 读取 / read from %s:\n", file, file)
	for _, name := range audit.ExportFiles {
		if b, ok := files[name]; ok {
			fmt.Fprintf(stdout, "  %-17s %x\n", name, sha256.Sum256(b))
		}
	}
	return files, nil
}

// receiptFile is a BallotReceipt as the JSON API returns it.
type receiptFile struct {
	BallotID         string   `json:"ballot_id"`
	Status           string   `json:"status"`
	Reason           string   `json:"reason"`
	Receipt          []byte   `json:"receipt"`
	ReceiptSignature []byte   `json:"receipt_signature"`
	LogEntry         []byte   `json:"log_entry"`
	LogIndex         uint64   `json:"log_index,string"`
	LogSize          uint64   `json:"log_size,string"`
	Checkpoint       string   `json:"checkpoint"`
	InclusionProof   [][]byte `json:"inclusion_proof"`
}

// keysFile is the server's public keys: GET /v1/server/keys, or an
// export's keys.json.
type keysFile struct {
	ReceiptPublicKey []byte `json:"receipt_public_key"`
	LogVerifierKey   string `json:"log_verifier_key"`
	LogVerifier      string `json:"log_verifier"`
}

// logKey is the log verifier key the file gives, by either name.
func (k keysFile) logKey() string { return cmp.Or(k.LogVerifierKey, k.LogVerifier) }

func runReceipt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := groupHelp(args, stderr, receiptUsage); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: %s", errUsage, receiptUsage)
	}
	fl := flag.NewFlagSet("receipt check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	keysPath := fl.String("keys", "", "the server's public keys: GET /v1/server/keys saved to a file, or an export's keys.json")
	pin := fl.String("log-verifier", "", "the server's log verifier key as the street office publishes it (the public notice); the receipt's checkpoint, and the export's, must be signed with it")
	exportPath := fl.String("export", "", "the assembly's export (a directory written by ownervote export, or the console's ZIP archive), later than the receipt: checks that it holds the log the receipt's checkpoint signed, and whether the ballot still counts in it")
	if err := parseFlags(fl, args[1:]); err != nil {
		return err
	}
	if fl.NArg() != 1 || *keysPath == "" {
		return fmt.Errorf("%w: %s", errUsage, receiptUsage)
	}
	var keys keysFile
	if err := readJSON(*keysPath, &keys); err != nil {
		return err
	}
	if len(keys.ReceiptPublicKey) == 0 {
		return fmt.Errorf("%w: --keys %s has no receipt_public_key: give the server's keys (GET /v1/server/keys saved to a file, or an export's keys.json), and the receipt as the argument", errUsage, *keysPath)
	}
	if *pin != "" && keys.logKey() != *pin {
		return fmt.Errorf("回执核验未通过 / receipt check failed: the log key of %s, %q, is not the pinned %q: these keys are not that server's", *keysPath, keys.logKey(), *pin)
	}
	var rf receiptFile
	if err := readJSON(fl.Arg(0), &rf); err != nil {
		return err
	}
	if len(rf.Receipt) == 0 {
		if st := strings.TrimPrefix(rf.Status, "BALLOT_STATUS_"); st != "" && st != "ACCEPTED" {
			// The answer for a ballot that does not count.
			why := ""
			if rf.Reason != "" {
				why = " (" + rf.Reason + ")"
			}
			return fmt.Errorf("%s holds no receipt: ballot %s is %s%s: a receipt is signed for a counted ballot only", fl.Arg(0), rf.BallotID, st, why)
		}
		return fmt.Errorf("%w: %s holds no receipt: give the receipt (GET …/ballots/{id}/receipt saved to a file) as the argument", errUsage, fl.Arg(0))
	}
	rc, err := checkReceipt(rf, keys)
	if err == nil && *exportPath != "" {
		err = rc.againstExport(*exportPath, stdout)
	}
	if err != nil {
		return fmt.Errorf("回执核验未通过 / receipt check failed: %w", err)
	}
	fmt.Fprintln(stdout, rc.summary)
	if *pin == "" {
		fmt.Fprintln(stdout, "note: the log key comes from the keys file; compare it with the key the street office publishes (the public notice), or pass --log-verifier")
	}
	if *exportPath == "" {
		fmt.Fprintln(stdout, "note: a receipt shows the ballot as the log held it then; where owners may change their vote, a later ballot of the voter supersedes it, and a server could show its log differently to others: check the receipt against the assembly's export (--export), which also proves the export holds this log")
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// A file saved by Notepad starts with a byte-order mark.
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

// supersession finds, among the log entries after entry from, the one
// that supersedes ballot seq: its index and reason, or 0.
func supersession(entries [][]byte, from, seq uint64) (uint64, string, error) {
	for i := from + 1; i < uint64(len(entries)); i++ {
		e, err := audit.ParseEntry(entries[i])
		if err != nil {
			return 0, "", err
		}
		if e.Status != nil && e.Status.Seq == seq && e.Status.Status == "SUPERSEDED" {
			return i, e.Status.Reason, nil
		}
	}
	return 0, "", nil
}

// receiptCheck is a receipt checked: what it says and what proves it.
type receiptCheck struct {
	r       *ballot.Receipt
	rf      receiptFile
	cp      *log.Checkpoint
	logKey  string
	summary string
}

// checkReceipt verifies, offline: the server's signature of the receipt,
// the log checkpoint's signature, the inclusion of the ballot's log entry
// in that checkpoint, and that the entry records this ballot (of this
// assembly, under its number) as counted.
func checkReceipt(rf receiptFile, keys keysFile) (*receiptCheck, error) {
	vkey := keys.logKey()
	r, err := ballot.VerifyReceipt(rf.Receipt, rf.ReceiptSignature, keys.ReceiptPublicKey)
	if err != nil {
		return nil, fmt.Errorf("receipt signature: %w", err)
	}
	if rf.BallotID != "" && rf.BallotID != r.BallotID {
		return nil, fmt.Errorf("the receipt is for ballot %s, not %s", r.BallotID, rf.BallotID)
	}
	if vkey == "" {
		return nil, fmt.Errorf("the keys file has no log_verifier_key: give GET /v1/server/keys saved to a file, or an export's keys.json")
	}
	cp, err := audit.OpenCheckpoint([]byte(rf.Checkpoint), vkey, r.Assembly)
	if err != nil {
		return nil, fmt.Errorf("the receipt's checkpoint is not one of assembly %s's log signed with the log key %s: %w", r.Assembly, vkey, err)
	}
	if len(rf.LogEntry) == 0 {
		return nil, fmt.Errorf("the receipt has no log_entry: the server gives it to the sign-in that submitted the ballot, the city platform for its channels, and log readers (staff, committee, auditors): fetch the receipt as one of them (GET …/ballots/{id}/receipt)")
	}
	if err := audit.VerifyInclusion(rf.LogEntry, rf.LogIndex, cp.Size, rf.InclusionProof, cp.Hash); err != nil {
		return nil, fmt.Errorf("inclusion proof: log entry %d with its proof of %d hashes does not lead to the signed root %x of %d entries: the receipt's log_entry, log_index or inclusion_proof is not what the server logged",
			rf.LogIndex, len(rf.InclusionProof), cp.Hash, cp.Size)
	}
	e, err := audit.ParseEntry(rf.LogEntry)
	if err != nil {
		return nil, err
	}
	// What the server signed in the receipt is what it logged.
	if e.Index != rf.LogIndex || e.Assembly != r.Assembly {
		return nil, fmt.Errorf("log entry %d is entry %d of assembly %s, the receipt names entry %d of assembly %s", rf.LogIndex, e.Index, e.Assembly, rf.LogIndex, r.Assembly)
	}
	recorded := ""
	switch {
	case e.Ballot != nil && e.Ballot.ID == r.BallotID && e.Ballot.Status == "ACCEPTED":
		// The entry's bytes are the ballot's: its id is their hash.
		if ballot.ID(e.Ballot.Ballot) != r.BallotID {
			return nil, fmt.Errorf("log entry %d names ballot %s, but the ballot it holds is %s: the log holds another ballot under this one's id", rf.LogIndex, r.BallotID, ballot.ID(e.Ballot.Ballot))
		}
		b, err := ballot.Parse(e.Ballot.Ballot)
		if err != nil {
			return nil, fmt.Errorf("log entry %d: the ballot it holds: %w", rf.LogIndex, err)
		}
		if b.Assembly != r.Assembly || e.Ballot.Seq != r.Seq {
			return nil, fmt.Errorf("log entry %d holds ballot %d of assembly %s, the receipt names ballot %d of assembly %s", rf.LogIndex, e.Ballot.Seq, b.Assembly, r.Seq, r.Assembly)
		}
		var cs []string
		for _, c := range b.Choices {
			cs = append(cs, c.Motion+"="+strings.Join(c.Values, "+"))
		}
		recorded = "\n记录的选择 / choices recorded: " + strings.Join(cs, ", ")
	case e.Status != nil && e.Status.ID == r.BallotID && e.Status.Status == "ACCEPTED" && e.Status.Seq == r.Seq:
		recorded = "\n(counted on a second staff member's confirmation: the ballot's own bytes are in the log entry of ballot #" + fmt.Sprint(r.Seq) + ")"
	default:
		return nil, fmt.Errorf("log entry %d does not record ballot %s (#%d) as counted", rf.LogIndex, r.BallotID, r.Seq)
	}
	summary := fmt.Sprintf("OK: ballot %s (assembly %s, #%d, received %s) was counted when the log held %d entries: log entry %d, under the signed checkpoint%s\n"+
		"receipt key: %s\nlog key: %s\ncheckpoint: %d entries, root %s (compare it with a later checkpoint of the public notice or the export)",
		r.BallotID, r.Assembly, r.Seq, r.Received.Format(time.RFC3339), cp.Size, rf.LogIndex, recorded,
		r.ServerKeyID, vkey, cp.Size, base64.StdEncoding.EncodeToString(cp.Hash))
	return &receiptCheck{r: r, rf: rf, cp: cp, logKey: vkey, summary: summary}, nil
}

// againstExport checks the receipt against a later export of its
// assembly, verified under the receipt's log key: the export's log must
// begin with the very entries the receipt's checkpoint signed (else the
// server showed two versions of the log), and the ballot must still count
// in it (not superseded by a later ballot of its voter, the assembly not
// cancelled).
func (rc *receiptCheck) againstExport(path string, stdout io.Writer) error {
	files, err := readExport(path, stdout)
	if err != nil {
		return fmt.Errorf("--export: %w", err)
	}
	b, err := audit.ReadBundle(files)
	if err != nil {
		return fmt.Errorf("the export %s: %w", path, err)
	}
	if b.Keys.Assembly != rc.r.Assembly {
		return fmt.Errorf("the export %s is of assembly %s, the receipt of %s", path, b.Keys.Assembly, rc.r.Assembly)
	}
	rep, err := audit.VerifyWith(b, audit.Trust{LogVerifier: rc.logKey})
	if err != nil {
		return fmt.Errorf("the export %s does not verify under the receipt's log key: %w", path, err)
	}
	n := rc.cp.Size
	if uint64(len(b.Entries)) < n {
		return fmt.Errorf("the export %s holds %d log entries, fewer than the receipt's checkpoint (%d): it is older than the receipt; export the assembly again", path, len(b.Entries), n)
	}
	root, err := audit.RootOf(b.Entries[:n])
	if err != nil {
		return err
	}
	if !bytes.Equal(root, rc.cp.Hash) {
		return fmt.Errorf("two versions of the log: the export's first %d entries have the root %s, the receipt's checkpoint, signed with the same log key, %s for the same size: the server showed the receipt a log the export does not hold; keep both files, they prove it",
			n, base64.StdEncoding.EncodeToString(root), base64.StdEncoding.EncodeToString(rc.cp.Hash))
	}
	if at, why, err := supersession(b.Entries, rc.rf.LogIndex, rc.r.Seq); err != nil || at != 0 {
		return cmp.Or(err, fmt.Errorf("ballot %s no longer counts: log entry %d of the export records it superseded (%s) by a later ballot of its voter", rc.r.BallotID, at, why))
	}
	if rep.Cancelled {
		return fmt.Errorf("the assembly was cancelled (the export's last log entry): no ballot of it counts")
	}
	rc.summary += fmt.Sprintf("\nthe export (%d log entries, verified under the same log key) holds the log the receipt's checkpoint signed, and the ballot still counts in it", len(b.Entries))
	if rep.Result != nil {
		rc.summary += fmt.Sprintf(": the result recomputed from it, digest %s, counts it", rep.Digest)
	}
	return nil
}
