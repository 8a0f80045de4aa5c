package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ownervote/ownervote/demo"
	"github.com/ownervote/ownervote/store"
)

// served is `ownervote serve` running in this process.
type served struct {
	grpcAddr, base, token string
	stdout, stderr        *syncBuffer
	stop                  func() int
}

var servingAddrs = regexp.MustCompile(`msg=serving grpc=(\S+) http=(\S+) tls=(\S+)`)

// serveInProc runs `ownervote serve --data dir args...` on loopback ports
// chosen by the kernel and waits until it serves.
func serveInProc(t *testing.T, dir string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan int, 1)
	all := append([]string{"serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, args...)
	go func() { done <- run(ctx, all, s.stdout, s.stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := servingAddrs.FindStringSubmatch(s.stderr.String())
		if m != nil && (!strings.Contains(strings.Join(args, " "), "--demo") || strings.Contains(s.stdout.String(), "gRPC:")) {
			scheme := "http://"
			if m[3] == "true" {
				scheme = "https://"
			}
			s.grpcAddr, s.base = m[1], scheme+m[2]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d:\n%s", code, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if m := tokenLine.FindStringSubmatch(s.stdout.String()); m != nil {
		s.token = m[1]
	}
	stopped, code := false, 0
	s.stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not stop within 20 s")
			}
		}
		return code
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// runCmd runs an ownervote command in this process.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// apiGet GETs path and decodes the JSON reply into out.
func apiGet(t *testing.T, c *http.Client, base, path, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v in %q", path, err, raw)
		}
	}
	return resp.StatusCode
}

// snapshot is what a server serves about the demo community and its
// assemblies, as raw JSON.
func snapshot(t *testing.T, base, token string) map[string]string {
	t.Helper()
	out := map[string]string{}
	get := func(path string) map[string]any {
		var v map[string]any
		if code := apiGet(t, http.DefaultClient, base, path, token, &v); code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, code)
		}
		b, _ := json.Marshal(v)
		out[path] = string(b)
		return v
	}
	c := "/v1/communities/" + demo.CommunityID
	get(c + "/figures")
	list := get(c + "/assemblies")
	for _, a := range list["assemblies"].([]any) {
		id := a.(map[string]any)["assembly_id"].(string)
		get(c + "/assemblies/" + id + "/progress")
		get(c + "/assemblies/" + id + "/result")
		get(c + "/assemblies/" + id + "/ballots?page_size=1000")
	}
	return out
}

// TestBackupRestoreCLI: `ownervote backup` of a running server, `ownervote
// restore` into a new data directory (refusing what would lose data), and a
// server on the restored directory serves the same roll, progress, ballots
// and result.
func TestBackupRestoreCLI(t *testing.T) {
	oldDir, newDir := t.TempDir(), filepath.Join(t.TempDir(), "restored")
	a := serveInProc(t, oldDir, "--demo")
	if code, out, errOut := runCmd("demo", "vote", "--api", a.base, "--token", a.token); code != 0 {
		t.Fatalf("demo vote: %d\n%s\n%s", code, out, errOut)
	}
	want := snapshot(t, a.base, a.token)

	backup := filepath.Join(t.TempDir(), "ownervote-backup.db")
	code, out, errOut := runCmd("backup", "--api", a.base, "--token", a.token, "--out", backup)
	if code != 0 || !strings.Contains(out, "bbolt check passed") {
		t.Fatalf("backup --api: %d\n%s\n%s", code, out, errOut)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if code, _, _ := runCmd("backup", "--api", a.base, "--token", a.token, "--out", backup); code == 0 {
		t.Error("backup over an existing file succeeded")
	}
	// Offline backup needs the server stopped: its database is locked.
	if code, _, errOut := runCmd("backup", "--data", oldDir, "--out", filepath.Join(t.TempDir(), "x.db")); code == 0 {
		t.Errorf("offline backup of a running server's directory succeeded: %s", errOut)
	}

	garbage := filepath.Join(t.TempDir(), "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	someKeys := t.TempDir() // the identity secret alone
	if b, err := os.ReadFile(filepath.Join(oldDir, keyFiles[0])); err != nil {
		t.Fatal(err)
	} else {
		os.WriteFile(filepath.Join(someKeys, keyFiles[0]), b, 0o600)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"without the key files", []string{"restore", "--from", backup, "--data", newDir}},
		{"from a file that is not a database", []string{"restore", "--from", garbage, "--data", newDir, "--keys-from", oldDir}},
		{"with --keys-from mistyped", []string{"restore", "--from", backup, "--data", newDir, "--keys-from", oldDir + "-typo"}},
		{"with some of the key files", []string{"restore", "--from", backup, "--data", newDir, "--keys-from", someKeys}},
	} {
		if code, _, _ := runCmd(tc.args...); code == 0 {
			t.Errorf("restore %s succeeded", tc.name)
		}
		// Refused before anything is written: not even the directory.
		if _, err := os.Stat(newDir); !os.IsNotExist(err) {
			t.Fatalf("restore %s left %s behind (%v)", tc.name, newDir, err)
		}
	}
	if code, out, errOut := runCmd("restore", "--from", backup, "--data", newDir, "--keys-from", oldDir); code != 0 {
		t.Fatalf("restore: %d\n%s\n%s", code, out, errOut)
	}
	for _, name := range append([]string{dbFile}, keyFiles...) {
		fi, err := os.Stat(filepath.Join(newDir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("restored %s: %v, want mode 0600", name, err)
		}
	}
	if code, _, _ := runCmd("restore", "--from", backup, "--data", newDir); code == 0 {
		t.Error("restore over an existing database without --force succeeded")
	}
	// The database being replaced left a journal (as after a crash): it
	// goes aside with it, or the restored database would not open.
	oldJournal := store.JournalDir(filepath.Join(newDir, dbFile))
	if err := os.MkdirAll(oldJournal, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(oldJournal, "0000000000000001.seg"), []byte("OVJ1 another database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd("restore", "--from", backup, "--data", newDir, "--force"); code != 0 || !strings.Contains(errOut, "replaced-") || !strings.Contains(errOut, ".journal") {
		t.Errorf("restore --force: %d %s; want the old database and its journal kept aside", code, errOut)
	}
	if _, err := os.Stat(oldJournal); !os.IsNotExist(err) {
		t.Errorf("the replaced database's journal is still in place: %v", err)
	}
	// Key files that differ from the backup's database's (it records their
	// fingerprints): another identity secret is refused, even with
	// --force (owner ids derive from it); other signing keys are refused
	// without --force, and with it the ones there are kept aside, and said
	// so. A key file of another length is no key.
	keysWith := func(edit func(name string, b []byte) []byte) string {
		dir := t.TempDir()
		for _, name := range keyFiles {
			b, err := os.ReadFile(filepath.Join(oldDir, name))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, name), edit(name, bytes.Clone(b)), 0o600)
		}
		return dir
	}
	otherSecret := keysWith(func(name string, b []byte) []byte {
		if name == secretFile {
			b[0] ^= 1
		}
		return b
	})
	for _, args := range [][]string{
		{"--data", filepath.Join(t.TempDir(), "empty")}, // no identity secret there to differ from
		{"--data", newDir, "--force"},
	} {
		args = append([]string{"restore", "--from", backup, "--keys-from", otherSecret}, args...)
		if code, _, errOut := runCmd(args...); code == 0 || !strings.Contains(errOut, "identity.secret the directory would have is not the one") {
			t.Errorf("%v with another identity secret: %d %s; want it refused", args, code, errOut)
		}
	}
	long := keysWith(func(name string, b []byte) []byte {
		if name == logKeyFile {
			b = append(b, '\n')
		}
		return b
	})
	if code, _, errOut := runCmd("restore", "--from", backup, "--data", newDir, "--keys-from", long, "--force"); code == 0 || !strings.Contains(errOut, "log.key has 33 bytes") {
		t.Errorf("restore with a log.key of 33 bytes: %d %s; want it refused", code, errOut)
	}
	otherKeys := keysWith(func(name string, b []byte) []byte {
		if name == receiptKeyFile {
			b[0] ^= 1
		}
		return b
	})
	before, _ := os.ReadFile(filepath.Join(newDir, receiptKeyFile))
	if code, _, errOut := runCmd("restore", "--from", backup, "--data", newDir, "--keys-from", otherKeys); code == 0 || !strings.Contains(errOut, "differs") {
		t.Errorf("restore with another receipt key, without --force: %d %s; want it refused", code, errOut)
	}
	code, _, errOut = runCmd("restore", "--from", backup, "--data", newDir, "--keys-from", otherKeys, "--force")
	kept, _ := filepath.Glob(filepath.Join(newDir, receiptKeyFile+".replaced-*"))
	if code != 0 || len(kept) != 1 || !strings.Contains(errOut, receiptKeyFile+" that was there is kept as") {
		t.Fatalf("restore --force with another receipt key: %d %s (kept aside: %v)", code, errOut, kept)
	}
	if b, _ := os.ReadFile(kept[0]); !bytes.Equal(b, before) {
		t.Error("the receipt key kept aside is not the one that was there")
	}
	// Into an empty directory, the other receipt key is no differing file,
	// but still not the database's: refused without --force.
	if code, _, errOut := runCmd("restore", "--from", backup, "--data", filepath.Join(t.TempDir(), "empty"), "--keys-from", otherKeys); code == 0 || !strings.Contains(errOut, "other signing keys than this backup's database was served with") {
		t.Errorf("restore with another receipt key into an empty directory: %d %s; want it refused", code, errOut)
	}
	// Back to the right keys for the checks below, in the same second:
	// what is kept aside then never takes the name of what was kept before.
	if code, _, errOut := runCmd("restore", "--from", backup, "--data", newDir, "--keys-from", oldDir, "--force"); code != 0 {
		t.Fatalf("restore --force with the right keys: %d %s", code, errOut)
	}
	if kept, _ := filepath.Glob(filepath.Join(newDir, receiptKeyFile+".replaced-*")); len(kept) != 2 {
		t.Errorf("after two replacements of the receipt key, kept aside: %v; want both", kept)
	}

	b := serveInProc(t, newDir)
	got := snapshot(t, b.base, a.token)
	for path, w := range want {
		if got[path] != w {
			t.Errorf("GET %s differs on the restored server:\n got %s\nwant %s", path, got[path], w)
		}
	}
	// The restored server takes a backup too, and refuses a restore while
	// it runs.
	if code, _, _ := runCmd("restore", "--from", backup, "--data", newDir, "--force"); code == 0 {
		t.Error("restore --force into the directory of a running server succeeded")
	}
	// Nor from its database file: that is in use, not a bad file.
	if code, _, errOut := runCmd("restore", "--from", filepath.Join(newDir, dbFile), "--data", t.TempDir()); code == 0 || !strings.Contains(errOut, "in use") {
		t.Errorf("restore from a running server's database file: %d %s; want it named in use", code, errOut)
	}
	a.stop()
	offline := filepath.Join(t.TempDir(), "offline.db")
	if code, out, errOut := runCmd("backup", "--data", oldDir, "--out", offline); code != 0 {
		t.Fatalf("offline backup: %d %s %s", code, out, errOut)
	}
	if _, err := store.VerifyFile(offline); err != nil {
		t.Errorf("offline backup: %v", err)
	}
}

// pemFile writes PEM blocks to a file in dir.
func pemFile(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// certFiles makes a CA and a certificate it signs (for loopback, or a
// client certificate), and writes the CA, the certificate and its key.
func certFiles(t *testing.T, dir, name string, client bool) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemFile(t, dir, name+"-ca.pem", "CERTIFICATE", caDER), pemFile(t, dir, name+".pem", "CERTIFICATE", der),
		pemFile(t, dir, name+"-key.pem", "PRIVATE KEY", keyDER)
}

// TestServeTLSFlags: serve --tls-cert --tls-key --client-ca serves both
// APIs over TLS with client certificates, and `ownervote backup`, `demo
// vote` and the gRPC commands connect with --ca, --cert and --key.
func TestServeTLSFlags(t *testing.T) {
	dir := t.TempDir()
	serverCA, serverCert, serverKey := certFiles(t, dir, "server", false)
	clientCA, clientCert, clientKey := certFiles(t, dir, "platform", true)
	s := serveInProc(t, t.TempDir(), "--demo", "--tls-cert", serverCert, "--tls-key", serverKey, "--client-ca", clientCA)
	if !strings.HasPrefix(s.base, "https://") || !strings.Contains(s.stdout.String(), "https://") {
		t.Errorf("serve with TLS: base %s, demo output %q; want https", s.base, s.stdout.String())
	}
	out := filepath.Join(t.TempDir(), "b.db")
	if code, _, errOut := runCmd("backup", "--api", s.base, "--token", s.token, "--out", out, "--ca", serverCA); code == 0 {
		t.Error("backup without a client certificate succeeded")
	} else if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused backup left %s: %s", out, errOut)
	}
	if code, stdout, errOut := runCmd("backup", "--api", s.base, "--token", s.token, "--out", out, "--ca", serverCA, "--cert", clientCert, "--key", clientKey); code != 0 {
		t.Fatalf("backup over TLS with a client certificate: %d %s %s", code, stdout, errOut)
	}
	// demo vote walks through a vote over the JSON API with the same flags.
	if code, stdout, errOut := runCmd("demo", "vote", "--api", s.base, "--token", s.token, "--ca", serverCA, "--cert", clientCert, "--key", clientKey); code != 0 {
		t.Errorf("demo vote over TLS with a client certificate: %d %s %s", code, stdout, errOut)
	}
	// The gRPC commands reach it with the same flags: the server answers
	// (the assembly does not exist) instead of the connection failing.
	exportDir := filepath.Join(t.TempDir(), "export")
	code, _, errOut := runCmd("export", "--server", s.grpcAddr, "--token", s.token, "--community", demo.CommunityID, "--out", exportDir, "no-such-assembly")
	if code == 0 || strings.Contains(errOut, "NotFound") {
		t.Errorf("export over plain text to a TLS server: %d %s; want a connection failure", code, errOut)
	}
	code, _, errOut = runCmd("export", "--server", s.grpcAddr, "--token", s.token, "--community", demo.CommunityID, "--out", exportDir,
		"--ca", serverCA, "--cert", clientCert, "--key", clientKey, "no-such-assembly")
	if code == 0 || !strings.Contains(errOut, "NotFound") {
		t.Errorf("export over TLS: %d %s; want the server's NotFound", code, errOut)
	}
	// The JSON API over HTTPS with the client certificate.
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(serverCA)
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(clientCert, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}, Timeout: 10 * time.Second}
	var who map[string]any
	if code := apiGet(t, c, s.base, "/v1/whoami", s.token, &who); code != http.StatusOK || who["role"] != "ROLE_STREET_ADMIN" {
		t.Errorf("GET /v1/whoami over HTTPS = %d %v", code, who)
	}
	// Flags that do not go together.
	for _, args := range [][]string{
		{"--tls-cert", serverCert},
		{"--client-ca", clientCA},
		{"--tls-cert", serverCert, "--tls-key", clientCA},
	} {
		code, _, _ := runCmd(append([]string{"serve", "--data", t.TempDir(), "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, args...)...)
		if code == 0 {
			t.Errorf("serve %v exited 0", args)
		}
	}
}

// TestServeRefusesPlainTextBeyondLoopback: without TLS, serve listens on
// loopback only unless --insecure-listen-any says otherwise, and then warns.
func TestServeRefusesPlainTextBeyondLoopback(t *testing.T) {
	code, _, errOut := runCmd("serve", "--data", t.TempDir(), "--grpc-addr", "0.0.0.0:0", "--http-addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "--insecure-listen-any") || strings.Contains(errOut, "msg=serving") {
		t.Errorf("serve on 0.0.0.0 without TLS: exit %d\n%s\nwant refused, naming --insecure-listen-any", code, errOut)
	}
	s := serveInProc(t, t.TempDir(), "--insecure-listen-any", "--http-addr", "0.0.0.0:0")
	if !strings.Contains(s.stderr.String(), "level=WARN") {
		t.Errorf("no warning for plain text on every interface:\n%s", s.stderr.String())
	}
}

// TestKeyFiles: the server's secret and signing keys are created with mode
// 0600 in a 0700 directory, refused when others may read them, and may be
// kept elsewhere (--receipt-key and friends).
func TestKeyFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := serveInProc(t, dir)
	s.stop()
	if strings.Contains(s.stderr.String(), "a new one signs") {
		t.Errorf("the first start warned of a key rotation:\n%s", s.stderr.String())
	}
	// A signing key gone from a data directory with a database: a new one
	// is made (a rotation), and the log says so with the new key.
	if err := os.Rename(filepath.Join(dir, logKeyFile), filepath.Join(t.TempDir(), logKeyFile)); err != nil {
		t.Fatal(err)
	}
	s = serveInProc(t, dir)
	s.stop()
	if log := s.stderr.String(); !strings.Contains(log, "no log.key was in the data directory") || !strings.Contains(log, "log_verifier_key=") {
		t.Errorf("a new log key for an existing database was not logged:\n%s", log)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	for _, name := range append([]string{dbFile}, keyFiles...) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", name, err, fi.Mode().Perm())
		}
	}
	// A key file others may read is refused.
	os.Chmod(filepath.Join(dir, receiptKeyFile), 0o644)
	if code, _, errOut := runCmd("serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"); code == 0 || !strings.Contains(errOut, "chmod 600") {
		t.Errorf("serve with a world-readable receipt key: exit %d %s", code, errOut)
	}
	os.Chmod(filepath.Join(dir, receiptKeyFile), 0o600)
	// A database without its identity secret is refused, never given a
	// new secret.
	os.Rename(filepath.Join(dir, secretFile), filepath.Join(dir, "kept-aside"))
	if code, _, errOut := runCmd("serve", "--data", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"); code == 0 || !strings.Contains(errOut, secretFile) {
		t.Errorf("serve without the identity secret: exit %d %s", code, errOut)
	}
	// Tokens need no key: they are listed all the same.
	if code, out, errOut := runCmd("token", "list", "--data", dir); code != 0 || !strings.Contains(out, "ROLE") {
		t.Errorf("token list without the identity secret: exit %d %s %s", code, out, errOut)
	}
	// A mistyped --data: nothing to list, and no directory made.
	if code, _, errOut := runCmd("token", "list", "--data", dir+"-typo"); code == 0 || !strings.Contains(errOut, "no database") {
		t.Errorf("token list of a data directory that does not exist: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(dir + "-typo"); !os.IsNotExist(err) {
		t.Errorf("token list made the directory it was mistakenly given: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, secretFile)); err == nil {
		t.Error("a new identity secret was created next to an existing database")
	}
	os.Rename(filepath.Join(dir, "kept-aside"), filepath.Join(dir, secretFile))

	// Keys kept outside the data directory.
	keyDir := t.TempDir()
	seed := bytes.Repeat([]byte{42}, 32)
	receiptPath := filepath.Join(keyDir, "receipt.seed")
	os.WriteFile(receiptPath, seed, 0o600)
	other := filepath.Join(t.TempDir(), "data")
	s = serveInProc(t, other, "--demo", "--receipt-key", receiptPath)
	var keys struct {
		ReceiptPublicKey string `json:"receipt_public_key"`
	}
	apiGet(t, http.DefaultClient, s.base, "/v1/server/keys", s.token, &keys)
	want := base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	if keys.ReceiptPublicKey != want {
		t.Errorf("receipt public key %s, want the one of --receipt-key (%s)", keys.ReceiptPublicKey, want)
	}
	if _, err := os.Stat(filepath.Join(other, receiptKeyFile)); err == nil {
		t.Errorf("%s created in the data directory although --receipt-key was given", receiptKeyFile)
	}
	s.stop()
	if code, _, _ := runCmd("serve", "--data", other, "--receipt-key", filepath.Join(keyDir, "missing")); code == 0 {
		t.Error("serve with a missing --receipt-key file exited 0")
	}
}

// TestLogsHoldNoPersonalData runs a full walkthrough with debug logging
// (the demo vote from every channel, a phone reveal, roster imports with
// identity numbers, refused and rate-limited requests, a backup) and scans
// the server's log for identity numbers, full phone numbers, token secrets
// and key material.
func TestLogsHoldNoPersonalData(t *testing.T) {
	dir := t.TempDir()
	s := serveInProc(t, dir, "--demo", "--log-level", "debug")
	if code, out, errOut := runCmd("demo", "vote", "--api", s.base, "--token", s.token); code != 0 {
		t.Fatalf("demo vote: %d\n%s\n%s", code, out, errOut)
	}
	var owners struct {
		Owners []struct {
			OwnerID string `json:"owner_id"`
		} `json:"owners"`
	}
	apiGet(t, http.DefaultClient, s.base, "/v1/communities/"+demo.CommunityID+"/owners?page_size=3", s.token, &owners)
	var revealed []string
	for _, o := range owners.Owners {
		var rev struct {
			Phone string `json:"phone"`
		}
		body := strings.NewReader(`{"reason":"电话动员 phone campaign"}`)
		req, _ := http.NewRequest("POST", s.base+"/v1/communities/"+demo.CommunityID+"/owners/"+o.OwnerID+":revealPhone", body)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&rev)
		resp.Body.Close()
		if rev.Phone == "" {
			t.Fatalf("reveal of %s gave no phone (HTTP %d)", o.OwnerID, resp.StatusCode)
		}
		revealed = append(revealed, rev.Phone)
	}

	// A roster with identity numbers and phones: imported, then refused
	// (the same units again, plus bad rows) over gRPC.
	req, _ := http.NewRequest("POST", s.base+"/v1/communities", strings.NewReader(`{"community_id":"xinyuan","name":"新苑小区","street_office":"金家岭街道"}`))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create community: %v", err)
	} else {
		resp.Body.Close()
	}
	ids := []string{idNumber(71), idNumber(72), idNumber(73)}
	phones := []string{"13912345671", "13912345672", "15800001111"}
	roster := filepath.Join(t.TempDir(), "roster.csv")
	os.WriteFile(roster, []byte("房号,登记面积,业主姓名,身份证号,联系电话\n"+
		"5-1-101,80.00,赵一,"+ids[0]+","+phones[0]+"\n5-1-102,70.00,钱二,"+ids[1]+","+phones[1]+"\n5-1-103,60.00,孙三,"+ids[2]+","+phones[2]+"\n"), 0o600)
	if code, out, errOut := runCmd("roll", "import", "--community", "xinyuan", "--server", s.grpcAddr, "--token", s.token, roster); code != 0 {
		t.Fatalf("roll import: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runCmd("roll", "import", "--community", "xinyuan", "--server", s.grpcAddr, "--token", s.token, roster); code == 0 {
		t.Fatal("second import of the same roster succeeded")
	} else if !strings.Contains(errOut, "房屋5-1-101已在本小区名册上") {
		// The server's Chinese for each problem, at its row.
		t.Errorf("second import: %s; want each refused row said in Chinese", errOut)
	}
	// Bad requests with personal data in them, over JSON.
	for _, body := range []string{
		`{"units":[{"unit_id":"5-1-201","registered_area_m2":"` + phones[0] + `","owners":[{"name":"李四","id_number":"` + ids[0] + `","phone":"` + phones[2] + `"}]}]}`,
		`{"units":[{"unit_id":"5-1-202","registered_area_m2":"50","owners":[{"name":"周五","id_number":"` + ids[1][:17] + `0","phone":"1391234567"}]}]}`,
		`{"units":"` + ids[2] + `"}`,
		`not json ` + phones[1],
	} {
		req, _ := http.NewRequest("POST", s.base+"/v1/communities/xinyuan/units:import", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	// A wrong token and a backup.
	apiGet(t, http.DefaultClient, s.base, "/v1/whoami", "ovt_not-a-token-"+phones[0], nil)
	if code, out, errOut := runCmd("backup", "--api", s.base, "--token", s.token, "--out", filepath.Join(t.TempDir(), "b.db")); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	s.stop()
	logs := s.stderr.String()

	// The log is not empty: the scan sees the walkthrough.
	for _, want := range []string{"RevealOwnerPhone", "SubmitBallot", "ImportUnits", "ballot refused", "backup taken", "level=DEBUG"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q: the scan would miss that part of the walkthrough", want)
		}
	}
	var secrets []string
	for _, u := range demo.Units() {
		for _, o := range u.Owners {
			secrets = append(secrets, o.IDNumber, o.Phone)
		}
	}
	secrets = append(append(append(secrets, ids...), phones...), revealed...)
	for _, name := range keyFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
			base64.RawURLEncoding.EncodeToString(b), string(b))
		priv := ed25519.NewKeyFromSeed(b)
		secrets = append(secrets, hex.EncodeToString(priv), base64.StdEncoding.EncodeToString(priv))
	}
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			t.Errorf("the log contains %q", sec)
		}
	}
	for _, p := range []struct {
		what string
		re   *regexp.Regexp
	}{
		{"a resident identity number", regexp.MustCompile(`(?:^|[^0-9A-Za-z])\d{17}[0-9Xx](?:[^0-9A-Za-z]|$)`)},
		{"a full mobile number", regexp.MustCompile(`(?:^|[^0-9A-Za-z])1\d{10}(?:[^0-9A-Za-z]|$)`)},
		{"a token secret", regexp.MustCompile(`ovt_`)},
		{"a private key", regexp.MustCompile(`PRIVATE`)},
	} {
		if m := p.re.FindString(logs); m != "" {
			t.Errorf("the log contains %s: %q", p.what, m)
		}
	}
	if t.Failed() || os.Getenv("SHOWLOGS") != "" {
		t.Logf("log:\n%s", logs)
	}
}
