// Package ownervote holds what the whole module shares: the generated
// OpenAPI description of the JSON API.
package ownervote

import _ "embed"

// OpenAPI is the OpenAPI 2 description of the JSON API, generated from the
// protobuf definitions by protoc-gen-openapiv2.
//
//go:embed gen/openapi/ownervote.swagger.json
var OpenAPI []byte
