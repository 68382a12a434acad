// Command licenseflow runs licenseplan on Temporal: workers that apply plans, and the commands
// that start a run, approve or stop it, and read its progress.
//
//	licenseflow worker   --tenant ID=GRAPH_ROOT [--tenant …] --plans DIR [--writes-per-second 20] [--quota ID=N …]
//	licenseflow start    --tenant ID --desired FILE [--tenant ID [--desired FILE] …] [--id ID] [--approve-waves] [--concurrency N] [--wait]
//	licenseflow approve  --id ID --wave N
//	licenseflow stop     --id ID [--reason TEXT]
//	licenseflow progress --id ID
//	licenseflow wait     --id ID
//
// Every command takes --temporal HOST:PORT (default 127.0.0.1:7233, the dev server's) and
// --namespace (default "default"). A worker serves the workflow queue and one activity queue per
// --tenant, whose Graph root it reaches: a loopback http:// root (the fake server's) without a
// credential, any other with azidentity's default credential chain. Each tenant queue carries
// --writes-per-second as Temporal's server-side rate limit, across all workers.
//
// start runs ApplyFleet over the tenants given (one desired/v1 file each). approve and stop take
// the start id (every tenant) or one tenant's ApplyPlan id, "<start id>/<tenant id>/apply";
// progress takes the latter.
//
// Exit codes: 0 success; 1 the run did not finish well (a step failed, drifted, or the run was
// stopped); 2 bad usage or input.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/licenseplan/licenseplan/examples/internal/source"
	"github.com/licenseplan/licenseplan/examples/temporal/licenseflow"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	source.Exit("licenseflow", run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: licenseflow worker|start|approve|stop|progress|wait [flags] (see -help of each)`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return source.Usage(errors.New(usage))
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("licenseflow "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("temporal", "127.0.0.1:7233", "Temporal frontend `HOST:PORT`")
	ns := fs.String("namespace", "default", "Temporal `namespace`")
	switch cmd {
	case "worker":
		return workerCmd(ctx, fs, args, addr, ns, stderr)
	case "start":
		return startCmd(ctx, fs, args, addr, ns, stdout)
	case "approve", "stop", "progress", "wait":
		return controlCmd(ctx, cmd, fs, args, addr, ns, stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return source.Usage(fmt.Errorf("unknown command %q; %s", cmd, usage))
}

func dial(addr, ns string) (client.Client, error) {
	return client.Dial(client.Options{HostPort: addr, Namespace: ns,
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))})
}

// tenantFlag collects --tenant values.
type tenantFlag []string

func (t *tenantFlag) String() string     { return strings.Join(*t, ",") }
func (t *tenantFlag) Set(v string) error { *t = append(*t, v); return nil }

func workerCmd(ctx context.Context, fs *flag.FlagSet, args []string, addr, ns *string, stderr io.Writer) error {
	var tenants tenantFlag
	fs.Var(&tenants, "tenant", "`ID=GRAPH_ROOT`: a tenant this worker applies plans to, and its Graph root (repeatable)")
	plans := fs.String("plans", "", "`DIR` shared by the workers where plans are stored")
	wps := fs.Float64("writes-per-second", 20, "each tenant's write quota: the server-side rate limit of its activity queue")
	var quotas tenantFlag
	fs.Var(&quotas, "quota", "`ID=N`: tenant ID's own write quota, N writes/s, instead of --writes-per-second (repeatable)")
	workflows := fs.Bool("workflows", true, "also run the workflows (the licenseplan queue)")
	if err := source.Parse(fs, args); err != nil {
		return err
	}
	if len(tenants) == 0 || *plans == "" {
		return source.Usage(errors.New("worker: give --plans DIR and at least one --tenant ID=GRAPH_ROOT"))
	}
	if *wps <= 0 || *wps > 10000 {
		return source.Usage(fmt.Errorf("--writes-per-second %v: want more than 0 and at most 10000", *wps))
	}
	roots := map[string]string{}
	for _, t := range tenants {
		id, root, ok := strings.Cut(t, "=")
		if !ok {
			return source.Usage(fmt.Errorf("--tenant %q: want ID=GRAPH_ROOT, e.g. %s=http://127.0.0.1:8080/v1.0", t, "0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908"))
		}
		if _, err := licensing.ParseGUID(id); err != nil {
			return source.Usage(fmt.Errorf("--tenant %q: the tenant id is not a GUID", t))
		}
		if u, err := url.Parse(root); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return source.Usage(fmt.Errorf("--tenant %q: the Graph root is not an http(s) URL", t))
		}
		roots[strings.ToLower(id)] = root
	}
	quota := map[string]float64{}
	for _, q := range quotas {
		id, n, ok := strings.Cut(q, "=")
		var v float64
		if _, err := fmt.Sscan(n, &v); !ok || err != nil || v <= 0 || v > 10000 {
			return source.Usage(fmt.Errorf("--quota %q: want ID=N with N writes/s, more than 0 and at most 10000", q))
		}
		if _, known := roots[strings.ToLower(id)]; !known {
			return source.Usage(fmt.Errorf("--quota %q: tenant %s has no --tenant", q, id))
		}
		quota[strings.ToLower(id)] = v
	}
	acts := &licenseflow.Activities{Plans: licenseflow.DirStore{Dir: *plans}, Connect: func(_ context.Context, t licenseflow.TenantRef) (planner.Tenant, error) {
		root, ok := roots[strings.ToLower(t.ID)]
		if !ok {
			return nil, fmt.Errorf("this worker has no connection for tenant %s", t.ID)
		}
		opts := []graphadapter.Option{graphadapter.WithRoot(root)}
		if !loopbackHTTP(root) {
			opts = append(opts, graphadapter.WithDefaultCredential())
		}
		return graphadapter.New(opts...)
	}}
	c, err := dial(*addr, *ns)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", *addr, err)
	}
	defer c.Close()
	var ws []worker.Worker
	if *workflows {
		w := worker.New(c, licenseflow.WorkflowTaskQueue, worker.Options{})
		licenseflow.RegisterWorkflows(w)
		ws = append(ws, w)
	}
	for id := range roots {
		q := *wps
		if v, ok := quota[id]; ok {
			q = v
		}
		ws = append(ws, licenseflow.NewTenantWorker(c, licenseflow.TenantRef{ID: id}, acts, q))
	}
	for _, w := range ws {
		if err := w.Start(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "licenseflow worker: %d tenant queue(s); pid %d\n", len(roots), os.Getpid())
	<-ctx.Done()
	for _, w := range ws {
		w.Stop()
	}
	return nil
}

func loopbackHTTP(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
}

func startCmd(ctx context.Context, fs *flag.FlagSet, args []string, addr, ns *string, stdout io.Writer) error {
	var tenants, desired tenantFlag
	fs.Var(&tenants, "tenant", "tenant `ID` to plan and apply (repeatable, each with its --desired)")
	fs.Var(&desired, "desired", "desired/v1 `FILE` of the --tenant before it (one --desired alone: for every tenant)")
	id := fs.String("id", "", "workflow `ID` (default: licenseplan-<time>)")
	approve := fs.Bool("approve-waves", false, "every wave after the first waits for `licenseflow approve`")
	conc := fs.Int("concurrency", 8, "steps in flight per tenant (1–256)")
	wait := fs.Bool("wait", false, "wait for the run to end and print its outcome")
	if err := source.Parse(fs, args); err != nil {
		return err
	}
	if len(desired) == 1 {
		for len(desired) < len(tenants) {
			desired = append(desired, desired[0]) // one desired state for every tenant
		}
	}
	if len(tenants) == 0 || len(tenants) != len(desired) {
		return source.Usage(errors.New("start: give --tenant ID --desired FILE for each tenant, or one --desired for them all"))
	}
	if *conc < 1 || *conc > 256 {
		return source.Usage(fmt.Errorf("--concurrency %d: want 1–256", *conc))
	}
	in := licenseflow.FleetInput{Options: licenseflow.ApplyOptions{Concurrency: *conc, ApproveWaves: *approve}}
	seen := map[string]bool{}
	for i, t := range tenants {
		if _, err := licensing.ParseGUID(t); err != nil {
			return source.Usage(fmt.Errorf("--tenant %q is not a GUID", t))
		}
		if seen[strings.ToLower(t)] {
			return source.Usage(fmt.Errorf("--tenant %s is given twice", t))
		}
		seen[strings.ToLower(t)] = true
		data, err := os.ReadFile(desired[i])
		if err != nil {
			return source.Usage(err)
		}
		if _, err := planner.ReadDesired(strings.NewReader(string(data))); err != nil {
			return source.Usage(fmt.Errorf("%s: %w", desired[i], err))
		}
		in.Jobs = append(in.Jobs, licenseflow.TenantJob{Tenant: licenseflow.TenantRef{ID: strings.ToLower(t)}, Desired: data})
	}
	if *id == "" {
		*id = "licenseplan-" + time.Now().UTC().Format("20060102T150405Z")
	}
	c, err := dial(*addr, *ns)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", *addr, err)
	}
	defer c.Close()
	we, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: *id, TaskQueue: licenseflow.WorkflowTaskQueue}, "ApplyFleet", in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "started %s (approve and stop every tenant with --id %s)\n", we.GetID(), we.GetID())
	for _, j := range in.Jobs {
		fmt.Fprintf(stdout, "  tenant %s: progress, approve and stop with --id %s/%s/apply\n", j.Tenant.ID, we.GetID(), j.Tenant.ID)
	}
	if !*wait {
		return nil
	}
	return printFleet(stdout, we.Get(ctx, new(licenseflow.FleetResult)), we, ctx)
}

func printFleet(stdout io.Writer, err error, we client.WorkflowRun, ctx context.Context) error {
	var res licenseflow.FleetResult
	if err == nil {
		_ = we.Get(ctx, &res)
	} else {
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || !ae.HasDetails() || ae.Details(&res) != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if e := enc.Encode(res); e != nil {
		return e
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d of %d tenants did not finish", res.Failed, len(res.Tenants))
	}
	return nil
}

func controlCmd(ctx context.Context, cmd string, fs *flag.FlagSet, args []string, addr, ns *string, stdout io.Writer) error {
	id := fs.String("id", "", "workflow `ID`")
	wave := fs.Int("wave", -1, "approve: the wave `N` to approve (and every wave before it)")
	reason := fs.String("reason", "", "stop: why, for the record")
	if err := source.Parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return source.Usage(fmt.Errorf("%s: give --id", cmd))
	}
	if cmd == "approve" && *wave < 0 {
		return source.Usage(errors.New("approve: give --wave N (0 or more)"))
	}
	c, err := dial(*addr, *ns)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s: %w", *addr, err)
	}
	defer c.Close()
	switch cmd {
	case "approve":
		return c.SignalWorkflow(ctx, *id, "", licenseflow.SignalApprove, *wave)
	case "stop":
		return c.SignalWorkflow(ctx, *id, "", licenseflow.SignalStop, *reason)
	case "progress":
		v, err := c.QueryWorkflow(ctx, *id, "", licenseflow.QueryProgress)
		if err != nil {
			return err
		}
		var p licenseflow.Progress
		if err := v.Get(&p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: wave %d (of %d), %d/%d done (%d succeeded, %d already done, %d failed, %d drift, %d skipped), %d running, %d pending, ETA %s\n",
			p.Outcome, p.Wave, p.Waves, p.Done, p.Total, p.Succeeded, p.AlreadyDone, p.Failed, p.Drift, p.Skipped, p.Running, p.Pending, p.ETA.Round(time.Second))
		if p.WaitingForApproval {
			fmt.Fprintf(stdout, "waiting for approval of wave %d: licenseflow approve --id %s --wave %d\n", p.Wave, *id, p.Wave)
		}
		return nil
	default: // wait
		return printFleet(stdout, c.GetWorkflow(ctx, *id, "").Get(ctx, nil), c.GetWorkflow(ctx, *id, ""), ctx)
	}
}
