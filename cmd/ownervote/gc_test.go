package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// A serving process collects garbage at serverGCPercent unless GOGC is
// set, even to the default.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "100") // and restored after the test
	tuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=100, the GC percent is %d, want it left at 100", got)
	}
	os.Unsetenv("GOGC")
	tuneGC()
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Errorf("without GOGC, the GC percent is %d, want %d", got, serverGCPercent)
	}
}
