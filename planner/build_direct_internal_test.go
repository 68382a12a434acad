package planner

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// An expectation's groups are the ids of the groups the user's paths come from, each once, in
// the order of the ids (pathReader sorts them by a rank of the groups, not by comparing ids).
func TestExpectationGroupsAreSortedIDs(t *testing.T) {
	st := synthState(t, 2000)
	rd := newPathReader(st)
	several := 0
	for u := range st.NumUsers() {
		rd.direct(u)
		got := rd.expectationOf(rd.pbuf).groups
		var want []string
		for _, p := range st.Paths(u) {
			if !p.Direct() && !slices.Contains(want, p.Group) {
				want = append(want, p.Group)
			}
		}
		slices.Sort(want)
		if want == nil {
			want = []string{}
		}
		require.Equal(t, want, got, "user %d", u)
		if len(got) > 1 {
			several++
		}
	}
	require.Greater(t, several, 100, "users in several groups")
}
