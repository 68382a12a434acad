package graphadapter

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/retry"
)

// RetryPolicy bounds the adapter's retries of one request. It is retry.Policy, the type
// planner.WithRetryPolicy takes too; the adapter reads all of its fields.
//
// The adapter owns the HTTP-level retries of one request: a request that Graph throttled (429),
// could not serve (503; 504 for a read), or that failed on the network (a connection never made;
// for a read also a reset connection, a reply cut short, an attempt that took longer than
// AttemptTimeout) is sent again. Graph's Retry-After is honoured; without it the wait grows
// exponentially from BaseDelay to MaxDelay with jitter.
//
// A read (GET: one page of a listing, one object) is bounded by time, not by a count: it is
// retried as long as its tries and waits fit in ReadBudget, and a Retry-After is waited out
// however long it is, up to what is left of ReadBudget (the ceiling). A write is bounded by
// MaxAttempts tries and MaxRetryAfter: a longer Retry-After is handed up at once, for the
// executor (planner.Apply) to schedule. A write whose outcome is unknown (504, a reset after
// sending, a timeout) is not repeated here: the executor re-reads the target and decides.
//
// The executor attempts a step up to its own MaxAttempts times (planner.DefaultRetryPolicy, 5),
// each attempt one call, so a step's write requests are at most 5 × 5 = 25 with both defaults
// (see package retry). Zero fields take the defaults of DefaultRetryPolicy.
type RetryPolicy = retry.Policy

// DefaultRetryPolicy is the policy used when no WithRetryPolicy option is given: a write is tried
// 5 times, waiting out a Retry-After of up to 2 minutes; a read retried for up to 15 minutes;
// backoff from 1s to 30s; 100s per try.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    5,
	BaseDelay:      time.Second,
	MaxDelay:       30 * time.Second,
	MaxRetryAfter:  2 * time.Minute,
	ReadBudget:     15 * time.Minute,
	AttemptTimeout: 100 * time.Second,
}

// retryAfter reads Retry-After as seconds or as an HTTP date. ok is false when there is none.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	return parseRetryAfter(h.Get("Retry-After"), now)
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			s = 0
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// retryableStatus reports whether an outer response status is worth another try:
// Graph's documented throttling and transient unavailability.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// retryableNetError reports whether a transport error may go away on another try. Everything
// is, except certificate problems and requests that can never be sent.
func retryableNetError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return false
	case strings.Contains(err.Error(), "unsupported protocol scheme"):
		return false
	}
	return true
}

// idempotent reports whether a request may be repeated whatever became of the first try.
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// notSent reports whether a transport error happened before the request could reach the
// server (the connection was never made), so that even a write may be sent again.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// longWait is the wait from which a retry is logged at Info rather than Debug.
const longWait = 30 * time.Second

// retryTransport is the innermost round tripper of the adapter's HTTP client: it retries one
// request as the RetryPolicy says. It sits below the SDK's middleware so that every try sends the
// same bytes with the same headers (the request body is buffered once; nothing re-compresses it).
type retryTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
	log    *slog.Logger
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
}

// RoundTrip implements http.RoundTripper.
func (rt *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	read := idempotent(req.Method)
	start := rt.now()
	// exhausted reports whether a retry after delay would go past the request's limit: a read's
	// time budget, a write's number of tries.
	exhausted := func(attempt int, delay time.Duration) bool {
		if read {
			return rt.now().Sub(start)+delay > rt.policy.ReadBudget
		}
		return attempt >= rt.policy.MaxAttempts
	}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, rt.policy.AttemptTimeout)
		try := req.Clone(actx)
		if body != nil {
			try.Body = io.NopCloser(bytes.NewReader(body))
			try.ContentLength = int64(len(body))
			try.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		resp, err := rt.next.RoundTrip(try)
		var delay time.Duration
		if err != nil {
			cancel()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			delay = rt.policy.Backoff(attempt)
			if exhausted(attempt, delay) || !retryableNetError(err) || (!read && !notSent(err)) {
				// A write that may have reached Graph is not repeated blindly: the caller
				// (planner.Apply) re-reads the target and decides, so a lost reply of a change
				// Graph made is not turned into a refused repeat.
				return nil, err
			}
			rt.log.DebugContext(ctx, "graph request failed on the network; retrying",
				"method", req.Method, "path", req.URL.Path, "attempt", attempt, "delay", delay, "error", err.Error())
		} else {
			if !retryableStatus(resp.StatusCode) || (resp.StatusCode == http.StatusGatewayTimeout && !read) {
				// 429 and 503 mean Graph did not act; a 504 to a write may hide a change it made.
				return finalReply(resp, cancel)
			}
			d, ok := retryAfter(resp.Header, rt.now())
			if !ok {
				d = rt.policy.Backoff(attempt)
			}
			if exhausted(attempt, d) || (!read && ok && d > rt.policy.MaxRetryAfter) {
				// Too long to wait here: hand the reply up with its Retry-After.
				return finalReply(resp, cancel)
			}
			delay = d
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			cancel()
			rt.log.DebugContext(ctx, "graph asked to retry",
				"method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "attempt", attempt, "delay", delay)
		}
		if delay >= longWait {
			rt.log.InfoContext(ctx, "graph asked to wait before retrying",
				"method", req.Method, "path", req.URL.Path, "attempt", attempt, "delay", delay)
		}
		p := progressFrom(ctx)
		p.retryStart(delay)
		serr := rt.sleep(ctx, delay)
		p.retryEnd()
		if serr != nil {
			return nil, serr
		}
	}
}

// finalReply hands a reply up to the SDK. An error reply is first made a well-formed Graph error
// envelope: the SDK cannot read an error body that is not JSON (a gateway's HTML page, a proxy's
// text) and loses its status; and its ODataError panics when the envelope has no message.
func finalReply(resp *http.Response, cancel context.CancelFunc) (*http.Response, error) {
	if resp.StatusCode >= 400 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		cancel()
		if err != nil {
			body = nil
		}
		out, changed := errorEnvelope(resp.StatusCode, resp.Header.Get("Content-Type"), body)
		if changed {
			resp.Header.Set("Content-Type", "application/json")
			resp.Header.Del("Content-Encoding")
		}
		resp.Header.Del("Content-Length")
		resp.ContentLength = int64(len(out))
		resp.Body = io.NopCloser(bytes.NewReader(out))
		return resp, nil
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// maxErrorBody bounds how much of an error reply is read.
const maxErrorBody = 1 << 20

// errorEnvelope returns body as {"error": {"code": …, "message": …, …}} with a non-empty code and
// message, keeping every field Graph sent. changed reports whether body was rewritten.
func errorEnvelope(status int, contentType string, body []byte) ([]byte, bool) {
	var env map[string]any
	isJSON := strings.Contains(strings.ToLower(contentType), "json")
	if isJSON && json.Unmarshal(body, &env) == nil {
		if e, ok := env["error"].(map[string]any); ok {
			code, _ := e["code"].(string)
			msg, _ := e["message"].(string)
			if code != "" && msg != "" {
				return body, false
			}
			if code == "" {
				e["code"] = fallbackCode(status)
			}
			if msg == "" {
				e["message"] = fmt.Sprintf("Graph answered HTTP %d %s without an error message", status, http.StatusText(status))
			}
			out, err := json.Marshal(env)
			if err == nil {
				return out, true
			}
		}
	}
	what := "an error reply that is not Graph's JSON error envelope"
	if len(bytes.TrimSpace(body)) == 0 {
		what = "an empty error reply"
	}
	out, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code":    fallbackCode(status),
		"message": fmt.Sprintf("Graph answered HTTP %d %s with %s", status, http.StatusText(status), what),
	}})
	return out, true
}

func fallbackCode(status int) string { return "HTTP" + strconv.Itoa(status) }

// cancelOnClose releases a try's timeout when the caller has read the reply.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
