package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// keyPaths name key files kept outside the data directory (on another
// volume, or put there by the deployment's secret store). An empty path
// means the file of that name in the data directory, created with mode
// 0600 on first start.
type keyPaths struct {
	identity, receipt, log string
}

func addKeyFlags(fl *flag.FlagSet) *keyPaths {
	kp := &keyPaths{}
	fl.StringVar(&kp.identity, "identity-secret", "", "file of the 32-byte identity secret (default: DATA/"+secretFile+", created on first start)")
	fl.StringVar(&kp.receipt, "receipt-key", "", "file of the 32-byte ed25519 seed that signs receipts (default: DATA/"+receiptKeyFile+")")
	fl.StringVar(&kp.log, "log-key", "", "file of the 32-byte ed25519 seed that signs log checkpoints (default: DATA/"+logKeyFile+")")
	return kp
}

// loadKey loads the 32-byte key name of data directory dir, or from given
// when a flag names a file elsewhere. A given file must exist; a file of
// the data directory is created on first start, except the identity
// secret of a directory that already holds a database: a new secret would
// silently make every owner unrecognisable (restore it instead). Either
// way the file must not be readable by group or others.
func loadKey(dir, name, given string) ([]byte, error) {
	path := given
	if path == "" {
		path = filepath.Join(dir, name)
		_, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) && name == secretFile {
			if _, dberr := os.Stat(filepath.Join(dir, dbFile)); dberr == nil {
				return nil, fmt.Errorf("%s is missing but %s holds a database: restore %s from your backup "+
					"(ownervote restore --keys-from DIR); a new secret would make every owner unrecognisable", path, dir, secretFile)
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return loadOrCreateSecret(path)
		}
	}
	fi, err := os.Stat(path)
	if err != nil && given != "" {
		return nil, fmt.Errorf("%s: %w", keyFlagOf(name), err)
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return loadOrCreateSecret(path)
}

// keyFlagOf names the serve flag that gives key file name from elsewhere.
func keyFlagOf(name string) string {
	switch name {
	case secretFile:
		return "--identity-secret"
	case receiptKeyFile:
		return "--receipt-key"
	}
	return "--log-key"
}
