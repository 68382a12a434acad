package planner

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// Apply carries out plan on tenant, step by step, and reports what happened to each step.
//
// Before anything is written, Apply refuses a plan that is not applyable (unless
// WithIgnoreProblems), a plan whose steps are malformed (unknown or later-wave dependencies,
// cycles) and a plan made for another tenant. The tenant's id comes from WithTenantID or, when
// that is not given, from the "tenantId_skuId" ids of tenant.SubscribedSkus (the same read seeds
// the seat checks, so it costs nothing extra; a full Snapshot would be far too expensive). A plan
// with an empty TenantID is not checked.
//
// Waves run in order: wave k starts only when every step of the waves before it succeeded.
// Within a wave, a step starts as soon as every step it depends on succeeded, with at most
// WithConcurrency steps in flight and never two steps on the same target at once; a step whose
// dependency did not succeed is skipped.
//
// Each step is guarded by a precondition: Apply reads the target and compares it with
// step.Expect and step.Result. A target already at Result is done without a call (an
// interrupted run can simply be run again), and so is one already at the Result of a later step
// that depends on it and changes the same thing (the removal after a make-before-break add); a
// target at neither is drift, and the step is
// refused with a *licensing.Error of kind Drift naming what differs, since acting on a state the
// plan did not foresee could take services away. A step that gives a user a SKU they do not yet
// hold also needs a free seat (prepaidUnits.enabled − consumedUnits, read once per wave and kept
// up to date as steps run); one taken since planning is drift too. The call is then made, rate
// limited. On a Throttled or Transient error the step is attempted again, up to
// RetryPolicy.MaxAttempts times (5 by default), each attempt reading the target and checking the
// precondition again before its one call, after the Retry-After the error carries (retry.After;
// every worker waits it out) or a backoff; any other error fails the step at once — Entra
// refuses such calls atomically, so nothing changed. Apply owns these step-level retries; the
// tenant owns the retries of one request (graphadapter tries a write's request up to 5 times), so
// a step makes at most MaxAttempts × the tenant's attempts per request write requests: 5 × 5 = 25
// with the defaults (package retry has the whole bound). Finally the target is read again and must
// equal step.Result (for a user's assignLicense, no path of an added SKU may have gone into
// Error): that confirms, for example, that the new license of a make-before-break pair is active
// before the step removing the old one runs.
//
// Preflight: before the first write, Apply reads the target of every step (each user and group
// once, WithConcurrency reads at a time) and predicts every step against what it read — the
// step's precondition, done up front for the whole plan: the first step on a target must find it
// at its Expect (or already at its Result, or at the Result of a later step that supersedes it),
// and each later step on the same target must expect what the step before it leaves (an edited
// plan may not). A step that does not hold is refused as Drift before anything is written, with
// the same rules as a drift found while running: the steps depending on it are skipped, the
// others of its wave still run, later waves do not start (WithStopOnDrift: nothing runs).
// WithUntilWave stops after a wave for sign-off; running again with the journal continues.
//
// The journal (WithJournal, WithJournalFile; format journal/v2, see JournalFormatVersion)
// records the plan itself, the source the run went against (WithSource), every start and end of
// a step, and what each step's target looked like before and after. A run resumed from a journal
// (WithResume, WithJournalFile) skips no step on the journal's word alone: every step it calls
// done is read back during the preflight and skipped only when its result is there (a
// "verified" entry); otherwise it runs again through its precondition (done again if the target
// is where the plan expected it, Drift if not). Steps recorded done by a run against another
// kind of source — a rehearsal on a snapshot, for a live tenant — count for nothing. A journal of
// another plan or tenant, a journal/v1 journal, and one of a run against another live tenant
// source are refused before anything is written.
//
// Apply always returns the result when it got as far as running steps; the error is non-nil when
// any step did not succeed (an *ApplyError that errors.Is matches against the steps' error kinds,
// e.g. licensing.Drift, and against context.Canceled).
func Apply(ctx context.Context, tenant Tenant, plan *Plan, opts ...ApplyOption) (*ApplyResult, error) {
	r, err := newRunner(tenant, plan, opts)
	if err != nil {
		return nil, err
	}
	cfg := r.cfg
	hash, err := planHash(plan)
	if err != nil {
		return nil, err
	}
	log := r.log

	// The journal: open the file, check a journal to resume from may be continued by this run.
	resume := cfg.resume
	var jw io.Writer = cfg.journal
	fileHasPlan := false
	if cfg.journalPath != "" {
		jf, prior, err := openJournalFile(cfg.journalPath, plan.TenantID, hash, cfg.source)
		if err != nil {
			return nil, err
		}
		defer jf.Close()
		fileHasPlan = prior != nil && prior.HasPlan()
		if resume == nil && prior != nil && len(prior.Entries) > 0 {
			resume = prior
		}
		if jw == nil {
			jw = jf
		} else {
			jw = io.MultiWriter(jf, jw)
		}
		defer func() { _ = jf.Sync() }()
	}
	if resume != nil {
		if err := resume.usableFor(plan.TenantID, hash, cfg.source); err != nil {
			return nil, err
		}
	}
	r.journal.w = jw

	if err := r.checkTenant(ctx); err != nil {
		return nil, err
	}

	res := &ApplyResult{TenantID: plan.TenantID, PlanHash: hash, Steps: make([]StepResult, len(plan.Steps))}
	r.res = res
	for i, s := range plan.Steps {
		res.Steps[i] = StepResult{Step: s}
	}
	var claims map[string]StepStatus
	if resume != nil {
		claims = resume.claims(cfg.source.Kind)
		if src, ok := resume.foreign(cfg.source.Kind); ok && len(resume.Done()) > 0 {
			log.Warn("apply: the journal has runs against another kind of source; the steps they record as done count for nothing here", "journal", src.String(), "this", cfg.source.String())
		}
	}
	begin := JournalEntry{Event: EventBegin, FormatVersion: JournalFormatVersion, TenantID: plan.TenantID, PlanHash: hash, Steps: len(plan.Steps), Origin: cfg.origin}
	if cfg.source != (Source{}) {
		src := cfg.source
		begin.Source = &src
	}
	// The plan goes into the first begin entry of a journal; a run continuing one names it by hash.
	writePlan := r.journal.w != nil && !fileHasPlan
	if cfg.journalPath == "" && resume != nil && resume.HasPlan() {
		writePlan = false // WithJournal continues the journal WithResume read
	}
	if writePlan {
		if begin.Plan, err = compactPlan(plan); err != nil {
			return nil, err
		}
	}
	if err := r.journal.write(begin); err != nil {
		return nil, &licensing.Error{Kind: licensing.Other, Message: "apply: writing the journal", Err: err}
	}
	begin.Plan = nil
	log.Info("apply: starting", "tenant", plan.TenantID, "plan", hash, "steps", len(plan.Steps), "claimed done", len(claims))

	r.preflight(ctx, claims)
	r.runWaves(ctx)

	res.count()
	_ = r.journal.write(JournalEntry{Event: EventEnd, Message: res.Summary()})
	if err := r.journal.err; err != nil && res.Stopped == nil {
		res.Stopped = fmt.Errorf("writing the journal: %w", err)
	}
	log.Info("apply: finished", "summary", res.Summary())
	return res, res.Err()
}

// ApplyOption configures Apply.
type ApplyOption func(*applyConfig)

type applyConfig struct {
	concurrency     int
	writesPerSecond float64
	burst           int
	retry           RetryPolicy
	clock           Clock
	pollInterval    time.Duration
	processTimeout  time.Duration
	journal         io.Writer
	journalPath     string
	resume          *Journal
	progress        func(Progress)
	logger          *slog.Logger
	tenantID        string
	ignoreProblems  bool
	stopOnDrift     bool
	source          Source
	origin          string
	untilWave       int // -1: every wave
}

func defaultApplyConfig() applyConfig {
	return applyConfig{
		concurrency:    4,
		retry:          DefaultRetryPolicy,
		clock:          WallClock,
		pollInterval:   5 * time.Second,
		processTimeout: 30 * time.Minute,
		untilWave:      -1,
	}
}

// WithConcurrency sets how many steps of a wave may run at once (default 4; values below 1 mean 1).
func WithConcurrency(n int) ApplyOption {
	return func(c *applyConfig) { c.concurrency = max(1, n) }
}

// WithRateLimit limits writes (the calls that change the tenant; reads are not limited) to
// writesPerSecond on average, in bursts of at most burst (minimum 1). Zero or less means no
// limit, the default. When the tenant answers Throttled with a Retry-After (retry.After), every
// worker pauses for that long, not just the one that was told.
func WithRateLimit(writesPerSecond float64, burst int) ApplyOption {
	return func(c *applyConfig) { c.writesPerSecond, c.burst = writesPerSecond, max(1, burst) }
}

// WithRetryPolicy sets how often a step, and a read, is attempted again after a Throttled or
// Transient error, and how long to wait in between (default DefaultRetryPolicy; zero fields keep
// its values). It bounds the executor's attempts only: the tenant's own retries of one request
// (graphadapter.WithRetryPolicy) come on top, once per attempt — see RetryPolicy for the bound.
func WithRetryPolicy(p RetryPolicy) ApplyOption {
	return func(c *applyConfig) { c.retry = p.WithDefaults(DefaultRetryPolicy) }
}

// WithClock sets the clock Apply reads the time from and waits with (default: WallClock). It is
// retry.Clock, which graphadapter.WithClock takes too. Tests pass one that advances without
// sleeping.
func WithClock(clk Clock) ApplyOption {
	return func(c *applyConfig) {
		if clk != nil {
			c.clock = clk
		}
	}
}

// WithGroupProcessing sets how often a waitForGroupProcessing step reads the group (default 5s)
// and how long it waits for licenseProcessingState ProcessingComplete before failing (default
// 30m). The poll interval also spaces the re-reads of a verification that found the target not
// yet as expected (Graph's reads are eventually consistent).
func WithGroupProcessing(pollInterval, timeout time.Duration) ApplyOption {
	return func(c *applyConfig) {
		if pollInterval > 0 {
			c.pollInterval = pollInterval
		}
		if timeout > 0 {
			c.processTimeout = timeout
		}
	}
}

// WithJournal writes the journal (JSON lines, see JournalEntry) to w. Each entry is one Write
// call; Apply serialises them.
func WithJournal(w io.Writer) ApplyOption { return func(c *applyConfig) { c.journal = w } }

// WithJournalFile keeps the journal in the file at path: an existing journal there is read and
// resumed from (unless WithResume gives another), a last line cut short by a crash is dropped,
// and new entries are appended. The file is created (mode 0600) when missing; the plan is
// written into it with the first run's begin entry. A journal of another plan or tenant, a
// journal/v1 one, and one of a run against another live tenant (WithSource) are refused before
// anything is written.
func WithJournalFile(path string) ApplyOption { return func(c *applyConfig) { c.journalPath = path } }

// WithResume resumes from a journal read with ReadJournal. Each step it records as done (in runs
// against the same kind of source, WithSource) is read back before anything is written and
// skipped only when its result is there; the others run, through their precondition. The
// journal must be of the same plan (tenant id and plan hash) and journal/v2 (see WithJournalFile
// for what else is refused). When WithJournal is given too, its writer is taken to continue this
// journal, and the plan is not written again if the journal records it.
func WithResume(j *Journal) ApplyOption { return func(c *applyConfig) { c.resume = j } }

// WithSource tells Apply what it runs against, for the journal: a live tenant (SourceTenant,
// named by its Graph root) or a rehearsal on a snapshot (SourceSnapshot, named by the file). A
// journal's claims count only for runs against the same kind of source — a rehearsal's journal
// never makes a run on a live tenant skip a write — and a journal of a live tenant is refused
// for a live tenant of another name. Without it the source is unnamed, and a journal's claims
// count only for unnamed runs (still read back before any step is skipped).
func WithSource(s Source) ApplyOption { return func(c *applyConfig) { c.source = s } }

// WithOrigin records in the journal's begin entries what the plan was made from (licensectl
// records the desired file's digest), so that a caller can tell whether a journal belongs to its
// inputs (Journal.Origin).
func WithOrigin(origin string) ApplyOption { return func(c *applyConfig) { c.origin = origin } }

// WithUntilWave stops the run after wave n (the plan's wave numbers, 0 first) for sign-off: the
// steps of later waves are not started and stay pending (StepResult.Held, ApplyResult.Held); the
// preflight still checks them. A negative n runs every wave (the default). Running again with the
// journal continues: the done steps are verified, the held ones run.
func WithUntilWave(n int) ApplyOption {
	return func(c *applyConfig) {
		c.untilWave = n
		if n < 0 {
			c.untilWave = -1
		}
	}
}

// WithProgress calls f when a step starts and when it finishes. Calls are serialised and come
// from Apply's scheduling goroutine: f must return quickly.
func WithProgress(f func(Progress)) ApplyOption { return func(c *applyConfig) { c.progress = f } }

// WithLogger logs the run to l (nil, the default, logs nothing). Messages never carry credentials.
func WithLogger(l *slog.Logger) ApplyOption { return func(c *applyConfig) { c.logger = l } }

// WithTenantID tells Apply the id of the tenant, which the plan's TenantID must match, instead of
// deriving it from the ids of the tenant's subscribedSkus.
func WithTenantID(id string) ApplyOption { return func(c *applyConfig) { c.tenantID = id } }

// WithIgnoreProblems applies a plan even when it is not applyable (it has error-severity
// problems). The steps Entra refuses fail; the others run as usual.
func WithIgnoreProblems() ApplyOption { return func(c *applyConfig) { c.ignoreProblems = true } }

// WithStopOnDrift stops the whole run at the first drift: steps in flight finish, no new step
// starts. By default a drifted step only takes the steps that depend on it (and later waves)
// with it; independent steps of the wave still run.
func WithStopOnDrift() ApplyOption { return func(c *applyConfig) { c.stopOnDrift = true } }

// StepStatus is what happened to a step.
type StepStatus uint8

// The step statuses.
const (
	// StepPending: not finished (seen only in Progress and for steps of an interrupted run).
	StepPending StepStatus = iota
	// StepRunning: started (seen only in Progress).
	StepRunning
	// StepSucceeded: the call was made and the target verified.
	StepSucceeded
	// StepAlreadyDone: the target was already as the step leaves it; no call was made.
	StepAlreadyDone
	// StepFailed: the call or its verification failed.
	StepFailed
	// StepSkipped: not attempted, because a step it depends on or an earlier wave did not
	// succeed, or the run stopped.
	StepSkipped
	// StepDrift: refused because the target no longer looks as the plan expected.
	StepDrift
)

var stepStatusNames = [...]string{"Pending", "Running", "Succeeded", "AlreadyDone", "Failed", "Skipped", "Drift"}

// String returns the status's name, e.g. "AlreadyDone".
func (s StepStatus) String() string {
	if int(s) < len(stepStatusNames) {
		return stepStatusNames[s]
	}
	return fmt.Sprintf("StepStatus(%d)", uint8(s))
}

// OK reports whether the step reached its result (Succeeded or AlreadyDone).
func (s StepStatus) OK() bool { return s == StepSucceeded || s == StepAlreadyDone }

func parseStepStatus(s string) (StepStatus, bool) {
	for i, n := range stepStatusNames {
		if n == s {
			return StepStatus(i), true
		}
	}
	return 0, false
}

// Progress reports a step starting or finishing.
type Progress struct {
	Done   int        // steps finished so far (any status, resumed ones included)
	Total  int        // steps in the plan
	Step   *Step      // the step that started or finished
	Status StepStatus // StepRunning when it started, its final status when it finished
	Err    error      // why it did not succeed, if it did not
}

// StepResult is what happened to one step.
type StepResult struct {
	Step   *Step
	Status StepStatus
	// Err says why the step did not succeed: a *licensing.Error (Drift, the kind Entra refused
	// with, Throttled after the last attempt, …) or the context's error.
	Err error
	// Calls is the number of write calls made for the step (retries included; 0 when already done).
	Calls int
	// Resumed is true when the journal recorded the step as done by an earlier run and reading
	// its target back before anything was written found its result there: no call was made.
	Resumed bool
	// Held is true for a step of a wave after WithUntilWave's: not started, status Pending.
	Held bool
	// Started and Finished are the clock's times around the step (zero when it did not run).
	Started, Finished time.Time
	// Learned is set when Entra refused the step with its own words for a rule — "service plan
	// X depends on the service plan(s) A,B,C" or "service plans X,Y are mutually exclusive" —
	// that the plan's rules did not predict: the rules/v1 entry that would have, to add to a
	// rules file (licensing.RuleFromEntraMessage).
	Learned *licensing.Rules
}

// ApplyResult is the outcome of Apply.
type ApplyResult struct {
	TenantID string
	// PlanHash identifies the plan ("sha256:" and the hex digest of its plan/v1 JSON), as the journal records it.
	PlanHash string
	// Steps are the plan's steps, in plan order.
	Steps []StepResult
	// The number of steps per status.
	Succeeded, AlreadyDone, Failed, Skipped, Drift int
	// Resumed is the number of steps the journal recorded as done and the preflight found done
	// (counted in Succeeded or AlreadyDone): this run made no call for them.
	Resumed int
	// Held is the number of steps of waves after WithUntilWave's, not started (not failures).
	Held int
	// Stopped says why the run stopped before reaching every step (the context was cancelled,
	// the journal could not be written, a drift with WithStopOnDrift), or nil.
	Stopped error
}

// Step returns the result of the step with the id.
func (r *ApplyResult) Step(id string) (*StepResult, bool) {
	for i := range r.Steps {
		if r.Steps[i].Step.ID == id {
			return &r.Steps[i], true
		}
	}
	return nil, false
}

func (r *ApplyResult) count() {
	r.Succeeded, r.AlreadyDone, r.Failed, r.Skipped, r.Drift, r.Resumed, r.Held = 0, 0, 0, 0, 0, 0, 0
	for _, s := range r.Steps {
		if s.Resumed {
			r.Resumed++
		}
		if s.Held && s.Status == StepPending {
			r.Held++
			continue
		}
		switch s.Status {
		case StepSucceeded:
			r.Succeeded++
		case StepAlreadyDone:
			r.AlreadyDone++
		case StepFailed, StepPending, StepRunning:
			r.Failed++
		case StepSkipped:
			r.Skipped++
		case StepDrift:
			r.Drift++
		}
	}
}

// OK reports whether every step succeeded or was already done (held steps aside: a run stopped
// by WithUntilWave whose waves all succeeded is OK).
func (r *ApplyResult) OK() bool {
	return r.Stopped == nil && r.Failed+r.Skipped+r.Drift == 0
}

// Summary describes the run in one line, e.g. "15 steps: 12 succeeded, 1 already done, 1 drift
// (s2), 1 skipped (s4)" or "3 steps: 3 succeeded (3 done earlier, per the journal)".
func (r *ApplyResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d steps: %d succeeded", len(r.Steps), r.Succeeded)
	part := func(n int, label string, st StepStatus) {
		if n == 0 {
			return
		}
		fmt.Fprintf(&b, ", %d %s", n, label)
		if st == StepSucceeded {
			return
		}
		var ids []string
		for _, s := range r.Steps {
			if s.Status == st || (st == StepFailed && (s.Status == StepPending || s.Status == StepRunning)) {
				ids = append(ids, s.Step.ID)
			}
		}
		if len(ids) > 8 {
			ids = append(ids[:8], "…")
		}
		if st != StepAlreadyDone {
			fmt.Fprintf(&b, " (%s)", strings.Join(ids, " "))
		}
	}
	part(r.AlreadyDone, "already done", StepAlreadyDone)
	if r.Resumed > 0 {
		fmt.Fprintf(&b, " (%d done earlier, per the journal, and verified)", r.Resumed)
	}
	part(r.Drift, "drift", StepDrift)
	part(r.Failed, "failed", StepFailed)
	part(r.Skipped, "skipped", StepSkipped)
	if r.Held > 0 {
		wave := -1
		for _, s := range r.Steps {
			if s.Held && (wave < 0 || s.Step.Wave < wave) {
				wave = s.Step.Wave
			}
		}
		fmt.Fprintf(&b, ", %d held from wave %d on (not started, as asked; run again to continue)", r.Held, wave)
	}
	if r.Stopped != nil {
		fmt.Fprintf(&b, "; stopped: %v", redact(r.Stopped.Error()))
	}
	return b.String()
}

// Err returns nil when every step succeeded or was already done, and an *ApplyError otherwise.
func (r *ApplyResult) Err() error {
	if r.OK() {
		return nil
	}
	return &ApplyError{Result: r}
}

// ApplyError is the error Apply returns when a step did not succeed. errors.Is and errors.As
// look into the steps' errors: errors.Is(err, licensing.Drift) is true when a step drifted.
type ApplyError struct {
	Result *ApplyResult
}

// Error is the summary and the first failures' errors.
func (e *ApplyError) Error() string {
	var b strings.Builder
	b.WriteString("apply: ")
	b.WriteString(e.Result.Summary())
	n := 0
	for _, s := range e.Result.Steps {
		if s.Err == nil || s.Status == StepSkipped {
			continue
		}
		if n == 3 {
			b.WriteString("; …")
			break
		}
		fmt.Fprintf(&b, "; %s: %s", s.Step.ID, redact(s.Err.Error()))
		n++
	}
	return b.String()
}

// Unwrap returns the steps' errors and why the run stopped.
func (e *ApplyError) Unwrap() []error {
	var out []error
	if e.Result.Stopped != nil {
		out = append(out, e.Result.Stopped)
	}
	for _, s := range e.Result.Steps {
		if s.Err != nil && s.Status != StepSkipped {
			out = append(out, s.Err)
		}
	}
	return out
}

// validateForApply checks what the executor relies on: unique step ids, dependencies on steps
// of the same or an earlier wave, no cycles, targets and groups where actions need them.
func validateForApply(p *Plan) error {
	bad := func(format string, args ...any) error {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: " + fmt.Sprintf(format, args...)}
	}
	idx := make(map[string]int, len(p.Steps))
	for i, s := range p.Steps {
		if s == nil {
			return bad("steps[%d] is nil", i)
		}
		if s.ID == "" {
			return bad("steps[%d] has no id", i)
		}
		if _, dup := idx[s.ID]; dup {
			return bad("step id %q appears twice", s.ID)
		}
		idx[s.ID] = i
		if s.Target.ID == "" {
			return bad("step %s has no target id", s.ID)
		}
		switch s.Action {
		case AddGroupMember, RemoveGroupMember, WaitForGroupProcessing:
			if s.Group == nil || s.Group.ID == "" {
				return bad("step %s (%s) has no group", s.ID, s.Action)
			}
		case AssignLicense, SetUsageLocation, ReprocessLicenseAssignment:
		default:
			return bad("step %s has unknown action %s", s.ID, s.Action)
		}
		if s.Action != AssignLicense && s.Action != WaitForGroupProcessing && s.Target.Type != licensing.TargetUser {
			return bad("step %s (%s) needs a user target, not %q", s.ID, s.Action, s.Target.Type)
		}
	}
	for _, s := range p.Steps {
		for _, d := range s.DependsOn {
			j, ok := idx[d]
			if !ok {
				return bad("step %s depends on %q, which is not a step of the plan", s.ID, d)
			}
			if p.Steps[j].Wave > s.Wave {
				return bad("step %s (wave %d) depends on %s of the later wave %d", s.ID, s.Wave, d, p.Steps[j].Wave)
			}
		}
	}
	// Cycles: depth-first search with colours.
	colour := make([]uint8, len(p.Steps))
	var visit func(i int) error
	visit = func(i int) error {
		colour[i] = 1
		for _, d := range p.Steps[i].DependsOn {
			j := idx[d]
			switch colour[j] {
			case 1:
				return bad("steps %s and %s depend on each other (a cycle)", p.Steps[i].ID, d)
			case 0:
				if err := visit(j); err != nil {
					return err
				}
			}
		}
		colour[i] = 2
		return nil
	}
	for i := range p.Steps {
		if colour[i] == 0 {
			if err := visit(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTenant refuses a plan made for another tenant (see Apply).
func (r *runner) checkTenant(ctx context.Context) error {
	want := r.plan.TenantID
	if want == "" {
		return nil
	}
	got := r.cfg.tenantID
	if got == "" {
		skus, err := r.seats.refresh(ctx)
		if err != nil {
			return fmt.Errorf("apply: reading the tenant's subscribedSkus to check the plan is for it: %w", err)
		}
		got, err = tenantIDFromSkus(skus)
		if err != nil {
			return err
		}
		if got == "" {
			return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("apply: cannot tell whether the tenant is %s, which the plan was made for: its subscribedSkus carry no \"tenantId_skuId\" ids; pass WithTenantID", want)}
		}
	}
	if !strings.EqualFold(got, want) {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("apply: the plan was made for tenant %s, not for this tenant %s", want, got)}
	}
	return nil
}

// tenantIDFromSkus reads the tenant id out of subscribedSku ids ("tenantId_skuId").
func tenantIDFromSkus(skus []licensing.SubscribedSku) (string, error) {
	id := ""
	for _, k := range skus {
		suffix := "_" + k.SkuID.String()
		if len(k.ID) <= len(suffix) || !strings.EqualFold(k.ID[len(k.ID)-len(suffix):], suffix) {
			continue
		}
		t := k.ID[:len(k.ID)-len(suffix)]
		if id != "" && !strings.EqualFold(id, t) {
			return "", &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("apply: the tenant's subscribedSkus name two tenants, %s and %s; pass WithTenantID", id, t)}
		}
		id = t
	}
	return id, nil
}

// runWaves runs the waves in order.
func (r *runner) runWaves(ctx context.Context) {
	var waves []int
	for _, s := range r.plan.Steps {
		if !slices.Contains(waves, s.Wave) {
			waves = append(waves, s.Wave)
		}
	}
	slices.Sort(waves)
	blocked := ""
	for _, w := range waves {
		var steps []int
		for i, s := range r.plan.Steps {
			if s.Wave == w {
				steps = append(steps, i)
			}
		}
		if r.cfg.untilWave >= 0 && w > r.cfg.untilWave && blocked == "" && r.stopped == nil {
			// Held for sign-off: no entry in the journal, so that the next run starts them.
			for _, i := range steps {
				if r.res.Steps[i].Status == StepPending {
					r.res.Steps[i].Held = true
				}
			}
			continue
		}
		if blocked == "" && r.stopped == nil {
			if w != waves[0] {
				r.seats.invalidate() // the first wave uses the seats read to check the tenant
			}
			r.runWave(ctx, w, steps)
		}
		if blocked != "" || r.stopped != nil {
			reason := blocked
			if reason == "" {
				reason = "the run stopped: " + r.stopped.Error()
			}
			for _, i := range steps {
				if r.res.Steps[i].Status == StepPending {
					r.skip(i, reason)
				}
			}
		}
		if blocked == "" {
			for _, i := range steps {
				if !r.res.Steps[i].Status.OK() {
					blocked = fmt.Sprintf("wave %d not started: step %s of wave %d did not succeed", w+1, r.plan.Steps[i].ID, w)
					break
				}
			}
			if blocked != "" && w != waves[len(waves)-1] {
				r.log.Warn("apply: later waves will not start", "wave", w, "reason", blocked)
			}
		}
	}
	r.res.Stopped = r.stopped
}

type stepDone struct {
	i   int
	out stepOutcome
}

// runWave runs the steps of one wave (indexes into the plan, ascending) as their dependencies
// allow. Ready steps start in plan order; the work per finished step is proportional to its
// dependents, so that waves of a million steps schedule in linear time.
func (r *runner) runWave(ctx context.Context, wave int, steps []int) {
	inWave := make(map[int]bool, len(steps))
	for _, i := range steps {
		inWave[i] = true
	}
	waitingDeps := make(map[int]int, len(steps)) // pending step → dependencies not yet succeeded
	ready := &indexHeap{}
	for _, i := range steps {
		if r.res.Steps[i].Status != StepPending {
			continue
		}
		n := 0
		for _, d := range r.plan.Steps[i].DependsOn {
			if !r.res.Steps[r.index[d]].Status.OK() {
				n++
			}
		}
		waitingDeps[i] = n
		if n == 0 {
			heap.Push(ready, i)
		}
	}
	onTarget := map[string][]int{} // ready steps waiting for their target to be free
	results := make(chan stepDone)
	running := 0
	for {
		if r.stopped == nil && ctx.Err() != nil {
			r.stopped = ctx.Err()
		}
		for r.stopped == nil && running < r.cfg.concurrency && ready.Len() > 0 {
			i := heap.Pop(ready).(int)
			if r.res.Steps[i].Status != StepPending {
				continue
			}
			s := r.plan.Steps[i]
			key := targetKey(s)
			if r.busy[key] {
				onTarget[key] = append(onTarget[key], i)
				continue
			}
			if err := r.journal.write(JournalEntry{Event: EventStarted, Step: s.ID, Action: s.Action.String(), Target: s.Target.ID}); err != nil {
				r.stopped = fmt.Errorf("writing the journal: %w", err)
				heap.Push(ready, i)
				break
			}
			r.busy[key] = true
			r.res.Steps[i].Status = StepRunning
			r.res.Steps[i].Started = r.clock.Now()
			r.report(i, nil)
			r.log.Info("apply: step started", "step", s.ID, "action", s.Action.String(), "target", s.Target.ID, "wave", wave)
			running++
			go func(i int) { results <- stepDone{i, r.runStep(ctx, r.plan.Steps[i])} }(i)
		}
		if running == 0 {
			break
		}
		d := <-results
		running--
		s := r.plan.Steps[d.i]
		key := targetKey(s)
		delete(r.busy, key)
		for _, j := range onTarget[key] {
			heap.Push(ready, j)
		}
		delete(onTarget, key)
		r.finish(d.i, d.out)
		if d.out.status.OK() {
			for _, j := range r.dependents[d.i] {
				if inWave[j] && r.res.Steps[j].Status == StepPending {
					if waitingDeps[j]--; waitingDeps[j] == 0 {
						heap.Push(ready, j)
					}
				}
			}
		} else {
			r.skipDependents(d.i)
		}
		if d.out.status == StepDrift && r.cfg.stopOnDrift && r.stopped == nil {
			r.stopped = fmt.Errorf("step %s drifted (WithStopOnDrift): %w", s.ID, d.out.err)
		}
	}
	if r.stopped != nil {
		for _, i := range steps {
			if r.res.Steps[i].Status == StepPending {
				r.skip(i, "the run stopped: "+r.stopped.Error())
			}
		}
	}
}

func targetKey(s *Step) string { return string(s.Target.Type) + ":" + strings.ToLower(s.Target.ID) }

// skipDependents skips the pending steps that depend, directly or not, on step i, which did not succeed.
func (r *runner) skipDependents(i int) {
	queue := []int{i}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for _, j := range r.dependents[k] {
			if r.res.Steps[j].Status != StepPending {
				continue
			}
			r.skip(j, fmt.Sprintf("step %s it depends on did not succeed (%s)", r.plan.Steps[k].ID, r.res.Steps[k].Status))
			queue = append(queue, j)
		}
	}
}

// indexHeap is a min-heap of step indexes: ready steps start in plan order.
type indexHeap []int

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(a, b int) bool { return h[a] < h[b] }
func (h indexHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *indexHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (r *runner) skip(i int, reason string) {
	s := r.plan.Steps[i]
	sr := &r.res.Steps[i]
	sr.Status = StepSkipped
	sr.Err = errors.New("skipped: " + reason)
	r.done++
	_ = r.journal.write(JournalEntry{Event: EventSkipped, Step: s.ID, Action: s.Action.String(), Target: s.Target.ID, Status: StepSkipped.String(), Message: reason})
	r.report(i, sr.Err)
	r.log.Info("apply: step skipped", "step", s.ID, "reason", reason)
}

// learn returns the rules/v1 entry an unpredicted refusal's text names (see StepResult.Learned).
func (r *runner) learn(err error) *licensing.Rules {
	var e *licensing.Error
	if !errors.As(err, &e) || (e.Kind != licensing.DependencyViolation && e.Kind != licensing.MutuallyExclusiveViolation && e.Kind != licensing.GroupPrerequisiteMissing) {
		return nil
	}
	rules, ok := licensing.RuleFromEntraMessage(e.Message, r.plan.cat, r.clock.Now().UTC().Format(time.DateOnly))
	if !ok {
		return nil
	}
	return rules
}

func (r *runner) finish(i int, out stepOutcome) {
	s := r.plan.Steps[i]
	sr := &r.res.Steps[i]
	sr.Status, sr.Err, sr.Calls = out.status, out.err, out.calls
	sr.Finished = r.clock.Now()
	sr.Learned = r.learn(out.err)
	r.done++
	e := JournalEntry{Step: s.ID, Action: s.Action.String(), Target: s.Target.ID, Status: out.status.String(), Calls: out.calls,
		Before: r.stateJSON(s, out.before), After: r.stateJSON(s, out.after)}
	if out.status.OK() {
		e.Event = EventSucceeded
		r.log.Info("apply: step done", "step", s.ID, "status", out.status.String(), "calls", out.calls)
	} else {
		e.Event = EventFailed
		e.Kind, e.Message = errorKindName(out.err), redact(out.err.Error())
		r.log.Warn("apply: step did not succeed", "step", s.ID, "status", out.status.String(), "kind", e.Kind, "error", e.Message)
	}
	if err := r.journal.write(e); err != nil && r.stopped == nil {
		r.stopped = fmt.Errorf("writing the journal: %w", err)
	}
	r.report(i, out.err)
}

func (r *runner) report(i int, err error) {
	if r.cfg.progress == nil {
		return
	}
	r.cfg.progress(Progress{Done: r.done, Total: len(r.plan.Steps), Step: r.plan.Steps[i], Status: r.res.Steps[i].Status, Err: err})
}

// errorKindName is the journal's "kind" of an error: the licensing kind, or "" for errors that
// are not *licensing.Error (such as a cancelled context).
func errorKindName(err error) string {
	var le *licensing.Error
	if errors.As(err, &le) {
		return le.Kind.String()
	}
	return ""
}
