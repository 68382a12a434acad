package licenseflow

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// RegisterWorkflows registers ApplyPlan, ApplyTenant and ApplyFleet on a worker of the workflow
// queue (WorkflowTaskQueue).
func RegisterWorkflows(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(ApplyPlan, workflow.RegisterOptions{Name: "ApplyPlan"})
	w.RegisterWorkflowWithOptions(ApplyTenant, workflow.RegisterOptions{Name: "ApplyTenant"})
	w.RegisterWorkflowWithOptions(ApplyFleet, workflow.RegisterOptions{Name: "ApplyFleet"})
}

// NewTenantWorker returns a worker of the tenant's activity queue with the tenant's write quota
// as Temporal's server-side rate limit (TaskQueueActivitiesPerSecond): the server dispatches at
// most writesPerSecond activities a second on the queue, over all its workers together. Each
// RunStep makes at most one write (Graph may have the adapter retry its request after a 429),
// so the tenant's writes keep to the quota however many workers run. Graph's identity and access
// write quota is 3,000 writes per 2 minutes 30 seconds per app and tenant, 20 a second
// (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits;
// fake.GraphThrottle models it).
func NewTenantWorker(c client.Client, t TenantRef, a *Activities, writesPerSecond float64) worker.Worker {
	w := worker.New(c, t.Queue(), worker.Options{TaskQueueActivitiesPerSecond: writesPerSecond})
	w.RegisterActivity(a)
	return w
}
