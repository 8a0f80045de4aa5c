package server

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQuery parses a JSON call's query string as the gateway does, but
// refuses a parameter that names no field of the request (the gateway
// would drop it): a mistyped parameter — first= for size1=, page_token=
// on a list that pages by after_seq — would otherwise be answered as if it
// had not been sent, a whole list or an empty proof. A body's unknown
// fields are refused likewise (MALFORMED_REQUEST).
type strictQuery struct{ runtime.DefaultQueryParser }

func (q *strictQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	for key := range values {
		if !namesField(msg.ProtoReflect().Descriptor(), key) {
			return fmt.Errorf("unknown query parameter %q: %s takes %s", key, msg.ProtoReflect().Descriptor().Name(), queryFields(msg.ProtoReflect().Descriptor()))
		}
	}
	return q.DefaultQueryParser.Parse(msg, values, filter)
}

// namesField tells whether a query key (a dotted path of proto or JSON
// names, a map key in brackets at its end) names a field of md.
func namesField(md protoreflect.MessageDescriptor, key string) bool {
	if i := strings.IndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		key = key[:i]
	}
	parts := strings.Split(key, ".")
	for i, name := range parts {
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return false
		}
		if i < len(parts)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return false
			}
			md = fd.Message()
		}
	}
	return true
}

// queryFields lists a request's fields by their proto names.
func queryFields(md protoreflect.MessageDescriptor) string {
	var names []string
	for i := range md.Fields().Len() {
		names = append(names, string(md.Fields().Get(i).Name()))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
