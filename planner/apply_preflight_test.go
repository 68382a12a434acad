package planner_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// A stale plan: the target of a late step changed since planning. The preflight refuses that
// step before the first write (before, the run wrote every step before it and then failed).
func TestPreflightRefusesDriftBeforeTheFirstWrite(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	last := p.Steps[0]
	for _, s := range p.Steps {
		if s.Wave == 0 && s.Action == planner.AssignLicense && s.Target.Type == licensing.TargetUser && len(s.DependsOn) == 0 {
			last = s
		}
	}
	require.NotEqual(t, "s1", last.ID)
	// Someone gives the user of the plan's last independent wave-0 license step a license.
	m.change(t, licensing.Change{Kind: licensing.AssignUserLicenses, User: last.Target.ID,
		AddLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sampletenant.ExchangeP1), DisabledPlans: []licensing.PlanID{}}}, RemoveLicenses: []licensing.SkuID{}})

	var journal bytes.Buffer
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithConcurrency(1), planner.WithJournal(&journal))...)
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.Drift)
	sr, _ := res.Step(last.ID)
	assert.Equal(t, planner.StepDrift, sr.Status)
	assert.Contains(t, sr.Err.Error(), "found before the first write")
	assert.Empty(t, m.writesTo(last.Target.ID))

	// The journal says so before any step started.
	j, err := planner.ReadJournal(bytes.NewReader(journal.Bytes()))
	require.NoError(t, err)
	for _, e := range j.Entries {
		if e.Event == planner.EventStarted {
			t.Fatalf("step %s started before the drift of %s was recorded", e.Step, last.ID)
		}
		if e.Event == planner.EventFailed && e.Step == last.ID {
			assert.Equal(t, "Drift", e.Status)
			assert.NotEmpty(t, e.Before, "what the target looked like")
			break
		}
	}
	// The same rules as a drift found while running: the other steps of the wave ran.
	for _, s := range res.Steps {
		if s.Step.Wave == 0 && s.Step.ID != last.ID && !dependsOn(p, s.Step, last.ID) {
			assert.True(t, s.Status.OK(), "independent step %s: %v", s.Step.ID, s.Err)
		}
	}

	// WithStopOnDrift: nothing is written at all.
	m2 := newMemTenant(t, sampletenant.Snapshot())
	p2 := buildPlan(t, m2, storiesDesired(t))
	m2.change(t, licensing.Change{Kind: licensing.AssignUserLicenses, User: last.Target.ID,
		AddLicenses: []licensing.AssignedLicense{{SkuID: licensing.MustParseSkuID(sampletenant.ExchangeP1), DisabledPlans: []licensing.PlanID{}}}, RemoveLicenses: []licensing.SkuID{}})
	writes := len(m2.allWrites())
	_, err = planner.Apply(context.Background(), m2, p2, applyOpts(newTestClock(), planner.WithStopOnDrift())...)
	require.Error(t, err)
	assert.Equal(t, writes, len(m2.allWrites()), "a drift found up front stops the run before its first write")
}

// An edited plan whose steps do not follow from each other (the make-before-break removal
// expects what the add before it does not leave) is refused up front.
func TestPreflightRefusesAnEditedPlan(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	var add, remove *planner.Step
	for _, s := range p.Steps {
		for _, d := range s.DependsOn {
			if o, _ := p.Step(d); o.Target.ID == s.Target.ID && o.Action == planner.AssignLicense && s.Action == planner.AssignLicense {
				add, remove = o, s
			}
		}
	}
	require.NotNil(t, remove, "a make-before-break pair")
	edited := *remove.Expect
	edited.DirectLicenses = add.Expect.DirectLicenses // as if the add had not happened
	remove.Expect = &edited

	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithStopOnDrift())...)
	require.Error(t, err)
	sr, _ := res.Step(remove.ID)
	assert.Equal(t, planner.StepDrift, sr.Status)
	assert.Contains(t, sr.Err.Error(), "the plan does not hold together: step "+add.ID)
	assert.Empty(t, m.allWrites(), "nothing written")
}

// WithUntilWave stops after a wave for sign-off; the same journal continues.
func TestUntilWaveHoldsLaterWavesAndResumes(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	d := storiesDesired(t)
	p := buildPlan(t, m, d)
	require.Equal(t, 2, p.Waves())
	path := filepath.Join(t.TempDir(), "apply.journal")
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithUntilWave(0), planner.WithJournalFile(path))...)
	require.NoError(t, err, "a run stopped for sign-off is not a failure")
	assert.True(t, res.OK())
	held := 0
	for _, s := range res.Steps {
		if s.Step.Wave == 1 {
			held++
			assert.True(t, s.Held, s.Step.ID)
			assert.Equal(t, planner.StepPending, s.Status)
			assert.Empty(t, m.writesTo(s.Step.Target.ID), "wave-1 step %s not started", s.Step.ID)
		} else {
			assert.True(t, s.Status.OK(), s.Step.ID)
		}
	}
	assert.Equal(t, held, res.Held)
	assert.Contains(t, res.Summary(), "held from wave 1 on")

	again, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournalFile(path))...)
	require.NoError(t, err)
	assert.Equal(t, len(p.Steps)-held, again.Resumed)
	assert.Zero(t, again.Held)
	assert.Empty(t, planner.Build(m.state(t), d).Steps, "converged")
}
