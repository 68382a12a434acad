// Command quickstart runs licenseplan's main job on an embedded fake tenant, offline, in a
// second: it plans a realistic set of license changes, shows what licenseplan refuses to do and
// why, applies the safe plan to the fake tenant, and proves the result.
//
//	go run ./examples/quickstart
//
// The tenant is internal/sampletenant ("Contoso"). The stories, from the admins' articles the
// project grew from:
//   - alice moves from Office 365 E1 to E3 without a gap (one atomic call: SharePoint Plan 1 and
//     Plan 2 may not be held together);
//   - bob stacks Exchange Online Plan 2 over Plan 1, then the inferior license is removed
//     (make-before-break) — after consenting to lose the To Do and Intune plans only Plan 1 has;
//   - erin holds E1 directly, which breaks her E3 group license (MutuallyExclusiveViolation);
//   - Licensing_EMS has 4 members and 3 seats (CountViolation); freeing a seat fixes it;
//   - direct E3 assignments covered by Licensing_E3_Base move to group-based licensing in waves;
//   - grace, a new hire with no usage location, gets E1.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

//go:embed naive.json
var naiveDesired string

//go:embed safe.json
var safeDesired string

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// keyUsers are the users whose before/after the quickstart shows.
var keyUsers = []string{"alice@contoso.com", "bob@contoso.com", "erin@contoso.com", "grace@contoso.com", "dave@contoso.com", "mobile3@contoso.com", "mobile4@contoso.com"}

func run(ctx context.Context, w io.Writer) error {
	tenant, err := fake.New(sampletenant.Snapshot())
	if err != nil {
		return err
	}
	state := func() (*licensing.State, error) {
		snap, err := tenant.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		return licensing.NewState(snap)
	}
	before, err := state()
	if err != nil {
		return err
	}
	section(w, "1. Contoso today (an in-memory fake tenant with Entra's rules)")
	showUsers(w, before)

	section(w, "2. The request as an admin might first write it")
	naive, err := planner.ReadDesired(strings.NewReader(naiveDesired))
	if err != nil {
		return err
	}
	p := planner.Build(before, naive)
	fmt.Fprintf(w, "%d steps planned; licenseplan will not apply this plan. What it prevented:\n", len(p.Steps))
	for _, pr := range p.Problems {
		if pr.Severity == planner.SeverityError {
			fmt.Fprintf(w, "  ✗ %s: %s\n", pr.Kind, pr.Message)
		}
	}

	section(w, "3. The safe request: the plan")
	safe, err := planner.ReadDesired(strings.NewReader(safeDesired))
	if err != nil {
		return err
	}
	p = planner.Build(before, safe)
	if err := p.WriteText(w); err != nil {
		return err
	}
	if !p.Applyable() {
		return fmt.Errorf("the safe plan has problems")
	}

	section(w, "4. Applying it to the fake tenant")
	res, err := planner.Apply(ctx, tenant, p, planner.WithTenantID(before.TenantID()))
	if res != nil {
		fmt.Fprintln(w, res.Summary())
	}
	if err != nil {
		return err
	}

	section(w, "5. Contoso after")
	after, err := state()
	if err != nil {
		return err
	}
	showUsers(w, after)
	again := planner.Build(after, safe)
	fmt.Fprintf(w, "\nPlanning the same desired state again: %d steps (the tenant matches it).\n", len(again.Steps))

	section(w, "6. Proof from the tenant's history: did anyone lose a service on the way?")
	return proveNoGap(w, tenant, after, safe)
}

func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n== %s\n\n", title)
}

func showUsers(w io.Writer, st *licensing.State) {
	for _, ref := range keyUsers {
		u, err := st.LookupUser(ref)
		if err != nil {
			continue
		}
		var parts []string
		seen := map[licensing.SkuID]bool{}
		for _, p := range st.Paths(u) {
			how := "direct"
			if !p.Direct() {
				g, _ := st.LookupGroup(p.Group)
				how = "via " + st.Group(g).DisplayName
			}
			s := fmt.Sprintf("%s (%s", st.Catalog().SkuNamed(p.Sku, licensing.NamesBoth), how)
			if p.State != licensing.PathActive {
				s += ", " + p.State.String() + " " + p.Error.String()
			}
			parts = append(parts, s+")")
			seen[p.Sku] = true
		}
		if len(parts) == 0 {
			parts = []string{"no licenses"}
		}
		loc := st.UsageLocation(u)
		if loc == "" {
			loc = "--"
		}
		fmt.Fprintf(w, "  %-22s %s  %2d plans on  %s\n", ref, loc, st.EnabledPlans(u).Len(), strings.Join(parts, ", "))
	}
}

// proveNoGap reads the fake's history — every change of a user's enabled plans, in order — and
// checks that no change took away a service the user kept no other level of, except the plans
// the desired state explicitly accepted to lose.
func proveNoGap(w io.Writer, tenant *fake.Tenant, st *licensing.State, d *planner.Desired) error {
	consent := map[string][]string{}
	for _, u := range d.Users {
		if i, err := st.LookupUser(u.User); err == nil {
			consent[st.User(i).ID] = u.AllowServiceLoss
		}
	}
	cat, rules := st.Catalog(), st.Rules()
	changes, gaps := 0, 0
	for _, h := range tenant.History() {
		changes++
		lost := rules.ServiceLoss(cat.PlanSetOf(h.EnabledPlansBefore), cat.PlanSetOf(h.EnabledPlansAfter))
		if lost.IsEmpty() {
			continue
		}
		names := cat.PlanNames(lost)
		u, _ := st.LookupUser(h.UserID)
		upn := st.User(u).UserPrincipalName
		var unconsented []string
		for _, n := range names {
			if !slices.Contains(consent[h.UserID], n) {
				unconsented = append(unconsented, n)
			}
		}
		if len(unconsented) > 0 {
			gaps++
			fmt.Fprintf(w, "  ✗ %s lost %s (%s)\n", upn, strings.Join(unconsented, ", "), h.Cause)
		} else {
			fmt.Fprintf(w, "  ✓ %s gave up %s, as the desired state consented (%s)\n", upn, strings.Join(names, ", "), h.Cause)
		}
	}
	fmt.Fprintf(w, "\n%d changes to users' enabled plans recorded; %d lost a service without consent.\n", changes, gaps)
	if gaps > 0 {
		return fmt.Errorf("%d unconsented service losses", gaps)
	}
	return nil
}
