package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSummarizeTakesMedianTimesAndLargestPeak(t *testing.T) {
	assert.Nil(t, summarize(nil))
	runs := []childResult{
		{LoadNs: 9, PlanNs: 4, VmHWM: 100},
		{LoadNs: 5, PlanNs: 8, VmHWM: 300},
		{LoadNs: 7, PlanNs: 2, VmHWM: 200},
	}
	assert.Equal(t, &childResult{LoadNs: 7, PlanNs: 4, VmHWM: 300}, summarize(runs))
	assert.Equal(t, &childResult{LoadNs: 9, PlanNs: 4, VmHWM: 100}, summarize(runs[:1]))
	assert.Equal(t, childResult{LoadNs: 9, PlanNs: 4, VmHWM: 100}, runs[0], "the runs are not reordered")
}
