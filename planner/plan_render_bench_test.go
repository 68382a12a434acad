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

// benchInput is the synthetic tenant of n users and the desired state BenchmarkBuild plans.
func benchInput(b *testing.B, n int) (*licensing.State, *planner.Desired) {
	snap := synth.Tenant(synth.DefaultOptions(n))
	st, err := licensing.NewState(snap)
	if err != nil {
		b.Fatal(err)
	}
	return st, synthDesired(b, snap)
}

// synthDesired is the desired state synth writes for snap (licensebench's and the benchmarks').
func synthDesired(t testing.TB, snap *licensing.Snapshot) *planner.Desired {
	t.Helper()
	d, err := planner.ReadDesired(bytes.NewReader(synth.DesiredJSON(snap)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// benchRender times write on the plan of BenchmarkBuild at each size.
func benchRender(b *testing.B, write func(p *planner.Plan, w io.Writer) error) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			p := planner.Build(benchInput(b, n))
			var out countingWriter
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out = 0
				if err := write(p, &out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out), "out-bytes")
			b.ReportMetric(float64(out)/float64(max(len(p.Steps), 1)), "out-bytes/step")
		})
	}
}

// countingWriter discards what is written and counts it: the size of the rendering.
type countingWriter int64

func (c *countingWriter) Write(b []byte) (int, error) {
	*c += countingWriter(len(b))
	return len(b), nil
}

// BenchmarkWriteJSON renders the plan of BenchmarkBuild as plan/v1 JSON.
func BenchmarkWriteJSON(b *testing.B) { benchRender(b, (*planner.Plan).WriteJSON) }

// BenchmarkWriteText renders the plan of BenchmarkBuild as text.
func BenchmarkWriteText(b *testing.B) { benchRender(b, (*planner.Plan).WriteText) }
