package planner_test

import (
	"fmt"
	"strings"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// Build plans alice's move from Office 365 E1 to E3 on the sample tenant: one atomic
// assignLicense, because SharePoint Plan 1 and Plan 2 may not be held together.
func ExampleBuild() {
	st, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	desired, err := planner.ReadDesired(strings.NewReader(`{"formatVersion": "desired/v1",
	  "users": [{"user": "alice@contoso.com", "mode": "exact", "licenses": [{"sku": "ENTERPRISEPACK"}]}]}`))
	if err != nil {
		panic(err)
	}
	plan := planner.Build(st, desired)
	for _, s := range plan.Steps {
		fmt.Printf("%s %s %s %s  %s\n", s.ID, s.Symbol(), s.Target.Type, s.Target.Name, plan.Summary(s))
		fmt.Println("   why:", s.Reason)
	}
	fmt.Println("applyable:", plan.Applyable())
	// Output:
	// s1 ~ user alice@contoso.com  assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)
	//    why: swap Office 365 E1 (STANDARDPACK) → Office 365 E3 (ENTERPRISEPACK) in one call (SharePoint (Plan 1) (SHAREPOINTSTANDARD) and SharePoint (Plan 2) (SHAREPOINTENTERPRISE) conflict)
	// applyable: true
}
