package server

import (
	"google.golang.org/grpc/status"
)

// LocalCallsStopped reports whether s's JSON gateway refuses and cancels
// local calls, as it must once Shutdown returns.
func LocalCallsStopped(s *Server) bool { return s.local.stopping.Err() != nil }

// ReasonOf is the ErrorInfo reason of a status error, if any.
func ReasonOf(err error) string { return reasonOfStatus(status.Convert(err)) }

// ZhOf is the zh-CN message of a status error, if any.
func ZhOf(err error) string { return localizedOf(status.Convert(err)) }
