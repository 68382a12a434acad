// Package licenseflow applies licenseplan plans durably on Temporal: each step of a plan is an
// activity that runs planner.Executor.RunStep (precondition, write, verification), so a plan
// survives deploys, crashes and the loss of a worker, pauses for sign-off between waves, and
// spreads over as many workers as there are.
//
// The workflows:
//
//   - ApplyPlan applies one stored plan to one tenant, wave by wave. Within a wave a step starts
//     when the steps it depends on succeeded, at most ApplyOptions.Concurrency at once and never
//     two on the same target. A waitForGroupProcessing step is a durable timer between polls
//     (the PollGroup activity), not a sleeping worker. Signals: SignalApprove (the number of the
//     wave it approves; with ApplyOptions.ApproveWaves every wave after the first waits for it)
//     and SignalStop (no new step starts; the steps in flight finish). Query: QueryProgress
//     (steps done, failed, pending, the current wave, an ETA). Cancelling the workflow lets the
//     steps in flight finish — write and verification — and starts no other: no step is left
//     half-done. Long plans continue as new every ApplyOptions.ContinueAfter steps, so that a
//     million-step plan never makes one history too long.
//   - ApplyTenant plans a desired state against one tenant (the PlanTenant activity reads it and
//     stores the plan) and applies the plan as a child ApplyPlan.
//   - ApplyFleet runs ApplyTenant for many tenants as child workflows, each with its own
//     credential reference and task queue, and sums up every tenant's outcome; one tenant's
//     failure does not stop the others.
//
// Retries: the activities run the Executor with one attempt per step (planner.RetryPolicy
// MaxAttempts 1) and let Temporal's retry policy own the step's retries: a retryable failure
// (planner.ErrRetryable: throttling, a transient error, a worker's context ending) is returned
// as an error, with Graph's Retry-After as the next retry's delay; a final one
// (planner.ErrFinal: drift, a violation Entra refused) is returned as the step's outcome and
// never retried. A step run again — a retry after a lost reply, a worker killed mid-write — is
// idempotent: its precondition finds the result there and makes no write.
//
// Quota: every activity of a tenant runs on that tenant's task queue (TaskQueueFor), and the
// workers of that queue set Temporal's server-side TaskQueueActivitiesPerSecond to the tenant's
// write quota (NewTenantWorker): the limit holds across all workers, not per process.
//
// Plans travel by reference: a PlanStore keeps the plan/v1 file, and workflows and activities
// pass its PlanRef (location and sha256), never the plan itself, so histories stay small.
package licenseflow
