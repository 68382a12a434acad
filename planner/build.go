package planner

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/licenseplan/licenseplan/internal/prefault"
	"github.com/licenseplan/licenseplan/licensing"
)

// Build makes the plan that takes the tenant in st to the desired state d. It never modifies
// st: the plan is made by predicting every step, in order, on a copy. Names in d that do not
// resolve, contradictions and every error Entra would raise become Problems in the plan (with
// the location in the desired file where there is one); a plan with an error-severity problem
// is not applyable. A nil st or d, or a d that Desired.Validate refuses (what ReadDesired
// would refuse), gives a plan without steps whose InvalidDesiredState error says why.
//
// Order: group license changes (each followed by a wait for group processing), usage
// locations, group joins (and their waits), then per user exactly one assignLicense carrying
// every direct add and remove (so a conflicting swap such as E1 → E3 is one atomic call; with
// makeBeforeBreak and licenses that may coexist, add then remove), migration removals in
// waves, group leaves, and reprocessing where it clears errors.
func Build(st *licensing.State, d *Desired) *Plan {
	if p := refused(st, d); p != nil { // nil inputs, or what ReadDesired would refuse: see refused
		return p
	}
	b := &builder{
		before: st,
		w:      st.Clone(),
		cat:    st.Catalog(),
		rules:  st.Rules(),
		d:      d,
		plan:   &Plan{TenantID: st.TenantID(), cat: st.Catalog()},
		users:  prefault.Make[*userTarget](st.NumUsers(), st.NumUsers()),
		waits:  map[int]string{},
		in:     newInterner(st),
	}
	b.resolve()
	b.groupLicenseSteps()
	b.usageLocationSteps()
	b.joinSteps()
	b.directSteps()
	b.leaveSteps()
	b.reprocessSteps()
	b.stuckChecks()
	b.discouragedChecks()
	b.inheritedChecks()
	b.seats()
	b.orderByWave()
	b.ruleReasons() // resolve.go: rule-driven steps name their rule
	return b.plan
}

// orderByWave puts the steps in wave order (stable: within a wave, the order they were planned
// in) and numbers them s1, s2, … in that order, so a plan reads top to bottom as it runs.
func (b *builder) orderByWave() {
	steps := b.plan.Steps
	// Steps were numbered s1, s2, … in planning order: the number is the index + 1.
	at := func(id string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(id, "s"))
		if err != nil || n < 1 || n > len(steps) {
			panic("planner: bad step id " + id)
		}
		return n - 1
	}
	// A step runs no earlier than the latest wave of the steps it depends on (a user's group
	// leave after their migration removal belongs to the migration's wave). Dependencies are
	// always planned before their dependents, so one pass in planning order settles it.
	sorted := true
	for i, s := range steps {
		for _, d := range s.DependsOn {
			s.Wave = max(s.Wave, steps[at(d)].Wave)
		}
		if i > 0 && s.Wave < steps[i-1].Wave {
			sorted = false
		}
	}
	if sorted {
		return
	}
	// A counting sort on the wave (a few small numbers), stable by construction.
	first := []int{0} // first[w] is the first position of wave w, then the next free one
	for _, s := range steps {
		if s.Wave < 0 {
			panic(fmt.Sprintf("planner: step %s has negative wave %d", s.ID, s.Wave))
		}
		for len(first) <= s.Wave+1 {
			first = append(first, 0)
		}
		first[s.Wave+1]++
	}
	for w := 1; w < len(first); w++ {
		first[w] += first[w-1]
	}
	order := make([]int32, len(steps)) // planning index → position after sorting
	idx := make([]int32, len(steps))   // position → planning index
	for i, s := range steps {
		order[i] = int32(first[s.Wave])
		idx[first[s.Wave]] = int32(i)
		first[s.Wave]++
	}
	newID := func(id string) string { return b.stepID(int(order[at(id)]) + 1) }
	for _, s := range steps {
		for k, d := range s.DependsOn {
			s.DependsOn[k] = newID(d)
		}
	}
	for i := range b.plan.Problems {
		if id := b.plan.Problems[i].Step; id != "" {
			b.plan.Problems[i].Step = newID(id)
		}
	}
	out := make([]*Step, len(steps))
	for pos, i := range idx {
		out[pos] = steps[i]
		out[pos].ID = b.stepID(pos + 1)
	}
	b.plan.Steps = out
}

type builder struct {
	before *licensing.State
	w      *licensing.State
	cat    *licensing.Catalog
	rules  *licensing.RuleIndex
	d      *Desired
	plan   *Plan
	users  []*userTarget
	groups []*groupTarget
	waits  map[int]string // group index → its latest waitForGroupProcessing step
	abuf   []licensing.AssignedLicense
	// releasers are the steps that free seats of a SKU (a reprocess of a CountViolation waits for them)
	releasers map[licensing.SkuID][]string
	// per-user steps that later steps of the same user depend on (by user index; nil until
	// used): the first in firstStep, any others in moreSteps (most users have one step)
	firstStep []string
	moreSteps map[int][]string
	joined    map[int][]int              // user → groups joined in this plan
	bridged   map[int][]migrationRemoval // user → direct licenses that bridged a move to a group (moves.go)
	touched   []int                      // users with a direct step, ascending
	in        *interner
	reasons   map[string]string // directReason's texts by their inputs
	rkey      []byte
	slab      []stepSlot      // steps are carved from slabs: one allocation per many steps
	ids       []*[1024]string // stepID's ids: "s<n>" is ids[(n-1)/1024][(n-1)%1024]
}

type licTarget struct {
	sub      *licensing.Subscription
	disabled licensing.PlanSet
	from     string
}

type userTarget struct {
	shared    bool // held by every user a rule matches alone: copy before changing
	allowLoss licensing.PlanSet
	mode      string
	usage     string
	usageFrom string
	lic       []licTarget
	groups    []int
	groupsSet bool
	from      string
}

type groupTarget struct {
	g    int
	mode string
	lic  []licTarget
	at   string
}

func (b *builder) problem(p Problem) { b.plan.Problems = append(b.plan.Problems, p) }

func (b *builder) problemFromErr(at string, err error, sev Severity, step string) {
	e, ok := err.(*licensing.Error)
	if !ok {
		e = &licensing.Error{Kind: licensing.InvalidInput, Message: err.Error()}
	}
	msg := e.Message
	if at != "" {
		msg = at + ": " + msg
	}
	b.problem(Problem{Kind: e.Kind, Severity: sev, Target: e.Target, SkuID: e.SkuID, ServicePlans: e.Plans, Message: msg, Step: step})
}

func (b *builder) nextID() string { return b.stepID(len(b.plan.Steps) + 1) }

// stepID returns "s<n>". The ids are made 1024 at a time as substrings of one string, so a
// million-step plan does not allocate a million small strings.
func (b *builder) stepID(n int) string {
	for (n-1)>>10 >= len(b.ids) {
		from := len(b.ids)<<10 + 1
		all := make([]byte, 0, 1024*(2+len(strconv.Itoa(from+1023))))
		var ends [1024]int
		for k := range ends {
			all = strconv.AppendInt(append(all, 's'), int64(from+k), 10)
			ends[k] = len(all)
		}
		chunk, start := string(all), 0
		ids := new([1024]string)
		for k, e := range ends {
			ids[k] = chunk[start:e]
			start = e
		}
		b.ids = append(b.ids, ids)
	}
	return b.ids[(n-1)>>10][(n-1)&1023]
}

// add numbers s and appends it to the plan. The plan holds a copy of *s carved from a slab,
// and add returns that copy.
func (b *builder) add(s *Step) *Step { return &b.addSlot(s).Step }

// addSlot is add, returning the step's slot.
func (b *builder) addSlot(s *Step) *stepSlot {
	if len(b.slab) == cap(b.slab) {
		b.slab = prefault.Make[stepSlot](0, min(4096, max(16, len(b.plan.Steps))))
	}
	b.slab = append(b.slab, stepSlot{Step: *s})
	slot := &b.slab[len(b.slab)-1]
	slot.ID = b.nextID()
	b.plan.Steps = append(b.plan.Steps, &slot.Step)
	return slot
}

// stepSlot is a step with room for the expectations of a user's assignLicense step (Expect
// and Result point there): one slab holds both, so that steps cost no allocation of their own.
type stepSlot struct {
	Step
	exp [2]Expectation
}

// resolve turns names into users, groups, SKUs and plans, then compiles the rules (explicit
// targets win over them: see resolveRules).
func (b *builder) resolve() {
	st := b.before
	seen := map[int]string{}
	for i, ut := range b.d.Users {
		at := fmt.Sprintf("users[%d]", i)
		u, err := st.LookupUser(ut.User)
		if err != nil {
			b.problemFromErr(at, err, SeverityError, "")
			continue
		}
		if prev, dup := seen[u]; dup {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.UserTarget(u), Message: fmt.Sprintf("%s: user %s is already targeted by %s; give each user one entry", at, ut.User, prev)})
			continue
		}
		seen[u] = at
		t := b.target(u, at)
		if ut.Mode == ModeExact {
			t.mode = ModeExact
		}
		if ut.UsageLocation != "" {
			loc := strings.ToUpper(ut.UsageLocation)
			if !licensing.IsCountryCode(loc) {
				b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.UserTarget(u), Message: fmt.Sprintf("%s.usageLocation: %s", at, licensing.CountryCodeProblem(ut.UsageLocation))})
			} else {
				t.usage, t.usageFrom = loc, at
			}
		}
		for _, lt := range b.resolveSpecs(at, st.UserTarget(u), ut.Licenses) {
			b.merge(u, t, lt)
		}
		for k, ref := range ut.AllowServiceLoss {
			p, err := b.cat.LookupPlan(ref)
			if err != nil {
				b.problemFromErr(fmt.Sprintf("%s.allowServiceLoss[%d]", at, k), withTarget(err, st.UserTarget(u)), SeverityError, "")
				continue
			}
			t.allowLoss.Add(p.Index())
		}
		if ut.Groups != nil {
			t.groupsSet = true
			for k, gref := range ut.Groups {
				g, err := st.LookupGroup(gref)
				if err != nil {
					b.problemFromErr(fmt.Sprintf("%s.groups[%d]", at, k), err, SeverityError, "")
					continue
				}
				if !slices.Contains(t.groups, g) {
					t.groups = append(t.groups, g)
				}
			}
			slices.Sort(t.groups)
		}
	}
	b.resolveRules(seen) // resolve.go: rules, their precedence and their problems
	seenG := map[int]string{}
	for i, gt := range b.d.Groups {
		at := fmt.Sprintf("groups[%d]", i)
		g, err := st.LookupGroup(gt.Group)
		if err != nil {
			b.problemFromErr(at, err, SeverityError, "")
			continue
		}
		if prev, dup := seenG[g]; dup {
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.GroupTarget(g), Message: fmt.Sprintf("%s: group %s is already targeted by %s", at, gt.Group, prev)})
			continue
		}
		seenG[g] = at
		t := &groupTarget{g: g, mode: gt.Mode, at: at}
		for _, lt := range b.resolveSpecs(at, st.GroupTarget(g), gt.Licenses) {
			if i := slices.IndexFunc(t.lic, func(x licTarget) bool { return x.sub == lt.sub }); i >= 0 {
				b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: st.GroupTarget(g), SkuID: lt.sub.Sku.ID, Message: fmt.Sprintf("%s lists SKU %s twice", at, lt.sub.Sku.Title())})
				continue
			}
			t.lic = append(t.lic, lt)
		}
		b.groups = append(b.groups, t)
	}
	slices.SortFunc(b.groups, func(a, c *groupTarget) int { return a.g - c.g })
}

func (b *builder) target(u int, from string) *userTarget {
	if b.users[u] == nil {
		b.users[u] = &userTarget{mode: ModeEnsure, from: from}
	}
	return b.users[u]
}

func (b *builder) merge(u int, t *userTarget, lt licTarget) {
	for _, have := range t.lic {
		if have.sub != lt.sub {
			continue
		}
		if !have.disabled.Equal(lt.disabled) {
			// Name the difference, not the two plan lists.
			only1 := b.planTitles(lt.disabled.Minus(have.disabled))
			only2 := b.planTitles(have.disabled.Minus(lt.disabled))
			var diff []string
			if len(only1) > 0 {
				diff = append(diff, fmt.Sprintf("%s enables %s and %s does not", have.from, strings.Join(only1, ", "), lt.from))
			}
			if len(only2) > 0 {
				diff = append(diff, fmt.Sprintf("%s enables %s and %s does not", lt.from, strings.Join(only2, ", "), have.from))
			}
			b.problem(Problem{Kind: licensing.InvalidDesiredState, Severity: SeverityError, Target: b.before.UserTarget(u), SkuID: lt.sub.Sku.ID,
				Message: fmt.Sprintf("%s and %s give user %s different plans of %s: %s", have.from, lt.from, b.before.User(u).UserPrincipalName, lt.sub.Sku.Title(), strings.Join(diff, "; "))})
		}
		return
	}
	t.lic = append(t.lic, lt)
	slices.SortFunc(t.lic, func(a, c licTarget) int { return a.sub.Sku.ID.Compare(c.sub.Sku.ID) })
}

// resolveSpecs resolves license specs; names that do not resolve become problems.
func (b *builder) resolveSpecs(at string, target licensing.Target, specs []LicenseSpec) []licTarget {
	var out []licTarget
	for i, l := range specs {
		where := fmt.Sprintf("%s.licenses[%d]", at, i)
		sub, err := b.before.LookupSku(l.Sku)
		if err != nil {
			b.problemFromErr(where, withTarget(err, target), SeverityError, "")
			continue
		}
		lt := licTarget{sub: sub, from: where}
		ok := true
		plans := func(names []string, field string) licensing.PlanSet {
			var s licensing.PlanSet
			for k, n := range names {
				p, err := b.cat.LookupPlanInSku(sub.Sku, n)
				if err != nil {
					b.problemFromErr(fmt.Sprintf("%s.%s[%d]", where, field, k), withTarget(err, target), SeverityError, "")
					ok = false
					continue
				}
				s.Add(p.Index())
			}
			return s
		}
		if len(l.EnabledPlans) > 0 {
			lt.disabled = sub.Sku.PlanSet().Minus(plans(l.EnabledPlans, "enabledPlans"))
		} else {
			lt.disabled = plans(l.DisabledPlans, "disabledPlans")
		}
		if ok {
			out = append(out, lt)
		}
	}
	return out
}

func withTarget(err error, t licensing.Target) error {
	if e, ok := err.(*licensing.Error); ok && e.Target.Type == "" && t.Type != "" {
		c := *e
		c.Target = t
		return &c
	}
	return err
}

// licenses converts targets to an assignLicense body entry list.
func (b *builder) assigned(lts []licTarget) []licensing.AssignedLicense {
	if len(lts) == 0 {
		return []licensing.AssignedLicense{}
	}
	b.abuf = b.abuf[:0]
	for _, lt := range lts {
		b.abuf = append(b.abuf, licensing.AssignedLicense{SkuID: lt.sub.Sku.ID, DisabledPlans: b.in.planIDs(lt.disabled)})
	}
	return b.in.licenses(b.abuf)
}

func (b *builder) groupLicenseSteps() {
	for _, gt := range b.groups {
		g := gt.g
		cur := b.w.GroupLicenses(g)
		var adds []licTarget
		var removes []licensing.SkuID
		for _, lt := range gt.lic {
			i := slices.IndexFunc(cur, func(a licensing.AssignedLicense) bool { return a.SkuID == lt.sub.Sku.ID })
			if i >= 0 && b.cat.PlanSetOf(cur[i].DisabledPlans).Equal(lt.disabled) {
				continue
			}
			adds = append(adds, lt)
		}
		if gt.mode == ModeExact {
			for _, a := range cur {
				if !slices.ContainsFunc(gt.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == a.SkuID }) {
					removes = append(removes, a.SkuID)
				}
			}
		}
		if len(adds) == 0 && len(removes) == 0 || b.refusedByKind(AssignLicense, g, licensing.Target{}, gt.at) {
			continue
		}
		target := b.w.GroupTarget(g)
		step := &Step{Action: AssignLicense, Target: target, AddLicenses: b.assigned(adds), RemoveLicenses: removes,
			Reason: b.changeReason("group "+target.Name, adds, removes, ""), Expect: &Expectation{GroupLicenses: cur}}
		step = b.add(step)
		beforeErr := b.memberErrors(g)
		o := b.w.Apply(licensing.Change{Kind: licensing.AssignGroupLicenses, Group: target.ID, AddLicenses: step.AddLicenses, RemoveLicenses: removes})
		step.Result = &Expectation{GroupLicenses: b.w.GroupLicenses(g)}
		if o.Refused {
			for _, v := range o.Violations {
				b.problemFromErr("", v, SeverityError, step.ID)
			}
			continue
		}
		b.released(step, o)
		b.groupImpact(step, g, o, beforeErr)
		for _, e := range o.Users {
			b.countryUnknown(step, e.User, g)
		}
		b.wait(g, step.ID)
	}
}

// memberErrors records the error kinds on group g's paths per member now.
func (b *builder) memberErrors(g int) map[string]licensing.Kind {
	out := map[string]licensing.Kind{}
	gid := b.w.Group(g).ID
	for _, u := range b.w.GroupMembers(g) {
		for _, p := range b.w.Paths(u) {
			if p.Group == gid && p.State == licensing.PathError {
				out[b.w.User(u).ID] = p.Error
			}
		}
	}
	return out
}

// groupImpact records what a group step does to members: their plans, new path errors and service loss.
func (b *builder) groupImpact(step *Step, g int, o *licensing.Outcome, beforeErr map[string]licensing.Kind) {
	errs := map[string]licensing.Kind{}
	for _, v := range o.Violations {
		errs[v.Target.ID] = v.Kind
		sev := SeverityError
		if beforeErr[v.Target.ID] == v.Kind {
			sev = SeverityWarning // the member was already in this error before the plan
		}
		b.problemFromErr("", v, sev, step.ID)
	}
	for _, e := range o.Users {
		t := b.w.UserTarget(e.User)
		step.Members = append(step.Members, MemberImpact{User: t, Gained: b.in.planIDs(e.Gained()), Lost: b.in.planIDs(e.Lost()), Error: errs[t.ID]})
		b.serviceLoss(step, t, e.Before, e.After)
	}
}

func (b *builder) serviceLoss(step *Step, t licensing.Target, before, after licensing.PlanSet) {
	lost := b.rules.ServiceLoss(before, after)
	if lost.IsEmpty() {
		return
	}
	sev := SeverityError
	note := "; list the plans in the user's allowServiceLoss (or set options.allowServiceLoss) to accept"
	if u, err := b.w.LookupUser(t.ID); err == nil && t.Type == licensing.TargetUser && b.users[u] != nil && !b.users[u].allowLoss.IsEmpty() {
		if lost.SubsetOf(b.users[u].allowLoss) {
			sev, note = SeverityInfo, " (accepted by the user's allowServiceLoss)"
		}
	}
	if sev == SeverityError && b.d.Options.AllowServiceLoss {
		sev, note = SeverityWarning, " (allowed by options.allowServiceLoss)"
	}
	b.problem(Problem{Kind: licensing.ServiceLoss, Severity: sev, Target: t, ServicePlans: b.in.planIDs(lost), Step: step.ID,
		Message: fmt.Sprintf("%s would lose %s%s", t, strings.Join(b.planTitles(lost), ", "), note)})
}

// released records a step that frees seats of a SKU.
func (b *builder) released(step *Step, o *licensing.Outcome) {
	for _, s := range o.Seats {
		if s.After < s.Before {
			if b.releasers == nil {
				b.releasers = map[licensing.SkuID][]string{}
			}
			b.releasers[s.Sku] = append(b.releasers[s.Sku], step.ID)
		}
	}
}

func (b *builder) wait(g int, after ...string) string {
	gt := b.w.GroupTarget(g)
	s := b.add(&Step{Action: WaitForGroupProcessing, Target: gt, Group: &gt, DependsOn: after,
		Reason: fmt.Sprintf("wait until group %s has processed its members (licenseProcessingState ProcessingComplete)", gt.Name)})
	b.waits[g] = s.ID
	return s.ID
}

// deps returns what a step of user u must wait for: the user's earlier steps, and the
// processing of every group the user is a member of that this plan changes (so that the
// tenant goes through the states the plan predicted, in the same order).
func (b *builder) deps(u int) []string {
	var out []string
	if b.firstStep != nil && b.firstStep[u] != "" {
		out = append(make([]string, 0, 1+len(b.moreSteps[u])), b.firstStep[u])
		out = append(out, b.moreSteps[u]...)
	}
	if len(b.waits) > 0 {
		for _, g := range b.w.UserGroups(u) {
			if w, ok := b.waits[g]; ok && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

func (b *builder) depends(u int, id string) {
	if b.firstStep == nil {
		b.firstStep = prefault.Make[string](b.w.NumUsers(), b.w.NumUsers())
		b.moreSteps = map[int][]string{}
	}
	if b.firstStep[u] == "" {
		b.firstStep[u] = id
	} else {
		b.moreSteps[u] = append(b.moreSteps[u], id)
	}
}

func (b *builder) usageLocationSteps() {
	for u, t := range b.users {
		if t == nil || t.usage == "" || t.usage == b.w.UsageLocation(u) {
			continue
		}
		target := b.w.UserTarget(u)
		step := b.add(&Step{Action: SetUsageLocation, Target: target, UsageLocation: t.usage, DependsOn: b.deps(u),
			Reason: fmt.Sprintf("set usage location %s (%s)", t.usage, t.usageFrom), Expect: &Expectation{UsageLocation: b.w.UsageLocation(u)}})
		if before := b.w.UsageLocation(u); before != "" {
			step.Reason = fmt.Sprintf("change usage location %s → %s (%s)", before, t.usage, t.usageFrom)
		}
		inError := b.w.Bulk().HasPathInError(u, licensing.None, true)
		before := b.w.EnabledPlans(u)
		o := b.w.Apply(licensing.Change{Kind: licensing.SetUsageLocation, User: target.ID, UsageLocation: t.usage})
		step.Result = &Expectation{UsageLocation: b.w.UsageLocation(u)}
		for _, v := range o.Violations {
			b.problemFromErr("", v, SeverityError, step.ID)
		}
		b.depends(u, step.ID)
		if !inError || o.Refused {
			continue
		}
		// Microsoft: after the usage location is fixed, the group licenses are assigned "next
		// time" the user is processed (Identify and resolve license assignment problems).
		rs := b.add(&Step{Action: ReprocessLicenseAssignment, Target: target, DependsOn: b.deps(u),
			Reason: "reprocess the user's group licenses: the new usage location resolves their error, and Entra applies them the next time the user is processed"})
		after := b.w.EnabledPlans(u)
		rs.Gained, rs.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
		b.depends(u, rs.ID)
	}
}

func (b *builder) joinSteps() {
	joinsByGroup := map[int][]string{}
	b.joined = map[int][]int{}
	for u, t := range b.users {
		if t == nil || !t.groupsSet {
			continue
		}
		cur := b.w.UserGroups(u)
		for _, g := range t.groups {
			if slices.Contains(cur, g) {
				continue
			}
			target := b.w.UserTarget(u)
			gt := b.w.GroupTarget(g)
			if b.refusedByKind(AddGroupMember, g, target, t.from) {
				continue
			}
			reason := fmt.Sprintf("join licensed group %s (%s)", gt.Name, t.from)
			if b.bridge(u, t, g) {
				reason += ", after the direct swap to its licenses"
			}
			step := b.add(&Step{Action: AddGroupMember, Target: target, Group: &gt, DependsOn: b.deps(u),
				Reason: reason, Expect: b.in.member(false), Result: b.in.member(true)})
			if w, ok := b.waits[g]; ok {
				step.DependsOn = append(step.DependsOn, w)
			}
			before := b.w.EnabledPlans(u)
			o := b.w.Apply(licensing.Change{Kind: licensing.AddGroupMember, User: target.ID, Group: gt.ID})
			if o.Refused {
				for _, v := range o.Violations {
					b.problemFromErr("", v, SeverityError, step.ID)
				}
				continue
			}
			for _, v := range o.Violations {
				b.problemFromErr("", v, SeverityError, step.ID)
			}
			after := b.w.EnabledPlans(u)
			step.Gained, step.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
			b.serviceLoss(step, target, before, after)
			b.countryUnknown(step, u, g)
			joinsByGroup[g] = append(joinsByGroup[g], step.ID)
			b.joined[u] = append(b.joined[u], g)
		}
	}
	groups := make([]int, 0, len(joinsByGroup))
	for g := range joinsByGroup {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		id := b.wait(g, joinsByGroup[g]...)
		for u, gs := range b.joined {
			if slices.Contains(gs, g) {
				b.depends(u, id)
			}
		}
	}
}

// pathReader reads users' paths from a State into reusable buffers and works out the
// expectations of their assignLicense steps, with its own interner: directSteps's prepare runs
// one on a second goroutine, ahead of the predictions.
type pathReader struct {
	st   *licensing.State
	in   *interner
	pbuf []licensing.Path
	cbuf []licensing.Path
	dbuf []licensing.AssignedLicense
	gbuf []int
}

func newPathReader(st *licensing.State) *pathReader {
	return &pathReader{st: st, in: newInterner(st)}
}

// direct reads user u's paths into r.pbuf (where expectationOf can use them until the next
// read) and returns the direct ones in a second buffer, reused by the next call.
func (r *pathReader) direct(u int) []licensing.Path {
	r.pbuf = r.st.Bulk().AppendPaths(r.pbuf[:0], u)
	r.cbuf = r.cbuf[:0]
	for _, p := range r.pbuf {
		if p.Direct() {
			r.cbuf = append(r.cbuf, p)
		}
	}
	return r.cbuf
}

// expected is a user's state an assignLicense step checks: direct licenses and the groups
// the user's paths come from.
type expected struct {
	direct []licensing.AssignedLicense
	groups []string
}

// expectationOf returns the direct licenses (by SKU id) and the sorted ids of the groups
// paths come from (never nil); paths are not modified.
func (r *pathReader) expectationOf(paths []licensing.Path) expected {
	r.gbuf = r.gbuf[:0]
	for _, p := range paths {
		if g := r.st.Bulk().PathGroup(p); !p.Direct() && !slices.Contains(r.gbuf, g) {
			r.gbuf = append(r.gbuf, g)
		}
	}
	slices.Sort(r.gbuf)
	groups := make([]string, len(r.gbuf)) // distinct per user more often than not: not interned
	for i, g := range r.gbuf {
		groups[i] = r.st.Group(g).ID
	}
	slices.Sort(groups)
	return expected{r.directOf(paths), groups}
}

// directOf returns the direct licenses among paths, by SKU id (shared: read-only).
func (r *pathReader) directOf(paths []licensing.Path) []licensing.AssignedLicense {
	r.dbuf = r.dbuf[:0]
	for _, p := range paths {
		if p.Direct() {
			r.dbuf = append(r.dbuf, licensing.AssignedLicense{SkuID: p.Sku, DisabledPlans: r.in.planIDsByID(p.Disabled)})
		}
	}
	slices.SortFunc(r.dbuf, func(a, c licensing.AssignedLicense) int { return a.SkuID.Compare(c.SkuID) })
	return r.in.licenses(r.dbuf)
}

type migrationRemoval struct {
	sku    licensing.SkuID
	group  string
	bridge bool // the direct license bridged a move to the group (moves.go): not a migration
}

// prepared is what directSteps works out for one user from the user's paths alone, before
// predicting the user's call.
type prepared struct {
	u       int
	adds    []licTarget
	removes []licensing.SkuID
	mig     []migrationRemoval
	wave    int
	exp     expected
}

// directSteps plans each user's one assignLicense. Reading a user's paths and working out
// the change (prepare) runs on a second goroutine ahead of the predictions: a user's direct
// step changes only that user's paths, so the user's paths are the same when the prediction
// comes to them, and predictions stay in user order (seats are counted in that order).
func (b *builder) directSteps() {
	removals, waveOf := b.migration()
	// Batches go back to prepare once used, with the adds and removes slices they hold
	// (userDirectStep keeps neither): a million users need a few batches, not 2000.
	batches, used := make(chan []prepared, 4), make(chan []prepared, 8)
	go func() {
		defer close(batches)
		b.prepare(removals, waveOf, batches, used)
	}()
	for batch := range batches {
		for _, p := range batch {
			b.userDirectStep(p.u, p.adds, p.removes, p.wave, p.mig, p.exp)
		}
		select {
		case used <- batch:
		default:
		}
	}
}

// prepare sends the users that need a direct change, in user order, in batches, reusing the
// batches that come back on used. It only reads the working state (through its own
// pathReader) and the builder's targets.
func (b *builder) prepare(removals [][]migrationRemoval, waveOf []int32, out chan<- []prepared, used <-chan []prepared) {
	const batchSize = 512
	rd := newPathReader(b.w)
	next := func() []prepared {
		select {
		case batch := <-used:
			return batch[:0]
		default:
			return make([]prepared, 0, batchSize)
		}
	}
	batch := next()
	for u := 0; u < b.w.NumUsers(); u++ {
		t := b.users[u]
		var mig []migrationRemoval
		if removals != nil {
			mig = removals[u]
		}
		if br := b.bridged[u]; len(br) > 0 {
			mig = append(slices.Clip(mig), br...)
		}
		if t == nil && len(mig) == 0 {
			continue
		}
		cur := rd.direct(u)
		var adds []licTarget
		var removes []licensing.SkuID
		if n := len(batch); n < cap(batch) {
			slot := batch[:n+1][n] // a used batch's slot: its slices' memory is free again
			adds, removes = slot.adds[:0], slot.removes[:0]
		}
		if t != nil {
			for _, lt := range t.lic {
				i := slices.IndexFunc(cur, func(p licensing.Path) bool { return p.Sku == lt.sub.Sku.ID })
				if i >= 0 && cur[i].Disabled.Equal(lt.disabled) {
					continue
				}
				adds = append(adds, lt)
			}
			if t.mode == ModeExact {
				for _, p := range cur {
					if !slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
						removes = append(removes, p.Sku)
					}
				}
			}
		}
		for _, m := range mig {
			if !slices.Contains(removes, m.sku) {
				removes = append(removes, m.sku)
			}
		}
		if len(adds) == 0 && len(removes) == 0 {
			continue
		}
		slices.SortFunc(removes, func(a, c licensing.SkuID) int { return a.Compare(c) })
		p := prepared{u: u, adds: adds, removes: removes, mig: mig, exp: rd.expectationOf(rd.pbuf)} // rd.pbuf still holds u's paths
		if waveOf != nil {
			p.wave = int(waveOf[u])
		}
		if batch = append(batch, p); len(batch) == batchSize {
			out <- batch
			batch = next()
		}
	}
	if len(batch) > 0 {
		out <- batch
	}
}

// userDirectStep emits the one assignLicense of user u (or two, make-before-break).
func (b *builder) userDirectStep(u int, adds []licTarget, removes []licensing.SkuID, wave int, mig []migrationRemoval, exp expected) {
	target := b.w.UserTarget(u)
	addBody := b.assigned(adds)
	conflict := ""
	split := false
	if len(adds) > 0 && len(removes) > 0 && (b.d.Options.MakeBeforeBreak || b.mayConflict(adds, removes)) {
		o := b.w.Predict(licensing.Change{Kind: licensing.AssignUserLicenses, User: target.ID, AddLicenses: addBody})
		for _, v := range o.Violations {
			if v.Kind == licensing.MutuallyExclusiveViolation {
				conflict = fmt.Sprintf(" (%s conflict)", strings.Join(b.planNames(v.Plans), " and "))
				break
			}
		}
		split = b.d.Options.MakeBeforeBreak && !o.Refused
	}
	reason := b.directReason(adds, removes, conflict, mig)
	if split {
		swap := b.swapPhrase(adds, removes)
		s1, after := b.applyUser(u, exp, adds, &Step{Action: AssignLicense, Target: target, AddLicenses: addBody, RemoveLicenses: []licensing.SkuID{}, Wave: wave,
			Reason: "make-before-break swap " + swap + ": add the new license first (both may be held at once)"})
		b.applyUser(u, after, nil, &Step{Action: AssignLicense, Target: target, AddLicenses: []licensing.AssignedLicense{}, RemoveLicenses: b.in.skus(removes), Wave: wave,
			DependsOn: []string{s1.ID}, Reason: "make-before-break swap " + swap + ": remove the old license once the new one is active"})
		return
	}
	b.applyUser(u, exp, adds, &Step{Action: AssignLicense, Target: target, AddLicenses: addBody, RemoveLicenses: b.in.skus(removes), Wave: wave, Reason: reason})
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// mayConflict reports whether an added and a removed SKU have plans in one exclusion set: only
// then can adding before removing conflict (a cheap test that spares a prediction per user).
func (b *builder) mayConflict(adds []licTarget, removes []licensing.SkuID) bool {
	for _, a := range adds {
		on := a.sub.Sku.PlanSet().Minus(a.disabled)
		for _, r := range removes {
			if sku, ok := b.cat.Sku(r); ok && b.before.Bulk().MayConflict(on, sku.PlanSet()) {
				return true
			}
		}
	}
	return false
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// planNames names plans for people, by friendly name and plan name ("Exchange Online (Plan 2)
// (EXCHANGE_S_ENTERPRISE)"), in the order given.
func (b *builder) planNames(ids []licensing.PlanID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = b.cat.PlanNamed(id, licensing.NamesBoth)
	}
	return out
}

// planTitles names the plans of a set for people, sorted by plan name.
func (b *builder) planTitles(s licensing.PlanSet) []string { return b.planNames(b.cat.PlanIDs(s)) }

// afterAssign returns the direct licenses (by SKU id, shared) after an accepted assignLicense
// adding adds and removing remove on a user whose direct licenses are direct.
func (b *builder) afterAssign(direct []licensing.AssignedLicense, adds []licTarget, remove []licensing.SkuID) []licensing.AssignedLicense {
	out := b.abuf[:0]
	for _, l := range direct {
		if !slices.Contains(remove, l.SkuID) && !slices.ContainsFunc(adds, func(a licTarget) bool { return a.sub.Sku.ID == l.SkuID }) {
			out = append(out, l)
		}
	}
	for _, a := range adds {
		out = append(out, licensing.AssignedLicense{SkuID: a.sub.Sku.ID, DisabledPlans: b.in.planIDsByID(a.disabled)})
	}
	slices.SortFunc(out, func(x, y licensing.AssignedLicense) int { return x.SkuID.Compare(y.SkuID) })
	b.abuf = out
	return b.in.licenses(out)
}

// applyUser plans user u's assignLicense step, whose body adds adds; exp is the user's
// expectation now (what the step checks before it runs). It returns the step and the
// expectation after it.
func (b *builder) applyUser(u int, exp expected, adds []licTarget, step *Step) (*Step, expected) {
	step.DependsOn = dedupe(append(b.deps(u), step.DependsOn...))
	slot := b.addSlot(step)
	step, pair := &slot.Step, &slot.exp
	pair[0] = Expectation{DirectLicenses: exp.direct, Groups: exp.groups}
	step.Expect, step.Result = &pair[0], &pair[1]
	o := b.w.Bulk().ApplyUserLicenses(u, step.AddLicenses, step.RemoveLicenses)
	res := exp
	if !o.Refused {
		// assignLicense changes only direct paths (the groups the user's paths come from
		// stay): every removed or added SKU's direct path goes, every added one comes with
		// the body's disabled plans. Verification checks this against the tenant.
		res.direct = b.afterAssign(exp.direct, adds, step.RemoveLicenses)
	}
	*step.Result = Expectation{DirectLicenses: res.direct, Groups: res.groups}
	if o.Refused {
		for _, v := range o.Violations {
			b.problemFromErr("", v, SeverityError, step.ID)
		}
		return step, res
	}
	var before, after licensing.PlanSet // equal (and empty) when the call changes no plan
	if len(o.Users) > 0 {
		before, after = o.Users[0].Before, o.Users[0].After
	}
	step.Gained, step.Lost = b.in.diff(after, before), b.in.diff(before, after)
	b.serviceLoss(step, step.Target, before, after)
	b.released(step, o)
	b.depends(u, step.ID)
	if len(b.touched) == 0 || b.touched[len(b.touched)-1] != u {
		b.touched = append(b.touched, u)
	}
	return step, res
}

// directReason explains a user's assignLicense step; the text depends only on its arguments,
// so it is made once per distinct change and shared.
func (b *builder) directReason(adds []licTarget, removes []licensing.SkuID, conflict string, mig []migrationRemoval) string {
	k := b.rkey[:0]
	for _, a := range adds {
		k = append(k, a.sub.Sku.ID[:]...)
		k, _ = a.disabled.AppendBinary(k)
		k = append(k, 0)
	}
	k = append(k, 1)
	for _, r := range removes {
		k = append(k, r[:]...)
	}
	k = append(append(k, 1), conflict...)
	for _, m := range mig {
		k = append(append(append(k, 1), m.sku[:]...), m.group...)
		if m.bridge {
			k = append(k, 2)
		}
	}
	b.rkey = k
	if r, ok := b.reasons[string(k)]; ok {
		return r
	}
	reason := b.changeReason("", adds, removes, conflict)
	if len(mig) > 0 {
		var note strings.Builder
		bridges := 0
		for i, m := range mig {
			if i > 0 {
				note.WriteString(";")
			}
			if m.bridge {
				bridges++
				fmt.Fprintf(&note, " direct %s bridged the move to group %s, which gives it now", b.cat.SkuNamed(m.sku, licensing.NamesBoth), m.group)
				continue
			}
			fmt.Fprintf(&note, " direct %s is covered by group %s", b.cat.SkuNamed(m.sku, licensing.NamesBoth), m.group)
		}
		what := "migrate to group-based licensing:"
		if bridges == len(mig) {
			what = "complete the move to group-based licensing:"
		}
		if len(adds) == 0 && len(removes) == len(mig) {
			reason = what + note.String()
		} else {
			reason = reason + "; " + what + note.String()
		}
	}
	if b.reasons == nil {
		b.reasons = map[string]string{}
	}
	b.reasons[string(k)] = reason
	return reason
}

func (b *builder) changeReason(who string, adds []licTarget, removes []licensing.SkuID, conflict string) string {
	addNames, remNames := b.licenseNames(adds, removes)
	prefix := ""
	if who != "" {
		prefix = who + ": "
	}
	switch {
	case len(adds) > 0 && len(removes) > 0:
		return fmt.Sprintf("%sswap %s in one call%s", prefix, b.swapPhrase(adds, removes), conflict)
	case len(adds) > 0:
		return fmt.Sprintf("%sassign %s", prefix, strings.Join(addNames, ", "))
	default:
		return fmt.Sprintf("%sremove %s", prefix, strings.Join(remNames, ", "))
	}
}

// licenseNames names the SKUs a change adds and removes, for its reason.
func (b *builder) licenseNames(adds []licTarget, removes []licensing.SkuID) (addNames, remNames []string) {
	for _, a := range adds {
		addNames = append(addNames, a.sub.Sku.Title())
	}
	for _, r := range removes {
		remNames = append(remNames, b.cat.SkuNamed(r, licensing.NamesBoth))
	}
	return addNames, remNames
}

// swapPhrase is "OLD → NEW" for a change that removes and adds.
func (b *builder) swapPhrase(adds []licTarget, removes []licensing.SkuID) string {
	addNames, remNames := b.licenseNames(adds, removes)
	return strings.Join(remNames, ", ") + " → " + strings.Join(addNames, ", ")
}

// migration selects the direct paths to remove in a direct → group migration: only those whose
// every enabled plan is already enabled by the user's active group paths of the same SKU, and
// that the desired state does not keep as direct. Users are put in waves in snapshot order.
func (b *builder) migration() (removals [][]migrationRemoval, waveOf []int32) {
	m := b.d.MigrateDirectToGroup
	if m == nil {
		return nil, nil
	}
	var selected []int
	if m.Users.All {
		selected = make([]int, 0, b.w.NumUsers())
		for u := 0; u < b.w.NumUsers(); u++ {
			selected = append(selected, u)
		}
	} else {
		seen := map[int]bool{}
		for i, ref := range m.Users.Users {
			u, err := b.w.LookupUser(ref)
			if err != nil {
				b.problemFromErr(fmt.Sprintf("migrateDirectToGroup.users[%d]", i), err, SeverityError, "")
				continue
			}
			if !seen[u] {
				seen[u] = true
				selected = append(selected, u)
			}
		}
		slices.Sort(selected)
	}
	removals = prefault.Make[[]migrationRemoval](b.w.NumUsers(), b.w.NumUsers())
	// Two halves at once: each user's removals depend only on the user's paths. Problems
	// and movers are put back in user order.
	half := len(selected) / 2
	var (
		wg       sync.WaitGroup
		problems [2][]Problem
		moved    [2][]int
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		problems[1], moved[1] = b.migrateUsers(selected[half:], m.Users.All, newInterner(b.before), removals)
	}()
	problems[0], moved[0] = b.migrateUsers(selected[:half], m.Users.All, b.in, removals)
	wg.Wait()
	b.plan.Problems = append(append(b.plan.Problems, problems[0]...), problems[1]...)
	movers := append(moved[0], moved[1]...)
	waveOf = make([]int32, b.w.NumUsers())
	waves := m.Waves
	if len(waves) == 0 {
		waves = []float64{1}
	}
	n := len(movers)
	w := 0
	for k, u := range movers {
		for w < len(waves)-1 && k >= int(math.Ceil(waves[w]*float64(n))) {
			w++
		}
		waveOf[u] = int32(w)
	}
	return removals, waveOf
}

// migrateUsers works out the direct paths a migration removes from each of users (into
// removals, at the user's index), returning the problems it finds and the users with a
// removal, both in the order of users. all is migrateDirectToGroup.users "all" (kept paths
// are then not reported one by one). It only reads the builder's state, so two calls on
// different users may run at once, each with its own interner.
func (b *builder) migrateUsers(users []int, all bool, in *interner, removals [][]migrationRemoval) (problems []Problem, movers []int) {
	var buf []licensing.Path
	var nbuf []string
	for _, u := range users {
		buf = b.w.Bulk().AppendPaths(buf[:0], u)
		paths := buf
		t := b.users[u]
		for _, p := range paths {
			if !p.Direct() {
				continue
			}
			sku, _ := b.cat.Sku(p.Sku)
			if t != nil && slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
				if !all {
					problems = append(problems, Problem{Kind: licensing.NotCovered, Severity: SeverityInfo, Target: b.w.UserTarget(u), SkuID: p.Sku,
						Message: fmt.Sprintf("%s: direct %s kept: the desired state lists it for the user", b.w.UserTarget(u), sku.Title())})
				}
				continue
			}
			var groupOn licensing.PlanSet
			full := false // a group path enables every plan of the SKU
			groups := nbuf[:0]
			for _, q := range paths {
				if q.Sku == p.Sku && !q.Direct() && q.State.Enables() {
					if q.Disabled.IsEmpty() {
						full = true
					} else if !full {
						groupOn.UnionWith(sku.PlanSet().Minus(q.Disabled))
					}
					groups = append(groups, b.w.Group(mustGroup(b.w, q.Group)).DisplayName)
				}
			}
			nbuf = groups
			if full {
				groupOn = sku.PlanSet()
			}
			if len(groups) == 0 {
				if !all {
					problems = append(problems, Problem{Kind: licensing.NotCovered, Severity: SeverityInfo, Target: b.w.UserTarget(u), SkuID: p.Sku,
						Message: fmt.Sprintf("%s: direct %s kept: no active group path gives %s", b.w.UserTarget(u), sku.Title(), sku.Title())})
				}
				continue
			}
			on := sku.PlanSet().Minus(p.Disabled)
			if missing := on.Minus(groupOn); !missing.IsEmpty() {
				names := in.joined(groups, ", ")
				tail := in.memo(string(p.Sku[:])+names+string(mustBinary(missing)), func() string {
					return fmt.Sprintf(": direct %s kept: groups %s do not enable %s", sku.Title(), names, strings.Join(b.planTitles(missing), ", "))
				})
				target := b.w.UserTarget(u)
				problems = append(problems, Problem{Kind: licensing.NotCovered, Severity: SeverityInfo, Target: target, SkuID: p.Sku, ServicePlans: in.planIDs(missing),
					Message: target.String() + tail})
				continue
			}
			removals[u] = append(removals[u], migrationRemoval{sku: p.Sku, group: in.joined(groups, ", ")})
		}
		if len(removals[u]) > 0 {
			movers = append(movers, u)
		}
	}
	return problems, movers
}

func mustGroup(s *licensing.State, id string) int {
	g, err := s.LookupGroup(id)
	if err != nil {
		panic(err)
	}
	return g
}

// maxReleaserDeps is how many steps freeing seats of a SKU a reprocess depends on by name; past
// it, the reprocess goes in a wave after every step planned before it instead, so that many
// members waiting for seats many steps free cost a plan of members + steps, not their product.
const maxReleaserDeps = 32

// reprocessSteps asks Entra to evaluate group paths in error again where the plan removed the
// cause: a conflicting direct license of the user, or seats freed by earlier steps. Each
// reprocess step waits for the user's own steps and for the steps that freed seats (by name,
// or by wave past maxReleaserDeps).
func (b *builder) reprocessSteps() {
	candidates := append([]int(nil), b.touched...)
	if len(b.releasers) > 0 {
		isTouched := make([]bool, b.w.NumUsers())
		for _, u := range b.touched {
			isTouched[u] = true
		}
		for u := 0; u < b.w.NumUsers(); u++ {
			if isTouched[u] {
				continue
			}
			if b.w.Bulk().HasPathInError(u, licensing.CountViolation, false) {
				candidates = append(candidates, u)
			}
		}
		slices.Sort(candidates)
	}
	lastWave := 0 // the latest wave planned before the reprocess steps
	for _, s := range b.plan.Steps {
		lastWave = max(lastWave, s.Wave)
	}
	for _, u := range candidates {
		if !b.w.Bulk().HasPathInError(u, licensing.None, true) {
			continue
		}
		target := b.w.UserTarget(u)
		o := b.w.Predict(licensing.Change{Kind: licensing.ReprocessUser, User: target.ID})
		if len(o.Users) == 0 {
			continue
		}
		deps := b.deps(u)
		wave := 0
		reason := "reprocess the user's group licenses now that the cause of their error is gone"
		for _, p := range b.w.Paths(u) {
			if p.State != licensing.PathError || p.Error != licensing.CountViolation {
				continue
			}
			if rs := b.releasers[p.Sku]; len(rs) <= maxReleaserDeps {
				deps = append(deps, rs...)
			} else {
				// A wave starts once every step of the waves before it succeeded: all the
				// steps that free seats of the SKU among them.
				wave = lastWave + 1
				reason = b.in.memo("reprocess-wave", func() string {
					return fmt.Sprintf("reprocess the user's group licenses in wave %d, after every step of the waves before it, among them those that free the seats the user's group licenses wait for", lastWave+1)
				})
			}
		}
		step := b.add(&Step{Action: ReprocessLicenseAssignment, Target: target, DependsOn: dedupe(deps), Wave: wave, Reason: reason})
		before := b.w.EnabledPlans(u)
		b.w.Apply(licensing.Change{Kind: licensing.ReprocessUser, User: target.ID})
		after := b.w.EnabledPlans(u)
		step.Gained, step.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
		b.depends(u, step.ID)
	}
}

// hasDirectStep reports whether user u has an assignLicense step in the plan so far.
func (b *builder) hasDirectStep(u int) bool {
	_, ok := slices.BinarySearch(b.touched, u)
	return ok
}

// holdsDirectly reports whether user u now holds directly a SKU that group g assigns (a move
// from the group to direct licenses).
func (b *builder) holdsDirectly(u, g int) bool {
	for _, p := range b.w.Paths(u) {
		if p.Direct() && slices.ContainsFunc(b.w.GroupLicenses(g), func(l licensing.AssignedLicense) bool { return l.SkuID == p.Sku }) {
			return true
		}
	}
	return false
}

func (b *builder) leaveSteps() {
	for u, t := range b.users {
		if t == nil || !t.groupsSet || t.mode != ModeExact {
			continue
		}
		for _, g := range b.w.UserGroups(u) {
			if slices.Contains(t.groups, g) || len(b.w.GroupLicenses(g)) == 0 {
				continue
			}
			target := b.w.UserTarget(u)
			gt := b.w.GroupTarget(g)
			if b.refusedByKind(RemoveGroupMember, g, target, t.from) {
				continue
			}
			reason := fmt.Sprintf("leave licensed group %s (%s)", gt.Name, t.from)
			if joined := b.joined[u]; len(joined) > 0 {
				names := make([]string, len(joined))
				for i, j := range joined {
					names[i] = b.w.Group(j).DisplayName
				}
				verb := "have"
				if len(names) == 1 {
					verb = "has"
				}
				reason += fmt.Sprintf(", once %s %s processed the user: the new licenses first, then the old go (no gap)", strings.Join(names, ", "), verb)
			} else if b.hasDirectStep(u) && b.holdsDirectly(u, g) {
				reason += ", after the user's direct licenses are in place"
			}
			step := b.add(&Step{Action: RemoveGroupMember, Target: target, Group: &gt, DependsOn: b.deps(u),
				Reason: reason, Expect: b.in.member(true), Result: b.in.member(false)})
			before := b.w.EnabledPlans(u)
			o := b.w.Apply(licensing.Change{Kind: licensing.RemoveGroupMember, User: target.ID, Group: gt.ID})
			for _, v := range o.Violations {
				b.problemFromErr("", v, SeverityError, step.ID)
			}
			b.released(step, o)
			after := b.w.EnabledPlans(u)
			step.Gained, step.Lost = b.in.planIDs(after.Minus(before)), b.in.planIDs(before.Minus(after))
			b.serviceLoss(step, target, before, after)
			b.depends(u, step.ID)
		}
	}
}

// stuckChecks reports the targeted users' stuck group paths (licensing.Path.Stuck) with their
// fix. Entra keeps such a path while another enabled plan depends on it ("can't be removed
// until the dependency is resolved"): it goes when the dependency is resolved and the user is
// reprocessed. A path an exact target leaves out is an error: the plan cannot remove it.
func (b *builder) stuckChecks() {
	var buf []licensing.Path
	for u, t := range b.users {
		if t == nil {
			continue
		}
		buf = b.w.Bulk().AppendPaths(buf[:0], u)
		for k, p := range buf {
			if !p.Stuck {
				continue
			}
			target := b.w.UserTarget(u)
			sev := SeverityWarning
			if t.mode == ModeExact && !slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
				sev = SeverityError
			}
			b.problem(Problem{Kind: licensing.DependencyViolation, Severity: sev, Target: target, SkuID: p.Sku,
				Message: fmt.Sprintf("%s: %s from group %s is stuck (%s, %s/%s): Entra keeps it until the dependency is resolved%s; then reprocess the user and it goes",
					target, b.cat.SkuNamed(p.Sku, licensing.NamesBoth), b.groupLabel(b.w.Bulk().PathGroup(p)), b.stuckCause(u, p), p.State, p.Error, b.dependents(buf, k))})
		}
	}
}

// discouragedChecks warns where the plan leaves a targeted user with a combination a
// `discouraged` rule names (Microsoft: "not recommended"; Entra accepts it): plans that
// conflict, or a plan without its prerequisite, that the user did not have before the plan.
func (b *builder) discouragedChecks() {
	has := false
	for _, x := range b.rules.Rules().MutuallyExclusive {
		has = has || !x.Strength.Refused()
	}
	for _, x := range b.rules.Rules().Prerequisites {
		has = has || !x.Strength.Refused()
	}
	if !has {
		return // the defaults have none: no per-user work
	}
	for u, t := range b.users {
		if t == nil {
			continue
		}
		target := b.w.UserTarget(u)
		was, is := b.before.Effective(u), b.w.Effective(u)
		had := b.rules.DiscouragedConflicts(was.BySku)
		for _, c := range b.rules.DiscouragedConflicts(is.BySku) {
			if !slices.ContainsFunc(had, func(h licensing.Conflict) bool {
				return h.Plans == c.Plans || h.Plans == [2]licensing.PlanID{c.Plans[1], c.Plans[0]}
			}) {
				b.problem(Problem{Kind: licensing.MutuallyExclusiveViolation, Severity: SeverityWarning, Target: target, SkuID: c.Skus[0], ServicePlans: c.Plans[:],
					Message: fmt.Sprintf("%s: %s (from %s) with %s (from %s) is not recommended (rule %q, %s); Entra accepts it", target,
						b.cat.PlanNamed(c.Plans[0], licensing.NamesBoth), b.cat.SkuNamed(c.Skus[0], licensing.NamesBoth), b.cat.PlanNamed(c.Plans[1], licensing.NamesBoth), b.cat.SkuNamed(c.Skus[1], licensing.NamesBoth), c.Rule.Name, c.Rule.Source)})
			}
		}
		missing := b.rules.DiscouragedPrerequisites(was.Enabled)
		for _, m := range b.rules.DiscouragedPrerequisites(is.Enabled) {
			if !slices.ContainsFunc(missing, func(w licensing.MissingPrerequisite) bool { return w.Plan == m.Plan }) {
				names := b.planNames(m.AnyOf)
				b.problem(Problem{Kind: licensing.DependencyViolation, Severity: SeverityWarning, Target: target, ServicePlans: append([]licensing.PlanID{m.Plan}, m.AnyOf...),
					Message: fmt.Sprintf("%s: %s without one of %s is not recommended (rule %q, %s); Entra accepts it", target, b.cat.PlanNamed(m.Plan, licensing.NamesBoth), strings.Join(names, ", "), m.Rule.Name, m.Rule.Source)})
			}
		}
	}
}

// groupLabel names group g, an absent (deleted) one by its id.
func (b *builder) groupLabel(g int) string {
	if b.w.GroupAbsent(g) {
		return b.w.Group(g).ID + " (deleted)"
	}
	return b.w.Group(g).DisplayName
}

// stuckCause says why stuck path p of user u no longer comes from its group.
func (b *builder) stuckCause(u int, p licensing.Path) string {
	switch {
	case b.w.GroupAbsent(b.w.Bulk().PathGroup(p)):
		return "the group was deleted"
	case !slices.Contains(b.w.UserGroups(u), b.w.Bulk().PathGroup(p)):
		return "the user is no longer a member"
	}
	return "the group no longer assigns the SKU"
}

// dependents names the plans that need what path k of ps enables (", <plan> needs one of …"),
// or "" when nothing does any more.
func (b *builder) dependents(ps []licensing.Path, k int) string {
	var with, without licensing.PlanSet
	for i, p := range ps {
		if !p.State.Enables() {
			continue
		}
		sku, _ := b.cat.Sku(p.Sku)
		on := sku.PlanSet().Minus(p.Disabled)
		with.UnionWith(on)
		if i != k {
			without.UnionWith(on)
		}
	}
	was := b.rules.MissingPrerequisites(with)
	var out []string
	for _, m := range b.rules.MissingPrerequisites(without) {
		if !slices.ContainsFunc(was, func(w licensing.MissingPrerequisite) bool { return w.Plan == m.Plan }) {
			names := b.planNames(m.AnyOf)
			out = append(out, fmt.Sprintf("%s needs one of %s", b.cat.PlanNamed(m.Plan, licensing.NamesBoth), strings.Join(names, ", ")))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, "; ") + ": give the user the prerequisite another way, or remove or disable the dependent plan)"
}

// inheritedChecks reports exact targets that the plan cannot meet because a group still gives
// the user a SKU the target leaves out.
func (b *builder) inheritedChecks() {
	for u, t := range b.users {
		if t == nil || t.mode != ModeExact {
			continue
		}
		reported := map[licensing.SkuID]bool{}
		for _, p := range b.w.Paths(u) {
			if p.Direct() || p.Stuck || reported[p.Sku] || slices.ContainsFunc(t.lic, func(lt licTarget) bool { return lt.sub.Sku.ID == p.Sku }) {
				continue // stuck paths: stuckChecks
			}
			gi := mustGroup(b.w, p.Group)
			if t.groupsSet && slices.Contains(t.groups, gi) {
				continue // the target asks for this group's licenses
			}
			reported[p.Sku] = true
			g := b.w.Group(gi)
			target := b.w.UserTarget(u)
			b.problem(Problem{Kind: licensing.InheritedLicense, Severity: SeverityError, Target: target, SkuID: p.Sku,
				Message: fmt.Sprintf("%s: %s comes from group %s and cannot be removed from the user directly; list the group's licenses in the target, %s", target, b.cat.SkuNamed(p.Sku, licensing.NamesBoth), g.DisplayName, b.leaveAdvice(gi))})
		}
	}
}

func (b *builder) seats() {
	after := b.w.Subscriptions()
	for i, s := range b.before.Subscriptions() {
		b.plan.Seats = append(b.plan.Seats, SeatChange{SkuID: s.Sku.ID, SkuPartNumber: s.Sku.PartNumber, Available: s.Seats(), ConsumedBefore: s.Consumed, ConsumedAfter: after[i].Consumed})
	}
	slices.SortFunc(b.plan.Seats, func(a, c SeatChange) int {
		if r := strings.Compare(a.SkuPartNumber, c.SkuPartNumber); r != 0 {
			return r
		}
		return a.SkuID.Compare(c.SkuID)
	})
}
