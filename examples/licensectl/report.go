package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/licenseplan/licenseplan/report"
)

func cmdReport(ctx context.Context, e *env, args []string) error {
	var src source
	var style namesFlag
	names := strings.Join(report.Names(), "|")
	fs := newFlags("report", "report "+names+" SOURCE [--output text|csv|json] [--out FILE] [--names part|product|both]", e)
	src.register(fs)
	style.register(fs)
	out := fs.String("output", "text", "output format: text, csv or json (csv and json carry ids, part numbers and product names, whatever --names)")
	outFile := fs.String("out", "", "write to `FILE` instead of stdout")
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
	if !contains(report.Names(), name) {
		return usageErr("unknown report %q: want one of %s", name, names)
	}
	f, err := report.ParseFormat(*out)
	if err != nil {
		return usageErr("%v", err)
	}
	st, err := src.state(ctx)
	if err != nil {
		return err
	}
	w, done, err := output(e, *outFile)
	if err != nil {
		return err
	}
	if err := (report.Options{Names: style.style()}).Write(w, st, name, f); err != nil {
		done()
		return &exitError{code: 1, err: err}
	}
	return done()
}

func cmdExplain(ctx context.Context, e *env, args []string) error {
	var src source
	var names namesFlag
	fs := newFlags("explain", "explain SOURCE --user ID|UPN [--output text|json] [--names part|product|both]", e)
	src.register(fs)
	names.register(fs)
	user := fs.String("user", "", "the user's id or userPrincipalName")
	out := fs.String("output", "text", "output format: text or json")
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
