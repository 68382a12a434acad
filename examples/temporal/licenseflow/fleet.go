package licenseflow

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// relay passes the approve and stop signals a parent workflow receives on to its children: to
// those running now, and to those started later (the highest wave approved and a stop are
// remembered), so that one signal to a fleet reaches every tenant's ApplyPlan.
type relay struct {
	approve, stop workflow.ReceiveChannel
	approved      int // -1: none
	stopped       bool
	reason        string
	children      []workflow.ChildWorkflowFuture
}

func newRelay(ctx workflow.Context) *relay {
	return &relay{approve: workflow.GetSignalChannel(ctx, SignalApprove), stop: workflow.GetSignalChannel(ctx, SignalStop), approved: -1}
}

// add registers a child once it started, and tells it what was signalled before.
func (r *relay) add(ctx workflow.Context, c workflow.ChildWorkflowFuture) {
	r.children = append(r.children, c)
	if r.approved >= 0 {
		c.SignalChildWorkflow(ctx, SignalApprove, r.approved)
	}
	if r.stopped {
		c.SignalChildWorkflow(ctx, SignalStop, r.reason)
	}
}

// listen adds the signal channels to sel: each signal is remembered and passed on.
func (r *relay) listen(ctx workflow.Context, sel workflow.Selector) {
	sel.AddReceive(r.approve, func(ch workflow.ReceiveChannel, _ bool) {
		var w int
		ch.Receive(ctx, &w)
		r.approved = max(r.approved, w)
		for _, c := range r.children {
			c.SignalChildWorkflow(ctx, SignalApprove, w) // a child that ended ignores it
		}
	})
	sel.AddReceive(r.stop, func(ch workflow.ReceiveChannel, _ bool) {
		ch.Receive(ctx, &r.reason)
		r.stopped = true
		for _, c := range r.children {
			c.SignalChildWorkflow(ctx, SignalStop, r.reason)
		}
	})
}

// await waits for f, passing signals on meanwhile.
func (r *relay) await(ctx workflow.Context, f workflow.Future) {
	for !f.IsReady() {
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(f, func(workflow.Future) {})
		r.listen(ctx, sel)
		sel.Select(ctx)
	}
}

// ApplyTenant plans job.Desired against the tenant (PlanTenant, on the tenant's queue) — or
// takes job.Plan — and applies the plan as a child ApplyPlan with the id "<this id>/apply", to
// which the progress query goes. The approve and stop signals may go to either: ApplyTenant
// passes them on (one sent while the plan is being made waits for the ApplyPlan; a stop then
// keeps the plan from being applied). A plan that is not applyable is not applied: the outcome
// lists its problems.
func ApplyTenant(ctx workflow.Context, job TenantJob) (TenantOutcome, error) {
	out := TenantOutcome{Tenant: job.Tenant.ID, Plan: job.Plan}
	rel := newRelay(ctx)
	opts := ApplyOptions{}
	if job.Options != nil {
		opts = *job.Options
	}
	if len(job.Desired) > 0 {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			TaskQueue:           job.Tenant.Queue(),
			StartToCloseTimeout: time.Hour, // reading a large tenant takes a while
			HeartbeatTimeout:    time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{ErrTypeInvalid}},
		})
		var sum PlanSummary
		f := workflow.ExecuteActivity(actx, (*Activities).PlanTenant, PlanInput{Tenant: job.Tenant, Desired: job.Desired})
		rel.await(ctx, f)
		if err := f.Get(ctx, &sum); err != nil {
			out.Outcome, out.Error = "error", "planning: "+err.Error()
			return out, incomplete(out)
		}
		out.Plan, out.Steps = sum.Plan, sum.Steps
		if !sum.Applyable {
			out.Outcome, out.Problems = "not applyable", sum.Problems
			return out, temporal.NewNonRetryableApplicationError(fmt.Sprintf("tenant %s: the plan is not applyable: %d problem(s)", job.Tenant.ID, len(sum.Problems)), "licenseplan.NotApplyable", nil, out)
		}
		if sum.Steps == 0 {
			out.Outcome = OutcomeDone
			return out, nil
		}
	}
	if out.Plan.Location == "" {
		err := fmt.Errorf("tenant %s: the job has neither a desired state nor a plan", job.Tenant.ID)
		out.Outcome, out.Error = "error", err.Error()
		return out, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, nil)
	}
	if rel.stopped {
		out.Outcome, out.Error = OutcomeStopped, "stopped before the plan was applied"
		if rel.reason != "" {
			out.Error += ": " + rel.reason
		}
		return out, incomplete(out)
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID + "/apply"})
	var p Progress
	child := workflow.ExecuteChildWorkflow(cctx, ApplyPlan, ApplyInput{Tenant: job.Tenant, Plan: out.Plan, Options: opts})
	rel.await(ctx, child.GetChildWorkflowExecution())
	if child.GetChildWorkflowExecution().Get(ctx, nil) == nil {
		rel.add(ctx, child)
	}
	rel.await(ctx, child)
	err := child.Get(ctx, &p)
	if err != nil {
		progressFrom(err, &p)
	}
	out.Progress = &p
	out.Steps = p.Total
	out.Outcome = p.Outcome
	if err != nil {
		if out.Outcome == "" || out.Outcome == OutcomeRunning {
			out.Outcome = "error"
		}
		out.Error = err.Error()
		return out, incomplete(out)
	}
	return out, nil
}

// incomplete is ApplyTenant's error: the outcome rides in its details for the parent.
func incomplete(out TenantOutcome) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("tenant %s: %s: %s", out.Tenant, out.Outcome, out.Error), "licenseplan.TenantIncomplete", nil, out)
}

// progressFrom fills p from the details of a failed ApplyPlan's error, when it has them.
func progressFrom(err error, p *Progress) {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.HasDetails() {
		_ = ae.Details(p)
		return
	}
	var ce *temporal.CanceledError
	if errors.As(err, &ce) && ce.HasDetails() {
		_ = ce.Details(p)
	}
}

// ApplyFleet runs ApplyTenant for every job as a child workflow ("<this id>/<tenant id>"), at
// most MaxParallel at once, and returns every tenant's outcome in the jobs' order. A tenant that
// fails does not stop the others; the error is nil when every tenant ended done. The approve
// and stop signals sent to it reach every tenant (those started later too): one approval of
// wave n releases wave n everywhere, one stop stops the fleet.
func ApplyFleet(ctx workflow.Context, in FleetInput) (FleetResult, error) {
	res := FleetResult{Tenants: make([]TenantOutcome, len(in.Jobs))}
	parallel := in.MaxParallel
	if parallel <= 0 {
		parallel = len(in.Jobs)
	}
	seen := map[string]bool{}
	for _, j := range in.Jobs {
		if j.Tenant.ID == "" || seen[j.Tenant.ID] {
			return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("fleet: every job needs a tenant id of its own (%q is empty or repeated)", j.Tenant.ID), ErrTypeInvalid, nil)
		}
		seen[j.Tenant.ID] = true
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	rel := newRelay(ctx)
	running := 0
	next := 0
	sel := workflow.NewSelector(ctx)
	rel.listen(ctx, sel)
	for next < len(in.Jobs) || running > 0 {
		for running < parallel && next < len(in.Jobs) && !rel.stopped {
			i := next
			job := in.Jobs[i]
			if job.Options == nil {
				o := in.Options
				job.Options = &o
			}
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id + "/" + job.Tenant.ID})
			f := workflow.ExecuteChildWorkflow(cctx, ApplyTenant, job)
			sel.AddFuture(f.GetChildWorkflowExecution(), func(started workflow.Future) {
				if started.Get(ctx, nil) == nil {
					rel.add(ctx, f)
				}
			})
			sel.AddFuture(f, func(f workflow.Future) {
				var out TenantOutcome
				err := f.Get(ctx, &out)
				if err != nil {
					var ae *temporal.ApplicationError
					if errors.As(err, &ae) && ae.HasDetails() {
						_ = ae.Details(&out)
					}
					out.Tenant = job.Tenant.ID
					if out.Outcome == "" || out.Outcome == OutcomeDone {
						out.Outcome = "error"
					}
					if out.Error == "" {
						out.Error = err.Error()
					}
				}
				res.Tenants[i] = out
				running--
			})
			next++
			running++
		}
		if running == 0 {
			break // stopped before the remaining tenants started
		}
		sel.Select(ctx)
	}
	for i := next; i < len(in.Jobs); i++ {
		res.Tenants[i] = TenantOutcome{Tenant: in.Jobs[i].Tenant.ID, Outcome: OutcomeStopped, Error: "the fleet was stopped before this tenant started"}
	}
	for _, t := range res.Tenants {
		if t.Outcome == OutcomeDone {
			res.Done++
		} else {
			res.Failed++
		}
	}
	if res.Failed > 0 {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("fleet: %d of %d tenants did not finish", res.Failed, len(in.Jobs)), "licenseplan.FleetIncomplete", nil, res)
	}
	return res, nil
}
