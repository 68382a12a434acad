// Package e2e runs licenseflow end to end on a real Temporal dev server: two workers apply a
// plan to fakegraph (Graph's throttle, one request in ten failing), one of them is killed mid-wave,
// and the other finishes the job. It runs only with LICENSEPLAN_TEMPORAL_E2E=1 and the temporal
// CLI at $TEMPORAL_CLI or on PATH; run.sh beside this file builds the CLI from its Go module and
// runs it.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/examples/temporal/internal/verify"
	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a child process whose output goes to a log file in the test's directory.
type proc struct {
	cmd  *exec.Cmd
	name string
}

func start(t *testing.T, dir, name string, bin string, args ...string) *proc {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, name+".log"))
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start(), "%s %v", bin, args)
	p := &proc{cmd: cmd, name: name}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
			}
		}
		log.Close()
	})
	return p
}

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, b)
	return out
}

func run(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// tenantFile generates a 600-user tenant (every user with a usage location) and a desired
// state that gives each department's users their SKU.
func tenantFile(t *testing.T, dir, licensectl string) (tenantPath, desiredPath, tenantID string) {
	t.Helper()
	tenantPath, desiredPath = filepath.Join(dir, "tenant.json"), filepath.Join(dir, "desired.json")
	out, err := run(t, licensectl, "generate", "--users", "600", "--seed", "7", "--lifecycle=false", "--out", tenantPath, "--desired", desiredPath)
	require.NoError(t, err, out)
	f, err := os.Open(tenantPath)
	require.NoError(t, err)
	snap, err := licensing.ReadSnapshot(f)
	f.Close()
	require.NoError(t, err)
	for i := range snap.Users {
		if snap.Users[i].UsageLocation == "" {
			snap.Users[i].UsageLocation = "US"
		}
	}
	var buf bytes.Buffer
	require.NoError(t, snap.WriteJSON(&buf))
	require.NoError(t, os.WriteFile(tenantPath, buf.Bytes(), 0o644))
	var d map[string]any
	raw, err := os.ReadFile(desiredPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &d))
	d["options"] = map[string]any{"allowServiceLoss": true}
	raw, err = json.Marshal(d)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(desiredPath, raw, 0o644))
	return tenantPath, desiredPath, snap.TenantID
}

func TestWorkerKilledMidWaveAnotherFinishes(t *testing.T) {
	if os.Getenv("LICENSEPLAN_TEMPORAL_E2E") != "1" {
		t.Skip("the end-to-end run on a Temporal dev server runs with LICENSEPLAN_TEMPORAL_E2E=1 (see run.sh)")
	}
	temporalCLI := os.Getenv("TEMPORAL_CLI")
	if temporalCLI == "" {
		var err error
		temporalCLI, err = exec.LookPath("temporal")
		require.NoError(t, err, "the temporal CLI: set TEMPORAL_CLI or put it on PATH (run.sh builds it)")
	}
	dir := t.TempDir()
	if keep := os.Getenv("LICENSEPLAN_E2E_DIR"); keep != "" {
		dir = keep
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	t.Logf("logs and files in %s", dir)
	licensectl := build(t, dir, "github.com/licenseplan/licenseplan/examples/licensectl")
	fakegraph := build(t, dir, "github.com/licenseplan/licenseplan/fake/cmd/fakegraph")
	licenseflow := build(t, dir, "github.com/licenseplan/licenseplan/examples/temporal/cmd/licenseflow")
	tenantPath, desiredPath, tenantID := tenantFile(t, dir, licensectl)

	// The Temporal dev server, in memory, on loopback.
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	start(t, dir, "temporal", temporalCLI, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", fmt.Sprint(port),
		"--http-port", fmt.Sprint(freePort(t)), "--metrics-port", fmt.Sprint(freePort(t)), "--log-level", "error")
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "the Temporal dev server did not start (see temporal.log)")
		time.Sleep(200 * time.Millisecond)
	}

	// fakegraph with Graph's throttle and one request in ten failing (503, lost replies, resets).
	fg := exec.Command(fakegraph, "--tenant", tenantPath, "--throttle", "graph", "--fail-rate", "0.1",
		"--fail-kinds", "unavailable,gatewayTimeout,lostReply,reset", "--seed", "3")
	stdout, err := fg.StdoutPipe()
	require.NoError(t, err)
	fglog, err := os.Create(filepath.Join(dir, "fakegraph.log"))
	require.NoError(t, err)
	fg.Stderr = fglog
	require.NoError(t, fg.Start())
	t.Cleanup(func() { _ = fg.Process.Signal(os.Interrupt); _ = fg.Wait(); fglog.Close() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	graphURL := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	base := strings.TrimSuffix(graphURL, "/v1.0")
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	plans := filepath.Join(dir, "plans")
	workerArgs := []string{"worker", "--temporal", addr, "--tenant", tenantID + "=" + graphURL, "--plans", plans, "--writes-per-second", "20"}
	workerA := start(t, dir, "worker-a", licenseflow, workerArgs...)
	start(t, dir, "worker-b", licenseflow, workerArgs...)

	id := "e2e-" + time.Now().UTC().Format("150405")
	out, err := run(t, licenseflow, "start", "--temporal", addr, "--tenant", tenantID, "--desired", desiredPath, "--id", id, "--concurrency", "16")
	require.NoError(t, err, out)
	applyID := id + "/" + tenantID + "/apply"
	t0 := time.Now()

	// Kill worker A (SIGKILL: no goodbye) once a quarter of the steps are done.
	killedAt := ""
	for killedAt == "" {
		out, err := run(t, licenseflow, "progress", "--temporal", addr, "--id", applyID)
		if err == nil {
			if done, total := doneOf(out); total > 0 && done*4 >= total {
				require.NoError(t, workerA.cmd.Process.Kill())
				_ = workerA.cmd.Wait()
				killedAt = strings.TrimSpace(out)
			}
		}
		require.Less(t, time.Since(t0), 5*time.Minute, "no progress: %s", out)
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("killed worker A at: %s", killedAt)

	out, err = run(t, licenseflow, "wait", "--temporal", addr, "--id", id)
	elapsed := time.Since(t0)
	require.NoError(t, err, out)
	var res struct {
		Tenants []struct {
			Outcome  string
			Progress struct {
				Total, Succeeded, AlreadyDone, Failed, Drift, Writes int
			}
		}
		Done, Failed int
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Len(t, res.Tenants, 1)
	pr := res.Tenants[0].Progress
	assert.Equal(t, "done", res.Tenants[0].Outcome)
	assert.Equal(t, pr.Total, pr.Succeeded+pr.AlreadyDone)

	// The tenant converged: planning again gives nothing to do.
	out, err = run(t, licensectl, "plan", "--graph-endpoint", graphURL, "--desired", desiredPath)
	require.NoError(t, err, out)
	assert.Contains(t, out, ": 0 steps", "re-plan after the run:\n%.2000s", out)

	// No write was carried out twice; writes kept to the quota.
	var writes struct{ Value []fake.WriteRecord }
	getJSON(t, base+"/_fake/writes", &writes)
	carried := map[string]int{}
	throttled, attempts := 0, 0
	var times []time.Time
	for _, w := range writes.Value {
		attempts++
		times = append(times, w.Time)
		if w.Outcome == "throttled" {
			throttled++
		}
		if w.CarriedOut {
			carried[w.Method+" "+w.Path+" "+w.Body]++
		}
	}
	for k, n := range carried {
		assert.Equal(t, 1, n, "carried out %d times: %s", n, k)
	}
	assert.Len(t, carried, pr.Total, "one write carried out per step")
	peak := peakPer(times, 10*time.Second)
	assert.LessOrEqual(t, peak, 10*20+40, "write requests in any 10 s (quota 20/s; retries of failed requests on top)")
	assert.Zero(t, throttled, "Graph's throttle never had to answer 429")

	// No unconsented loss: every plan a user lost, a step of the plan says it takes away.
	p := storedPlan(t, plans, tenantID)
	var hist struct{ Value []fake.HistoryEntry }
	getJSON(t, base+"/_fake/history", &hist)
	assert.Empty(t, verify.UnconsentedLoss(p, hist.Value))
	t.Logf("FIGURES: %d steps applied in %s by 2 workers (one killed with SIGKILL at %q); %d write requests (%d carried out, %d failed by injected faults and retried, %d throttled); peak %d writes in 10 s; %d succeeded, %d already done (found done on retry)",
		pr.Total, elapsed.Round(time.Second), killedAt, attempts, len(carried), attempts-len(carried)-throttled, throttled, peak, pr.Succeeded, pr.AlreadyDone)
}

// doneOf reads "D/T done" out of a progress line ("running: wave 0 of 1, 150/600 done (…").
func doneOf(line string) (done, total int) {
	_, rest, _ := strings.Cut(line, ", ")
	if _, err := fmt.Sscanf(rest, "%d/%d done", &done, &total); err != nil {
		return 0, 0
	}
	return done, total
}

// peakPer is the most timestamps in any window of length w.
func peakPer(ts []time.Time, w time.Duration) int {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	peak, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		peak = max(peak, i-j+1)
	}
	return peak
}

func storedPlan(t *testing.T, dir, tenantID string) *planner.Plan {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "plan-*.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	p, err := planner.ReadPlan(f, tenantID)
	require.NoError(t, err)
	return p
}
