// Command offboard removes every license of a user: their direct licenses, and their
// memberships of licensed groups. Offboarding means losing service, so the desired state gives
// that consent explicitly (options.allowServiceLoss); the program prints every plan the user
// loses before anything is applied.
//
//	go run ./examples/offboard                          # erin@contoso.com on the sample tenant
//	go run ./examples/offboard --user frank@contoso.com
//	go run ./examples/offboard --graph --user someone@example.com   # a real tenant: asks first
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
	source.Exit("offboard", run(context.Background(), os.Args[1:], os.Stdin, os.Stdout))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("offboard", flag.ContinueOnError)
	src := source.Register(fs)
	user := fs.String("user", "erin@contoso.com", "the user to offboard (`UPN` or id)")
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

	// No direct licenses, no licensed groups (mode exact with empty lists), and consent to lose
	// whatever that takes away.
	plan := planner.Build(st, &planner.Desired{
		FormatVersion: planner.DesiredFormatVersion,
		Users: []planner.UserTarget{{User: *user, Mode: planner.ModeExact,
			Licenses: []planner.LicenseSpec{}, Groups: []string{}}},
		Options: planner.DesiredOptions{AllowServiceLoss: true},
	})
	if err := plan.WriteText(stdout); err != nil {
		return err
	}

	// What the user loses: the plans the steps on them turn off.
	cat := st.Catalog()
	var lost licensing.PlanSet
	for _, s := range plan.Steps {
		if s.Target.ID == st.User(u).ID {
			lost.UnionWith(cat.PlanSetOf(s.Lost))
		}
	}
	fmt.Fprintf(stdout, "\n%s loses %d of %d plans: %s\n", *user, lost.Len(), st.EnabledPlans(u).Len(),
		strings.Join(cat.PlansNamed(lost, licensing.NamesBoth), ", "))
	if err := src.Apply(ctx, tenant, plan, stdin, stdout); err != nil || len(plan.Steps) == 0 {
		return err
	}
	after, err := tenant.User(ctx, st.User(u).ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s now holds %d licenses.\n", *user, len(after.AssignedLicenses))
	return nil
}
