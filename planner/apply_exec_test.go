package planner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/retry"
)

// runInOrder drives an Executor the simplest way: every step in plan order, polling waits.
func runInOrder(t *testing.T, ex *planner.Executor, clk interface{ Advance(time.Duration) }) []planner.StepResult {
	t.Helper()
	var out []planner.StepResult
	for _, s := range ex.Plan().Steps {
		for {
			res, err := ex.RunStep(context.Background(), s.ID)
			if errors.Is(err, planner.ErrNotYet) && clk != nil {
				clk.Advance(15 * time.Second)
				continue
			}
			require.NoError(t, err, "step %s", s.ID)
			out = append(out, res)
			break
		}
	}
	return out
}

func TestExecutorRunsEachStepOnceAndIsIdempotent(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	require.NotEmpty(t, p.Steps)
	ex, err := planner.NewExecutor(m, p, applyOpts(newTestClock())...)
	require.NoError(t, err)
	require.NoError(t, ex.CheckTenant(context.Background()))

	first := runInOrder(t, ex, nil)
	writes := m.allWrites()
	for _, r := range first {
		assert.True(t, r.Status.OK(), "%s: %s", r.Step.ID, r.Status)
	}
	assert.Empty(t, planner.Build(m.state(t), storiesDesired(t)).Steps, "the tenant converged")
	assert.Len(t, writes, callingSteps(p), "one write per step")

	// Every step again — a driver that lost its record of them, or a retried activity whose
	// first run reached Entra: no write happens twice.
	for _, r := range runInOrder(t, ex, nil) {
		if r.Step.Action == planner.ReprocessLicenseAssignment {
			continue // no precondition: reprocessing again is harmless, and is done again
		}
		assert.Equal(t, planner.StepAlreadyDone, r.Status, r.Step.ID)
		assert.Zero(t, r.Calls, r.Step.ID)
	}
	for _, w := range m.allWrites()[len(writes):] {
		assert.Contains(t, w, "ReprocessUser", "only reprocessing is repeated")
	}
}

// The same plan through Apply and through the Executor step by step leaves the same tenant.
func TestExecutorAndApplyAgree(t *testing.T) {
	viaApply := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, viaApply, storiesDesired(t))
	_, err := planner.Apply(context.Background(), viaApply, p, applyOpts(newTestClock())...)
	require.NoError(t, err)

	viaExec := newMemTenant(t, sampletenant.Snapshot())
	ex, err := planner.NewExecutor(viaExec, p, applyOpts(newTestClock())...)
	require.NoError(t, err)
	runInOrder(t, ex, nil)
	assert.Equal(t, sorted(viaApply.allWrites()), sorted(viaExec.allWrites()), "the same writes (Apply runs some concurrently)")
	assert.Equal(t, viaApply.snapshot(), viaExec.snapshot())
}

func TestExecutorClassifiesErrors(t *testing.T) {
	throttled := &licensing.Error{Kind: licensing.Throttled, Message: "throttled", Err: retry.Wait(7 * time.Second)}
	once := planner.WithRetryPolicy(planner.RetryPolicy{MaxAttempts: 1})

	t.Run("throttled is retryable and carries Retry-After", func(t *testing.T) {
		m, p := aliceSwap(t)
		m.fault = failFirst(1, "AssignUserLicenses", throttled)
		ex, err := planner.NewExecutor(m, p, applyOpts(newTestClock(), once)...)
		require.NoError(t, err)
		res, err := ex.RunStep(context.Background(), p.Steps[0].ID)
		require.Error(t, err)
		assert.ErrorIs(t, err, planner.ErrRetryable)
		assert.NotErrorIs(t, err, planner.ErrFinal)
		assert.ErrorIs(t, err, licensing.Throttled)
		d, ok := retry.After(err)
		assert.True(t, ok)
		assert.Equal(t, 7*time.Second, d)
		assert.Equal(t, 1, res.Calls, "one attempt: the driver owns retries")
		var se *planner.StepError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, p.Steps[0].ID, se.StepID)

		res, err = ex.RunStep(context.Background(), p.Steps[0].ID)
		require.NoError(t, err, "the driver's retry succeeds")
		assert.Equal(t, planner.StepSucceeded, res.Status)
	})
	t.Run("a violation is final", func(t *testing.T) {
		m, p := aliceSwap(t)
		m.fault = failFirst(1, "AssignUserLicenses", &licensing.Error{Kind: licensing.CountViolation, Message: "no seats"})
		ex, err := planner.NewExecutor(m, p, applyOpts(newTestClock(), once)...)
		require.NoError(t, err)
		res, err := ex.RunStep(context.Background(), p.Steps[0].ID)
		assert.ErrorIs(t, err, planner.ErrFinal)
		assert.NotErrorIs(t, err, planner.ErrRetryable)
		assert.ErrorIs(t, err, licensing.CountViolation)
		assert.Equal(t, planner.StepFailed, res.Status)
	})
	t.Run("drift is final and writes nothing", func(t *testing.T) {
		m, p := aliceSwap(t)
		// Someone else takes alice's E1 away after planning.
		m.change(t, licensing.Change{Kind: licensing.AssignUserLicenses, User: p.Steps[0].Target.ID, AddLicenses: []licensing.AssignedLicense{}, RemoveLicenses: []licensing.SkuID{p.Steps[0].RemoveLicenses[0]}})
		ex, err := planner.NewExecutor(m, p, applyOpts(newTestClock())...)
		require.NoError(t, err)
		before := len(m.allWrites())
		res, err := ex.RunStep(context.Background(), p.Steps[0].ID)
		assert.ErrorIs(t, err, planner.ErrFinal)
		assert.ErrorIs(t, err, licensing.Drift)
		assert.Equal(t, planner.StepDrift, res.Status)
		assert.Len(t, m.allWrites(), before)
	})
	t.Run("a cancelled context is retryable", func(t *testing.T) {
		m, p := aliceSwap(t)
		ex, err := planner.NewExecutor(m, p, applyOpts(newTestClock())...)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = ex.RunStep(ctx, p.Steps[0].ID)
		assert.ErrorIs(t, err, planner.ErrRetryable)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, m.allWrites())
	})
	t.Run("an unknown step is invalid input", func(t *testing.T) {
		m, p := aliceSwap(t)
		ex, err := planner.NewExecutor(m, p)
		require.NoError(t, err)
		_, err = ex.RunStep(context.Background(), "s99")
		assert.ErrorIs(t, err, licensing.InvalidInput)
		assert.ErrorContains(t, err, `no step "s99"`)
		var se *planner.StepError
		assert.False(t, errors.As(err, &se))
	})
}

// A step run before the step it depends on finds its target elsewhere than it expects: drift,
// nothing written.
func TestExecutorRefusesAStepRunOutOfOrder(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, desired(t, `{"formatVersion":"desired/v1","users":[{"user":"bob@contoso.com","mode":"exact","licenses":[{"sku":"EXCHANGEENTERPRISE"}]}],"options":{"makeBeforeBreak":true,"allowServiceLoss":true}}`))
	var dependent *planner.Step
	for _, s := range p.Steps {
		if len(s.DependsOn) > 0 && s.Action == planner.AssignLicense {
			dependent = s
		}
	}
	require.NotNil(t, dependent, "%s", p)
	ex, err := planner.NewExecutor(m, p, applyOpts(newTestClock())...)
	require.NoError(t, err)
	_, err = ex.RunStep(context.Background(), dependent.ID)
	assert.ErrorIs(t, err, licensing.Drift)
	assert.ErrorIs(t, err, planner.ErrFinal)
	assert.Empty(t, m.allWrites())
}

// A wait polls once per RunStep: ErrNotYet while Entra processes the group, done after.
func TestExecutorPollsAGroupWaitOnce(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	ft := groupMoveTenant(t, clk)
	p := planner.Build(fakeState(t, ft), desired(t, groupMoveDesired))
	ex, err := planner.NewExecutor(ft, p, planner.WithClock(manualSleeper{clk}))
	require.NoError(t, err)
	notYet := 0
	for _, s := range p.Steps {
		for {
			_, err := ex.RunStep(context.Background(), s.ID)
			if errors.Is(err, planner.ErrNotYet) {
				assert.Equal(t, planner.WaitForGroupProcessing, s.Action)
				assert.ErrorIs(t, err, planner.ErrRetryable)
				notYet++
				clk.Advance(15 * time.Second)
				continue
			}
			require.NoError(t, err, s.ID)
			break
		}
	}
	assert.Positive(t, notYet, "the group was still processing when first polled")
}

func TestNewExecutorRefusesWhatApplyRefuses(t *testing.T) {
	m, p := aliceSwap(t)
	_, err := planner.NewExecutor(nil, p)
	assert.ErrorIs(t, err, licensing.InvalidInput)
	bad := p.Clone()
	bad.Steps[0].DependsOn = []string{"s7"}
	_, err = planner.NewExecutor(m, bad)
	assert.ErrorContains(t, err, `depends on "s7"`)
}
