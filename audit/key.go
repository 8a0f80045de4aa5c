package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/ownervote/ownervote/ballot"
	"golang.org/x/mod/sumdb/note"
)

// LogKeyName names the log's checkpoint key in signed notes.
const LogKeyName = "ownervote-log"

// LogKey makes the log's note signer and its verifier key from a 32-byte
// ed25519 seed.
func LogKey(seed []byte) (note.Signer, string, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, "", fmt.Errorf("audit: log key seed must be %d bytes", ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	vkey, err := note.NewEd25519VerifierKey(LogKeyName, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, "", err
	}
	// vkey is name+hash+base64(alg||pub); the signer key has the same name
	// and hash over base64(alg||seed).
	parts := strings.Split(vkey, "+")
	skey := "PRIVATE+KEY+" + parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed...))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", err
	}
	return &logSigner{Signer: s, priv: priv}, vkey, nil
}

// logSigner is x/mod's note signer of the log key, its signatures made by
// ballot.SignBytes: the same bytes, in less time, for the checkpoint that
// every accepted ballot's receipt carries.
type logSigner struct {
	note.Signer // the key's name and hash
	priv        ed25519.PrivateKey
}

func (s *logSigner) Sign(msg []byte) ([]byte, error) { return ballot.SignBytes(s.priv, msg), nil }
