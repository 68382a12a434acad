package planner_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func slogJSON(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// syncBuffer is a bytes.Buffer safe for the journal writer and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// sorted returns the writes as a sorted list, to compare runs whose order may differ.
func sorted(ws []string) []string {
	ws = slices.Clone(ws)
	slices.Sort(ws)
	return ws
}

// TestApplyResumesAtEveryStepBoundary interrupts a run at every step boundary — after the k-th
// write took effect but before the journal says so (a crash mid-step), before the k+1-th write
// (a crash between steps), and with the tenant failing every call from then on — then resumes
// from the journal on the same tenant: the run converges, and no write is made twice.
func TestApplyResumesAtEveryStepBoundary(t *testing.T) {
	d := storiesDesired(t)
	reference := newMemTenant(t, sampletenant.Snapshot())
	plan := buildPlan(t, reference, d)
	_, err := planner.Apply(context.Background(), reference, plan, applyOpts(newTestClock())...)
	require.NoError(t, err)
	want := sorted(reference.allWrites())
	require.Len(t, want, callingSteps(plan))

	modes := []string{"cancel after write", "cancel before write", "tenant down"}
	for _, concurrency := range []int{1, 4} {
		for _, mode := range modes {
			for k := 0; k <= len(want); k++ {
				t.Run(fmt.Sprintf("concurrency %d/%s/k=%d", concurrency, mode, k), func(t *testing.T) {
					m := newMemTenant(t, sampletenant.Snapshot())
					p := buildPlan(t, m, d)
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					var mu sync.Mutex
					writes := 0
					switch mode {
					case "cancel after write":
						m.after = func(op, id string) {
							mu.Lock()
							defer mu.Unlock()
							if writes++; writes == k {
								cancel()
							}
						}
						if k == 0 {
							cancel()
						}
					case "cancel before write":
						m.fault = func(op, id string) error {
							mu.Lock()
							defer mu.Unlock()
							if isWrite(op) {
								if writes == k {
									cancel()
									return context.Canceled
								}
								writes++
							}
							return nil
						}
					case "tenant down":
						m.fault = func(op, id string) error {
							mu.Lock()
							defer mu.Unlock()
							if writes >= k {
								return &licensing.Error{Kind: licensing.Other, Message: "access token has expired (InvalidAuthenticationToken)"}
							}
							if isWrite(op) {
								writes++
							}
							return nil
						}
					}
					journal := &syncBuffer{}
					_, err := planner.Apply(ctx, m, p, applyOpts(newTestClock(), planner.WithConcurrency(concurrency), planner.WithJournal(journal))...)
					if k < len(want) {
						require.Error(t, err, "the first run was interrupted")
					}

					// Resume on a healthy tenant, from the journal.
					m.fault, m.after = nil, nil
					j, err := planner.ReadJournal(bytes.NewReader(journal.Bytes()))
					require.NoError(t, err)
					callsBefore := len(m.calls)
					res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithConcurrency(concurrency), planner.WithResume(j), planner.WithJournal(journal))...)
					require.NoError(t, err, "resume")
					assert.True(t, res.OK())
					assert.Equal(t, want, sorted(m.allWrites()), "every write exactly once over both runs")

					// Steps the journal records as done were read back, not redone.
					done := j.Done()
					for _, s := range res.Steps {
						if slices.Contains(done, s.Step.ID) {
							assert.True(t, s.Resumed, s.Step.ID)
							assert.Zero(t, s.Calls, s.Step.ID)
						}
					}
					for _, c := range m.calls[callsBefore:] {
						f := strings.Fields(c)
						if len(f) < 2 || !isWrite(f[0]) {
							continue
						}
						for _, s := range res.Steps {
							if s.Resumed && s.Step.Target.ID == f[1] && onlyStepOf(p, s.Step) {
								t.Errorf("resumed run called %q for step %s the journal records as done", c, s.Step.ID)
							}
						}
					}
					again := planner.Build(m.state(t), d)
					assert.Empty(t, again.Steps)
				})
			}
		}
	}
}

// isWrite reports whether a memTenant call is a write.
func isWrite(op string) bool {
	return op != "User" && op != "Group" && op != "SubscribedSkus" && op != "Snapshot"
}

// onlyStepOf reports whether s is the only step of the plan about its target (so that any call
// about the target belongs to it).
func onlyStepOf(p *planner.Plan, s *planner.Step) bool {
	for _, o := range p.Steps {
		if o != s && (o.Target.ID == s.Target.ID || (o.Group != nil && o.Group.ID == s.Target.ID)) {
			return false
		}
	}
	return true
}

func TestApplyResumeSkipsJournaledSteps(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	var journal bytes.Buffer
	_, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournal(&journal))...)
	require.NoError(t, err)
	j, err := planner.ReadJournal(bytes.NewReader(journal.Bytes()))
	require.NoError(t, err)
	assert.Len(t, j.Done(), len(p.Steps))
	assert.Equal(t, sampletenant.TenantID, j.TenantID)
	assert.True(t, strings.HasPrefix(j.PlanHash, "sha256:"))

	writes := len(m.allWrites())
	calls := len(m.calls)
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithResume(j), planner.WithTenantID(sampletenant.TenantID))...)
	require.NoError(t, err)
	assert.Equal(t, writes, len(m.allWrites()), "a finished journal makes no write")
	targets := map[string]bool{}
	for _, s := range p.Steps {
		targets[s.Target.ID] = true
		if s.Group != nil {
			targets[s.Group.ID] = true
		}
	}
	assert.LessOrEqual(t, len(m.calls)-calls, len(targets), "each target read back once, in the preflight")
	for _, s := range res.Steps {
		assert.True(t, s.Resumed)
	}
}

func TestApplyRefusesJournalOfAnotherPlan(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	var journal bytes.Buffer
	_, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournal(&journal))...)
	require.NoError(t, err)
	j, err := planner.ReadJournal(&journal)
	require.NoError(t, err)

	other := buildPlan(t, m, desired(t, `{"formatVersion":"desired/v1","users":[{"user":"grace@contoso.com","usageLocation":"SE"}]}`))
	_, err = planner.Apply(context.Background(), m, other, applyOpts(newTestClock(), planner.WithResume(j))...)
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.Contains(t, err.Error(), "the journal is of another plan")
	assert.NotEqual(t, "SE", userOf(t, m, sampletenant.Grace).UsageLocation, "nothing applied")
}

func userOf(t testing.TB, m *memTenant, id string) *licensing.User {
	for _, u := range m.snapshot().Users {
		if u.ID == id {
			return &u
		}
	}
	t.Fatalf("no user %s", id)
	return nil
}

func TestPlanHashSurvivesJSON(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	var b bytes.Buffer
	require.NoError(t, p.WriteJSON(&b))
	read, err := planner.ReadPlan(&b, sampletenant.TenantID)
	require.NoError(t, err)

	// A run of the plan read back from its JSON resumes the journal of the built plan.
	var journal bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	m.after = func(op, id string) { cancel() }
	r1, _ := planner.Apply(ctx, m, p, applyOpts(newTestClock(), planner.WithConcurrency(1), planner.WithJournal(&journal))...)
	m.after = nil
	j, err := planner.ReadJournal(&journal)
	require.NoError(t, err)
	r2, err := planner.Apply(context.Background(), m, read, applyOpts(newTestClock(), planner.WithResume(j))...)
	require.NoError(t, err)
	assert.Equal(t, r1.PlanHash, r2.PlanHash)
}

func TestJournalFileToleratesATruncatedLastLine(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	path := filepath.Join(t.TempDir(), "apply.journal")

	// First run: interrupted after three writes.
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	m.after = func(op, id string) {
		if n++; n == 3 {
			cancel()
		}
	}
	_, err := planner.Apply(ctx, m, p, applyOpts(newTestClock(), planner.WithConcurrency(1), planner.WithJournalFile(path))...)
	require.Error(t, err)
	m.after = nil

	// A crash mid-write leaves half a line.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	whole, err := planner.ReadJournal(bytes.NewReader(data))
	require.NoError(t, err)
	require.False(t, whole.Truncated)
	cut := append(bytes.Clone(data), []byte(`{"time":"2025-03-01T09:00:00Z","event":"started","st`)...)
	require.NoError(t, os.WriteFile(path, cut, 0o600))
	j, err := planner.ReadJournal(bytes.NewReader(cut))
	require.NoError(t, err)
	assert.True(t, j.Truncated)
	assert.Equal(t, whole.Entries, j.Entries)

	// Resume from the file: the half line is dropped, the run converges, the file is whole.
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournalFile(path))...)
	require.NoError(t, err)
	assert.NotEmpty(t, stepIDs(res, planner.StepSucceeded))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	final, err := planner.ReadJournal(bytes.NewReader(data))
	require.NoError(t, err)
	assert.False(t, final.Truncated)
	assert.Len(t, final.Done(), len(p.Steps))
	assert.Equal(t, sorted(m.allWrites()), sorted(slices.Compact(sorted(m.allWrites()))), "no write repeated")

	// A last entry whose newline was lost is kept, and the next run starts on a new line.
	data = bytes.TrimSuffix(data, []byte("\n"))
	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, err = planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournalFile(path))...)
	require.NoError(t, err)
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	again, err := planner.ReadJournal(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Len(t, again.Entries, len(final.Entries)+2+len(p.Steps), "the old entries, then begin, a verified entry per step, and end")
}

func TestReadJournalRefusesMalformedJournals(t *testing.T) {
	begin := `{"time":"2025-03-01T09:00:00Z","event":"begin","formatVersion":"journal/v1","tenantId":"t","planHash":"sha256:aa","steps":2}`
	cases := map[string]string{
		"broken middle line":  begin + "\n{\"event\":\"started\",\n" + `{"event":"end"}` + "\n",
		"unknown event":       begin + "\n" + `{"event":"exploded","step":"s1"}` + "\n",
		"entry before begin":  `{"event":"started","step":"s1"}` + "\n" + begin + "\n",
		"step without id":     begin + "\n" + `{"event":"succeeded","status":"Succeeded"}` + "\n",
		"bad success status":  begin + "\n" + `{"event":"succeeded","step":"s1","status":"Failed"}` + "\n",
		"two plans":           begin + "\n" + strings.Replace(begin, "sha256:aa", "sha256:bb", 1) + "\n",
		"other format":        strings.Replace(begin, "journal/v1", "journal/v9", 1) + "\n",
		"an array, not entry": "[1,2]\n" + begin + "\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := planner.ReadJournal(strings.NewReader(doc))
			require.Error(t, err)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			assert.Contains(t, err.Error(), "journal line")
		})
	}
	t.Run("empty", func(t *testing.T) {
		j, err := planner.ReadJournal(strings.NewReader(""))
		require.NoError(t, err)
		assert.Empty(t, j.Entries)
	})
	t.Run("last step word wins", func(t *testing.T) {
		doc := begin + "\n" +
			`{"event":"started","step":"s1"}` + "\n" + `{"event":"succeeded","step":"s1","status":"Succeeded"}` + "\n" +
			`{"event":"started","step":"s2"}` + "\n" + `{"event":"failed","step":"s2","status":"Drift","kind":"Drift"}` + "\n" +
			`{"event":"started","step":"s3"}` + "\n" +
			`{"event":"started","step":"s4"}` + "\n" + `{"event":"succeeded","step":"s4","status":"AlreadyDone"}` + "\n"
		j, err := planner.ReadJournal(strings.NewReader(doc))
		require.NoError(t, err)
		assert.Equal(t, []string{"s1", "s4"}, j.Done())
	})
}

// failingWriter fails every write after the first n.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, fmt.Errorf("disk full")
	}
	f.n--
	return len(p), nil
}

func TestApplyStopsWhenTheJournalCannotBeWritten(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	// begin, started s1, succeeded s1, started s2 — then the disk is full.
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithConcurrency(1), planner.WithJournal(&failingWriter{n: 4}))...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "writing the journal: disk full")
	require.Error(t, res.Stopped)
	assert.Len(t, m.allWrites(), 2, "no step starts once its start cannot be journaled")
	assert.Equal(t, len(p.Steps)-2, res.Skipped)

	_, err = planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournal(&failingWriter{n: 0}))...)
	require.Error(t, err)
	assert.Len(t, m.allWrites(), 2, "nothing is written to a tenant without a journal to say so")
}
