package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
	"github.com/licenseplan/licenseplan/report"
)

func isLoopbackHTTP(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func newFlags(name, synopsis string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: licensectl %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func cmdPlan(ctx context.Context, e *env, args []string) error {
	var src source
	var names namesFlag
	fs := newFlags("plan", "plan SOURCE --desired FILE [--output text|json|markdown] [--names part|product|both] [--prices FILE] [--fail-on-problems]", e)
	src.register(fs)
	names.register(fs)
	desiredFile := fs.String("desired", "", "desired/v1 `FILE`")
	out := fs.String("output", "text", "output format: text, json (ids, part numbers and product names, whatever --names) or markdown")
	failOn := fs.Bool("fail-on-problems", false, "exit 3 when the plan has error-severity problems (for CI)")
	pricesFile := fs.String("prices", "", "prices/v1 `FILE`: the seat table shows the monthly cost before and after, and the saving (text and markdown)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *desiredFile == "" {
		return usageErr("plan needs --desired FILE")
	}
	write, err := planWriter(*out)
	if err != nil {
		return err
	}
	d, err := readFile(*desiredFile, planner.ReadDesired)
	if err != nil {
		return err
	}
	st, err := src.state(ctx)
	if err != nil {
		return err
	}
	p := planner.Build(st, d).WithNames(names.style())
	if *pricesFile != "" {
		prices, err := readFile(*pricesFile, func(r io.Reader) (*report.Prices, error) { return report.ReadPrices(r, st) })
		if err != nil {
			return err
		}
		p = p.WithPrices(prices.Currency, prices)
	}
	if err := write(p, e.stdout); err != nil {
		return &exitError{code: 1, err: err}
	}
	if err := planInputError(p); err != nil {
		return err // names that do not resolve, contradictions: bad input (2), the plan shows them
	}
	if *failOn && !p.Applyable() {
		return &exitError{code: 3, err: fmt.Errorf("the plan has error-severity problems")}
	}
	return nil
}

func planWriter(format string) (func(*planner.Plan, io.Writer) error, error) {
	switch format {
	case "text":
		return (*planner.Plan).WriteText, nil
	case "json":
		return (*planner.Plan).WriteJSON, nil
	case "markdown", "md":
		return (*planner.Plan).WriteMarkdown, nil
	}
	return nil, usageErr("--output %q: want text, json or markdown", format)
}

// printLearned prints, for each step Entra refused with a rule the plan's rules did not
// predict, the rules/v1 entry that would have predicted it, for a --rules file.
func printLearned(w io.Writer, res *planner.ApplyResult) {
	for _, sr := range res.Steps {
		if sr.Learned == nil {
			continue
		}
		fmt.Fprintf(w, "\nstep %s: Entra refused it with a rule the plan did not predict. Add this to a rules file (--rules FILE) so that plans predict it:\n", sr.Step.ID)
		_ = sr.Learned.WriteJSON(w)
	}
}

func progressBar(w io.Writer) func(planner.Progress) {
	return func(p planner.Progress) {
		if p.Total == 0 {
			return
		}
		const width = 30
		n := p.Done * width / p.Total
		fmt.Fprintf(w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), p.Done, p.Total)
		if p.Done == p.Total {
			fmt.Fprintln(w)
		}
	}
}

type exporter interface{ State() *licensing.Snapshot }

func writeOut(fk exporter, path string) error {
	if path == "" || fk == nil {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if err := fk.State().WriteJSON(f); err != nil {
		f.Close()
		return &exitError{code: 1, err: err}
	}
	return f.Close()
}

func cmdGenerate(ctx context.Context, e *env, args []string) error {
	fs := newFlags("generate", "generate --users N [--seed S] [--skus N] [--groups N] [--read-at TIME] [--lifecycle=false] [--out FILE] [--desired FILE]", e)
	users := fs.Int("users", 0, "number of users")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same tenant")
	skus := fs.Int("skus", 0, "number of SKUs (default 60)")
	groups := fs.Int("groups", 0, "number of licensed groups (default: users/200, at most 500)")
	readAt := fs.String("read-at", synth.DefaultReadAt.Format(time.RFC3339), "the snapshot's readAt (RFC 3339): sign-in and subscription dates are drawn relative to `TIME`")
	lifecycle := fs.Bool("lifecycle", true, "add readAt, users' userType, createdDateTime and signInActivity (active, idle, never signed in), guests, disabled users and subscriptions (a trial, renewals); false gives the benchmarks' tenant")
	outFile := fs.String("out", "", "write the tenant/v1 to `FILE` instead of stdout")
	desiredFile := fs.String("desired", "", "also write a desired/v1 touching every user to `FILE`")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := checkGenerate(fs, *users, *skus, *groups); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339, *readAt)
	if err != nil {
		return usageErr("--read-at %q is not an RFC 3339 time such as 2026-06-01T08:00:00Z", *readAt)
	}
	if isSet(fs, "read-at") && !*lifecycle {
		return usageErr("--read-at needs the lifecycle data: leave --lifecycle=false off")
	}
	if err := checkNotInput("out", *outFile, map[string]string{"--desired": *desiredFile}); err != nil {
		return err
	}
	o := synth.DefaultOptions(*users)
	o.Seed = *seed
	if *skus > 0 {
		o.Skus = *skus
	}
	if *groups > 0 {
		o.Groups = *groups
	}
	o.Lifecycle, o.ReadAt = *lifecycle, at
	snap := synth.Tenant(o)
	w, done, err := output(e, *outFile)
	if err != nil {
		return err
	}
	if err := snap.WriteJSON(w); err != nil {
		done()
		return &exitError{code: 1, err: err}
	}
	if err := done(); err != nil {
		return &exitError{code: 1, err: err}
	}
	if *desiredFile != "" {
		if err := os.WriteFile(*desiredFile, synth.DesiredJSON(snap), 0o644); err != nil {
			return &exitError{code: 1, err: err}
		}
	}
	return nil
}
