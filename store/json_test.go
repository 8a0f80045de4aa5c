package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// selfJSON reads and writes its own JSON, and says so.
type selfJSON struct {
	V        string `json:"v"`
	appended *int
	decoded  *int
}

func (s selfJSON) AppendJSON(b []byte) []byte {
	*s.appended++
	return append(b, `{"v":"`+s.V+`!"}`...)
}

func (s *selfJSON) DecodeJSON(raw []byte) error {
	*s.decoded++
	if string(raw) == "{}" {
		return errors.New("empty")
	}
	s.V = string(raw)
	return nil
}

// PutJSON and GetJSON leave a record that writes or reads its own JSON to
// it, and report its refusal as a corrupt record.
func TestJSONRecordsThatEncodeThemselves(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "db"), BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var appended, decoded int
	err = b.Update(context.Background(), func(tx Tx) error {
		if err := PutJSON(tx, Owners, []byte("a"), selfJSON{V: "x", appended: &appended}); err != nil {
			return err
		}
		if err := PutJSON(tx, Owners, []byte("plain"), map[string]string{"v": "y"}); err != nil {
			return err
		}
		return tx.Put(Owners, []byte("bad"), []byte("{}"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = b.View(context.Background(), func(tx Tx) error {
		got := selfJSON{decoded: &decoded}
		if ok, err := GetJSON(tx, Owners, []byte("a"), &got); !ok || err != nil || got.V != `{"v":"x!"}` {
			t.Errorf("GetJSON(a) = %v, %v, %q; want the record's own bytes, read by its DecodeJSON", ok, err, got.V)
		}
		var plain map[string]string
		if ok, err := GetJSON(tx, Owners, []byte("plain"), &plain); !ok || err != nil || plain["v"] != "y" {
			t.Errorf("GetJSON(plain) = %v, %v, %v", ok, err, plain)
		}
		if _, err := GetJSON(tx, Owners, []byte("bad"), &selfJSON{decoded: &decoded}); err == nil {
			t.Error("a record DecodeJSON refuses reads without an error")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if appended != 1 || decoded != 2 {
		t.Errorf("AppendJSON called %d times, DecodeJSON %d; want 1 and 2", appended, decoded)
	}
}
