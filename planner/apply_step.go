package planner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/licensing"
)

// runner is one Apply run.
type runner struct {
	tenant  Tenant
	plan    *Plan
	cfg     applyConfig
	log     *slog.Logger
	clock   Clock
	limiter *tokenBucket
	seats   *seatLedger
	journal *journalWriter
	res     *ApplyResult
	index   map[string]int // step id → index in plan.Steps
	// dependents lists, per step index, the steps that depend on it directly.
	dependents map[int][]int
	busy       map[string]bool // targets with a step in flight (scheduler goroutine only)
	cache      *readCache      // the preflight's reads (nil after it)
	ordered    []int           // the steps in dependency order (order)
	done       int             // steps finished (scheduler goroutine only)
	stopped    error           // why no new step may start (scheduler goroutine only)
}

type stepOutcome struct {
	status StepStatus
	err    error
	calls  int
	// before and after are the target as read before the step acted and after it (nil when not read).
	before, after *observation
	// notYet: a wait's one poll found Entra still processing (Executor.RunStep).
	notYet bool
}

func failed(err error, calls int) stepOutcome {
	st := StepFailed
	if licensing.KindOf(err) == licensing.Drift {
		st = StepDrift
	}
	return stepOutcome{status: st, err: err, calls: calls}
}

// runStep carries out one step: precondition, call (with retries), verification.
func (r *runner) runStep(ctx context.Context, s *Step) stepOutcome {
	switch s.Action {
	case WaitForGroupProcessing:
		return r.waitForGroup(ctx, s)
	case ReprocessLicenseAssignment:
		// Reprocessing has no precondition: it only re-evaluates paths in error, and doing it
		// twice is harmless.
		calls, err := r.callWithRetry(ctx, s)
		if err != nil {
			return failed(err, calls)
		}
		return stepOutcome{status: StepSucceeded, calls: calls}
	}
	calls := 0
	var before, first *observation
	ambiguous := false // an earlier try failed in a way that may hide a change Entra made
	for attempt := 1; ; attempt++ {
		obs, err := r.observe(ctx, s)
		if err != nil {
			if k := licensing.KindOf(err); calls == 0 && (k == licensing.UnknownUser || k == licensing.UnknownGroup) {
				// The target was deleted since the plan was made.
				err = &licensing.Error{Kind: licensing.Drift, Target: s.Target, Err: err,
					Message: fmt.Sprintf("step %s (%s on %s): the target no longer exists; plan again", s.ID, s.Action, s.Target)}
			}
			out := failed(err, calls)
			out.before = first
			return out
		}
		if first == nil {
			first = obs
		}
		if diff := r.differs(s, obs, s.result()); diff == "" {
			if calls == 0 {
				return stepOutcome{status: StepAlreadyDone, before: first, after: obs}
			}
			// An earlier attempt reported a failure but took effect (a timeout after Entra acted).
			break
		}
		if diff := r.differs(s, obs, s.expect()); diff != "" {
			if calls == 0 && r.superseded(s, obs) {
				// A later step of the plan on the same target already took it further (a
				// make-before-break removal after this add): this step's work is done.
				return stepOutcome{status: StepAlreadyDone, before: first, after: obs}
			}
			out := failed(r.drift(s, obs, diff), calls)
			out.before = first
			return out
		}
		need := r.newSeats(s, obs)
		if err := r.seats.reserve(ctx, s, need); err != nil {
			return failed(err, calls)
		}
		before = obs
		err = r.call(ctx, s)
		calls++
		r.seats.release(need, err == nil)
		if err == nil {
			break
		}
		if !retryable(ctx, err) && ambiguous {
			// An earlier try may have been carried out late (its reply was lost or came after
			// the timeout) and this one refused because of it: if the target is where the step
			// leads, the step is done.
			if obs, oerr := r.observe(ctx, s); oerr == nil && r.differs(s, obs, s.result()) == "" {
				break
			}
		}
		if !retryable(ctx, err) || attempt >= r.cfg.retry.MaxAttempts {
			out := failed(err, calls)
			out.before = first
			return out
		}
		ambiguous = ambiguous || licensing.KindOf(err) == licensing.Transient
		if err := r.backoff(ctx, s, attempt, err); err != nil {
			out := failed(err, calls)
			out.before = first
			return out
		}
	}
	after, err := r.verify(ctx, s, before)
	if err != nil {
		out := failed(err, calls)
		out.before, out.after = first, after
		return out
	}
	return stepOutcome{status: StepSucceeded, calls: calls, before: first, after: after}
}

// superseded reports whether the target is at the Result of a step that depends, directly or
// not, on s and changes the same thing (the same user's direct licenses, usage location or
// membership of the same group; the same group's licenses).
func (r *runner) superseded(s *Step, obs *observation) bool { return r.supersededBy(s, obs, false) }

// supersededBy is superseded; ownOnly leaves out the groups a user's licenses come from.
func (r *runner) supersededBy(s *Step, obs *observation, ownOnly bool) bool {
	seen := map[int]bool{}
	var walk func(i int) bool
	walk = func(i int) bool {
		for _, j := range r.dependents[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			t := r.plan.Steps[j]
			want := t.result()
			if ownOnly {
				want = withoutGroups(want)
			}
			if sameSubject(s, t) && r.differs(t, obs, want) == "" {
				return true
			}
			if walk(j) {
				return true
			}
		}
		return false
	}
	return walk(r.index[s.ID])
}

func sameSubject(a, b *Step) bool {
	if a.Target.Type != b.Target.Type || !strings.EqualFold(a.Target.ID, b.Target.ID) {
		return false
	}
	switch a.Action {
	case AssignLicense, SetUsageLocation:
		return b.Action == a.Action
	case AddGroupMember, RemoveGroupMember:
		return (b.Action == AddGroupMember || b.Action == RemoveGroupMember) && strings.EqualFold(a.Group.ID, b.Group.ID)
	}
	return false
}

// observation is what Apply read of a step's target.
type observation struct {
	user   *licensing.User
	group  *licensing.Group
	member bool
}

func (r *runner) readUser(ctx context.Context, id string) (*licensing.User, error) {
	if c := r.cache; c != nil {
		e := c.entry(c.users, id)
		e.once.Do(func() { e.u, e.err = r.readUserNow(ctx, id) })
		return e.u, e.err
	}
	return r.readUserNow(ctx, id)
}

func (r *runner) readUserNow(ctx context.Context, id string) (*licensing.User, error) {
	var u *licensing.User
	err := r.read(ctx, func(ctx context.Context) error {
		var err error
		u, err = r.tenant.User(ctx, id)
		return err
	})
	if err == nil && u == nil {
		err = &licensing.Error{Kind: licensing.UnknownUser, Target: licensing.Target{Type: licensing.TargetUser, ID: id}, Message: "the tenant returned no user " + id}
	}
	return u, err
}

func (r *runner) readGroup(ctx context.Context, id string) (*licensing.Group, error) {
	if c := r.cache; c != nil {
		e := c.entry(c.groups, id)
		e.once.Do(func() { e.g, e.err = r.readGroupNow(ctx, id) })
		return e.g, e.err
	}
	return r.readGroupNow(ctx, id)
}

func (r *runner) readGroupNow(ctx context.Context, id string) (*licensing.Group, error) {
	var g *licensing.Group
	err := r.read(ctx, func(ctx context.Context) error {
		var err error
		g, err = r.tenant.Group(ctx, id)
		return err
	})
	if err == nil && g == nil {
		err = &licensing.Error{Kind: licensing.UnknownGroup, Target: licensing.Target{Type: licensing.TargetGroup, ID: id}, Message: "the tenant returned no group " + id}
	}
	return g, err
}

// observe reads what the step's precondition and verification compare.
//
// Membership is read from the group's Members when the tenant returns them (Tenant.Group may
// leave them nil); otherwise from the user's licenseAssignmentStates: a user is a member of a
// licensed group when a path names it in assignedByGroup. That fallback cannot see membership
// of a group that assigns no licenses, or before Entra processed a new member; it is refused
// for the first and may report drift for the second, both safe.
func (r *runner) observe(ctx context.Context, s *Step) (*observation, error) {
	obs := &observation{}
	var err error
	switch s.Action {
	case AssignLicense:
		if s.Target.Type == licensing.TargetGroup {
			obs.group, err = r.readGroup(ctx, s.Target.ID)
		} else {
			obs.user, err = r.readUser(ctx, s.Target.ID)
		}
	case SetUsageLocation:
		obs.user, err = r.readUser(ctx, s.Target.ID)
	case AddGroupMember, RemoveGroupMember:
		if obs.group, err = r.readGroup(ctx, s.Group.ID); err != nil {
			return nil, err
		}
		if obs.group.Members != nil && s.Action == RemoveGroupMember {
			obs.member = slices.Contains(obs.group.Members, s.Target.ID)
			return obs, nil
		}
		// Joining needs the user's paths for the seat check anyway.
		if obs.user, err = r.readUser(ctx, s.Target.ID); err != nil {
			return nil, err
		}
		if obs.group.Members != nil {
			obs.member = slices.Contains(obs.group.Members, s.Target.ID)
			return obs, nil
		}
		if len(obs.group.AssignedLicenses) == 0 {
			return nil, &licensing.Error{Kind: licensing.Other, Target: s.Target,
				Message: fmt.Sprintf("step %s: cannot tell whether %s is a member of group %s: the tenant returned no members and the group assigns no licenses", s.ID, s.Target, targetText(*s.Group))}
		}
		for _, st := range obs.user.LicenseAssignmentStates {
			if !st.Direct() && strings.EqualFold(*st.AssignedByGroup, s.Group.ID) {
				obs.member = true
			}
		}
	}
	return obs, err
}

// directLicenses returns a user's direct licenses: its licenseAssignmentStates with
// assignedByGroup null, or its assignedLicenses when it has no licenseAssignmentStates.
func directLicenses(u *licensing.User) []licensing.AssignedLicense {
	if u.LicenseAssignmentStates == nil {
		return u.AssignedLicenses
	}
	var out []licensing.AssignedLicense
	for _, st := range u.LicenseAssignmentStates {
		if st.Direct() {
			out = append(out, licensing.AssignedLicense{SkuID: st.SkuID, DisabledPlans: st.DisabledPlans})
		}
	}
	return out
}

// groupPaths returns the sorted ids of the groups a user's license paths come from.
func groupPaths(u *licensing.User) []string {
	out := []string{}
	for _, st := range u.LicenseAssignmentStates {
		if !st.Direct() && !slices.Contains(out, *st.AssignedByGroup) {
			out = append(out, *st.AssignedByGroup)
		}
	}
	slices.Sort(out)
	return out
}

// holdsSku reports whether the user consumes a seat of the SKU: a path of it not in Error.
func holdsSku(u *licensing.User, sku licensing.SkuID) bool {
	if u.LicenseAssignmentStates == nil {
		return slices.ContainsFunc(u.AssignedLicenses, func(a licensing.AssignedLicense) bool { return a.SkuID == sku })
	}
	return slices.ContainsFunc(u.LicenseAssignmentStates, func(st licensing.LicenseAssignmentState) bool {
		return st.SkuID == sku && st.State != licensing.StateError
	})
}

// differs compares the observed target with an expectation and describes the difference ("" when equal).
func (r *runner) differs(s *Step, obs *observation, e Expectation) string {
	switch s.Action {
	case AssignLicense:
		if s.Target.Type == licensing.TargetGroup {
			return r.licenseDiff("group licenses", obs.group.AssignedLicenses, e.GroupLicenses)
		}
		if d := r.licenseDiff("direct licenses", directLicenses(obs.user), e.DirectLicenses); d != "" || e.Groups == nil {
			return d
		}
		if have := groupPaths(obs.user); !slices.Equal(have, e.Groups) {
			return fmt.Sprintf("the user has licenses from groups [%s], the plan expected [%s] (a licensed group membership changed)", strings.Join(have, ", "), strings.Join(e.Groups, ", "))
		}
	case SetUsageLocation:
		if !strings.EqualFold(obs.user.UsageLocation, e.UsageLocation) {
			return fmt.Sprintf("usage location is %s, the plan expected %s", quoteOrNone(obs.user.UsageLocation), quoteOrNone(e.UsageLocation))
		}
	case AddGroupMember, RemoveGroupMember:
		if obs.member != e.Member {
			if obs.member {
				return fmt.Sprintf("the user is a member of group %s, the plan expected not", targetText(*s.Group))
			}
			return fmt.Sprintf("the user is not a member of group %s, the plan expected it to be", targetText(*s.Group))
		}
	}
	return ""
}

func quoteOrNone(s string) string {
	if s == "" {
		return "unset"
	}
	return fmt.Sprintf("%q", s)
}

// licenseDiff compares two license lists as sets of (skuId, set of disabledPlans).
func (r *runner) licenseDiff(what string, have, want []licensing.AssignedLicense) string {
	index := func(ls []licensing.AssignedLicense) map[licensing.SkuID][]licensing.PlanID {
		m := make(map[licensing.SkuID][]licensing.PlanID, len(ls))
		for _, l := range ls {
			ps := slices.Clone(l.DisabledPlans)
			slices.SortFunc(ps, func(a, b licensing.PlanID) int { return licensing.GUID(a).Compare(licensing.GUID(b)) })
			m[l.SkuID] = slices.Compact(ps)
		}
		return m
	}
	h, w := index(have), index(want)
	var parts []string
	for _, l := range want {
		hp, ok := h[l.SkuID]
		switch {
		case !ok:
			parts = append(parts, fmt.Sprintf("%s is missing", r.plan.skuName(l.SkuID)))
		case !slices.Equal(hp, w[l.SkuID]):
			parts = append(parts, fmt.Sprintf("%s has disabled plans [%s], the plan expected [%s]", r.plan.skuName(l.SkuID), r.plan.planNames(hp), r.plan.planNames(w[l.SkuID])))
		}
	}
	for _, l := range have {
		if _, ok := w[l.SkuID]; !ok {
			parts = append(parts, fmt.Sprintf("%s is present, the plan expected it not to be", r.plan.skuName(l.SkuID)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	slices.Sort(parts)
	return what + " differ: " + strings.Join(slices.Compact(parts), "; ")
}

func (r *runner) drift(s *Step, obs *observation, diff string) error {
	return &licensing.Error{Kind: licensing.Drift, Target: s.Target,
		Message: fmt.Sprintf("step %s (%s on %s): %s; not acting on a state the plan did not foresee — plan again", s.ID, s.Action, s.Target, diff)}
}

// newSeats returns the SKUs the step gives a user who holds no seat of them yet: a user's
// assignLicense adds, and the licenses of a group the user joins. A group's own assignLicense is
// not checked: Entra accepts it and puts the members beyond the free seats in CountViolation,
// which the plan predicts per member.
func (r *runner) newSeats(s *Step, obs *observation) []licensing.SkuID {
	var adds []licensing.AssignedLicense
	switch {
	case s.Action == AssignLicense && s.Target.Type == licensing.TargetUser:
		adds = s.AddLicenses
	case s.Action == AddGroupMember && obs.user != nil:
		adds = obs.group.AssignedLicenses
	default:
		return nil
	}
	var out []licensing.SkuID
	for _, a := range adds {
		if !holdsSku(obs.user, a.SkuID) && !slices.Contains(out, a.SkuID) {
			out = append(out, a.SkuID)
		}
	}
	return out
}

// call makes the step's one write, rate limited. Lists are never nil (Graph needs both
// addLicenses and removeLicenses, even empty).
func (r *runner) call(ctx context.Context, s *Step) error {
	if err := r.limiter.wait(ctx); err != nil {
		return err
	}
	switch s.Action {
	case AssignLicense:
		add, remove := nonNilLicenses(s.AddLicenses), nonnil.Slice(slices.Clone(s.RemoveLicenses))
		if s.Target.Type == licensing.TargetGroup {
			return r.tenant.AssignGroupLicenses(ctx, s.Target.ID, add, remove)
		}
		return r.tenant.AssignUserLicenses(ctx, s.Target.ID, add, remove)
	case SetUsageLocation:
		return r.tenant.SetUsageLocation(ctx, s.Target.ID, s.UsageLocation)
	case AddGroupMember:
		return r.tenant.AddGroupMember(ctx, s.Group.ID, s.Target.ID)
	case RemoveGroupMember:
		return r.tenant.RemoveGroupMember(ctx, s.Group.ID, s.Target.ID)
	case ReprocessLicenseAssignment:
		return r.tenant.ReprocessUser(ctx, s.Target.ID)
	}
	return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("step %s: action %s makes no call", s.ID, s.Action)}
}

// callWithRetry makes a call without a precondition, retrying Throttled and Transient errors.
func (r *runner) callWithRetry(ctx context.Context, s *Step) (int, error) {
	for attempt := 1; ; attempt++ {
		err := r.call(ctx, s)
		if err == nil || !retryable(ctx, err) || attempt >= r.cfg.retry.MaxAttempts {
			return attempt, err
		}
		if err := r.backoff(ctx, s, attempt, err); err != nil {
			return attempt, err
		}
	}
}

// read runs a read, retrying Throttled and Transient errors.
func (r *runner) read(ctx context.Context, f func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		if err := r.limiter.waitPause(ctx); err != nil {
			return err
		}
		err := f(ctx)
		if err == nil || !retryable(ctx, err) || attempt >= r.cfg.retry.MaxAttempts {
			return err
		}
		if err := r.backoff(ctx, nil, attempt, err); err != nil {
			return err
		}
	}
}

func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	k := licensing.KindOf(err)
	return k == licensing.Throttled || k == licensing.Transient
}

// backoff waits before the next attempt: the Retry-After the service asked for (retry.After; then
// every worker waits with it), or an exponential delay with jitter.
func (r *runner) backoff(ctx context.Context, s *Step, attempt int, err error) error {
	d, ra := retryDelay(r.cfg.retry, attempt, err)
	if ra && licensing.KindOf(err) == licensing.Throttled {
		r.limiter.pause(d)
	}
	id := ""
	if s != nil {
		id = s.ID
	}
	r.log.Debug("apply: retrying", "step", id, "attempt", attempt, "wait", d, "kind", licensing.KindOf(err).String(), "error", redact(err.Error()))
	return r.clock.Sleep(ctx, d)
}

// verify reads the target again after the call and checks it is at step.Result. Graph's reads
// are eventually consistent, so a mismatch is read again twice, a poll interval apart, before
// the step fails.
func (r *runner) verify(ctx context.Context, s *Step, before *observation) (*observation, error) {
	for try := 1; ; try++ {
		obs, err := r.observe(ctx, s)
		if err != nil {
			return nil, err
		}
		err = r.checkResult(s, before, obs)
		if err == nil || try == 3 {
			return obs, err
		}
		if err := r.clock.Sleep(ctx, r.cfg.pollInterval); err != nil {
			return obs, err
		}
	}
}

func (r *runner) checkResult(s *Step, before, obs *observation) error {
	if diff := r.differs(s, obs, s.result()); diff != "" {
		return &licensing.Error{Kind: licensing.Other, Target: s.Target,
			Message: fmt.Sprintf("step %s (%s on %s): the call succeeded but verification found %s", s.ID, s.Action, s.Target, diff)}
	}
	if s.Action != AssignLicense || s.Target.Type != licensing.TargetUser || obs.user == nil {
		return nil
	}
	// No path of an added SKU may have gone into Error (e.g. a group path now conflicting).
	wasErr := map[string]bool{}
	if before != nil && before.user != nil {
		for _, st := range before.user.LicenseAssignmentStates {
			if st.State == licensing.StateError {
				wasErr[pathKey(st)] = true
			}
		}
	}
	for _, st := range obs.user.LicenseAssignmentStates {
		if st.State != licensing.StateError || wasErr[pathKey(st)] {
			continue
		}
		if !slices.ContainsFunc(s.AddLicenses, func(a licensing.AssignedLicense) bool { return a.SkuID == st.SkuID }) {
			continue
		}
		kind, ok := licensing.ParseKind(st.Error)
		if !ok || kind == licensing.None || !kind.IsEntraError() {
			kind = licensing.Other
		}
		from := "its direct assignment"
		if !st.Direct() {
			from = "group " + *st.AssignedByGroup
		}
		return &licensing.Error{Kind: kind, Target: s.Target, SkuID: st.SkuID,
			Message: fmt.Sprintf("step %s: after the call, %s's %s from %s is in Error (%s)", s.ID, s.Target, r.plan.skuName(st.SkuID), from, st.Error)}
	}
	return nil
}

func pathKey(st licensing.LicenseAssignmentState) string {
	g := ""
	if !st.Direct() {
		g = strings.ToLower(*st.AssignedByGroup)
	}
	return st.SkuID.String() + "/" + g
}

// waitForGroup polls the group until Entra has processed its members: licenseProcessingState
// ProcessingComplete and, for the members the steps it waits for concern (users who joined the
// group, members of a group whose licenses changed), the paths from the group as those steps
// leave them — a group read just after a change may still report the previous processing as
// complete. A member's new path in Error that the plan did not predict fails the step, so that
// nothing depending on it (leaving the old group of a group-based move) takes service away.
// When the tenant returns no licenseAssignmentStates for a user, only the group's state counts.
func (r *runner) waitForGroup(ctx context.Context, s *Step) stepOutcome {
	deadline := r.clock.Now().Add(r.cfg.processTimeout)
	checks := r.processingChecks(s)
	for {
		waiting, err := r.pollGroup(ctx, s, &checks)
		if err != nil {
			return failed(err, 0)
		}
		if waiting == "" {
			return stepOutcome{status: StepSucceeded}
		}
		if !r.clock.Now().Before(deadline) {
			return failed(&licensing.Error{Kind: licensing.Transient, Target: *s.Group,
				Message: fmt.Sprintf("step %s: group %s is still %s after %s; run again later to resume", s.ID, targetText(*s.Group), waiting, r.cfg.processTimeout)}, 0)
		}
		if err := r.clock.Sleep(ctx, r.cfg.pollInterval); err != nil {
			return failed(err, 0)
		}
	}
}

// pollGroupOnce is one poll of a waitForGroupProcessing step (Executor.RunStep): done, or
// notYet with a Transient error saying what Entra is still doing.
func (r *runner) pollGroupOnce(ctx context.Context, s *Step) stepOutcome {
	checks := r.processingChecks(s)
	waiting, err := r.pollGroup(ctx, s, &checks)
	if err != nil {
		return failed(err, 0)
	}
	if waiting == "" {
		return stepOutcome{status: StepSucceeded}
	}
	out := failed(&licensing.Error{Kind: licensing.Transient, Target: *s.Group,
		Message: fmt.Sprintf("step %s: group %s is still %s; poll again", s.ID, targetText(*s.Group), waiting)}, 0)
	out.notYet = true
	return out
}

// pollGroup reads the group once and says what Entra is still doing ("" when it has processed
// every member checks names; the checks passed are dropped from *checks), or why the wait failed.
func (r *runner) pollGroup(ctx context.Context, s *Step, checks *[]processingCheck) (string, error) {
	g, err := r.readGroup(ctx, s.Group.ID)
	if err != nil {
		return "", err
	}
	state := ""
	if g.LicenseProcessingState != nil {
		state = g.LicenseProcessingState.State
	}
	if state == licensing.ProcessingFailed {
		return "", &licensing.Error{Kind: licensing.Other, Target: *s.Group,
			Message: fmt.Sprintf("step %s: group %s reports licenseProcessingState ProcessingFailed: Entra stopped processing its members; reprocess the group's members (reprocessLicenseAssignment) once the cause is fixed, then run again", s.ID, targetText(*s.Group))}
	}
	// A group that reports no processing state has nothing queued.
	if state != "" && state != licensing.ProcessingComplete {
		return state, nil
	}
	for len(*checks) > 0 {
		c := (*checks)[0]
		ok, err := r.memberProcessed(ctx, s, g, c)
		if err != nil {
			return "", err
		}
		if !ok {
			return fmt.Sprintf("%s, but user %s is not processed yet", state, c.user), nil
		}
		*checks = (*checks)[1:]
	}
	return "", nil
}

// processingCheck is what a wait expects of one member's paths from the group.
type processingCheck struct {
	user     string
	joined   bool              // the user joined: a path of every SKU the group assigns
	present  []licensing.SkuID // SKUs the group now assigns
	absent   []licensing.SkuID // SKUs the group no longer assigns
	allowErr bool              // the plan predicted this member's path in error
}

func (r *runner) processingChecks(s *Step) []processingCheck {
	var out []processingCheck
	for _, id := range s.DependsOn {
		d := r.plan.Steps[r.index[id]]
		switch {
		case d.Action == AddGroupMember && strings.EqualFold(d.Group.ID, s.Group.ID):
			out = append(out, processingCheck{user: d.Target.ID, joined: true})
		case d.Action == AssignLicense && d.Target.Type == licensing.TargetGroup && strings.EqualFold(d.Target.ID, s.Group.ID):
			var present []licensing.SkuID
			for _, a := range d.AddLicenses {
				present = append(present, a.SkuID)
			}
			for _, m := range d.Members {
				out = append(out, processingCheck{user: m.User.ID, present: present, absent: d.RemoveLicenses, allowErr: m.Error != licensing.None})
			}
		}
	}
	return out
}

// memberProcessed reports whether a member's paths from the group are as the checked step leaves them.
func (r *runner) memberProcessed(ctx context.Context, s *Step, g *licensing.Group, c processingCheck) (bool, error) {
	u, err := r.readUser(ctx, c.user)
	if err != nil {
		return false, err
	}
	if u.LicenseAssignmentStates == nil {
		return true, nil
	}
	present := c.present
	if c.joined {
		if !slices.Contains(g.Members, c.user) && g.Members != nil {
			return true, nil // the user left again; nothing to wait for
		}
		for _, l := range g.AssignedLicenses {
			present = append(present, l.SkuID)
		}
	}
	fromGroup := func(sku licensing.SkuID) *licensing.LicenseAssignmentState {
		for i, st := range u.LicenseAssignmentStates {
			if st.SkuID == sku && !st.Direct() && strings.EqualFold(*st.AssignedByGroup, s.Group.ID) {
				return &u.LicenseAssignmentStates[i]
			}
		}
		return nil
	}
	for _, sku := range c.absent {
		// A path the plan predicted to stay stuck (DependencyViolation) is processed as it is.
		if st := fromGroup(sku); st != nil && !(c.allowErr && st.State == licensing.StateActiveWithError) {
			return false, nil
		}
	}
	for _, sku := range present {
		st := fromGroup(sku)
		if st == nil {
			return false, nil
		}
		failedPath := st.State == licensing.StateError || (st.State == licensing.StateActiveWithError && st.Error != "" && st.Error != "None")
		if failedPath && !c.allowErr {
			kind, ok := licensing.ParseKind(st.Error)
			if !ok || !kind.IsEntraError() {
				kind = licensing.Other
			}
			return false, &licensing.Error{Kind: kind, Target: licensing.Target{Type: licensing.TargetUser, ID: u.ID, Name: u.UserPrincipalName}, SkuID: sku,
				Message: fmt.Sprintf("step %s: group %s processed user %s, but the user's %s from the group is in %s (%s), which the plan did not predict", s.ID, targetText(*s.Group), u.ID, r.plan.skuName(sku), st.State, st.Error)}
		}
	}
	return true, nil
}
