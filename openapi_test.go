package ownervote_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ownervote/ownervote"
	"github.com/ownervote/ownervote/server"
)

// TestOpenAPIPlainHTTP: the served description has the plain HTTP
// endpoints beside the generated ones, and its schemas of the public
// notice name exactly the JSON fields server.Notice writes.
func TestOpenAPIPlainHTTP(t *testing.T) {
	var spec struct {
		Paths       map[string]map[string]json.RawMessage `json:"paths"`
		Definitions map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(ownervote.OpenAPI(), &spec); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", server.BackupPath, "/notices/{assembly_id}", "/notices/{assembly_id}.json", "/notices/{assembly_id}/agenda", "/notices/{assembly_id}/agenda.json", "/v1/tokens"} {
		if spec.Paths[path]["get"] == nil && spec.Paths[path]["post"] == nil {
			t.Errorf("the OpenAPI description has no %s", path)
		}
	}
	for name, typ := range map[string]reflect.Type{
		"Notice":               reflect.TypeFor[server.Notice](),
		"NoticeMotion":         reflect.TypeFor[server.NoticeMotion](),
		"NoticeDecision":       reflect.TypeFor[server.NoticeDecision](),
		"NoticeFigure":         reflect.TypeFor[server.NoticeFigure](),
		"NoticeTally":          reflect.TypeFor[server.NoticeTally](),
		"NoticeUnit":           reflect.TypeFor[server.NoticeUnit](),
		"NoticeKeyReplacement": reflect.TypeFor[server.NoticeKeyReplacement](),
		"AgendaNotice":         reflect.TypeFor[server.AgendaNotice](),
		"AgendaMotion":         reflect.TypeFor[server.AgendaMotion](),
		"AgendaCandidate":      reflect.TypeFor[server.AgendaCandidate](),
	} {
		var want []string
		var fields func(reflect.Type)
		fields = func(typ reflect.Type) {
			for f := range typ.Fields() {
				if f.Anonymous { // encoding/json writes an embedded struct's fields as its own
					fields(f.Type)
				} else if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "-" && f.IsExported() {
					want = append(want, tag)
				}
			}
		}
		fields(typ)
		slices.Sort(want)
		got := slices.Sorted(maps.Keys(spec.Definitions[name].Properties))
		if !slices.Equal(got, want) {
			t.Errorf("OpenAPI %s has the properties %v, server.%s writes %v", name, got, typ.Name(), want)
		}
	}
}
