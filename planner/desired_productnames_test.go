package planner_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// productNames maps each SKU reference of a desired state to its product name ("Office 365 E3")
// and each plan reference to its friendly name ("Exchange Online (Plan 2)"), cased as a user
// might type them (every other one lower-cased). References that do not resolve are left out;
// kept counts friendly names that do not name one plan and so cannot replace the reference.
func productNames(t *testing.T, st *licensing.State, d *planner.Desired) (names map[string]string, kept int) {
	t.Helper()
	names = map[string]string{}
	cased := func(s string) string {
		if len(names)%2 == 1 {
			return strings.ToLower(s)
		}
		return s
	}
	cat := st.Catalog()
	lookup := func(sku *licensing.Sku, ref string) (*licensing.ServicePlan, error) {
		if sku != nil {
			return cat.LookupPlanInSku(sku, ref)
		}
		return cat.LookupPlan(ref)
	}
	plans := func(sku *licensing.Sku, refs []string) {
		for _, ref := range refs {
			p, err := lookup(sku, ref)
			if err != nil {
				continue
			}
			name := cased(p.FriendlyName())
			if back, err := lookup(sku, name); err != nil || back.ID != p.ID {
				kept++
				continue
			}
			names[ref] = name
		}
	}
	licenses := func(ls []planner.LicenseSpec) {
		for _, l := range ls {
			sub, err := st.LookupSku(l.Sku)
			if err != nil {
				continue
			}
			require.NotEmpty(t, sub.Sku.DisplayName, "Microsoft's catalog names %s", sub.Sku.Label())
			plans(sub.Sku, l.DisabledPlans)
			plans(sub.Sku, l.EnabledPlans)
			names[l.Sku] = cased(sub.Sku.DisplayName)
		}
	}
	for _, u := range d.Users {
		licenses(u.Licenses)
		plans(nil, u.AllowServiceLoss)
	}
	for _, g := range d.Groups {
		licenses(g.Licenses)
	}
	for _, r := range d.Rules {
		licenses(r.Licenses)
	}
	return names, kept
}

// A desired state written in product and friendly names plans exactly as the one written in
// part numbers and plan names: every golden case, byte for byte.
func TestDesiredInProductNamesPlansTheSame(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/desired.json")
	require.NoError(t, err)
	total := 0
	for _, d := range dirs {
		dir := filepath.Dir(d)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			st, desired := loadCase(t, dir)
			var want bytes.Buffer
			require.NoError(t, planner.Build(st, desired).WriteJSON(&want))

			names, kept := productNames(t, st, desired)
			total += len(names)
			assert.Zero(t, kept, "every friendly name in these cases names one plan")
			// Rewrite the file as a user would write it.
			raw, err := os.ReadFile(d)
			require.NoError(t, err)
			for ref, name := range names {
				q, _ := json.Marshal(ref)
				n, _ := json.Marshal(name)
				raw = bytes.ReplaceAll(raw, q, n)
			}
			again, err := planner.ReadDesired(bytes.NewReader(raw))
			require.NoError(t, err)
			var got bytes.Buffer
			require.NoError(t, planner.Build(st, again).WriteJSON(&got))
			assert.Equal(t, want.String(), got.String(), "desired in product names: %s", raw)
		})
	}
	assert.Greater(t, total, 20, "the cases name SKUs and plans")
}

// Product names in a desired state resolve case-insensitively; a name of a Microsoft product the
// tenant lacks, a name two plans share, and a typo each get an error that says what to write.
func TestDesiredProductNameErrors(t *testing.T) {
	st, _ := loadCase(t, "testdata/e1-to-e3-swap")
	build := func(doc string) *planner.Plan {
		d, err := planner.ReadDesired(strings.NewReader(doc))
		require.NoError(t, err)
		return planner.Build(st, d)
	}
	p := build(`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"office 365 e3","disabledPlans":["yammer enterprise"]}],"allowServiceLoss":["Yammer Enterprise"]}]}`)
	require.True(t, p.Applyable(), "%v", p.Problems)
	require.Len(t, p.Steps, 1)
	require.Len(t, p.Steps[0].AddLicenses, 1)
	assert.Len(t, p.Steps[0].AddLicenses[0].DisabledPlans, 1)

	p = build(`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","licenses":[{"sku":"Microsoft 365 E5"}]}]}`)
	require.False(t, p.Applyable())
	assert.Contains(t, p.Problems[0].Message, "Microsoft 365 E5 (SPE_E5) is a Microsoft product, but this tenant does not subscribe to it")

	p = build(`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","licenses":[{"sku":"Ofice 365 E3"}]}]}`)
	require.False(t, p.Applyable())
	assert.Contains(t, p.Problems[0].Message, `did you mean "Office 365 E3" (ENTERPRISEPACK)`)
}
