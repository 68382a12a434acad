// Command swapsku moves a user from one SKU to another in one atomic assignLicense call, so
// that no service is lost on the way (Office 365 E1 → E3: SharePoint Plan 1 and Plan 2 may not
// be held together, so the add and the remove must travel together).
//
//	go run ./examples/swapsku                                   # alice, STANDARDPACK → ENTERPRISEPACK, on the sample tenant
//	go run ./examples/swapsku --user bob@contoso.com --from EXCHANGESTANDARD --to EXCHANGEENTERPRISE
//	go run ./examples/swapsku --graph --user someone@example.com  # a real tenant: asks before applying
//
// The user's other direct licenses are kept as they are.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/licenseplan/licenseplan/examples/internal/source"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func main() {
	source.Exit("swapsku", run(context.Background(), os.Args[1:], os.Stdin, os.Stdout))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("swapsku", flag.ContinueOnError)
	src := source.Register(fs)
	user := fs.String("user", "alice@contoso.com", "the user (`UPN` or id)")
	from := fs.String("from", "STANDARDPACK", "the `SKU` to take away")
	to := fs.String("to", "ENTERPRISEPACK", "the `SKU` to give instead")
	if err := source.Parse(fs, args); err != nil {
		return err
	}
	tenant, st, err := src.OpenState(ctx)
	if err != nil {
		return err
	}
	u, err := st.LookupUser(*user)
	if err != nil {
		return err
	}
	fromSku, err := st.LookupSku(*from)
	if err != nil {
		return err
	}

	held := false
	for _, p := range st.Paths(u) {
		held = held || (p.Direct() && p.Sku == fromSku.Sku.ID)
	}
	if !held {
		return fmt.Errorf("%s does not hold %s directly", *user, *from)
	}

	// The desired state: exactly the user's direct licenses today, without --from, with --to.
	target := planner.UserTarget{User: *user, Mode: planner.ModeExact, Licenses: []planner.LicenseSpec{{Sku: *to}}}
	for _, p := range st.Paths(u) {
		if p.Direct() && p.Sku != fromSku.Sku.ID {
			target.Licenses = append(target.Licenses, planner.LicenseSpec{
				Sku: p.Sku.String(), DisabledPlans: st.Catalog().PlanNames(p.Disabled)})
		}
	}
	plan := planner.Build(st, &planner.Desired{FormatVersion: planner.DesiredFormatVersion, Users: []planner.UserTarget{target}})
	if err := plan.WriteText(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := src.Apply(ctx, tenant, plan, stdin, stdout); err != nil || len(plan.Steps) == 0 {
		return err
	}

	after, err := tenant.User(ctx, st.User(u).ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s now holds:", after.UserPrincipalName)
	for _, l := range after.AssignedLicenses {
		fmt.Fprintf(stdout, " %s", st.Catalog().SkuNamed(l.SkuID, licensing.NamesBoth))
	}
	fmt.Fprintln(stdout)
	return nil
}
