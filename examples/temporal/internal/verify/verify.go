// Package verify checks what a run did to a fake tenant against the plan it applied.
package verify

import (
	"fmt"
	"strings"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// UnconsentedLoss lists every service plan a user lost in the fake's history (fake.HistoryEntry.Lost)
// that no step of p takes away from that user: neither a step on the user (Step.Lost, e.g. the
// consented loss of a make-before-break swap) nor a group step's impact on them as a member
// (MemberImpact.Lost). Empty when the run took nothing the plan keeps, not even for a moment
// between two steps.
func UnconsentedLoss(p *planner.Plan, hist []fake.HistoryEntry) []string {
	consented := map[string]map[licensing.PlanID]bool{}
	allow := func(user string, lost []licensing.PlanID) {
		u := strings.ToLower(user)
		if consented[u] == nil {
			consented[u] = map[licensing.PlanID]bool{}
		}
		for _, l := range lost {
			consented[u][l] = true
		}
	}
	for _, s := range p.Steps {
		if s.Target.Type == licensing.TargetUser {
			allow(s.Target.ID, s.Lost)
		}
		for _, m := range s.Members {
			allow(m.User.ID, m.Lost)
		}
	}
	var out []string
	for _, e := range hist {
		for _, l := range e.Lost() {
			if !consented[strings.ToLower(e.UserID)][l] {
				out = append(out, fmt.Sprintf("user %s lost service plan %s (%s), which no step takes away", e.UserID, l, e.Cause))
			}
		}
	}
	return out
}
