package fake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// Moving Alice from Office 365 E1 to E3: adding E3 alone is refused because the SharePoint
// plans of the two SKUs conflict; swapping in one call works and is recorded in the history.
func Example() {
	ctx := context.Background()
	t, _ := fake.New(sampletenant.Snapshot())
	e1 := licensing.MustParseSkuID(sampletenant.E1)
	e3 := licensing.AssignedLicense{SkuID: licensing.MustParseSkuID(sampletenant.E3), DisabledPlans: []licensing.PlanID{}}

	err := t.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{e3}, nil)
	fmt.Println(licensing.KindOf(err))

	err = t.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{e3}, []licensing.SkuID{e1})
	fmt.Println(err)
	for _, h := range t.History() {
		fmt.Printf("%s: %d plans before, %d after\n", h.Cause, len(h.EnabledPlansBefore), len(h.EnabledPlansAfter))
	}
	// Output:
	// MutuallyExclusiveViolation
	// <nil>
	// assignLicense: 11 plans before, 13 after
}

// A Graph client sees Graph's error envelope.
func ExampleStartServer() {
	t, _ := fake.New(sampletenant.Snapshot())
	srv, _ := fake.StartServer(t)
	defer srv.Close()

	body := `{"addLicenses": [{"skuId": "` + sampletenant.EMS + `", "disabledPlans": []}], "removeLicenses": []}`
	resp, err := http.Post(srv.URL+"/users/alice@contoso.com/assignLicense", "application/json", strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&e)
	fmt.Println(resp.StatusCode, e.Error.Code)
	fmt.Println(e.Error.Message)
	// Output:
	// 400 Request_BadRequest
	// Subscription with SKU efccb6f7-5641-4e0e-bd10-b4976e1bf68e does not have any available licenses.
}
