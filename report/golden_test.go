package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// partNames names SKUs and plans by part number and plan name only, as the reports did before
// they had product names: the tests of what a fix or a detail says read better in it.
var partNames = report.Options{Names: licensing.NamesPart}

// contoso compiles the sample tenant (see internal/sampletenant for its stories).
func contoso(t testing.TB, opts ...licensing.StateOption) *licensing.State {
	t.Helper()
	st, err := licensing.NewState(sampletenant.Snapshot(), opts...)
	require.NoError(t, err)
	return st
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./report -update")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test ./report -update", path)
}

var formats = []report.Format{report.Text, report.CSV, report.JSON, report.Markdown}

// TestGoldenReports renders every report of the sample tenant in every format, compares it
// with testdata/<report>.<ext>, checks that a second rendering is byte-identical, and that the
// JSON is valid.
func TestGoldenReports(t *testing.T) {
	st := contoso(t)
	for _, name := range report.Names() {
		for _, f := range formats {
			t.Run(name+"."+string(f), func(t *testing.T) {
				var a, b bytes.Buffer
				require.NoError(t, report.Write(&a, st, name, f))
				require.NoError(t, report.Write(&b, st, name, f))
				assert.Equal(t, a.String(), b.String(), "same state must give the same bytes")
				if f == report.JSON {
					assert.True(t, json.Valid(a.Bytes()), "invalid JSON")
				}
				golden(t, name+"."+ext(f), a.Bytes())
			})
		}
	}
}

// TestGoldenExplain renders the explanation of the users whose stories the sample tenant tells.
func TestGoldenExplain(t *testing.T) {
	st := contoso(t)
	for _, user := range []string{"carol", "erin", "mobile4", "frank", "grace"} {
		for _, f := range []report.Format{report.Text, report.JSON, report.Markdown} {
			t.Run(user+"."+string(f), func(t *testing.T) {
				ex, err := report.Explain(st, user+"@contoso.com")
				require.NoError(t, err)
				var a, b bytes.Buffer
				require.NoError(t, ex.Write(&a, f))
				again, err := report.Explain(st, user+"@contoso.com")
				require.NoError(t, err)
				require.NoError(t, again.Write(&b, f))
				assert.Equal(t, a.String(), b.String())
				golden(t, "explain-"+user+"."+ext(f), a.Bytes())
			})
		}
	}
}

func ext(f report.Format) string {
	switch f {
	case report.Text:
		return "txt"
	case report.Markdown:
		return "md"
	}
	return string(f)
}
