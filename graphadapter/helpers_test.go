package graphadapter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// fakeClock replaces the tenant's clock and sleeps: a sleep records its duration and advances
// the clock at once, so retry tests run without waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// newServer starts an httptest server for one test, with handlers under /v1.0.
func newServer(t *testing.T, mux *http.ServeMux) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// newTenant returns a Tenant on srv's /v1.0 root with a fake clock.
func newTenant(t *testing.T, srv *httptest.Server, opts ...Option) (*Tenant, *fakeClock) {
	t.Helper()
	opts = append([]Option{WithRoot(srv.URL + "/v1.0")}, opts...)
	tn, err := New(opts...)
	require.NoError(t, err)
	clock := &fakeClock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	tn.now = clock.Now
	tn.sleep = clock.Sleep
	return tn, clock
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// graphError answers with Graph's error envelope.
func graphError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// decodeBody reads a request's JSON body into a generic map, keeping key presence visible.
func decodeBody(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "body %s", b)
	return m
}

// asError returns err as *licensing.Error or fails the test.
func asError(t *testing.T, err error) *licensing.Error {
	t.Helper()
	require.Error(t, err)
	le, ok := err.(*licensing.Error)
	require.True(t, ok, "error %T %v is not a *licensing.Error", err, err)
	return le
}

// asResponse returns the *ResponseError behind err (Graph's reply) or fails the test.
func asResponse(t *testing.T, err error) *ResponseError {
	t.Helper()
	require.Error(t, err)
	var re *ResponseError
	require.True(t, errors.As(err, &re), "error %T %v carries no *ResponseError", err, err)
	return re
}

const (
	skuE3    = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuE1    = "18181a46-0d4e-45cd-891e-60aabd171b4e"
	planEXO  = "efb87545-963c-4e0d-99df-69c6916d9eb0"
	planSPO2 = "5dbe027f-2339-4123-9542-606e4d348a72"
	planSPO1 = "c7699d2e-19aa-44de-8edf-1736da088ca1"
	tenantID = "48a80680-7326-48cd-9935-b556b81d3a4e"
	userA    = "11111111-1111-1111-1111-111111111111"
	userB    = "22222222-2222-2222-2222-222222222222"
	groupG   = "99999999-9999-9999-9999-999999999999"
)
