package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
)

// failAfter fails its writes with err once n bytes are written.
type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		w := f.n
		f.n = 0
		return w, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

// TestFetchBackupSaysWhichSideFailed: a download that breaks off is told
// from a write here that fails (a full disk), which is no fault of the
// server's.
func TestFetchBackupSaysWhichSideFailed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write(make([]byte, 50000)) // and then the connection ends
	}))
	defer srv.Close()
	_, err := fetchBackup(context.Background(), srv.Client(), srv.URL, "t", &failAfter{n: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), "download broke off") {
		t.Errorf("a download cut short: %v, want it said to have broken off", err)
	}
	_, err = fetchBackup(context.Background(), srv.Client(), srv.URL, "t", &failAfter{n: 1000, err: syscall.ENOSPC})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "writing the backup here failed") {
		t.Errorf("a full disk here: %v, want it said to be a write here", err)
	}
}
