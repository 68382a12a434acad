// Package planner turns a desired licensing state into an ordered, explainable, deterministic
// plan of Entra calls, predicts every error Entra would raise before a call is made, and applies
// plans to a Tenant with preconditions, a journal to resume from, rate limiting and verification.
//
// # Desired state
//
// ReadDesired reads desired/v1: per-user and per-group targets (mode exact or ensure;
// disabledPlans or an enabledPlans allowlist; licensed-group memberships; per-user consent to
// lose named plans), attribute rules (policy as code), a direct → group migration in waves, and
// options (allowServiceLoss, makeBeforeBreak). Names are resolved against the tenant when
// planning; mistakes become problems that name their location in the file and the closest
// valid name.
//
// # Plans
//
// Build(state, desired) predicts every step on a copy of the licensing.State, in the order it
// will run: group license changes and their processing, usage locations, group joins, exactly
// one assignLicense per user whose direct licenses change (adds and removes together, so a
// conflicting swap such as E1 → E3 is atomic; with makeBeforeBreak and licenses that may be
// held together, add then remove), migration removals in waves (only where the user's active
// group paths already enable every plan the direct path enables), group leaves, and
// reprocessing where the plan removed the cause of an error. Every Entra error it predicts,
// every plan a user would lose without consent (ServiceLoss), and every user a migration
// leaves alone is a Problem; a plan with an error-severity problem is not Applyable.
//
// A Plan renders as text (WriteText: a diff with + ~ - symbols and the seat table), Markdown
// (WriteMarkdown, for review in a pull request) and plan/v1 JSON (WriteJSON / ReadPlan). The
// same tenant and desired state give byte-identical output.
//
// # Apply
//
// Apply runs a plan on a Tenant (fake.Tenant offline, graphadapter.Tenant on Microsoft Graph):
// waves in order; within a wave, steps as soon as their dependencies succeeded, with bounded
// concurrency and a write rate limit; each step first checks that its target still looks as
// the plan assumed (otherwise Drift) and afterwards re-reads it (verification); throttled and
// transient failures are retried honouring Retry-After; group processing is waited for; a
// JSON-lines journal (WithJournalFile) lets an interrupted run resume without redoing finished
// steps.
//
// Apply is one driver of Executor, which runs one step at a time — precondition, write,
// verification, idempotent — and classifies why a step did not succeed as ErrRetryable or
// ErrFinal (errors.Is): a durable workflow engine drives it step by step instead
// (examples/temporal runs each step as a Temporal activity).
//
//	state, _ := licensing.NewState(snapshot)
//	desired, _ := planner.ReadDesired(file)
//	plan := planner.Build(state, desired)
//	if plan.Applyable() {
//		res, err := planner.Apply(ctx, tenant, plan, planner.WithJournalFile("apply.journal"))
//		fmt.Println(res.Summary(), err)
//	}
//
// # Where things live
//
// The package has four concerns, each in files of its own prefix, and they meet only through
// the plan types of plan.go:
//
//   - desired*.go: the desired/v1 format (ReadDesired, Desired and its targets) and its checks.
//   - build*.go: Build, by phase in the order a plan runs — build_targets (desired names
//     resolved to targets), build_groups (group license changes and their processing),
//     build_joins (usage locations, group joins), build_direct (one assignLicense per user,
//     prepared in parallel), build_migration (direct → group in waves), build_leave (leaves and
//     reprocessing), build_reclaim (desired/v1 reclaim: disabled and inactive users' licenses,
//     through their targets), build_checks (stuck paths, discouraged combinations, inherited licenses),
//     with build_moves (the gap-free order of group moves), build_rules (attribute rules),
//     build_country, build_groupkinds and build_intern (shared slices for million-user plans).
//   - plan*.go: the Plan, Step and Problem types, the plan/v1 file (plan_json, plan_json_step:
//     steps written one a line without reflection) and the text/Markdown renderers (plan_render).
//   - apply*.go: the executor — Executor, the step-level API any engine drives (apply_exec),
//     Apply and its options, the Tenant it drives (apply_tenant), the preflight, one step's precondition/write/verification (apply_step), rate and retry limits
//     (apply_limits; the retry package says which layer retries what) and the journal.
package planner
