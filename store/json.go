package store

import (
	"encoding/json"
	"fmt"
)

// GetJSON decodes the JSON record under key into v; found is false when
// there is none.
func GetJSON(tx Tx, b Bucket, key []byte, v any) (found bool, err error) {
	raw := tx.Get(b, key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("store: corrupt record %q in %s: %w", key, b, err)
	}
	return true, nil
}

// PutJSON stores v as a JSON record under key.
func PutJSON(tx Tx, b Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(b, key, raw)
}
