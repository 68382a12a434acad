package licenseflow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/retry"
)

// Activities are the activities of the workflows. Register them on every worker of a tenant's
// queue and of the workflow queue (Register).
type Activities struct {
	// Connect returns the tenant a TenantRef names (its Credential resolved by the worker).
	Connect func(ctx context.Context, t TenantRef) (planner.Tenant, error)
	// Plans keeps the plans.
	Plans PlanStore
	// Options are passed to every planner.Executor after the activities' own (one attempt per
	// step); e.g. planner.WithClock in tests, or planner.WithLogger.
	Options []planner.ApplyOption

	mu    sync.Mutex
	execs map[string]*loaded // tenant id + plan sha256 → its executor
	order []string           // keys of execs, oldest first
}

// maxExecutors bounds the executors (each holds a plan) a worker keeps.
const maxExecutors = 4

// The error types of the activities' application errors (temporal.ApplicationError.Type).
const (
	// ErrTypeRetryable: the step may succeed later (planner.ErrRetryable); Temporal retries it.
	ErrTypeRetryable = "licenseplan.Retryable"
	// ErrTypeInvalid: the plan or tenant cannot be used (missing, altered, another tenant's);
	// not retried.
	ErrTypeInvalid = "licenseplan.Invalid"
)

// loaded is a plan a worker loaded, with what every activity on it needs.
type loaded struct {
	ex    *planner.Executor
	waves int
	order error // why the plan's steps cannot run page by page, or nil
}

// executor returns the Executor of a plan on a tenant (see load).
func (a *Activities) executor(ctx context.Context, t TenantRef, ref PlanRef) (*planner.Executor, error) {
	l, err := a.load(ctx, t, ref)
	if err != nil {
		return nil, err
	}
	return l.ex, nil
}

// load returns a plan on a tenant, loaded once per worker: the plan read from the store and
// checked against its sha256, the tenant checked to be the plan's, the order of its steps
// checked.
func (a *Activities) load(ctx context.Context, t TenantRef, ref PlanRef) (*loaded, error) {
	key := t.ID + "/" + ref.SHA256
	a.mu.Lock()
	l := a.execs[key]
	a.mu.Unlock()
	if l != nil {
		return l, nil
	}
	p, err := a.loadPlan(ctx, ref, t.ID)
	if err != nil {
		return nil, err
	}
	tenant, err := a.Connect(ctx, t)
	if err != nil {
		return nil, invalid(fmt.Errorf("connecting to tenant %s: %w", t.ID, err))
	}
	opts := append([]planner.ApplyOption{planner.WithRetryPolicy(planner.RetryPolicy{MaxAttempts: 1})}, a.Options...)
	ex, err := planner.NewExecutor(tenant, p, opts...)
	if err != nil {
		return nil, invalid(err)
	}
	if err := ex.CheckTenant(ctx); err != nil {
		if licensing.KindOf(err) == licensing.InvalidInput {
			return nil, invalid(err)
		}
		return nil, err
	}
	l = &loaded{ex: ex, waves: p.Waves(), order: pageOrder(p, ref)}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.execs == nil {
		a.execs = map[string]*loaded{}
	}
	if prev := a.execs[key]; prev != nil {
		return prev, nil
	}
	a.execs[key] = l
	a.order = append(a.order, key)
	if len(a.order) > maxExecutors {
		delete(a.execs, a.order[0])
		a.order = a.order[1:]
	}
	return l, nil
}

// pageOrder says why the workflow cannot run p's steps page by page in plan order: a step
// before a step of an earlier wave (planner.Build writes none; an edited plan may). That every
// step comes after the steps it depends on, ReadPlan checked.
func pageOrder(p *planner.Plan, ref PlanRef) error {
	for i := 1; i < len(p.Steps); i++ {
		if s, prev := p.Steps[i], p.Steps[i-1]; s.Wave < prev.Wave {
			return invalid(fmt.Errorf("plan %s: step %s of wave %d comes after step %s of wave %d; write the steps in wave order (as planner.Build does)", ref, s.ID, s.Wave, prev.ID, prev.Wave))
		}
	}
	return nil
}

// loadPlan reads a stored plan and checks its bytes against the reference.
func (a *Activities) loadPlan(ctx context.Context, ref PlanRef, tenantID string) (*planner.Plan, error) {
	data, err := a.Plans.Get(ctx, ref)
	if err != nil {
		return nil, invalid(fmt.Errorf("reading plan %s: %w", ref, err))
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != ref.SHA256 {
		return nil, invalid(fmt.Errorf("plan %s was altered: its sha256 is %s", ref, got))
	}
	p, err := planner.ReadPlan(bytes.NewReader(data), tenantID)
	if err != nil {
		return nil, invalid(fmt.Errorf("plan %s: %w", ref, err))
	}
	return p, nil
}

func invalid(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
}

// PlanInput is PlanTenant's input.
type PlanInput struct {
	Tenant  TenantRef
	Desired []byte // desired/v1 JSON
}

// PlanSummary is what PlanTenant made.
type PlanSummary struct {
	Plan      PlanRef
	Steps     int
	Waves     int
	Applyable bool
	Problems  []string `json:",omitempty"` // error-severity problems
}

// PlanTenant reads the tenant, plans the desired state against it and stores the plan. The
// read is one long call: the activity heartbeats while it runs.
func (a *Activities) PlanTenant(ctx context.Context, in PlanInput) (PlanSummary, error) {
	d, err := planner.ReadDesired(bytes.NewReader(in.Desired))
	if err != nil {
		return PlanSummary{}, invalid(fmt.Errorf("tenant %s: desired state: %w", in.Tenant.ID, err))
	}
	tenant, err := a.Connect(ctx, in.Tenant)
	if err != nil {
		return PlanSummary{}, invalid(fmt.Errorf("connecting to tenant %s: %w", in.Tenant.ID, err))
	}
	defer heartbeat(ctx)()
	snap, err := tenant.Snapshot(ctx)
	if err != nil {
		return PlanSummary{}, classify(err)
	}
	st, err := licensing.NewState(snap)
	if err != nil {
		return PlanSummary{}, invalid(fmt.Errorf("tenant %s: %w", in.Tenant.ID, err))
	}
	p := planner.Build(st, d)
	if p.TenantID != "" && in.Tenant.ID != "" && !strings.EqualFold(p.TenantID, in.Tenant.ID) {
		return PlanSummary{}, invalid(fmt.Errorf("the tenant reached through %q is %s, not %s", in.Tenant.Credential, p.TenantID, in.Tenant.ID))
	}
	var buf bytes.Buffer
	if err := p.WriteJSON(&buf); err != nil {
		return PlanSummary{}, err
	}
	ref, err := a.Plans.Put(ctx, buf.Bytes())
	if err != nil {
		return PlanSummary{}, fmt.Errorf("storing the plan: %w", err)
	}
	out := PlanSummary{Plan: ref, Steps: len(p.Steps), Waves: p.Waves(), Applyable: p.Applyable()}
	for _, pr := range p.Problems {
		if pr.Severity == planner.SeverityError {
			out.Problems = append(out.Problems, pr.Message)
		}
	}
	return out, nil
}

// OutlineInput asks for a page of a plan's steps.
type OutlineInput struct {
	Tenant        TenantRef
	Plan          PlanRef
	Offset, Limit int
}

// StepBrief is what the workflow needs of a step to schedule it.
type StepBrief struct {
	ID        string
	Wave      int
	Target    string   // "user:<id>" or "group:<id>": steps on one target never run at once
	DependsOn []string `json:",omitempty"`
	Wait      bool     `json:",omitempty"` // a waitForGroupProcessing step (PollGroup)
}

// Outline is a page of a plan's steps, in plan order.
type Outline struct {
	Total int // steps in the plan
	Waves int
	Steps []StepBrief
}

// Outline returns the steps Offset … Offset+Limit-1 of the plan. It refuses a plan whose steps
// are not in wave order (see pageOrder), since the workflow runs pages in order.
func (a *Activities) Outline(ctx context.Context, in OutlineInput) (Outline, error) {
	l, err := a.load(ctx, in.Tenant, in.Plan)
	if err != nil {
		return Outline{}, err
	}
	if l.order != nil {
		return Outline{}, l.order
	}
	p := l.ex.Plan()
	out := Outline{Total: len(p.Steps), Waves: l.waves}
	end := min(len(p.Steps), in.Offset+in.Limit)
	for i := max(0, in.Offset); i < end; i++ {
		s := p.Steps[i]
		out.Steps = append(out.Steps, StepBrief{ID: s.ID, Wave: s.Wave, Target: string(s.Target.Type) + ":" + strings.ToLower(s.Target.ID),
			DependsOn: s.DependsOn, Wait: s.Action == planner.WaitForGroupProcessing})
	}
	return out, nil
}

// StepInput names one step of a plan.
type StepInput struct {
	Tenant TenantRef
	Plan   PlanRef
	Step   string
}

// StepOutcome is what happened to a step.
type StepOutcome struct {
	Step    string
	Status  string // a planner.StepStatus: Succeeded, AlreadyDone, Failed, Drift; Pending for a wait still processing
	Calls   int
	Kind    string `json:",omitempty"`
	Message string `json:",omitempty"`
}

// RunStep runs one step (planner.Executor.RunStep) and heartbeats while it runs. A step that
// succeeded, or failed for good (planner.ErrFinal), is returned as its outcome; a retryable
// failure is returned as an error for Temporal to retry, after Graph's Retry-After when it sent
// one.
func (a *Activities) RunStep(ctx context.Context, in StepInput) (StepOutcome, error) {
	ex, err := a.executor(ctx, in.Tenant, in.Plan)
	if err != nil {
		return StepOutcome{}, err
	}
	defer heartbeat(ctx)()
	res, err := ex.RunStep(ctx, in.Step)
	return outcome(in.Step, res, err)
}

// PollGroup polls a waitForGroupProcessing step once: Succeeded when Entra has processed the
// group's members the plan changed, Pending while it still processes them (the workflow then
// sleeps on a durable timer), Failed when processing failed.
func (a *Activities) PollGroup(ctx context.Context, in StepInput) (StepOutcome, error) {
	ex, err := a.executor(ctx, in.Tenant, in.Plan)
	if err != nil {
		return StepOutcome{}, err
	}
	res, err := ex.RunStep(ctx, in.Step)
	if errors.Is(err, planner.ErrNotYet) {
		return StepOutcome{Step: in.Step, Status: planner.StepPending.String(), Message: err.Error()}, nil
	}
	return outcome(in.Step, res, err)
}

func outcome(id string, res planner.StepResult, err error) (StepOutcome, error) {
	var se *planner.StepError
	switch {
	case err == nil:
		return StepOutcome{Step: id, Status: res.Status.String(), Calls: res.Calls}, nil
	case errors.As(err, &se) && errors.Is(err, planner.ErrFinal):
		return StepOutcome{Step: id, Status: res.Status.String(), Calls: res.Calls, Kind: licensing.KindOf(err).String(), Message: err.Error()}, nil
	case errors.As(err, &se):
		return StepOutcome{}, classify(err)
	default:
		return StepOutcome{}, invalid(err) // an unknown step: the plan and the workflow disagree
	}
}

// classify turns a retryable error into Temporal's terms: an application error of type
// ErrTypeRetryable, retried after the service's Retry-After when it sent one.
func classify(err error) error {
	var opts temporal.ApplicationErrorOptions
	opts.Cause = err
	if d, ok := retry.After(err); ok {
		opts.NextRetryDelay = d
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeRetryable, opts)
}

// heartbeat records a heartbeat now and every few seconds until the returned stop is called, so
// that Temporal tells a live step (waiting out a Retry-After, verifying) from a dead worker's.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	every := 5 * time.Second
	if info := activity.GetInfo(ctx); info.HeartbeatTimeout > 0 {
		every = max(info.HeartbeatTimeout/3, 100*time.Millisecond)
	}
	activity.RecordHeartbeat(ctx)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
