package licenseflow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/licenseplan/licenseplan/examples/temporal/licenseflow"
	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
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
type envClock struct{ env *testsuite.TestWorkflowEnvironment }

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

// assertNoUnconsentedLoss checks the fake's history: a user lost only service plans a step of
// the plan on them says it takes away (the consented loss of a make-before-break swap), never
// one the plan keeps — not even for a moment between two steps.
func assertNoUnconsentedLoss(t *testing.T, ft *fake.Tenant, p *planner.Plan) {
	t.Helper()
	consented := map[string]map[licensing.PlanID]bool{}
	for _, s := range p.Steps {
		u := strings.ToLower(s.Target.ID)
		if consented[u] == nil {
			consented[u] = map[licensing.PlanID]bool{}
		}
		for _, l := range s.Lost {
			consented[u][l] = true
		}
	}
	for _, e := range ft.History() {
		for _, l := range e.Lost() {
			assert.True(t, consented[strings.ToLower(e.UserID)][l], "user %s lost service plan %s (%s), which no step takes away", e.UserID, l, e.Cause)
		}
	}
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
