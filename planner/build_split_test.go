package planner_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/parallel"
	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// Build makes the same plan, byte for byte, whether its loops over users and steps run split
// between goroutines (as from parallel.MinItems) or whole: a small tenant is planned both ways.
func TestBuildIsTheSameSplitOrWhole(t *testing.T) {
	snap := synth.Tenant(synth.DefaultOptions(3000))
	d := synthDesired(t, snap)
	plan := func(from, parts int) (string, string) {
		defer parallel.SplitForTest(from, parts)()
		st, err := licensing.NewState(snap)
		require.NoError(t, err)
		p := planner.Build(st, d)
		var js bytes.Buffer
		require.NoError(t, p.WriteJSON(&js))
		return js.String(), p.String()
	}
	wantJSON, wantText := plan(math.MaxInt, 0)
	require.Contains(t, wantJSON, `"wave":2`, "a migration in waves")
	require.Contains(t, wantJSON, `"severity": "error"`, "problems")
	for _, parts := range []int{2, 3, 7} {
		gotJSON, gotText := plan(1, parts)
		require.Equal(t, wantJSON, gotJSON, "%d parts", parts)
		require.Equal(t, wantText, gotText, "%d parts", parts)
	}
}
