package report_test

import (
	"fmt"
	"os"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

// Find the license errors of the sample tenant, with their causes and fixes. SKUs and plans are
// named by product and part number ("Office 365 E3 (ENTERPRISEPACK)"), from Microsoft's
// catalog embedded in package licensing.
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
	// CountViolation — not enough seats of Enterprise Mobility + Security E3 (EMS): 3 of 3 in use, 1 user waiting
	//   fix, one of:
	//     - buy 1 more seat of Enterprise Mobility + Security E3 (EMS)
	//     - free 1 by removing Enterprise Mobility + Security E3 (EMS) from users who no longer need it
	//   then reprocess the waiting users
	//   mobile4@contoso.com  group Licensing_EMS  Enterprise Mobility + Security E3 (EMS)  Error
	//     no free seat of Enterprise Mobility + Security E3 (EMS) for group Licensing_EMS (3 of 3 in use)
	//     or remove mobile4@contoso.com from group Licensing_EMS; then reprocess mobile4@contoso.com
	//
	// MutuallyExclusiveViolation — a license would enable a service plan that may not be enabled together with one the user has from another SKU (1 failing assignment)
	//   erin@contoso.com  group Licensing_E3_Base  Office 365 E3 (ENTERPRISEPACK)  Error
	//     SharePoint (Plan 2) (SHAREPOINTENTERPRISE) in Office 365 E3 (ENTERPRISEPACK) from group Licensing_E3_Base and SharePoint (Plan 1) (SHAREPOINTSTANDARD) in Office 365 E1 (STANDARDPACK) from direct cannot be enabled together (rule "SharePoint Online")
	//     fix, one of:
	//       - disable SharePoint (Plan 2) (SHAREPOINTENTERPRISE) in group Licensing_E3_Base's Office 365 E3 (ENTERPRISEPACK) assignment (for all of its members)
	//       - remove erin@contoso.com from group Licensing_E3_Base
	//       - disable SharePoint (Plan 1) (SHAREPOINTSTANDARD) in erin@contoso.com's direct Office 365 E1 (STANDARDPACK), or remove the direct Office 365 E1 (STANDARDPACK) from erin@contoso.com
	//     then reprocess erin@contoso.com
	//
	// Groups with members in error:
	//   GROUP              MEMBERS  IN ERROR  ERRORS                        PROCESSING
	//   Licensing_E3_Base  15       1         MutuallyExclusiveViolation 1  ProcessingComplete
	//   Licensing_EMS      4        1         CountViolation 1              ProcessingComplete
}

// Name SKUs and plans by part number only (licensectl --names part), or by product name only.
func ExampleOptions() {
	st, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	for _, style := range []licensing.NameStyle{licensing.NamesPart, licensing.NamesProduct} {
		if err := (report.Options{Names: style}).WriteDirectOnly(os.Stdout, st, report.Text); err != nil {
			panic(err)
		}
	}
	// Output:
	// USER               LOCATION  SKUS
	// alice@contoso.com  NO        STANDARDPACK
	// bob@contoso.com    US        EXCHANGESTANDARD
	// frank@contoso.com  US        ENTERPRISEPACK, MCOMEETADV
	// heidi@contoso.com  DE        ENTERPRISEPACK, WORKPLACE_ANALYTICS
	// USER               LOCATION  SKUS
	// alice@contoso.com  NO        Office 365 E1
	// bob@contoso.com    US        Exchange Online (Plan 1)
	// frank@contoso.com  US        Office 365 E3, Microsoft 365 Audio Conferencing
	// heidi@contoso.com  DE        Office 365 E3, Microsoft Workplace Analytics
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
		fmt.Printf("%s (%s): %d of %d plans on\n", sku.ProductName, sku.SkuPartNumber, sku.EnabledPlans, sku.TotalPlans)
		for _, p := range sku.Plans {
			if p.ServicePlanName == "TEAMS1" {
				fmt.Printf("%s (%s) on=%v via %v, disabled on %v\n", p.FriendlyName, p.ServicePlanName, p.On, p.EnabledBy[0], p.DisabledBy[0])
			}
		}
	}
	// Output:
	// Office 365 E3 (ENTERPRISEPACK): 10 of 13 plans on
	// Microsoft Teams (TEAMS1) on=true via group Licensing_Teams, disabled on group Licensing_E3_Base
}

// Export the seat table as CSV for a spreadsheet: part numbers and ids, with the product names
// (displayName, and productName in the last column).
func ExampleWriteSeats() {
	st, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	if err := report.WriteSeats(os.Stdout, st, report.CSV); err != nil {
		panic(err)
	}
	// Output:
	// skuPartNumber,skuId,displayName,appliesTo,capabilityStatus,enabled,consumedUnits,available,warning,suspended,lockedOut,directOnly,groupOnly,directAndGroup,waiting,gracePeriod,productName
	// STANDARDPACK,18181a46-0d4e-45cd-891e-60aabd171b4e,Office 365 E1,User,Enabled,20,2,18,0,0,0,2,0,0,0,false,Office 365 E1
	// ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,Office 365 E3,User,Enabled,25,16,9,0,0,0,2,1,13,1,false,Office 365 E3
	// EXCHANGESTANDARD,4b9405b0-7788-4568-add1-99614e613b69,Exchange Online (Plan 1),User,Enabled,10,1,9,0,0,0,1,0,0,0,false,Exchange Online (Plan 1)
	// EXCHANGEENTERPRISE,19ec0d23-8335-4cbd-94ac-6050e30712fa,Exchange Online (Plan 2),User,Enabled,10,0,10,0,0,0,0,0,0,0,false,Exchange Online (Plan 2)
	// MCOMEETADV,0c266dff-15dd-4b49-8397-2bb16070ed52,Microsoft 365 Audio Conferencing,User,Enabled,5,1,4,0,0,0,1,0,0,0,false,Microsoft 365 Audio Conferencing
	// WORKPLACE_ANALYTICS,3d957427-ecdc-4df2-aacd-01cc9d519da8,Microsoft Workplace Analytics,User,Enabled,5,1,4,0,0,0,1,0,0,0,false,Microsoft Workplace Analytics
	// EMS,efccb6f7-5641-4e0e-bd10-b4976e1bf68e,Enterprise Mobility + Security E3,User,Enabled,3,3,0,0,0,0,0,3,0,1,false,Enterprise Mobility + Security E3
}
