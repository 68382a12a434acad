package planner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/licenseplan/licenseplan/licensing"
)

// JournalFormatVersion is the formatVersion in a journal's begin entry.
const JournalFormatVersion = "journal/v1"

// JournalEvent is what a journal entry records.
type JournalEvent string

// The events, in the order a run writes them.
const (
	// EventBegin opens a run: formatVersion, tenantId, planHash and the number of steps.
	EventBegin JournalEvent = "begin"
	// EventStarted: a step is about to read its target and act.
	EventStarted JournalEvent = "started"
	// EventSucceeded: the step reached its result (status Succeeded or AlreadyDone).
	EventSucceeded JournalEvent = "succeeded"
	// EventFailed: the step did not (status Failed or Drift, with the error's kind and message).
	EventFailed JournalEvent = "failed"
	// EventSkipped: the step was not attempted, with the reason.
	EventSkipped JournalEvent = "skipped"
	// EventEnd closes a run with its summary.
	EventEnd JournalEvent = "end"
)

// JournalEntry is one line of a journal: a JSON object. It holds ids, kinds and messages, never
// credentials (messages are redacted of anything that looks like a token).
type JournalEntry struct {
	Time          time.Time    `json:"time"`
	Event         JournalEvent `json:"event"`
	FormatVersion string       `json:"formatVersion,omitempty"`
	TenantID      string       `json:"tenantId,omitempty"`
	PlanHash      string       `json:"planHash,omitempty"`
	Steps         int          `json:"steps,omitempty"`
	Step          string       `json:"step,omitempty"`
	Action        string       `json:"action,omitempty"`
	Target        string       `json:"target,omitempty"` // the target's object id
	Status        string       `json:"status,omitempty"` // a StepStatus name
	Calls         int          `json:"calls,omitempty"`
	Kind          string       `json:"kind,omitempty"` // the error's licensing.Kind, for failed steps
	Message       string       `json:"message,omitempty"`
}

// Journal is a journal as read back: the plan it belongs to and its entries in order.
type Journal struct {
	TenantID string
	PlanHash string
	Entries  []JournalEntry
	// Truncated is true when the last line was cut short (a crash mid-write) and was ignored.
	Truncated bool

	good       int64 // bytes up to the end of the last complete entry
	terminated bool  // whether those bytes end with a newline
}

// ReadJournal reads a journal (JSON lines). A last line cut short by a crash is ignored and
// reported in Truncated; any other malformed line, an unknown event, an entry before the begin
// entry or begin entries of different plans are errors of kind InvalidInput naming the line.
// An empty input is an empty journal.
func ReadJournal(r io.Reader) (*Journal, error) {
	j := &Journal{}
	br := bufio.NewReaderSize(r, 1<<16)
	var off int64
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "reading the journal", Err: err}
		}
		if len(line) == 0 {
			break
		}
		last := err == io.EOF // no newline: the last line, maybe cut short
		off += int64(len(line))
		text := bytes.TrimSpace(line)
		if len(text) == 0 {
			if last {
				break
			}
			j.good, j.terminated = off, true
			continue
		}
		var e JournalEntry
		if perr := json.Unmarshal(text, &e); perr != nil {
			if last {
				j.Truncated = true
				break
			}
			return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("journal line %d is not a JSON object", n), Err: perr}
		}
		if err := j.add(n, e); err != nil {
			return nil, err
		}
		j.good, j.terminated = off, !last
		if last {
			break
		}
	}
	return j, nil
}

func (j *Journal) add(n int, e JournalEntry) error {
	bad := func(format string, args ...any) error {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("journal line %d: ", n) + fmt.Sprintf(format, args...)}
	}
	switch e.Event {
	case EventBegin:
		if e.FormatVersion != JournalFormatVersion {
			return bad("formatVersion is %q, want %q", e.FormatVersion, JournalFormatVersion)
		}
		if e.PlanHash == "" {
			return bad("the begin entry has no planHash")
		}
		if j.PlanHash == "" {
			j.TenantID, j.PlanHash = e.TenantID, e.PlanHash
		} else if j.PlanHash != e.PlanHash || !strings.EqualFold(j.TenantID, e.TenantID) {
			return bad("a run of another plan (%s for tenant %q) was appended to the journal of %s for tenant %q", e.PlanHash, e.TenantID, j.PlanHash, j.TenantID)
		}
	case EventStarted, EventSucceeded, EventFailed, EventSkipped:
		if j.PlanHash == "" {
			return bad("%s entry before the begin entry", e.Event)
		}
		if e.Step == "" {
			return bad("%s entry without a step id", e.Event)
		}
		if e.Event == EventSucceeded {
			if st, ok := parseStepStatus(e.Status); !ok || !st.OK() {
				return bad("succeeded entry of step %s has status %q, want Succeeded or AlreadyDone", e.Step, e.Status)
			}
		}
	case EventEnd:
		if j.PlanHash == "" {
			return bad("end entry before the begin entry")
		}
	default:
		return bad("unknown event %q", e.Event)
	}
	j.Entries = append(j.Entries, e)
	return nil
}

// matches refuses a journal of another plan.
func (j *Journal) matches(tenantID, hash string) error {
	if j.PlanHash == "" {
		return nil // empty: nothing to resume
	}
	if j.PlanHash != hash || !strings.EqualFold(j.TenantID, tenantID) {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("apply: the journal is of another plan (%s for tenant %q), not of this one (%s for tenant %q); start a new journal for a new plan", j.PlanHash, j.TenantID, hash, tenantID)}
	}
	return nil
}

// done maps the steps whose last word in the journal is success to their status.
func (j *Journal) done() map[string]StepStatus {
	out := map[string]StepStatus{}
	for _, e := range j.Entries {
		switch e.Event {
		case EventSucceeded:
			if st, ok := parseStepStatus(e.Status); ok {
				out[e.Step] = st
			}
		case EventStarted, EventFailed, EventSkipped:
			// Started again after a success (by another run) or failed: in doubt.
			delete(out, e.Step)
		}
	}
	return out
}

// Done returns the ids of the steps the journal records as succeeded or already done, which a
// resumed run neither repeats nor reads, in the order they first appear.
func (j *Journal) Done() []string {
	done := j.done()
	var out []string
	for _, e := range j.Entries {
		if _, ok := done[e.Step]; ok && e.Step != "" {
			out = append(out, e.Step)
			delete(done, e.Step)
		}
	}
	return out
}

// journalWriter writes entries as JSON lines, one Write per entry, serialised.
type journalWriter struct {
	mu    sync.Mutex
	w     io.Writer
	clock Clock
	err   error // the first write error
}

func (jw *journalWriter) write(e JournalEntry) error {
	if jw.w == nil {
		return nil
	}
	jw.mu.Lock()
	defer jw.mu.Unlock()
	if jw.err != nil {
		return jw.err
	}
	e.Time = jw.clock.Now().UTC()
	e.Message = redact(e.Message)
	b, err := json.Marshal(e)
	if err != nil {
		jw.err = err
		return err
	}
	b = append(b, '\n')
	if _, err := jw.w.Write(b); err != nil {
		jw.err = err
		return err
	}
	return nil
}

// openJournalFile opens (or creates) the journal at path for a run of the plan identified by
// tenantID and hash: it reads what is there, refuses a journal of another plan, drops a last line
// cut short, and leaves the file positioned for appending.
func openJournalFile(path, tenantID, hash string) (*os.File, *Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: opening the journal", Err: err}
	}
	j, err := ReadJournal(f)
	if err == nil {
		err = j.matches(tenantID, hash)
	}
	if err == nil {
		err = f.Truncate(j.good)
	}
	if err == nil {
		_, err = f.Seek(j.good, io.SeekStart)
	}
	if err == nil && j.good > 0 && !j.terminated {
		_, err = f.Write([]byte{'\n'})
	}
	if err != nil {
		f.Close()
		var le *licensing.Error
		if errors.As(err, &le) {
			return nil, nil, err
		}
		return nil, nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: preparing the journal " + path, Err: err}
	}
	return f, j, nil
}
