package web_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTextsInBothLanguages: every text the pages ask for by a literal key
// exists in Chinese and in English, and the two dictionaries have the same
// keys.
func TestTextsInBothLanguages(t *testing.T) {
	raw, err := os.ReadFile("static/assets/js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	zhStart, enStart := strings.Index(src, "const zh = {"), strings.Index(src, "const en = {")
	end := strings.Index(src, "const dicts")
	if zhStart < 0 || enStart < zhStart || end < enStart {
		t.Fatal("i18n.js: cannot find the zh and en dictionaries")
	}
	keyRE := regexp.MustCompile(`(?m)(?:^|[{,]\s*)'([a-zA-Z0-9_.]+)':|(?m)^\s+([a-zA-Z]+):`)
	keys := func(block string) []string {
		var out []string
		for _, m := range keyRE.FindAllStringSubmatch(block, -1) {
			out = append(out, m[1]+m[2])
		}
		slices.Sort(out)
		return out
	}
	zh, en := keys(src[zhStart:enStart]), keys(src[enStart:end])
	if len(zh) < 100 {
		t.Fatalf("read only %d keys from the zh dictionary", len(zh))
	}
	if !slices.Equal(zh, en) {
		for _, k := range zh {
			if !slices.Contains(en, k) {
				t.Errorf("key %q has no English text", k)
			}
		}
		for _, k := range en {
			if !slices.Contains(zh, k) {
				t.Errorf("key %q has no Chinese text", k)
			}
		}
	}
	files, err := filepath.Glob("static/assets/js/*.js")
	if err != nil {
		t.Fatal(err)
	}
	useRE := regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'[,)]`)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range useRE.FindAllStringSubmatch(string(raw), -1) {
			if !slices.Contains(zh, m[1]) {
				t.Errorf("%s asks for text %q, which the dictionaries lack", filepath.Base(f), m[1])
			}
		}
	}
}
