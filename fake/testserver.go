package fake

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a running fake Graph server (see StartServer).
type Server struct {
	// URL is the Graph root to give a client, e.g. "http://127.0.0.1:54321/v1.0".
	URL string
	// Addr is the host:port the server listens on.
	Addr string
	// Tenant is the tenant the server serves.
	Tenant *Tenant

	srv  *http.Server
	done chan error

	mu    sync.Mutex
	fresh map[net.Conn]bool // connections accepted that have not yet sent a request
}

// StartServer serves the tenant on a free loopback port (127.0.0.1:0) until Close, like
// pstest.NewServer. Give Server.URL to the client under test.
func StartServer(t *Tenant, opts ...ServerOption) (*Server, error) {
	return Listen("127.0.0.1:0", t, opts...)
}

// Listen serves the tenant on addr until Close.
func Listen(addr string, t *Tenant, opts ...ServerOption) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Addr:   ln.Addr().String(),
		Tenant: t,
		done:   make(chan error, 1),
		fresh:  map[net.Conn]bool{},
	}
	s.srv = &http.Server{Handler: NewServer(t, opts...), ReadHeaderTimeout: 10 * time.Second, ConnState: s.track}
	s.URL = "http://" + s.Addr + "/v1.0"
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// track remembers the connections that have not sent a request yet. http.Server.Shutdown
// counts such a connection as busy for its first five seconds, so a client that opened a
// connection it never used (an HTTP client dialling ahead, a connection pool) would hold
// Close for that long.
func (s *Server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == http.StateNew {
		s.fresh[c] = true
	} else {
		delete(s.fresh, c)
	}
}

// Close stops the server: it closes idle connections and connections that never carried a
// request at once, and lets requests in flight finish for up to five seconds.
func (s *Server) Close() error {
	s.srv.SetKeepAlivesEnabled(false)
	s.mu.Lock()
	for c := range s.fresh {
		c.Close()
		delete(s.fresh, c)
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.srv.Close()
	}
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
