package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// Bounds of the numeric flags. Values outside them are refused (exit 2) rather than clamped or
// ignored.
const (
	minRate        = 0.01    // writes per second: one write every 100 s
	maxRate        = 100_000 // far above what Graph allows
	maxConcurrency = 256
	maxUsers       = 10_000_000 // generate: ten times the largest tenant benchmarked
	minSkus        = 7          // generate: the sample tenant's 7 real SKUs
	maxSkus        = 1_000
	minGroups      = 3 // generate: the 3 standard licensed groups
	maxGroups      = 100_000
)

// checkRate checks --rate: 0 (no limit) or a finite number of writes per second within
// [minRate, maxRate]. A tiny positive rate such as 1e-300 is refused: its interval overflows
// to no limit at all.
func checkRate(rate float64) error {
	if rate == 0 {
		return nil
	}
	if math.IsNaN(rate) || math.IsInf(rate, 0) || rate < minRate || rate > maxRate {
		return usageErr("--rate %v: want 0 (no limit) or writes per second between %v and %v", rate, minRate, maxRate)
	}
	return nil
}

// checkConcurrency checks --concurrency: 1 to maxConcurrency steps at once.
func checkConcurrency(n int) error {
	if n < 1 || n > maxConcurrency {
		return usageErr("--concurrency %d: want 1 to %d steps at once", n, maxConcurrency)
	}
	return nil
}

// namesFlag is --names: how a command that prints SKUs and service plans for people (plan,
// apply, report, explain) names them. checkFlags validates it.
type namesFlag struct{ value string }

// namesValues are --names's values, as its usage and its error name them.
const namesValues = "part, product or both"

func (n *namesFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&n.value, "names", "both", "how text names SKUs and service plans, as `STYLE`: both (\"Office 365 E3 (ENTERPRISEPACK)\"), part (\"ENTERPRISEPACK\") or product (\"Office 365 E3\")")
}

// style is the parsed --names (checkFlags has refused any other value).
func (n *namesFlag) style() licensing.NameStyle {
	s, _ := licensing.ParseNameStyle(n.value)
	return s
}

// checkNames checks --names: part, product or both.
func checkNames(value string) error {
	if _, err := licensing.ParseNameStyle(value); err != nil {
		return usageErr("--names %q: want %s", value, namesValues)
	}
	return nil
}

// checkFlags checks the flags with shared meanings wherever a command has them (--rate,
// --concurrency, --names): parse calls it, so every command that parses with parse gets the checks.
func checkFlags(fs *flag.FlagSet) error {
	if f := fs.Lookup("names"); f != nil {
		if err := checkNames(f.Value.String()); err != nil {
			return err
		}
	}
	if f := fs.Lookup("rate"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if v, ok := g.Get().(float64); ok {
				if err := checkRate(v); err != nil {
					return err
				}
			}
		}
	}
	if f := fs.Lookup("concurrency"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if v, ok := g.Get().(int); ok {
				if err := checkConcurrency(v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// checkGenerate checks generate's sizes. users is required; skus and groups, when given, must
// be in range (0 is not "the default" when written out: leave the flag off for that).
func checkGenerate(fs *flag.FlagSet, users, skus, groups int) error {
	if users < 1 || users > maxUsers {
		return usageErr("generate needs --users N with 1 ≤ N ≤ %d (got %d)", maxUsers, users)
	}
	if isSet(fs, "skus") && (skus < minSkus || skus > maxSkus) {
		return usageErr("--skus %d: want %d to %d SKUs (the 7 real ones included), or leave it off for 60", skus, minSkus, maxSkus)
	}
	if isSet(fs, "groups") && (groups < minGroups || groups > maxGroups) {
		return usageErr("--groups %d: want %d to %d licensed groups (the 3 standard ones included), or leave it off for users/200", groups, minGroups, maxGroups)
	}
	if isSet(fs, "skus") && skus == minSkus && (groups > minGroups || (!isSet(fs, "groups") && users/200 > minGroups)) {
		return usageErr("--skus 7 leaves no synthetic SKU for the groups beyond the 3 standard ones: give --skus 8 or more, or --groups 3")
	}
	return nil
}

// sameFile reports whether paths a and b name the same file (an existing one, or the same path).
func sameFile(a, b string) bool {
	if a == "" || b == "" || a == "-" || b == "-" {
		return false
	}
	if sa, err := os.Stat(a); err == nil {
		if sb, err := os.Stat(b); err == nil {
			return os.SameFile(sa, sb)
		}
	}
	pa, err1 := filepath.Abs(a)
	pb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && pa == pb
}

// checkNotInput refuses an output path that names one of the inputs (it would be overwritten
// before, or while, it is read).
func checkNotInput(flagName, out string, inputs map[string]string) error {
	for name, in := range inputs {
		if sameFile(out, in) {
			return usageErr("--%s %s is the %s file: writing it would overwrite the input; choose another file", flagName, out, name)
		}
	}
	return nil
}

// inputKinds are the problem kinds that mean the desired state itself is wrong for this tenant
// (a name that does not resolve, a contradiction): bad input, exit 2.
var inputKinds = []licensing.Kind{licensing.UnknownSku, licensing.UnknownServicePlan, licensing.UnknownUser,
	licensing.UnknownGroup, licensing.InvalidDesiredState, licensing.InvalidInput}

// planInputError returns a usage error (exit 2) when the plan has error-severity problems that
// come from the desired state itself — names that do not resolve against the tenant, or
// contradictions — rather than from what Entra would do. The plan itself is printed before.
func planInputError(p *planner.Plan) error {
	var first string
	n := 0
	for _, pr := range p.Problems {
		if pr.Severity != planner.SeverityError {
			continue
		}
		for _, k := range inputKinds {
			if pr.Kind == k {
				if n == 0 {
					first = pr.Message
				}
				n++
				break
			}
		}
	}
	if n == 0 {
		return nil
	}
	more := ""
	if n > 1 {
		more = fmt.Sprintf(" (and %d more, listed under Problems)", n-1)
	}
	return usageErr("the desired state does not fit the tenant, so the plan is not applyable: %s%s", strings.TrimSpace(first), more)
}
