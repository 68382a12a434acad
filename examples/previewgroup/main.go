// Command previewgroup previews a change to a group's licenses without applying it: for each
// member whose plans would change, what they gain and lose and the error their path from the
// group would be in; then the plan's problems. Nothing is written to the tenant.
//
//	go run ./examples/previewgroup      # add STANDARDPACK (TEAMS1, SHAREPOINTSTANDARD) to Licensing_Teams
//	go run ./examples/previewgroup --group Licensing_EMS --sku EMS --plans ""
//	go run ./examples/previewgroup --graph --group "Sales licensing" --sku SPE_E3 --plans TEAMS1
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/licenseplan/licenseplan/examples/internal/source"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func main() {
	source.Exit("previewgroup", run(context.Background(), os.Args[1:], os.Stdout))
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("previewgroup", flag.ContinueOnError)
	src := source.Register(fs) // --yes is accepted and ignored: nothing is applied
	group := fs.String("group", "Licensing_Teams", "the group (`name` or id)")
	sku := fs.String("sku", "STANDARDPACK", "the `SKU` the group should assign")
	plans := fs.String("plans", "TEAMS1,SHAREPOINTSTANDARD", "comma-separated service `plans` to enable (empty: all)")
	if err := source.Parse(fs, args); err != nil {
		return err
	}
	_, st, err := src.OpenState(ctx)
	if err != nil {
		return err
	}

	license := planner.LicenseSpec{Sku: *sku}
	if *plans != "" {
		license.EnabledPlans = strings.Split(*plans, ",")
	}
	plan := planner.Build(st, &planner.Desired{
		FormatVersion: planner.DesiredFormatVersion,
		Groups:        []planner.GroupTarget{{Group: *group, Licenses: []planner.LicenseSpec{license}}},
	})

	cat := st.Catalog()
	names := func(ids []licensing.PlanID) string {
		if len(ids) == 0 {
			return "-"
		}
		return strings.Join(cat.PlansNamed(cat.PlanSetOf(ids), licensing.NamesBoth), ", ")
	}
	changed := 0
	for _, s := range plan.Steps {
		if s.Action != planner.AssignLicense || s.Target.Type != licensing.TargetGroup {
			continue
		}
		fmt.Fprintf(stdout, "%s: %s\n", s.Target.Name, plan.Summary(s))
		for _, m := range s.Members {
			if len(m.Gained) == 0 && len(m.Lost) == 0 && m.Error == licensing.None {
				continue // covered by another path already
			}
			changed++
			fmt.Fprintf(stdout, "  %s\n    gains: %s\n    loses: %s\n", m.User.Name, names(m.Gained), names(m.Lost))
			if m.Error != licensing.None {
				fmt.Fprintf(stdout, "    error: %s (the group's licenses fail for this member: new ones are not assigned, ones the member already had from the group keep working, ActiveWithError)\n", m.Error)
			}
		}
	}
	fmt.Fprintf(stdout, "%d members affected.\n", changed)
	fmt.Fprintln(stdout, "\nPredicted problems:")
	for _, p := range plan.Problems {
		fmt.Fprintf(stdout, "  %s %s: %s\n", p.Severity, p.Kind, p.Message)
	}
	if len(plan.Problems) == 0 {
		fmt.Fprintln(stdout, "  none")
	}
	fmt.Fprintf(stdout, "\nNot applied (a preview). Applyable: %v\n", plan.Applyable())
	return nil
}
