package audit_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"strings"
	"testing"

	"github.com/ownervote/ownervote/audit"
)

// entry is one entry of a test archive.
type entry struct {
	name string
	data string
	mode fs.FileMode // 0 for a plain file
	size int64       // the size the header declares, if not the data's
}

func archive(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		if e.size != 0 {
			// Declared, not written: CreateRaw takes the header as given.
			h.UncompressedSize64, h.CompressedSize64 = uint64(e.size), uint64(len(e.data))
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(e.data))
			continue
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadArchive: an export's files are read from a ZIP archive at its
// top level or in one folder; anything another tool could unpack where
// the verifier did not look is refused, by name, before its data is read.
func TestReadArchive(t *testing.T) {
	export := []entry{{name: audit.FileKeys, data: "k"}, {name: audit.FileAgenda, data: "a"}, {name: audit.FileLog, data: "l"}}
	want := map[string][]byte{audit.FileKeys: []byte("k"), audit.FileAgenda: []byte("a"), audit.FileLog: []byte("l")}
	inFolder := func(dir string) []entry {
		var out []entry
		for _, e := range export {
			out = append(out, entry{name: dir + e.name, data: e.data})
		}
		return out
	}
	read := func(b []byte) (map[string][]byte, error) { return audit.ReadArchive(bytes.NewReader(b), int64(len(b))) }
	for name, entries := range map[string][]entry{
		"top level":                 export,
		"one folder":                inFolder("export-x/"),
		"one folder with its entry": append([]entry{{name: "export-x/", mode: fs.ModeDir | 0o755}}, inFolder("export-x/")...),
	} {
		if got, err := read(archive(t, entries...)); err != nil || !maps.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("%s: %v, %v", name, got, err)
		}
	}
	for _, tc := range []struct {
		name    string
		entries []entry
		says    string
	}{
		{"another file", append(export, entry{name: "notes.txt", data: "x"}), `"notes.txt" is no file of an export`},
		{"a file marked as a folder that holds data", append(export, entry{name: audit.FileResult, data: "FAILED", mode: fs.ModeDir | 0o755}),
			`"result.json" is no plain file`},
		{"a link", append(export, entry{name: audit.FileResult, data: "/etc/passwd", mode: fs.ModeSymlink | 0o777}), `"result.json" is no plain file`},
		{"a file twice", append(export, entry{name: audit.FileKeys, data: "k2"}), "keys.json is in it twice"},
		{"two folders", append(inFolder("a/"), entry{name: "b/" + audit.FileResult, data: "r"}), `"b/result.json" is not in the folder "a/" of the others`},
		{"a folder in a folder", inFolder("a/b/"), `"a/b/keys.json" is no file of an export`},
		{"a parent folder", inFolder("../"), `"../keys.json" is no file of an export`},
		{"more than an export holds", append(export, entry{name: audit.FileResult, data: "r", size: audit.MaxArchiveFile}, entry{name: audit.FileCertificate, data: "c", size: audit.MaxArchiveFile}),
			"more than an export can"},
		{"a file larger than an export's", append(export, entry{name: audit.FileResult, data: "r", size: audit.MaxArchiveFile + 1}), "more than an export's file can"},
		// A size that would wrap the sum, after a file that would be read.
		{"a size that wraps", append(export, entry{name: "zzz", data: "z", size: -1}), "more than an export's file can"},
		{"a size that lies", append(export, entry{name: audit.FileResult, data: "r", size: 100}), "result.json: "},
		{"no archive", nil, "not a valid zip file"},
	} {
		b := []byte("not a zip")
		if tc.entries != nil {
			b = archive(t, tc.entries...)
		}
		_, err := read(b)
		if !errors.Is(err, audit.ErrArchive) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want it refused saying %q", tc.name, err, tc.says)
		}
	}
}
