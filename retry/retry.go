// Package retry holds what licenseplan's two retrying layers share: the Policy type that bounds
// them, the Clock they read the time from and wait with, and the way an error tells them how long
// the service asked to wait (Hint, After).
//
// # Who retries what
//
// Two layers retry, each for its own reason, and each owns one thing:
//
//   - The Graph adapter (graphadapter) owns the HTTP-level retries of one request: a 429 or 503
//     reply (Graph did not act), and for a read also a 504, a reset connection, a reply cut short
//     or a try that timed out, and for a write a connection that was never made. It waits out
//     Graph's Retry-After when it is short enough (Policy.MaxRetryAfter, 2 minutes by default, for
//     a write; what is left of Policy.ReadBudget, 15 minutes, for a read), else an exponential
//     backoff with jitter. A write request is tried at most Policy.MaxAttempts times (5 by
//     default); a read as long as its tries and waits fit in Policy.ReadBudget. A write whose
//     outcome is unknown (a 504, a reset after sending, a timeout) is never repeated here, and a
//     longer Retry-After is not waited out here: both are handed up.
//   - The executor (planner.Apply) owns re-reading and re-deciding a step. Before every attempt
//     it reads the step's target again and checks the step's precondition (drift, a result
//     already there, the seats); it schedules a long Retry-After the adapter handed up (every
//     worker pauses for it), and it decides what an ambiguous failure meant. A step is attempted
//     at most Policy.MaxAttempts times (5 by default), each attempt making at most one write call;
//     each read it makes is tried at most Policy.MaxAttempts times too.
//
// The two multiply. A step's write requests are at most
//
//	executor attempts × adapter attempts per request = 5 × 5 = 25 (the defaults)
//
// under persistent 429 or 503 with a short Retry-After; a Retry-After longer than the adapter's
// MaxRetryAfter, and a write answered 504 (its outcome unknown), cost one request per executor
// attempt (5).
// Reads are bounded by time: each read the executor makes (the preflight's, each attempt's
// precondition, the verification's) takes at most 5 × ReadBudget = 75 minutes of retrying with
// the defaults. With a tenant that does not retry by itself (fake.Tenant, fake.FaultyTenant) the
// adapter's factor is 1. internal/reliability's TestStepRequestsAreBounded and
// TestStepReadsAreBoundedByTime count what Graph sees for one step and hold these numbers.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy bounds one retrying layer. graphadapter and planner each take one
// (graphadapter.WithRetryPolicy, planner.WithRetryPolicy; graphadapter.RetryPolicy and
// planner.RetryPolicy are this type) and each has its own defaults (graphadapter.DefaultRetryPolicy,
// planner.DefaultRetryPolicy); a zero field takes the layer's default. Each field says which layer
// reads it; the other ignores it.
type Policy struct {
	// MaxAttempts is the number of tries, the first included: of one write request for the
	// adapter (default 5; reads are bounded by ReadBudget instead), of one step, and of one read,
	// for the executor (default 5). 1 disables the layer's retries.
	MaxAttempts int
	// BaseDelay is the first wait when the service named none (default 1s, both layers); it
	// doubles per attempt, with jitter, up to MaxDelay (adapter default 30s, executor 1m).
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter (adapter) is the longest Retry-After the adapter waits out by itself before
	// trying a write again (default 2m). A longer one is handed up at once, as a Throttled error
	// carrying it (After), for the executor to schedule. The executor waits out any Retry-After.
	MaxRetryAfter time.Duration
	// ReadBudget (adapter) is how long one read may take, its retries and waits included (default
	// 15m): the ceiling of a Retry-After waited out before a read. When the next wait would pass
	// it, the read fails with the last reply.
	ReadBudget time.Duration
	// AttemptTimeout (adapter) bounds one try, from sending the request to reading the last byte
	// of the reply (default 100s). A try that takes longer is a network failure.
	AttemptTimeout time.Duration
}

// WithDefaults returns p with every zero (or negative) field taken from def, and MaxDelay at
// least BaseDelay.
func (p Policy) WithDefaults(def Policy) Policy {
	pick := func(v, d time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return d
	}
	out := def
	if p.MaxAttempts > 0 {
		out.MaxAttempts = p.MaxAttempts
	}
	out.BaseDelay = pick(p.BaseDelay, def.BaseDelay)
	out.MaxDelay = pick(p.MaxDelay, def.MaxDelay)
	out.MaxRetryAfter = pick(p.MaxRetryAfter, def.MaxRetryAfter)
	out.ReadBudget = pick(p.ReadBudget, def.ReadBudget)
	out.AttemptTimeout = pick(p.AttemptTimeout, def.AttemptTimeout)
	out.MaxDelay = max(out.MaxDelay, out.BaseDelay)
	return out
}

// Validate refuses negative limits.
func (p Policy) Validate() error {
	if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 || p.ReadBudget < 0 || p.AttemptTimeout < 0 {
		return errors.New("retry policy: limits must not be negative")
	}
	return nil
}

// Backoff is the wait after the attempt-th try (from 1) failed when the service named none:
// BaseDelay doubled per attempt up to MaxDelay, with "equal jitter" (between half of it and all
// of it), so that clients throttled together do not come back together.
func (p Policy) Backoff(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// Clock is what both layers read the time from and wait with: backoff, Retry-After, rate
// limiting, group processing polls and journal timestamps (planner.WithClock,
// graphadapter.WithClock). The default is WallClock; tests inject one that advances at once, so
// that nothing in them sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the real clock: Sleep waits for d or until ctx is done (returning its error).
// Other clocks may wrap it, e.g. to run faster than real time.
var WallClock Clock = wallClock{}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Hint is implemented by an error that carries how long the service asked the caller to wait
// before trying again (HTTP's Retry-After): graphadapter's *ResponseError, fake's *GraphError and
// Wait. The executor finds it with errors.As (After); a *licensing.Error carries one in its Err.
type Hint interface {
	RetryAfter() time.Duration
}

// After returns the wait the first Hint in err's chain asks for, and whether it asks for one
// (a positive wait).
func After(err error) (time.Duration, bool) {
	var h Hint
	if errors.As(err, &h) {
		if d := h.RetryAfter(); d > 0 {
			return d, true
		}
	}
	return 0, false
}

// Wait is a Hint on its own, for a tenant implementation that has no HTTP reply to carry one:
// &licensing.Error{Kind: licensing.Throttled, Message: …, Err: retry.Wait(30 * time.Second)}.
type Wait time.Duration

// RetryAfter returns the wait.
func (w Wait) RetryAfter() time.Duration { return time.Duration(w) }

// Error says how long to wait, e.g. "retry after 30s".
func (w Wait) Error() string { return fmt.Sprintf("retry after %s", time.Duration(w)) }
