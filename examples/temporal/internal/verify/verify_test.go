package verify

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func TestUnconsentedLoss(t *testing.T) {
	a, b, c := licensing.PlanID{1}, licensing.PlanID{2}, licensing.PlanID{3}
	p := &planner.Plan{Steps: []*planner.Step{
		{Target: licensing.Target{Type: licensing.TargetUser, ID: "U1"}, Lost: []licensing.PlanID{a}},
		{Target: licensing.Target{Type: licensing.TargetGroup, ID: "g"}, Members: []planner.MemberImpact{{User: licensing.Target{ID: "u2"}, Lost: []licensing.PlanID{b}}}},
	}}
	hist := []fake.HistoryEntry{
		{UserID: "u1", EnabledPlansBefore: []licensing.PlanID{a, c}, EnabledPlansAfter: []licensing.PlanID{c}}, // consented
		{UserID: "u2", EnabledPlansBefore: []licensing.PlanID{b}},                                              // as a member: consented
		{UserID: "u2", EnabledPlansBefore: []licensing.PlanID{c}, Cause: fake.CauseAssignLicense},              // not
		{UserID: "u3", EnabledPlansBefore: []licensing.PlanID{a}},                                              // not: no step on u3
	}
	got := UnconsentedLoss(p, hist)
	assert.Len(t, got, 2, "%v", got)
	assert.Contains(t, got[0], "user u2 lost service plan "+c.String()+" (assignLicense)")
	assert.Contains(t, got[1], "user u3")
	assert.Empty(t, UnconsentedLoss(p, hist[:2]))
}
