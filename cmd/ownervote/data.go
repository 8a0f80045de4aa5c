package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/store"
)

// The files of a data directory.
const (
	dbFile     = "ownervote.db"
	secretFile = "identity.secret"
	// receiptKeyFile holds the ed25519 seed of the key that signs receipts.
	receiptKeyFile = "receipt.key"
	// logKeyFile holds the ed25519 seed of the key that signs log
	// checkpoints.
	logKeyFile = "log.key"
)

// data is an open data directory.
type data struct {
	st         *store.Bolt
	secret     []byte
	receiptKey ed25519.PrivateKey
	logSigner  note.Signer
	logVKey    string
}

// openData opens the database in dir (creating dir and the file if needed)
// and loads the identity secret, generating it on first use.
func openData(dir string) (*data, error) { return openDataWith(dir, keyPaths{}, nil) }

// openDataWith is openData with key files kept outside the data directory
// (see keyPaths and loadKey).
func openDataWith(dir string, kp keyPaths, log *slog.Logger) (*data, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := refuseUnfinishedRestore(dir); err != nil {
		return nil, err
	}
	// A signing key made for a database that already has a history is a
	// rotation (docs/security.md): say so, with the new key.
	dbInfo, dberr := os.Stat(filepath.Join(dir, dbFile))
	hadDB := dberr == nil
	missing := map[string]bool{}
	for name, given := range map[string]string{receiptKeyFile: kp.receipt, logKeyFile: kp.log} {
		if _, err := os.Stat(filepath.Join(dir, name)); given == "" && errors.Is(err, fs.ErrNotExist) {
			missing[name] = true
		}
	}
	_, serr := os.Stat(filepath.Join(dir, secretFile))
	hadSecret := serr == nil && kp.identity == ""
	secret, err := loadKey(dir, secretFile, kp.identity)
	if err != nil {
		return nil, err
	}
	seed, err := loadKey(dir, receiptKeyFile, kp.receipt)
	if err != nil {
		return nil, err
	}
	logSeed, err := loadKey(dir, logKeyFile, kp.log)
	if err != nil {
		return nil, err
	}
	logSigner, logVKey, err := audit.LogKey(logSeed)
	if err != nil {
		return nil, err
	}
	if hadDB && log != nil {
		receiptKey := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		if missing[receiptKeyFile] {
			log.Warn("no receipt.key was in the data directory: a new one signs receipts from now on; record the old public key in the published list (docs/security.md, key rotation)",
				"receipt_key_id", ballot.KeyID(receiptKey))
		}
		if missing[logKeyFile] {
			log.Warn("no log.key was in the data directory: a new one signs checkpoints from now on; publish the new verifier key (docs/security.md, key rotation)",
				"log_verifier_key", logVKey)
		}
	}
	dbPath := filepath.Join(dir, dbFile)
	if !hadDB {
		// A journal without its database: the file is missing (moved, or
		// on a volume that did not come up). A new, empty database here
		// would take the journal's place and hide that.
		if segs, _ := os.ReadDir(store.JournalDir(dbPath)); len(segs) > 0 {
			return nil, fmt.Errorf("%s holds a journal (%s) but no %s: the database is missing, and no new one is made beside its journal. "+
				"Put the database back, or restore a backup (ownervote restore)", dir, filepath.Base(store.JournalDir(dbPath)), dbFile)
		}
		if log != nil && hadSecret {
			log.Warn("no database was in the data directory, beside its identity secret: a new, empty one is made", "data", dir)
		}
	}
	if hadDB && kp.checked && !kp.acceptIdentity {
		// A wrong identity secret is refused before the database is
		// opened for writing, which would upgrade an older file in place
		// (and an older ownervote could then not open it). The recorded
		// fingerprints are read from the file and its journal; a file or
		// journal that cannot be read is left to OpenBolt to report.
		if raw, err := store.PeekMeta(dbPath, keyPrintsKey); err == nil && raw != nil {
			var stored keyPrints
			if json.Unmarshal(raw, &stored) == nil {
				if identity, _ := printsOf(secret, ed25519.NewKeyFromSeed(seed), logVKey).mismatch(stored); identity {
					return nil, wrongIdentity(kp, dir)
				}
			}
		}
	}
	st, err := store.OpenBolt(dbPath, store.BoltOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	// A restore that swapped the file while this waited for its lock
	// would leave this on the file it put aside.
	if fi, err := os.Stat(dbPath); hadDB && (err != nil || !os.SameFile(fi, dbInfo)) || refuseUnfinishedRestore(dir) != nil {
		st.Close()
		return nil, fmt.Errorf("%s was replaced while it was being opened (a restore?); start again", dbPath)
	}
	if kp.checked {
		if err := checkPrints(st, printsOf(secret, ed25519.NewKeyFromSeed(seed), logVKey), kp, dir, missing, log); err != nil {
			st.Close()
			return nil, err
		}
	}
	return &data{st: st, secret: secret, receiptKey: ed25519.NewKeyFromSeed(seed), logSigner: logSigner, logVKey: logVKey}, nil
}

// loadOrCreateSecret reads a 32-byte secret, or writes a new random one with
// mode 0600 (fsynced) when the file does not exist.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(b) != 32 {
			return nil, fmt.Errorf("%s: want 32 bytes, found %d; restore it from backup (owners cannot be matched without it)", path, len(b))
		}
		return b, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(secret); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return secret, f.Close()
}

// identityPath is the identity secret's file.
func identityPath(kp keyPaths, dir string) string {
	if kp.identity != "" {
		return kp.identity
	}
	return filepath.Join(dir, secretFile)
}

// wrongIdentity is the refusal of an identity secret that is not the
// database's.
func wrongIdentity(kp keyPaths, dir string) error {
	return fmt.Errorf("%s is not the identity secret of %s: owner ids derive from it, and no owner would be recognised. "+
		"Put back the %s kept with this database (it is never replaced by a new one); if the database was once started with a wrong one and this is the right one, start with --accept-identity-secret",
		identityPath(kp, dir), filepath.Join(dir, dbFile), secretFile)
}

// checkPrints compares the key files with those the database goes with
// (the fingerprints it records) and records them when they are new: an
// identity secret that is not the database's is refused (no owner would be
// recognised); another signing key than a present file of the database's
// is a rotation, logged.
func checkPrints(st *store.Bolt, now keyPrints, kp keyPaths, dir string, missing map[string]bool, log *slog.Logger) error {
	ctx := context.Background()
	stored, ok, err := storedPrints(ctx, st)
	if err != nil {
		return err
	}
	if ok {
		identity, signing := now.mismatch(stored)
		switch {
		case identity && !kp.acceptIdentity:
			return wrongIdentity(kp, dir)
		case identity && log != nil:
			log.Warn("the identity secret is not the one this database was last served with; taken as its own (--accept-identity-secret)", "identity_secret", identityPath(kp, dir))
		}
		if len(signing) > 0 && log != nil && !missing[receiptKeyFile] && !missing[logKeyFile] {
			log.Warn("the signing keys are not those this database was last served with: a key rotation (docs/security.md); publish the new keys",
				"changed", strings.Join(signing, "; "))
		}
		if now == stored {
			return nil
		}
	}
	return recordPrints(ctx, st, now)
}
