package planner_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/retry"
)

// aliceSwap is a one-step plan: alice from E1 to E3 in one call.
func aliceSwap(t *testing.T) (*memTenant, *planner.Plan) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, desired(t, `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
	require.Len(t, p.Steps, 1)
	return m, p
}

// failFirst answers the first n calls of op with err.
func failFirst(n int, op string, err error) func(string, string) error {
	return func(o, id string) error {
		if o == op && n > 0 {
			n--
			return err
		}
		return nil
	}
}

func TestApplyRetries(t *testing.T) {
	throttled := &licensing.Error{Kind: licensing.Throttled, Message: "throttled", Err: retry.Wait(7 * time.Second)}
	unavailable := &licensing.Error{Kind: licensing.Transient, Message: "503 Service Unavailable"}
	policy := planner.RetryPolicy{MaxAttempts: 3, BaseDelay: 2 * time.Second, MaxDelay: 10 * time.Second}
	cases := []struct {
		name   string
		fault  func(string, string) error
		status planner.StepStatus
		calls  int
		kind   licensing.Kind
		sleeps func(t *testing.T, s []time.Duration)
	}{
		{
			name: "429 waits out Retry-After", fault: failFirst(1, "AssignUserLicenses", throttled),
			status: planner.StepSucceeded, calls: 2,
			sleeps: func(t *testing.T, s []time.Duration) { assert.Equal(t, []time.Duration{7 * time.Second}, s) },
		},
		{
			name: "503 backs off exponentially", fault: failFirst(2, "AssignUserLicenses", unavailable),
			status: planner.StepSucceeded, calls: 3,
			sleeps: func(t *testing.T, s []time.Duration) {
				require.Len(t, s, 2)
				assert.GreaterOrEqual(t, s[0], time.Second)
				assert.LessOrEqual(t, s[0], 2*time.Second)
				assert.GreaterOrEqual(t, s[1], 2*time.Second)
				assert.LessOrEqual(t, s[1], 4*time.Second)
			},
		},
		{
			name: "attempts are bounded", fault: failFirst(100, "AssignUserLicenses", throttled),
			status: planner.StepFailed, calls: 3, kind: licensing.Throttled,
			sleeps: func(t *testing.T, s []time.Duration) { assert.Len(t, s, 2) },
		},
		{
			name: "an Entra refusal is not retried", fault: failFirst(1, "AssignUserLicenses", &licensing.Error{Kind: licensing.CountViolation, Message: "no seats"}),
			status: planner.StepFailed, calls: 1, kind: licensing.CountViolation,
			sleeps: func(t *testing.T, s []time.Duration) { assert.Empty(t, s) },
		},
		{
			name: "reads are retried too", fault: failFirst(2, "User", throttled),
			status: planner.StepSucceeded, calls: 1,
			sleeps: func(t *testing.T, s []time.Duration) {
				assert.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second}, s)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, p := aliceSwap(t)
			m.fault = tc.fault
			clk := newTestClock()
			res, err := planner.Apply(context.Background(), m, p, applyOpts(clk, planner.WithRetryPolicy(policy))...)
			require.NotNil(t, res)
			s := res.Steps[0]
			assert.Equal(t, tc.status, s.Status, "%v", s.Err)
			assert.Equal(t, tc.calls, s.Calls)
			if tc.status.OK() {
				require.NoError(t, err)
				assert.Len(t, m.writesTo(sampletenant.Alice), 1)
			} else {
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.kind)
				assert.Empty(t, m.writesTo(sampletenant.Alice))
			}
			tc.sleeps(t, clk.slept())
		})
	}

	t.Run("a timeout after Entra acted is not repeated", func(t *testing.T) {
		m, p := aliceSwap(t)
		first := true
		m.after = func(op, id string) {}
		// The write takes effect, but the caller sees a 504.
		inner := m
		tenant := &lateFailure{memTenant: inner, fail: func() bool {
			f := first
			first = false
			return f
		}}
		res, err := planner.Apply(context.Background(), tenant, p, applyOpts(newTestClock())...)
		require.NoError(t, err)
		assert.Equal(t, planner.StepSucceeded, res.Steps[0].Status)
		assert.Equal(t, 1, res.Steps[0].Calls, "the precondition found the result: no second call")
		assert.Len(t, m.writesTo(sampletenant.Alice), 1)
	})

	t.Run("a throttled worker pauses the others", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, storiesDesired(t))
		m.fault = failFirst(1, "AssignUserLicenses", throttled)
		clk := newTestClock()
		start := clk.Now()
		_, err := planner.Apply(context.Background(), m, p, applyOpts(clk, planner.WithConcurrency(1))...)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, clk.Now().Sub(start), 7*time.Second)
	})
}

// lateFailure makes a user's assignLicense take effect but answer 504 while fail says so.
type lateFailure struct {
	*memTenant
	fail func() bool
}

func (l *lateFailure) AssignUserLicenses(ctx context.Context, userID string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	if err := l.memTenant.AssignUserLicenses(ctx, userID, add, remove); err != nil {
		return err
	}
	if l.fail() {
		return &licensing.Error{Kind: licensing.Transient, Message: "504 Gateway Timeout"}
	}
	return nil
}

func TestApplyRateLimitsWrites(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	writes := callingSteps(p)
	clk := newTestClock()
	start := clk.Now()
	_, err := planner.Apply(context.Background(), m, p, applyOpts(clk, planner.WithConcurrency(1), planner.WithRateLimit(2, 1))...)
	require.NoError(t, err)
	// 2 writes a second, no burst: the clock moved by at least (writes-1)/2 seconds.
	assert.GreaterOrEqual(t, clk.Now().Sub(start), time.Duration(writes-1)*time.Second/2)

	m2 := newMemTenant(t, sampletenant.Snapshot())
	clk2 := newTestClock()
	_, err = planner.Apply(context.Background(), m2, buildPlan(t, m2, storiesDesired(t)), applyOpts(clk2, planner.WithConcurrency(1))...)
	require.NoError(t, err)
	assert.Empty(t, clk2.slept(), "no limit, no wait")
}

func TestApplyWaitsForGroupProcessing(t *testing.T) {
	d := `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","groups":["Licensing_Teams"],"licenses":[]},{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`
	// The group processes its new member for busy after the join.
	setup := func(t *testing.T, busy time.Duration) (*memTenant, *planner.Plan, *testClock) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, desired(t, d))
		clk := newTestClock()
		m.clock = clk
		m.after = func(op, id string) {
			if op == "AddGroupMember" {
				m.mu.Lock()
				m.busyUntil[sampletenant.GroupTeams] = clk.Now().Add(busy)
				m.mu.Unlock()
			}
		}
		return m, p, clk
	}
	t.Run("until complete", func(t *testing.T) {
		m, p, clk := setup(t, 25*time.Second)
		res, err := planner.Apply(context.Background(), m, p, applyOpts(clk, planner.WithConcurrency(1), planner.WithGroupProcessing(10*time.Second, time.Minute))...)
		require.NoError(t, err)
		assert.True(t, res.OK())
		assert.Equal(t, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second}, clk.slept())
	})
	t.Run("timeout", func(t *testing.T) {
		m, p, clk := setup(t, time.Hour)
		res, err := planner.Apply(context.Background(), m, p, applyOpts(clk, planner.WithConcurrency(1), planner.WithGroupProcessing(10*time.Second, time.Minute))...)
		require.Error(t, err)
		var wait *planner.StepResult
		for i := range res.Steps {
			if res.Steps[i].Step.Action == planner.WaitForGroupProcessing {
				wait = &res.Steps[i]
			}
		}
		require.NotNil(t, wait)
		assert.Equal(t, planner.StepFailed, wait.Status)
		assert.Contains(t, wait.Err.Error(), "still ProcessingInProgress after 1m0s")
		assert.Len(t, clk.slept(), 6)
		assert.Equal(t, 1, res.Failed)
		assert.Equal(t, 2, res.Succeeded, "the join and alice's independent swap ran")
	})
}

func TestApplyMembershipWithoutMembers(t *testing.T) {
	// A tenant that does not return group members: membership is read from the user's paths.
	m := newMemTenant(t, sampletenant.Snapshot())
	d := desired(t, `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","groups":["Licensing_Teams"],"licenses":[]},{"user":"carol@contoso.com","mode":"exact","groups":["Licensing_E3_Base"],"licenses":[]}],"options":{"allowServiceLoss":true}}`)
	p := buildPlan(t, m, d)
	tenant := &noMembers{m}
	res, err := planner.Apply(context.Background(), tenant, p, applyOpts(newTestClock())...)
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Empty(t, planner.Build(m.state(t), d).Steps)
	res, err = planner.Apply(context.Background(), tenant, p, applyOpts(newTestClock())...)
	require.NoError(t, err)
	waits := len(p.Steps) - callingSteps(p)
	assert.Equal(t, 2, callingSteps(p))
	assert.Equal(t, 2, res.AlreadyDone, "membership steps already done")
	assert.Equal(t, waits, res.Succeeded, "waits succeed")
}

type noMembers struct{ *memTenant }

func (n *noMembers) Group(ctx context.Context, id string) (*licensing.Group, error) {
	g, err := n.memTenant.Group(ctx, id)
	if g != nil {
		g.Members = nil
	}
	return g, err
}

func TestApplyWaitConfirmsMembersWereProcessed(t *testing.T) {
	t.Run("a stale ProcessingComplete", func(t *testing.T) {
		// The group reports ProcessingComplete, but the new member's path from it only
		// appears 45 seconds after the join: the wait keeps polling until it does.
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, desired(t, `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","groups":["Licensing_Teams"],"licenses":[]}]}`))
		clk := newTestClock()
		visible := clk.Now().Add(45 * time.Second)
		m.mangleUser = func(u *licensing.User) {
			if u.ID == sampletenant.Grace && clk.Now().Before(visible) {
				u.LicenseAssignmentStates = slices.DeleteFunc(u.LicenseAssignmentStates, func(s licensing.LicenseAssignmentState) bool { return !s.Direct() })
			}
		}
		res, err := planner.Apply(context.Background(), m, p, applyOpts(clk, planner.WithGroupProcessing(10*time.Second, time.Hour))...)
		require.NoError(t, err)
		assert.True(t, res.OK())
		assert.Len(t, clk.slept(), 5, "polled until the member's path appeared")
	})
	t.Run("a joined member's path in error stops the move", func(t *testing.T) {
		m := newMemTenant(t, groupMoveSnapshot())
		d := desired(t, groupMoveDesired)
		p := buildPlan(t, m, d)
		m.mangleUser = func(u *licensing.User) {
			for i, s := range u.LicenseAssignmentStates {
				if u.ID == "u1" && !s.Direct() && *s.AssignedByGroup == "gNew" {
					u.LicenseAssignmentStates[i].State, u.LicenseAssignmentStates[i].Error = licensing.StateError, "MutuallyExclusiveViolation"
				}
			}
		}
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.MutuallyExclusiveViolation)
		for _, s := range res.Steps {
			switch s.Step.Action {
			case planner.AddGroupMember:
				assert.Equal(t, planner.StepSucceeded, s.Status)
			case planner.WaitForGroupProcessing:
				assert.Equal(t, planner.StepFailed, s.Status)
				assert.Contains(t, s.Err.Error(), "processed user u1, but the user's ENTERPRISEPACK from the group is in Error (MutuallyExclusiveViolation)")
			case planner.RemoveGroupMember:
				assert.Equal(t, planner.StepSkipped, s.Status, "nobody leaves the old group")
			}
		}
		assert.Len(t, m.writesTo("u1"), 1, "u1 only joined")
	})
	t.Run("a deleted target is drift", func(t *testing.T) {
		m, p := aliceSwap(t)
		m.fault = func(op, id string) error {
			if op == "User" && id == sampletenant.Alice {
				return &licensing.Error{Kind: licensing.UnknownUser, Message: "Resource '" + id + "' does not exist"}
			}
			return nil
		}
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
		require.Error(t, err)
		assert.Equal(t, planner.StepDrift, res.Steps[0].Status)
		assert.ErrorIs(t, err, licensing.Drift)
		assert.ErrorIs(t, err, licensing.UnknownUser)
	})
}
