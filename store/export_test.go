//go:build !ownervote_faults

package store

// FailSyncs makes every later fdatasync of b's journal fail with err, as a
// failing disk's would; nil gives the disk back. (faults.go has the same in
// builds with -tags ownervote_faults.)
func FailSyncs(b *Bolt, err error) { b.failSyncs(err) }
