// Package store keeps ownervote's state in one embedded bbolt file and its
// write journal (a directory beside it) behind a narrow transactional
// interface.
//
// Callers see buckets of ordered keys and values and run their work in a
// transaction callback: View for reads, Update for writes. Update returns
// only after the transaction's writes are committed to the journal and
// fsynced, so a reply sent after it never acknowledges data that a crash
// could lose; the journal reaches the bbolt file in large background
// batches (journal.go). The bucket names, the schema version and the
// migrations between versions all live in schema.go.
package store
