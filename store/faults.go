//go:build ownervote_faults

package store

// FailSyncs makes every later fdatasync of b's journal fail with err, as a
// failing disk's would; nil gives the disk back.
//
// It exists only in builds with -tags ownervote_faults: the tests of
// `ownervote serve` build the real binary with it to make the disk of a
// running server fail. No release is built with that tag.
func FailSyncs(b *Bolt, err error) { b.failSyncs(err) }
