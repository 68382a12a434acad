package licenseflow_test

import (
	"context"
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/licenseplan/licenseplan/examples/temporal/licenseflow"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/planner"
)

// A worker process: the workflows on the shared queue, and one rate-limited activity queue per
// tenant it can reach. Then a starter applies a desired state across tenants.
func Example() {
	c, err := client.Dial(client.Options{HostPort: "127.0.0.1:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	acts := &licenseflow.Activities{
		Plans: licenseflow.DirStore{Dir: "/shared/plans"},
		Connect: func(ctx context.Context, t licenseflow.TenantRef) (planner.Tenant, error) {
			// Resolve t.Credential to a credential of this tenant (a secret store, a managed identity…).
			return graphadapter.New(graphadapter.WithDefaultCredential())
		},
	}
	wf := worker.New(c, licenseflow.WorkflowTaskQueue, worker.Options{})
	licenseflow.RegisterWorkflows(wf)
	tenant := licenseflow.TenantRef{ID: "0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908", Credential: "contoso"}
	tw := licenseflow.NewTenantWorker(c, tenant, acts, 20) // Graph's 20 writes/s, across all workers
	for _, w := range []worker.Worker{wf, tw} {
		if err := w.Start(); err != nil {
			log.Fatal(err)
		}
		defer w.Stop()
	}

	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "e3-rollout", TaskQueue: licenseflow.WorkflowTaskQueue},
		licenseflow.ApplyFleet, licenseflow.FleetInput{
			Jobs:    []licenseflow.TenantJob{{Tenant: tenant, Desired: []byte(`{"formatVersion": "desired/v1", "users": []}`)}},
			Options: licenseflow.ApplyOptions{ApproveWaves: true},
		})
	if err != nil {
		log.Fatal(err)
	}
	var res licenseflow.FleetResult
	err = run.Get(context.Background(), &res) // every tenant's outcome; approve waves with the "approve" signal meanwhile
	log.Println(res.Done, "tenants done", err)
}
