package planner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

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
	for _, s := range b.plan.Steps {
		s.Reason = s.why.defaultText(b.cat) // the text of the reasons, once each
	}
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
	reasons   map[string]*reason // directReason's reasons by their inputs
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
