package graphadapter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/licenseplan/licenseplan/licensing"
)

// maxBatch is Graph's limit of requests in one POST /$batch.
const maxBatch = 20

// WriteOp names the write a Write makes.
type WriteOp uint8

// The writes WriteBatch can send; each is the request of the Tenant method of the same name.
const (
	OpAssignUserLicenses  WriteOp = iota + 1 // POST /users/{id}/assignLicense
	OpAssignGroupLicenses                    // POST /groups/{id}/assignLicense
	OpSetUsageLocation                       // PATCH /users/{id}
	OpAddGroupMember                         // POST /groups/{id}/members/$ref
	OpRemoveGroupMember                      // DELETE /groups/{id}/members/{userId}/$ref
	OpReprocessUser                          // POST /users/{id}/reprocessLicenseAssignment
)

var opNames = [...]string{
	OpAssignUserLicenses:  "assignUserLicenses",
	OpAssignGroupLicenses: "assignGroupLicenses",
	OpSetUsageLocation:    "setUsageLocation",
	OpAddGroupMember:      "addGroupMember",
	OpRemoveGroupMember:   "removeGroupMember",
	OpReprocessUser:       "reprocessUser",
}

// String returns the operation's name, e.g. "assignUserLicenses".
func (o WriteOp) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "WriteOp(" + strconv.Itoa(int(o)) + ")"
}

// Write is one write for WriteBatch. Which fields count depends on Op: UserID for the user
// writes; GroupID for AssignGroupLicenses; both for the membership writes; Add and Remove for
// the assignLicense writes; UsageLocation for SetUsageLocation.
type Write struct {
	Op            WriteOp
	UserID        string
	GroupID       string
	Add           []licensing.AssignedLicense
	Remove        []licensing.SkuID
	UsageLocation string
}

// object is what a write changes: writes to one object are never in flight together.
func (w Write) object() string {
	switch w.Op {
	case OpAssignGroupLicenses:
		return "g:" + w.GroupID
	default:
		// Membership writes change the user's licenses; serialise them with the user's other writes.
		return "u:" + w.UserID
	}
}

// UserAssignment is one user's assignLicense for AssignUserLicensesBatch.
type UserAssignment struct {
	UserID string
	Add    []licensing.AssignedLicense
	Remove []licensing.SkuID
}

// AssignUserLicensesBatch sends many users' assignLicense calls through POST /$batch; see WriteBatch.
func (t *Tenant) AssignUserLicensesBatch(ctx context.Context, as []UserAssignment) []error {
	ws := make([]Write, len(as))
	for i, a := range as {
		ws[i] = Write{Op: OpAssignUserLicenses, UserID: a.UserID, Add: a.Add, Remove: a.Remove}
	}
	return t.WriteBatch(ctx, ws)
}

// WriteBatch sends writes through POST /$batch, up to 20 (WithBatchSize) per request, and returns
// one error per write, in order: nil where the write succeeded, a *licensing.Error mapped like the
// single-call methods' otherwise.
//
// Each write inside a batch is retried on its own when Graph answers it 429 or 5xx, after its
// Retry-After (or an exponential backoff), up to RetryPolicy.MaxAttempts tries; the others are not
// resent. The outer POST /$batch is retried like any request (429, 503, 504, network).
//
// Writes should be independent. Those that change the same user (or the same group's licenses)
// are never sent together: each waits until the previous one for that object is finished, so
// their order is kept. A write that cannot be built (a malformed id) fails alone.
// If ctx ends, the writes not yet done fail with its error.
func (t *Tenant) WriteBatch(ctx context.Context, writes []Write) []error {
	errs := make([]error, len(writes))
	items := make([]*batchItem, 0, len(writes))
	for i, w := range writes {
		ri, c, err := t.writeRequest(ctx, w)
		if err != nil {
			errs[i] = err
			continue
		}
		req, err := t.batchRequest(ri)
		if err != nil {
			errs[i] = &licensing.Error{Kind: licensing.InvalidInput, Target: c.target(), Message: fmt.Sprintf("cannot put %s into a $batch", c), Err: err}
			continue
		}
		items = append(items, &batchItem{index: i, call: c, object: w.object(), req: req})
	}

	pending := items
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			for _, it := range pending {
				errs[it.index] = t.mapError(ctx, it.call, err)
			}
			break
		}
		now := t.now()
		chunk, wait := t.nextChunk(pending, now)
		if len(chunk) == 0 {
			_ = t.sleep(ctx, wait) // a cancelled ctx is caught at the top of the loop
			continue
		}
		t.sendChunk(ctx, chunk)
		next := pending[:0]
		for _, it := range pending {
			switch {
			case it.done:
				errs[it.index] = it.err
			default:
				next = append(next, it)
			}
		}
		pending = next
	}
	return errs
}

// batchItem is one write on its way through $batch.
type batchItem struct {
	index     int
	call      call
	object    string
	req       batchRequestItem
	attempts  int
	notBefore time.Time // not to be sent before this time (Retry-After)
	done      bool
	err       error
}

// nextChunk picks the writes to send now, in order: ready (past their Retry-After), not behind an
// earlier unfinished write to the same object, at most batchSize. When none is ready it says how
// long to wait for the first that will be.
func (t *Tenant) nextChunk(pending []*batchItem, now time.Time) ([]*batchItem, time.Duration) {
	var chunk []*batchItem
	blocked := make(map[string]bool)
	var wait time.Duration = -1
	for _, it := range pending {
		if blocked[it.object] {
			continue
		}
		blocked[it.object] = true
		if it.notBefore.After(now) {
			if d := it.notBefore.Sub(now); wait < 0 || d < wait {
				wait = d
			}
			continue
		}
		if len(chunk) < t.batchSize {
			chunk = append(chunk, it)
		}
	}
	if wait < 0 {
		wait = 0
	}
	return chunk, wait
}

// batchRequestItem and batchResponseItem are Graph's JSON batch format.
type batchRequestItem struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type batchResponseItem struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// batchRequest turns an SDK-built request into a $batch item: the URL relative to the root, the
// SDK's headers and body as they are (addLicenses, removeLicenses and disabledPlans included).
func (t *Tenant) batchRequest(ri *abs.RequestInformation) (batchRequestItem, error) {
	ri.PathParameters["baseurl"] = t.root
	u, err := ri.GetUri()
	if err != nil {
		return batchRequestItem{}, err
	}
	full := u.String()
	rel, ok := strings.CutPrefix(full, t.root)
	if !ok {
		return batchRequestItem{}, fmt.Errorf("request URL %s is not under the Graph root %s", full, t.root)
	}
	rel = strings.ReplaceAll(rel, "%24", "$")
	item := batchRequestItem{Method: ri.Method.String(), URL: rel}
	for _, k := range ri.Headers.ListKeys() {
		if strings.EqualFold(k, "Authorization") {
			continue
		}
		if v := ri.Headers.Get(k); len(v) > 0 {
			if item.Headers == nil {
				item.Headers = map[string]string{}
			}
			item.Headers[canonicalHeader(k)] = strings.Join(v, ", ")
		}
	}
	if len(ri.Content) > 0 {
		if !json.Valid(ri.Content) {
			return batchRequestItem{}, fmt.Errorf("the SDK serialized a body that is not JSON")
		}
		item.Body = json.RawMessage(ri.Content)
		if item.Headers == nil {
			item.Headers = map[string]string{}
		}
		if _, ok := item.Headers["Content-Type"]; !ok {
			item.Headers["Content-Type"] = "application/json"
		}
	}
	return item, nil
}

func canonicalHeader(k string) string { return http.CanonicalHeaderKey(k) }

// sendChunk sends one POST /$batch and settles its items: done with nil or a final error, or
// rescheduled after their Retry-After when Graph answered them 429 or 5xx.
func (t *Tenant) sendChunk(ctx context.Context, chunk []*batchItem) {
	reqs := make([]batchRequestItem, len(chunk))
	byID := make(map[string]*batchItem, len(chunk))
	for i, it := range chunk {
		it.attempts++
		r := it.req
		r.ID = strconv.Itoa(i + 1)
		reqs[i] = r
		byID[r.ID] = it
	}
	c := call{method: "POST", path: "/$batch"}
	resps, err := t.postBatch(ctx, c, reqs)
	if err != nil {
		// The outer request has had its own retries; its failure is each item's.
		for _, it := range chunk {
			it.done, it.err = true, reTarget(err, it.call)
		}
		return
	}
	now := t.now()
	seen := make(map[string]bool, len(resps))
	for _, r := range resps {
		it := byID[r.ID]
		if it == nil || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		if r.Status >= 200 && r.Status < 300 {
			it.done, it.err = true, nil
			continue
		}
		f := failureFromBatch(r, now)
		if (r.Status == http.StatusTooManyRequests || r.Status >= 500) && it.attempts < t.retry.MaxAttempts {
			delay := f.retryAfter
			if !f.hasRetry {
				delay = t.retry.backoff(it.attempts)
			}
			if delay <= t.retry.MaxRetryAfter {
				it.notBefore = now.Add(delay)
				t.log.DebugContext(ctx, "graph batch item will be retried", "method", it.call.method, "path", it.call.path,
					"status", r.Status, "attempt", it.attempts, "delay", delay)
				continue
			}
		}
		it.done, it.err = true, mapFailure(it.call, f)
		t.logFailure(ctx, it.call, it.err.(*licensing.Error))
	}
	for id, it := range byID {
		if seen[id] {
			continue
		}
		// Graph left an item out of its reply: try it again, within the same limit.
		if it.attempts < t.retry.MaxAttempts {
			it.notBefore = now.Add(t.retry.backoff(it.attempts))
			continue
		}
		it.done = true
		it.err = &licensing.Error{Kind: licensing.Transient, Target: it.call.target(), Message: fmt.Sprintf("Graph's $batch reply has no response for %s", it.call)}
	}
}

// postBatch sends {"requests": [...]} through the SDK's adapter (auth, middleware, retries) and
// decodes {"responses": [...]} itself.
func (t *Tenant) postBatch(ctx context.Context, c call, reqs []batchRequestItem) ([]batchResponseItem, error) {
	body, err := json.Marshal(struct {
		Requests []batchRequestItem `json:"requests"`
	}{reqs})
	if err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "cannot encode a $batch request", Err: err}
	}
	ri := abs.NewRequestInformation()
	ri.Method = abs.POST
	ri.UrlTemplate = "{+baseurl}/$batch"
	ri.Headers.Add("Content-Type", "application/json")
	ri.Headers.Add("Accept", "application/json")
	ri.Content = body
	var raw any
	err = guard(func() error {
		var err error
		raw, err = t.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping)
		return err
	})
	if err != nil {
		return nil, t.mapError(ctx, c, err)
	}
	b, _ := raw.([]byte)
	if len(b) == 0 {
		return nil, malformed(c, errNoResponse)
	}
	var out struct {
		Responses []batchResponseItem `json:"responses"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&out); err != nil {
		return nil, &licensing.Error{Kind: licensing.Transient, Message: fmt.Sprintf("Microsoft Graph's reply to %s is not valid JSON", c), Err: err}
	}
	return out.Responses, nil
}

// failureFromBatch reads an item's error envelope ({"error": {"code", "message", "details",
// "innerError"}}) and its Retry-After.
func failureFromBatch(r batchResponseItem, now time.Time) failure {
	f := failure{status: r.Status}
	for k, v := range r.Headers {
		switch strings.ToLower(k) {
		case "retry-after":
			f.retryAfter, f.hasRetry = parseRetryAfter(v, now)
		case "request-id":
			f.requestID = v
		}
	}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"details"`
			InnerError map[string]any `json:"innerError"`
		} `json:"error"`
	}
	if len(r.Body) > 0 && json.Unmarshal(r.Body, &env) == nil {
		f.code, f.message = env.Error.Code, env.Error.Message
		for _, d := range env.Error.Details {
			f.more = append(f.more, d.Code, d.Message)
		}
		for _, k := range []string{"code", "message"} {
			if s, ok := env.Error.InnerError[k].(string); ok {
				f.more = append(f.more, s)
			}
		}
		if s, ok := env.Error.InnerError["request-id"].(string); ok && f.requestID == "" {
			f.requestID = s
		}
	}
	return f
}

// reTarget gives an outer failure the target of the write it failed.
func reTarget(err error, c call) error {
	le, ok := err.(*licensing.Error)
	if !ok {
		return err
	}
	cp := *le
	cp.Target = c.target()
	return &cp
}
