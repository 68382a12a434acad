package planner_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// Apply a plan to the fake tenant with a journal, then plan again: nothing is left to do.
func ExampleApply() {
	ctx := context.Background()
	tenant, _ := fake.New(sampletenant.Snapshot())
	desired, _ := planner.ReadDesired(bytes.NewReader([]byte(`{"formatVersion": "desired/v1",
		"users": [{"user": "alice@contoso.com", "mode": "exact", "licenses": [{"sku": "ENTERPRISEPACK"}]},
		          {"user": "grace@contoso.com", "usageLocation": "NO", "licenses": [{"sku": "STANDARDPACK"}]}]}`)))
	st, _ := licensing.NewState(tenant.State())
	plan := planner.Build(st, desired)

	var journal bytes.Buffer
	res, err := planner.Apply(ctx, tenant, plan, planner.WithJournal(&journal))
	fmt.Println(res.Summary(), err)
	for _, s := range res.Steps {
		fmt.Println(s.Step.ID, s.Step.Action, s.Step.Target.Name, s.Status)
	}

	st, _ = licensing.NewState(tenant.State())
	fmt.Println("steps left:", len(planner.Build(st, desired).Steps))

	// Running it again from the journal reads every step's target back, finds it done and
	// writes nothing.
	j, _ := planner.ReadJournal(&journal)
	res, _ = planner.Apply(ctx, tenant, plan, planner.WithResume(j))
	fmt.Println(res.Summary())
	// Output:
	// 3 steps: 3 succeeded <nil>
	// s1 setUsageLocation grace@contoso.com Succeeded
	// s2 assignLicense alice@contoso.com Succeeded
	// s3 assignLicense grace@contoso.com Succeeded
	// steps left: 0
	// 3 steps: 3 succeeded (3 done earlier, per the journal, and verified)
}
