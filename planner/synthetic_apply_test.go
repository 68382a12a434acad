package planner_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/planner"
)

// The benchmark's plan at 20,000 users (several of the batches Build's second goroutine hands
// over and gets back for reuse, a migration in waves) applies on the fake tenant with every
// step verified against what it predicted. The steps the plan predicts Entra refuses (users
// without a usage location, unconsented losses) change nothing; re-planning leaves exactly
// those users.
func TestSyntheticPlanAppliesOnFake(t *testing.T) {
	snap := synth.Tenant(synth.DefaultOptions(20_000))
	clk := fake.NewManualClock(epoch)
	ft, err := fake.New(snap, fake.WithClock(clk))
	require.NoError(t, err)
	d := synthDesired(t, snap)
	p := planner.Build(fakeState(t, ft), d)
	require.Greater(t, len(p.Steps), 2048)
	refused := map[string]bool{} // users with an error-severity problem
	for _, pr := range p.Problems {
		if pr.Severity == planner.SeverityError {
			refused[pr.Target.ID] = true
		}
	}
	require.NotEmpty(t, refused)

	res, err := planner.Apply(context.Background(), ft, p, planner.WithClock(manualSleeper{clk}), planner.WithIgnoreProblems())
	require.NoError(t, err, "%v", res)
	assert.Zero(t, res.Failed+res.Skipped+res.Drift, "%v", res.Summary())
	assert.Equal(t, len(p.Steps), res.Succeeded+res.AlreadyDone)
	again := planner.Build(fakeState(t, ft), d)
	require.NotEmpty(t, again.Steps)
	for _, s := range again.Steps {
		assert.True(t, refused[s.Target.ID], "%s: only users whose steps the plan predicted refused are left", s.Target)
	}
}
