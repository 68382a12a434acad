package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The run a user makes: `licensectl plan --tenant FILE --desired FILE --output json > plan.json`
// as a separate process, file to file, beside json.load-class baselines on the same tenant
// file (decoding it into generic values, and decoding and writing it back), which do no
// licensing at all.

// procResult is a process's run: its wall time and peak RSS; with several runs, the median
// wall time (the times of all in Walls) and the largest peak RSS.
type procResult struct {
	Name     string
	Wall     time.Duration
	Walls    []time.Duration // every run's, in order, when there are several
	Warmup   time.Duration   // the run before them, not counted (0: none)
	MaxRSS   uint64
	OutBytes int64
	Err      string
}

// cliRuns is how many times licensectl runs (the baselines run once): this virtual machine's
// page faults and writeback vary from run to run by a second and more. One more run goes
// first, not counted (its time is reported): on this virtual machine, the first process to
// touch memory that another has just handed back (the generator's, here) pays for the host
// mapping it again, seconds at a million users, whatever the process.
const cliRuns = 5

// buildLicensectl builds the CLI into dir from this module's source.
func buildLicensectl(dir string) (string, error) {
	// The module's root: this file's directory is examples/licensebench in it.
	_, src, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot find licensebench's source to build licensectl from")
	}
	exe := filepath.Join(dir, "licensectl")
	cmd := exec.Command("go", "build", "-o", exe, "./examples/licensectl")
	cmd.Dir = filepath.Join(filepath.Dir(src), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build licensectl: %v: %s", err, out)
	}
	return exe, nil
}

// runProc runs cmd with its standard output to out (if not "", a new file) and measures it.
// It writes the dirty pages of what ran before to disk first (sync), so that no run pays for
// the writeback of another's output.
func runProc(name string, cmd *exec.Cmd, out string) procResult {
	r := procResult{Name: name}
	if out != "" {
		os.Remove(out)
	}
	syscall.Sync()
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			r.Err = err.Error()
			return r
		}
		defer f.Close()
		cmd.Stdout = f
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	r.Wall = time.Since(t0)
	if err != nil {
		r.Err = fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = uint64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	if out != "" {
		if fi, err := os.Stat(out); err == nil {
			r.OutBytes = fi.Size()
		}
	}
	return r
}

// benchCLI runs the CLI and the baselines on the tenant file.
func benchCLI(dir, exe, tenant, desired string) []procResult {
	self, err := os.Executable()
	if err != nil {
		return []procResult{{Name: "licensebench", Err: err.Error()}}
	}
	var cli procResult
	for run := range 1 + cliRuns {
		r := runProc("licensectl plan --output json", exec.Command(exe, "plan", "--tenant", tenant, "--desired", desired, "--output", "json"), filepath.Join(dir, "plan.json"))
		if r.Err != "" {
			cli = r
			break
		}
		if run == 0 {
			cli.Warmup = r.Wall
			continue
		}
		cli.Name, cli.OutBytes, cli.MaxRSS = r.Name, r.OutBytes, max(cli.MaxRSS, r.MaxRSS)
		cli.Walls = append(cli.Walls, r.Wall)
	}
	if len(cli.Walls) > 0 {
		sorted := slices.Sorted(slices.Values(cli.Walls))
		cli.Wall = sorted[len(sorted)/2]
	}
	runs := []procResult{
		cli,
		runProc("Go: json.Unmarshal of the tenant into any", exec.Command(self, "--child-jsonload", tenant), ""),
		runProc("Go: json.Unmarshal into any, then json.Marshal to a file", exec.Command(self, "--child-jsonload", tenant, "--child-jsondump", filepath.Join(dir, "dump.json")), ""),
	}
	if py, err := exec.LookPath("python3"); err == nil {
		runs = append(runs, runProc("Python: json.load of the tenant", exec.Command(py, "-c", "import json,sys; json.load(open(sys.argv[1]))", tenant), ""))
	}
	return runs
}

// runJSONLoad is the Go baseline's child: decode the file into generic values and, with dump,
// write them back.
func runJSONLoad(file, dump string) {
	data, err := os.ReadFile(file)
	if err != nil {
		fatalf("%v", err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		fatalf("json.Unmarshal: %v", err)
	}
	data = nil
	if dump == "" {
		return
	}
	f, err := os.Create(dump)
	if err != nil {
		fatalf("%v", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fatalf("json.Marshal: %v", err)
	}
	if err := w.Flush(); err != nil {
		fatalf("%v", err)
	}
	f.Close()
}
