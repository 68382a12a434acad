package licensing_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// Moving alice from Office 365 E1 to E3. Adding E3 next to E1 is refused (their SharePoint
// plans conflict); removing E1 first would cut her off; swapping both in one assignLicense
// call is accepted and loses no service.
func Example() {
	state, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	e1 := licensing.MustParseSkuID(sampletenant.E1)
	e3 := licensing.MustParseSkuID(sampletenant.E3)
	names := func(ps licensing.PlanSet) string { return strings.Join(state.Catalog().PlanNames(ps), " ") }

	addOnly := state.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "alice@contoso.com",
		AddLicenses: []licensing.AssignedLicense{{SkuID: e3}}})
	fmt.Println("add E3 only, refused:", addOnly.Refused, errors.Is(addOnly.Err(), licensing.MutuallyExclusiveViolation))

	removeFirst := state.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "alice@contoso.com",
		RemoveLicenses: []licensing.SkuID{e1}})
	u := removeFirst.Users[0]
	fmt.Println("remove E1 first, services lost:", state.Rules().ServiceLoss(u.Before, u.After).Len())

	swap := state.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "alice@contoso.com",
		AddLicenses: []licensing.AssignedLicense{{SkuID: e3}}, RemoveLicenses: []licensing.SkuID{e1}})
	u = swap.Users[0]
	fmt.Println("swap in one call, refused:", swap.Refused)
	fmt.Println("  gained:", names(u.Gained()))
	fmt.Println("  replaced by a higher level:", names(u.Lost()))
	fmt.Println("  services lost:", state.Rules().ServiceLoss(u.Before, u.After).Len())
	for _, s := range swap.Seats {
		fmt.Printf("  seats of %s: %d → %d\n", state.Catalog().SkuName(s.Sku), s.Before, s.After)
	}
	// Output:
	// add E3 only, refused: true true
	// remove E1 first, services lost: 11
	// swap in one call, refused: false
	//   gained: EXCHANGE_S_ENTERPRISE FORMS_PLAN_E3 OFFICESUBSCRIPTION RMS_S_ENTERPRISE SHAREPOINTENTERPRISE STREAM_O365_E3
	//   replaced by a higher level: EXCHANGE_S_STANDARD FORMS_PLAN_E1 SHAREPOINTSTANDARD STREAM_O365_E1
	//   services lost: 0
	//   seats of STANDARDPACK: 2 → 1
	//   seats of ENTERPRISEPACK: 16 → 17
}

// Group licenses add up: carol gets 9 of E3's 13 plans from Licensing_E3_Base and Teams from
// Licensing_Teams. erin's E3 from the base group is in error: it conflicts with her direct E1.
func ExampleState_Paths() {
	state, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	for _, upn := range []string{"carol@contoso.com", "erin@contoso.com"} {
		i, err := state.LookupUser(upn)
		if err != nil {
			panic(err)
		}
		fmt.Println(upn)
		for _, p := range state.Paths(i) {
			from := "direct"
			if !p.Direct() {
				g, _ := state.LookupGroup(p.Group)
				from = state.Group(g).DisplayName
			}
			fmt.Printf("  %s via %s: %s %s\n", state.Catalog().SkuName(p.Sku), from, p.State, p.Error)
		}
		fmt.Println("  enabled plans:", state.EnabledPlans(i).Len())
	}
	// Output:
	// carol@contoso.com
	//   ENTERPRISEPACK via Licensing_E3_Base: Active None
	//   ENTERPRISEPACK via Licensing_Teams: Active None
	//   enabled plans: 10
	// erin@contoso.com
	//   STANDARDPACK via direct: Active None
	//   ENTERPRISEPACK via Licensing_E3_Base: Error MutuallyExclusiveViolation
	//   enabled plans: 11
}

// A new member of a group without free seats: Entra accepts the membership and records
// CountViolation on the member's paths from the group.
func ExampleState_Apply() {
	state, err := licensing.NewState(sampletenant.Snapshot())
	if err != nil {
		panic(err)
	}
	o := state.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: "alice@contoso.com", Group: "Licensing_EMS"})
	fmt.Println("refused:", o.Refused)
	fmt.Println("seat problem:", errors.Is(o.Err(), licensing.CountViolation))
	fmt.Println(o.Violations[0].Target)
	// Output:
	// refused: false
	// seat problem: true
	// user alice@contoso.com (10000000-0000-4000-8000-000000000001)
}

func ExampleCatalog_LookupSku() {
	const csv = "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\r\n" +
		"Office 365 E1,STANDARDPACK,18181a46-0d4e-45cd-891e-60aabd171b4e,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c\r\n" +
		"Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,EXCHANGE_S_ENTERPRISE,efb87545-963c-4e0d-99df-69c6916d9eb0\r\n"
	cat, err := licensing.ReadCatalogCSV(strings.NewReader(csv))
	if err != nil {
		panic(err)
	}
	sku, _ := cat.LookupSku("Office 365 E3")
	fmt.Println(sku.PartNumber, sku.ID)
	_, err = cat.LookupSku("ENTERPRISEPAK")
	fmt.Println(err)
	fmt.Println(errors.Is(err, licensing.UnknownSku))
	// Output:
	// ENTERPRISEPACK 6fd2c87f-b296-42f0-b197-1e91e994b900
	// UnknownSku: unknown SKU "ENTERPRISEPAK" (did you mean "ENTERPRISEPACK" (Office 365 E3)?)
	// true
}
