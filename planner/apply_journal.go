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

// JournalFormatVersion is the formatVersion in the begin entries Apply writes.
//
// journal/v2 records, in its first begin entry, the plan itself (plan/v1, compact) and the
// source the run went against (WithSource); each step's end carries what its target looked like
// before and after (in plan/v1's expect form); a resumed run writes "verified" entries for the
// steps it read back and found done. journal/v1 (JournalFormatV1) journals are still read, but
// Apply does not resume from them: they record neither the plan nor the source, so what they
// call done cannot be told apart from a rehearsal's or another run's claims.
const JournalFormatVersion = "journal/v2"

// JournalFormatV1 is the formatVersion of journals written before the plan and the source were
// recorded. ReadJournal reads them; Apply refuses to resume from them.
const JournalFormatV1 = "journal/v1"

// SourceKind says what a run was applied to: a live tenant, or a rehearsal on a copy of one.
type SourceKind string

// The source kinds.
const (
	// SourceTenant is a live tenant: Microsoft Graph, or a Graph-speaking endpoint such as the
	// fake server. Writes there are real.
	SourceTenant SourceKind = "tenant"
	// SourceSnapshot is a rehearsal: a tenant/v1 snapshot loaded into an in-memory fake. Its
	// writes change nothing outside the process, so its journal proves nothing about a tenant.
	SourceSnapshot SourceKind = "snapshot"
)

// Source is what Apply runs against, as the journal records it (WithSource).
type Source struct {
	Kind SourceKind `json:"kind,omitempty"`
	// Name identifies it for people and for the check that a journal of a live tenant is
	// continued against the same one: the Graph root URL, or the snapshot file.
	Name string `json:"name,omitempty"`
}

// String is e.g. "tenant https://graph.microsoft.com/v1.0" or "snapshot snap.json".
func (s Source) String() string {
	switch {
	case s.Kind == "" && s.Name == "":
		return "an unnamed source"
	case s.Name == "":
		return string(s.Kind)
	case s.Kind == "":
		return s.Name
	}
	return string(s.Kind) + " " + s.Name
}

// JournalEvent is what a journal entry records.
type JournalEvent string

// The events, in the order a run writes them.
const (
	// EventBegin opens a run: formatVersion, tenantId, planHash, the number of steps, the source
	// and, in the first begin entry of a journal, the plan (plan/v1).
	EventBegin JournalEvent = "begin"
	// EventVerified: a step an earlier run recorded as done was read back before anything was
	// written, and its result is there (after: what was read). Only verified steps are skipped.
	EventVerified JournalEvent = "verified"
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
	// Source is what the run went against (begin entries of journal/v2).
	Source *Source `json:"source,omitempty"`
	// Origin is what the plan was made from, as the caller put it (WithOrigin; licensectl: the
	// desired file's digest), in begin entries.
	Origin string `json:"origin,omitempty"`
	// Plan is the plan itself as compact plan/v1 JSON, in the first begin entry of a journal.
	Plan json.RawMessage `json:"plan,omitempty"`
	// Before and After are what the step's target looked like before the step acted and after
	// it (or, for a verified entry, when read back), in plan/v1's expect form: the fields the
	// step's precondition and verification compare.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Journal is a journal as read back: the plan it belongs to and its entries in order.
type Journal struct {
	// FormatVersion is the journal's format (JournalFormatVersion or JournalFormatV1); "" when empty.
	FormatVersion string
	TenantID      string
	PlanHash      string
	// Source is what the first run went against; Origin what its plan was made from.
	Source  Source
	Origin  string
	Entries []JournalEntry
	// Truncated is true when the last line was cut short (a crash mid-write) and was ignored.
	Truncated bool

	good       int64 // bytes up to the end of the last complete entry
	terminated bool  // whether those bytes end with a newline
	plan       json.RawMessage
}

// HasPlan reports whether the journal records its plan (journal/v2).
func (j *Journal) HasPlan() bool { return len(j.plan) > 0 }

// Plan returns the plan the journal records (journal/v2), checked against the planHash of its
// begin entry: a plan that does not hash to it (an edited journal) is refused. It returns nil
// and an error for a journal that records no plan (empty, or journal/v1).
func (j *Journal) Plan() (*Plan, error) {
	if len(j.plan) == 0 {
		if j.FormatVersion == JournalFormatV1 {
			return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "the journal is journal/v1, which does not record its plan"}
		}
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "the journal records no plan"}
	}
	p, err := ReadPlan(bytes.NewReader(j.plan), "")
	if err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "the plan the journal records does not read", Err: err}
	}
	h, err := planHash(p)
	if err != nil {
		return nil, err
	}
	if h != j.PlanHash {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("the plan the journal records hashes to %s, not to the %s its begin entry names: the journal was edited", h, j.PlanHash)}
	}
	return p, nil
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
		if e.FormatVersion != JournalFormatVersion && e.FormatVersion != JournalFormatV1 {
			return bad("formatVersion is %q, want %q (or the older %q)", e.FormatVersion, JournalFormatVersion, JournalFormatV1)
		}
		if e.PlanHash == "" {
			return bad("the begin entry has no planHash")
		}
		if e.FormatVersion == JournalFormatV1 && (e.Source != nil || len(e.Plan) > 0) {
			return bad("a journal/v1 begin entry with a source or a plan")
		}
		if j.PlanHash == "" {
			j.FormatVersion, j.TenantID, j.PlanHash, j.Origin = e.FormatVersion, e.TenantID, e.PlanHash, e.Origin
			if e.Source != nil {
				j.Source = *e.Source
			}
		} else if j.PlanHash != e.PlanHash || !strings.EqualFold(j.TenantID, e.TenantID) {
			return bad("a run of another plan (%s for tenant %q) was appended to the journal of %s for tenant %q", e.PlanHash, e.TenantID, j.PlanHash, j.TenantID)
		} else if j.FormatVersion != e.FormatVersion {
			return bad("a %s run was appended to a %s journal", e.FormatVersion, j.FormatVersion)
		}
		if len(e.Plan) > 0 && len(j.plan) == 0 {
			j.plan = e.Plan
		}
	case EventVerified:
		if j.FormatVersion != JournalFormatVersion {
			return bad("%s entry outside a %s journal", e.Event, JournalFormatVersion)
		}
		if e.Step == "" {
			return bad("%s entry without a step id", e.Event)
		}
		if st, ok := parseStepStatus(e.Status); !ok || !st.OK() {
			return bad("verified entry of step %s has status %q, want Succeeded or AlreadyDone", e.Step, e.Status)
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

// usableFor refuses, before anything is written, a journal a run of the plan (tenantID, hash)
// against src must not continue: one of another plan or tenant, a journal/v1 one, and one of a
// run against another live tenant source.
func (j *Journal) usableFor(tenantID, hash string, src Source) error {
	if j.PlanHash == "" {
		return nil // empty: nothing to resume
	}
	if err := j.matches(tenantID, hash); err != nil {
		return err
	}
	if j.FormatVersion == JournalFormatV1 {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: the journal is " + JournalFormatV1 + ", written by an older version: it records neither the plan nor what it ran against, so the steps it calls done cannot be verified; start a new journal (or move this one aside) — every step reads its target before acting, so a step already done is found done, not repeated"}
	}
	for _, e := range j.Entries {
		if e.Event != EventBegin || e.Source == nil || src.Kind != SourceTenant || e.Source.Kind != SourceTenant {
			continue
		}
		if e.Source.Name != "" && src.Name != "" && !strings.EqualFold(strings.TrimSuffix(e.Source.Name, "/"), strings.TrimSuffix(src.Name, "/")) {
			return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("apply: the journal records a run of this plan against %s, not against %s: a journal continues one run on one tenant; start a new journal for this one", *e.Source, src)}
		}
	}
	return nil
}

// claims maps the steps the journal calls done, in runs against a source of the given kind, to
// their status: a step's last word must be success (or a verification) in such a run. A start,
// a failure or a skip anywhere after it, or a success in a run against another kind of source
// (a rehearsal's, for a live tenant), puts the step in doubt. Apply skips a claimed step only
// after reading its target back.
func (j *Journal) claims(kind SourceKind) map[string]StepStatus {
	out := map[string]StepStatus{}
	segment := SourceKind("")
	for _, e := range j.Entries {
		switch e.Event {
		case EventBegin:
			segment = ""
			if e.Source != nil {
				segment = e.Source.Kind
			}
		case EventSucceeded, EventVerified:
			if st, ok := parseStepStatus(e.Status); ok && segment == kind {
				out[e.Step] = st
			} else {
				delete(out, e.Step)
			}
		case EventStarted, EventFailed, EventSkipped:
			delete(out, e.Step)
		}
	}
	return out
}

// DoneOn returns the ids of the steps the journal records as done in runs against a source of
// the given kind (WithSource; "" for unnamed runs), in the order they first appear: the steps a
// run against such a source reads back first and skips when their result is there.
func (j *Journal) DoneOn(kind SourceKind) []string {
	claims := j.claims(kind)
	var out []string
	for _, e := range j.Entries {
		if _, ok := claims[e.Step]; ok && e.Step != "" {
			out = append(out, e.Step)
			delete(claims, e.Step)
		}
	}
	return out
}

// foreign reports whether the journal has runs against another kind of source than kind.
func (j *Journal) foreign(kind SourceKind) (Source, bool) {
	for _, e := range j.Entries {
		if e.Event != EventBegin {
			continue
		}
		var s Source
		if e.Source != nil {
			s = *e.Source
		}
		if s.Kind != kind {
			return s, true
		}
	}
	return Source{}, false
}

// done maps the steps whose last word in the journal is success to their status.
func (j *Journal) done() map[string]StepStatus {
	out := map[string]StepStatus{}
	for _, e := range j.Entries {
		switch e.Event {
		case EventSucceeded, EventVerified:
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

// Done returns the ids of the steps the journal records as succeeded or already done, in the
// order they first appear, whatever the source of the run. A resumed run reads each of them
// back (when it is of a run against the same kind of source) and skips it only when its result
// is there.
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
// tenantID and hash against src: it reads what is there, refuses a journal Apply must not
// continue (Journal.usableFor), drops a last line
// cut short, and leaves the file positioned for appending.
func openJournalFile(path, tenantID, hash string, src Source) (*os.File, *Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: opening the journal", Err: err}
	}
	j, err := ReadJournal(f)
	if err == nil {
		err = j.usableFor(tenantID, hash, src)
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
