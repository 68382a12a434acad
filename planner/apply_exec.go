package planner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/licenseplan/licenseplan/licensing"
)

// Executor carries out single steps of a plan against a tenant: the unit of work that an engine
// drives. Apply is one driver (waves, dependencies, concurrency, the journal, preflight); a
// durable workflow engine is another (examples/temporal runs each step as an activity). Both go
// through the same code for a step: its precondition, the write, and its verification.
//
// A step is idempotent through its precondition: RunStep reads the target first, and a target
// already at the step's result (or at the result of a later step of the plan that supersedes it,
// the removal after a make-before-break add) is done without a write. So a driver may run a step
// again whenever it does not know whether an earlier run reached Entra — after a crash, a lost
// reply, a worker that died — and no write happens twice. A target at neither the step's Expect
// nor its result is drift: the step is refused, whatever the driver believed.
//
// RunStep checks no dependencies: the driver runs a step only after the steps it depends on
// succeeded (Step.DependsOn) and never two steps on the same target at once across its workers
// (an Executor serialises the steps it runs on one target itself). A step run out of order finds
// its target elsewhere than it expects and is refused as drift, so a driver's mistake takes
// nothing away.
//
// An Executor is safe for concurrent use. The options are Apply's: WithRateLimit,
// WithRetryPolicy, WithClock, WithGroupProcessing, WithLogger, WithTenantID and
// WithIgnoreProblems apply; the journal, resume, wave and progress options are the driver's and
// are ignored. A driver that owns retries itself passes WithRetryPolicy(RetryPolicy{MaxAttempts: 1}):
// each RunStep then makes at most one write.
type Executor struct {
	r *runner

	mu    sync.Mutex
	wave  int                    // the wave of the last step run; a step of another wave reads the seats again
	locks map[string]*targetLock // per target: steps on one target run one at a time
}

type targetLock struct {
	mu    sync.Mutex
	users int // RunSteps holding or waiting for mu
}

// NewExecutor checks plan as Apply does before anything is written — steps well formed
// (unique ids, dependencies on steps of the same or an earlier wave, no cycles), the plan
// applyable unless WithIgnoreProblems — and returns an Executor for it. It makes no call: see
// CheckTenant.
func NewExecutor(tenant Tenant, plan *Plan, opts ...ApplyOption) (*Executor, error) {
	r, err := newRunner(tenant, plan, opts)
	if err != nil {
		return nil, err
	}
	return &Executor{r: r, wave: -1, locks: map[string]*targetLock{}}, nil
}

// newRunner validates the plan and makes the state every driver of its steps shares, configured
// by opts.
func newRunner(tenant Tenant, plan *Plan, opts []ApplyOption) (*runner, error) {
	cfg := defaultApplyConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if tenant == nil || plan == nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: tenant and plan are required"}
	}
	if err := validateForApply(plan); err != nil {
		return nil, err
	}
	if !plan.Applyable() && !cfg.ignoreProblems {
		n := 0
		for _, p := range plan.Problems {
			if p.Severity == SeverityError {
				n++
			}
		}
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("apply: the plan is not applyable: it has %d problem(s) with severity error; fix them and plan again, or pass WithIgnoreProblems to apply it anyway", n)}
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &runner{tenant: tenant, plan: plan, cfg: cfg, log: log, clock: cfg.clock, busy: map[string]bool{}}
	r.limiter = newTokenBucket(cfg.clock, cfg.writesPerSecond, cfg.burst)
	r.seats = &seatLedger{r: r}
	r.journal = &journalWriter{clock: cfg.clock}
	r.index = make(map[string]int, len(plan.Steps))
	for i, s := range plan.Steps {
		r.index[s.ID] = i
	}
	r.dependents = map[int][]int{}
	for i, s := range plan.Steps {
		for _, d := range s.DependsOn {
			r.dependents[r.index[d]] = append(r.dependents[r.index[d]], i)
		}
	}
	return r, nil
}

// Plan returns the plan the Executor runs the steps of.
func (e *Executor) Plan() *Plan { return e.r.plan }

// CheckTenant refuses a tenant other than the one the plan was made for, as Apply does before
// its first write: the tenant's id comes from WithTenantID or from the ids of its
// subscribedSkus. A plan with an empty TenantID is not checked.
func (e *Executor) CheckTenant(ctx context.Context) error { return e.r.checkTenant(ctx) }

// The classes of a step's error (see StepError): errors.Is(err, ErrRetryable) tells a driver to
// run the step again later; errors.Is(err, ErrFinal) that running it again cannot help.
var (
	// ErrRetryable: the step did not reach its result for a reason that may pass — Graph
	// throttled it (retry.After says how long to wait), a transient failure, a group Entra is
	// still processing (ErrNotYet), the context ended. Running the step again is safe: its
	// precondition makes it a no-op when an earlier run reached Entra.
	ErrRetryable = errors.New("the step may succeed when run again")
	// ErrFinal: running the step again cannot help — drift (the target is not where the plan
	// expected it), a violation Entra refused the write with, a verification that found the
	// target elsewhere. Plan again.
	ErrFinal = errors.New("running the step again cannot succeed")
	// ErrNotYet: a waitForGroupProcessing step found Entra still processing the group's members;
	// run it again after a while (WithGroupProcessing's poll interval is a good pace). It is
	// also ErrRetryable.
	ErrNotYet = errors.New("entra is still processing the group")
)

// StepError is why RunStep did not bring a step to its result. errors.Is matches it against
// ErrRetryable or ErrFinal (exactly one of the two), ErrNotYet, and the licensing kind of the
// cause (licensing.Drift, licensing.Throttled, …, through *licensing.Error); retry.After finds a
// Retry-After the tenant sent.
type StepError struct {
	StepID string
	Status StepStatus // StepFailed or StepDrift
	Err    error
	notYet bool
}

// Error returns the cause's message (it names the step).
func (e *StepError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// Is reports whether the error is of the class target (ErrRetryable, ErrFinal, ErrNotYet).
func (e *StepError) Is(target error) bool {
	switch target {
	case ErrRetryable:
		return e.Retryable()
	case ErrFinal:
		return !e.Retryable()
	case ErrNotYet:
		return e.notYet
	}
	return false
}

// Retryable reports whether running the step again may succeed.
func (e *StepError) Retryable() bool {
	if e.notYet || errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	k := licensing.KindOf(e.Err)
	return k == licensing.Throttled || k == licensing.Transient
}

// RunStep carries out the step with the id: it reads the target and checks the precondition
// (done without a write when the target is already at the step's result; refused as drift when
// it is at neither Expect nor the result), checks a seat is free for a SKU the step gives, makes
// the write (rate limited, retried within WithRetryPolicy's attempts on Throttled and Transient
// errors), and reads the target back until it is at the step's result. A
// waitForGroupProcessing step polls the group once: done when Entra has processed the members
// the plan changed, else an error matching ErrNotYet. A reprocessLicenseAssignment step has no
// precondition (reprocessing twice is harmless).
//
// The result says what happened (Status, Calls, Started, Finished, Learned); the error is nil
// exactly when Status.OK(), and a *StepError otherwise. An unknown id is an error of kind
// licensing.InvalidInput, not a *StepError.
func (e *Executor) RunStep(ctx context.Context, id string) (StepResult, error) {
	r := e.r
	i, ok := r.index[id]
	if !ok {
		return StepResult{}, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("apply: the plan has no step %q (its steps are s1…s%d)", id, len(r.plan.Steps))}
	}
	s := r.plan.Steps[i]
	e.mu.Lock()
	if s.Wave != e.wave {
		e.wave = s.Wave
		r.seats.invalidate()
	}
	key := targetKey(s)
	l := e.locks[key]
	if l == nil {
		l = &targetLock{}
		e.locks[key] = l
	}
	l.users++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if l.users--; l.users == 0 {
			delete(e.locks, key)
		}
		e.mu.Unlock()
	}()
	l.mu.Lock()
	defer l.mu.Unlock()

	res := StepResult{Step: s, Started: r.clock.Now()}
	var out stepOutcome
	if s.Action == WaitForGroupProcessing {
		out = r.pollGroupOnce(ctx, s)
	} else {
		out = r.runStep(ctx, s)
	}
	res.Finished = r.clock.Now()
	res.Status, res.Err, res.Calls = out.status, out.err, out.calls
	if out.status.OK() {
		return res, nil
	}
	res.Learned = r.learn(out.err)
	se := &StepError{StepID: s.ID, Status: out.status, Err: out.err, notYet: out.notYet}
	res.Err = se
	return res, se
}
