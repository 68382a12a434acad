package licenseflow_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/licenseplan/licenseplan/examples/temporal/licenseflow"
)

// The histories of real runs on a Temporal dev server (testdata/histories, exported with
// `temporal workflow show --output json`) replay against today's workflow code: a change that
// would make a running workflow non-deterministic — a workflow in flight during a deploy
// failing to resume — fails here first. r1 is a fleet with approval between two waves (the
// fleet, its tenant and the tenant's ApplyPlan), against fakegraph --fail-rate 0.2; r2 a group
// move whose wait for group processing polled on a durable timer. When a change to the
// workflows is deliberate, version it (workflow.GetVersion) rather than re-recording.
func TestReplayRecordedHistories(t *testing.T) {
	const tenant = "0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908"
	files, err := filepath.Glob("testdata/histories/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	logger := tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	// The workflow ids the histories ran under: the workflows name their children after them.
	ids := map[string]string{
		"r1.json":              "r1",
		"r1-tenant.json":       "r1/" + tenant,
		"r1-tenant-apply.json": "r1/" + tenant + "/apply",
		"r2-tenant-apply.json": "r2/" + tenant + "/apply",
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			id, ok := ids[filepath.Base(f)]
			require.True(t, ok, "add the workflow id %s ran under to the test", f)
			file, err := os.Open(f)
			require.NoError(t, err)
			defer file.Close()
			h, err := client.HistoryFromJSON(file, client.HistoryJSONOptions{})
			require.NoError(t, err)
			r := worker.NewWorkflowReplayer()
			licenseflow.RegisterWorkflows(r)
			require.NoError(t, r.ReplayWorkflowHistoryWithOptions(logger, h, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: id}}))
		})
	}
}
