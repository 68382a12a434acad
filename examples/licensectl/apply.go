package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

const applySynopsis = "apply SOURCE (--desired FILE | --plan FILE) [--journal FILE [--replan]] [--until-wave N] [--yes] [--out FILE] [--concurrency N] [--rate W] [--names part|product|both]"

// applyHelp explains resuming, after the synopsis of apply --help.
const applyHelp = `
Plans the desired state (or reads --plan), shows the plan, asks, and applies it step by step.
Before the first write every step's target is read again and checked: a step whose target no
longer looks as the plan expected is refused as drift up front (the steps depending on it are
skipped; the others still run).

Resuming. Keep a journal (--journal FILE). It records the plan itself, what the run went
against, and every step. If the run is interrupted (Ctrl-C, a crash, a step that failed), run
the same command again: it continues the plan recorded in the journal — it does not plan again
— and every step the journal calls done is read back from the tenant and skipped only if its
result is there (otherwise it is done again, or refused as drift). --replan plans again from
the desired file instead and starts a new journal (the old one is kept next to it, renamed).
A journal of another desired file is refused (pass --replan, or the desired file it was made
from); one of another tenant or another Graph endpoint is refused before anything is written.
A rehearsal's journal (--tenant FILE) never makes a run on a real tenant skip a write.

Sign-off between waves: --until-wave N stops after wave N (the numbers the plan shows); run the
same command without it (or with a later wave) to continue.
`

func cmdApply(ctx context.Context, e *env, args []string) error {
	var src source
	var names namesFlag
	fs := newFlags("apply", applySynopsis, e)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: licensectl %s\n%s\nFlags:\n", applySynopsis, applyHelp)
		fs.PrintDefaults()
	}
	src.register(fs)
	names.register(fs)
	desiredFile := fs.String("desired", "", "desired/v1 `FILE` (a plan is made first, unless --journal holds one to resume)")
	planFile := fs.String("plan", "", "plan/v1 `FILE` made by licensectl plan --output json")
	yes := fs.Bool("yes", false, "apply without asking")
	journal := fs.String("journal", "", "journal `FILE`: written as steps run; run the same command again to resume the plan it records")
	replan := fs.Bool("replan", false, "with --desired and --journal: plan again and start a new journal, instead of resuming the plan the journal records")
	untilWave := fs.Int("until-wave", -1, "stop after wave `N` for sign-off (run again to continue); -1: every wave")
	outFile := fs.String("out", "", "with --tenant: write the resulting tenant/v1 to `FILE`")
	concurrency := fs.Int("concurrency", 4, "steps of a wave run at once")
	rate := fs.Float64("rate", 0, "at most this many writes per second (0: no limit)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if (*desiredFile == "") == (*planFile == "") {
		return usageErr("apply needs exactly one of --desired FILE and --plan FILE")
	}
	if *outFile != "" && src.tenantFile == "" {
		return usageErr("--out is for --tenant sources (a Graph tenant is changed in place)")
	}
	if *replan && (*desiredFile == "" || *journal == "") {
		return usageErr("--replan is for --desired with --journal: it plans again instead of resuming the journal's plan")
	}
	if *untilWave < -1 {
		return usageErr("--until-wave %d: want a wave number (0 or more), or -1 for every wave", *untilWave)
	}
	tenant, fk, err := src.openTenant(ctx)
	if err != nil {
		return err
	}
	snap, err := tenant.Snapshot(ctx)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("reading the tenant: %w", err)}
	}
	st, err := src.compile(snap)
	if err != nil {
		return err
	}

	origin := ""
	var p *planner.Plan
	resuming := 0 // steps the journal records as done, when resuming its plan
	if *desiredFile != "" {
		data, err := os.ReadFile(*desiredFile)
		if err != nil {
			return usageErr("%v", err)
		}
		sum := sha256.Sum256(data)
		origin = "desired sha256:" + hex.EncodeToString(sum[:])
		if *journal != "" {
			j, err := readJournalFile(*journal)
			if err != nil {
				return err
			}
			switch {
			case j == nil || j.PlanHash == "":
			case *replan:
				aside := fmt.Sprintf("%s.replaced-%s", *journal, time.Now().UTC().Format("20060102T150405Z"))
				if err := os.Rename(*journal, aside); err != nil {
					return &exitError{code: 1, err: fmt.Errorf("--replan: moving the old journal aside: %w", err)}
				}
				fmt.Fprintf(e.stderr, "--replan: the old journal is now %s; planning again with a new journal %s\n", aside, *journal)
			case j.FormatVersion == planner.JournalFormatV1:
				return usageErr("%s is a %s journal of an older licensectl: it does not record its plan, so it cannot be resumed; pass --replan to plan again with a new journal (every step reads its target first, so what is done is not done twice)", *journal, planner.JournalFormatV1)
			case j.Origin != "" && j.Origin != origin:
				return usageErr("%s holds the plan made from another desired file (%s; %s is %s): run with the desired file it was made from to finish that plan, or pass --replan to plan again from this one with a new journal", *journal, j.Origin, *desiredFile, origin)
			default:
				p, err = j.Plan()
				if err != nil {
					return usageErr("%s: %v; pass --replan to plan again with a new journal", *journal, err)
				}
				kind := src.applySource().Kind
				resuming = len(j.DoneOn(kind))
				fmt.Fprintf(e.stdout, "Resuming the plan recorded in %s (planned %s from %s, first run against %s): %d of its %d steps are recorded done against a %s and will be read back before they are skipped; the others run. To plan again instead, pass --replan.\n",
					*journal, journalStart(j), *desiredFile, j.Source, resuming, len(p.Steps), kind)
				if n := len(j.Done()) - resuming; n > 0 {
					fmt.Fprintf(e.stdout, "%d steps the journal records as done in runs against another kind of source (a rehearsal on a snapshot, or a tenant) count for nothing here.\n", n)
				}
				fmt.Fprintln(e.stdout)
			}
		}
		if p == nil {
			d, err := planner.ReadDesired(strings.NewReader(string(data)))
			if err != nil {
				return usageErr("%s: %v", *desiredFile, err)
			}
			p = planner.Build(st, d)
		} else {
			p = p.WithCatalog(st.Catalog())
		}
	} else {
		p, err = readFile(*planFile, func(r io.Reader) (*planner.Plan, error) { return planner.ReadPlan(r, snap.TenantID) })
		if err != nil {
			return err
		}
		p = p.WithCatalog(st.Catalog())
	}
	if err := p.WithNames(names.style()).WriteText(e.stdout); err != nil {
		return &exitError{code: 1, err: err}
	}
	if err := planInputError(p); err != nil {
		return err // the desired state does not fit the tenant (unknown names, contradictions): bad input
	}
	if !p.Applyable() {
		return &exitError{code: 1, err: fmt.Errorf("the plan has error-severity problems; fix the desired state (or allow what it reports) and plan again")}
	}
	if len(p.Steps) == 0 {
		return writeOut(fk, *outFile)
	}
	if !*yes {
		verb := "Apply"
		if resuming > 0 {
			verb = "Resume"
		}
		fmt.Fprintf(e.stderr, "\n%s %d steps to tenant %s? Type yes to continue: ", verb, len(p.Steps), p.TenantID)
		line, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if strings.TrimSpace(strings.ToLower(line)) != "yes" {
			return &exitError{code: 1, err: fmt.Errorf("not applied: confirmation declined (use --yes to skip the question)")}
		}
	}
	opts := []planner.ApplyOption{planner.WithTenantID(snap.TenantID), planner.WithConcurrency(*concurrency), planner.WithSource(src.applySource())}
	if *rate > 0 {
		opts = append(opts, planner.WithRateLimit(*rate, max(1, int(*rate))))
	}
	if *journal != "" {
		opts = append(opts, planner.WithJournalFile(*journal))
	}
	if origin != "" {
		opts = append(opts, planner.WithOrigin(origin))
	}
	if *untilWave >= 0 {
		opts = append(opts, planner.WithUntilWave(*untilWave))
	}
	if e.interactive {
		opts = append(opts, planner.WithProgress(progressBar(e.stderr)))
	}
	res, err := planner.Apply(ctx, tenant, p, opts...)
	if res != nil {
		fmt.Fprintln(e.stdout)
		fmt.Fprintln(e.stdout, res.Summary())
		printLearned(e.stdout, res)
		if res.Held > 0 {
			fmt.Fprintf(e.stdout, "\nStopped after wave %d as asked (--until-wave): %d steps of later waves not started. Run the same command without --until-wave (or with a later wave) to continue.\n", *untilWave, res.Held)
		}
	}
	if err != nil {
		if res == nil && licensing.KindOf(err) == licensing.InvalidInput {
			return usageErr("%v", err)
		}
		if errors.Is(err, context.Canceled) && *journal != "" {
			fmt.Fprintf(e.stdout, "\nInterrupted. Run the same command again to resume: the steps done are read back and not repeated.\n")
		}
		return &exitError{code: 1, err: err}
	}
	return writeOut(fk, *outFile)
}

// applySource is what apply runs against, for the journal: a rehearsal on a snapshot file, or a
// live tenant named by its Graph root.
func (s *source) applySource() planner.Source {
	switch {
	case s.tenantFile != "":
		name := s.tenantFile
		if abs, err := filepath.Abs(name); err == nil {
			name = abs
		}
		return planner.Source{Kind: planner.SourceSnapshot, Name: name}
	case s.graphEndpoint != "":
		return planner.Source{Kind: planner.SourceTenant, Name: s.graphEndpoint}
	}
	return planner.Source{Kind: planner.SourceTenant, Name: "https://graph.microsoft.com/v1.0"}
}

// readJournalFile reads the journal at path; a missing file is no journal.
func readJournalFile(path string) (*planner.Journal, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, usageErr("%v", err)
	}
	defer f.Close()
	j, err := planner.ReadJournal(f)
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	return j, nil
}

// journalStart is when the journal's first run began.
func journalStart(j *planner.Journal) string {
	for _, e := range j.Entries {
		if e.Event == planner.EventBegin {
			return e.Time.Format(time.RFC3339)
		}
	}
	return "at an unknown time"
}
