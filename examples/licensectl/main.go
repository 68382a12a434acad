// Command licensectl is licenseplan's reference CLI: plan and apply license changes, export a
// tenant, report on it and explain a user's licensing — against Microsoft Graph, a Graph-speaking
// endpoint such as the fake server, or a tenant/v1 snapshot file.
//
//	licensectl plan     SOURCE --desired FILE [--output text|json|markdown] [--names part|product|both]
//	licensectl apply    SOURCE (--desired FILE | --plan FILE) [--journal FILE [--replan]] [--until-wave N] [--yes] [--out FILE] [--names …]
//	licensectl snapshot SOURCE [--out FILE]
//	licensectl report   paths|errors|seats|consumers|redundant|direct-only SOURCE [--output text|csv|json|markdown] [--out FILE] [--names …]
//	licensectl report   reclaim SOURCE [--inactive-days N] [--prices FILE] [--now RFC3339]
//	licensectl report   expiring SOURCE [--within-days N] [--now RFC3339]
//	licensectl report   seats SOURCE --min-free N [--include-free]
//	licensectl explain  SOURCE --user ID|UPN [--names …]
//	licensectl generate --users N [--seed S] [--read-at TIME] [--lifecycle=false] [--out FILE] [--desired FILE]
//	licensectl version
//
// SOURCE is one of --tenant FILE (a tenant/v1 file, in memory), --graph (Microsoft Graph with
// azidentity's default credential chain) or --graph-endpoint URL (another Graph root; a loopback
// http:// URL needs no credentials).
//
// SKUs and service plans are named by product and part number ("Office 365 E3 (ENTERPRISEPACK)")
// from Microsoft's licensing CSV, embedded in package licensing (licensectl version says which);
// --catalog FILE gives a newer one, whose names take precedence. --names part|product|both
// chooses how text names them; JSON and CSV always carry ids, part numbers and product names.
//
// Exit codes: 0 success (for plan: a plan was produced, whatever Entra would object to, unless
// --fail-on-problems); 1 the operation failed (apply: a step did not succeed); 2 bad usage or
// bad input (the one-line reason is printed on stderr), including out-of-range flag values,
// stray arguments, an --out that names an input file, and a desired state that does not fit the
// tenant (names that do not resolve, contradictions: plan prints the plan with them first);
// 3 plan --fail-on-problems found errors, or report seats --min-free N found a SKU with paid
// seats and fewer than N free.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// usage is licensectl --help; %s is the embedded catalog (embeddedCatalog).
const usage = `licensectl — plan and apply Microsoft 365 / Entra ID license changes safely

Usage:
  licensectl plan     SOURCE --desired FILE [--output text|json|markdown] [--names STYLE] [--fail-on-problems]
  licensectl apply    SOURCE (--desired FILE | --plan FILE) [--journal FILE [--replan]] [--until-wave N] [--yes] [--out FILE] [--names STYLE]
  licensectl snapshot SOURCE [--out FILE] [--progress-every D]
  licensectl report   paths|errors|seats|consumers|redundant|direct-only SOURCE [--output text|csv|json|markdown] [--out FILE] [--names STYLE]
  licensectl report   reclaim SOURCE [--inactive-days N (90)] [--prices FILE] [--now RFC3339] [--output …]
  licensectl report   expiring SOURCE [--within-days N (30)] [--now RFC3339] [--output …]
  licensectl report   seats SOURCE --min-free N [--include-free]   exit 3 when a SKU with paid seats has fewer than N free
  licensectl explain  SOURCE --user ID|UPN [--output text|json] [--names STYLE]
  licensectl generate --users N [--seed S] [--read-at TIME] [--lifecycle=false] [--out FILE] [--desired FILE]
  licensectl version  the version, and which Microsoft catalog names the products

SOURCE (one of):
  --tenant FILE          a tenant/v1 snapshot file (apply runs it on the in-memory fake tenant)
  --graph                Microsoft Graph, credentials from azidentity's default chain
                         (AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, workload or
                         managed identity, az login)
  --graph-endpoint URL   another Graph root, e.g. the fake server http://127.0.0.1:PORT/v1.0
                         (a loopback http:// URL needs no credentials)
  --cloud NAME           with --graph: public (default), usgov, usgovdod or china
Common options:
  --catalog FILE         a newer Microsoft licensing CSV: its product and plan names take
                         precedence over the embedded ones (optional)
  --rules FILE           a rules/v1 file that extends (or replaces) the default rules
  --names STYLE          how text names SKUs and service plans: both (default, "Office 365 E3
                         (ENTERPRISEPACK)"), part ("ENTERPRISEPACK") or product ("Office 365 E3");
                         JSON and CSV always carry ids, part numbers and product names

Product names: %s (embedded; licensectl version).

Exit codes: 0 ok; 1 the operation failed; 2 bad usage or input (also a desired state whose
names do not resolve against the tenant: the plan is printed with its problems, and a --prices
file that does not read: its name and the bad entry); 3 plan --fail-on-problems found errors,
or report seats --min-free N found a SKU with paid seats and fewer than N free (free SKUs and
trial-only SKUs are ignored unless --include-free; the report is written first).
Run "licensectl COMMAND --help" for a command's flags.
`

// exitError carries an exit code with the one-line reason.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func main() {
	if os.Getenv("GOGC") == "" {
		// A million-user plan keeps a heap of most of a gigabyte live for its whole run: with
		// the collector's default of 100 it runs several cycles that find little to free, on a
		// core the planner could use. 200 measured 0.5-1.5 s faster and 2 s less CPU on a 2-core
		// machine, for a peak RSS from the same to about a tenth higher. GOGC set wins.
		debug.SetGCPercent(200)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee *exitError
		code := 2
		if errors.As(err, &ee) {
			code = ee.code
		}
		if code != 0 {
			fmt.Fprintln(os.Stderr, "licensectl:", err)
		}
		os.Exit(code)
	}
}

// env is what a command runs with; tests give their own streams.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	interactive    bool // stdin and stderr are terminals
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stdout, usage, embeddedCatalog())
		if len(args) == 0 {
			return &exitError{code: 2, err: errors.New("no command given")}
		}
		return nil
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, interactive: isTerminal(stdin) && isTerminal(stderr)}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "plan":
		return cmdPlan(ctx, e, rest)
	case "apply":
		return cmdApply(ctx, e, rest)
	case "snapshot":
		return cmdSnapshot(ctx, e, rest)
	case "report":
		return cmdReport(ctx, e, rest)
	case "explain":
		return cmdExplain(ctx, e, rest)
	case "generate":
		return cmdGenerate(ctx, e, rest)
	case "version":
		return cmdVersion(e, rest)
	}
	return usageErr("unknown command %q: want plan, apply, snapshot, report, explain, generate or version (licensectl --help)", cmd)
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
