package giteatest

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
)

// proxy is a counting reverse proxy on a fixed loopback address; it can
// stop listening and listen again on the same address.
type proxy struct {
	addr   string
	target string

	mu     sync.Mutex
	ln     net.Listener
	srv    *http.Server
	counts map[string]int
}

func newProxy() (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	return &proxy{addr: addr, counts: map[string]int{}}, nil
}

func (p *proxy) listen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(&url.URL{Scheme: "http", Host: p.target})
		r.Out.Host = r.In.Host
	}}
	p.ln = ln
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[r.Method+" "+r.URL.Path]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return nil
}

func (p *proxy) stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv, p.ln = nil, nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (p *proxy) close() { p.stop() }

// Calls returns how many requests the forge got for "METHOD /path"
// (query excluded) since the start or the last ResetCalls.
func (s *Server) Calls(methodPath string) int {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	return s.proxy.counts[methodPath]
}

// AllCalls returns a copy of every count by "METHOD /path".
func (s *Server) AllCalls() map[string]int {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	out := make(map[string]int, len(s.proxy.counts))
	for k, v := range s.proxy.counts {
		out[k] = v
	}
	return out
}

// ResetCalls sets every count to zero.
func (s *Server) ResetCalls() {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	s.proxy.counts = map[string]int{}
}
