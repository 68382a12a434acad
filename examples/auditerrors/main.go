// Command auditerrors prints every license path in an error state, grouped by cause, with a
// concrete fix for each (report.Errors). With --fix it also looks for users whose error cause
// is already gone (a conflicting license removed, seats freed) — where asking Entra to
// reprocess them would clear the error — and reprocesses them (asking first on a real tenant).
// Errors whose cause is still there are left to the fixes the report names.
//
//	go run ./examples/auditerrors               # the sample tenant: erin and Licensing_EMS
//	go run ./examples/auditerrors --fix
//	go run ./examples/auditerrors --graph --fix
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/licenseplan/licenseplan/examples/internal/source"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/report"
)

func main() {
	source.Exit("auditerrors", run(context.Background(), os.Args[1:], os.Stdin, os.Stdout))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("auditerrors", flag.ContinueOnError)
	src := source.Register(fs)
	fix := fs.Bool("fix", false, "reprocess the users whose error cause is gone")
	if err := source.Parse(fs, args); err != nil {
		return err
	}
	tenant, st, err := src.OpenState(ctx)
	if err != nil {
		return err
	}
	rep := report.Errors(st)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if !*fix {
		return nil
	}

	// Predict a reprocess of each user in error: it helps only where it clears the error.
	var users []string
	seen := map[string]bool{}
	for _, c := range rep.Causes {
		for _, e := range c.Entries {
			if seen[e.UserID] {
				continue
			}
			seen[e.UserID] = true
			o := st.Predict(licensing.Change{Kind: licensing.ReprocessUser, User: e.UserID})
			if o.Err() == nil && len(o.Violations) == 0 && len(o.Users) > 0 {
				users = append(users, e.UserID)
				fmt.Fprintf(stdout, "\nreprocess %s: the cause is gone; gains %s\n", e.UserPrincipalName,
					strings.Join(st.Catalog().PlansNamed(o.Users[0].After.Minus(o.Users[0].Before), licensing.NamesBoth), ", "))
			}
		}
	}
	if len(users) == 0 {
		fmt.Fprintln(stdout, "\nNo error's cause is gone yet: apply the fixes above, then run again with --fix.")
		return nil
	}
	if !src.Confirm(stdin, stdout, len(users)) {
		return errors.New("not applied: confirmation declined (use --yes to skip the question)")
	}
	for _, id := range users {
		if err := tenant.ReprocessUser(ctx, id); err != nil {
			return err
		}
	}
	after, err := tenant.Snapshot(ctx)
	if err != nil {
		return err
	}
	if st, err = licensing.NewState(after); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Reprocessed %d users; %d users still in error.\n", len(users), report.Errors(st).Users)
	return nil
}
