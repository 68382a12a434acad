// Command migrategroups moves direct license assignments to group-based licensing in waves: a
// direct assignment is removed only where the user's active group paths of the same SKU already
// enable every plan it enables, and every user left alone is printed with the reason.
//
//	go run ./examples/migrategroups                    # the sample tenant, waves 0.25,1.0
//	go run ./examples/migrategroups --waves 0.05,0.5,1
//	go run ./examples/migrategroups --graph            # a real tenant: asks before applying
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/examples/internal/source"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

func main() {
	source.Exit("migrategroups", run(context.Background(), os.Args[1:], os.Stdin, os.Stdout))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrategroups", flag.ContinueOnError)
	src := source.Register(fs)
	wavesFlag := fs.String("waves", "0.25,1.0", "cumulative fractions of the users per wave, the last 1.0")
	if err := source.Parse(fs, args); err != nil {
		return err
	}
	var waves []float64
	for _, f := range strings.Split(*wavesFlag, ",") {
		w, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return source.Usage(fmt.Errorf("--waves: %v", err))
		}
		waves = append(waves, w)
	}
	desired := &planner.Desired{
		FormatVersion:        planner.DesiredFormatVersion,
		MigrateDirectToGroup: &planner.Migration{Users: planner.UserSelector{All: true}, Waves: waves},
	}
	if err := desired.Validate(); err != nil {
		return source.Usage(err)
	}

	tenant, st, err := src.OpenState(ctx)
	if err != nil {
		return err
	}
	plan := planner.Build(st, desired)
	if err := plan.WriteText(stdout); err != nil {
		return err
	}

	skipped := 0
	fmt.Fprintln(stdout, "\nSkipped (their direct license stays):")
	for _, p := range plan.Problems {
		if p.Kind == licensing.NotCovered {
			skipped++
			fmt.Fprintf(stdout, "  %s\n", p.Message)
		}
	}
	fmt.Fprintf(stdout, "\n%d direct assignments to remove in %d waves; %d users skipped.\n", len(plan.Steps), plan.Waves(), skipped)
	return src.Apply(ctx, tenant, plan, stdin, stdout)
}
