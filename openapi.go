// Package ownervote holds what the whole module shares: the OpenAPI
// description of the JSON API.
package ownervote

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// generated is the description protoc-gen-openapiv2 writes from the
// protobuf definitions: the endpoints of the gRPC methods.
//
//go:embed gen/openapi/ownervote.swagger.json
var generated []byte

// plainHTTP describes the endpoints that are plain HTTP handlers, not gRPC
// methods: health, the online backup and the public result notices.
//
//go:embed proto/ownervote/v1/openapi_http.json
var plainHTTP []byte

// OpenAPI is the OpenAPI 2 description of the JSON API: the generated one
// with the plain HTTP endpoints added, merged on first use (not when every
// command of the binary starts).
var OpenAPI = sync.OnceValue(func() []byte { return mustMerge(generated, plainHTTP) })

// mustMerge adds extra's paths and definitions to spec's; a name in both
// is a mistake in the files, caught by the first test that loads them.
func mustMerge(spec, extra []byte) []byte {
	var s, x map[string]json.RawMessage
	if err := json.Unmarshal(spec, &s); err != nil {
		panic(fmt.Sprintf("ownervote: the generated OpenAPI description: %v", err))
	}
	if err := json.Unmarshal(extra, &x); err != nil {
		panic(fmt.Sprintf("ownervote: openapi_http.json: %v", err))
	}
	for _, section := range []string{"paths", "definitions"} {
		var into, from map[string]json.RawMessage
		if err := json.Unmarshal(s[section], &into); err != nil {
			panic(fmt.Sprintf("ownervote: the generated OpenAPI %s: %v", section, err))
		}
		if err := json.Unmarshal(x[section], &from); err != nil {
			panic(fmt.Sprintf("ownervote: openapi_http.json %s: %v", section, err))
		}
		for k, v := range from {
			if _, dup := into[k]; dup {
				panic(fmt.Sprintf("ownervote: openapi_http.json: %s %q is also generated", section, k))
			}
			into[k] = v
		}
		s[section], _ = json.Marshal(into)
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("ownervote: OpenAPI description: %v", err))
	}
	return out
}
