// Package audit is the transparency log of owners' assemblies and the
// offline verifier of exported assemblies.
//
// Every assembly has its own append-only log: an RFC 6962 Merkle tree whose
// leaves are log entries (Entry, one JSON object each) of everything that
// affects the result — the frozen roll, the published agenda, every signing
// key the first time it signs, every ballot with its outcome, status
// changes, proxies, roll amendments, closing, the preliminary result,
// objections and responses, committee signatures and certification. The
// server signs checkpoints (tree size and root) in the checkpoint format of
// transparency-dev (a golang.org/x/mod/sumdb/note signed note), so that
// inclusion and consistency proofs can be checked by anyone.
//
// Verify takes an exported assembly (Bundle) and re-derives the result
// without the server: signatures, signers' rights, the Merkle root against
// the signed checkpoints, one counted ballot per voter, the tally recomputed
// bit for bit, and the committee's signatures. It stops at the first
// discrepancy and names it.
//
// The package does no I/O.
package audit
