package planner_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// refusedWith checks that p is the plan Build returns for inputs it cannot plan from: no
// steps, not applyable, one InvalidDesiredState error containing want; and that it renders.
func refusedWith(t *testing.T, p *planner.Plan, want string) {
	t.Helper()
	require.NotNil(t, p)
	assert.Empty(t, p.Steps)
	assert.False(t, p.Applyable())
	require.Len(t, p.Problems, 1)
	assert.Equal(t, licensing.InvalidDesiredState, p.Problems[0].Kind)
	assert.Equal(t, planner.SeverityError, p.Problems[0].Severity)
	assert.Contains(t, p.Problems[0].Message, want)
	var text, js, md bytes.Buffer
	require.NoError(t, p.WriteText(&text))
	require.NoError(t, p.WriteJSON(&js))
	require.NoError(t, p.WriteMarkdown(&md))
	assert.Contains(t, text.String(), want)
	assert.NotContains(t, text.String(), "No changes: the tenant already matches")
	assert.True(t, json.Valid(js.Bytes()))
}

// Issue 14, defect 4: nil inputs give a plan that says why, never a panic.
func TestBuildNilInputsDoNotPanic(t *testing.T) {
	st := sampleState(t)
	d := mustDesired(t, swapAlice)
	refusedWith(t, planner.Build(st, nil), "no desired state")
	refusedWith(t, planner.Build(nil, d), "no tenant state")
	refusedWith(t, planner.Build(nil, nil), "no tenant state and no desired state")
	assert.Equal(t, st.TenantID(), planner.Build(st, nil).TenantID)
	assert.Error(t, (*planner.Desired)(nil).Validate())
}

const swapAlice = `{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`

// Issue 14, defect 4: a Desired built in Go gets the checks ReadDesired makes on a file.
func TestBuildValidatesDesiredBuiltInGo(t *testing.T) {
	st := sampleState(t)
	base := func() *planner.Desired { return mustDesired(t, swapAlice) }
	cases := map[string]struct {
		edit func(d *planner.Desired)
		want string
	}{
		"format version": {func(d *planner.Desired) { d.FormatVersion = "" }, `formatVersion is "", want "desired/v1"`},
		"mode":           {func(d *planner.Desired) { d.Users[0].Mode = "exactly" }, `users[0].mode is "exactly"`},
		"group mode": {func(d *planner.Desired) {
			d.Groups = []planner.GroupTarget{{Group: "Licensing_EMS", Mode: "replace"}}
		}, `groups[0].mode is "replace"`},
		"rule mode": {func(d *planner.Desired) {
			d.Rules = []planner.AttrRule{{Name: "r", Where: map[string]string{"department": "Sales"}, Mode: "all"}}
		}, `rules[0] ("r").mode is "all"`},
		"allow and block list": {func(d *planner.Desired) {
			d.Users[0].Licenses[0].EnabledPlans = []string{"EXCHANGE_S_ENTERPRISE"}
			d.Users[0].Licenses[0].DisabledPlans = []string{"TEAMS1"}
		}, "sets both disabledPlans and enabledPlans"},
		"no sku":  {func(d *planner.Desired) { d.Users[0].Licenses[0].Sku = " " }, "users[0].licenses[0] has no sku"},
		"no user": {func(d *planner.Desired) { d.Users[0].User = "" }, "users[0] has no user"},
		"empty plan name": {func(d *planner.Desired) {
			d.Users[0].Licenses[0].DisabledPlans = []string{"TEAMS1", ""}
		}, "users[0].licenses[0].disabledPlans[1] is empty"},
		"empty group name":   {func(d *planner.Desired) { d.Users[0].Groups = []string{""} }, "users[0].groups[0] is empty"},
		"rule without where": {func(d *planner.Desired) { d.Rules = []planner.AttrRule{{Name: "all"}} }, "has no where"},
		"unknown attribute": {func(d *planner.Desired) {
			d.Rules = []planner.AttrRule{{Name: "r", Where: map[string]string{"office": "Oslo", "zzz": "1"}}}
		}, `unknown attribute "office"`},
		"waves falling": {func(d *planner.Desired) {
			d.MigrateDirectToGroup = &planner.Migration{Users: planner.UserSelector{All: true}, Waves: []float64{0.5, 0.2, 1}}
		}, "waves[1] = 0.2"},
		"waves NaN": {func(d *planner.Desired) {
			d.MigrateDirectToGroup = &planner.Migration{Users: planner.UserSelector{All: true}, Waves: []float64{math.NaN(), 1}}
		}, "waves[0] = NaN"},
		"waves not ending at 1": {func(d *planner.Desired) {
			d.MigrateDirectToGroup = &planner.Migration{Users: planner.UserSelector{All: true}, Waves: []float64{0.5}}
		}, "must end with 1.0"},
		"migration without users": {func(d *planner.Desired) { d.MigrateDirectToGroup = &planner.Migration{} }, "migrateDirectToGroup.users is empty"},
		"migration all and list": {func(d *planner.Desired) {
			d.MigrateDirectToGroup = &planner.Migration{Users: planner.UserSelector{All: true, Users: []string{"bob@contoso.com"}}}
		}, `both "all" and a list`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := base()
			c.edit(d)
			err := d.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			refusedWith(t, planner.Build(st, d), c.want)
			// ReadDesired refuses the same document.
			var buf bytes.Buffer
			// NaN does not encode, and "all" with a list encodes as "all".
			if name != "migration all and list" && json.NewEncoder(&buf).Encode(d) == nil {
				_, err = planner.ReadDesired(&buf)
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.want)
			}
		})
	}
	// The unchanged desired state plans.
	assert.True(t, planner.Build(st, base()).Applyable())
}

// Issue 14, defect 7: desired/v1 refuses a key given twice (tenant/v1 does too), naming the key
// and where it is, at any depth, including keys that differ only in case (encoding/json would
// keep the last one).
func TestReadDesiredRefusesDuplicateKeys(t *testing.T) {
	cases := map[string]struct{ doc, want string }{
		"top level": {`{"formatVersion":"desired/v1","users":[],"users":[]}`, `the key "users" twice at the top level (line 1, column 42)`},
		"user mode": {`{"formatVersion":"desired/v1","users":[{"user":"a","mode":"exact","licenses":[],
  "mode":"ensure"}]}`, `the key "mode" twice in users[0] (line 2, column 3)`},
		"license": {`{"formatVersion":"desired/v1","users":[{"user":"a","licenses":[{"sku":"X"},{"sku":"Y","Sku":"Z"}]}]}`, `the key "Sku" twice in users[0].licenses[1]`},
		"where":   {`{"formatVersion":"desired/v1","rules":[{"name":"r","where":{"department":"Sales","department":"HR"},"licenses":[]}]}`, `the key "department" twice in rules[0].where`},
		"options": {`{"formatVersion":"desired/v1","options":{"allowServiceLoss":false,"allowServiceLoss":true}}`, `the key "allowServiceLoss" twice in options`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := planner.ReadDesired(strings.NewReader(c.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			var le *licensing.Error
			require.ErrorAs(t, err, &le)
			assert.Equal(t, licensing.InvalidDesiredState, le.Kind)
		})
	}
	// The same key in different objects is fine.
	_, err := planner.ReadDesired(strings.NewReader(`{"formatVersion":"desired/v1","users":[
	  {"user":"a","mode":"exact","licenses":[{"sku":"X"}]},{"user":"b","mode":"exact","licenses":[{"sku":"X"}]}]}`))
	assert.NoError(t, err)
}
