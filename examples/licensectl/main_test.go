package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// cli runs licensectl with args and returns stdout, stderr and the exit code.
func cli(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	code := 0
	if err != nil {
		code = 2
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func files(t *testing.T) (dir, tenant string) {
	dir = t.TempDir()
	tenant = filepath.Join(dir, "tenant.json")
	require.NoError(t, os.WriteFile(tenant, sampletenant.JSON(), 0o644))
	return dir, tenant
}

func writeFile(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

const swap = `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`

func TestPlanApplyReplan(t *testing.T) {
	dir, tenant := files(t)
	desired := writeFile(t, dir, "desired.json", swap)

	out, _, code := cli(t, "", "plan", "--tenant", tenant, "--desired", desired)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)")

	out, _, code = cli(t, "", "plan", "--tenant", tenant, "--desired", desired, "--output", "json")
	require.Equal(t, 0, code)
	planFile := writeFile(t, dir, "plan.json", out)

	// Without --yes the user is asked; anything but "yes" changes nothing.
	after := filepath.Join(dir, "after.json")
	_, _, code = cli(t, "no\n", "apply", "--tenant", tenant, "--plan", planFile, "--out", after)
	assert.Equal(t, 1, code)
	assert.NoFileExists(t, after)

	out, _, code = cli(t, "yes\n", "apply", "--tenant", tenant, "--plan", planFile, "--out", after, "--journal", filepath.Join(dir, "j"))
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "1 steps: 1 succeeded")
	f, err := os.Open(after)
	require.NoError(t, err)
	snap, err := licensing.ReadSnapshot(f)
	f.Close()
	require.NoError(t, err)
	for _, u := range snap.Users {
		if u.UserPrincipalName == "alice@contoso.com" {
			require.Len(t, u.AssignedLicenses, 1)
			assert.Equal(t, sampletenant.E3, u.AssignedLicenses[0].SkuID.String())
		}
	}

	out, _, code = cli(t, "", "plan", "--tenant", after, "--desired", desired)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "0 steps")

	// A plan made for this tenant is refused on another one.
	other := writeFile(t, dir, "other.json", strings.Replace(string(sampletenant.JSON()), sampletenant.TenantID, "99999999-0000-4000-8000-000000000000", 1))
	_, errOut, code := cli(t, "", "apply", "--tenant", other, "--plan", planFile, "--yes")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "made for tenant")
}

func TestBadInputIsExitTwoWithOneLineReason(t *testing.T) {
	dir, tenant := files(t)
	good := writeFile(t, dir, "d.json", swap)
	cases := map[string]struct {
		args []string
		want string
	}{
		"no source":        {[]string{"plan", "--desired", good}, "exactly one source"},
		"two sources":      {[]string{"plan", "--tenant", tenant, "--graph", "--desired", good}, "exactly one source"},
		"missing file":     {[]string{"plan", "--tenant", filepath.Join(dir, "nope.json"), "--desired", good}, "no such file"},
		"malformed desire": {[]string{"plan", "--tenant", tenant, "--desired", writeFile(t, dir, "bad.json", `{"formatVersion":"desired/v1",`)}, "not valid desired/v1 JSON"},
		"bad tenant":       {[]string{"plan", "--tenant", writeFile(t, dir, "t.json", `{"formatVersion":"tenant/v0"}`), "--desired", good}, `want "tenant/v1"`},
		"unknown command":  {[]string{"deploy"}, `unknown command "deploy"`},
		"output":           {[]string{"plan", "--tenant", tenant, "--desired", good, "--output", "yaml"}, "want text, json or markdown"},
		"report name":      {[]string{"report", "licences", "--tenant", tenant}, `unknown report "licences"`},
		"explain user":     {[]string{"explain", "--tenant", tenant, "--user", "alise@contoso.com"}, "did you mean"},
		"rules typo":       {[]string{"plan", "--tenant", tenant, "--desired", good, "--rules", writeFile(t, dir, "r.json", `{"formatVersion":"rules/v1","disable":["Sharepoint Online"]}`)}, `did you mean "SharePoint Online"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := cli(t, "", c.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut, c.want)
		})
	}
}

func TestPlanWithProblemsStillExitsZeroUnlessAsked(t *testing.T) {
	dir, tenant := files(t)
	// E3 next to alice's E1 (mode ensure): Entra would refuse it, a problem of the plan.
	d := writeFile(t, dir, "d.json", `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`)
	out, _, code := cli(t, "", "plan", "--tenant", tenant, "--desired", d)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "MutuallyExclusiveViolation")
	_, _, code = cli(t, "", "plan", "--tenant", tenant, "--desired", d, "--fail-on-problems")
	assert.Equal(t, 3, code)
	// A name that does not resolve is bad input: 2, with the suggestion in the plan.
	d = writeFile(t, dir, "typo.json", `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","licenses":[{"sku":"ENTERPRISEPAK"}]}]}`)
	out, _, code = cli(t, "", "plan", "--tenant", tenant, "--desired", d)
	assert.Equal(t, 2, code)
	assert.Contains(t, out, `did you mean "ENTERPRISEPACK"`)
}

func TestReportsAndExplain(t *testing.T) {
	_, tenant := files(t)
	out, _, code := cli(t, "", "report", "paths", "--tenant", tenant, "--output", "csv")
	require.Equal(t, 0, code)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	assert.Greater(t, len(rows), 20)

	out, _, code = cli(t, "", "report", "errors", "--tenant", tenant)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "buy 1 more seat of Enterprise Mobility + Security E3 (EMS)")

	out, _, code = cli(t, "", "explain", "--tenant", tenant, "--user", "carol@contoso.com")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "10 of 13 plans on")
}

func TestGenerateIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	_, _, code := cli(t, "", "generate", "--users", "500", "--seed", "7", "--out", a, "--desired", filepath.Join(dir, "d.json"))
	require.Equal(t, 0, code)
	_, _, code = cli(t, "", "generate", "--users", "500", "--seed", "7", "--out", b)
	require.Equal(t, 0, code)
	x, _ := os.ReadFile(a)
	y, _ := os.ReadFile(b)
	assert.Equal(t, x, y)
	out, _, code := cli(t, "", "plan", "--tenant", a, "--desired", filepath.Join(dir, "d.json"))
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Plan for tenant")
}
