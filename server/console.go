package server

import (
	"net/http"

	"github.com/ownervote/ownervote/web"
)

// consoleHandler serves the web console (package web) at "/": its page and
// its embedded assets. Every other path the mux knows (/v1/, /notices/,
// /openapi.json, /healthz) is more specific and wins.
func (s *Server) consoleHandler() http.Handler { return web.Handler() }
