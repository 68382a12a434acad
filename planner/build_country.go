package planner

import (
	"fmt"

	"github.com/licenseplan/licenseplan/licensing"
)

// countryUnknown warns, for a step that has group g license user u, when the prediction rests
// on the tenant's country and the snapshot could not read it (GET /organization was refused:
// licensing.State.DefaultUsageLocationUnknown). A user without a usage location gets its group
// licenses in the tenant's country: the plan predicts that they apply, but cannot check that
// every plan is offered there.
func (b *builder) countryUnknown(step *stepSlot, u, g int) {
	if !b.w.DefaultUsageLocationUnknown() || b.w.UsageLocation(u) != "" || len(b.w.GroupLicenses(g)) == 0 {
		return
	}
	t := b.w.UserTarget(u)
	b.stepProblem(step, Problem{Kind: licensing.UsageLocationMissing, Severity: SeverityWarning, Target: t,
		Message: fmt.Sprintf("%s has no usage location, so group %s licenses the user in the tenant's country, which the snapshot could not read (no permission for GET /organization): the plan assumes the licenses apply; set the user's usageLocation (or grant Organization.Read.All and read the tenant again) to have them checked", t, b.w.Group(g).DisplayName)})
}
