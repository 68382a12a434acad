package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/licensing"
)

// cmdSnapshot is "licensectl snapshot SOURCE [--out FILE]": the tenant as tenant/v1. Read from
// Graph, it shows its progress on stderr: a line redrawn in place on a terminal, a log line every
// --progress-every otherwise, and a summary line at the end.
func cmdSnapshot(ctx context.Context, e *env, args []string) error {
	var src source
	fs := newFlags("snapshot", "snapshot SOURCE [--out FILE] [--progress-every DURATION]", e)
	src.register(fs)
	outFile := fs.String("out", "", "write tenant/v1 to `FILE` instead of stdout")
	every := fs.Duration("progress-every", 10*time.Second, "when stderr is not a terminal, log the progress of a Graph read every `DURATION`")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *every <= 0 {
		return usageErr("snapshot: --progress-every must be positive, e.g. 10s")
	}
	if err := checkNotInput("out", *outFile, src.inputs()); err != nil {
		return err
	}
	var snap *licensing.Snapshot
	var err error
	if src.tenantFile != "" {
		snap, err = src.snapshot(ctx)
	} else {
		snap, err = snapshotFromGraph(ctx, e, &src, *every)
	}
	if err != nil {
		return err
	}
	w, done, err := output(e, *outFile)
	if err != nil {
		return err
	}
	if err := snap.WriteJSON(w); err != nil {
		done()
		return &exitError{code: 1, err: err}
	}
	return done()
}

// snapshotFromGraph reads the tenant through the Graph adapter (--graph or --graph-endpoint,
// with the same credentials as the other commands), reporting its progress on stderr.
func snapshotFromGraph(ctx context.Context, e *env, src *source, every time.Duration) (*licensing.Snapshot, error) {
	if err := src.check(); err != nil {
		return nil, err
	}
	rep := &snapshotProgress{w: e.stderr, terminal: isTerminal(e.stderr), every: every, last: time.Now()}
	logger := slog.New(slog.NewTextHandler(lineBreaker{rep}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts, err := src.graphOptions(graphadapter.WithProgress(rep.update), graphadapter.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	tn, err := graphadapter.New(opts...)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	snap, err := tn.Snapshot(ctx)
	rep.finish(err)
	if err != nil {
		return nil, &exitError{code: 1, err: fmt.Errorf("reading the tenant: %w", err)}
	}
	return snap, nil
}

// snapshotProgress draws graphadapter's progress reports.
type snapshotProgress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	every    time.Duration
	last     time.Time
	drawn    int // width of the line drawn on the terminal, 0 when none
	p        graphadapter.Progress
}

func (r *snapshotProgress) update(p graphadapter.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p = p
	now := time.Now()
	if r.terminal {
		if now.Sub(r.last) < 200*time.Millisecond && p.Waiting == 0 {
			return
		}
		line := progressLine(p)
		fmt.Fprintf(r.w, "\r%s%s", line, strings.Repeat(" ", max(0, r.drawn-len(line))))
		r.drawn, r.last = len(line), now
		return
	}
	if now.Sub(r.last) >= r.every {
		fmt.Fprintf(r.w, "licensectl snapshot: %s\n", progressLine(p))
		r.last = now
	}
}

// finish ends the progress display with a summary line.
func (r *snapshotProgress) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.terminal && r.drawn > 0 {
		fmt.Fprintf(r.w, "\r%s\r", strings.Repeat(" ", r.drawn))
		r.drawn = 0
	}
	what := "read"
	if err != nil {
		what = "failed after"
	}
	fmt.Fprintf(r.w, "licensectl snapshot: %s %s\n", what, progressLine(r.p))
}

// clearLine makes room for a log line on the terminal.
func (r *snapshotProgress) clearLine() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.terminal && r.drawn > 0 {
		fmt.Fprintf(r.w, "\r%s\r", strings.Repeat(" ", r.drawn))
		r.drawn = 0
	}
}

// lineBreaker writes the adapter's warnings to stderr, clearing a progress line first.
type lineBreaker struct{ r *snapshotProgress }

func (l lineBreaker) Write(b []byte) (int, error) {
	l.r.clearLine()
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	return l.r.w.Write(b)
}

func progressLine(p graphadapter.Progress) string {
	var b strings.Builder
	if p.UsersTotal > 0 {
		fmt.Fprintf(&b, "%d/%d users", p.Users, p.UsersTotal)
	} else {
		fmt.Fprintf(&b, "%d users", p.Users)
	}
	fmt.Fprintf(&b, ", %d/%d licensed groups' members, %d pages, %d retries", p.GroupsRead, p.Groups, p.Pages, p.Retries)
	if p.Waiting > 0 {
		fmt.Fprintf(&b, " (waiting %s as Graph asked)", p.Waiting.Round(time.Second))
	}
	if p.Restarts > 0 {
		fmt.Fprintf(&b, ", %d listings restarted (expired page token)", p.Restarts)
	}
	if p.Lookups > 0 {
		fmt.Fprintf(&b, ", %d fetched by id (%d deleted)", p.Lookups, p.Gone)
	}
	fmt.Fprintf(&b, ", %s elapsed", p.Elapsed.Round(time.Second))
	if p.ETA >= time.Second && p.Part != "done" {
		fmt.Fprintf(&b, ", about %s left", p.ETA.Round(time.Second))
	}
	if p.Part != "" && p.Part != "done" {
		fmt.Fprintf(&b, " [%s]", p.Part)
	}
	return b.String()
}
