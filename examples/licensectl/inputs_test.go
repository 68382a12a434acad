package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14, defect 7: inputs that were accepted and should not be. Each is exit 2 with a
// one-line reason naming the flag or file.
func TestBadInputsAreRefused(t *testing.T) {
	dir, tenant := files(t)
	good := writeFile(t, dir, "d.json", swap)
	gen := filepath.Join(dir, "gen.json")
	cases := map[string]struct {
		args []string
		want string
	}{
		"generate users overflow": {[]string{"generate", "--users", "99999999999999", "--out", gen}, "--users N with 1 ≤ N ≤ 10000000"},
		"generate users zero":     {[]string{"generate", "--users", "0"}, "--users N with 1"},
		"generate users negative": {[]string{"generate", "--users", "-3"}, "--users N with 1"},
		"generate skus too few":   {[]string{"generate", "--users", "10", "--skus", "3", "--out", gen}, "--skus 3: want 7 to 1000"},
		"generate skus zero":      {[]string{"generate", "--users", "10", "--skus", "0", "--out", gen}, "--skus 0: want 7 to 1000"},
		"generate skus negative":  {[]string{"generate", "--users", "10", "--skus", "-1", "--out", gen}, "--skus -1"},
		"generate skus too many":  {[]string{"generate", "--users", "10", "--skus", "5000000", "--out", gen}, "--skus 5000000"},
		"generate groups few":     {[]string{"generate", "--users", "10", "--groups", "1", "--out", gen}, "--groups 1: want 3 to 100000"},
		"generate groups many":    {[]string{"generate", "--users", "10", "--groups", "99999999", "--out", gen}, "--groups 99999999"},
		"generate 7 skus, groups": {[]string{"generate", "--users", "10", "--skus", "7", "--groups", "9", "--out", gen}, "--skus 7 leaves no synthetic SKU"},
		"generate out is desired": {[]string{"generate", "--users", "10", "--out", gen, "--desired", gen}, "is the --desired file"},
		"generate stray argument": {[]string{"generate", "--users", "10", "100"}, `unexpected argument "100"`},
		"report out is input":     {[]string{"report", "paths", "--tenant", tenant, "--out", tenant}, "is the --tenant file"},
		"report out is input too": {[]string{"report", "paths", "--tenant", tenant, "--out", filepath.Join(dir, ".", "tenant.json")}, "is the --tenant file"},
		"report stray argument":   {[]string{"report", "paths", "seats", "--tenant", tenant}, `unexpected argument "seats"`},
		"snapshot out is input":   {[]string{"snapshot", "--tenant", tenant, "--out", tenant}, "is the --tenant file"},
		"plan stray argument":     {[]string{"plan", "--tenant", tenant, "--desired", good, "desired.json"}, `unexpected argument "desired.json"`},
		"explain stray argument":  {[]string{"explain", "--tenant", tenant, "--user", "alice@contoso.com", "bob@contoso.com"}, `unexpected argument "bob@contoso.com"`},
		"apply stray argument":    {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "now"}, `unexpected argument "now"`},
		"apply rate negative":     {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "--rate", "-5"}, "--rate -5: want 0 (no limit)"},
		"apply rate NaN":          {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "--rate", "NaN"}, "--rate NaN"},
		"apply rate tiny":         {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "--rate", "1e-300"}, "--rate 1e-300"},
		"apply rate infinite":     {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "--rate", "Inf"}, "--rate +Inf"},
		"apply concurrency -1":    {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "--concurrency", "-1"}, "--concurrency -1: want 1 to 256"},
		"apply concurrency 0":     {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "--concurrency", "0"}, "--concurrency 0"},
		"cloud without graph":     {[]string{"plan", "--tenant", tenant, "--desired", good, "--cloud", "china"}, "--cloud is for --graph"},
		"plan names bogus":        {[]string{"plan", "--tenant", tenant, "--desired", good, "--names", "bogus"}, `--names "bogus": want part, product or both`},
		"apply names bogus":       {[]string{"apply", "--tenant", tenant, "--desired", good, "--yes", "--names", "bogus"}, `--names "bogus": want part, product or both`},
		"report names bogus":      {[]string{"report", "seats", "--tenant", tenant, "--names", "parts"}, `--names "parts": want part, product or both`},
		"explain names empty":     {[]string{"explain", "--tenant", tenant, "--user", "carol@contoso.com", "--names", ""}, `--names "": want part, product or both`},
		"unknown cloud":           {[]string{"snapshot", "--graph", "--cloud", "mars"}, `--cloud "mars": want public, usgov, usgovdod or china`},
		"apply unknown SKU": {[]string{"apply", "--tenant", tenant, "--yes", "--desired", writeFile(t, dir, "typo.json",
			`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","licenses":[{"sku":"ENTERPRISEPAK"}]}]}`)}, "ENTERPRISEPACK"},
		"duplicate desired key": {[]string{"plan", "--tenant", tenant, "--desired", writeFile(t, dir, "dup.json",
			`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","mode":"ensure","licenses":[]}]}`)}, `the key "mode" twice in users[0]`},
	}
	before, err := os.ReadFile(tenant)
	require.NoError(t, err)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := cli(t, "", c.args...)
			assert.Equal(t, 2, code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Contains(t, errOut, c.want)
			assert.NotContains(t, strings.TrimSpace(errOut), "\n", "one line")
		})
	}
	after, err := os.ReadFile(tenant)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the input file is untouched")
	assert.NoFileExists(t, gen)
}

// The checks shared with the apply command, directly.
func TestRateAndConcurrencyChecks(t *testing.T) {
	for _, r := range []float64{0, 0.01, 1, 50, 100_000} {
		assert.NoError(t, checkRate(r), "%v", r)
	}
	for _, r := range []float64{-5, -0.0001, math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, 0.001, 1e300} {
		assert.Error(t, checkRate(r), "%v", r)
	}
	for _, n := range []int{1, 4, 256} {
		assert.NoError(t, checkConcurrency(n))
	}
	for _, n := range []int{-1, 0, 257, math.MaxInt} {
		assert.Error(t, checkConcurrency(n))
	}
}

// generate's sizes in range still work, and a flag left off takes its default.
func TestGenerateSizes(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--skus", "7"}, {"--skus", "8", "--groups", "5"}, {"--groups", "3"}, {}} {
		out := filepath.Join(dir, "g.json")
		_, errOut, code := cli(t, "", append([]string{"generate", "--users", "20", "--out", out}, args...)...)
		assert.Equal(t, 0, code, "%v: %s", args, errOut)
	}
}

// Issue 14, defect 6: a plan whose names do not resolve does not say "No changes" and exit 0:
// it says the plan has problems and is not applyable, and exits 2 (bad input), with the plan
// (and its suggestions) on stdout.
func TestPlanWithUnresolvedNamesIsBadInput(t *testing.T) {
	dir, tenant := files(t)
	d := writeFile(t, dir, "d.json", `{"formatVersion":"desired/v1","users":[{"user":"alise@contoso.com","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`)
	out, errOut, code := cli(t, "", "plan", "--tenant", tenant, "--desired", d)
	assert.Equal(t, 2, code)
	assert.NotContains(t, out, "No changes")
	assert.Contains(t, out, "not applyable")
	assert.Contains(t, out, `did you mean "alice@contoso.com"`)
	assert.Contains(t, errOut, "the desired state does not fit the tenant, so the plan is not applyable: users[0]")
	// --fail-on-problems does not turn bad input into 3.
	_, _, code = cli(t, "", "plan", "--tenant", tenant, "--desired", d, "--fail-on-problems", "--output", "json")
	assert.Equal(t, 2, code)
}
