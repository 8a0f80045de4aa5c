package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
	if hs != nil {
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: hs.HTTPStatus, Err: st.Err()})
		return
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
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
		st = withReason(status.New(codes.Unimplemented, fmt.Sprintf("%s %s: the endpoint does not take this method", r.Method, r.URL.Path)),
			"METHOD_NOT_ALLOWED", "这个接口不接受该请求方法")
	case http.StatusBadRequest:
		st = status.New(codes.InvalidArgument, fmt.Sprintf("%s: the path cannot be read", r.URL.Path))
	default:
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
		return
	}
	gatewayError(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: st.Err()})
}

// withReason adds an ErrorInfo reason and a zh-CN message to st.
func withReason(st *status.Status, reason, zh string) *status.Status {
	out, err := st.WithDetails(
		&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain},
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
