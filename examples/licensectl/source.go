package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// source holds the SOURCE flags shared by the commands.
type source struct {
	tenantFile    string
	graph         bool
	graphEndpoint string
	cloud         string
	catalogFile   string
	rulesFile     string
}

func (s *source) register(fs *flag.FlagSet) {
	fs.StringVar(&s.tenantFile, "tenant", "", "tenant/v1 snapshot `FILE` (plan, report and explain stream it, refusing a top-level key given twice)")
	fs.BoolVar(&s.graph, "graph", false, "use Microsoft Graph with azidentity's default credential chain")
	fs.StringVar(&s.graphEndpoint, "graph-endpoint", "", "Graph root `URL` (e.g. the fake server's http://127.0.0.1:PORT/v1.0)")
	fs.StringVar(&s.cloud, "cloud", "", "with --graph: the national `CLOUD` (public, usgov, usgovdod, china): its Graph root and sign-in authority")
	fs.StringVar(&s.catalogFile, "catalog", "", "a newer Microsoft licensing CSV `FILE`, whose product and plan names take precedence (optional: "+embeddedCatalog()+", is built in)")
	fs.StringVar(&s.rulesFile, "rules", "", "rules/v1 `FILE` extending the default rules")
}

// inputs are the files the source flags name, by what they are (for checkNotInput).
func (s *source) inputs() map[string]string {
	return map[string]string{"--tenant": s.tenantFile, "--catalog": s.catalogFile, "--rules": s.rulesFile}
}

func (s *source) check() error {
	n := 0
	for _, set := range []bool{s.tenantFile != "", s.graph, s.graphEndpoint != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return usageErr("give exactly one source: --tenant FILE, --graph or --graph-endpoint URL")
	}
	if s.cloud != "" && !s.graph {
		return usageErr("--cloud is for --graph (the national cloud's Graph and sign-in)")
	}
	if s.cloud != "" {
		if _, err := graphadapter.ParseCloud(s.cloud); err != nil {
			return usageErr("--cloud %q: want public, usgov, usgovdod or china", s.cloud)
		}
	}
	return nil
}

// openTenant returns a planner.Tenant for the source: the in-memory fake for --tenant, the Graph
// adapter otherwise. For --tenant, fk is the fake (to write the resulting tenant with --out).
func (s *source) openTenant(ctx context.Context) (t planner.Tenant, fk *fake.Tenant, err error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	if s.tenantFile != "" {
		var opts []fake.Option
		if r, err := s.rules(); err != nil {
			return nil, nil, err
		} else if r != nil {
			opts = append(opts, fake.WithRules(r))
		}
		if err := s.readTenantFile(func(f io.Reader) (err error) {
			fk, err = fake.Load(f, opts...)
			return err
		}); err != nil {
			return nil, nil, err // not a nil *fake.Tenant in a non-nil planner.Tenant
		}
		return fk, fk, nil
	}
	opts, err := s.graphOptions()
	if err != nil {
		return nil, nil, err
	}
	ga, err := graphadapter.New(opts...)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	return ga, nil, nil
}

// graphOptions are the adapter options the source flags ask for: the Graph root (--cloud's,
// or --graph-endpoint) and azidentity's default credential, except for a loopback http://
// endpoint (the fake server), which needs none.
func (s *source) graphOptions(more ...graphadapter.Option) ([]graphadapter.Option, error) {
	opts := append([]graphadapter.Option{}, more...)
	if s.cloud != "" {
		if s.graphEndpoint != "" {
			return nil, usageErr("--cloud and --graph-endpoint both name the Graph root: give one")
		}
		c, err := graphadapter.ParseCloud(s.cloud)
		if err != nil {
			return nil, usageErr("--cloud %q: want public, usgov, usgovdod or china", s.cloud)
		}
		opts = append(opts, graphadapter.WithCloud(c))
	}
	if s.graphEndpoint != "" {
		opts = append(opts, graphadapter.WithRoot(s.graphEndpoint))
		if isLoopbackHTTP(s.graphEndpoint) {
			return opts, nil
		}
	}
	return append(opts, graphadapter.WithDefaultCredential()), nil
}

// readTenantFile gives the --tenant file to read; errors name the file.
func (s *source) readTenantFile(read func(f io.Reader) error) error {
	f, err := os.Open(s.tenantFile)
	if err != nil {
		return usageErr("%v", err)
	}
	defer f.Close()
	if err := read(f); err != nil {
		return usageErr("%s: %v", s.tenantFile, err)
	}
	return nil
}

// snapshot reads the source as tenant/v1.
func (s *source) snapshot(ctx context.Context) (*licensing.Snapshot, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if s.tenantFile != "" {
		var snap *licensing.Snapshot
		err := s.readTenantFile(func(f io.Reader) (err error) {
			snap, err = licensing.ReadSnapshot(f)
			return err
		})
		return snap, err
	}
	t, _, err := s.openTenant(ctx)
	if err != nil {
		return nil, err
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, &exitError{code: 1, err: fmt.Errorf("reading the tenant: %w", err)}
	}
	return snap, nil
}

// state compiles the source's snapshot with the catalog and rules options. A tenant file is
// streamed into the State (licensing.LoadState) without keeping the document in memory.
func (s *source) state(ctx context.Context) (*licensing.State, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if s.tenantFile != "" {
		opts, err := s.stateOptions()
		if err != nil {
			return nil, err
		}
		var st *licensing.State
		err = s.readTenantFile(func(f io.Reader) (err error) {
			st, err = licensing.LoadState(f, opts...)
			return err
		})
		return st, err
	}
	snap, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return s.compile(snap)
}

func (s *source) compile(snap *licensing.Snapshot) (*licensing.State, error) {
	opts, err := s.stateOptions()
	if err != nil {
		return nil, err
	}
	st, err := licensing.NewState(snap, opts...)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return st, nil
}

// stateOptions are the catalog and rules options of the command line.
func (s *source) stateOptions() ([]licensing.StateOption, error) {
	var opts []licensing.StateOption
	if s.catalogFile != "" {
		f, err := os.Open(s.catalogFile)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		defer f.Close()
		cat, err := licensing.ReadCatalogCSV(f)
		if err != nil {
			return nil, usageErr("%s: %v", s.catalogFile, err)
		}
		opts = append(opts, licensing.WithCatalog(cat))
	}
	r, err := s.rules()
	if err != nil {
		return nil, err
	}
	if r != nil {
		opts = append(opts, licensing.WithRules(r))
	}
	return opts, nil
}

func (s *source) rules() (*licensing.Rules, error) {
	if s.rulesFile == "" {
		return nil, nil
	}
	f, err := os.Open(s.rulesFile)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	defer f.Close()
	r, err := licensing.ReadRules(f)
	if err != nil {
		return nil, usageErr("%s: %v", s.rulesFile, err)
	}
	defaults := licensing.DefaultRules()
	names := defaults.Names()
	for _, n := range r.Disable {
		if !slices.Contains(names, n) {
			hint := ""
			if c := licensing.Closest(n, names, 1); len(c) > 0 {
				hint = fmt.Sprintf(" (did you mean %q?)", c[0])
			}
			return nil, usageErr("%s: disable names %q, which is no default rule%s", s.rulesFile, n, hint)
		}
	}
	return defaults.Extend(r), nil
}

func readFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, usageErr("%v", err)
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, usageErr("%s: %v", path, err)
	}
	return v, nil
}

// parse parses the flags of a command that takes no positional arguments: a stray one is
// refused (exit 2), and so are out-of-range values of the shared flags (see checkFlags). It
// returns no positional arguments (the result is there for the callers written for it).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	return parseArgs(fs, args, 0)
}

// parseArgs parses a command's flags and at most n positional arguments, which may come
// before, between or after the flags.
func parseArgs(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &exitError{code: 0, err: err}
			}
			return nil, usageErr("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) > n {
		return nil, usageErr("%s: unexpected argument %q (flags start with --; run licensectl %s --help)", fs.Name(), pos[n], fs.Name())
	}
	if err := checkFlags(fs); err != nil {
		return nil, err
	}
	return pos, nil
}

// output opens --out (or stdout when empty) for writing.
func output(e *env, path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return e.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	return f, f.Close, nil
}
