package audit

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// ExportFiles are the files of an exported assembly, in the order the
// export lists them.
var ExportFiles = []string{FileKeys, FileAgenda, FileRoll, FileLog, FileCheckpoints, FileResult, FileCertificate}

// Bounds of an export read from a ZIP archive: an assembly of a million
// ballots has a log of about 2 GB.
const (
	MaxArchiveFile  = 4 << 30
	MaxArchiveTotal = 6 << 30
)

// ErrArchive is wrapped by every refusal of ReadArchive: the archive is not
// an export's.
var ErrArchive = errors.New("not an export's ZIP archive")

// ReadArchive reads an export's files from a ZIP archive of size bytes,
// such as the console downloads: the files at its top level, or all in one
// folder (an export's directory zipped), and nothing else. A folder entry
// (its name ends in "/", and it holds nothing) is passed over; any other
// entry that is not a plain file of the export - a link, an entry marked
// as a folder that holds data, a file in another folder, a file twice -
// is refused by name, since another tool could unpack it where the
// verifier did not look. The sizes the archive declares are bounded
// before anything is read, and each file must hold what its header says.
func ReadArchive(r io.ReaderAt, size int64) (map[string][]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrArchive, err)
	}
	var total uint64
	for _, f := range zr.File {
		// Each size bounded before it is added: the sum cannot wrap.
		if f.UncompressedSize64 > MaxArchiveFile {
			return nil, fmt.Errorf("%w: %s says it holds %d bytes, more than an export's file can", ErrArchive, f.Name, f.UncompressedSize64)
		}
		if total += f.UncompressedSize64; total > MaxArchiveTotal {
			return nil, fmt.Errorf("%w: its files say they hold more than %d bytes in all, more than an export can", ErrArchive, uint64(MaxArchiveTotal))
		}
	}
	files := map[string][]byte{}
	folder, first := "", true
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 == 0 {
			continue // a folder holds nothing by itself
		}
		dir, name := path.Split(f.Name)
		if first {
			folder, first = dir, false
		}
		switch {
		case !f.Mode().IsRegular():
			return nil, fmt.Errorf("%w: %q is no plain file (%s)", ErrArchive, f.Name, f.Mode().Type())
		case !slices.Contains(ExportFiles, name) || strings.Count(dir, "/") > 1 || strings.HasPrefix(dir, "/") || strings.HasPrefix(dir, "."):
			return nil, fmt.Errorf("%w: %q is no file of an export (want %s, at the top level or in one folder)", ErrArchive, f.Name, strings.Join(ExportFiles, ", "))
		case dir != folder:
			return nil, fmt.Errorf("%w: %q is not in the folder %q of the others", ErrArchive, f.Name, folder)
		case files[name] != nil:
			return nil, fmt.Errorf("%w: %s is in it twice", ErrArchive, f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrArchive, f.Name, err)
		}
		// (A file that holds more or less than its header says, or whose
		// CRC-32 differs, is an error of the reader's.)
		b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrArchive, f.Name, err)
		}
		if uint64(len(b)) != f.UncompressedSize64 {
			return nil, fmt.Errorf("%w: %s holds %d bytes, its header says %d", ErrArchive, f.Name, len(b), f.UncompressedSize64)
		}
		files[name] = b
	}
	return files, nil
}
