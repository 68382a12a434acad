package licenseflow

import (
	"fmt"
	"strings"
	"time"
)

// Names of the workflows' signals and query, and the default workflow task queue.
const (
	// SignalApprove approves a wave: its payload is the wave's number (an int). Approving wave
	// n approves every wave up to n.
	SignalApprove = "approve"
	// SignalStop stops the run: no new step starts, the steps in flight finish. Its payload
	// is a reason (a string, may be empty).
	SignalStop = "stop"
	// QueryProgress returns a Progress.
	QueryProgress = "progress"
	// WorkflowTaskQueue is where the workflows run unless a starter says otherwise; the
	// activities run on each tenant's own queue (TaskQueueFor).
	WorkflowTaskQueue = "licenseplan"
)

// TenantRef names a tenant and how a worker reaches it, without any secret: Credential is a
// reference the worker resolves (Activities.Connect), such as the name of a configured
// connection.
type TenantRef struct {
	// ID is the tenant's id (a GUID), as the plan's TenantID has it.
	ID string
	// Credential names the connection a worker uses for the tenant ("" for the worker's default).
	Credential string `json:",omitempty"`
	// TaskQueue is the queue the tenant's activities run on ("" for TaskQueueFor(ID)).
	TaskQueue string `json:",omitempty"`
}

// Queue returns the task queue of the tenant's activities.
func (t TenantRef) Queue() string {
	if t.TaskQueue != "" {
		return t.TaskQueue
	}
	return TaskQueueFor(t.ID)
}

// TaskQueueFor is the task queue of a tenant's activities: "licenseplan-tenant-" and the
// tenant id in lower case. Its workers carry the tenant's write quota (NewTenantWorker).
func TaskQueueFor(tenantID string) string {
	return "licenseplan-tenant-" + strings.ToLower(tenantID)
}

// PlanRef names a stored plan/v1 file: where a PlanStore keeps it and the sha256 of its bytes,
// which every reader checks.
type PlanRef struct {
	Location string
	SHA256   string
}

// String names the plan for messages: its location and the start of its sha256.
func (r PlanRef) String() string { return fmt.Sprintf("%s (sha256 %.12s)", r.Location, r.SHA256) }

// ApplyOptions tune ApplyPlan. Zero fields take the defaults (see withDefaults).
type ApplyOptions struct {
	// Concurrency is how many steps run at once (default 8). The tenant's write quota is the
	// task queue's rate limit, not this.
	Concurrency int `json:",omitempty"`
	// ApproveWaves makes every wave after the first wait for SignalApprove with its number.
	ApproveWaves bool `json:",omitempty"`
	// StepTimeout bounds one attempt of a step (StartToCloseTimeout, default 5m);
	// HeartbeatTimeout is how long a silent attempt is taken as lost (default 30s): a worker
	// that died is noticed then, and another takes the step.
	StepTimeout      time.Duration `json:",omitempty"`
	HeartbeatTimeout time.Duration `json:",omitempty"`
	// MaxAttempts bounds the attempts of a step that keeps failing retryably (default 10).
	MaxAttempts int32 `json:",omitempty"`
	// GroupPoll is the durable timer between polls of a group Entra is processing (default
	// 30s); GroupTimeout how long to wait for it (default 30m).
	GroupPoll    time.Duration `json:",omitempty"`
	GroupTimeout time.Duration `json:",omitempty"`
	// ChunkSize is how many steps one Outline activity returns (default 500).
	ChunkSize int `json:",omitempty"`
	// ContinueAfter is how many steps a run finishes before it continues as new (default 2000).
	ContinueAfter int `json:",omitempty"`
}

func (o ApplyOptions) withDefaults() ApplyOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	def(&o.StepTimeout, 5*time.Minute)
	def(&o.HeartbeatTimeout, 30*time.Second)
	def(&o.GroupPoll, 30*time.Second)
	def(&o.GroupTimeout, 30*time.Minute)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 500
	}
	if o.ContinueAfter <= 0 {
		o.ContinueAfter = 2000
	}
	return o
}

// ApplyInput starts ApplyPlan.
type ApplyInput struct {
	Tenant  TenantRef
	Plan    PlanRef
	Options ApplyOptions
	// Carry is what a run hands the run it continues as; nil when starting.
	Carry *Carry `json:",omitempty"`
}

// Carry is the state ApplyPlan continues as new with.
type Carry struct {
	Progress Progress
	Offset   int             // the next step (index in the plan) to outline
	NotOK    map[string]bool // steps that did not succeed, for their dependents
	Approved int             // the highest wave approved (-1: none)
	Blocked  string          // why later waves do not start ("" while they may)
}

// The outcomes of a run (Progress.Outcome).
const (
	OutcomeRunning   = "running"
	OutcomeDone      = "done"      // every step succeeded or was already done
	OutcomeFailed    = "failed"    // a step failed or drifted; later waves did not start
	OutcomeStopped   = "stopped"   // SignalStop; the steps not started are pending
	OutcomeCancelled = "cancelled" // the workflow was cancelled; the steps in flight finished
)

// Progress is what QueryProgress answers and what ApplyPlan returns.
type Progress struct {
	Tenant  string
	Plan    PlanRef
	Outcome string
	Total   int // steps in the plan
	Done    int // finished, whatever their status
	Running int
	Pending int // not started
	Waves   int
	Wave    int // the wave running (or waiting for approval)
	// The finished steps by status.
	Succeeded, AlreadyDone, Failed, Drift, Skipped int
	// Writes is the number of write calls the steps made.
	Writes int
	// WaitingForApproval is set while the run waits for SignalApprove of Wave.
	WaitingForApproval bool   `json:",omitempty"`
	StopReason         string `json:",omitempty"`
	Started            time.Time
	Updated            time.Time
	// ETA is the time the remaining steps take at the pace so far (0 until a step finished).
	ETA time.Duration
	// Failures are the steps that did not succeed, first 100.
	Failures []StepFailure `json:",omitempty"`
}

// StepFailure is one step that did not succeed.
type StepFailure struct {
	Step    string
	Status  string // Failed, Drift, Skipped
	Kind    string `json:",omitempty"` // the licensing kind, e.g. Drift, CountViolation
	Message string
}

// TenantJob is one tenant's work in ApplyTenant and ApplyFleet: a desired/v1 document to plan
// and apply, or an already stored plan.
type TenantJob struct {
	Tenant  TenantRef
	Desired []byte        `json:",omitempty"` // desired/v1 JSON; planned by PlanTenant
	Plan    PlanRef       `json:",omitempty"` // used when Desired is empty
	Options *ApplyOptions `json:",omitempty"`
}

// TenantOutcome is what happened to one tenant.
type TenantOutcome struct {
	Tenant  string
	Outcome string // an Outcome*, "not applyable", or "error"
	Plan    PlanRef
	Steps   int
	// Problems are the plan's error-severity problems when it is not applyable.
	Problems []string  `json:",omitempty"`
	Progress *Progress `json:",omitempty"`
	Error    string    `json:",omitempty"`
}

// FleetInput starts ApplyFleet.
type FleetInput struct {
	Jobs    []TenantJob
	Options ApplyOptions // for the jobs without their own
	// MaxParallel is how many tenants run at once (default: all).
	MaxParallel int `json:",omitempty"`
}

// FleetResult sums up ApplyFleet: one outcome per job, in the jobs' order.
type FleetResult struct {
	Tenants []TenantOutcome
	// Done, Failed: how many tenants ended done, and otherwise.
	Done, Failed int
}
