package planner_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// storiesDesired is planner/testdata/stories/desired.json with service loss allowed (bob's
// make-before-break swap to Exchange Online Plan 2 drops plans only Plan 1's SKU has).
func storiesDesired(t testing.TB) *planner.Desired {
	t.Helper()
	f, err := os.Open("testdata/stories/desired.json")
	require.NoError(t, err)
	defer f.Close()
	d, err := planner.ReadDesired(f)
	require.NoError(t, err)
	d.Options.AllowServiceLoss = true
	return d
}

func desired(t testing.TB, doc string) *planner.Desired {
	t.Helper()
	d, err := planner.ReadDesired(strings.NewReader(doc))
	require.NoError(t, err)
	return d
}

// buildPlan plans d against the tenant as it is now and requires an applyable plan.
func buildPlan(t testing.TB, m *memTenant, d *planner.Desired) *planner.Plan {
	t.Helper()
	p := planner.Build(m.state(t), d)
	require.True(t, p.Applyable(), "plan not applyable:\n%s", p)
	require.NotEmpty(t, p.Steps)
	return p
}

// applyOpts are the options every test uses: a clock that never sleeps on wall time.
func applyOpts(clk *testClock, more ...planner.ApplyOption) []planner.ApplyOption {
	return append([]planner.ApplyOption{planner.WithClock(clk)}, more...)
}

func stepIDs(r *planner.ApplyResult, st planner.StepStatus) []string {
	var out []string
	for _, s := range r.Steps {
		if s.Status == st {
			out = append(out, s.Step.ID)
		}
	}
	return out
}

// callingSteps is the number of steps that make a write (all but waits).
func callingSteps(p *planner.Plan) int {
	n := 0
	for _, s := range p.Steps {
		if s.Action != planner.WaitForGroupProcessing {
			n++
		}
	}
	return n
}

func TestApplyConvergesAndReplanIsEmpty(t *testing.T) {
	cases := []struct {
		name    string
		desired func(t testing.TB) *planner.Desired
		// force applies a plan with problems (and plans again expecting them, but no step).
		force bool
	}{
		{"stories", storiesDesired, false},
		{"conflicting swap E1 to E3 in one call", func(t testing.TB) *planner.Desired {
			return desired(t, `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`)
		}, false},
		{"usage location before a direct license", func(t testing.TB) *planner.Desired {
			return desired(t, `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","usageLocation":"NO","licenses":[{"sku":"STANDARDPACK","disabledPlans":["YAMMER_ENTERPRISE"]}]}]}`)
		}, false},
		{"make-before-break Exchange swap", func(t testing.TB) *planner.Desired {
			return desired(t, `{"formatVersion":"desired/v1","users":[{"user":"bob@contoso.com","mode":"exact","licenses":[{"sku":"EXCHANGEENTERPRISE"}]}],"options":{"makeBeforeBreak":true,"allowServiceLoss":true}}`)
		}, false},
		{"group license change and wait", func(t testing.TB) *planner.Desired {
			return desired(t, `{"formatVersion":"desired/v1","groups":[{"group":"Licensing_Teams","licenses":[{"sku":"ENTERPRISEPACK","enabledPlans":["TEAMS1","SWAY"]}]}]}`)
		}, false},
		{"join a licensed group", func(t testing.TB) *planner.Desired {
			return desired(t, `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","groups":["Licensing_Teams"],"licenses":[]}]}`)
		}, false},
		{"leave a licensed group", func(t testing.TB) *planner.Desired {
			return desired(t, `{"formatVersion":"desired/v1","users":[{"user":"carol@contoso.com","mode":"exact","groups":["Licensing_E3_Base"],"licenses":[]}],"options":{"allowServiceLoss":true}}`)
		}, false},
		// erin's direct E1 conflicts with the E3 her group gives; the plan (not applyable: it
		// cannot remove the group's E3 either) removes E1 and reprocesses her group path.
		{"remove a conflicting direct license and reprocess", func(t testing.TB) *planner.Desired {
			return desired(t, `{"formatVersion":"desired/v1","users":[{"user":"erin@contoso.com","mode":"exact","licenses":[]}],"options":{"allowServiceLoss":true}}`)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemTenant(t, sampletenant.Snapshot())
			d := tc.desired(t)
			opts := applyOpts(newTestClock())
			var p *planner.Plan
			if tc.force {
				p = planner.Build(m.state(t), d)
				require.NotEmpty(t, p.Steps)
				opts = append(opts, planner.WithIgnoreProblems())
			} else {
				p = buildPlan(t, m, d)
			}
			res, err := planner.Apply(context.Background(), m, p, opts...)
			require.NoError(t, err)
			require.NotNil(t, res)
			assert.True(t, res.OK())
			assert.Len(t, stepIDs(res, planner.StepSucceeded), len(p.Steps), "every step succeeded: %s", res.Summary())
			assert.Len(t, m.allWrites(), callingSteps(p), "exactly one write per step")
			for _, s := range res.Steps {
				if s.Step.Action != planner.WaitForGroupProcessing {
					assert.Equal(t, 1, s.Calls, "step %s", s.Step.ID)
				}
			}
			again := planner.Build(m.state(t), d)
			assert.Empty(t, again.Steps, "re-plan after apply:\n%s", again)
		})
	}
}

func TestApplyRunsAgainAsAlreadyDone(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	_, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
	require.NoError(t, err)
	n := len(m.allWrites())

	// The same plan again, without a journal: every target is already at its result.
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
	require.NoError(t, err)
	assert.Equal(t, n, len(m.allWrites()), "no write the second time")
	assert.Equal(t, len(p.Steps), res.AlreadyDone)
}

func TestApplyRefusesBeforeWriting(t *testing.T) {
	snap := sampletenant.Snapshot()
	m := newMemTenant(t, snap)
	stories := storiesDesired(t)
	stories.Options.AllowServiceLoss = false
	notApplyable := planner.Build(m.state(t), stories)
	require.False(t, notApplyable.Applyable())

	t.Run("not applyable", func(t *testing.T) {
		_, err := planner.Apply(context.Background(), m, notApplyable, applyOpts(newTestClock())...)
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.InvalidInput)
		assert.Contains(t, err.Error(), "1 problem(s) with severity error")
		assert.Empty(t, m.allWrites())
	})
	t.Run("not applyable but forced", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		res, err := planner.Apply(context.Background(), m, notApplyable, applyOpts(newTestClock(), planner.WithIgnoreProblems())...)
		require.NoError(t, err)
		assert.True(t, res.OK())
	})
	t.Run("another tenant", func(t *testing.T) {
		p := buildPlan(t, m, storiesDesired(t))
		other := *p
		other.TenantID = "99999999-0000-4000-8000-000000000000"
		_, err := planner.Apply(context.Background(), m, &other, applyOpts(newTestClock())...)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "made for tenant 99999999-0000-4000-8000-000000000000, not for this tenant "+sampletenant.TenantID)
		_, err = planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithTenantID("99999999-0000-4000-8000-000000000000"))...)
		require.Error(t, err)
		assert.Empty(t, m.allWrites())
	})
	t.Run("tenant id unknown", func(t *testing.T) {
		snap := sampletenant.Snapshot()
		for i := range snap.SubscribedSkus {
			snap.SubscribedSkus[i].ID = ""
		}
		m := newMemTenant(t, snap)
		p := buildPlan(t, m, storiesDesired(t))
		_, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "pass WithTenantID")
		assert.Empty(t, m.allWrites())
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithTenantID(sampletenant.TenantID))...)
		require.NoError(t, err)
		assert.True(t, res.OK())
	})
	t.Run("malformed steps", func(t *testing.T) {
		mk := func(steps ...*planner.Step) *planner.Plan {
			return &planner.Plan{TenantID: sampletenant.TenantID, Steps: steps}
		}
		u := licensing.Target{Type: licensing.TargetUser, ID: sampletenant.Alice}
		for name, p := range map[string]*planner.Plan{
			"unknown dependency":  mk(&planner.Step{ID: "a", Action: planner.SetUsageLocation, Target: u, UsageLocation: "NO", DependsOn: []string{"zz"}}),
			"later wave":          mk(&planner.Step{ID: "a", Action: planner.SetUsageLocation, Target: u, DependsOn: []string{"b"}}, &planner.Step{ID: "b", Action: planner.SetUsageLocation, Target: u, Wave: 1}),
			"cycle":               mk(&planner.Step{ID: "a", Action: planner.SetUsageLocation, Target: u, DependsOn: []string{"b"}}, &planner.Step{ID: "b", Action: planner.SetUsageLocation, Target: u, DependsOn: []string{"a"}}),
			"duplicate id":        mk(&planner.Step{ID: "a", Action: planner.SetUsageLocation, Target: u}, &planner.Step{ID: "a", Action: planner.SetUsageLocation, Target: u}),
			"membership no group": mk(&planner.Step{ID: "a", Action: planner.AddGroupMember, Target: u}),
		} {
			_, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
			assert.ErrorIs(t, err, licensing.InvalidInput, name)
		}
		assert.Empty(t, m.allWrites())
	})
}

func TestApplyHonoursDependsOnAndWaves(t *testing.T) {
	fail := &licensing.Error{Kind: licensing.Other, Message: "the service refused"}
	t.Run("a failed wave-0 step keeps wave 1 from starting", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, storiesDesired(t))
		require.Equal(t, 2, p.Waves())
		m.fault = func(op, id string) error {
			if op == "AssignUserLicenses" && id == sampletenant.Dave {
				return fail
			}
			return nil
		}
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
		require.Error(t, err)
		var ae *planner.ApplyError
		require.ErrorAs(t, err, &ae)
		assert.Same(t, res, ae.Result)
		for _, s := range res.Steps {
			switch {
			case s.Step.Target.ID == sampletenant.Dave:
				assert.Equal(t, planner.StepFailed, s.Status)
				assert.Equal(t, 1, s.Calls, "a refusal is not retried")
				assert.ErrorIs(t, s.Err, fail)
			case s.Step.Wave == 1:
				assert.Equal(t, planner.StepSkipped, s.Status, s.Step.ID)
				assert.Contains(t, s.Err.Error(), "wave 1 not started")
				assert.Empty(t, m.writesTo(s.Step.Target.ID), "wave-1 target %s not written (the preflight read it)", s.Step.Target.Name)
			default:
				assert.Equal(t, planner.StepSucceeded, s.Status, s.Step.ID)
			}
		}
		assert.Equal(t, 1, res.Failed)
	})
	t.Run("a failed step skips its dependents only", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, storiesDesired(t))
		m.fault = func(op, id string) error {
			if op == "AssignUserLicenses" && id == sampletenant.Bob {
				return fail
			}
			return nil
		}
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
		require.Error(t, err)
		bobAdd, bobRemove := res.Steps[2], res.Steps[3]
		require.Equal(t, sampletenant.Bob, bobAdd.Step.Target.ID)
		require.Equal(t, []string{bobAdd.Step.ID}, bobRemove.Step.DependsOn)
		assert.Equal(t, planner.StepFailed, bobAdd.Status)
		assert.Equal(t, planner.StepSkipped, bobRemove.Status)
		assert.Contains(t, bobRemove.Err.Error(), "step "+bobAdd.Step.ID+" it depends on did not succeed")
		assert.Len(t, m.writesTo(sampletenant.Bob), 0)
		assert.Equal(t, []string{"s1", "s2", "s5", "s6", "s7", "s8"}, stepIDs(res, planner.StepSucceeded), "the other wave-0 steps ran")
	})
	t.Run("a dependency runs first and concurrency is bounded", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, storiesDesired(t))
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithConcurrency(2))...)
		require.NoError(t, err)
		assert.LessOrEqual(t, m.maxFlight, 2)
		// grace's usage location is set before her license; bob's add comes before his removal.
		graceWrites := m.writesTo(sampletenant.Grace)
		require.Len(t, graceWrites, 2)
		assert.True(t, strings.HasPrefix(graceWrites[0], "SetUsageLocation"))
		bobWrites := m.writesTo(sampletenant.Bob)
		require.Len(t, bobWrites, 2)
		assert.Contains(t, bobWrites[0], "+"+sampletenant.ExchangeP2)
		assert.Contains(t, bobWrites[1], "-"+sampletenant.ExchangeP1)
		// Every wave-0 write precedes every wave-1 write.
		lastWave0, firstWave1 := -1, len(m.allWrites())
		for i, w := range m.allWrites() {
			id := strings.Fields(w)[1]
			for _, s := range res.Steps {
				if s.Step.Target.ID == id && s.Step.Wave == 0 {
					lastWave0 = max(lastWave0, i)
				}
				if s.Step.Target.ID == id && s.Step.Wave == 1 {
					firstWave1 = min(firstWave1, i)
				}
			}
		}
		assert.Less(t, lastWave0, firstWave1)
	})
}

func TestApplyRefusesDrift(t *testing.T) {
	e1 := licensing.MustParseSkuID(sampletenant.E1)
	cases := []struct {
		name    string
		snap    func() *licensing.Snapshot
		desired string
		// drift changes the tenant between Build and Apply.
		drift func(t *testing.T, m *memTenant)
		// target is the user whose step must be refused, untouched.
		target  string
		message string
	}{
		{
			name:    "a license removed",
			desired: `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},{"user":"grace@contoso.com","usageLocation":"NO"}]}`,
			drift: func(t *testing.T, m *memTenant) {
				m.change(t, licensing.Change{Kind: licensing.AssignUserLicenses, User: sampletenant.Alice, AddLicenses: []licensing.AssignedLicense{}, RemoveLicenses: []licensing.SkuID{e1}})
			},
			target:  sampletenant.Alice,
			message: "direct licenses differ: STANDARDPACK is missing",
		},
		{
			name: "seats taken",
			snap: func() *licensing.Snapshot {
				s := sampletenant.Snapshot()
				for i := range s.SubscribedSkus {
					if s.SubscribedSkus[i].SkuPartNumber == "ENTERPRISEPACK" {
						s.SubscribedSkus[i].PrepaidUnits.Enabled = 17 // 16 used: one free
					}
				}
				return s
			},
			desired: `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},{"user":"grace@contoso.com","usageLocation":"NO"}]}`,
			drift: func(t *testing.T, m *memTenant) {
				m.change(t, licensing.Change{Kind: licensing.AssignUserLicenses, User: sampletenant.Bob, AddLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sampletenant.E3), DisabledPlans: []licensing.PlanID{}}}, RemoveLicenses: []licensing.SkuID{}})
			},
			target:  sampletenant.Alice,
			message: "no free seat of ENTERPRISEPACK (17 assignable, 17 consumed, 0 being assigned now)",
		},
		{
			name: "a member added takes the last seat of the group's SKU",
			snap: func() *licensing.Snapshot {
				s := sampletenant.Snapshot()
				for i := range s.SubscribedSkus {
					if s.SubscribedSkus[i].SkuPartNumber == "ENTERPRISEPACK" {
						s.SubscribedSkus[i].PrepaidUnits.Enabled = 17
					}
				}
				return s
			},
			desired: `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","groups":["Licensing_Teams"],"licenses":[]},{"user":"frank@contoso.com","usageLocation":"NO"}]}`,
			drift: func(t *testing.T, m *memTenant) {
				m.change(t, licensing.Change{Kind: licensing.AddGroupMember, User: sampletenant.Grace, Group: sampletenant.GroupTeams})
			},
			target:  sampletenant.Alice,
			message: "no free seat of ENTERPRISEPACK",
		},
		{
			name:    "a usage location changed",
			desired: `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","usageLocation":"NO","licenses":[{"sku":"STANDARDPACK"}]},{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`,
			drift: func(t *testing.T, m *memTenant) {
				m.change(t, licensing.Change{Kind: licensing.SetUsageLocation, User: sampletenant.Grace, UsageLocation: "SE"})
			},
			target:  sampletenant.Grace,
			message: `usage location is "SE", the plan expected unset`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := sampletenant.Snapshot()
			if tc.snap != nil {
				snap = tc.snap()
			}
			m := newMemTenant(t, snap)
			d := desired(t, tc.desired)
			p := buildPlan(t, m, d)
			tc.drift(t, m)
			res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
			require.Error(t, err)
			assert.ErrorIs(t, err, licensing.Drift)
			require.NotNil(t, res)
			assert.Empty(t, m.writesTo(tc.target), "nothing written to the drifted target")
			require.Equal(t, 1, res.Drift)
			drifted := stepIDs(res, planner.StepDrift)[0]
			for _, s := range res.Steps {
				switch {
				case s.Step.ID == drifted:
					assert.Equal(t, tc.target, s.Step.Target.ID)
					assert.ErrorIs(t, s.Err, licensing.Drift)
					assert.Contains(t, s.Err.Error(), tc.message)
				case dependsOn(p, s.Step, drifted):
					assert.Equal(t, planner.StepSkipped, s.Status, "dependent step %s", s.Step.ID)
				default:
					assert.True(t, s.Status.OK(), "independent step %s ran: %v", s.Step.ID, s.Err)
				}
			}
		})
	}

	t.Run("stop on drift", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, storiesDesired(t))
		m.change(t, licensing.Change{Kind: licensing.AssignUserLicenses, User: sampletenant.Alice, AddLicenses: []licensing.AssignedLicense{}, RemoveLicenses: []licensing.SkuID{e1}})
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithConcurrency(1), planner.WithStopOnDrift())...)
		require.Error(t, err)
		assert.ErrorIs(t, err, licensing.Drift)
		require.Error(t, res.Stopped)
		// The preflight finds alice's drift (s2) before the first write: nothing starts.
		assert.Empty(t, stepIDs(res, planner.StepSucceeded))
		assert.Equal(t, []string{"s2"}, stepIDs(res, planner.StepDrift))
		assert.Len(t, stepIDs(res, planner.StepSkipped), len(p.Steps)-1)
		assert.Empty(t, m.allWrites())
	})
}

// dependsOn reports whether s depends on the step id, directly or not.
func dependsOn(p *planner.Plan, s *planner.Step, id string) bool {
	for _, d := range s.DependsOn {
		if d == id {
			return true
		}
		if ds, ok := p.Step(d); ok && dependsOn(p, ds, id) {
			return true
		}
	}
	return false
}

func TestApplyVerifiesTheResult(t *testing.T) {
	t.Run("a write that did not take", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, storiesDesired(t))
		// bob's add "succeeds" but the tenant keeps reporting him without Plan 2.
		p2 := licensing.MustParseSkuID(sampletenant.ExchangeP2)
		m.mangleUser = func(u *licensing.User) {
			if u.ID != sampletenant.Bob {
				return
			}
			u.LicenseAssignmentStates = slices.DeleteFunc(u.LicenseAssignmentStates, func(s licensing.LicenseAssignmentState) bool { return s.SkuID == p2 })
		}
		clk := newTestClock()
		res, err := planner.Apply(context.Background(), m, p, applyOpts(clk)...)
		require.Error(t, err)
		add, remove := res.Steps[2], res.Steps[3]
		assert.Equal(t, planner.StepFailed, add.Status)
		assert.Contains(t, add.Err.Error(), "verification found direct licenses differ: EXCHANGEENTERPRISE is missing")
		assert.Equal(t, planner.StepSkipped, remove.Status, "the old license stays until the new one is confirmed")
		assert.Len(t, m.writesTo(sampletenant.Bob), 1)
		assert.Len(t, clk.slept(), 2, "verification read twice more before failing")
	})
	t.Run("an added SKU's path in error", func(t *testing.T) {
		m := newMemTenant(t, sampletenant.Snapshot())
		p := buildPlan(t, m, storiesDesired(t))
		p2 := licensing.MustParseSkuID(sampletenant.ExchangeP2)
		m.mangleUser = func(u *licensing.User) {
			for i, s := range u.LicenseAssignmentStates {
				if u.ID == sampletenant.Bob && s.SkuID == p2 {
					u.LicenseAssignmentStates[i].State, u.LicenseAssignmentStates[i].Error = licensing.StateError, "MutuallyExclusiveViolation"
				}
			}
		}
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock())...)
		require.Error(t, err)
		add := res.Steps[2]
		assert.Equal(t, planner.StepFailed, add.Status)
		assert.ErrorIs(t, add.Err, licensing.MutuallyExclusiveViolation)
		assert.Contains(t, add.Err.Error(), "EXCHANGEENTERPRISE from its direct assignment is in Error")
		assert.Equal(t, planner.StepSkipped, res.Steps[3].Status)
	})
}

func TestApplyProgressLogAndJournalCarryNoSecrets(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJl"
	m.fault = func(op, id string) error {
		if op == "AssignUserLicenses" && id == sampletenant.Dave {
			return &licensing.Error{Kind: licensing.Other, Message: "request POST /users/x/assignLicense with Authorization: Bearer " + token + " refused", Err: errors.New("client_secret=hunter2hunter2")}
		}
		return nil
	}
	var journal, logs bytes.Buffer
	var progress []planner.Progress
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(),
		planner.WithJournal(&journal),
		planner.WithLogger(slogJSON(&logs)),
		planner.WithProgress(func(pr planner.Progress) { progress = append(progress, pr) }))...)
	require.Error(t, err)
	for _, out := range []string{journal.String(), logs.String(), err.Error(), res.Summary()} {
		assert.NotContains(t, out, token)
		assert.NotContains(t, out, "hunter2")
	}
	assert.Contains(t, journal.String(), "[REDACTED]")
	// Progress: one report per start, one per end (skipped steps only end).
	starts := 0
	for _, pr := range progress {
		if pr.Status == planner.StepRunning {
			starts++
		}
		assert.Equal(t, len(p.Steps), pr.Total)
	}
	skipped := len(stepIDs(res, planner.StepSkipped))
	assert.Equal(t, len(p.Steps)-skipped, starts)
	assert.Len(t, progress, 2*len(p.Steps)-skipped)
	assert.Equal(t, len(p.Steps), progress[len(progress)-1].Done)
	assert.Contains(t, logs.String(), `"msg":"apply: step done"`)
}
