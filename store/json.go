package store

import (
	"encoding/json"
	"fmt"
)

// JSONAppender is a record that writes its own JSON, the very bytes
// json.Marshal would write, faster (a record written for every ballot);
// PutJSON uses it.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// JSONDecoder is a record that reads its own JSON, as json.Unmarshal would
// into a zero record; GetJSON uses it.
type JSONDecoder interface {
	DecodeJSON(raw []byte) error
}

// GetJSON decodes the JSON record under key into v; found is false when
// there is none.
func GetJSON(tx Tx, b Bucket, key []byte, v any) (found bool, err error) {
	raw := tx.Get(b, key)
	if raw == nil {
		return false, nil
	}
	if d, ok := v.(JSONDecoder); ok {
		err = d.DecodeJSON(raw)
	} else {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return false, fmt.Errorf("store: corrupt record %q in %s: %w", key, b, err)
	}
	return true, nil
}

// PutJSON stores v as a JSON record under key.
func PutJSON(tx Tx, b Bucket, key []byte, v any) error {
	if a, ok := v.(JSONAppender); ok {
		return tx.Put(b, key, a.AppendJSON(nil))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(b, key, raw)
}
