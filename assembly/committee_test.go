package assembly_test

import (
	"testing"

	"github.com/ownervote/ownervote/assembly"
)

// TestCommitteeOriginal: a key's place goes back, through every
// replacement, to the key named at the assembly's creation.
func TestCommitteeOriginal(t *testing.T) {
	c := assembly.Committee{Members: []string{"a2", "b1", "c"}, K: 2, Replacements: []assembly.KeyReplacement{
		{Replaces: "a", KeyID: "a1"}, {Replaces: "b", KeyID: "b1"}, {Replaces: "a1", KeyID: "a2"}}}
	for key, want := range map[string]string{"a2": "a", "a1": "a", "b1": "b", "c": "c", "a": "a"} {
		if got := c.Original(key); got != want {
			t.Errorf("Original(%s) = %s, want %s", key, got, want)
		}
	}
}
