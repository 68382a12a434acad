package planner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/internal/parallel"
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
		waits:  map[int]int32{},
		in:     newInterner(st),
	}
	b.resolve()
	finishReclaim := b.reclaim() // build_reclaim.go: reclaim's targets now; its reasons, waves and mailbox warnings on the finished plan
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
	b.expiryChecks() // build_expiry.go: SubscriptionExpiring warnings
	b.orderByWave()
	b.ruleReasons() // build_rules.go: rule-driven steps name their rule
	finishReclaim()
	b.finish()
	return b.plan
}

// orderByWave puts the steps in wave order (stable: within a wave, the order they were planned
// in), so a plan reads top to bottom as it runs: the steps' positions, their dependencies and
// the problems' steps follow.
func (b *builder) orderByWave() {
	steps := b.steps
	// A step runs no earlier than the latest wave of the steps it depends on (a user's group
	// leave after their migration removal belongs to the migration's wave). Dependencies are
	// always before their dependents, so one pass in order settles it.
	sorted := true
	for i, s := range steps {
		for _, d := range b.after(s) {
			s.Wave = max(s.Wave, steps[d].Wave)
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
			panic(fmt.Sprintf("planner: step s%d has negative wave %d", s.n+1, s.Wave))
		}
		for len(first) <= s.Wave+1 {
			first = append(first, 0)
		}
		first[s.Wave+1]++
	}
	for w := 1; w < len(first); w++ {
		first[w] += first[w-1]
	}
	order := make([]int32, len(steps)) // position before sorting → position after
	out := make([]*stepSlot, len(steps))
	for i, s := range steps {
		order[i] = int32(first[s.Wave])
		out[first[s.Wave]] = s
		first[s.Wave]++
	}
	parallel.Ranges(len(steps), parallel.Parts(len(steps)), func(_, lo, hi int) {
		for _, s := range steps[lo:hi] { // each step's dependencies are its own
			s.n = order[s.n]
			after := b.after(s)
			for k, d := range after {
				after[k] = order[d]
			}
		}
	})
	for k, at := range b.probAt {
		if at > 0 {
			b.probAt[k] = order[at-1] + 1
		}
	}
	b.steps = out
}

// finish gives the plan its steps, in order, numbered s1, s2, …: their ids, the ids they
// depend on, the ids the problems name, and the text of their reasons.
func (b *builder) finish() {
	if len(b.steps) > 0 {
		b.stepID(len(b.steps)) // every id made: stepID only reads from here on
	}
	var last *reason
	for _, s := range b.steps {
		if s.why != last { // steps share reasons, often in a row
			s.why.defaultText(b.cat) // the text of the reasons, once each
			last = s.why
		}
	}
	// The rest is step by step, on every core: each range of steps carves its DependsOn from
	// its own part of one allocation.
	parts := parallel.Parts(len(b.steps))
	deps := make([]int, parts+1) // deps[part+1]: the dependencies of the part's steps
	parallel.Ranges(len(b.steps), parts, func(part, lo, hi int) {
		for _, s := range b.steps[lo:hi] {
			deps[part+1] += len(b.after(s))
		}
	})
	for part := range parts {
		deps[part+1] += deps[part]
	}
	all := make([]string, deps[parts]) // every step's DependsOn
	b.plan.Steps = make([]*Step, len(b.steps))
	parallel.Ranges(len(b.steps), parts, func(part, lo, hi int) {
		ids := all[deps[part]:deps[part+1]]
		for i := lo; i < hi; i++ {
			s := b.steps[i]
			s.ID = b.stepID(i + 1)
			if after := b.after(s); len(after) > 0 {
				n := len(after)
				s.DependsOn, ids = ids[:n:n], ids[n:]
				for k, d := range after {
					s.DependsOn[k] = b.stepID(int(d) + 1)
				}
			}
			s.Reason = ""
			if s.why != nil {
				s.Reason = s.why.text // made above
			}
			b.plan.Steps[i] = &s.Step
		}
	})
	for k, at := range b.probAt {
		if at > 0 {
			b.plan.Problems[k].Step = b.stepID(int(at))
		}
	}
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
	waits  map[int]int32 // group index → its latest waitForGroupProcessing step
	abuf   []licensing.AssignedLicense
	// releasers are the steps that free seats of a SKU (a reprocess of a CountViolation waits for them)
	releasers map[licensing.SkuID][]int32
	// per-user steps that later steps of the same user depend on (by user index; nil until
	// used): the first in firstStep (its position + 1, 0 for none), any others in moreSteps
	// (most users have one step)
	firstStep []int32
	moreSteps map[int][]int32
	joined    map[int][]int              // user → groups joined in this plan
	bridged   map[int][]migrationRemoval // user → direct licenses that bridged a move to a group (moves.go)
	touched   []int                      // users with a direct step, ascending
	in        *interner
	reasons   reasonMemo      // users' assignLicense reasons made on Build's goroutine
	slab      []stepSlot      // steps are carved from slabs: one allocation per many steps
	slabs     chan []stepSlot // slabs made ahead on another goroutine (directSteps), or nil
	ids       []*[1024]string // stepID's ids: "s<n>" is ids[(n-1)/1024][(n-1)%1024]

	// Steps are numbered by their position in steps (planning order, then wave order:
	// orderByWave) until finish names them s1, s2, …
	steps []*stepSlot
	// maxWave is the latest wave of the steps added (their waves as added: orderByWave may
	// raise them later)
	maxWave int
	probAt  []int32 // problem k's step: its position + 1, 0 for none (may be shorter than Problems)
	arena   []int32 // the steps' dependencies, one step's after another's: their number, then their positions
	dbuf    []int32 // deps's buffer
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

// stepProblem adds a problem about step s (or about no step, when s is nil).
func (b *builder) stepProblem(s *stepSlot, p Problem) {
	if s != nil {
		for len(b.probAt) < len(b.plan.Problems) {
			b.probAt = append(b.probAt, 0)
		}
		b.probAt = append(b.probAt, s.n+1)
	}
	b.problem(p)
}

func (b *builder) problemFromErr(at string, err error, sev Severity, step *stepSlot) {
	e, ok := err.(*licensing.Error)
	if !ok {
		e = &licensing.Error{Kind: licensing.InvalidInput, Message: err.Error()}
	}
	msg := e.Message
	if at != "" {
		msg = at + ": " + msg
	}
	b.stepProblem(step, Problem{Kind: e.Kind, Severity: sev, Target: e.Target, SkuID: e.SkuID, ServicePlans: e.Plans, Message: msg})
}

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

// slabSize is the most steps a slab holds.
const slabSize = 4096

// newSlab returns an empty slab with its pages mapped: one made ahead if there is one ready
// (slabsAhead), else a new one.
func (b *builder) newSlab() []stepSlot {
	select {
	case s := <-b.slabs: // nil: never ready
		return s
	default:
	}
	return prefault.Make[stepSlot](0, min(slabSize, max(16, len(b.steps))))
}

// slabsAhead makes full slabs on another goroutine, a few ahead of add, until the function it
// returns is called: mapping a million steps' pages (half a gigabyte, faulted in page by page)
// then costs the goroutine that plans them nothing.
func (b *builder) slabsAhead() (stop func()) {
	slabs, done := make(chan []stepSlot, 2), make(chan struct{})
	b.slabs = slabs
	go func() {
		for {
			s := prefault.Make[stepSlot](0, slabSize)
			select {
			case slabs <- s:
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		b.slabs = nil
	}
}

// add appends a copy of *s, carved from a slab, to the plan's steps, depending on the steps at
// the positions after (which add copies: a buffer may be reused), and returns the copy's slot.
func (b *builder) add(s *Step, after []int32) *stepSlot {
	if len(b.slab) == cap(b.slab) {
		b.slab = b.newSlab()
	}
	b.slab = append(b.slab, stepSlot{Step: *s, n: int32(len(b.steps)), after: -1, user: -1})
	b.maxWave = max(b.maxWave, s.Wave)
	slot := &b.slab[len(b.slab)-1]
	if len(after) > 0 {
		slot.after = int32(len(b.arena))
		b.arena = append(append(b.arena, int32(len(after))), after...)
	}
	b.steps = prefault.Append(b.steps, slot)
	return slot
}

// after returns the positions of the steps s depends on, in the builder's memory.
func (b *builder) after(s *stepSlot) []int32 {
	if s.after < 0 {
		return nil
	}
	return b.arena[s.after+1 : s.after+1+b.arena[s.after]]
}

// stepSlot is a step with room for the expectations of a user's assignLicense step (Expect
// and Result point there): one slab holds both, so that steps cost no allocation of their own.
// It holds what the builder knows of the step by number until finish names it.
type stepSlot struct {
	Step
	exp   [2]Expectation
	n     int32 // the step's position in builder.steps
	after int32 // where its dependencies are in builder.arena, -1 for none
	user  int32 // the user (index) of a user's assignLicense step, -1 for other steps
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

// maxReleaserDeps is how many steps freeing seats of a SKU a reprocess depends on by name; past
// it, the reprocess goes in a wave after every step planned before it instead, so that many
// members waiting for seats many steps free cost a plan of members + steps, not their product.
const maxReleaserDeps = 32

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
