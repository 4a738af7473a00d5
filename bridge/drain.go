package bridge

import "net/http"

// StartDrain marks the server as shutting down: /readyz answers 503 with
// "draining": true at once, so load balancers stop sending new requests,
// and every response carries `Connection: close`, so clients open their
// next connection elsewhere instead of reusing one that is about to be
// closed. Requests are still served in full while draining.
func (s *Server) StartDrain() { s.draining.Store(true) }

// Draining reports whether StartDrain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// drainHeader sets `Connection: close` while draining.
func (s *Server) drainHeader(w http.ResponseWriter) {
	if s.draining.Load() {
		w.Header().Set("Connection", "close")
	}
}
