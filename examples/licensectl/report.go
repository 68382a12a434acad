package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/report"
)

// moneyReports are the reports that take options (report.Reclaim, report.Cost, report.Expiring).
var moneyReports = []string{report.ReportReclaim, report.ReportCost, report.ReportExpiring}

// reportFlags are the flags that belong to some reports only, and which.
var reportFlags = map[string][]string{
	"inactive-days": {report.ReportReclaim},
	"prices":        {report.ReportReclaim, report.ReportCost},
	"by":            {report.ReportCost},
	"now":           {report.ReportReclaim, report.ReportExpiring},
	"within-days":   {report.ReportExpiring},
	"min-free":      {report.ReportSeats},
	"include-free":  {report.ReportSeats},
}

const (
	maxInactiveDays = 36_500 // a hundred years
	maxWithinDays   = 3_650
)

func cmdReport(ctx context.Context, e *env, args []string) error {
	var src source
	var style namesFlag
	all := append(slices.Clone(report.Names()), moneyReports...)
	names := strings.Join(all, "|")
	fs := newFlags("report", "report "+names+" SOURCE [--output text|csv|json|markdown] [--out FILE] [--names part|product|both]\n"+
		"         [--inactive-days N] [--prices FILE] [--by "+strings.Join(report.CostDimensions(), "|")+"] [--within-days N] [--now RFC3339]\n"+
		"         [--min-free N [--include-free]]", e)
	src.register(fs)
	style.register(fs)
	out := fs.String("output", "text", "output format: text, csv, json or markdown (csv and json carry ids, part numbers and product names, whatever --names)")
	outFile := fs.String("out", "", "write to `FILE` instead of stdout")
	inactiveDays := fs.Int("inactive-days", 90, "reclaim: days without a sign-in that make a user inactive (1 to 36500)")
	pricesFile := fs.String("prices", "", "reclaim, cost (required): a prices/v1 `FILE` giving the monthly price of SKUs")
	by := fs.String("by", report.CostBySku, "cost: split the assigned seats by `DIMENSION`: "+strings.Join(report.CostDimensions(), ", "))
	withinDays := fs.Int("within-days", 30, "expiring: the window, in days from --now, in which a subscription's nextLifecycleDateTime falls (1 to 3650)")
	nowFlag := fs.String("now", "", "reclaim, expiring: the moment (RFC 3339) days are measured from; default the snapshot's readAt")
	minFree := fs.Int("min-free", 0, "seats: exit 3 when a SKU with paid seats has fewer than `N` free seats")
	includeFree := fs.Bool("include-free", false, "seats --min-free: also check SKUs without paid seats (free SKUs, self-service trials)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("report needs one report name: %s", names)
	}
	if err := checkNotInput("out", *outFile, src.inputs()); err != nil {
		return err
	}
	name := pos[0]
	if !contains(all, name) {
		return usageErr("unknown report %q: want one of %s", name, names)
	}
	for flagName, reports := range reportFlags {
		if isSet(fs, flagName) && !contains(reports, name) {
			return usageErr("--%s applies to report %s only, not %s", flagName, strings.Join(reports, " and "), name)
		}
	}
	if *inactiveDays < 1 || *inactiveDays > maxInactiveDays {
		return usageErr("--inactive-days %d: want 1 to %d days", *inactiveDays, maxInactiveDays)
	}
	if *withinDays < 1 || *withinDays > maxWithinDays {
		return usageErr("--within-days %d: want 1 to %d days", *withinDays, maxWithinDays)
	}
	if !contains(report.CostDimensions(), *by) {
		return usageErr("--by %q: want one of %s", *by, strings.Join(report.CostDimensions(), ", "))
	}
	if name == report.ReportCost && *pricesFile == "" {
		return usageErr("report cost needs --prices FILE (a prices/v1 file: Graph has no prices)")
	}
	if *minFree < 0 {
		return usageErr("--min-free %d: want 0 or more free seats", *minFree)
	}
	if *includeFree && !isSet(fs, "min-free") {
		return usageErr("--include-free needs --min-free N")
	}
	var now time.Time
	if *nowFlag != "" {
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return usageErr("--now %q: want an RFC 3339 time such as 2026-03-01T08:00:00Z", *nowFlag)
		}
	}
	f, err := report.ParseFormat(*out)
	if err != nil {
		return usageErr("%v", err)
	}
	st, err := src.state(ctx)
	if err != nil {
		return err
	}
	var prices *report.Prices
	if *pricesFile != "" {
		if prices, err = readFile(*pricesFile, func(r io.Reader) (*report.Prices, error) { return report.ReadPrices(r, st) }); err != nil {
			return err
		}
	}
	opts := report.Options{Names: style.style()}
	var write func(w io.Writer) error
	switch name {
	case report.ReportReclaim:
		rep, err := opts.Reclaim(st, report.ReclaimOptions{InactiveDays: *inactiveDays, Now: now, Prices: prices})
		if err != nil {
			return usageErr("%v", err)
		}
		write = func(w io.Writer) error { return rep.Write(w, f) }
	case report.ReportCost:
		rep, err := opts.Cost(st, report.CostOptions{Prices: prices, By: *by})
		if err != nil {
			return usageErr("%v", err)
		}
		write = func(w io.Writer) error { return rep.Write(w, f) }
	case report.ReportExpiring:
		rep, err := opts.Expiring(st, report.ExpiringOptions{WithinDays: *withinDays, Now: now})
		if err != nil {
			return usageErr("%v", err)
		}
		write = func(w io.Writer) error { return rep.Write(w, f) }
	default:
		write = func(w io.Writer) error { return opts.Write(w, st, name, f) }
	}
	w, done, err := output(e, *outFile)
	if err != nil {
		return err
	}
	if err := write(w); err != nil {
		done()
		return &exitError{code: 1, err: err}
	}
	if err := done(); err != nil {
		return err
	}
	if isSet(fs, "min-free") {
		if low := report.LowSeats(st, *minFree, *includeFree); len(low) > 0 {
			list := make([]string, len(low))
			for i, r := range low {
				list[i] = fmt.Sprintf("%s has %d free", r.SkuPartNumber, r.Available)
			}
			return &exitError{code: 3, err: fmt.Errorf("%d SKU(s) with fewer than %d free seats: %s", len(low), *minFree, strings.Join(list, ", "))}
		}
	}
	return nil
}

func cmdExplain(ctx context.Context, e *env, args []string) error {
	var src source
	var names namesFlag
	fs := newFlags("explain", "explain SOURCE --user ID|UPN [--output text|json|markdown] [--names part|product|both]", e)
	src.register(fs)
	names.register(fs)
	user := fs.String("user", "", "the user's id or userPrincipalName")
	out := fs.String("output", "text", "output format: text, json or markdown")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *user == "" {
		return usageErr("explain needs --user ID|UPN")
	}
	f, err := report.ParseFormat(*out)
	if err != nil {
		return usageErr("%v", err)
	}
	st, err := src.state(ctx)
	if err != nil {
		return err
	}
	ex, err := report.Options{Names: names.style()}.Explain(st, *user)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := ex.Write(e.stdout, f); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("explain: %w", err)}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
