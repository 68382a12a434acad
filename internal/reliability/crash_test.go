package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/planner"
)

// The environment of the helper process: the Graph root, the plan/v1 file, the journal file,
// and after how many finished steps to SIGKILL itself (absent: never).
const (
	envHelper    = "LICENSEPLAN_RELIABILITY_HELPER"
	envRoot      = "LICENSEPLAN_RELIABILITY_ROOT"
	envPlan      = "LICENSEPLAN_RELIABILITY_PLAN"
	envJournal   = "LICENSEPLAN_RELIABILITY_JOURNAL"
	envKillAfter = "LICENSEPLAN_RELIABILITY_KILL_AFTER"
)

// stepLine is what the helper prints per step when its run ends (it is not printed when killed).
type stepLine struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Action  string `json:"action"`
	Calls   int    `json:"calls"`
	Resumed bool   `json:"resumed"`
}

// TestHelperProcess is not a test: it is the applying process of TestCrashAtEveryStepBoundary,
// run by re-executing the test binary. It applies a plan/v1 file through graphadapter with a
// journal file and, if told to, kills itself with SIGKILL once k steps have finished — no
// deferred function, no flush, no journal "end" entry, as a crash or an OOM kill leaves it.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("the helper process of TestCrashAtEveryStepBoundary")
	}
	f, err := os.Open(os.Getenv(envPlan))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, err := planner.ReadPlan(f, "")
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ga, err := graphadapter.New(graphadapter.WithRoot(os.Getenv(envRoot)), graphadapter.WithRetryPolicy(fastAdapterRetry))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	kill := -1
	if v := os.Getenv(envKillAfter); v != "" {
		kill, _ = strconv.Atoi(v)
	}
	res, err := planner.Apply(context.Background(), ga, p, applyOptions(
		planner.WithJournalFile(os.Getenv(envJournal)),
		planner.WithProgress(func(pr planner.Progress) {
			if kill >= 0 && pr.Done >= kill {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		}))...)
	if res != nil {
		enc := json.NewEncoder(os.Stdout)
		for _, s := range res.Steps {
			enc.Encode(stepLine{ID: s.Step.ID, Action: s.Step.Action.String(), Status: s.Status.String(), Calls: s.Calls, Resumed: s.Resumed})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// countingHandler serves the fake tenant and counts the writes that changed it, by method and
// path. Writes are serialised so each change is seen whole.
type countingHandler struct {
	next   http.Handler
	tenant *fake.Tenant
	wmu    sync.Mutex
	mu     sync.Mutex
	counts map[string]int
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isWrite(r.Method) {
		h.next.ServeHTTP(w, r)
		return
	}
	h.wmu.Lock()
	defer h.wmu.Unlock()
	before := stateJSON(h.tenant)
	h.next.ServeHTTP(w, r)
	if stateJSON(h.tenant) != before {
		h.mu.Lock()
		h.counts[r.Method+" "+strings.TrimPrefix(r.URL.Path, "/v1.0")]++
		h.mu.Unlock()
	}
}

func (h *countingHandler) effective() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}

// persistentTenant serves a fresh sample tenant from the test process, which outlives the
// applying processes it kills.
func persistentTenant(t *testing.T) (*countingHandler, string) {
	ft, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	h := &countingHandler{next: fake.NewServer(ft), tenant: ft, counts: map[string]int{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))
	return h, srv.URL + "/v1.0"
}

// runHelper runs the applying process; it returns the step lines it printed, its stderr, and
// its exit error (nil, an exit status, or the SIGKILL).
func runHelper(t *testing.T, root, planFile, journal string, kill int) ([]stepLine, string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelper+"=1", envRoot+"="+root, envPlan+"="+planFile, envJournal+"="+journal)
	if kill >= 0 {
		cmd.Env = append(cmd.Env, envKillAfter+"="+strconv.Itoa(kill))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var lines []stepLine
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var l stepLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.ID != "" {
			lines = append(lines, l)
		}
	}
	return lines, stderr.String(), err
}

// TestCrashAtEveryStepBoundary kills the applying process with SIGKILL after k steps of a
// two-wave plan (the sample tenant's stories: a migration in waves [0.25, 1.0] with
// make-before-break swaps) have finished, for every k, then runs it again with the same
// journal file: the second run converges the tenant, every step the journal recorded as
// succeeded is read back and resumed without a write (a reprocess is done again: it leaves
// nothing to read back), and every write took effect exactly as often
// as in one uninterrupted run — nothing that succeeded was redone. LICENSEPLAN_RELIABILITY_FULL=1
// also crashes the quickstart's safe plan at every step.
func TestCrashAtEveryStepBoundary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes per crash point")
	}
	run := stories[:1]
	if full() {
		run = stories
	}
	for _, s := range run {
		t.Run(s.name, func(t *testing.T) { crashEveryStep(t, readDesired(t, s)) })
	}
}

func crashEveryStep(t *testing.T, d *planner.Desired) {
	// The reference: one uninterrupted run in a helper process.
	refH, refRoot := persistentTenant(t)
	p, _ := plan(t, snapshotVia(t, refRoot), d)
	require.Greater(t, p.Waves(), 1, "a multi-wave plan")
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	var b bytes.Buffer
	require.NoError(t, p.WriteJSON(&b))
	require.NoError(t, os.WriteFile(planFile, b.Bytes(), 0o600))
	_, stderr, err := runHelper(t, refRoot, planFile, filepath.Join(dir, "reference.journal"), -1)
	require.NoError(t, err, stderr)
	want := refH.effective()
	assertConverged(t, refRoot, d)

	n := len(p.Steps)
	for k := 0; k < n; k++ {
		t.Run(fmt.Sprintf("kill after %d of %d steps", k, n), func(t *testing.T) {
			h, root := persistentTenant(t)
			journal := filepath.Join(t.TempDir(), "apply.journal")
			_, stderr, err := runHelper(t, root, planFile, journal, k)
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, stderr)
			ws, ok := ee.Sys().(syscall.WaitStatus)
			require.True(t, ok)
			require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the first run was killed: %v\n%s", err, stderr)

			jf, err := os.Open(journal)
			require.NoError(t, err)
			j, err := planner.ReadJournal(jf)
			jf.Close()
			require.NoError(t, err)
			recorded := map[string]bool{}
			for _, id := range j.Done() {
				recorded[id] = true
			}
			if k > 0 {
				assert.NotEmpty(t, recorded, "the journal records the steps finished before the kill")
			}

			lines, stderr, err := runHelper(t, root, planFile, journal, -1)
			require.NoError(t, err, "the resumed run: %s", stderr)
			require.Len(t, lines, n)
			for _, l := range lines {
				assert.Contains(t, []string{"Succeeded", "AlreadyDone"}, l.Status, "step %s", l.ID)
				// A reprocess leaves nothing to read back: no journal makes a run skip it, it is
				// done again (harmless; the effective writes below are compared all the same).
				if recorded[l.ID] && l.Action != "reprocessLicenseAssignment" {
					assert.True(t, l.Resumed, "step %s was recorded as done but not resumed", l.ID)
					assert.Zero(t, l.Calls, "step %s was recorded as done but written again", l.ID)
				}
			}
			assertConverged(t, root, d)
			assert.Equal(t, want, h.effective(), "writes that took effect, by request (want: as in one run)")
		})
	}
}
