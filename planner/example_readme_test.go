package planner_test

// The Go snippets of README.md, compiled and run: the README shows the bodies of these
// examples (between the lines that set up and print), so keep the two the same.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// README "Plan from Go".
func Example_readmePlan() {
	state, err := licensing.LoadState(bytes.NewReader(fake.SampleJSON())) // tenant/v1, streamed (e.g. an *os.File); default rules
	// or: snap, err := ga.Snapshot(ctx); state, err := licensing.NewState(snap)  (graphadapter, or fake.SampleSnapshot())
	if err != nil {
		panic(err)
	}
	desired, err := planner.ReadDesired(strings.NewReader(`{
	  "formatVersion": "desired/v1",
	  "users": [{"user": "alice@contoso.com", "mode": "exact", "licenses": [{"sku": "Office 365 E3"}]}]
	}`))
	if err != nil {
		panic(err)
	}
	plan := planner.Build(state, desired) // never touches the tenant
	plan.WriteText(os.Stdout)             // or WriteMarkdown, WriteJSON (plan/v1)
	if !plan.Applyable() {
		// plan.Problems says what Entra would refuse or who would lose a service
	}
	// Output:
	// Plan for tenant 0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908: 1 steps, 0 problems — applyable
	//
	//   s1 ~ user alice@contoso.com  assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)
	//        why: swap Office 365 E1 (STANDARDPACK) → Office 365 E3 (ENTERPRISEPACK) in one call (SharePoint (Plan 1) (SHAREPOINTSTANDARD) and SharePoint (Plan 2) (SHAREPOINTENTERPRISE) conflict)
	//        + Azure Rights Management, Exchange Online (Plan 2), Microsoft 365 Apps for enterprise,
	//          Microsoft Forms (Plan E3), Microsoft Stream for Office 365 E3, SharePoint (Plan 2)
	//        - Exchange Online (Plan 1), Microsoft Forms (Plan E1), Microsoft Stream for Office 365 E1,
	//          SharePoint (Plan 1)
	//
	// Seats
	//   SKU                                                 available   before    after
	//   Enterprise Mobility + Security E3 (EMS)                     3        3        3
	//   Exchange Online (Plan 1) (EXCHANGESTANDARD)                10        1        1
	//   Exchange Online (Plan 2) (EXCHANGEENTERPRISE)              10        0        0
	//   Microsoft 365 Audio Conferencing (MCOMEETADV)               5        1        1
	//   Microsoft Workplace Analytics (WORKPLACE_ANALYTICS)         5        1        1
	//   Office 365 E1 (STANDARDPACK)                               20        2        1
	//   Office 365 E3 (ENTERPRISEPACK)                             25       16       17
}

// README "Apply": the plan of Example_readmePlan applied to the sample tenant on the in-memory
// fake (a real tenant: graphadapter.New(graphadapter.WithDefaultCredential())).
func Example_readmeApply() {
	ctx := context.Background()
	tenant, err := fake.New(fake.SampleSnapshot())
	if err != nil {
		panic(err)
	}
	snap, _ := tenant.Snapshot(ctx)
	state, _ := licensing.NewState(snap)
	desired, _ := planner.ReadDesired(strings.NewReader(`{"formatVersion": "desired/v1",
	  "users": [{"user": "alice@contoso.com", "mode": "exact", "licenses": [{"sku": "ENTERPRISEPACK"}]}]}`))
	plan := planner.Build(state, desired)
	dir, _ := os.MkdirTemp("", "licenseplan")
	defer os.RemoveAll(dir)

	res, err := planner.Apply(ctx, tenant, plan,
		planner.WithTenantID(state.TenantID()),
		planner.WithJournalFile(filepath.Join(dir, "apply.journal")), // resume after a crash: done steps are not redone
		planner.WithConcurrency(4))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Summary()) // 1 steps: 1 succeeded
	// Output:
	// 1 steps: 1 succeeded
}

// README "Run it on Temporal": one step at a time, as a durable engine drives the executor.
func Example_readmeExecutor() {
	ctx := context.Background()
	tenant, err := fake.New(fake.SampleSnapshot())
	if err != nil {
		panic(err)
	}
	snap, _ := tenant.Snapshot(ctx)
	state, _ := licensing.NewState(snap)
	desired, _ := planner.ReadDesired(strings.NewReader(`{"formatVersion": "desired/v1",
	  "users": [{"user": "bob@contoso.com", "mode": "exact", "licenses": [{"sku": "EXCHANGEENTERPRISE"}]}],
	  "options": {"makeBeforeBreak": true, "allowServiceLoss": true}}`))
	plan := planner.Build(state, desired)

	ex, err := planner.NewExecutor(tenant, plan,
		planner.WithRetryPolicy(planner.RetryPolicy{MaxAttempts: 1})) // the engine owns retries
	if err != nil {
		panic(err)
	}
	for _, s := range plan.Steps { // an engine's tasks, in wave and dependency order
		res, err := ex.RunStep(ctx, s.ID)
		switch {
		case errors.Is(err, planner.ErrRetryable): // throttled, transient, a group still processing: run it again (retry.After(err) says when)
		case errors.Is(err, planner.ErrFinal): // drift, or a violation Entra refused: plan again
		}
		res, _ = ex.RunStep(ctx, s.ID) // run again: its precondition finds it done, no second write
		fmt.Println(s.ID, s.Action, res.Status, res.Calls)
	}
	// Output:
	// s1 assignLicense AlreadyDone 0
	// s2 assignLicense AlreadyDone 0
}

// README "Predict one change".
func Example_readmePredict() {
	state, err := licensing.NewState(fake.SampleSnapshot())
	if err != nil {
		panic(err)
	}
	e1 := licensing.MustParseSkuID("18181a46-0d4e-45cd-891e-60aabd171b4e") // STANDARDPACK
	o := state.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: "grace@contoso.com",
		AddLicenses: []licensing.AssignedLicense{{SkuID: e1}}})
	if errors.Is(o.Err(), licensing.UsageLocationMissing) {
		fmt.Println("refused:", o.Refused, "- grace needs a usage location first")
	}
	// Output:
	// refused: true - grace needs a usage location first
}

// README "Testing your own code against the fake".
func Example_readmeFake() {
	ctx := context.Background()
	alice := "10000000-0000-4000-8000-000000000001"
	e1 := licensing.MustParseSkuID("18181a46-0d4e-45cd-891e-60aabd171b4e") // STANDARDPACK
	e3 := licensing.MustParseSkuID("6fd2c87f-b296-42f0-b197-1e91e994b900") // ENTERPRISEPACK

	tenant, _ := fake.New(fake.SampleSnapshot()) // or fake.Load(file), or fake.NewBuilder(...)
	err := tenant.AssignUserLicenses(ctx, alice, []licensing.AssignedLicense{{SkuID: e3}}, nil)
	if errors.Is(err, licensing.MutuallyExclusiveViolation) {
		fmt.Println("E3 next to E1 is refused, as Entra does")
	}
	err = tenant.AssignUserLicenses(ctx, alice, []licensing.AssignedLicense{{SkuID: e3}}, []licensing.SkuID{e1})
	fmt.Println("swap in one call:", err)
	for _, h := range tenant.History() { // every change of enabled plans
		fmt.Println(h.UserID, h.Cause, len(h.Gained()), "gained,", len(h.Lost()), "lost")
	}
	// Output:
	// E3 next to E1 is refused, as Entra does
	// swap in one call: <nil>
	// 10000000-0000-4000-8000-000000000001 assignLicense 6 gained, 4 lost
}

// TestReadmeSnippetsAreExamples keeps README.md's Go snippets the bodies of the examples
// above: every ```go block of the README must appear, line for line (indented by one tab),
// in this file.
func TestReadmeSnippetsAreExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("README.md not found:", err)
	}
	src, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for rest := string(readme); ; {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			break
		}
		block, tail, _ := strings.Cut(after, "```\n")
		rest = tail
		blocks++
		var indented strings.Builder
		for _, line := range strings.SplitAfter(block, "\n") {
			if strings.TrimSpace(line) != "" {
				indented.WriteString("\t")
			}
			indented.WriteString(line)
		}
		if !strings.Contains(string(src), indented.String()) {
			t.Errorf("README.md's Go snippet %d is not the body of an example in example_readme_test.go:\n%s", blocks, block)
		}
	}
	if blocks < 4 {
		t.Errorf("README.md has %d Go snippets, want at least 4", blocks)
	}
}
