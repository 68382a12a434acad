package main

import (
	"testing"
	"time"

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

func TestTargetsAreJudgedOnTheIsolatedMedianWhenThereIsOne(t *testing.T) {
	plan := func(c *childResult) int64 { return c.PlanNs }
	s := &sizeResult{}
	d, text := judged(s, 2*time.Second, plan)
	assert.Equal(t, 2*time.Second, d)
	assert.Equal(t, "in process 2.00 s", text)

	s.ChildRuns = []childResult{{PlanNs: 3e9}, {PlanNs: 1e9}, {PlanNs: 4e9}}
	s.Child = summarize(s.ChildRuns)
	d, text = judged(s, 2*time.Second, plan)
	assert.Equal(t, 3*time.Second, d)
	assert.Equal(t, "isolated median of 3 runs 3.00 s (in process: 2.00 s)", text)
}
