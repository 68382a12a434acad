package planner_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/planner"
)

func TestWallClockSleepsAndStopsWithTheContext(t *testing.T) {
	assert.NoError(t, planner.WallClock.Sleep(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, planner.WallClock.Sleep(ctx, time.Hour), context.Canceled, "a done context ends the wait")
	assert.ErrorIs(t, planner.WallClock.Sleep(ctx, 0), context.Canceled)
	assert.WithinDuration(t, time.Now(), planner.WallClock.Now(), time.Second)
}
