package report_test

import (
	"fmt"
	"os"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// Find the license errors of the sample tenant, with their causes and fixes.
func Example() {
	st, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	if err := report.Errors(st).WriteText(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// License errors: 2 users, 2 failing assignments
	//
	// CountViolation — not enough seats of EMS: 3 of 3 in use, 1 user waiting
	//   fix, one of:
	//     - buy 1 more seat of EMS
	//     - free 1 by removing EMS from users who no longer need it
	//   then reprocess the waiting users
	//   mobile4@contoso.com  group Licensing_EMS  EMS  Error
	//     no free seat of EMS for group Licensing_EMS (3 of 3 in use)
	//     or remove mobile4@contoso.com from group Licensing_EMS; then reprocess mobile4@contoso.com
	//
	// MutuallyExclusiveViolation — a license would enable a service plan that may not be enabled together with one the user has from another SKU (1 failing assignment)
	//   erin@contoso.com  group Licensing_E3_Base  ENTERPRISEPACK  Error
	//     SHAREPOINTENTERPRISE (ENTERPRISEPACK from group Licensing_E3_Base) and SHAREPOINTSTANDARD (STANDARDPACK from direct) cannot be enabled together (rule "SharePoint Online")
	//     fix, one of:
	//       - disable SHAREPOINTENTERPRISE in group Licensing_E3_Base's ENTERPRISEPACK assignment (for all of its members)
	//       - remove erin@contoso.com from group Licensing_E3_Base
	//       - disable SHAREPOINTSTANDARD in erin@contoso.com's direct STANDARDPACK, or remove the direct STANDARDPACK from erin@contoso.com
	//     then reprocess erin@contoso.com
	//
	// Groups with members in error:
	//   GROUP              MEMBERS  IN ERROR  ERRORS                        PROCESSING
	//   Licensing_E3_Base  15       1         MutuallyExclusiveViolation 1  ProcessingComplete
	//   Licensing_EMS      4        1         CountViolation 1              ProcessingComplete
}

// Explain why Carol has Teams: the Teams group turns it on, the base group leaves it off.
func ExampleExplain() {
	st, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	ex, err := report.Explain(st, "carol@contoso.com")
	if err != nil {
		panic(err)
	}
	for _, sku := range ex.Skus {
		fmt.Printf("%s: %d of %d plans on\n", sku.SkuPartNumber, sku.EnabledPlans, sku.TotalPlans)
		for _, p := range sku.Plans {
			if p.ServicePlanName == "TEAMS1" {
				fmt.Printf("TEAMS1 on=%v via %v, disabled on %v\n", p.On, p.EnabledBy[0], p.DisabledBy[0])
			}
		}
	}
	// Output:
	// ENTERPRISEPACK: 10 of 13 plans on
	// TEAMS1 on=true via group Licensing_Teams, disabled on group Licensing_E3_Base
}

// Export the seat table as CSV for a spreadsheet.
func ExampleWriteSeats() {
	st, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	if err := report.WriteSeats(os.Stdout, st, report.CSV); err != nil {
		panic(err)
	}
	// Output:
	// skuPartNumber,skuId,displayName,appliesTo,capabilityStatus,enabled,consumedUnits,available,warning,suspended,lockedOut,directOnly,groupOnly,directAndGroup,waiting,gracePeriod
	// STANDARDPACK,18181a46-0d4e-45cd-891e-60aabd171b4e,Office 365 E1,User,Enabled,20,2,18,0,0,0,2,0,0,0,false
	// ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,Office 365 E3,User,Enabled,25,16,9,0,0,0,2,1,13,1,false
	// EXCHANGESTANDARD,4b9405b0-7788-4568-add1-99614e613b69,Exchange Online (Plan 1),User,Enabled,10,1,9,0,0,0,1,0,0,0,false
	// EXCHANGEENTERPRISE,19ec0d23-8335-4cbd-94ac-6050e30712fa,Exchange Online (Plan 2),User,Enabled,10,0,10,0,0,0,0,0,0,0,false
	// MCOMEETADV,0c266dff-15dd-4b49-8397-2bb16070ed52,Microsoft 365 Audio Conferencing,User,Enabled,5,1,4,0,0,0,1,0,0,0,false
	// WORKPLACE_ANALYTICS,3d957427-ecdc-4df2-aacd-01cc9d519da8,Microsoft Workplace Analytics,User,Enabled,5,1,4,0,0,0,1,0,0,0,false
	// EMS,efccb6f7-5641-4e0e-bd10-b4976e1bf68e,Enterprise Mobility + Security E3,User,Enabled,3,3,0,0,0,0,0,3,0,1,false
}
