package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Keys are the server's public keys an export is checked with.
type Keys struct {
	Assembly string `json:"assembly"`
	// LogVerifier is the note verifier key of the log's checkpoints.
	LogVerifier string `json:"log_verifier"`
	// ReceiptPublicKey verifies ballot receipts (ed25519, base64 in JSON).
	ReceiptPublicKey []byte `json:"receipt_public_key"`
}

// Certificate is the committee's certification of a result.
type Certificate struct {
	Statement  string             `json:"statement"`
	Signatures []CertificateEntry `json:"signatures"`
}

// CertificateEntry is one member's signature.
type CertificateEntry struct {
	KeyID     string `json:"key_id"`
	Name      string `json:"name"`
	Signature []byte `json:"signature"`
}

// Bundle is an exported assembly: what anyone needs to re-derive and check
// its result without the server. docs/export-format.md describes the files.
type Bundle struct {
	Keys Keys
	// Agenda is assembly.json: the published agenda (the AGENDA entry).
	Agenda []byte
	// Roll is roll.txt: the roll frozen at publication, canonical.
	Roll []byte
	// Entries are the lines of log.jsonl: every log entry's leaf data.
	Entries [][]byte
	// Checkpoints are the signed checkpoints, oldest first.
	Checkpoints [][]byte
	// Result is result.json (the recount JSON format); nil before closing.
	Result []byte
	// Certificate is certificate.json; nil until someone signs.
	Certificate []byte
}

// The files of an exported assembly.
const (
	FileKeys        = "keys.json"
	FileAgenda      = "assembly.json"
	FileRoll        = "roll.txt"
	FileLog         = "log.jsonl"
	FileCheckpoints = "checkpoints.json"
	FileResult      = "result.json"
	FileCertificate = "certificate.json"
)

// IndentedJSON is v as an export's JSON files are written, and as the
// verifier requires them byte for byte: indented by two spaces, with a
// final newline.
func IndentedJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

// Files returns the bundle as file name → content.
func (b *Bundle) Files() (map[string][]byte, error) {
	keys, err := IndentedJSON(b.Keys)
	if err != nil {
		return nil, err
	}
	var cps []string
	for _, c := range b.Checkpoints {
		cps = append(cps, string(c))
	}
	cpJSON, err := IndentedJSON(cps)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		FileKeys: keys, FileAgenda: b.Agenda, FileRoll: b.Roll,
		FileLog: append(bytes.Join(b.Entries, []byte("\n")), '\n'), FileCheckpoints: cpJSON,
	}
	if b.Result != nil {
		files[FileResult] = b.Result
	}
	if b.Certificate != nil {
		files[FileCertificate] = b.Certificate
	}
	return files, nil
}

// ReadBundle parses the files of an exported assembly. Missing required
// files are an error; result.json and certificate.json are optional.
func ReadBundle(files map[string][]byte) (*Bundle, error) {
	for _, need := range []string{FileKeys, FileAgenda, FileRoll, FileLog, FileCheckpoints} {
		if _, ok := files[need]; !ok {
			return nil, &Discrepancy{Check: "missing-file", Entry: -1, Detail: need + " is missing"}
		}
	}
	// The files are checked byte for byte; a zip tool or a text editor
	// that converted line ends or added a byte-order mark changed them,
	// which is no server's doing: say so before any check blames the log.
	for _, name := range []string{FileKeys, FileAgenda, FileRoll, FileLog, FileCheckpoints, FileResult, FileCertificate} {
		f := files[name]
		switch {
		case bytes.HasPrefix(f, []byte("\ufeff")):
			return nil, &Discrepancy{Check: "file-bytes", Entry: -1, Detail: name + " starts with a byte-order mark (added by a text editor): the export's files are verified byte for byte, so restore the file as exported"}
		case bytes.Contains(f, []byte("\r\n")):
			return nil, &Discrepancy{Check: "file-bytes", Entry: -1, Detail: name + " has CRLF line ends (converted by a zip or text tool, e.g. unzip -a or git's autocrlf): the export's files are verified byte for byte, so restore the file as exported"}
		}
	}
	b := &Bundle{Agenda: files[FileAgenda], Roll: files[FileRoll], Result: files[FileResult], Certificate: files[FileCertificate]}
	if err := json.Unmarshal(files[FileKeys], &b.Keys); err != nil {
		return nil, &Discrepancy{Check: "keys", Entry: -1, Detail: fmt.Sprintf("%s: %v", FileKeys, err)}
	}
	// Exactly as the export writes it: decoding alone would take a key in
	// another case or the last of two, and drop unknown ones.
	if want, err := IndentedJSON(b.Keys); err != nil || !bytes.Equal(files[FileKeys], want) {
		return nil, &Discrepancy{Check: "keys", Entry: -1, Detail: FileKeys + " is not as the export writes it: a key in another case, twice, or unknown"}
	}
	var cps []string
	if err := json.Unmarshal(files[FileCheckpoints], &cps); err != nil {
		return nil, &Discrepancy{Check: "checkpoint-signature", Entry: -1, Detail: fmt.Sprintf("%s: %v", FileCheckpoints, err)}
	}
	for _, c := range cps {
		b.Checkpoints = append(b.Checkpoints, []byte(c))
	}
	log := files[FileLog]
	if len(log) == 0 || log[len(log)-1] != '\n' {
		return nil, &Discrepancy{Check: "entry-malformed", Entry: -1, Detail: FileLog + " must end in a newline"}
	}
	for _, line := range bytes.Split(log[:len(log)-1], []byte("\n")) {
		b.Entries = append(b.Entries, slices.Clone(line))
	}
	return b, nil
}
