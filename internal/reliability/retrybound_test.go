package reliability_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/retry"
)

// TestStepRequestsAreBounded holds the bound package retry, graphadapter and planner document:
// the adapter owns the retries of one request, the executor the attempts of a step, and a step
// makes at most executor attempts × adapter attempts per request write requests — 5 × 5 = 25 with
// both default policies. It applies Alice's E1 → E3 swap (one assignLicense step) through
// graphadapter to the fake server, which fails every POST of that swap, and counts the POSTs the
// server sees. Both layers run with their default policies on one clock whose waits pass at once.
func TestStepRequestsAreBounded(t *testing.T) {
	executor, adapter := planner.DefaultRetryPolicy.MaxAttempts, graphadapter.DefaultRetryPolicy.MaxAttempts
	require.Equal(t, 5, executor, "the executor's default attempts, as documented")
	require.Equal(t, 5, adapter, "the adapter's default attempts per request, as documented")
	const swap = "/v1.0/users/" + sampletenant.Alice + "/assignLicense"
	longThrottle := func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "600") // 10 minutes: longer than the adapter waits for a write
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"TooManyRequests","message":"Please retry again later."}}`))
		return true
	}
	cases := []struct {
		name  string
		fault fake.FaultKind // injected by the fake on every POST of the swap
		reply func(w http.ResponseWriter, r *http.Request) bool
		kind  licensing.Kind
		posts int
	}{
		// The adapter tries the request 5 times (waiting out Retry-After: 1s), the executor
		// attempts the step 5 times, re-reading Alice before each: the whole bound.
		{name: "503 every time", fault: fake.FaultUnavailable, kind: licensing.Transient, posts: executor * adapter},
		{name: "429 every time, Retry-After 1s", fault: fake.FaultTooManyRequests, kind: licensing.Throttled, posts: executor * adapter},
		// A Retry-After beyond the adapter's MaxRetryAfter is handed up at once: the executor
		// schedules it (every worker waits), one request per attempt.
		{name: "429 every time, Retry-After 10m", reply: longThrottle, kind: licensing.Throttled, posts: executor},
		// A write whose reply was lost may have been carried out: the adapter does not repeat
		// it, the executor re-reads Alice and decides, one request per attempt.
		{name: "504 every time", fault: fake.FaultGatewayTimeout, kind: licensing.Transient, posts: executor},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ft, err := fake.New(sampletenant.Snapshot())
			require.NoError(t, err)
			var sopts []fake.ServerOption
			if tc.reply == nil {
				sopts = append(sopts, fake.WithFaults(fake.Faults{Rate: 1, Kinds: []fake.FaultKind{tc.fault}, Methods: []string{"POST"}, Paths: []string{"/users/*/assignLicense"}}))
			}
			inner := fake.NewServer(ft, sopts...)
			var posts, otherWrites atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodPost && r.URL.Path == swap:
					posts.Add(1)
					if tc.reply != nil && tc.reply(w, r) {
						return
					}
				case isWrite(r.Method):
					otherWrites.Add(1)
				}
				inner.ServeHTTP(w, r)
			}))
			defer srv.Close()
			root := srv.URL + "/v1.0"
			clock := &noSleep{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
			ga, err := graphadapter.New(graphadapter.WithRoot(root), graphadapter.WithClock(clock))
			require.NoError(t, err)
			defer ga.CloseIdleConnections()

			d, err := planner.ReadDesired(strings.NewReader(`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
			require.NoError(t, err)
			p, _ := plan(t, snapshotVia(t, root), d)
			require.Len(t, p.Steps, 1)
			res, err := planner.Apply(context.Background(), ga, p, planner.WithClock(clock))
			require.Error(t, err, "a write that never goes through fails its step")
			assert.ErrorIs(t, err, tc.kind)
			require.NotNil(t, res)
			assert.Equal(t, planner.StepFailed, res.Steps[0].Status)
			assert.Equal(t, executor, res.Steps[0].Calls, "the executor's attempts")
			assert.EqualValues(t, tc.posts, posts.Load(), "POSTs the server saw for the step")
			assert.LessOrEqual(t, int(posts.Load()), executor*adapter, "never past the documented bound")
			assert.Zero(t, otherWrites.Load())
			if tc.kind == licensing.Throttled {
				wait, ok := retry.After(err)
				assert.True(t, ok, "the step's error carries Graph's Retry-After")
				assert.Positive(t, wait)
			}
		})
	}
}

// TestStepReadsAreBoundedByTime: a read is bounded by the adapter's ReadBudget (15 minutes) per
// request, not by a count, and the executor tries each read it makes up to its MaxAttempts (5).
// Under persistent 503 on Alice the step makes two reads of her — the preflight's, then its
// precondition's, after which it fails — so the run gives up after at most 2 × 5 × 15 minutes of
// waiting (plus the executor's own backoffs), with no write made.
func TestStepReadsAreBoundedByTime(t *testing.T) {
	ft, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	clean := fake.NewServer(ft)
	faulty := fake.NewServer(ft, fake.WithFaults(fake.Faults{Rate: 1, Kinds: []fake.FaultKind{fake.FaultUnavailable}, Methods: []string{"GET"}, Paths: []string{"/users/" + sampletenant.Alice}}))
	var reads, writes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWrite(r.Method) {
			writes.Add(1)
		} else if strings.HasSuffix(r.URL.Path, "/users/"+sampletenant.Alice) {
			reads.Add(1)
		}
		faulty.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cleanSrv := httptest.NewServer(clean)
	defer cleanSrv.Close()

	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := &noSleep{now: start}
	ga, err := graphadapter.New(graphadapter.WithRoot(srv.URL+"/v1.0"), graphadapter.WithClock(clock))
	require.NoError(t, err)
	defer ga.CloseIdleConnections()
	d, err := planner.ReadDesired(strings.NewReader(`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
	require.NoError(t, err)
	p, _ := plan(t, snapshotVia(t, cleanSrv.URL+"/v1.0"), d)
	_, err = planner.Apply(context.Background(), ga, p, planner.WithClock(clock))
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.Transient)
	assert.Zero(t, writes.Load(), "nothing is written without reading the target")

	executor := planner.DefaultRetryPolicy.MaxAttempts
	budget := graphadapter.DefaultRetryPolicy.ReadBudget
	waited := clock.Now().Sub(start)
	assert.Greater(t, int(reads.Load()), executor*graphadapter.DefaultRetryPolicy.MaxAttempts, "reads are bounded by time, not by the write bound")
	const stepReads = 2 // the preflight's read of Alice, and the step's precondition
	assert.LessOrEqual(t, waited, stepReads*(time.Duration(executor)*budget+time.Duration(executor-1)*planner.DefaultRetryPolicy.MaxDelay),
		"per read, at most the executor's attempts × the read budget, and the executor's waits")
	assert.Greater(t, waited, stepReads*time.Duration(executor)*budget*3/4, "each read used most of its budget")
}
