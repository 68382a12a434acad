package licenseflow

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/licenseplan/licenseplan/planner"
)

// maxFailures bounds Progress.Failures.
const maxFailures = 100

// ApplyPlan applies a stored plan to a tenant (see the package documentation). It returns the
// run's final Progress; the error is nil when every step succeeded, and says why otherwise
// (a step failed or drifted, the run was stopped or cancelled).
func ApplyPlan(ctx workflow.Context, in ApplyInput) (Progress, error) {
	opts := in.Options.withDefaults()
	c := in.Carry
	if c == nil {
		c = &Carry{Progress: Progress{Tenant: in.Tenant.ID, Plan: in.Plan, Outcome: OutcomeRunning, Started: workflow.Now(ctx)}, Approved: 0, NotOK: map[string]bool{}}
	}
	if c.NotOK == nil {
		c.NotOK = map[string]bool{}
	}
	r := &run{in: in, opts: opts, c: c, p: &c.Progress, startedHere: c.Progress.Done}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return r.snapshot(ctx), nil }); err != nil {
		return *r.p, err
	}
	r.approve = workflow.GetSignalChannel(ctx, SignalApprove)
	r.stop = workflow.GetSignalChannel(ctx, SignalStop)
	r.logger = workflow.GetLogger(ctx)

	// Activities run on the tenant's queue, and are not cancelled with the workflow: a step in
	// flight finishes its write and verification (see cancellation in run.drain).
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           in.Tenant.Queue(),
		StartToCloseTimeout: opts.StepTimeout,
		HeartbeatTimeout:    opts.HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        opts.MaxAttempts,
			NonRetryableErrorTypes: []string{ErrTypeInvalid},
		},
	})
	r.actx, _ = workflow.NewDisconnectedContext(actx)

	for {
		r.readSignals()
		if r.p.Total > 0 && c.Offset >= r.p.Total || r.stopping() || ctx.Err() != nil || c.Blocked != "" {
			break
		}
		if r.p.Done-r.startedHere >= opts.ContinueAfter {
			r.readSignals()
			return *r.p, workflow.NewContinueAsNewError(ctx, ApplyPlan, ApplyInput{Tenant: in.Tenant, Plan: in.Plan, Options: in.Options, Carry: c})
		}
		var page Outline
		err := workflow.ExecuteActivity(r.actx, (*Activities).Outline, OutlineInput{Tenant: in.Tenant, Plan: in.Plan, Offset: c.Offset, Limit: opts.ChunkSize}).Get(r.actx, &page)
		if err != nil {
			r.p.Outcome, r.p.StopReason = OutcomeFailed, "reading the plan: "+err.Error()
			return r.finish(ctx)
		}
		if len(page.Steps) == 0 {
			break
		}
		if r.p.Total == 0 {
			// The first wave needs no approval.
			r.p.Total, r.p.Waves, r.p.Pending = page.Total, page.Waves, page.Total
			r.p.Wave = page.Steps[0].Wave
			c.Approved = max(c.Approved, r.p.Wave)
		}
		r.runPage(ctx, page.Steps)
		c.Offset += len(page.Steps)
	}
	return r.finish(ctx)
}

// run is one ApplyPlan run's scheduler state.
type run struct {
	in          ApplyInput
	opts        ApplyOptions
	c           *Carry
	p           *Progress
	actx        workflow.Context // for activities: disconnected from the workflow's cancellation
	approve     workflow.ReceiveChannel
	stop        workflow.ReceiveChannel
	logger      interface{ Info(string, ...any) }
	startedHere int // Progress.Done when this run started (for ContinueAfter)
}

func (r *run) stopping() bool { return r.p.Outcome == OutcomeStopped }

// readSignals takes the signals that arrived without blocking.
func (r *run) readSignals() {
	for {
		var wave int
		if !r.approve.ReceiveAsync(&wave) {
			break
		}
		r.c.Approved = max(r.c.Approved, wave)
	}
	var reason string
	for r.stop.ReceiveAsync(&reason) {
		r.p.Outcome, r.p.StopReason = OutcomeStopped, "stopped by signal"
		if reason != "" {
			r.p.StopReason += ": " + reason
		}
	}
}

// snapshot is the progress with its ETA as of now.
func (r *run) snapshot(ctx workflow.Context) Progress {
	p := *r.p
	p.Updated = workflow.Now(ctx)
	p.Failures = append([]StepFailure(nil), r.p.Failures...)
	if p.Done > 0 && p.Total > p.Done {
		per := p.Updated.Sub(p.Started) / time.Duration(p.Done)
		p.ETA = per * time.Duration(p.Total-p.Done)
	}
	return p
}

// waitForApproval blocks until wave is approved, the run is stopped or the workflow cancelled.
func (r *run) waitForApproval(ctx workflow.Context, wave int) bool {
	r.readSignals()
	if r.c.Approved >= wave || !r.opts.ApproveWaves {
		return true
	}
	r.p.Wave, r.p.WaitingForApproval = wave, true
	defer func() { r.p.WaitingForApproval = false }()
	r.logger.Info("waiting for approval", "wave", wave)
	for r.c.Approved < wave && !r.stopping() && ctx.Err() == nil {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(r.approve, func(ch workflow.ReceiveChannel, _ bool) {
			var w int
			ch.Receive(ctx, &w)
			r.c.Approved = max(r.c.Approved, w)
		})
		sel.AddReceive(r.stop, func(workflow.ReceiveChannel, bool) { r.readSignals() })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
	}
	return r.c.Approved >= wave
}

// stepState is where a step of the page is.
type stepState uint8

const (
	statePending stepState = iota
	stateRunning
	stateFinished
)

// runPage runs a page of steps: each once its dependencies succeeded, at most Concurrency at
// once, never two on one target; a wave starts when the one before it finished well (and,
// with ApproveWaves, was approved).
func (r *run) runPage(ctx workflow.Context, steps []StepBrief) {
	state := make([]stepState, len(steps))
	inPage := make(map[string]bool, len(steps))
	for _, s := range steps {
		inPage[s.ID] = true
	}
	first := 0              // steps before it are finished: each pass starts there
	ok := map[string]bool{} // steps of this page that succeeded
	busy := map[string]bool{}
	type done struct {
		i   int
		out StepOutcome
		err error
	}
	var finished []done
	running := 0
	settle := func(i int, out StepOutcome, err error) {
		state[i] = stateFinished
		running--
		delete(busy, steps[i].Target)
		r.p.Running--
		r.record(steps[i], out, err)
		if st := r.lastStatus(out, err); st == planner.StepSucceeded || st == planner.StepAlreadyDone {
			ok[steps[i].ID] = true
		} else {
			r.c.NotOK[steps[i].ID] = true
		}
	}
	for {
		r.readSignals()
		canStart := !r.stopping() && ctx.Err() == nil && r.c.Blocked == ""
		for first < len(steps) && state[first] == stateFinished {
			first++
		}
		for i := first; i < len(steps) && canStart && running < r.opts.Concurrency; i++ {
			s := steps[i]
			if state[i] != statePending || busy[s.Target] {
				continue
			}
			if s.Wave != r.p.Wave {
				if running > 0 || i > first {
					break // the wave before has steps left
				}
				if !r.waveEnds() {
					canStart = false
					break
				}
				if !r.waitForApproval(ctx, s.Wave) {
					canStart = false
					break
				}
				r.p.Wave = s.Wave
			}
			ready, skip := true, ""
			for _, d := range s.DependsOn {
				switch {
				case r.c.NotOK[d]:
					skip = d
				case !ok[d] && inPage[d]:
					ready = false
				}
			}
			if skip != "" {
				state[i] = stateFinished
				r.c.NotOK[s.ID] = true
				r.p.Pending--
				r.p.Done++
				r.p.Skipped++
				r.fail(StepFailure{Step: s.ID, Status: planner.StepSkipped.String(), Message: fmt.Sprintf("step %s it depends on did not succeed", skip)})
				continue
			}
			if !ready {
				continue
			}
			state[i] = stateRunning
			busy[s.Target] = true
			running++
			r.p.Running++
			r.p.Pending--
			i := i
			r.start(ctx, s, func(out StepOutcome, err error) { finished = append(finished, done{i, out, err}) })
		}
		if running == 0 {
			break
		}
		// Wait for a step to finish, or a signal.
		workflow.Await(ctx, func() bool { return len(finished) > 0 || (r.stop.Len() > 0) || r.approve.Len() > 0 || ctx.Err() != nil })
		if ctx.Err() != nil {
			// Cancelled: start nothing more, let the steps in flight finish.
			_ = workflow.Await(r.actx, func() bool { return len(finished) >= running })
		}
		for _, d := range finished {
			settle(d.i, d.out, d.err)
		}
		finished = finished[:0]
	}
	// Steps that never started (stopped, cancelled, blocked): pending still.
	if !r.stopping() && ctx.Err() == nil && r.c.Blocked == "" {
		r.waveEnds()
	}
}

// waveEnds checks the wave that just ran: when a step of it did not succeed, later waves do not
// start. It reports whether the next wave may start.
func (r *run) waveEnds() bool {
	if r.c.Blocked != "" {
		return false
	}
	if r.p.Failed+r.p.Drift+r.p.Skipped > 0 {
		r.c.Blocked = fmt.Sprintf("wave %d did not finish well: later waves were not started", r.p.Wave)
		return false
	}
	return true
}

// start runs one step in a coroutine and calls done with its outcome.
func (r *run) start(ctx workflow.Context, s StepBrief, done func(StepOutcome, error)) {
	in := StepInput{Tenant: r.in.Tenant, Plan: r.in.Plan, Step: s.ID}
	workflow.Go(r.actx, func(gctx workflow.Context) {
		if !s.Wait {
			var out StepOutcome
			err := workflow.ExecuteActivity(gctx, (*Activities).RunStep, in).Get(gctx, &out)
			done(out, err)
			return
		}
		// A group Entra is processing: durable timers between polls.
		deadline := workflow.Now(gctx).Add(r.opts.GroupTimeout)
		for {
			var out StepOutcome
			err := workflow.ExecuteActivity(gctx, (*Activities).PollGroup, in).Get(gctx, &out)
			if err != nil || out.Status != planner.StepPending.String() {
				done(out, err)
				return
			}
			if ctx.Err() != nil || r.stopping() {
				done(StepOutcome{Step: s.ID, Status: planner.StepPending.String(), Message: "the run ended while Entra was processing the group"}, nil)
				return
			}
			if !workflow.Now(gctx).Before(deadline) {
				done(StepOutcome{Step: s.ID, Status: planner.StepFailed.String(), Kind: "Transient",
					Message: fmt.Sprintf("Entra was still processing the group after %s: %s", r.opts.GroupTimeout, out.Message)}, nil)
				return
			}
			_ = workflow.Sleep(gctx, r.opts.GroupPoll)
		}
	})
}

func (r *run) lastStatus(out StepOutcome, err error) planner.StepStatus {
	if err != nil {
		return planner.StepFailed
	}
	for st := planner.StepPending; st <= planner.StepDrift; st++ {
		if st.String() == out.Status {
			return st
		}
	}
	return planner.StepFailed
}

// record counts a finished step.
func (r *run) record(s StepBrief, out StepOutcome, err error) {
	st := r.lastStatus(out, err)
	if st == planner.StepPending { // a wait the run left: not finished
		r.p.Pending++
		r.c.NotOK[s.ID] = true
		return
	}
	r.p.Done++
	r.p.Writes += out.Calls
	switch st {
	case planner.StepSucceeded:
		r.p.Succeeded++
	case planner.StepAlreadyDone:
		r.p.AlreadyDone++
	case planner.StepDrift:
		r.p.Drift++
	default:
		r.p.Failed++
	}
	if st.OK() {
		return
	}
	f := StepFailure{Step: s.ID, Status: st.String(), Kind: out.Kind, Message: out.Message}
	if err != nil {
		f.Message = err.Error()
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) {
			f.Kind = ae.Type()
		}
	}
	r.fail(f)
}

func (r *run) fail(f StepFailure) {
	if len(r.p.Failures) < maxFailures {
		r.p.Failures = append(r.p.Failures, f)
	}
}

// finish settles the outcome and returns it.
func (r *run) finish(ctx workflow.Context) (Progress, error) {
	r.p.Updated = workflow.Now(ctx)
	r.p.ETA = 0
	switch {
	case ctx.Err() != nil:
		r.p.Outcome = OutcomeCancelled
	case r.p.Outcome == OutcomeStopped:
	case r.p.Outcome == OutcomeFailed:
	case r.c.Blocked != "" || r.p.Failed+r.p.Drift+r.p.Skipped > 0:
		r.p.Outcome = OutcomeFailed
		if r.p.StopReason == "" {
			r.p.StopReason = r.c.Blocked
		}
	default:
		r.p.Outcome = OutcomeDone
	}
	if r.p.Outcome == OutcomeCancelled {
		return *r.p, temporal.NewCanceledError(*r.p)
	}
	if r.p.Outcome != OutcomeDone {
		return *r.p, temporal.NewNonRetryableApplicationError(fmt.Sprintf("tenant %s: %s: %d succeeded, %d already done, %d failed, %d drift, %d skipped, %d pending; %s",
			r.p.Tenant, r.p.Outcome, r.p.Succeeded, r.p.AlreadyDone, r.p.Failed, r.p.Drift, r.p.Skipped, r.p.Pending, r.p.StopReason), "licenseplan."+r.p.Outcome, nil, *r.p)
	}
	return *r.p, nil
}
