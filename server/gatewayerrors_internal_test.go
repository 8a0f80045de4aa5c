package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// An error of the gateway's own with a code no row names gets that code's
// name as its reason, written as the reasons are (RESOURCE_EXHAUSTED).
func TestGatewayErrorFallbackReason(t *testing.T) {
	mux := runtime.NewServeMux()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/v1/communities", nil)
	gatewayError(context.Background(), mux, &runtime.JSONPb{}, w, r, status.Error(codes.ResourceExhausted, "grpc: received message larger than max"))
	var body struct {
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusTooManyRequests || len(body.Details) == 0 || body.Details[0].Reason != "RESOURCE_EXHAUSTED" {
		t.Errorf("HTTP %d %s (%v); want 429 with reason RESOURCE_EXHAUSTED", w.Code, w.Body.String(), err)
	}
}
