package planner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/licenseplan/licenseplan/licensing"
)

// preflight runs before the first write (see Apply): it reads the target of every step, each
// user and group once; verifies the steps the journal claims done (a claim whose result is not
// there is dropped: the step runs again through its precondition); and predicts every other
// step against what it read, refusing as Drift, before anything is written, the steps that do
// not hold.
func (r *runner) preflight(ctx context.Context, claims map[string]StepStatus) {
	n := len(r.plan.Steps)
	obs := make([]*observation, n)
	errs := make([]error, n)

	// Read, WithConcurrency reads at a time; a user or group read once serves every step on it.
	r.cache = &readCache{users: map[string]*cachedRead{}, groups: map[string]*cachedRead{}}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < r.cfg.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := r.plan.Steps[i]
				if s.Action == WaitForGroupProcessing {
					var g *licensing.Group
					g, errs[i] = r.readGroup(ctx, s.Group.ID)
					obs[i] = &observation{group: g}
					continue
				}
				obs[i], errs[i] = r.observe(ctx, s)
			}
		}()
	}
	for i, s := range r.plan.Steps {
		if ctx.Err() != nil {
			break
		}
		_, claimed := claims[s.ID]
		if s.Action == ReprocessLicenseAssignment || (s.Action == WaitForGroupProcessing && !claimed) {
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	r.cache = nil
	if err := ctx.Err(); err != nil {
		r.stopped = err
		return
	}

	drift := make([]error, n)
	last := map[string]int{}             // subject → the last step on it so far, in dependency order
	groupsMayChange := map[string]bool{} // user id → a pending step before may change the groups their licenses come from
	groupLicenses := false               // a pending step before changes a group's licenses
	for _, i := range r.order() {
		s := r.plan.Steps[i]
		key := subjectKey(s)
		if st, ok := claims[s.ID]; ok {
			if r.claimHolds(s, obs[i], errs[i]) {
				sr := &r.res.Steps[i]
				sr.Status, sr.Resumed = st, true
				r.done++
				if err := r.journal.write(JournalEntry{Event: EventVerified, Step: s.ID, Action: s.Action.String(), Target: s.Target.ID, Status: st.String(), After: r.stateJSON(s, obs[i])}); err != nil && r.stopped == nil {
					r.stopped = fmt.Errorf("writing the journal: %w", err)
				}
				if key != "" {
					last[key] = i
				}
				continue
			}
			r.log.Warn("apply: the journal records the step as done, but its result is not there; it runs again through its precondition", "step", s.ID, "target", s.Target.ID)
		}
		if key == "" {
			continue
		}
		if p, ok := last[key]; ok {
			drift[i] = r.chainDrift(r.plan.Steps[p], s)
		} else if err := errs[i]; err != nil {
			if k := licensing.KindOf(err); k == licensing.UnknownUser || k == licensing.UnknownGroup {
				drift[i] = &licensing.Error{Kind: licensing.Drift, Target: s.Target, Err: err,
					Message: fmt.Sprintf("step %s (%s on %s): the target no longer exists; plan again", s.ID, s.Action, s.Target)}
			}
			// Other read errors: the step checks its precondition when it runs.
		} else {
			drift[i] = r.predictFirst(s, obs[i], groupLicenses || groupsMayChange[strings.ToLower(s.Target.ID)])
		}
		last[key] = i
		switch {
		case s.Action == AddGroupMember || s.Action == RemoveGroupMember:
			groupsMayChange[strings.ToLower(s.Target.ID)] = true
		case s.Action == AssignLicense && s.Target.Type == licensing.TargetGroup:
			groupLicenses = true
		}
	}
	for _, i := range r.order() {
		if drift[i] == nil || r.res.Steps[i].Status != StepPending {
			continue
		}
		s := r.plan.Steps[i]
		out := failed(drift[i], 0)
		out.before = obs[i]
		r.finish(i, out)
		r.skipDependents(i)
		if r.cfg.stopOnDrift && r.stopped == nil {
			r.stopped = fmt.Errorf("step %s drifted (WithStopOnDrift): %w", s.ID, drift[i])
		}
	}
}

// claimHolds reports whether a step the journal calls done is done: its target, read back, is
// at the step's result (or at the result of a later step that supersedes it). Only what the
// step's own call changes is compared — a user's direct licenses, not the groups their paths
// come from, which later steps change. A wait holds when the group has nothing left to process.
// A reprocess leaves nothing to read back: it never holds on a journal's word, and is done again
// (reprocessing twice is harmless).
func (r *runner) claimHolds(s *Step, obs *observation, err error) bool {
	switch s.Action {
	case ReprocessLicenseAssignment:
		return false
	case WaitForGroupProcessing:
		if err != nil || obs == nil || obs.group == nil {
			return false
		}
		st := obs.group.LicenseProcessingState
		return st == nil || st.State == "" || st.State == licensing.ProcessingComplete
	}
	if err != nil || obs == nil {
		return false
	}
	if r.differs(s, obs, withoutGroups(s.result())) == "" {
		return true
	}
	return r.supersededBy(s, obs, true)
}

func withoutGroups(e Expectation) Expectation {
	e.Groups = nil
	return e
}

// predictFirst checks the first step on a subject against the target as read: at its Expect,
// at its Result, or superseded. skipGroups leaves out the groups a user's licenses come from,
// which a step before it in the plan may change.
func (r *runner) predictFirst(s *Step, obs *observation, skipGroups bool) error {
	expect, result := s.expect(), s.result()
	if skipGroups {
		expect, result = withoutGroups(expect), withoutGroups(result)
	}
	if r.differs(s, obs, result) == "" {
		return nil
	}
	diff := r.differs(s, obs, expect)
	if diff == "" || r.superseded(s, obs) {
		return nil
	}
	return r.drift(s, obs, diff+" (found before the first write)")
}

// chainDrift checks a step against the step before it on the same subject: it must expect what
// that step leaves, in the field both change. A plan built by Build always does; an edited one
// may not.
func (r *runner) chainDrift(p, s *Step) error {
	pr, se := p.result(), s.expect()
	diff := ""
	switch s.Action {
	case AssignLicense:
		if s.Target.Type == licensing.TargetGroup {
			diff = r.licenseDiff("group licenses", pr.GroupLicenses, se.GroupLicenses)
		} else {
			diff = r.licenseDiff("direct licenses", pr.DirectLicenses, se.DirectLicenses)
		}
	case SetUsageLocation:
		if !strings.EqualFold(pr.UsageLocation, se.UsageLocation) {
			diff = fmt.Sprintf("usage location %s, the step expects %s", quoteOrNone(pr.UsageLocation), quoteOrNone(se.UsageLocation))
		}
	case AddGroupMember, RemoveGroupMember:
		if pr.Member != se.Member {
			diff = fmt.Sprintf("membership of group %s is %v, the step expects %v", targetText(*s.Group), pr.Member, se.Member)
		}
	}
	if diff == "" {
		return nil
	}
	return &licensing.Error{Kind: licensing.Drift, Target: s.Target,
		Message: fmt.Sprintf("step %s (%s on %s): the plan does not hold together: step %s before it on the same target leaves %s (found before the first write; an edited plan?) — plan again", s.ID, s.Action, s.Target, p.ID, diff)}
}

// subjectKey names what a step's call changes: a user's direct licenses, a group's licenses, a
// user's usage location, a user's membership of a group ("" for waits and reprocesses).
func subjectKey(s *Step) string {
	id := strings.ToLower(s.Target.ID)
	switch s.Action {
	case AssignLicense:
		return "licenses:" + string(s.Target.Type) + ":" + id
	case SetUsageLocation:
		return "usageLocation:" + id
	case AddGroupMember, RemoveGroupMember:
		return "member:" + strings.ToLower(s.Group.ID) + ":" + id
	}
	return ""
}

// order returns the step indexes in dependency order, plan order among ready steps (the plan's
// own order when its dependencies name earlier steps, as Build's and ReadPlan's do).
func (r *runner) order() []int {
	if r.ordered != nil {
		return r.ordered
	}
	n := len(r.plan.Steps)
	out := make([]int, 0, n)
	state := make([]uint8, n)
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, d := range r.plan.Steps[i].DependsOn {
			visit(r.index[d])
		}
		state[i] = 2
		out = append(out, i)
	}
	for i := range r.plan.Steps {
		visit(i)
	}
	r.ordered = out
	return out
}

// stateJSON is what a step's precondition and verification compare of the observed target, in
// plan/v1's expect form, for the journal (nil when nothing was read).
func (r *runner) stateJSON(s *Step, obs *observation) json.RawMessage {
	if obs == nil {
		return nil
	}
	var e Expectation
	switch s.Action {
	case AssignLicense:
		if s.Target.Type == licensing.TargetGroup {
			if obs.group == nil {
				return nil
			}
			e.GroupLicenses = obs.group.AssignedLicenses
		} else {
			if obs.user == nil {
				return nil
			}
			e.DirectLicenses, e.Groups = directLicenses(obs.user), groupPaths(obs.user)
		}
	case SetUsageLocation:
		if obs.user == nil {
			return nil
		}
		e.UsageLocation = obs.user.UsageLocation
	case AddGroupMember, RemoveGroupMember:
		e.Member = obs.member
	default:
		return nil
	}
	b, err := json.Marshal(s.expectJSON(e))
	if err != nil {
		return nil
	}
	return b
}

// compactPlan is the plan as compact plan/v1 JSON, for the journal's begin entry.
func compactPlan(p *Plan) (json.RawMessage, error) {
	var b, c bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: encoding the plan for the journal", Err: err}
	}
	if err := json.Compact(&c, b.Bytes()); err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "apply: encoding the plan for the journal", Err: err}
	}
	return c.Bytes(), nil
}

// readCache shares the preflight's reads between the steps on one user or group.
type readCache struct {
	mu     sync.Mutex
	users  map[string]*cachedRead
	groups map[string]*cachedRead
}

type cachedRead struct {
	once sync.Once
	u    *licensing.User
	g    *licensing.Group
	err  error
}

func (c *readCache) entry(m map[string]*cachedRead, id string) *cachedRead {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(id)
	e := m[key]
	if e == nil {
		e = &cachedRead{}
		m[key] = e
	}
	return e
}
