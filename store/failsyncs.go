package store

import "os"

// failSyncs makes every later fdatasync of b's journal fail with err, as a
// failing disk's would; nil gives the disk back. (Set under syncMu, which
// every fdatasync of the journal holds.) Only tests reach it: the store's
// own through FailSyncs in export_test.go, and the tests of a real server
// through a binary built with -tags ownervote_faults (faults.go).
func (b *Bolt) failSyncs(err error) {
	b.journal.syncMu.Lock()
	defer b.journal.syncMu.Unlock()
	if err == nil {
		b.journal.syncFile = nil
		return
	}
	b.journal.syncFile = func(*os.File) error { return err }
}
