package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// Every report writes Markdown: the tabular ones a table with a row per row of their text, the
// ones in sections their text in a fenced block. Nothing writes an empty document.
func TestEveryReportWritesMarkdown(t *testing.T) {
	st, err := licensing.NewState(sampletenant.Snapshot())
	require.NoError(t, err)
	f, err := report.ParseFormat("MD")
	require.NoError(t, err)
	assert.Equal(t, report.Markdown, f)

	for _, name := range report.Names() {
		var md, txt bytes.Buffer
		require.NoError(t, report.Write(&md, st, name, report.Markdown), name)
		require.NoError(t, report.Write(&txt, st, name, report.Text), name)
		out := md.String()
		require.True(t, strings.HasPrefix(out, "### "), "%s: %q", name, out)
		if name == report.ReportErrors {
			assert.Contains(t, out, "```\n"+txt.String(), "errors: the text in a fence")
			continue
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.GreaterOrEqual(t, len(lines), 4, name)
		assert.Regexp(t, `^\|( .* \|)+$`, lines[2], "%s: a header row", name)
		assert.Regexp(t, `^\|(---\|)+$`, lines[3], "%s: the separator", name)
		textRows := len(strings.Split(strings.TrimSpace(txt.String()), "\n")) - 1
		assert.Equal(t, textRows, len(lines)-4, "%s: a table row per text row", name)
	}

	lc := lifecycle(t)
	ex, err := report.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	var md bytes.Buffer
	require.NoError(t, ex.Write(&md, report.Markdown))
	assert.True(t, strings.HasPrefix(md.String(), "### Licensing of carol@contoso.com\n\n```\n"))
	rc, err := report.Reclaim(lc, report.ReclaimOptions{})
	require.NoError(t, err)
	md.Reset()
	require.NoError(t, rc.Write(&md, report.Markdown))
	assert.Contains(t, md.String(), "### Licenses to reclaim\n\n```\n")
	assert.Contains(t, md.String(), "bob@contoso.com")

	_, err = report.ParseFormat("html")
	assert.ErrorContains(t, err, "use text, csv, json or markdown")
}

// explain has no CSV form and says what to use instead.
func TestExplainRefusesCSV(t *testing.T) {
	st, err := licensing.NewState(sampletenant.Snapshot())
	require.NoError(t, err)
	ex, err := report.Explain(st, "carol@contoso.com")
	require.NoError(t, err)
	var b bytes.Buffer
	err = ex.Write(&b, report.CSV)
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.ErrorContains(t, err, "use the paths report for a table")
	assert.Zero(t, b.Len())
}
