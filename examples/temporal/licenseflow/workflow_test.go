package licenseflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/licenseplan/licenseplan/examples/temporal/internal/verify"
	"github.com/licenseplan/licenseplan/examples/temporal/licenseflow"
	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/retry"
)

const storiesDesired = `{"formatVersion":"desired/v1","users":[
 {"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},
 {"user":"bob@contoso.com","mode":"exact","licenses":[{"sku":"EXCHANGEENTERPRISE"}]},
 {"user":"grace@contoso.com","usageLocation":"US","licenses":[{"sku":"STANDARDPACK","disabledPlans":["YAMMER_ENTERPRISE"]}]}],
 "options":{"makeBeforeBreak":true,"allowServiceLoss":true}}`

// envClock is the test environment's clock, which its durable timers move: the fake's group
// processing reads it, so a wait's polls see processing finish as the workflow sleeps.
type envClock struct {
	env *testsuite.TestWorkflowEnvironment
}

func (c envClock) Now() time.Time { return c.env.Now() }

// world is a test environment with fake tenants behind the activities.
type world struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	acts    *licenseflow.Activities
	store   *licenseflow.MemStore
	tenants map[string]planner.Tenant
}

func newWorld(t *testing.T) *world {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	w := &world{t: t, env: s.NewTestWorkflowEnvironment(), store: &licenseflow.MemStore{}, tenants: map[string]planner.Tenant{}}
	w.env.SetTestTimeout(time.Minute)
	w.acts = &licenseflow.Activities{Plans: w.store, Connect: func(_ context.Context, ref licenseflow.TenantRef) (planner.Tenant, error) {
		t, ok := w.tenants[ref.ID]
		if !ok {
			return nil, fmt.Errorf("no connection for tenant %s", ref.ID)
		}
		return t, nil
	}}
	licenseflow.RegisterWorkflows(w.env)
	w.env.RegisterActivity(w.acts)
	return w
}

// sample adds a fake tenant (the sample tenant Contoso with another id) and returns it.
func (w *world) sample(id string, opts ...fake.Option) *fake.Tenant {
	snap := sampletenant.Snapshot()
	if id != sampletenant.TenantID {
		snap.TenantID = id
		for i := range snap.SubscribedSkus {
			snap.SubscribedSkus[i].ID = strings.Replace(snap.SubscribedSkus[i].ID, sampletenant.TenantID, id, 1)
		}
	}
	ft, err := fake.New(snap, append([]fake.Option{fake.WithClock(envClock{w.env})}, opts...)...)
	require.NoError(w.t, err)
	w.tenants[id] = ft
	return ft
}

// plan builds and stores a plan of desired against the tenant.
func (w *world) plan(tenant planner.Tenant, desired string) (licenseflow.PlanRef, *planner.Plan) {
	w.t.Helper()
	p := build(w.t, tenant, desired)
	var buf bytes.Buffer
	require.NoError(w.t, p.WriteJSON(&buf))
	ref, err := w.store.Put(context.Background(), buf.Bytes())
	require.NoError(w.t, err)
	return ref, p
}

func build(t *testing.T, tenant planner.Tenant, desired string) *planner.Plan {
	t.Helper()
	snap, err := tenant.Snapshot(context.Background())
	require.NoError(t, err)
	st, err := licensing.NewState(snap)
	require.NoError(t, err)
	d, err := planner.ReadDesired(strings.NewReader(desired))
	require.NoError(t, err)
	p := planner.Build(st, d)
	require.True(t, p.Applyable(), "%s", p)
	return p
}

func (w *world) progress() licenseflow.Progress {
	w.t.Helper()
	v, err := w.env.QueryWorkflow(licenseflow.QueryProgress)
	require.NoError(w.t, err)
	var p licenseflow.Progress
	require.NoError(w.t, v.Get(&p))
	return p
}

func (w *world) result() (licenseflow.Progress, error) {
	w.t.Helper()
	require.True(w.t, w.env.IsWorkflowCompleted())
	var p licenseflow.Progress
	err := w.env.GetWorkflowError()
	if err == nil {
		require.NoError(w.t, w.env.GetWorkflowResult(&p))
		return p, nil
	}
	var ae *temporal.ApplicationError
	var ce *temporal.CanceledError
	switch {
	case errors.As(err, &ae):
		require.NoError(w.t, ae.Details(&p))
	case errors.As(err, &ce):
		require.NoError(w.t, ce.Details(&p))
	}
	return p, err
}

// flakyTenant answers every failEvery-th write with a 429 and Retry-After: 3s (and does not
// make it), and logs every write that reached the tenant.
type flakyTenant struct {
	planner.Tenant
	mu        sync.Mutex
	failEvery int
	n         int
	throttled int
	log       []string
}

func (f *flakyTenant) write(op, id string, do func() error) error {
	f.mu.Lock()
	f.n++
	if f.failEvery > 0 && f.n%f.failEvery == 0 {
		f.throttled++
		f.mu.Unlock()
		return &licensing.Error{Kind: licensing.Throttled, Message: "429 Too Many Requests", Err: retry.Wait(3 * time.Second)}
	}
	f.mu.Unlock()
	err := do()
	if err == nil {
		f.mu.Lock()
		f.log = append(f.log, op+" "+id)
		f.mu.Unlock()
	}
	return err
}

func (f *flakyTenant) writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *flakyTenant) AssignUserLicenses(ctx context.Context, id string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return f.write("assignLicense", id+fmt.Sprint(add, remove), func() error { return f.Tenant.AssignUserLicenses(ctx, id, add, remove) })
}

func (f *flakyTenant) AssignGroupLicenses(ctx context.Context, id string, add []licensing.AssignedLicense, remove []licensing.SkuID) error {
	return f.write("assignGroupLicense", id+fmt.Sprint(add, remove), func() error { return f.Tenant.AssignGroupLicenses(ctx, id, add, remove) })
}

func (f *flakyTenant) SetUsageLocation(ctx context.Context, id, loc string) error {
	return f.write("setUsageLocation", id+" "+loc, func() error { return f.Tenant.SetUsageLocation(ctx, id, loc) })
}

func (f *flakyTenant) AddGroupMember(ctx context.Context, g, u string) error {
	return f.write("addMember", g+" "+u, func() error { return f.Tenant.AddGroupMember(ctx, g, u) })
}

func (f *flakyTenant) RemoveGroupMember(ctx context.Context, g, u string) error {
	return f.write("removeMember", g+" "+u, func() error { return f.Tenant.RemoveGroupMember(ctx, g, u) })
}

func (f *flakyTenant) ReprocessUser(ctx context.Context, id string) error {
	return f.write("reprocess", id, func() error { return f.Tenant.ReprocessUser(ctx, id) })
}

// once fails the test when a write appears twice.
func once(t *testing.T, writes []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, w := range writes {
		assert.False(t, seen[w], "written twice: %s", w)
		seen[w] = true
	}
}

func TestApplyPlanConverges(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	ref, p := w.plan(ft, storiesDesired)
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref})
	got, err := w.result()
	require.NoError(t, err)
	assert.Equal(t, licenseflow.OutcomeDone, got.Outcome)
	assert.Equal(t, len(p.Steps), got.Total)
	assert.Equal(t, len(p.Steps), got.Succeeded+got.AlreadyDone)
	assert.Zero(t, got.Pending)
	assert.Equal(t, len(p.Steps), got.Writes, "one write per step")
	assert.Equal(t, got.Succeeded, w.progress().Succeeded, "the query answers as the result does")
	assert.Empty(t, build(t, ft, storiesDesired).Steps, "the tenant converged")
	assertNoUnconsentedLoss(t, ft, p)
}

// assertNoUnconsentedLoss checks the fake's history: a user lost only service plans the plan
// takes away (see verify.UnconsentedLoss).
func assertNoUnconsentedLoss(t *testing.T, ft *fake.Tenant, p *planner.Plan) {
	t.Helper()
	assert.Empty(t, verify.UnconsentedLoss(p, ft.History()))
}

// A step Graph throttles is retried by Temporal after Graph's Retry-After, and the write
// happens once.
func TestApplyPlanRetriesThrottledStepsOnce(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	ref, p := w.plan(ft, storiesDesired)
	flaky := &flakyTenant{Tenant: ft, failEvery: 2}
	w.tenants[sampletenant.TenantID] = flaky
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref})
	got, err := w.result()
	require.NoError(t, err, "%+v", got)
	assert.Equal(t, licenseflow.OutcomeDone, got.Outcome)
	assert.Positive(t, flaky.throttled, "some writes were throttled")
	assert.Len(t, flaky.writes(), len(p.Steps), "each step's write reached the tenant once: %v", flaky.writes())
	once(t, flaky.writes())
	assert.Empty(t, build(t, ft, storiesDesired).Steps)
}

// migration is a two-wave plan on the sample tenant: wave 0 takes three users' direct E3 (their
// group gives it), wave 1 seven more.
const migration = `{"formatVersion":"desired/v1","migrateDirectToGroup":{"users":"all","waves":[0.25,1.0]},"options":{"allowServiceLoss":true}}`

func waveSteps(p *planner.Plan, wave int) int {
	n := 0
	for _, s := range p.Steps {
		if s.Wave == wave {
			n++
		}
	}
	return n
}

func TestApplyPlanWaitsForApprovalBetweenWaves(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	ref, p := w.plan(ft, migration)
	require.Equal(t, 2, p.Waves())
	first := waveSteps(p, 0)
	var waiting licenseflow.Progress
	w.env.RegisterDelayedCallback(func() {
		waiting = w.progress()
		w.env.SignalWorkflow(licenseflow.SignalApprove, 1)
	}, time.Hour)
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref,
		Options: licenseflow.ApplyOptions{ApproveWaves: true}})
	got, err := w.result()
	require.NoError(t, err)

	assert.True(t, waiting.WaitingForApproval, "%+v", waiting)
	assert.Equal(t, 1, waiting.Wave)
	assert.Equal(t, first, waiting.Done, "wave 0 ran without approval")
	assert.Equal(t, len(p.Steps)-first, waiting.Pending)
	assert.Positive(t, waiting.ETA, "an ETA once steps finished")

	assert.Equal(t, licenseflow.OutcomeDone, got.Outcome)
	assert.Equal(t, len(p.Steps), got.Succeeded)
	assert.Empty(t, build(t, ft, migration).Steps)
}

func TestApplyPlanStopsOnSignal(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	ref, p := w.plan(ft, migration)
	first := waveSteps(p, 0)
	w.env.RegisterDelayedCallback(func() { w.env.SignalWorkflow(licenseflow.SignalStop, "change freeze") }, time.Hour)
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref,
		Options: licenseflow.ApplyOptions{ApproveWaves: true}})
	got, err := w.result()
	require.Error(t, err)
	assert.Equal(t, licenseflow.OutcomeStopped, got.Outcome)
	assert.Contains(t, got.StopReason, "change freeze")
	assert.Equal(t, first, got.Succeeded)
	assert.Equal(t, len(p.Steps)-first, got.Pending, "wave 1 was never started")
	assert.Len(t, build(t, ft, migration).Steps, len(p.Steps)-first, "what is left is wave 1's work")
}

// A step whose target changed since planning drifts: nothing is written for it, the other
// steps of its wave run, later waves do not start.
func TestApplyPlanDriftStopsLaterWaves(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	ref, p := w.plan(ft, migration)
	s1 := p.Steps[0]
	// Someone gives the user another license by hand after planning: the step's target is at
	// neither its Expect nor its result.
	ems := skuID(t, ft, "MCOMEETADV")
	require.NoError(t, ft.AssignUserLicenses(context.Background(), s1.Target.ID, []licensing.AssignedLicense{{SkuID: ems, DisabledPlans: []licensing.PlanID{}}}, nil))
	before := len(ft.History())
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref})
	got, err := w.result()
	require.Error(t, err)
	assert.Equal(t, licenseflow.OutcomeFailed, got.Outcome)
	assert.Equal(t, 1, got.Drift)
	require.Len(t, got.Failures, 1)
	assert.Equal(t, s1.ID, got.Failures[0].Step)
	assert.Equal(t, "Drift", got.Failures[0].Kind)
	first := waveSteps(p, 0)
	assert.Equal(t, first-1, got.Succeeded, "the wave's other steps ran")
	assert.Equal(t, len(p.Steps)-first, got.Pending, "wave 1 did not start")
	assert.Contains(t, got.StopReason, "wave 0 did not finish well")
	for _, e := range ft.History()[before:] {
		assert.NotEqual(t, strings.ToLower(s1.Target.ID), strings.ToLower(e.UserID), "nothing written for the drifted step")
	}
}

func skuID(t *testing.T, ft *fake.Tenant, part string) licensing.SkuID {
	t.Helper()
	skus, err := ft.SubscribedSkus(context.Background())
	require.NoError(t, err)
	for _, k := range skus {
		if k.SkuPartNumber == part {
			return k.SkuID
		}
	}
	t.Fatalf("no SKU %s", part)
	return licensing.SkuID{}
}

// Cancelling the workflow while steps run lets them finish — write and verification — and
// starts no other: no step is left half-done, and the same plan run again finishes the job.
func TestApplyPlanCancellationLeavesNoStepHalfDone(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	ref, p := w.plan(ft, migration)
	var once sync.Once
	w.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "RunStep" {
			once.Do(w.env.CancelWorkflow)
		}
	})
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref,
		Options: licenseflow.ApplyOptions{Concurrency: 2}})
	got, err := w.result()
	var ce *temporal.CanceledError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, licenseflow.OutcomeCancelled, got.Outcome)
	assert.Zero(t, got.Running)
	assert.Positive(t, got.Succeeded, "the steps in flight finished")
	assert.Less(t, got.Succeeded, len(p.Steps), "no step started after the cancellation")
	assert.Equal(t, len(p.Steps), got.Done+got.Pending)
	// What is left to do is exactly the steps that never started.
	assert.Len(t, build(t, ft, migration).Steps, got.Pending)

	// The same plan again finishes the job; the finished steps are already done.
	w2 := newWorld(t)
	w2.tenants[sampletenant.TenantID] = ft
	_, _ = w2.store.Put(context.Background(), mustGet(t, w.store, ref))
	w2.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref})
	again, err := w2.result()
	require.NoError(t, err)
	assert.Equal(t, got.Succeeded, again.AlreadyDone)
	assert.Equal(t, got.Pending, again.Succeeded)
	assert.Empty(t, build(t, ft, migration).Steps)
}

func mustGet(t *testing.T, s licenseflow.PlanStore, ref licenseflow.PlanRef) []byte {
	t.Helper()
	b, err := s.Get(context.Background(), ref)
	require.NoError(t, err)
	return b
}

// A group Entra processes in the background is waited for on durable timers between polls,
// and the steps that depend on the wait run after it.
func TestApplyPlanWaitsForGroupProcessingOnTimers(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID, fake.WithProcessingDelay(2*time.Minute))
	const move = `{"formatVersion":"desired/v1","users":[{"user":"mobile3@contoso.com","mode":"exact","licenses":[],"groups":["Licensing_E3_Base"]}],"options":{"allowServiceLoss":true}}`
	ref, p := w.plan(ft, move)
	waits := 0
	for _, s := range p.Steps {
		if s.Action == planner.WaitForGroupProcessing {
			waits++
		}
	}
	require.Positive(t, waits, "%s", p)
	start := w.env.Now()
	polls := 0
	w.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "PollGroup" {
			polls++
		}
	})
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref,
		Options: licenseflow.ApplyOptions{GroupPoll: 30 * time.Second}})
	got, err := w.result()
	require.NoError(t, err, "%+v", got)
	assert.Greater(t, polls, waits, "the group was polled again after a timer")
	assert.GreaterOrEqual(t, w.env.Now().Sub(start), 2*time.Minute, "durable timers let the processing finish")
	assertNoUnconsentedLoss(t, ft, p)
	ft.ProcessGroups()
	assert.Empty(t, build(t, ft, move).Steps)
}

// A long plan continues as new every ContinueAfter steps, carrying its progress.
func TestApplyPlanContinuesAsNew(t *testing.T) {
	ft := (*fake.Tenant)(nil)
	store := &licenseflow.MemStore{}
	var ref licenseflow.PlanRef
	var p *planner.Plan
	in := licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Options: licenseflow.ApplyOptions{ChunkSize: 2, ContinueAfter: 3}}
	runs := 0
	for {
		w := newWorld(t)
		w.store = store
		w.acts.Plans = store
		if ft == nil {
			ft = w.sample(sampletenant.TenantID)
			ref, p = w.plan(ft, migration)
			in.Plan = ref
		}
		w.tenants[sampletenant.TenantID] = ft
		w.env.ExecuteWorkflow(licenseflow.ApplyPlan, in)
		runs++
		require.True(t, w.env.IsWorkflowCompleted())
		err := w.env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
			require.NotNil(t, in.Carry)
			require.Less(t, runs, 10)
			continue
		}
		require.NoError(t, err)
		var got licenseflow.Progress
		require.NoError(t, w.env.GetWorkflowResult(&got))
		assert.Equal(t, licenseflow.OutcomeDone, got.Outcome)
		assert.Equal(t, len(p.Steps), got.Succeeded, "every step once over all the runs")
		break
	}
	assert.GreaterOrEqual(t, runs, 3, "10 steps, continuing after 3 (whole pages of 2)")
	assert.Empty(t, build(t, ft, migration).Steps)
}

// A plan altered in the store is refused before any write, and not retried.
func TestApplyPlanRefusesAnAlteredPlan(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	ref, _ := w.plan(ft, migration)
	data := mustGet(t, w.store, ref)
	forged, err := w.store.Put(context.Background(), bytes.Replace(data, []byte(`ENTERPRISEPACK`), []byte(`STANDARDPACK`), 1))
	require.NoError(t, err)
	forged.SHA256 = ref.SHA256
	before := len(ft.History())
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: forged})
	got, err := w.result()
	require.Error(t, err)
	assert.Equal(t, licenseflow.OutcomeFailed, got.Outcome)
	assert.Contains(t, got.StopReason, "was altered")
	assert.Len(t, ft.History(), before)
}

// A plan whose steps are not in wave order cannot run page by page: refused before any write.
func TestApplyPlanRefusesStepsOutOfWaveOrder(t *testing.T) {
	w := newWorld(t)
	ft := w.sample(sampletenant.TenantID)
	_, p := w.plan(ft, migration)
	p.Steps[0].Wave = 1 // s1 (wave 1) before s2 (wave 0)
	var buf bytes.Buffer
	require.NoError(t, p.WriteJSON(&buf))
	ref, err := w.store.Put(context.Background(), buf.Bytes())
	require.NoError(t, err)
	before := len(ft.History())
	w.env.ExecuteWorkflow(licenseflow.ApplyPlan, licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: sampletenant.TenantID}, Plan: ref})
	got, err := w.result()
	require.Error(t, err)
	assert.Equal(t, licenseflow.OutcomeFailed, got.Outcome)
	assert.Contains(t, got.StopReason, "step s2 of wave 0 comes after step s1 of wave 1")
	assert.Len(t, ft.History(), before)
}

// ApplyFleet plans and applies across tenants; one tenant's failure does not stop the others.
func TestApplyFleetRunsEveryTenant(t *testing.T) {
	w := newWorld(t)
	ids := []string{"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"}
	var fts []*fake.Tenant
	for _, id := range ids {
		fts = append(fts, w.sample(id))
	}
	jobs := []licenseflow.TenantJob{
		{Tenant: licenseflow.TenantRef{ID: ids[0], Credential: "contoso-a"}, Desired: []byte(migration)},
		{Tenant: licenseflow.TenantRef{ID: ids[1], Credential: "contoso-b"}, Desired: []byte(`{"formatVersion":"desired/v1","users":[{"user":"nobody@contoso.com","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`)},
		{Tenant: licenseflow.TenantRef{ID: ids[2], Credential: "contoso-c"}, Desired: []byte(storiesDesired)},
	}
	w.env.ExecuteWorkflow(licenseflow.ApplyFleet, licenseflow.FleetInput{Jobs: jobs, MaxParallel: 2})
	require.True(t, w.env.IsWorkflowCompleted())
	err := w.env.GetWorkflowError()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	var res licenseflow.FleetResult
	require.NoError(t, ae.Details(&res))
	require.Len(t, res.Tenants, 3)
	assert.Equal(t, 2, res.Done)
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, licenseflow.OutcomeDone, res.Tenants[0].Outcome)
	assert.Equal(t, "not applyable", res.Tenants[1].Outcome, "%+v", res.Tenants[1])
	assert.NotEmpty(t, res.Tenants[1].Problems)
	assert.Equal(t, licenseflow.OutcomeDone, res.Tenants[2].Outcome)
	assert.Empty(t, build(t, fts[0], migration).Steps)
	assert.Empty(t, build(t, fts[2], storiesDesired).Steps)
	assert.Empty(t, fts[1].History(), "the tenant whose plan is not applyable was not written")
}

// A plan of more than a thousand steps runs over many pages and several continued runs, each
// step once, and the tenant converges.
func TestApplyPlanAtScale(t *testing.T) {
	snap := synth.Tenant(synth.DefaultOptions(1200))
	for i := range snap.Users {
		if snap.Users[i].UsageLocation == "" {
			snap.Users[i].UsageLocation = "US"
		}
	}
	var d map[string]any
	require.NoError(t, json.Unmarshal(synth.DesiredJSON(snap), &d))
	d["options"] = map[string]any{"allowServiceLoss": true}
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	desired := string(raw)

	store := &licenseflow.MemStore{}
	var ft *fake.Tenant
	var flaky *flakyTenant
	var p *planner.Plan
	in := licenseflow.ApplyInput{Tenant: licenseflow.TenantRef{ID: snap.TenantID}, Options: licenseflow.ApplyOptions{ChunkSize: 100, ContinueAfter: 400, Concurrency: 16}}
	runs := 0
	for {
		w := newWorld(t)
		w.store, w.acts.Plans = store, store
		if ft == nil {
			ft, err = fake.New(snap, fake.WithClock(envClock{w.env}))
			require.NoError(t, err)
			flaky = &flakyTenant{Tenant: ft, failEvery: 7}
			in.Plan, p = w.plan(ft, desired)
			require.Greater(t, len(p.Steps), 1000)
		}
		w.tenants[snap.TenantID] = flaky
		w.env.ExecuteWorkflow(licenseflow.ApplyPlan, in)
		runs++
		err := w.env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
			require.Less(t, runs, 20)
			continue
		}
		require.NoError(t, err)
		var got licenseflow.Progress
		require.NoError(t, w.env.GetWorkflowResult(&got))
		assert.Equal(t, len(p.Steps), got.Succeeded+got.AlreadyDone)
		break
	}
	assert.GreaterOrEqual(t, runs, len(p.Steps)/400)
	assert.Positive(t, flaky.throttled)
	once(t, flaky.writes())
	assert.Empty(t, build(t, ft, desired).Steps)
}

// One approve to the fleet releases the next wave in every tenant; one stop stops them all.
func TestApplyFleetRelaysApprovalAndStop(t *testing.T) {
	ids := []string{"44444444-4444-4444-8444-444444444444", "55555555-5555-4555-8555-555555555555"}
	for _, tc := range []struct {
		signal  string
		arg     any
		outcome string
	}{{licenseflow.SignalApprove, 1, licenseflow.OutcomeDone}, {licenseflow.SignalStop, "freeze", licenseflow.OutcomeStopped}} {
		t.Run(tc.signal, func(t *testing.T) {
			w := newWorld(t)
			var jobs []licenseflow.TenantJob
			var fts []*fake.Tenant
			for _, id := range ids {
				fts = append(fts, w.sample(id))
				jobs = append(jobs, licenseflow.TenantJob{Tenant: licenseflow.TenantRef{ID: id}, Desired: []byte(migration)})
			}
			w.env.RegisterDelayedCallback(func() { w.env.SignalWorkflow(tc.signal, tc.arg) }, time.Hour)
			w.env.ExecuteWorkflow(licenseflow.ApplyFleet, licenseflow.FleetInput{Jobs: jobs, Options: licenseflow.ApplyOptions{ApproveWaves: true}})
			require.True(t, w.env.IsWorkflowCompleted())
			var res licenseflow.FleetResult
			if err := w.env.GetWorkflowError(); err != nil {
				var ae *temporal.ApplicationError
				require.ErrorAs(t, err, &ae)
				require.NoError(t, ae.Details(&res))
			} else {
				require.NoError(t, w.env.GetWorkflowResult(&res))
			}
			require.Len(t, res.Tenants, 2)
			for i, o := range res.Tenants {
				assert.Equal(t, tc.outcome, o.Outcome, "%+v", o)
				left := build(t, fts[i], migration).Steps
				if tc.outcome == licenseflow.OutcomeDone {
					assert.Empty(t, left)
				} else {
					require.NotNil(t, o.Progress)
					assert.Len(t, left, o.Progress.Pending, "wave 1 was not started")
				}
			}
		})
	}
}
