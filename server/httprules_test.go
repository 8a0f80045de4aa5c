package server_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/ownervote/ownervote/gen/ownervote/v1"
)

// TestCallsWithABodyTakeNoQuery: the JSON API refuses any query parameter
// of a POST (strictParams), which is right only while every field of such
// a call's request is in its path or its body: a rule whose request had
// another field could not be called over JSON.
func TestCallsWithABodyTakeNoQuery(t *testing.T) {
	raw, err := os.ReadFile("../proto/ownervote/v1/http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`(?m)^\s+- selector: (\S+)\n\s+(get|post|put|patch|delete): (\S+)(?:\n\s+body: "?([^"\n]+)"?)?`)
	variable := regexp.MustCompile(`\{([^}=]+)`)
	rules := rule.FindAllStringSubmatch(string(raw), -1)
	if len(rules) < 50 {
		t.Fatalf("read %d rules of http.yaml, want all of them", len(rules))
	}
	posts := 0
	for _, r := range rules {
		selector, method, path, body := r[1], r[2], r[3], r[4]
		if method == "get" {
			continue
		}
		posts++
		i := strings.LastIndex(selector, ".")
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(selector[:i]))
		if err != nil {
			t.Fatalf("%s: %v", selector, err)
		}
		m := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(selector[i+1:]))
		if m == nil {
			t.Fatalf("%s: no such method", selector)
		}
		if body == "*" {
			continue
		}
		inPath := map[string]bool{}
		for _, v := range variable.FindAllStringSubmatch(path, -1) {
			inPath[strings.SplitN(v[1], ".", 2)[0]] = true
		}
		fields := m.Input().Fields()
		for j := range fields.Len() {
			if name := string(fields.Get(j).Name()); !inPath[name] && name != body {
				t.Errorf("%s %s %s: field %s is neither in the path nor the body (%q), and a query on a %s is refused", selector, method, path, name, body, method)
			}
		}
	}
	if posts == 0 {
		t.Error("no call with a body read")
	}
}
