package licensing_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
)

// benchUserCounts are the tenant sizes; 1,000,000 only with LICENSEPLAN_BENCH_1M=1.
func benchUserCounts() []int {
	n := []int{10_000, 100_000}
	if os.Getenv("LICENSEPLAN_BENCH_1M") == "1" {
		n = append(n, 1_000_000)
	}
	return n
}

var benchSnaps = map[int]*licensing.Snapshot{}

func benchSnap(n int) *licensing.Snapshot {
	if s, ok := benchSnaps[n]; ok {
		return s
	}
	s := synth.Tenant(synth.DefaultOptions(n))
	benchSnaps[n] = s
	return s
}

// benchRead times read on the tenant/v1 document of each synthetic tenant size.
func benchRead(b *testing.B, read func(r io.Reader) error) {
	for _, n := range benchUserCounts() {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			var buf bytes.Buffer
			if err := benchSnap(n).WriteJSON(&buf); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := read(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadSnapshot loads a synthetic tenant/v1 document.
func BenchmarkReadSnapshot(b *testing.B) {
	benchRead(b, func(r io.Reader) error { _, err := licensing.ReadSnapshot(r); return err })
}

// BenchmarkLoadState reads a synthetic tenant/v1 document into a State (LoadState), against
// BenchmarkReadSnapshot plus NewState.
func BenchmarkLoadState(b *testing.B) {
	benchRead(b, func(r io.Reader) error { _, err := licensing.LoadState(r); return err })
}

// BenchmarkNewStateEffective compiles the snapshot and computes every user's enabled plans.
func BenchmarkNewStateEffective(b *testing.B) {
	for _, n := range benchUserCounts() {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			snap := benchSnap(n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := licensing.NewState(snap)
				if err != nil {
					b.Fatal(err)
				}
				for u := 0; u < st.NumUsers(); u++ {
					st.EnabledPlans(u)
				}
			}
		})
	}
}

// BenchmarkEffective computes one user's full effective licensing (per SKU, assignedLicenses).
func BenchmarkEffective(b *testing.B) {
	for _, n := range benchUserCounts() {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			st, err := licensing.NewState(benchSnap(n))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st.Effective(i % st.NumUsers())
			}
		})
	}
}

// BenchmarkPredict predicts a one-user assignLicense (a synthetic SKU added directly).
func BenchmarkPredict(b *testing.B) {
	for _, n := range benchUserCounts() {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			snap := benchSnap(n)
			st, err := licensing.NewState(snap)
			if err != nil {
				b.Fatal(err)
			}
			add := []licensing.AssignedLicense{{SkuID: snap.SubscribedSkus[8].SkuID, DisabledPlans: []licensing.PlanID{}}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: st.User(i % n).ID, AddLicenses: add})
			}
		})
	}
}

// BenchmarkMicrosoftCatalog is the cost of the embedded catalog: parsing it (once per process)
// and building a caller's copy (each MicrosoftCatalog call).
func BenchmarkMicrosoftCatalog(b *testing.B) {
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			licensing.MicrosoftCatalog()
		}
	})
}
