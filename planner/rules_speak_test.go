package planner_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func problemsWith(p *planner.Plan, sev planner.Severity, text string) []planner.Problem {
	var out []planner.Problem
	for _, pr := range p.Problems {
		if pr.Severity == sev && strings.Contains(pr.Message, text) {
			out = append(out, pr)
		}
	}
	return out
}

func stepsOn(p *planner.Plan, upn string) []*planner.Step {
	var out []*planner.Step
	for _, s := range p.Steps {
		if s.Target.Name == upn {
			out = append(out, s)
		}
	}
	return out
}

// Issue 14, defect 5: alice is targeted explicitly (exact, no licenses) and a Sales rule gives
// E3. The explicit target wins, and the plan says so naming the rule and the user.
func TestExplicitTargetWinsOverRuleAndSaysSo(t *testing.T) {
	st := sampleState(t)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1",
	  "users":[{"user":"alice@contoso.com","mode":"exact","licenses":[]}],
	  "rules":[{"name":"Sales E3","where":{"department":"Sales"},"licenses":[{"sku":"ENTERPRISEPACK"}]}],
	  "options":{"allowServiceLoss":true}}`))
	steps := stepsOn(p, "alice@contoso.com")
	require.Len(t, steps, 1, p.String())
	assert.Empty(t, steps[0].AddLicenses, "the rule's E3 is not given to alice")
	assert.Equal(t, []licensing.SkuID{licensing.MustParseSkuID(sampletenant.E1)}, steps[0].RemoveLicenses)
	info := problemsWith(p, planner.SeverityInfo, `rules[0] ("Sales E3") matches user alice@contoso.com, whom users[0] targets explicitly`)
	require.Len(t, info, 1, p.String())
	assert.Equal(t, sampletenant.Alice, info[0].Target.ID)
	assert.Equal(t, licensing.InvalidDesiredState, info[0].Kind)
	// The other Sales users (erin, grace) get the rule's E3, and their steps name the rule.
	for _, upn := range []string{"erin@contoso.com", "grace@contoso.com"} {
		steps := stepsOn(p, upn)
		require.NotEmpty(t, steps, upn)
		for _, s := range steps {
			if s.Action == planner.AssignLicense {
				assert.Contains(t, s.Reason, `by rule rules[0] ("Sales E3")`, upn)
			}
		}
	}
}

// Two exact rules that give one user different licenses are an error naming both rules and the
// user; exact rules that agree, and an exact and an ensure rule, merge.
func TestConflictingExactRulesAreAnErrorNamingBoth(t *testing.T) {
	st := sampleState(t)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","rules":[
	  {"name":"Sales E3","where":{"department":"Sales"},"mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},
	  {"name":"Flagged E1","where":{"onPremisesExtensionAttributes.extensionAttribute10":"E3 All"},"mode":"exact","licenses":[{"sku":"STANDARDPACK"}]}]}`))
	errs := problemsWith(p, planner.SeverityError, `rules[0] ("Sales E3") and rules[1] ("Flagged E1") are both exact and give different licenses to 1 user(s) (alice@contoso.com)`)
	require.Len(t, errs, 1, p.String())
	assert.Equal(t, sampletenant.Alice, errs[0].Target.ID)
	assert.False(t, p.Applyable())

	// Agreeing exact rules, and an ensure rule on top of an exact one, are fine.
	p = planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","rules":[
	  {"name":"Sales E3","where":{"department":"Sales"},"mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},
	  {"name":"Flagged E3","where":{"onPremisesExtensionAttributes.extensionAttribute10":"E3 All"},"mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]},
	  {"name":"Alice EMS","where":{"userPrincipalName":"alice@contoso.com"},"licenses":[{"sku":"EMS"}]}]}`))
	assert.Empty(t, problemsWith(p, planner.SeverityError, "both exact"), p.String())
	steps := stepsOn(p, "alice@contoso.com")
	require.Len(t, steps, 1, p.String())
	s := steps[0]
	assert.Len(t, s.AddLicenses, 2)
	assert.Equal(t, []licensing.SkuID{licensing.MustParseSkuID(sampletenant.E1)}, s.RemoveLicenses)
	// The step names every rule behind it: the two that give its SKUs; the exact rule that
	// removes E1 is the first one.
	assert.Contains(t, s.Reason, `by rules `, s.Reason)
	assert.Contains(t, s.Reason, `rules[0] ("Sales E3")`)
	assert.Contains(t, s.Reason, `rules[2] ("Alice EMS")`)
}

// Every rule-driven assignLicense step names its rule, also when the rule only removes (exact).
func TestRuleDrivenStepsNameTheirRule(t *testing.T) {
	st := sampleState(t)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","rules":[
	  {"name":"Support has no direct licenses","where":{"department":"Support"},"mode":"exact","licenses":[]}],
	  "options":{"allowServiceLoss":true}}`))
	steps := stepsOn(p, "bob@contoso.com")
	require.NotEmpty(t, steps, p.String())
	for _, s := range steps {
		if s.Action == planner.AssignLicense {
			assert.Equal(t, `remove Exchange Online (Plan 1) (EXCHANGESTANDARD); by rule rules[0] ("Support has no direct licenses")`, s.Reason)
		}
	}
	// An explicit user's steps do not name a rule.
	p = planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1",
	  "users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}],
	  "rules":[{"name":"Flagged E3","where":{"onPremisesExtensionAttributes.extensionAttribute10":"E3 All"},"licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
	for _, s := range stepsOn(p, "alice@contoso.com") {
		assert.NotContains(t, s.Reason, "rule", s.Reason)
	}
}

// A rule that matches nobody is a warning naming the rule and its where.
func TestRuleMatchingNobodyIsAWarning(t *testing.T) {
	st := sampleState(t)
	p := planner.Build(st, mustDesired(t, `{"formatVersion":"desired/v1","rules":[
	  {"name":"Salse E3","where":{"department":"Salse"},"licenses":[{"sku":"ENTERPRISEPACK"}]},
	  {"name":"Finance E3","where":{"department":"Finance"},"licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
	w := problemsWith(p, planner.SeverityWarning, "matches no user")
	require.Len(t, w, 1, p.String())
	assert.Equal(t, `rules[0] ("Salse E3") matches no user: check its where (department = "Salse")`, w[0].Message)
	assert.True(t, p.Applyable(), "a warning does not stop the plan")
}
