// Package source opens the tenant the task-focused example programs (swapsku, migrategroups,
// offboard, previewgroup, auditerrors) work on, and asks before they change a real one.
//
// By default that is the embedded sample tenant ("Contoso", internal/sampletenant) on the
// in-memory fake; --graph uses Microsoft Graph with azidentity's default credential chain, and
// --graph-endpoint URL a Graph root such as the fake server's http://127.0.0.1:PORT/v1.0
// (a loopback http:// root gets no credential; any other root uses the default chain).
package source

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// Flags are the source flags: --graph, --graph-endpoint URL and --yes.
type Flags struct {
	Graph    bool
	Endpoint string
	Yes      bool
}

// Register adds the source flags to fs.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.BoolVar(&f.Graph, "graph", false, "use Microsoft Graph with azidentity's default credential chain (default: the sample tenant on the in-memory fake)")
	fs.StringVar(&f.Endpoint, "graph-endpoint", "", "Graph root `URL`, e.g. the fake server's http://127.0.0.1:PORT/v1.0")
	fs.BoolVar(&f.Yes, "yes", false, "apply to a real tenant without asking")
	return f
}

// NoArgs refuses positional arguments left after fs.Parse (the example programs take flags
// only): a stray argument is more often a mistyped flag than something to ignore.
func NoArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with -; see -help)", fs.Arg(0))
	}
	return nil
}

// Real reports whether the flags name a tenant over Graph rather than the in-memory fake.
func (f *Flags) Real() bool { return f.Graph || f.Endpoint != "" }

// Open returns the tenant: the sample tenant on a fresh in-memory fake, or the Graph adapter.
func (f *Flags) Open() (planner.Tenant, error) {
	if !f.Real() {
		return fake.New(sampletenant.Snapshot())
	}
	var opts []graphadapter.Option
	if f.Endpoint != "" {
		opts = append(opts, graphadapter.WithRoot(f.Endpoint))
	}
	if f.Endpoint == "" || !loopbackHTTP(f.Endpoint) {
		opts = append(opts, graphadapter.WithDefaultCredential())
	}
	return graphadapter.New(opts...)
}

// OpenState opens the tenant and reads it into a licensing.State (the starting point of every
// example program).
func (f *Flags) OpenState(ctx context.Context) (planner.Tenant, *licensing.State, error) {
	tenant, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	snap, err := tenant.Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := licensing.NewState(snap)
	if err != nil {
		return nil, nil, err
	}
	return tenant, st, nil
}

// Confirm reports whether a plan of n steps may be applied: always on the fake and with --yes;
// otherwise only when the answer read from in is "yes" (the question is written to out).
func (f *Flags) Confirm(in io.Reader, out io.Writer, n int) bool {
	if !f.Real() || f.Yes {
		return true
	}
	fmt.Fprintf(out, "\nApply %d steps to the tenant? Type yes to continue: ", n)
	line, _ := bufio.NewReader(in).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "yes")
}

func loopbackHTTP(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// Apply applies plan to tenant and prints the run's summary to out: after asking on in (see
// Confirm), and only when the plan is applyable and has steps.
func (f *Flags) Apply(ctx context.Context, tenant planner.Tenant, plan *planner.Plan, in io.Reader, out io.Writer) error {
	if !plan.Applyable() {
		return errors.New("the plan has errors (see its problems); nothing was applied")
	}
	if len(plan.Steps) == 0 {
		fmt.Fprintln(out, "Nothing to do.")
		return nil
	}
	if !f.Confirm(in, out, len(plan.Steps)) {
		return errors.New("not applied: confirmation declined (use --yes to skip the question)")
	}
	res, err := planner.Apply(ctx, tenant, plan, planner.WithTenantID(plan.TenantID))
	if res != nil {
		fmt.Fprintln(out, res.Summary())
	}
	return err
}
