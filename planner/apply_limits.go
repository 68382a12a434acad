package planner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/retry"
)

// Clock is what Apply reads the time from and waits with: backoff, rate limiting, group
// processing polls and journal timestamps. It is retry.Clock, the clock graphadapter takes too
// (graphadapter.WithClock). The default is WallClock; tests inject one that advances instantly, so
// that nothing in them sleeps.
type Clock = retry.Clock

// WallClock is the real clock Apply uses by default (retry.WallClock): Sleep waits for d or until
// ctx is done (returning its error). Other clocks may wrap it, e.g. to run faster than real time.
var WallClock Clock = retry.WallClock

// RetryPolicy bounds the executor's attempts: of a step that the tenant answered with a Throttled
// or Transient error, and of a read. It is retry.Policy, the type graphadapter.WithRetryPolicy
// takes too; Apply reads MaxAttempts, BaseDelay and MaxDelay (the adapter's fields MaxRetryAfter,
// ReadBudget and AttemptTimeout are ignored here: a Retry-After the tenant sent is waited out
// exactly, whatever its length). Other errors are never retried: Entra refuses a call atomically,
// so retrying the same call can only fail again.
//
// Each attempt of a step reads the target again and checks the precondition before it makes its
// one call; the tenant may retry that call's request by itself (graphadapter does, up to its own
// MaxAttempts), so a step's write requests are at most MaxAttempts × the adapter's attempts per
// request: 5 × 5 = 25 with both defaults (see package retry).
type RetryPolicy = retry.Policy

// DefaultRetryPolicy is the policy Apply uses without WithRetryPolicy: 5 attempts, waits from 1s
// doubling up to 1m, with jitter.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Minute}

// retryDelay is the wait after the attempt-th try failed with err, and whether the service named
// it (a Retry-After, found with retry.After).
func retryDelay(p RetryPolicy, attempt int, err error) (time.Duration, bool) {
	if d, ok := retry.After(err); ok {
		return d, true
	}
	return p.Backoff(attempt), false
}

// tokenBucket limits writes to rate per second with bursts of burst, on an injectable clock.
// A pause (a Throttled answer's Retry-After) holds back every caller until it is over.
type tokenBucket struct {
	mu         sync.Mutex
	clock      Clock
	rate       float64 // tokens per second; 0 means unlimited
	burst      float64
	tokens     float64
	last       time.Time
	pauseUntil time.Time
}

func newTokenBucket(c Clock, rate float64, burst int) *tokenBucket {
	b := &tokenBucket{clock: c, burst: float64(max(1, burst))}
	if rate > 0 {
		b.rate = rate
		b.tokens = b.burst
	}
	return b
}

// wait takes a token, waiting until one is available and any pause is over.
func (b *tokenBucket) wait(ctx context.Context) error {
	b.mu.Lock()
	now := b.clock.Now()
	var d time.Duration
	if b.rate > 0 {
		if !b.last.IsZero() && now.After(b.last) {
			b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		}
		if b.last.IsZero() || now.After(b.last) {
			b.last = now
		}
		b.tokens-- // may go negative: a reservation to be paid for by waiting
		if b.tokens < 0 {
			d = time.Duration(-b.tokens / b.rate * float64(time.Second))
		}
	}
	d = max(d, b.pauseUntil.Sub(now))
	b.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	return b.clock.Sleep(ctx, d)
}

// waitPause waits until any pause is over, without taking a token (for reads).
func (b *tokenBucket) waitPause(ctx context.Context) error {
	b.mu.Lock()
	d := b.pauseUntil.Sub(b.clock.Now())
	b.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	return b.clock.Sleep(ctx, d)
}

// pause holds every caller back for d from now.
func (b *tokenBucket) pause(d time.Duration) {
	b.mu.Lock()
	if until := b.clock.Now().Add(d); until.After(b.pauseUntil) {
		b.pauseUntil = until
	}
	b.mu.Unlock()
}

// seatLedger knows the free seats per SKU: read from the tenant's subscribedSkus at the first
// need in each wave (or when a SKU seems full), then kept up to date by the steps that take a
// seat, so that concurrent steps do not count the same free seat twice.
type seatLedger struct {
	r        *runner
	mu       sync.Mutex
	loaded   bool
	skus     map[licensing.SkuID]licensing.SubscribedSku
	free     map[licensing.SkuID]int
	inflight map[licensing.SkuID]int // seats reserved by steps whose call has not returned yet
}

// invalidate makes the next reservation read the seats again (at the start of a wave).
func (l *seatLedger) invalidate() {
	l.mu.Lock()
	l.loaded = false
	l.mu.Unlock()
}

// refresh reads the seats now.
func (l *seatLedger) refresh(ctx context.Context) ([]licensing.SubscribedSku, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.load(ctx)
}

func (l *seatLedger) load(ctx context.Context) ([]licensing.SubscribedSku, error) {
	var skus []licensing.SubscribedSku
	err := l.r.read(ctx, func(ctx context.Context) error {
		var err error
		skus, err = l.r.tenant.SubscribedSkus(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if l.inflight == nil {
		l.inflight = map[licensing.SkuID]int{}
	}
	l.skus = make(map[licensing.SkuID]licensing.SubscribedSku, len(skus))
	l.free = make(map[licensing.SkuID]int, len(skus))
	for _, k := range skus {
		l.skus[k.SkuID] = k
		l.free[k.SkuID] = k.PrepaidUnits.Enabled + k.PrepaidUnits.Warning - k.ConsumedUnits - l.inflight[k.SkuID] // grace-period seats are assignable
	}
	l.loaded = true
	return skus, nil
}

// reserve takes one seat of each SKU for step s, or explains as Drift why it cannot.
func (l *seatLedger) reserve(ctx context.Context, s *Step, need []licensing.SkuID) error {
	if len(need) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		if _, err := l.load(ctx); err != nil {
			return err
		}
	}
	for refreshed := false; ; refreshed = true {
		short := l.shortage(s, need)
		if short == nil {
			break
		}
		if refreshed {
			return short
		}
		if _, err := l.load(ctx); err != nil {
			return err
		}
	}
	for _, id := range need {
		l.free[id]--
		l.inflight[id]++
	}
	return nil
}

func (l *seatLedger) shortage(s *Step, need []licensing.SkuID) error {
	for _, id := range need {
		k, ok := l.skus[id]
		name := l.r.plan.skuName(id)
		drift := func(format string, args ...any) error {
			return &licensing.Error{Kind: licensing.Drift, Target: s.Target, SkuID: id,
				Message: fmt.Sprintf("step %s (%s on %s): ", s.ID, s.Action, s.Target) + fmt.Sprintf(format, args...) + "; not acting on a state the plan did not foresee — plan again"}
		}
		switch {
		case !ok:
			return drift("the tenant no longer subscribes to %s", name)
		case k.CapabilityStatus != "" && k.CapabilityStatus != "Enabled" && k.CapabilityStatus != "Warning":
			return drift("%s is %s and cannot be assigned", name, k.CapabilityStatus)
		case l.free[id] < 1:
			return drift("no free seat of %s (%d assignable, %d consumed, %d being assigned now): seats were taken since the plan was made", name, k.PrepaidUnits.Enabled+k.PrepaidUnits.Warning, k.ConsumedUnits, l.inflight[id])
		}
	}
	return nil
}

// release ends a reservation: the seat is now consumed (the call succeeded) or free again.
func (l *seatLedger) release(need []licensing.SkuID, used bool) {
	if len(need) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range need {
		l.inflight[id]--
		if !used {
			l.free[id]++
		}
	}
}

// planHash identifies a plan: "sha256:" and the hex digest of its plan/v1 JSON (which is
// deterministic, and the same for a plan and the plan read back from its JSON).
func planHash(p *Plan) (string, error) {
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		return "", &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: encoding the plan to identify it", Err: err}
	}
	sum := sha256.Sum256(b.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Credentials never belong in a journal or a log, but error messages come from HTTP stacks
// that sometimes quote requests: redact what looks like a token or a secret.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`(?i)\b(client_secret|client_assertion|password|access_token|refresh_token|id_token|code|sig|signature)=[^&\s"']+`),
	regexp.MustCompile(`(?i)("(?:client_secret|password|access_token|refresh_token|id_token)"\s*:\s*)"[^"]*"`),
}

func redact(s string) string {
	s = secretPatterns[0].ReplaceAllString(s, "$1 [REDACTED]")
	s = secretPatterns[1].ReplaceAllString(s, "[REDACTED]")
	s = secretPatterns[2].ReplaceAllString(s, "$1=[REDACTED]")
	s = secretPatterns[3].ReplaceAllString(s, `$1"[REDACTED]"`)
	return s
}
