package planner_test

import (
	"fmt"
	"testing"

	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

var benchSizes = []int{10_000, 100_000}

// BenchmarkBuild plans a synthetic tenant with a desired state touching every user
// (department rules + a direct → group migration in three waves).
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			st, d := benchInput(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := planner.Build(st, d)
				if len(p.Steps) == 0 {
					b.Fatal("empty plan")
				}
			}
		})
	}
}

// BenchmarkNewState compiles a synthetic tenant snapshot into a licensing.State.
func BenchmarkNewState(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			snap := synth.Tenant(synth.DefaultOptions(n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := licensing.NewState(snap); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
