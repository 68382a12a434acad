package retry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/retry"
)

func TestWithDefaultsTakesZeroFieldsFromTheDefaults(t *testing.T) {
	def := retry.Policy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 30 * time.Second, MaxRetryAfter: 2 * time.Minute, ReadBudget: 15 * time.Minute, AttemptTimeout: 100 * time.Second}
	assert.Equal(t, def, retry.Policy{}.WithDefaults(def))
	p := retry.Policy{MaxAttempts: 2, BaseDelay: time.Minute}.WithDefaults(def)
	assert.Equal(t, 2, p.MaxAttempts)
	assert.Equal(t, time.Minute, p.BaseDelay)
	assert.Equal(t, time.Minute, p.MaxDelay, "MaxDelay is at least BaseDelay")
	assert.Equal(t, def.ReadBudget, p.ReadBudget)
	assert.Equal(t, def, retry.Policy{MaxAttempts: -1}.WithDefaults(def), "a negative field takes the default")
}

func TestValidateRefusesNegativeLimits(t *testing.T) {
	assert.NoError(t, retry.Policy{}.Validate())
	for _, p := range []retry.Policy{{MaxAttempts: -1}, {BaseDelay: -1}, {MaxDelay: -1}, {MaxRetryAfter: -1}, {ReadBudget: -1}, {AttemptTimeout: -1}} {
		assert.Error(t, p.Validate(), "%+v", p)
	}
}

func TestBackoffDoublesWithEqualJitter(t *testing.T) {
	p := retry.Policy{BaseDelay: time.Second, MaxDelay: 8 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 10: 8 * time.Second} {
		for range 50 {
			d := p.Backoff(attempt)
			assert.GreaterOrEqual(t, d, want/2, "attempt %d", attempt)
			assert.LessOrEqual(t, d, want, "attempt %d", attempt)
		}
	}
	assert.Equal(t, time.Nanosecond, retry.Policy{BaseDelay: 1, MaxDelay: 1}.Backoff(1))
	assert.Zero(t, retry.Policy{}.Backoff(3))
}

type hinted struct{ d time.Duration }

func (h *hinted) Error() string             { return "hinted" }
func (h *hinted) RetryAfter() time.Duration { return h.d }

func TestAfterFindsAHintInTheChain(t *testing.T) {
	_, ok := retry.After(nil)
	assert.False(t, ok)
	_, ok = retry.After(errors.New("plain"))
	assert.False(t, ok)

	d, ok := retry.After(fmt.Errorf("step s1: %w", &hinted{7 * time.Second}))
	assert.True(t, ok)
	assert.Equal(t, 7*time.Second, d)

	d, ok = retry.After(fmt.Errorf("wrapped: %w", retry.Wait(time.Minute)))
	assert.True(t, ok)
	assert.Equal(t, time.Minute, d)
	assert.Equal(t, "retry after 1m0s", retry.Wait(time.Minute).Error())

	_, ok = retry.After(&hinted{0})
	assert.False(t, ok, "a zero wait asks for none")
}

func TestWallClockSleepsAndStopsWithTheContext(t *testing.T) {
	require.NoError(t, retry.WallClock.Sleep(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, retry.WallClock.Sleep(ctx, time.Hour), context.Canceled)
	assert.ErrorIs(t, retry.WallClock.Sleep(ctx, 0), context.Canceled)
	assert.WithinDuration(t, time.Now(), retry.WallClock.Now(), time.Second)
}
