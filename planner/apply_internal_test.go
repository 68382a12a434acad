package planner

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/retry"
)

func TestPlanHashIsTheSameForAPlanReadBack(t *testing.T) {
	st, err := licensing.NewState(sampletenant.Snapshot())
	require.NoError(t, err)
	d := &Desired{FormatVersion: DesiredFormatVersion, Users: []UserTarget{{User: "alice@contoso.com", Mode: ModeExact, Licenses: []LicenseSpec{{Sku: "ENTERPRISEPACK"}}}}}
	p := Build(st, d)
	var b bytes.Buffer
	require.NoError(t, p.WriteJSON(&b))
	read, err := ReadPlan(&b, sampletenant.TenantID)
	require.NoError(t, err)
	h1, err := planHash(p)
	require.NoError(t, err)
	h2, err := planHash(read)
	require.NoError(t, err)
	assert.Equal(t, h1, h2)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, h1)

	read.Steps[0].Reason += "!" // any change to the plan is another plan
	h3, err := planHash(read)
	require.NoError(t, err)
	assert.NotEqual(t, h1, h3)
}

func TestTenantIDFromSkus(t *testing.T) {
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	e1 := licensing.MustParseSkuID(sampletenant.E1)
	id, err := tenantIDFromSkus([]licensing.SubscribedSku{{ID: "T1_" + e3.String(), SkuID: e3}, {SkuID: e1}})
	require.NoError(t, err)
	assert.Equal(t, "T1", id)
	id, err = tenantIDFromSkus([]licensing.SubscribedSku{{ID: e3.String(), SkuID: e3}})
	require.NoError(t, err)
	assert.Empty(t, id, "an id that is just the skuId names no tenant")
	_, err = tenantIDFromSkus([]licensing.SubscribedSku{{ID: "T1_" + e3.String(), SkuID: e3}, {ID: "T2_" + e1.String(), SkuID: e1}})
	assert.ErrorIs(t, err, licensing.InvalidInput)
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"Authorization: Bearer abcdefghijklmnop refused":               "Authorization: Bearer [REDACTED] refused",
		"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature here":   "token [REDACTED] here",
		"POST /token client_secret=s3cr3t!&grant_type=x":               "POST /token client_secret=[REDACTED]&grant_type=x",
		`body {"client_secret": "abc", "user": "alice"}`:               `body {"client_secret": "[REDACTED]", "user": "alice"}`,
		"CountViolation: no free seat of ENTERPRISEPACK for alice@x.y": "CountViolation: no free seat of ENTERPRISEPACK for alice@x.y",
	} {
		assert.Equal(t, want, redact(in))
	}
}

// stepClock is a Clock whose Sleep moves time on at once.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func TestTokenBucket(t *testing.T) {
	clk := &stepClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	start := clk.Now()
	b := newTokenBucket(clk, 10, 5)
	for i := 0; i < 5; i++ {
		require.NoError(t, b.wait(context.Background()))
	}
	assert.Equal(t, start, clk.Now(), "a full burst goes through at once")
	for i := 0; i < 10; i++ {
		require.NoError(t, b.wait(context.Background()))
	}
	assert.InDelta(t, time.Second, clk.Now().Sub(start), float64(time.Millisecond), "then 10 a second")

	b.pause(30 * time.Second)
	at := clk.Now()
	require.NoError(t, b.waitPause(context.Background()))
	assert.Equal(t, 30*time.Second, clk.Now().Sub(at), "a pause holds reads back too")

	unlimited := newTokenBucket(clk, 0, 1)
	at = clk.Now()
	for i := 0; i < 100; i++ {
		require.NoError(t, unlimited.wait(context.Background()))
	}
	assert.Equal(t, at, clk.Now())
}

func TestRetryDelay(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 8 * time.Second}.WithDefaults(DefaultRetryPolicy)
	assert.Equal(t, 5, p.MaxAttempts)
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 8 * time.Second} {
		for range 20 {
			d, named := retryDelay(p, attempt, errors.New("x"))
			assert.False(t, named)
			assert.GreaterOrEqual(t, d, want/2)
			assert.LessOrEqual(t, d, want)
		}
	}
	d, named := retryDelay(p, 1, &licensing.Error{Kind: licensing.Throttled, Err: retry.Wait(3 * time.Minute)})
	assert.True(t, named)
	assert.Equal(t, 3*time.Minute, d, "a Retry-After is waited out whatever its length")
	d, named = retryDelay(p, 1, &licensing.Error{Kind: licensing.Throttled, Err: retry.Wait(0)})
	assert.False(t, named, "a zero Retry-After names no wait")
	assert.LessOrEqual(t, d, time.Second)
}
