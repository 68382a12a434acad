package planner_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// loadCase reads testdata/<case>/tenant.json (or the sample tenant) and desired.json.
var loadCase = planner.LoadCase

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./planner -update")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run with -update", path)
}

// TestGoldenPlans builds the plan of every case under testdata/ and compares its text, plan/v1
// JSON and Markdown renderings (SKUs and plans named in the default style, both) with the golden
// files; testdata/e1-to-e3-swap also has plan.part.txt and plan.product.txt, the other styles. Each plan is also built twice (the bytes
// must be identical) and its JSON must read back.
func TestGoldenPlans(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/desired.json")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, d := range dirs {
		dir := filepath.Dir(d)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			st, desired := loadCase(t, dir)
			before := snapshotBytes(t, st)
			p := planner.Build(st, desired)
			assert.Equal(t, before, snapshotBytes(t, st), "Build must not modify the state it plans from")

			var txt, js, md bytes.Buffer
			require.NoError(t, p.WriteText(&txt))
			require.NoError(t, p.WriteJSON(&js))
			require.NoError(t, p.WriteMarkdown(&md))
			golden(t, filepath.Join(dir, "plan.txt"), txt.Bytes())
			if filepath.Base(dir) == "e1-to-e3-swap" {
				for _, style := range []licensing.NameStyle{licensing.NamesPart, licensing.NamesProduct} {
					golden(t, filepath.Join(dir, "plan."+style.String()+".txt"), []byte(p.WithNames(style).String()))
				}
			}
			if len(p.Steps) <= 100 { // big cases keep only the text golden
				golden(t, filepath.Join(dir, "plan.json"), js.Bytes())
				golden(t, filepath.Join(dir, "plan.md"), md.Bytes())
			}

			var again bytes.Buffer
			require.NoError(t, planner.Build(st, desired).WriteJSON(&again))
			assert.Equal(t, js.String(), again.String(), "same input must give a byte-identical plan")

			back, err := planner.ReadPlan(bytes.NewReader(js.Bytes()), st.TenantID())
			require.NoError(t, err)
			var js2 bytes.Buffer
			require.NoError(t, back.WriteJSON(&js2))
			assert.Equal(t, js.String(), js2.String(), "plan/v1 must round-trip")
		})
	}
}

func snapshotBytes(t *testing.T, st *licensing.State) string {
	var b bytes.Buffer
	require.NoError(t, st.Snapshot().WriteJSON(&b))
	return b.String()
}
