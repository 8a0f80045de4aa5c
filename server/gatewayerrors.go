package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// gatewayReasons are the reasons of the errors the JSON gateway makes
// itself, before or around a call: a body, path or query it cannot decode,
// a call cut short. The services' own errors carry theirs (errorTable).
var gatewayReasons = map[codes.Code]struct{ reason, zh string }{
	codes.InvalidArgument:  {"MALFORMED_REQUEST", "请求无法解析：JSON 正文、路径参数或查询参数的格式不正确"},
	codes.DeadlineExceeded: {"DEADLINE_EXCEEDED", "请求超时"},
	codes.Canceled:         {"CANCELLED", "请求已取消"},
}

// gatewayError answers an error of a JSON call as the gateway does, giving
// one that has no reason (an error of the gateway's own) the reason and
// zh-CN message of its code, so that every JSON error has both.
func gatewayError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	if reasonOfStatus(st) == "" {
		g, ok := gatewayReasons[st.Code()]
		if !ok {
			// The code's own name, as the reasons are written:
			// RESOURCE_EXHAUSTED, not ResourceExhausted.
			g.reason, g.zh = rpccode.Code(st.Code()).String(), "请求失败"
		}
		st = withReason(st, g.reason, g.zh)
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
}

// routingError answers a request no endpoint takes: 404 NO_SUCH_ENDPOINT
// for an unknown path, 405 METHOD_NOT_ALLOWED for a method the path does
// not take (the gateway's own answer is 501 Unimplemented), 400
// MALFORMED_REQUEST for a path it cannot read.
func routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	var st *status.Status
	switch httpStatus {
	case http.StatusNotFound:
		st = withReason(status.New(codes.NotFound, fmt.Sprintf("no endpoint %s", r.URL.Path)), "NO_SUCH_ENDPOINT", "没有这个接口")
	case http.StatusMethodNotAllowed:
		st = withReason(status.New(codes.Unimplemented, fmt.Sprintf("%s %s: the endpoint does not take this method", r.Method, r.URL.Path)),
			"METHOD_NOT_ALLOWED", "这个接口不接受该请求方法")
		// Answered here: the gateway would map Unimplemented to 501.
		body, err := m.Marshal(st.Proto())
		if err != nil {
			runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
			return
		}
		w.Header().Set("Content-Type", m.ContentType(st.Proto()))
		w.WriteHeader(http.StatusMethodNotAllowed)
		w.Write(body)
		return
	case http.StatusBadRequest:
		g := gatewayReasons[codes.InvalidArgument]
		st = withReason(status.New(codes.InvalidArgument, fmt.Sprintf("%s: the path cannot be read", r.URL.Path)), g.reason, g.zh)
	default:
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
		return
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
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

// reasonOfStatus is st's ErrorInfo reason, or "".
func reasonOfStatus(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
