package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
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
	if err := unknownQuery(msg, values); err != nil {
		return err
	}
	return q.DefaultQueryParser.Parse(msg, values, filter)
}

// unknownQuery is the error for the first query parameter of values that
// names no field of msg, or nil.
func unknownQuery(msg proto.Message, values url.Values) error {
	md := msg.ProtoReflect().Descriptor()
	for key := range values {
		if !namesField(md, key) {
			return fmt.Errorf("unknown query parameter %q: %s takes %s", key, md.Name(), queryFields(md))
		}
	}
	return nil
}

// queryKey is the context key of a JSON call's query parameters, for the
// methods whose query the gateway does not parse (strictParams).
type queryKey struct{}

// strictParams refuses, once the gateway has routed a JSON call, the query
// parameters the gateway would drop without a word: one that repeats a
// path parameter (the path's value is used), and any of a call other than
// a GET, whose fields all go in the path and the body. The rest it leaves
// in the context for the methods whose query the gateway does not parse
// (their fields are all in the path): localConn refuses them there by the
// request's fields, as strictQuery does for the others.
func strictParams(log *slog.Logger) runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
			if r.URL.RawQuery == "" {
				next(w, r, pathParams)
				return
			}
			q := r.URL.Query()
			keys := slices.Sorted(maps.Keys(q))
			var err error
			for _, key := range keys {
				name, _, _ := strings.Cut(key, ".")
				for _, param := range slices.Sorted(maps.Keys(pathParams)) {
					if err == nil && (name == param || name == jsonName(param)) {
						err = fmt.Errorf("%w: query parameter %q: %s is given by the path", ErrMalformedRequest, key, param)
					}
				}
			}
			if err == nil && len(q) > 0 && r.Method != http.MethodGet {
				err = fmt.Errorf("%w: query parameters %s: a %s takes its fields in the path and the JSON body, not in the query", ErrMalformedRequest, strings.Join(keys, ", "), r.Method)
			}
			if err != nil {
				writeHTTPError(w, r, http.StatusBadRequest, toStatus(r.Context(), log, err))
				return
			}
			next(w, r.WithContext(context.WithValue(r.Context(), queryKey{}, q)), pathParams)
		}
	}
}

// jsonName is a proto field name's JSON name (community_id: communityId).
func jsonName(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// queryProblem refuses, as ErrMalformedRequest, a query parameter of the
// JSON call behind ctx that names no field of the request msg.
func queryProblem(ctx context.Context, msg proto.Message) error {
	q, _ := ctx.Value(queryKey{}).(url.Values)
	if err := unknownQuery(msg, q); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedRequest, err)
	}
	return nil
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

// wholeJSON is the gateway's JSON marshaler refusing a body with anything
// after its JSON value ('{} and more', two objects in a row): the
// gateway's decoder would read the first value and leave the rest unread,
// unsaid.
type wholeJSON struct{ *runtime.JSONPb }

func (m wholeJSON) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	w := runtime.DecoderWrapper{Decoder: d, UnmarshalOptions: m.UnmarshalOptions}
	return runtime.DecoderFunc(func(v any) error {
		if err := w.Decode(v); err != nil {
			return err
		}
		if _, err := d.Token(); err != io.EOF {
			return errors.New("the body goes on after its JSON value: send one JSON object, and nothing after it")
		}
		return nil
	})
}
