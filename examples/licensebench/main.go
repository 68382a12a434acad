// Command licensebench measures the library against the performance targets of DESIGN.md §6,
// each figure beside a naive baseline run in the same process (see naive.go), and writes
// BENCHMARKS.md.
//
//	go run ./examples/licensebench [--sizes 10000,100000,1000000] [--out BENCHMARKS.md]
//	    [--apply-users N] [--apply-seconds S] [--apply-speed F]
//
// For each size it generates a synthetic tenant (internal/synth), writes it to a temporary
// tenant/v1 file and times load, state + effective plans, prediction, planning and rendering,
// with allocated bytes and the peak heap of each phase (sampled with runtime/metrics after a
// GC). The whole run's peak RSS is VmHWM; the library's own load → state → plan pipeline is
// also run in a child process so that its peak RSS is not the baseline's.
//
// The apply benchmark runs planner.Apply through graphadapter against the fake Graph server
// with Graph's write quota (3,000 writes per 150 s) on an accelerated clock (the fake's
// throttle reads the tenant clock; planner.Apply's rate limiter reads the same clock).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/internal/synth"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/planner"
)

// measure is one timed phase.
type measure struct {
	Wall      time.Duration
	Alloc     uint64 // bytes allocated during the phase
	PeakHeap  uint64 // peak live heap objects during the phase (sampled), including data already live
	StartHeap uint64 // live heap at the start (after GC)
	Ops       int    // operations in the phase (for per-op figures), 0 if one
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// run times f after a GC, sampling the heap every 2 ms.
func run(f func()) measure {
	debug.FreeOSMemory() // collects first
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start := heapObjects()
	peak := start
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				h := heapObjects()
				mu.Lock()
				peak = max(peak, h)
				mu.Unlock()
			}
		}
	}()
	before := ms.TotalAlloc
	t0 := time.Now()
	f()
	wall := time.Since(t0)
	close(done)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	return measure{Wall: wall, Alloc: ms.TotalAlloc - before, PeakHeap: max(peak, heapObjects()), StartHeap: start}
}

// vmHWM reads the peak RSS of the process from /proc/self/status (0 where unavailable).
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// sizeResult is every figure for one tenant size.
type sizeResult struct {
	Users                   int
	FileBytes               int64
	Load, NaiveLoad         measure
	State, NaiveState       measure // EnabledPlans of every user vs building the naive model
	Predict                 measure
	Plan, NaivePlan         measure
	RenderJSON, RenderText  measure
	NaiveRender             measure
	JSONBytes, TextBytes    int
	NaiveJSONBytes          int
	Steps, NaiveSteps       int
	DirectUsers, NaiveUsers int
	Agree                   bool
	TextSkipped             bool
	CLI                     []procResult  // licensectl plan --output json, then the baselines
	Child                   *childResult  // the median times and the largest VmHWM of ChildRuns
	ChildRuns               []childResult // each run of the pipeline alone in a child process
	ChildErr                string
}

// childResult is the library's pipeline run alone in a child process.
type childResult struct {
	LoadNs, PlanNs int64
	VmHWM          uint64
}

// summarize returns the median load and plan times of runs and their largest VmHWM: one run
// on a shared virtual machine can be slowed by its neighbours (page faults, not our code,
// vary most), so the targets are judged on the middle run, and on the worst memory.
func summarize(runs []childResult) *childResult {
	if len(runs) == 0 {
		return nil
	}
	median := func(v func(childResult) int64) int64 {
		xs := make([]int64, len(runs))
		for i, r := range runs {
			xs[i] = v(r)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	out := &childResult{LoadNs: median(func(r childResult) int64 { return r.LoadNs }), PlanNs: median(func(r childResult) int64 { return r.PlanNs })}
	for _, r := range runs {
		out.VmHWM = max(out.VmHWM, r.VmHWM)
	}
	return out
}

func main() {
	sizesFlag := flag.String("sizes", "10000,100000,1000000", "comma-separated tenant sizes (users)")
	out := flag.String("out", "BENCHMARKS.md", "where to write the report")
	applyUsers := flag.Int("apply-users", 0, "users to swap in the apply benchmark (0: enough for --apply-seconds at the quota)")
	applySeconds := flag.Float64("apply-seconds", 30, "real seconds the apply benchmark should last at the quota")
	applySpeed := flag.Float64("apply-speed", 10, "how much faster than real time the emulated clock runs in the apply benchmark (1: real time)")
	applyConc := flag.Int("apply-concurrency", 20, "planner.WithConcurrency in the apply benchmark")
	textMax := flag.Int("text-max-users", 1_000_000, "render the text plan only up to this many users")
	noIsolate := flag.Bool("no-isolate", false, "do not run the library's pipeline in a child process (the same as --isolated-runs 0)")
	isolatedRuns := flag.Int("isolated-runs", 3, "how many times to run the library's pipeline in a child process (the targets are judged on the median time and the largest peak RSS); 0: none, judge in process")
	child := flag.String("child", "", "internal: run the library's pipeline (LoadState → ReadDesired + Build) on this tenant file and print JSON")
	childJSONLoad := flag.String("child-jsonload", "", "internal: the json.load baseline: decode this file into generic values")
	childJSONDump := flag.String("child-jsondump", "", "internal: with --child-jsonload, write the values back to this file")
	noCLI := flag.Bool("no-cli", false, "do not run licensectl plan --output json (and its baselines) as separate processes")
	childDesired := flag.String("child-desired", "", "internal: the desired file for --child")
	cpuProfile := flag.String("cpuprofile", "", "with --child: write a CPU profile of the pipeline to this file (go tool pprof)")
	memProfile := flag.String("memprofile", "", "with --child: write an allocation profile of the pipeline to this file")
	flag.Parse()

	if *childJSONLoad != "" {
		runJSONLoad(*childJSONLoad, *childJSONDump)
		return
	}
	if *child != "" {
		runChild(*child, *childDesired, *cpuProfile, *memProfile)
		return
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fatalf("bad --sizes %q", *sizesFlag)
		}
		sizes = append(sizes, n)
	}
	loadStart := loadAvg()
	t0 := time.Now()
	var results []*sizeResult
	runs := max(0, *isolatedRuns)
	if *noIsolate {
		runs = 0
	}
	cliExe := ""
	if !*noCLI {
		dir, err := os.MkdirTemp("", "licensebench-cli")
		if err != nil {
			fatalf("%v", err)
		}
		defer os.RemoveAll(dir)
		if cliExe, err = buildLicensectl(dir); err != nil {
			fatalf("%v (--no-cli skips the CLI run)", err)
		}
	}
	for _, n := range sizes {
		r := benchSize(n, runs, *textMax, cliExe)
		results = append(results, r)
	}
	quotaRate := float64(3000) / 150
	users := *applyUsers
	if users <= 0 {
		users = int(quotaRate * *applySeconds * *applySpeed)
	}
	fmt.Fprintf(os.Stderr, "apply: %d users at speed %gx\n", users, *applySpeed)
	ours, err := benchApply(users, *applySpeed, *applyConc, false)
	if err != nil {
		fatalf("apply: %v", err)
	}
	naive, err := benchApply(users, *applySpeed, 1, true)
	if err != nil {
		fatalf("naive apply: %v", err)
	}
	rep := report{
		Command: "go run ./examples/licensebench " + strings.Join(os.Args[1:], " "),
		Sizes:   results, Apply: ours, NaiveApply: naive, Speed: *applySpeed, Concurrency: *applyConc, IsolatedRuns: runs,
		VmHWM: vmHWM(), LoadStart: loadStart, LoadEnd: loadAvg(), Total: time.Since(t0),
	}
	var buf bytes.Buffer
	rep.write(&buf)
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fatalf("%v", err)
	}
	os.Stdout.Write(buf.Bytes())
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "licensebench: "+format+"\n", args...)
	os.Exit(1)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func benchSize(n int, isolatedRuns int, textMax int, cliExe string) *sizeResult {
	r := &sizeResult{Users: n}
	fmt.Fprintf(os.Stderr, "size %d: generating\n", n)
	dir, err := os.MkdirTemp("", "licensebench")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "tenant.json")
	desiredFile := filepath.Join(dir, "desired.json")
	var desiredJSON []byte
	{
		snap := synth.Tenant(synth.DefaultOptions(n))
		desiredJSON = synth.DesiredJSON(snap)
		f, err := os.Create(file)
		if err != nil {
			fatalf("%v", err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := snap.WriteJSON(w); err != nil {
			fatalf("write tenant: %v", err)
		}
		if err := w.Flush(); err != nil {
			fatalf("%v", err)
		}
		// On disk before anything is measured: the kernel's writeback of a just-written
		// file competes with the process that reads it.
		if err := f.Sync(); err != nil {
			fatalf("%v", err)
		}
		f.Close()
		if err := os.WriteFile(desiredFile, desiredJSON, 0o644); err != nil {
			fatalf("%v", err)
		}
	}
	if fi, err := os.Stat(file); err == nil {
		r.FileBytes = fi.Size()
	}
	if isolatedRuns > 0 {
		// Hand the generator's memory back first, so that the child does not compete with
		// this process's idle heap for the machine's memory.
		debug.FreeOSMemory()
		for range isolatedRuns {
			c, err := spawnChild(file, desiredFile)
			if err != nil {
				r.ChildErr = err.Error()
				break
			}
			r.ChildRuns = append(r.ChildRuns, *c)
		}
		r.Child = summarize(r.ChildRuns)
	}
	if cliExe != "" {
		fmt.Fprintf(os.Stderr, "size %d: licensectl plan --output json and its baselines\n", n)
		r.CLI = benchCLI(dir, cliExe, file, desiredFile)
		os.Remove(filepath.Join(dir, "plan.json"))
		os.Remove(filepath.Join(dir, "dump.json"))
	}

	// Ours first, then the naive baseline, so that neither's data is live while the other is
	// measured (the baseline needs the whole document decoded; LoadState does not keep it).
	fmt.Fprintf(os.Stderr, "size %d: load\n", n)
	var st *licensing.State
	r.Load = run(func() {
		f, err := os.Open(file)
		if err != nil {
			fatalf("%v", err)
		}
		defer f.Close()
		if st, err = licensing.LoadState(f); err != nil {
			fatalf("load: %v", err)
		}
	})
	fmt.Fprintf(os.Stderr, "size %d: effective plans\n", n)
	r.State = run(func() {
		var total int
		for i := 0; i < st.NumUsers(); i++ {
			total += st.EnabledPlans(i).Len()
		}
		if total == 0 {
			fatalf("no enabled plans")
		}
	})

	fmt.Fprintf(os.Stderr, "size %d: predict\n", n)
	k := min(n, 100_000)
	add := []licensing.AssignedLicense{{SkuID: st.Subscriptions()[8].Sku.ID, DisabledPlans: []licensing.PlanID{}}}
	r.Predict = run(func() {
		for i := 0; i < k; i++ {
			st.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: st.User(i).ID, AddLicenses: add})
		}
	})
	r.Predict.Ops = k

	fmt.Fprintf(os.Stderr, "size %d: plan\n", n)
	var plan *planner.Plan
	r.Plan = run(func() {
		d, err := planner.ReadDesired(bytes.NewReader(desiredJSON))
		if err != nil {
			fatalf("desired: %v", err)
		}
		plan = planner.Build(st, d)
	})
	r.Steps = len(plan.Steps)
	ours := directUsers(plan)
	r.DirectUsers = len(ours)

	fmt.Fprintf(os.Stderr, "size %d: render\n", n)
	var cw countWriter
	r.RenderJSON = run(func() {
		w := bufio.NewWriterSize(&cw, 1<<16)
		if err := plan.WriteJSON(w); err != nil {
			fatalf("render json: %v", err)
		}
		w.Flush()
	})
	r.JSONBytes = cw.n
	cw = countWriter{}
	r.TextSkipped = n > textMax
	r.RenderText = run(func() {
		if r.TextSkipped {
			return
		}
		w := bufio.NewWriterSize(&cw, 1<<16)
		if err := plan.WriteText(w); err != nil {
			fatalf("render text: %v", err)
		}
		w.Flush()
	})
	r.TextBytes = cw.n
	st, plan = nil, nil

	fmt.Fprintf(os.Stderr, "size %d: naive baseline\n", n)
	r.NaiveLoad = run(func() {
		data, err := os.ReadFile(file)
		if err != nil {
			fatalf("%v", err)
		}
		m, err := naiveLoad(data)
		if err != nil || len(m["users"].([]any)) != n {
			fatalf("naive load: %v", err)
		}
	})
	// The naive model and diff work from the typed document (ReadSnapshot), read untimed.
	f, err := os.Open(file)
	if err != nil {
		fatalf("%v", err)
	}
	snap, err := licensing.ReadSnapshot(f)
	f.Close()
	if err != nil {
		fatalf("read snapshot: %v", err)
	}
	r.NaiveState = run(func() {
		m := buildNaiveModel(snap)
		if len(m) != n {
			fatalf("naive model: %d users", len(m))
		}
	})
	var naive []naiveStep
	r.NaivePlan = run(func() {
		var d planner.Desired
		if err := json.Unmarshal(desiredJSON, &d); err != nil {
			fatalf("naive desired: %v", err)
		}
		naive = naivePlan(snap, &d)
	})
	r.NaiveSteps, r.NaiveUsers = len(naive), len(naive)
	r.Agree = len(ours) == len(naive)
	if r.Agree {
		for i := range naive {
			if naive[i].User != ours[i] && !contains(ours, naive[i].User) {
				r.Agree = false
				break
			}
		}
	}
	cw = countWriter{}
	r.NaiveRender = run(func() {
		enc := json.NewEncoder(&cw)
		enc.SetIndent("", "  ")
		if err := enc.Encode(naive); err != nil {
			fatalf("naive render: %v", err)
		}
	})
	r.NaiveJSONBytes = cw.n
	runtime.KeepAlive(snap)
	return r
}

func contains(sorted []string, s string) bool {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := (lo + hi) / 2
		if sorted[m] < s {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(sorted) && sorted[lo] == s
}

func spawnChild(file, desired string) (*childResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(exe, "--child", file, "--child-desired", desired)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	var c childResult
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// runChild is the library's pipeline alone: LoadState → ReadDesired + Build,
// optionally profiled (run it by hand to profile: licensebench --child tenant.json
// --child-desired desired.json --cpuprofile cpu.out).
func runChild(file, desiredFile, cpuProfile, memProfile string) {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fatalf("%v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatalf("%v", err)
		}
		defer pprof.StopCPUProfile()
	}
	if memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			runtime.GC() // the profile is as of the last collection: include the whole pipeline
			f, err := os.Create(memProfile)
			if err != nil {
				fatalf("%v", err)
			}
			defer f.Close()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fatalf("%v", err)
			}
		}()
	}
	t0 := time.Now()
	f, err := os.Open(file)
	if err != nil {
		fatalf("%v", err)
	}
	st, err := licensing.LoadState(f)
	f.Close()
	if err != nil {
		fatalf("%v", err)
	}
	t1 := time.Now()
	df, err := os.Open(desiredFile)
	if err != nil {
		fatalf("%v", err)
	}
	d, err := planner.ReadDesired(df)
	if err != nil {
		fatalf("%v", err)
	}
	p := planner.Build(st, d)
	t2 := time.Now()
	if len(p.Steps) == 0 {
		fatalf("empty plan")
	}
	json.NewEncoder(io.Writer(os.Stdout)).Encode(childResult{LoadNs: t1.Sub(t0).Nanoseconds(), PlanNs: t2.Sub(t1).Nanoseconds(), VmHWM: vmHWM()})
}
