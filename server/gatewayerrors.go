package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ownervote/ownervote"
)

// gatewayErrors are the errorTable rows of the errors the JSON gateway
// makes itself, before or around a call, by their code: a body, path or
// query it cannot decode, a call cut short. The services' own errors carry
// their reasons already.
var gatewayErrors = map[codes.Code]error{
	codes.InvalidArgument:  ErrMalformedRequest,
	codes.DeadlineExceeded: context.DeadlineExceeded,
	codes.Canceled:         context.Canceled,
}

// gatewayError answers an error of a JSON call as the gateway does, giving
// one that has no reason (an error of the gateway's own) the reason and
// zh-CN message of its code, so that every JSON error has both.
func gatewayError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	var hs *runtime.HTTPStatusError
	if errors.As(err, &hs) {
		err = hs.Err
	}
	st := status.Convert(err)
	if reasonOfStatus(st) == "" {
		row, ok := mappingOf(gatewayErrors[st.Code()])
		if !ok {
			// The code's own name, as the reasons are written:
			// RESOURCE_EXHAUSTED, not ResourceExhausted.
			row = errorMapping{reason: rpccode.Code(st.Code()).String(), zh: "请求失败"}
		}
		st = withReason(st, row.reason, row.zh)
	}
	// The gateway writes a 401's WWW-Authenticate as the error's message;
	// set the headers as the status calls for when it writes its own.
	w = headerSetter{ResponseWriter: w, set: func(h http.Header) { errorHeaders(h, r, st) }}
	if hs != nil {
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: hs.HTTPStatus, Err: st.Err()})
		return
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
}

// headerSetter calls set on the headers just before they are written.
type headerSetter struct {
	http.ResponseWriter
	set func(http.Header)
}

func (w headerSetter) WriteHeader(code int) {
	w.set(w.Header())
	w.ResponseWriter.WriteHeader(code)
}

// errorHeaders sets the HTTP headers an error's status calls for: a 401's
// Bearer challenge (RFC 6750 §3: invalid_token when a token was sent) and
// a rate limit's Retry-After (RFC 9110 §10.2.3), whole seconds from its
// RetryInfo.
func errorHeaders(h http.Header, r *http.Request, st *status.Status) {
	switch st.Code() {
	case codes.Unauthenticated:
		challenge := `Bearer realm="ownervote"`
		if r != nil && r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		h.Set("WWW-Authenticate", challenge)
	case codes.ResourceExhausted:
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				secs := int64(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds()))
				h.Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
			}
		}
	}
}

// routingError answers a request no endpoint takes: 404 NO_SUCH_ENDPOINT
// for an unknown path, 405 METHOD_NOT_ALLOWED for a method the path does
// not take (the gateway would answer 501 Unimplemented), 400
// MALFORMED_REQUEST for a path it cannot read.
func routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	var st *status.Status
	switch httpStatus {
	case http.StatusNotFound:
		st = withReason(status.New(codes.NotFound, fmt.Sprintf("no endpoint %s", r.URL.Path)), "NO_SUCH_ENDPOINT", "没有这个接口")
	case http.StatusMethodNotAllowed:
		allow := allowedMethods(r.URL.Path)
		w.Header().Set("Allow", allow)
		st = withReason(status.New(codes.Unimplemented, fmt.Sprintf("%s %s: the endpoint takes %s", r.Method, r.URL.Path, allow)),
			"METHOD_NOT_ALLOWED", "这个接口不接受该请求方法")
	case http.StatusBadRequest:
		st = status.New(codes.InvalidArgument, fmt.Sprintf("%s: the path cannot be read", r.URL.Path))
	default:
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
		return
	}
	gatewayError(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: st.Err()})
}

// onlyGet answers a method other than GET on a plain HTTP page (the
// notices, the OpenAPI description) as routingError does on the gateway's
// paths: 405 METHOD_NOT_ALLOWED, with Allow.
func onlyGet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	st := withReason(status.New(codes.Unimplemented, fmt.Sprintf("%s %s: the endpoint takes GET", r.Method, r.URL.Path)), "METHOD_NOT_ALLOWED", "这个接口不接受该请求方法")
	writeHTTPError(w, r, http.StatusMethodNotAllowed, st.Err())
}

// endpoints are the JSON API's path templates with their methods, read once
// from the OpenAPI description: a variable ({community_id}) matches one
// path segment.
var endpoints = sync.OnceValue(func() []endpoint {
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(ownervote.OpenAPI(), &spec); err != nil {
		panic(fmt.Sprintf("server: the OpenAPI description: %v", err))
	}
	variable := regexp.MustCompile(`\{[^}]*\}`)
	var out []endpoint
	for path, ops := range spec.Paths {
		literals := variable.Split(path, -1)
		for i := range literals {
			literals[i] = regexp.QuoteMeta(literals[i])
		}
		last := path[strings.LastIndex(path, "/")+1:]
		e := endpoint{re: regexp.MustCompile("^" + strings.Join(literals, "[^/]+") + "$"),
			verb: strings.Contains(variable.ReplaceAllString(last, ""), ":")}
		for m := range ops {
			if m := strings.ToUpper(m); slices.Contains([]string{"GET", "PUT", "POST", "DELETE", "PATCH"}, m) {
				e.methods = append(e.methods, m)
			}
		}
		out = append(out, e)
	}
	return out
})

type endpoint struct {
	re      *regexp.Regexp
	verb    bool // the last segment ends in a custom verb (:certify)
	methods []string
}

// allowedMethods lists the methods the JSON API takes on path, for a 405's
// Allow header. A path ending in a custom verb (…/a1:certify) is the
// verb's endpoint, not its resource's.
func allowedMethods(path string) string {
	var plain, verbs []string
	for _, e := range endpoints() {
		if e.re.MatchString(path) {
			if e.verb {
				verbs = append(verbs, e.methods...)
			} else {
				plain = append(plain, e.methods...)
			}
		}
	}
	if len(verbs) > 0 {
		plain = verbs
	}
	slices.Sort(plain)
	return strings.Join(slices.Compact(plain), ", ")
}

// withReason adds an ErrorInfo reason (with metadata, if any) and a zh-CN
// message to st.
func withReason(st *status.Status, reason, zh string, metadata ...map[string]string) *status.Status {
	info := &errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}
	if len(metadata) > 0 {
		info.Metadata = metadata[0]
	}
	out, err := st.WithDetails(
		info,
		&errdetails.LocalizedMessage{Locale: "zh-CN", Message: zh},
	)
	if err != nil {
		return st
	}
	return out
}

// localizedOf is st's zh-CN message, or "".
func localizedOf(st *status.Status) string {
	for _, d := range st.Details() {
		if m, ok := d.(*errdetails.LocalizedMessage); ok && m.GetLocale() == "zh-CN" {
			return m.GetMessage()
		}
	}
	return ""
}

// reasonOfStatus is st's ErrorInfo reason, or "".
func reasonOfStatus(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
