package reliability_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/planner"
)

// The journal's guarantees through the licensectl process against a fake Graph server served by
// the test process (which outlives the licensectl processes it interrupts): the same command
// resumes after Ctrl-C without writing anything twice; a rehearsal's journal never makes a run
// on the tenant skip a write; a journal of another run (another endpoint) is refused before the
// first write; --until-wave stops for sign-off and the same command continues.

const safeDesired = "../../examples/quickstart/safe.json"

// licensectlBin is the CLI, built once for every test of the package that runs it (a build
// and link takes seconds on this project's 2-core machine); TestMain removes it.
var licensectlBin struct {
	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

// buildLicensectl builds the CLI into a temporary directory, once.
func buildLicensectl(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds licensectl and runs it")
	}
	b := &licensectlBin
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "reliability-licensectl"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "licensectl")
		b.out, b.err = exec.Command("go", "build", "-o", b.path, "github.com/licenseplan/licenseplan/examples/licensectl").CombinedOutput()
	})
	require.NoError(t, b.err, "%s", b.out)
	return b.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if licensectlBin.dir != "" {
		os.RemoveAll(licensectlBin.dir)
	}
	os.Exit(code)
}

// cliTenant serves a fresh sample tenant and counts the writes that took effect; after the
// interruptAfter-th one (if > 0) it sends SIGINT to the process registered with it, before the
// reply goes out — an admin pressing Ctrl-C while a write is in flight.
type cliTenant struct {
	*countingHandler
	url string

	mu             sync.Mutex
	interruptAfter int
	proc           *os.Process
	effectiveSeen  int
}

func newCLITenant(t *testing.T) *cliTenant {
	t.Helper()
	ft, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	c := &cliTenant{countingHandler: &countingHandler{next: fake.NewServer(ft), tenant: ft, counts: map[string]int{}}}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	c.url = srv.URL + "/v1.0"
	return c
}

func (c *cliTenant) serve(w http.ResponseWriter, r *http.Request) {
	if !isWrite(r.Method) {
		c.countingHandler.ServeHTTP(w, r)
		return
	}
	before := c.total()
	c.countingHandler.ServeHTTP(w, r)
	if c.total() == before {
		return
	}
	c.mu.Lock()
	c.effectiveSeen++
	if c.interruptAfter > 0 && c.effectiveSeen == c.interruptAfter && c.proc != nil {
		_ = c.proc.Signal(syscall.SIGINT)
		time.Sleep(50 * time.Millisecond) // the signal lands while the reply is on its way
	}
	c.mu.Unlock()
}

func (c *cliTenant) total() int {
	n := 0
	for _, v := range c.effective() {
		n += v
	}
	return n
}

// run runs licensectl with args; it returns the exit code and the output.
func (c *cliTenant) run(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	c.mu.Lock()
	c.proc = cmd.Process
	c.mu.Unlock()
	err := cmd.Wait()
	c.mu.Lock()
	c.proc = nil
	c.mu.Unlock()
	if err == nil {
		return 0, out.String()
	}
	ee, ok := err.(*exec.ExitError)
	require.True(t, ok, "%v\n%s", err, out.String())
	return ee.ExitCode(), out.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cliReferenceWrites applies the desired state in one uninterrupted run and returns its effective writes.
func cliReferenceWrites(t *testing.T, bin string) map[string]int {
	t.Helper()
	ref := newCLITenant(t)
	code, out := ref.run(t, bin, "apply", "--graph-endpoint", ref.url, "--desired", safeDesired, "--yes")
	require.Equal(t, 0, code, out)
	want := ref.effective()
	require.NotEmpty(t, want)
	return want
}

func readJournalFile(t *testing.T, path string) *planner.Journal {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	j, err := planner.ReadJournal(f)
	require.NoError(t, err)
	return j
}

// TestSameCommandResumesAfterCtrlC: licensectl apply --desired D --journal J is interrupted
// with SIGINT after k writes took effect (the k-th one's reply still in flight), then the very
// same command is run again: it resumes the plan recorded in J (it does not plan again from
// the half-changed tenant, which made the journal "of another plan"), converges the tenant,
// and every write took effect exactly as often as in one uninterrupted run.
func TestSameCommandResumesAfterCtrlC(t *testing.T) {
	bin := buildLicensectl(t)
	want := cliReferenceWrites(t, bin)
	total := 0
	for _, n := range want {
		total += n
	}
	points := []int{1, total / 2, total - 1}
	if full() {
		points = points[:0]
		for k := 1; k < total; k++ {
			points = append(points, k)
		}
	}
	for _, k := range points {
		t.Run(fmt.Sprintf("interrupted after %d writes", k), func(t *testing.T) {
			c := newCLITenant(t)
			journal := filepath.Join(t.TempDir(), "apply.journal")
			args := []string{"apply", "--graph-endpoint", c.url, "--desired", safeDesired, "--journal", journal, "--yes", "--concurrency", "1"}
			c.interruptAfter = k
			code, out := c.run(t, bin, args...)
			require.Equal(t, 1, code, "the interrupted run fails: %s", out)
			assert.Contains(t, out, "Run the same command again to resume")
			require.Less(t, c.total(), total, "interrupted before the end")

			c.interruptAfter = 0
			code, out = c.run(t, bin, args...)
			require.Equal(t, 0, code, "the same command again: %s", out)
			assert.Contains(t, out, "Resuming the plan recorded in")
			assert.NotContains(t, out, "another plan")
			assert.Equal(t, want, c.effective(), "writes that took effect, by request (want: as in one run)")
			assertConverged(t, c.url, readDesired(t, stories[1]))
			j := readJournalFile(t, journal)
			assert.Len(t, j.Done(), len(mustPlan(t, j).Steps), "the journal ends with every step done")
		})
	}
}

func mustPlan(t *testing.T, j *planner.Journal) *planner.Plan {
	t.Helper()
	p, err := j.Plan()
	require.NoError(t, err)
	return p
}

// TestRehearsalJournalNeverSkipsARealWrite: a rehearsal — licensectl apply --tenant snap.json
// --journal J — then the same desired state against the tenant with the same journal: J's plan
// is resumed, but what the rehearsal did counts for nothing on the tenant, so every write
// happens (before, the run printed "19 succeeded (19 done earlier, per the journal)" and wrote
// nothing). Running it once more writes nothing and verifies every step.
func TestRehearsalJournalNeverSkipsARealWrite(t *testing.T) {
	bin := buildLicensectl(t)
	want := cliReferenceWrites(t, bin)
	c := newCLITenant(t)
	dir := t.TempDir()
	snapFile, journal := filepath.Join(dir, "snap.json"), filepath.Join(dir, "apply.journal")
	code, out := c.run(t, bin, "snapshot", "--graph-endpoint", c.url, "--out", snapFile)
	require.Equal(t, 0, code, out)

	code, out = c.run(t, bin, "apply", "--tenant", snapFile, "--desired", safeDesired, "--journal", journal, "--yes")
	require.Equal(t, 0, code, "the rehearsal: %s", out)
	require.Empty(t, c.effective(), "a rehearsal writes nothing to the tenant")
	rehearsal := readJournalFile(t, journal)
	require.Equal(t, planner.SourceSnapshot, rehearsal.Source.Kind)
	require.NotEmpty(t, rehearsal.Done())

	code, out = c.run(t, bin, "apply", "--graph-endpoint", c.url, "--desired", safeDesired, "--journal", journal, "--yes")
	require.Equal(t, 0, code, "the real run: %s", out)
	assert.Equal(t, want, c.effective(), "every write happened on the tenant")
	assert.NotContains(t, lastLines(out, 3), "done earlier, per the journal")
	assertConverged(t, c.url, readDesired(t, stories[1]))

	code, out = c.run(t, bin, "apply", "--graph-endpoint", c.url, "--desired", safeDesired, "--journal", journal, "--yes")
	require.Equal(t, 0, code, "run again: %s", out)
	assert.Equal(t, want, c.effective(), "nothing written twice")
	assert.Contains(t, lastLines(out, 3), "done earlier, per the journal, and verified")
}

// TestJournalOfAnotherRunIsRefusedOrVerified: the journal of a finished run on one fake tenant,
// given to the same command against another one (same tenant id, another endpoint), is refused
// before the first write; cut short (a prefix of that run) and given to a run on the same
// endpoint after the tenant was reset, every step it calls done is read back and, not being
// there, done — never skipped blindly.
func TestJournalOfAnotherRunIsRefusedOrVerified(t *testing.T) {
	bin := buildLicensectl(t)
	want := cliReferenceWrites(t, bin)
	a, b := newCLITenant(t), newCLITenant(t)
	dir := t.TempDir()
	journal := filepath.Join(dir, "apply.journal")
	code, out := a.run(t, bin, "apply", "--graph-endpoint", a.url, "--desired", safeDesired, "--journal", journal, "--yes")
	require.Equal(t, 0, code, out)

	code, out = b.run(t, bin, "apply", "--graph-endpoint", b.url, "--desired", safeDesired, "--journal", journal, "--yes")
	assert.Equal(t, 2, code, "refused as bad input: %s", out)
	assert.Contains(t, out, "the journal records a run of this plan against tenant "+a.url)
	assert.Empty(t, b.effective(), "refused before the first write")

	// A prefix of the run: the begin entry (with the plan) and the first half of the steps,
	// cut in the middle of a line. The tenant is back where it was (a restore), same endpoint.
	data, err := os.ReadFile(journal)
	require.NoError(t, err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	cut := bytes.Join(lines[:len(lines)/2], nil)
	cut = append(cut, lines[len(lines)/2][:len(lines[len(lines)/2])/2]...)
	require.NoError(t, os.WriteFile(journal, cut, 0o600))
	prefix := readJournalFile(t, journal)
	require.True(t, prefix.Truncated)
	require.NotEmpty(t, prefix.Done())

	c := newCLITenant(t)
	data = bytes.ReplaceAll(cut, []byte(a.url), []byte(c.url)) // as if that run had been on c
	require.NoError(t, os.WriteFile(journal, data, 0o600))
	code, out = c.run(t, bin, "apply", "--graph-endpoint", c.url, "--desired", safeDesired, "--journal", journal, "--yes")
	require.Equal(t, 0, code, "the cut journal's run: %s", out)
	assert.Equal(t, want, c.effective(), "every write happened: no step skipped on the cut journal's word")
	assertConverged(t, c.url, readDesired(t, stories[1]))
}

// TestUntilWaveStopsForSignOff: --until-wave 0 applies wave 0 only and exits 0 saying so; the
// same command without it continues with wave 1; together every write happens once.
func TestUntilWaveStopsForSignOff(t *testing.T) {
	bin := buildLicensectl(t)
	c := newCLITenant(t)
	dir := t.TempDir()
	desiredFile := filepath.Join(dir, "stories.json")
	data, err := os.ReadFile(stories[0].file)
	require.NoError(t, err)
	// The stories with options.allowServiceLoss, as the other tests read them.
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	doc["options"].(map[string]any)["allowServiceLoss"] = true
	data, err = json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(desiredFile, data, 0o600))
	journal := filepath.Join(dir, "apply.journal")
	args := []string{"apply", "--graph-endpoint", c.url, "--desired", desiredFile, "--journal", journal, "--yes"}

	code, out := c.run(t, bin, append(args, "--until-wave", "0")...)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Stopped after wave 0 as asked")
	j := readJournalFile(t, journal)
	p := mustPlan(t, j)
	require.Greater(t, p.Waves(), 1)
	wave0 := 0
	for _, s := range p.Steps {
		if s.Wave == 0 {
			wave0++
		}
	}
	assert.Len(t, j.Done(), wave0, "wave 0 done, nothing of wave 1")
	first := c.effective()

	code, out = c.run(t, bin, args...)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Resuming the plan recorded in")
	for k, n := range first {
		assert.GreaterOrEqual(t, c.effective()[k], n)
	}
	assert.Len(t, readJournalFile(t, journal).Done(), len(p.Steps))
	assertConverged(t, c.url, readDesired(t, stories[0]))
}
