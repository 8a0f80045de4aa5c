package main

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ownervote/ownervote/audit"
	"github.com/ownervote/ownervote/ballot"
	"github.com/ownervote/ownervote/store"
)

// keyPaths name key files kept outside the data directory (on another
// volume, or put there by the deployment's secret store). An empty path
// means the file of that name in the data directory, created with mode
// 0600 on first start.
type keyPaths struct {
	identity, receipt, log string
	// checked: the key files are compared with (and recorded as) those the
	// database goes with (checkPrints); serve's keys are, the token
	// command's are not (it may run before the first start, without the
	// key flags serve will be given).
	checked bool
	// acceptIdentity records the identity secret given as the database's
	// even when it records another (serve --accept-identity-secret).
	acceptIdentity bool
}

func addKeyFlags(fl *flag.FlagSet) *keyPaths {
	kp := &keyPaths{}
	fl.StringVar(&kp.identity, "identity-secret", "", "file of the 32-byte identity secret (default: DATA/"+secretFile+", created on first start)")
	fl.StringVar(&kp.receipt, "receipt-key", "", "file of the 32-byte ed25519 seed that signs receipts (default: DATA/"+receiptKeyFile+")")
	fl.StringVar(&kp.log, "log-key", "", "file of the 32-byte ed25519 seed that signs log checkpoints (default: DATA/"+logKeyFile+")")
	fl.BoolVar(&kp.acceptIdentity, "accept-identity-secret", false, "take the identity secret given as the database's, though the database records another's fingerprint (after it was once started with a wrong one; see docs/security.md)")
	kp.checked = true
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

// keyPrints identify the key files a database goes with, without holding
// them: the receipt key's id, the log's verifier key (both public), and a
// keyed hash of the identity secret (which tells nothing of it).
type keyPrints struct {
	Identity string `json:"identity_secret"`
	Receipt  string `json:"receipt_key_id"`
	Log      string `json:"log_verifier_key"`
}

var keyPrintsKey = []byte("key_fingerprints")

func printsOf(secret []byte, receiptKey ed25519.PrivateKey, logVKey string) keyPrints {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("ownervote identity secret fingerprint/1"))
	return keyPrints{Identity: hex.EncodeToString(mac.Sum(nil)[:16]),
		Receipt: ballot.KeyID(receiptKey.Public().(ed25519.PublicKey)), Log: logVKey}
}

// printsOfFiles are the fingerprints of the three key files read from
// the given bytes (name → contents).
func printsOfFiles(files map[string][]byte) (keyPrints, error) {
	for _, name := range keyFiles {
		if len(files[name]) != 32 {
			return keyPrints{}, fmt.Errorf("%s has %d bytes; a key file holds 32", name, len(files[name]))
		}
	}
	_, logVKey, err := audit.LogKey(files[logKeyFile])
	if err != nil {
		return keyPrints{}, err
	}
	return printsOf(files[secretFile], ed25519.NewKeyFromSeed(files[receiptKeyFile]), logVKey), nil
}

// storedPrints reads the fingerprints a database records; ok is false for a
// database that records none (written before they were).
func storedPrints(ctx context.Context, st store.Store) (p keyPrints, ok bool, err error) {
	err = st.View(ctx, func(tx store.Tx) error {
		raw := tx.Get(store.Meta, keyPrintsKey)
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &p)
	})
	return p, ok, err
}

func recordPrints(ctx context.Context, st store.Store, p keyPrints) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return st.Update(ctx, func(tx store.Tx) error { return tx.Put(store.Meta, keyPrintsKey, b) })
}

// mismatch says which of want's key files differ from have's, and why
// that matters; "" when they agree. A different identity secret is always
// wrong (owner ids derive from it; it is never rotated); different signing
// keys are a rotation, which the caller may allow.
func (have keyPrints) mismatch(want keyPrints) (identity bool, signing []string) {
	identity = have.Identity != want.Identity
	if have.Receipt != want.Receipt {
		signing = append(signing, fmt.Sprintf("%s (key %s, the database's receipts were signed by %s)", receiptKeyFile, have.Receipt, want.Receipt))
	}
	if have.Log != want.Log {
		signing = append(signing, fmt.Sprintf("%s (verifier %s, the database's log was signed by %s)", logKeyFile, have.Log, want.Log))
	}
	return identity, signing
}
