package fake

import (
	"context"
	"errors"
	"net"
	"net/http"
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
		srv:    &http.Server{Handler: NewServer(t, opts...), ReadHeaderTimeout: 10 * time.Second},
		done:   make(chan error, 1),
	}
	s.URL = "http://" + s.Addr + "/v1.0"
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server, letting requests in flight finish for up to five seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
