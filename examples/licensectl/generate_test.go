package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

// generate writes lifecycle data by default: readAt, sign-in activity with idle and disabled
// users and guests, and subscriptions with a trial and a renewal within 30 days of readAt.
func TestGenerateHasLifecycleData(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.json")
	_, errOut, code := cli(t, "", "generate", "--users", "400", "--seed", "5", "--read-at", "2026-09-01T00:00:00Z", "--out", out)
	require.Equal(t, 0, code, errOut)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	s, err := licensing.ReadSnapshot(f)
	require.NoError(t, err)
	assert.Equal(t, "2026-09-01T00:00:00Z", s.ReadAt)
	at, _ := licensing.ParseDateTime(s.ReadAt)
	var disabled, idle, guests int
	for _, u := range s.Users {
		if u.AccountEnabled != nil && !*u.AccountEnabled {
			disabled++
		}
		if last, ok := u.SignInActivity.Latest(); ok && at.Sub(last) >= 90*24*time.Hour {
			idle++
		}
		if u.UserType == "Guest" {
			guests++
		}
	}
	assert.Positive(t, disabled)
	assert.Positive(t, idle)
	assert.Positive(t, guests)
	var trial, soon bool
	for _, c := range s.Subscriptions {
		next, _ := c.NextLifecycle()
		trial = trial || c.IsTrial
		soon = soon || !c.IsTrial && next.Sub(at) <= 30*24*time.Hour
	}
	assert.True(t, trial)
	assert.True(t, soon)

	// The same tenant without it: the benchmarks' one.
	plain := filepath.Join(dir, "p.json")
	_, errOut, code = cli(t, "", "generate", "--users", "400", "--seed", "5", "--lifecycle=false", "--out", plain)
	require.Equal(t, 0, code, errOut)
	b, err := os.ReadFile(plain)
	require.NoError(t, err)
	for _, key := range []string{`"readAt"`, `"signInActivity"`, `"subscriptions"`, `"userType"`} {
		assert.NotContains(t, string(b), key)
	}

	_, errOut, code = cli(t, "", "generate", "--users", "10", "--read-at", "yesterday")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--read-at "yesterday" is not an RFC 3339 time`)
	_, errOut, code = cli(t, "", "generate", "--users", "10", "--read-at", "2026-01-01T00:00:00Z", "--lifecycle=false")
	assert.Equal(t, 2, code)
	assert.True(t, strings.Contains(errOut, "--read-at needs the lifecycle data"), errOut)
}
