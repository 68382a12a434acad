package planner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// usageTenant is the cheapest tenant there is: users with a usage location, nothing else, so
// that the benchmark measures the executor (scheduling, preconditions, verification, journal).
type usageTenant struct {
	planner.Tenant // nil: only the methods below are called
	mu             sync.Mutex
	loc            map[string]string
}

func (u *usageTenant) SubscribedSkus(context.Context) ([]licensing.SubscribedSku, error) {
	return nil, nil
}

func (u *usageTenant) User(_ context.Context, id string) (*licensing.User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return &licensing.User{ID: id, UsageLocation: u.loc[id]}, nil
}

func (u *usageTenant) SetUsageLocation(_ context.Context, id, loc string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.loc[id] = loc
	return nil
}

// BenchmarkApplyExecutorOverhead applies plans of n independent setUsageLocation steps (one
// read, one write, one verification read each) with a journal; compare the per-step cost across
// sizes to see that scheduling stays linear.
func BenchmarkApplyExecutorOverhead(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			p := &planner.Plan{}
			for i := range n {
				p.Steps = append(p.Steps, &planner.Step{ID: fmt.Sprintf("s%d", i+1), Action: planner.SetUsageLocation,
					Target: licensing.Target{Type: licensing.TargetUser, ID: fmt.Sprintf("u%d", i)}, UsageLocation: "NO",
					Result: &planner.Expectation{UsageLocation: "NO"}})
			}
			b.ReportAllocs()
			for b.Loop() {
				tenant := &usageTenant{loc: map[string]string{}}
				var journal discardCounter
				res, err := planner.Apply(context.Background(), tenant, p, planner.WithConcurrency(8), planner.WithJournal(&journal))
				if err != nil || res.Succeeded != n {
					b.Fatalf("%v %v", res.Summary(), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/step")
		})
	}
}

type discardCounter struct{ n int }

func (d *discardCounter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
