package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// report and explain write Markdown; an unknown format names the four.
func TestReportMarkdown(t *testing.T) {
	_, tenant, prices := lifecycleFiles(t)
	out, errs, code := cli(t, "", "report", "seats", "--tenant", tenant, "--output", "markdown")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "### seats\n\n| SKU |"), out)
	assert.Contains(t, out, "| Office 365 E3 (ENTERPRISEPACK) |")

	out, errs, code = cli(t, "", "report", "cost", "--tenant", tenant, "--prices", prices, "--output", "md")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "### Cost\n\n```\n"), out)

	out, errs, code = cli(t, "", "explain", "--tenant", tenant, "--user", "carol@contoso.com", "--output", "markdown")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "### Licensing of carol@contoso.com"), out)

	_, errs, code = cli(t, "", "report", "paths", "--tenant", tenant, "--output", "html")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "use text, csv, json or markdown")
}
