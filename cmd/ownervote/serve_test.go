package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/roll"
)

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoServer is `ownervote serve --demo` running in this process.
type demoServer struct {
	grpcAddr, httpAddr, token string
	stop                      func() (code int, stderr string)
}

var (
	grpcLine  = regexp.MustCompile(`gRPC:\s+(\S+)`)
	httpLine  = regexp.MustCompile(`JSON API:\s+http://([^/]+)/`)
	tokenLine = regexp.MustCompile(`(ovt_\S+)`)
)

func startDemo(t *testing.T, dataDir string) demoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data", dataDir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "gRPC:") {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := stdout.String()
	ds := demoServer{
		grpcAddr: grpcLine.FindStringSubmatch(out)[1],
		httpAddr: httpLine.FindStringSubmatch(out)[1],
		token:    tokenLine.FindStringSubmatch(out)[1],
	}
	stopped := false
	ds.stop = func() (int, string) {
		if stopped {
			return 0, ""
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop within 20 s of cancellation")
		}
		return -1, ""
	}
	t.Cleanup(func() { ds.stop() })
	return ds
}

func getJSON(t *testing.T, url, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

type communityList struct {
	Communities []struct {
		CommunityID string `json:"community_id"`
		Name        string `json:"name"`
		Figures     struct {
			UnitCount   int    `json:"unit_count"`
			TotalAreaM2 string `json:"total_area_m2"`
			TotalHead   int    `json:"total_head"`
		} `json:"figures"`
	} `json:"communities"`
}

// TestServeDemo is the README's first command: the demo server answers
// gRPC health checks and lists the demo community over JSON, shuts down
// cleanly on cancellation (SIGINT/SIGTERM in main), and keeps its data.
func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	ds := startDemo(t, dir)

	conn, err := grpc.NewClient(ds.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", h, err)
	}
	var list communityList
	if code := getJSON(t, "http://"+ds.httpAddr+"/v1/communities", ds.token, &list); code != 200 || len(list.Communities) != 1 {
		t.Fatalf("GET /v1/communities = %d, %+v", code, list)
	}
	c := list.Communities[0]
	if c.Name != "北宅王哥庄机关宿舍楼" || c.Figures.UnitCount != 166 || c.Figures.TotalHead != 160 || c.Figures.TotalAreaM2 == "" {
		t.Errorf("demo community = %+v, want 166 units and 160 heads", c)
	}
	area := c.Figures.TotalAreaM2

	if code, stderr := ds.stop(); code != 0 {
		t.Fatalf("serve exit code %d after cancel: %s", code, stderr)
	} else if !strings.Contains(stderr, "database closed") {
		t.Errorf("serve log lacks the clean shutdown line:\n%s", stderr)
	}

	// The database is released: the offline token command can open it.
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"token", "list", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("token list: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "STREET_ADMIN") || strings.Contains(out.String(), ds.token) {
		t.Errorf("token list = %q: want the demo admin, never a secret", out.String())
	}

	// A restart keeps the data and does not seed twice.
	ds2 := startDemo(t, dir)
	list = communityList{}
	getJSON(t, "http://"+ds2.httpAddr+"/v1/communities", ds2.token, &list)
	if len(list.Communities) != 1 || list.Communities[0].Figures.UnitCount != 166 || list.Communities[0].Figures.TotalAreaM2 != area {
		t.Errorf("after restart: %+v, want the same single community", list)
	}
	// The first demo token still works.
	if code := getJSON(t, "http://"+ds2.httpAddr+"/v1/communities", ds.token, &list); code != 200 {
		t.Errorf("first demo token after restart: HTTP %d", code)
	}
}

func idNumber(n int) string {
	first := fmt.Sprintf("99000019700101%03d", n)
	return first + string(roll.ResidentIDCheck(first))
}

func TestRollImportCLI(t *testing.T) {
	dir := t.TempDir()
	ds := startDemo(t, dir)
	// A community to import into, through the CLI's own token command
	// would need the database; create it over JSON instead.
	body := `{"community_id":"xinyuan","name":"新苑小区","street_office":"金家岭街道"}`
	req, _ := http.NewRequest("POST", "http://"+ds.httpAddr+"/v1/communities", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ds.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("create community: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("房号,登记面积,业主姓名,身份证号,联系电话\n"+
		"1-1-101,80.00,甲,"+idNumber(1)+",13800000001\n"+
		"1-1-101,80.00,乙,"+idNumber(2)+",\n"+
		"1-1-102,abc,丙,"+idNumber(3)+",\n"+
		"1-1-103,70.00,,,\n"), 0o600)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"roll", "import", "--community", "xinyuan", "--server", ds.grpcAddr, "--token", ds.token, bad}, &out, &errOut)
	if code == 0 {
		t.Fatalf("import of a bad file exited 0: %s", out.String())
	}
	for _, want := range []string{"bad.csv:3: column 房号", "bad.csv:4: column 登记面积", "bad.csv:5: column representative"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("error output lacks %q:\n%s", want, errOut.String())
		}
	}
	if strings.Contains(errOut.String(), idNumber(1)) {
		t.Error("error output echoes an identity number")
	}

	f := excelize.NewFile()
	rows := [][]any{
		{"房号", "登记面积", "实测面积", "类型", "业主姓名", "身份证号", "联系电话", "代表"},
		{"1-1-101", 80.25, nil, "", "甲", idNumber(1), "13800000001", ""},
		{"1-1-102", 60.10, nil, "", "甲", idNumber(1), "13800000001", ""},
		{"1-1-201", nil, 71, "", "乙", idNumber(2), "", "是"},
		{"1-1-201", nil, 71, "", "丙", idNumber(3), "", "否"},
		{"1-1-202", 70, nil, "未售", nil, nil, nil, nil},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	xlsx := filepath.Join(t.TempDir(), "roster.xlsx")
	if err := f.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"roll", "import", "--community", "xinyuan", "--server", ds.grpcAddr, "--token", ds.token, xlsx}, &out, &errOut)
	if code != 0 {
		t.Fatalf("import xlsx: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "total area 281.35 m², headcount 3") {
		t.Errorf("import output = %q, want 281.35 m² and 3 heads", out.String())
	}
	// Importing the same file again is refused by the server, placed on rows.
	errOut.Reset()
	code = run(context.Background(), []string{"roll", "import", "--community", "xinyuan", "--server", ds.grpcAddr, "--token", ds.token, xlsx}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "roster.xlsx:2: column 房号") {
		t.Errorf("second import: exit %d, stderr %q; want refused at roster.xlsx:2", code, errOut.String())
	}
}

// TestDemoVoteWalkthrough runs `ownervote demo vote` against `serve --demo`:
// the seed story through the JSON API from several channels, closed and
// tallied.
func TestDemoVoteWalkthrough(t *testing.T) {
	dataDir := t.TempDir()
	ds := startDemo(t, dataDir)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo", "vote", "--api", "http://" + ds.httpAddr, "--token", ds.token}, &out, &errOut)
	if code != 0 {
		t.Fatalf("demo vote: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"20 online, 60 platform, 28 phone, 5 visit, 3 paper, 2 proxy", "ALREADY_VOTED", ": PASSED", "参与表决人数 118", "export verified offline"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo vote output lacks %q:\n%s", want, out.String())
		}
	}

	// The README's ending: export and verify from the command line, and an
	// owner's receipt checked offline.
	asm := regexp.MustCompile(`ownervote verify \./export-(\S+)`).FindStringSubmatch(out.String())
	if asm == nil {
		t.Fatalf("demo vote does not name the export commands:\n%s", out.String())
	}
	dir := filepath.Join(t.TempDir(), "export")
	// What an export killed part way an hour ago left goes.
	stale := filepath.Join(filepath.Dir(dir), ".export.partial-123")
	os.MkdirAll(filepath.Join(stale, "inner"), 0o755)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	if code := run(context.Background(), []string{"export", "--server", ds.grpcAddr, "--token", ds.token, "--community", "beizhai-jiguan", "--out", dir, asm[1]}, &out, &errOut); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "removed "+stale+": the partial copy of an export that did not finish") {
		t.Errorf("export did not say it removed %s: %s", stale, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"verify", dir}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "OK") || strings.Contains(out.String(), "not verified") {
		t.Fatalf("verify: exit %d: %s %s", code, out.String(), errOut.String())
	}
	// Another file beside the export's is named as not verified.
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("result: FAILED"), 0o644)
	out.Reset()
	if code := run(context.Background(), []string{"verify", dir}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "not part of an export, not verified: notes.txt") {
		t.Errorf("verify with another file in the directory: exit %d: %s %s", code, out.String(), errOut.String())
	}
	os.Remove(notes)
	// The same files in a ZIP archive (the console's download), at its top
	// level or in one folder, verify too; an archive with anything else in
	// it does not.
	for _, tc := range []struct {
		name, folder string
		extra        string
		ok           bool
	}{{"top level", "", "", true}, {"in a folder", "export-x/", "", true}, {"with another file", "", "notes.txt", false}} {
		zipped := zipExport(t, dir, tc.folder, tc.extra)
		out.Reset()
		errOut.Reset()
		code := run(context.Background(), []string{"verify", zipped}, &out, &errOut)
		if tc.ok != (code == 0 && strings.Contains(out.String(), "OK")) || !tc.ok && !strings.Contains(errOut.String(), `"notes.txt" is no file of an export`) {
			t.Errorf("verify a ZIP archive %s: exit %d: %s %s", tc.name, code, out.String(), errOut.String())
		}
	}
	// An export goes into a new directory, never over another.
	errOut.Reset()
	if code := run(context.Background(), []string{"export", "--server", ds.grpcAddr, "--token", ds.token, "--community", "beizhai-jiguan", "--out", dir, asm[1]}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "exists") {
		t.Errorf("export into an existing directory: exit %d: %s", code, errOut.String())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".export.partial-*")); len(left) != 0 {
		t.Errorf("export left %v behind", left)
	}
	// Tampering with the export makes verify fail.
	roll, _ := os.ReadFile(filepath.Join(dir, "roll.txt"))
	os.WriteFile(filepath.Join(dir, "roll.txt"), []byte(strings.Replace(string(roll), "\t", "\t\t", 1)), 0o644)
	errOut.Reset()
	if code := run(context.Background(), []string{"verify", dir}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "roll-digest") {
		t.Errorf("verify of a tampered export: exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"verify", zipExport(t, dir, "", "")}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "roll-digest") {
		t.Errorf("verify of a tampered export's ZIP archive: exit %d: %s", code, errOut.String())
	}

	// Receipt check with the receipt as the JSON API returns it.
	var list struct {
		Ballots []struct {
			BallotID string `json:"ballot_id"`
			Channel  string `json:"channel"`
			Status   string `json:"status"`
		} `json:"ballots"`
	}
	base := "http://" + ds.httpAddr + "/v1/communities/beizhai-jiguan/assemblies/" + asm[1]
	getJSON(t, base+"/ballots?page_size=1000", ds.token, &list)
	var phoneBallot string
	for _, b := range list.Ballots {
		if b.Channel == "CHANNEL_PHONE" && b.Status == "BALLOT_STATUS_ACCEPTED" {
			phoneBallot = b.BallotID
			break
		}
	}
	receipt := fetch(t, base+"/ballots/"+phoneBallot+"/receipt", ds.token)
	keys := fetch(t, "http://"+ds.httpAddr+"/v1/server/keys", ds.token)
	rp, kp := filepath.Join(t.TempDir(), "receipt.json"), filepath.Join(t.TempDir(), "keys.json")
	os.WriteFile(rp, receipt, 0o644)
	os.WriteFile(kp, keys, 0o644)
	out.Reset()
	if code := run(context.Background(), []string{"receipt", "check", "--keys", kp, rp}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "was counted when the log held") ||
		!strings.Contains(out.String(), "compare it with the key the street office publishes") {
		t.Fatalf("receipt check of a phone ballot: exit %d: %s %s", code, out.String(), errOut.String())
	}
	// Verify pinned to the log key the server publishes, and refused under
	// another key.
	var published struct {
		LogVerifierKey string `json:"log_verifier_key"`
	}
	json.Unmarshal(keys, &published)
	dir2 := filepath.Join(t.TempDir(), "export2")
	if code := run(context.Background(), []string{"export", "--server", ds.grpcAddr, "--token", ds.token, "--community", "beizhai-jiguan", "--out", dir2, asm[1]}, &out, &errOut); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"verify", "--log-verifier", published.LogVerifierKey, dir2}, &out, &errOut); code != 0 || strings.Contains(out.String(), "note: the log key comes from the export") {
		t.Errorf("pinned verify: exit %d: %s", code, out.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"verify", "--log-verifier", "ownervote-log+00000000+AUxY0TQUTXyXeLNsTvvqaRFJg2ezsd2+gYR5C+6Wnlv5", dir2}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "log-key") {
		t.Errorf("verify pinned to another key: exit %d: %s", code, errOut.String())
	}

	// The receipt against the export, later than it: the export holds the
	// log the receipt's checkpoint signed, and the ballot still counts.
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"receipt", "check", "--keys", kp, "--log-verifier", published.LogVerifierKey, "--export", dir2, rp}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "the ballot still counts in it") || strings.Contains(out.String(), "note:") {
		t.Errorf("receipt check against the export: exit %d: %s %s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"receipt", "check", "--keys", kp, "--log-verifier", "ownervote-log+00000000+AUxY0TQUTXyXeLNsTvvqaRFJg2ezsd2+gYR5C+6Wnlv5", rp}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "is not the pinned") {
		t.Errorf("receipt check pinned to another log key: exit %d: %s", code, errOut.String())
	}
	// Two versions of the log: the server (its log key) shows the receipt a
	// log of the same size that differs from the export's in another entry.
	var rf receiptFile
	json.Unmarshal(receipt, &rf)
	seed, err := os.ReadFile(filepath.Join(dataDir, logKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	logSigner, _, err := audit.LogKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	files, err := exportDir(dir2, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := audit.ReadBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	other := slices.Clone(bundle.Entries[:rf.LogSize])
	other[0] = append(slices.Clone(other[0][:len(other[0])-1]), ' ', '}')
	var tree audit.Tree
	nodes := map[compact.NodeID][]byte{}
	for _, l := range other {
		if err := tree.Append(audit.LeafHash(l), func(id compact.NodeID, h []byte) { nodes[id] = h }); err != nil {
			t.Fatal(err)
		}
	}
	for i, l := range other {
		nodes[compact.NewNodeID(0, uint64(i))] = audit.LeafHash(l)
	}
	root, _ := tree.Root()
	rf.InclusionProof, err = audit.InclusionProof(rf.LogIndex, rf.LogSize, func(ids []compact.NodeID) ([][]byte, error) {
		var hs [][]byte
		for _, id := range ids {
			hs = append(hs, nodes[id])
		}
		return hs, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.SignCheckpoint(logSigner, asm[1], rf.LogSize, root)
	if err != nil {
		t.Fatal(err)
	}
	rf.Checkpoint = string(cp)
	split, _ := json.Marshal(rf)
	sp := filepath.Join(t.TempDir(), "split-receipt.json")
	os.WriteFile(sp, split, 0o644)
	out.Reset()
	if code := run(context.Background(), []string{"receipt", "check", "--keys", kp, sp}, &out, &errOut); code != 0 {
		t.Fatalf("the receipt under the other log's checkpoint, alone: exit %d: %s %s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"receipt", "check", "--keys", kp, "--export", dir2, sp}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "two versions of the log") {
		t.Errorf("the receipt under the other log's checkpoint, against the export: exit %d: %s", code, errOut.String())
	}

	bad := strings.Replace(string(receipt), `"log_index":"`, `"log_index":"1`, 1)
	os.WriteFile(rp, []byte(bad), 0o644)
	if code := run(context.Background(), []string{"receipt", "check", "--keys", kp, rp}, &out, &errOut); code == 0 {
		t.Error("receipt check accepted a receipt with another log index")
	}
}

func fetch(t *testing.T, url, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// zipExport puts the files of the export directory dir into a ZIP archive,
// under folder ("" for the top level), with a file named extra if one is
// given, and returns its path.
func zipExport(t *testing.T, dir, folder, extra string) string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if extra != "" {
		names = append(names, extra)
	}
	for _, name := range names {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		w, err := zw.Create(folder + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}
