// Command fakegraph serves a fake Microsoft Graph v1.0 with Entra's licensing semantics, for
// trying licenseplan (or any Graph client) without a tenant.
//
//	go run ./fake/cmd/fakegraph --tenant tenant.json --throttle graph --processing-delay 2s
//
// The first line it prints is "listening on http://HOST:PORT/v1.0"; it serves until SIGINT or
// SIGTERM. It binds the loopback interface unless --listen says otherwise. Without --tenant it
// serves the sample tenant Contoso. GET /_fake/state and /_fake/history show the tenant and
// the changes made to it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "fakegraph:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. It prints the listening line on stdout first.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakegraph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantFile := fs.String("tenant", "", "tenant/v1 `file` to serve (default: the sample tenant Contoso)")
	listen := fs.String("listen", "127.0.0.1:0", "`address` to listen on")
	throttle := fs.String("throttle", "off", "throttling: graph (Graph's identity limits), off, or N/DURATION such as 100/10s")
	failRate := fs.Float64("fail-rate", 0, "probability (0..1) that a request fails with an injected fault")
	failKinds := fs.String("fail-kinds", "unavailable", "comma-separated faults to inject: unavailable, gatewayTimeout, tooManyRequests, lostReply, reset, malformed")
	seed := fs.Uint64("seed", 1, "seed of the injected faults")
	delay := fs.Duration("processing-delay", 0, "how long group license processing takes (0: at once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (all settings are flags; see -h)", fs.Args())
	}
	th, err := fake.ParseThrottle(*throttle)
	if err != nil {
		return err
	}
	if *failRate < 0 || *failRate > 1 {
		return fmt.Errorf("--fail-rate %v: want a probability between 0 and 1", *failRate)
	}
	kinds, err := parseFaultKinds(*failKinds)
	if err != nil {
		return err
	}
	tenant, err := loadTenant(*tenantFile, fake.WithProcessingDelay(*delay))
	if err != nil {
		return err
	}
	srv, err := fake.Listen(*listen, tenant,
		fake.WithThrottle(th),
		fake.WithFaults(fake.Faults{Rate: *failRate, Seed: *seed, Kinds: kinds}))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL)
	<-ctx.Done()
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Close() }()
	select {
	case err := <-shutdown:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("requests still running 10s after the stop signal")
	}
}

func loadTenant(file string, opts ...fake.Option) (*fake.Tenant, error) {
	if file == "" {
		return fake.New(sampletenant.Snapshot(), opts...)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := fake.Load(f, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

func parseFaultKinds(s string) ([]fake.FaultKind, error) {
	var out []fake.FaultKind
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := false
		for k := fake.FaultUnavailable; k <= fake.FaultMalformed; k++ {
			if strings.EqualFold(k.String(), name) {
				out, found = append(out, k), true
			}
		}
		if !found {
			return nil, fmt.Errorf("--fail-kinds: unknown fault %q (want unavailable, gatewayTimeout, tooManyRequests, lostReply, reset or malformed)", name)
		}
	}
	return out, nil
}
