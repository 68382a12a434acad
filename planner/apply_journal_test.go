package planner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

var (
	rehearsal = planner.Source{Kind: planner.SourceSnapshot, Name: "/tmp/snap.json"}
	live      = planner.Source{Kind: planner.SourceTenant, Name: "https://graph.example/v1.0"}
)

// finishedJournal applies the stories on a fresh sample tenant with a journal and returns the
// plan, the journal's bytes and the writes one run makes.
func finishedJournal(t *testing.T, opts ...planner.ApplyOption) (*planner.Plan, []byte, []string) {
	t.Helper()
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	var journal bytes.Buffer
	_, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), append(opts, planner.WithJournal(&journal))...)...)
	require.NoError(t, err)
	return p, journal.Bytes(), sorted(m.allWrites())
}

func TestJournalRecordsPlanSourceAndTargets(t *testing.T) {
	p, data, _ := finishedJournal(t, planner.WithSource(live), planner.WithOrigin("desired sha256:ab"))
	j, err := planner.ReadJournal(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, planner.JournalFormatVersion, j.FormatVersion)
	assert.Equal(t, "journal/v2", j.FormatVersion)
	assert.Equal(t, live, j.Source)
	assert.Equal(t, "desired sha256:ab", j.Origin)
	recorded, err := j.Plan()
	require.NoError(t, err)
	var a, b bytes.Buffer
	require.NoError(t, p.WriteJSON(&a))
	require.NoError(t, recorded.WriteJSON(&b))
	assert.Equal(t, a.String(), b.String(), "the journal records the plan itself")

	ends := 0
	for _, e := range j.Entries {
		if e.Event != planner.EventSucceeded {
			continue
		}
		s, _ := p.Step(e.Step)
		if s.Action == planner.WaitForGroupProcessing || s.Action == planner.ReprocessLicenseAssignment {
			continue
		}
		ends++
		assert.NotEmpty(t, e.Before, "step %s: the target before", e.Step)
		assert.NotEmpty(t, e.After, "step %s: the target after", e.Step)
		var after map[string]any
		require.NoError(t, json.Unmarshal(e.After, &after))
	}
	assert.Positive(t, ends)
}

// A journal's claims are verified, never trusted: the journal of a finished run on one tenant,
// and every prefix of it (a cut journal), given to a run on another tenant in the state the
// first one started from, makes every write happen exactly once.
func TestResumeVerifiesEveryStepTheJournalCallsDone(t *testing.T) {
	p, data, want := finishedJournal(t)
	lines := bytes.SplitAfter(data, []byte("\n"))
	for n := 1; n <= len(lines); n++ {
		cut := bytes.Join(lines[:n], nil)
		if n < len(lines) {
			cut = append(cut, lines[n][:len(lines[n])/2]...) // and half of the next line
		}
		j, err := planner.ReadJournal(bytes.NewReader(cut))
		require.NoError(t, err)
		m := newMemTenant(t, sampletenant.Snapshot())
		res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithResume(j))...)
		require.NoError(t, err, "prefix of %d lines", n)
		assert.Equal(t, want, sorted(m.allWrites()), "prefix of %d lines: every write, once", n)
		assert.Zero(t, res.Resumed, "prefix of %d lines: nothing skipped on the journal's word", n)
	}
}

func TestRehearsalJournalMakesNoLiveRunSkipAWrite(t *testing.T) {
	p, data, want := finishedJournal(t, planner.WithSource(rehearsal))
	path := filepath.Join(t.TempDir(), "apply.journal")
	require.NoError(t, os.WriteFile(path, data, 0o600))

	// The live tenant is as the snapshot was; the rehearsal's claims count for nothing there.
	m := newMemTenant(t, sampletenant.Snapshot())
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithSource(live), planner.WithJournalFile(path))...)
	require.NoError(t, err)
	assert.Equal(t, want, sorted(m.allWrites()))
	assert.Zero(t, res.Resumed)

	// Run again: the live run's claims count (read back), the rehearsal's never did.
	again, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithSource(live), planner.WithJournalFile(path))...)
	require.NoError(t, err)
	assert.Equal(t, len(p.Steps), again.Resumed)
	assert.Equal(t, want, sorted(m.allWrites()), "nothing written twice")
}

func TestJournalOfAnotherLiveTenantIsRefusedBeforeAnyCall(t *testing.T) {
	p, data, _ := finishedJournal(t, planner.WithSource(live))
	j, err := planner.ReadJournal(bytes.NewReader(data))
	require.NoError(t, err)
	m := newMemTenant(t, sampletenant.Snapshot())
	other := planner.Source{Kind: planner.SourceTenant, Name: "https://other.example/v1.0"}
	_, err = planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithSource(other), planner.WithResume(j))...)
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.Contains(t, err.Error(), "the journal records a run of this plan against tenant https://graph.example/v1.0, not against tenant https://other.example/v1.0")
	assert.Empty(t, m.calls, "refused before anything is read or written")
}

func TestJournalV1IsReadButNotResumed(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithConcurrency(1))...)
	require.NoError(t, err)
	v1 := `{"time":"2025-03-01T09:00:00Z","event":"begin","formatVersion":"journal/v1","tenantId":"` + sampletenant.TenantID + `","planHash":"` + res.PlanHash + `","steps":15}` + "\n" +
		`{"event":"started","step":"s1"}` + "\n" + `{"event":"succeeded","step":"s1","status":"Succeeded"}` + "\n"
	j, err := planner.ReadJournal(strings.NewReader(v1))
	require.NoError(t, err)
	assert.Equal(t, planner.JournalFormatV1, j.FormatVersion)
	assert.Equal(t, []string{"s1"}, j.Done())
	_, err = j.Plan()
	assert.ErrorContains(t, err, "journal/v1")

	calls := len(m.calls)
	_, err = planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithResume(j))...)
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.Contains(t, err.Error(), "journal/v1")
	path := filepath.Join(t.TempDir(), "apply.journal")
	require.NoError(t, os.WriteFile(path, []byte(v1), 0o600))
	_, err = planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournalFile(path))...)
	assert.ErrorContains(t, err, "journal/v1")
	assert.Equal(t, calls, len(m.calls), "refused before anything is read or written")
}

func TestEditedJournalPlanIsRefused(t *testing.T) {
	_, data, _ := finishedJournal(t)
	edited := bytes.Replace(data, []byte(`"usageLocation":"US"`), []byte(`"usageLocation":"SE"`), 1)
	require.NotEqual(t, data, edited)
	j, err := planner.ReadJournal(bytes.NewReader(edited))
	require.NoError(t, err)
	_, err = j.Plan()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the journal was edited")
}

// A step the journal calls done whose result is gone, on a target no longer where the step
// starts either, is Drift — not skipped, not redone blindly.
func TestClaimedStepUndoneSinceIsDrift(t *testing.T) {
	m := newMemTenant(t, sampletenant.Snapshot())
	p := buildPlan(t, m, storiesDesired(t))
	var journal bytes.Buffer
	_, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithJournal(&journal))...)
	require.NoError(t, err)
	// Someone removes alice's E3 (given by s2, E1 → E3) after the run.
	m.change(t, licensing.Change{Kind: licensing.AssignUserLicenses, User: sampletenant.Alice, AddLicenses: []licensing.AssignedLicense{}, RemoveLicenses: []licensing.SkuID{licensing.MustParseSkuID(sampletenant.E3)}})
	writes := len(m.allWrites())
	j, err := planner.ReadJournal(bytes.NewReader(journal.Bytes()))
	require.NoError(t, err)
	res, err := planner.Apply(context.Background(), m, p, applyOpts(newTestClock(), planner.WithResume(j))...)
	require.Error(t, err)
	assert.ErrorIs(t, err, licensing.Drift)
	s2, _ := res.Step("s2")
	assert.Equal(t, sampletenant.Alice, s2.Step.Target.ID)
	assert.Equal(t, planner.StepDrift, s2.Status)
	assert.False(t, s2.Resumed)
	assert.Equal(t, writes, len(m.allWrites()), "nothing written")
	assert.Equal(t, len(p.Steps)-1, res.Resumed, "the other steps were verified")
}
