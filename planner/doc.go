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
//	state, _ := licensing.NewState(snapshot)
//	desired, _ := planner.ReadDesired(file)
//	plan := planner.Build(state, desired)
//	if plan.Applyable() {
//		res, err := planner.Apply(ctx, tenant, plan, planner.WithJournalFile("apply.journal"))
//		fmt.Println(res.Summary(), err)
//	}
package planner
