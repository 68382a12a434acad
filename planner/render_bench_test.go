package planner_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func benchPlan(b *testing.B, n int) *planner.Plan {
	snap := synth.Tenant(synth.DefaultOptions(n))
	st, err := licensing.NewState(snap)
	if err != nil {
		b.Fatal(err)
	}
	d, err := planner.ReadDesired(bytes.NewReader(synth.DesiredJSON(snap)))
	if err != nil {
		b.Fatal(err)
	}
	return planner.Build(st, d)
}

// BenchmarkWriteJSON renders the plan of BenchmarkBuild as plan/v1 JSON.
func BenchmarkWriteJSON(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			p := benchPlan(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.WriteJSON(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteText renders the plan of BenchmarkBuild as text.
func BenchmarkWriteText(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			p := benchPlan(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.WriteText(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
