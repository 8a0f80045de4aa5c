package store

import "os"

// FailSyncs makes every later fdatasync of b's journal fail with err, as a
// failing disk's would; nil gives the disk back. (Set under syncMu, which
// every fdatasync of the journal holds.)
func FailSyncs(b *Bolt, err error) {
	b.journal.syncMu.Lock()
	defer b.journal.syncMu.Unlock()
	if err == nil {
		b.journal.syncFile = nil
		return
	}
	b.journal.syncFile = func(*os.File) error { return err }
}
