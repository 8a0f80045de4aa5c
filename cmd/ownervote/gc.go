package main

import (
	"os"
	"runtime/debug"
)

// serverGCPercent is the garbage collector's goal for a process that
// serves (serve, bench) when GOGC does not set one: the heap may grow to
// three times what is live between collections, instead of Go's default
// twice. Intake allocates for every ballot (the request, its records, the
// journal's copy until it is applied), and with the default the collector
// took ~8% of the CPU of a ballot; at 200 a gRPC ballot costs ~4% less CPU
// (docs/performance.md, step 20), for ~200 MB more heap with the bench's
// city. GOMEMLIMIT, when set, still bounds the heap.
const serverGCPercent = 200

// tuneGC sets serverGCPercent unless GOGC is set.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serverGCPercent)
	}
}
