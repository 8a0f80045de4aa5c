package server

// LocalCallsStopped reports whether s's JSON gateway refuses and cancels
// local calls, as it must once Shutdown returns.
func LocalCallsStopped(s *Server) bool { return s.local.stopping.Err() != nil }
