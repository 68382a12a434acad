package planner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
)

// Rules match the same users, in the same order, however the users are split between
// goroutines (a million-user tenant is split; the goldens' tenants are not).
func TestMatchUsersIsTheSameSplitOrNot(t *testing.T) {
	st := synthState(t, 3000)
	var wheres []where
	for _, dep := range synth.Departments {
		wheres = append(wheres, compileWhere(map[string]string{"department": dep}))
	}
	wheres = append(wheres, compileWhere(map[string]string{"usageLocation": "no"}), compileWhere(map[string]string{"department": "none"}))
	want := matchUsers(st, wheres, 1)
	require.NotEmpty(t, want[0])
	require.Empty(t, want[len(want)-1])
	for _, parts := range []int{2, 3, 7} {
		require.Equal(t, want, matchUsers(st, wheres, parts), "%d parts", parts)
	}
}

// synthState is the State of a synthetic tenant of n users.
func synthState(t *testing.T, n int) *licensing.State {
	t.Helper()
	st, err := licensing.NewState(synth.Tenant(synth.DefaultOptions(n)))
	require.NoError(t, err)
	return st
}
