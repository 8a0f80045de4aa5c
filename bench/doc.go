// Package bench measures ballot intake: it builds a synthetic city on a
// real server (real bbolt file, real gRPC and HTTP listeners on loopback),
// casts validly signed ballots concurrently for a set time through gRPC,
// then through the JSON façade, and measures in the same run, with the same
// client and concurrency, the bare pipeline that bounds any durable,
// verified intake on this stack: one ed25519 verification and a
// group-committed, fsynced bbolt write per request. Figures are reported as
// ratios to that ceiling because the machine is shared and noisy.
package bench
