package graphadapter

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// scripted answers the n-th request (from 1) with step(n, w, r).
func scripted(t *testing.T, step func(n int, w http.ResponseWriter, r *http.Request)) (*Tenant, *fakeClock, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		step(int(n.Add(1)), w, r)
	}))
	tn, clock := newTenant(t, srv)
	return tn, clock, &n
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	tn, clock, n := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			graphError(w, 429, "TooManyRequests", "Please retry again later.")
			return
		}
		writeJSON(w, 200, map[string]any{"id": userA})
	})
	require.NoError(t, tn.ReprocessUser(context.Background(), userA))
	assert.EqualValues(t, 2, n.Load())
	assert.Equal(t, []time.Duration{7 * time.Second}, clock.Sleeps())
}

func TestRetryAfterAsHTTPDate(t *testing.T) {
	var clock *fakeClock
	tn, clock, _ := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", clock.Now().Add(20*time.Second).Format(http.TimeFormat))
			graphError(w, 503, "serviceNotAvailable", "The service is temporarily unavailable.")
			return
		}
		w.WriteHeader(204)
	})
	require.NoError(t, tn.RemoveGroupMember(context.Background(), groupG, userA))
	assert.Equal(t, []time.Duration{20 * time.Second}, clock.Sleeps())
}

func TestRetry503And504ThenSuccessWithBackoff(t *testing.T) {
	tn, clock, n := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			graphError(w, 503, "serviceNotAvailable", "The service is temporarily unavailable.")
		case 2:
			graphError(w, 504, "UnknownError", "The gateway did not receive a response in time.")
		default:
			writeJSON(w, 200, map[string]any{"value": []any{}})
		}
	})
	skus, err := tn.SubscribedSkus(context.Background())
	require.NoError(t, err)
	assert.Empty(t, skus)
	assert.EqualValues(t, 3, n.Load())
	sleeps := clock.Sleeps()
	require.Len(t, sleeps, 2)
	assert.True(t, sleeps[0] >= 500*time.Millisecond && sleeps[0] <= time.Second, "first backoff %v", sleeps[0])
	assert.True(t, sleeps[1] >= time.Second && sleeps[1] <= 2*time.Second, "second backoff %v", sleeps[1])
}

func TestThrottledAfterLastAttempt(t *testing.T) {
	tn, clock, n := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		graphError(w, 429, "TooManyRequests", "Please retry again later.")
	})
	err := tn.AssignUserLicenses(context.Background(), userA, nil, []licensing.SkuID{licensing.MustParseSkuID(skuE1)})
	le := asError(t, err)
	assert.Equal(t, licensing.Throttled, le.Kind)
	assert.Equal(t, 3*time.Second, asResponse(t, le).RetryAfter())
	assert.EqualValues(t, DefaultRetryPolicy.MaxAttempts, n.Load(), "bounded attempts")
	assert.Len(t, clock.Sleeps(), DefaultRetryPolicy.MaxAttempts-1)
}

func TestLongRetryAfterIsHandedToTheCaller(t *testing.T) {
	tn, clock, n := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "150")
		graphError(w, 429, "TooManyRequests", "Please retry again later.")
	})
	le := asError(t, tn.ReprocessUser(context.Background(), userA))
	assert.Equal(t, licensing.Throttled, le.Kind)
	assert.Equal(t, 150*time.Second, asResponse(t, le).RetryAfter(), "handed up with its Retry-After")
	assert.EqualValues(t, 1, n.Load(), "a wait beyond MaxRetryAfter is not done here")
	assert.Empty(t, clock.Sleeps())
}

func TestInternalServerErrorIsNotRetriedButTransient(t *testing.T) {
	tn, _, n := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		graphError(w, 500, "InternalServerError", "Oops.")
	})
	le := asError(t, tn.ReprocessUser(context.Background(), userA))
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.EqualValues(t, 1, n.Load())
}

// resetConnection closes the client's connection with a TCP reset, without an answer.
func resetConnection(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	require.NoError(t, err)
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func TestConnectionResetOfAWriteIsNotRepeated(t *testing.T) {
	// The reset may come after Graph carried the write out: repeating it blindly could be
	// refused ("User does not have a corresponding license") although the change is made. The
	// write fails as Transient after one try; planner.Apply re-reads the target and decides.
	tn, _, n := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			resetConnection(t, w)
			return
		}
		writeJSON(w, 200, map[string]any{"id": userA})
	})
	add := []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(skuE3)}}
	le := asError(t, tn.AssignUserLicenses(context.Background(), userA, add, nil))
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.EqualValues(t, 1, n.Load(), "the write is sent once")
}

func TestConnectionResetOfAReadIsRetried(t *testing.T) {
	tn, clock, n := scripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			resetConnection(t, w)
			return
		}
		writeJSON(w, 200, map[string]any{"id": userA})
	})
	_, err := tn.User(context.Background(), userA)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Load())
	assert.Len(t, clock.Sleeps(), 1)
}

// TestConnectionResetEveryTimeIsTransient: a read is retried within its time budget, not a
// number of tries; when the next wait would pass the budget, it fails as Transient.
func TestConnectionResetEveryTimeIsTransient(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); resetConnection(t, w) }))
	tn, clock := newTenant(t, srv, WithRetryPolicy(RetryPolicy{ReadBudget: 2 * time.Minute}))
	_, err := tn.User(context.Background(), userA)
	le := asError(t, err)
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.Greater(t, int(n.Load()), DefaultRetryPolicy.MaxAttempts, "a read is not bounded by MaxAttempts")
	var waited time.Duration
	for _, d := range clock.Sleeps() {
		waited += d
	}
	assert.LessOrEqual(t, waited, 2*time.Minute, "within the budget")
	assert.Greater(t, waited, time.Minute, "and close to it")
}

func TestSlowReplyToAWriteIsNotRepeated(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.WriteHeader(204)
	}))
	tn, _ := newTenant(t, srv, WithRetryPolicy(RetryPolicy{AttemptTimeout: 100 * time.Millisecond}))
	le := asError(t, tn.RemoveGroupMember(context.Background(), groupG, userA))
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.EqualValues(t, 1, n.Load(), "a write that timed out may have been made: it is not sent again")
}

func TestCancelledContextStopsTheWait(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "60")
		graphError(w, 429, "TooManyRequests", "Please retry again later.")
	}))
	tn, err := New(WithRoot(srv.URL + "/v1.0")) // the real clock: the wait must end with ctx
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = tn.ReprocessUser(ctx, userA)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.EqualValues(t, 1, n.Load())
}

// stubCredential hands out a fixed token and counts its calls.
type stubCredential struct {
	token  string
	scopes []string
	calls  atomic.Int32
}

// TestTokenGoesToTheRootOnlyAndNeverIntoLogsOrErrors uses an https loopback root with a
// credential: the token is sent as a bearer token, with the root's scope, and appears neither in
// a log line (debug level) nor in an error.
func TestTokenGoesToTheRootOnlyAndNeverIntoLogsOrErrors(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOi-secret-token"
	var n atomic.Int32
	mux := muxFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer "+token, r.Header.Get("Authorization"))
		switch n.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "1")
			graphError(w, 503, "serviceNotAvailable", "The service is temporarily unavailable.")
		default:
			graphError(w, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		}
	})
	srv := newTLSServer(t, mux)
	cred := &stubCredential{token: token}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tn, err := New(WithRoot(srv.URL+"/v1.0"), WithCredential(cred), WithHTTPClient(srv.Client()), WithLogger(logger))
	require.NoError(t, err)
	clock := &fakeClock{now: time.Now()}
	tn.now, tn.sleep = clock.Now, clock.Sleep

	err = tn.ReprocessUser(context.Background(), userA)
	le := asError(t, err)
	assert.Equal(t, licensing.Other, le.Kind)
	assert.Equal(t, "Authorization_RequestDenied", asResponse(t, le).Code)
	assert.NotContains(t, le.Error(), token)
	assert.Contains(t, logs.String(), "graph asked to retry", "retries are logged at debug")
	assert.NotContains(t, logs.String(), token)
	assert.NotContains(t, logs.String(), "Bearer")
	assert.Equal(t, []string{"https://" + srv.Listener.Addr().String() + "/.default"}, cred.scopes)
	assert.GreaterOrEqual(t, cred.calls.Load(), int32(1))
}
