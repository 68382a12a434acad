package graphadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

type batchReq struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    map[string]any    `json:"body"`
}

type batchResp struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// batchServer answers POST /v1.0/$batch with answer(round, request) per inner request and
// records every round's requests.
type batchServer struct {
	mu     sync.Mutex
	rounds [][]batchReq
}

func (b *batchServer) handler(t *testing.T, answer func(round int, q batchReq) batchResp) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "POST", r.Method)
		assert.Equal(t, "/v1.0/$batch", r.URL.Path)
		raw, _ := io.ReadAll(r.Body)
		var in struct {
			Requests []batchReq `json:"requests"`
		}
		require.NoError(t, json.Unmarshal(raw, &in), "%s", raw)
		assert.LessOrEqual(t, len(in.Requests), 20, "Graph takes at most 20 requests per $batch")
		b.mu.Lock()
		b.rounds = append(b.rounds, in.Requests)
		round := len(b.rounds)
		b.mu.Unlock()
		out := []batchResp{}
		for _, q := range in.Requests {
			out = append(out, answer(round, q))
		}
		writeJSON(w, 200, map[string]any{"responses": out})
	}
}

func (b *batchServer) Rounds() [][]batchReq {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rounds
}

func errBody(code, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"code": code, "message": msg}}
}

// TestBatchPartialFailureRetriesOnlyThrottledItems: of three writes, one succeeds, one is throttled
// once (and only it is sent again after its Retry-After), one fails for good with its own kind.
func TestBatchPartialFailureRetriesOnlyThrottledItems(t *testing.T) {
	e3 := licensing.MustParseSkuID(skuE3)
	const userC = "33333333-3333-3333-3333-333333333333"
	bs := &batchServer{}
	srv := newServer(t, muxFunc(bs.handler(t, func(round int, q batchReq) batchResp {
		switch {
		case strings.Contains(q.URL, userB) && round == 1:
			return batchResp{ID: q.ID, Status: 429, Headers: map[string]string{"Retry-After": "4", "Content-Type": "application/json"}, Body: errBody("TooManyRequests", "Please retry again later.")}
		case strings.Contains(q.URL, userC):
			return batchResp{ID: q.ID, Status: 400, Headers: map[string]string{"Content-Type": "application/json"},
				Body: errBody("Request_BadRequest", "Subscription with SKU "+skuE3+" does not have any available licenses.")}
		}
		return batchResp{ID: q.ID, Status: 200, Body: map[string]any{"id": "x"}}
	})))
	tn, clock := newTenant(t, srv)

	errs := tn.AssignUserLicensesBatch(context.Background(), []UserAssignment{
		{UserID: userA, Add: []licensing.AssignedLicense{{SkuID: e3}}},
		{UserID: userB, Add: []licensing.AssignedLicense{{SkuID: e3}}},
		{UserID: userC, Add: []licensing.AssignedLicense{{SkuID: e3}}},
	})
	require.Len(t, errs, 3)
	assert.NoError(t, errs[0])
	assert.NoError(t, errs[1], "the throttled write succeeded on its retry")
	le := asError(t, errs[2])
	assert.Equal(t, licensing.CountViolation, le.Kind)
	assert.Equal(t, licensing.Target{Type: licensing.TargetUser, ID: userC}, le.Target)
	assert.Equal(t, e3, le.SkuID)

	rounds := bs.Rounds()
	require.Len(t, rounds, 2)
	assert.Len(t, rounds[0], 3)
	require.Len(t, rounds[1], 1, "only the throttled write is sent again")
	assert.Equal(t, "/users/"+userB+"/assignLicense", rounds[1][0].URL)
	assert.Equal(t, []time.Duration{4 * time.Second}, clock.Sleeps())

	q := rounds[0][0]
	assert.Equal(t, "POST", q.Method)
	assert.Equal(t, "/users/"+userA+"/assignLicense", q.URL, "URLs are relative to the root")
	assert.Contains(t, q.Headers["Content-Type"], "application/json")
	assert.Equal(t, []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{}}}, q.Body["addLicenses"])
	assert.Equal(t, []any{}, q.Body["removeLicenses"], "removeLicenses present though empty")
}

func TestBatchSplitsIntoTwentiesAndKeepsOneObjectsWritesApart(t *testing.T) {
	bs := &batchServer{}
	srv := newServer(t, muxFunc(bs.handler(t, func(round int, q batchReq) batchResp {
		return batchResp{ID: q.ID, Status: 204}
	})))
	tn, _ := newTenant(t, srv)
	var ws []Write
	for i := 0; i < 45; i++ {
		ws = append(ws, Write{Op: OpReprocessUser, UserID: fmt.Sprintf("%08d-0000-0000-0000-000000000000", i)})
	}
	// Two writes to one user: the second waits for the first.
	ws = append(ws,
		Write{Op: OpSetUsageLocation, UserID: userA, UsageLocation: "NO"},
		Write{Op: OpAssignUserLicenses, UserID: userA, Add: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(skuE3)}}},
		Write{Op: OpAddGroupMember, GroupID: groupG, UserID: userB},
		Write{Op: OpRemoveGroupMember, GroupID: groupG, UserID: "44444444-4444-4444-4444-444444444444"},
		Write{Op: OpAssignGroupLicenses, GroupID: groupG, Add: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(skuE3)}}},
	)
	errs := tn.WriteBatch(context.Background(), ws)
	for i, err := range errs {
		assert.NoError(t, err, i)
	}
	rounds := bs.Rounds()
	total := 0
	seen := map[string]int{}
	for r, round := range rounds {
		assert.LessOrEqual(t, len(round), 20)
		total += len(round)
		for _, q := range round {
			if strings.Contains(q.URL, userA) {
				seen[q.Method] = r
			}
		}
	}
	assert.Equal(t, len(ws), total, "every write sent once")
	assert.Less(t, seen["PATCH"], seen["POST"], "the user's second write goes in a later request")
	last := rounds[len(rounds)-1]
	methods := map[string]bool{}
	for _, rs := range rounds {
		for _, q := range rs {
			methods[q.Method+" "+strings.SplitN(q.URL, "?", 2)[0]] = true
		}
	}
	assert.True(t, methods["DELETE /groups/"+groupG+"/members/44444444-4444-4444-4444-444444444444/$ref"], "%v", methods)
	assert.True(t, methods["POST /groups/"+groupG+"/members/$ref"])
	assert.NotEmpty(t, last)
}

func TestBatchItemServerErrorsAreRetriedThenGiveTransient(t *testing.T) {
	bs := &batchServer{}
	srv := newServer(t, muxFunc(bs.handler(t, func(round int, q batchReq) batchResp {
		return batchResp{ID: q.ID, Status: 503, Body: errBody("serviceNotAvailable", "The service is temporarily unavailable.")}
	})))
	tn, clock := newTenant(t, srv, WithRetryPolicy(RetryPolicy{MaxAttempts: 3}))
	errs := tn.WriteBatch(context.Background(), []Write{{Op: OpReprocessUser, UserID: userA}})
	le := asError(t, errs[0])
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.Len(t, bs.Rounds(), 3)
	assert.Len(t, clock.Sleeps(), 2)
}

func TestBatchOuterFailureFailsEveryItem(t *testing.T) {
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		graphError(w, 400, "BadRequest", "Invalid batch payload format.")
	}))
	tn, _ := newTenant(t, srv)
	errs := tn.WriteBatch(context.Background(), []Write{{Op: OpReprocessUser, UserID: userA}, {Op: OpReprocessUser, UserID: userB}, {Op: OpReprocessUser, UserID: ""}})
	for i, want := range []string{userA, userB} {
		le := asError(t, errs[i])
		assert.Equal(t, licensing.InvalidInput, le.Kind)
		assert.Equal(t, want, le.Target.ID, "the outer error names each write's target")
	}
	assert.Equal(t, licensing.InvalidInput, asError(t, errs[2]).Kind, "an unbuildable write fails alone")
}

func TestBatchMalformedReply(t *testing.T) {
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"responses": [{"id": "1", "sta`))
	}))
	tn, _ := newTenant(t, srv)
	errs := tn.WriteBatch(context.Background(), []Write{{Op: OpReprocessUser, UserID: userA}})
	le := asError(t, errs[0])
	assert.Equal(t, licensing.Transient, le.Kind)
	assert.Contains(t, le.Error(), "not valid JSON")
}

func TestBatchCancelledContext(t *testing.T) {
	bs := &batchServer{}
	srv := newServer(t, muxFunc(bs.handler(t, func(round int, q batchReq) batchResp {
		return batchResp{ID: q.ID, Status: 429, Headers: map[string]string{"Retry-After": "30"}, Body: errBody("TooManyRequests", "Please retry again later.")}
	})))
	tn, err := New(WithRoot(srv.URL + "/v1.0"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	errs := tn.WriteBatch(ctx, []Write{{Op: OpReprocessUser, UserID: userA}})
	assert.Less(t, time.Since(start), 5*time.Second)
	require.Error(t, errs[0])
	assert.ErrorIs(t, errs[0], context.DeadlineExceeded)
}
