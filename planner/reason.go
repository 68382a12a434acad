package planner

import (
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// reasonKind is what a step's reason says (see reason).
type reasonKind uint8

// The kinds of reasons Build gives its steps.
const (
	// reasonChange: a user's or a group's one assignLicense (assign, remove, or swap in one
	// call), with the migration removals it carries.
	reasonChange         reasonKind = iota + 1
	reasonSwapAdd                   // make-before-break: the add, first
	reasonSwapRemove                // make-before-break: the remove, once the add is active
	reasonBridge                    // a direct swap before joining a group that conflicts (build_moves.go)
	reasonUsageLocation             // set or change a usage location
	reasonUsageReprocess            // reprocess after a usage location resolves group license errors
	reasonJoin                      // join a licensed group
	reasonLeave                     // leave a licensed group
	reasonWait                      // wait for a group to process its members
	reasonReprocess                 // reprocess now that the cause of the error is gone
	reasonReprocessWave             // reprocess in a wave after the steps that free seats
)

// reason says why a step is in the plan, as data: what kind of step it is and what it names
// (SKUs and plans by id, groups by name, the desired state's locations). Its text (Step.Reason)
// is rendered from it, naming SKUs and plans in a style: Build fills Step.Reason in the default
// style, and the text and Markdown renderings use the plan's (WithNames). Steps share reasons
// (a million users with one change hold one): a reason is not modified once a step holds it.
type reason struct {
	kind reasonKind
	// who is the group whose licenses a reasonChange changes ("group NAME"), "" for a user.
	who     string
	adds    []licensing.SkuID // SKUs added (change, swaps, bridge)
	removes []licensing.SkuID // SKUs removed (change, swaps, bridge)
	// conflicts are the conflicting plans: of the one call's swap (change: at most one list),
	// or of each removed SKU with the group's licenses (bridge).
	conflicts [][]licensing.PlanID
	mig       []migrationRemoval // the migration removals a change carries
	group     string             // the group's name (join, leave, wait, bridge)
	from      string             // where the desired state asks for it (usage location, join, leave)
	usage     string             // the usage location set
	before    string             // the usage location before, "" when none
	joined    []string           // leave: the groups the user joins first, by name
	direct    bool               // join: after the bridge swap; leave: after the user's direct licenses
	wave      int                // reprocessWave: the wave
	rules     []string           // the rules that drive the step (ruleReasons)
	reclaim   string             // why a reclaim selected the user ("account disabled"), "" when none

	text string // the text in the default style, once rendered (reasonText)
}

// reasonNames names what reasons name, in one style.
type reasonNames interface {
	sku(licensing.SkuID) string
	plan(licensing.PlanID) string
}

// catalogNames names SKUs and plans as Build always has: by the catalog, in the both style, by
// id when the catalog does not know them.
type catalogNames struct{ cat *licensing.Catalog }

func (c catalogNames) sku(id licensing.SkuID) string {
	return c.cat.SkuNamed(id, licensing.NamesBoth)
}

func (c catalogNames) plan(id licensing.PlanID) string {
	return c.cat.PlanNamed(id, licensing.NamesBoth)
}

// defaultText is the reason's text in the default style (what Step.Reason holds), rendered
// once per reason; "" for no reason.
func (r *reason) defaultText(cat *licensing.Catalog) string {
	if r == nil {
		return ""
	}
	if r.text == "" {
		r.text = r.render(catalogNames{cat})
	}
	return r.text
}

// render writes the reason for people, naming SKUs and plans with names.
func (r *reason) render(names reasonNames) string {
	var b strings.Builder
	skus := func(ids []licensing.SkuID) {
		for i, id := range ids {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(names.sku(id))
		}
	}
	plans := func(ids []licensing.PlanID) {
		for i, id := range ids {
			if i > 0 {
				b.WriteString(" and ")
			}
			b.WriteString(names.plan(id))
		}
	}
	swap := func() { // "OLD → NEW"
		skus(r.removes)
		b.WriteString(" → ")
		skus(r.adds)
	}
	switch r.kind {
	case reasonChange:
		r.change(&b, names, skus, plans, swap)
	case reasonSwapAdd:
		b.WriteString("make-before-break swap ")
		swap()
		b.WriteString(": add the new license first (both may be held at once)")
	case reasonSwapRemove:
		b.WriteString("make-before-break swap ")
		swap()
		b.WriteString(": remove the old license once the new one is active")
	case reasonBridge:
		b.WriteString("swap ")
		swap()
		b.WriteString(" directly in one call before joining group ")
		b.WriteString(r.group)
		b.WriteString(", whose ")
		skus(r.adds)
		b.WriteString(" conflicts with ")
		skus(r.removes)
		b.WriteString(" (")
		for i, c := range r.conflicts {
			if i > 0 {
				b.WriteString("; ")
			}
			plans(c)
		}
		b.WriteString("): joining first would put the group's license in error, dropping ")
		skus(r.removes)
		b.WriteString(" first would leave a gap; the direct ")
		skus(r.adds)
		b.WriteString(" goes once the group gives it")
	case reasonUsageLocation:
		if r.before == "" {
			b.WriteString("set usage location " + r.usage)
		} else {
			b.WriteString("change usage location " + r.before + " → " + r.usage)
		}
		b.WriteString(" (" + r.from + ")")
	case reasonUsageReprocess:
		b.WriteString("reprocess the user's group licenses: the new usage location resolves their error, and Entra applies them the next time the user is processed")
	case reasonJoin:
		b.WriteString("join licensed group " + r.group + " (" + r.from + ")")
		if r.direct {
			b.WriteString(", after the direct swap to its licenses")
		}
	case reasonLeave:
		b.WriteString("leave licensed group " + r.group + " (" + r.from + ")")
		switch {
		case len(r.joined) > 0:
			verb := "have"
			if len(r.joined) == 1 {
				verb = "has"
			}
			b.WriteString(", once " + strings.Join(r.joined, ", ") + " " + verb + " processed the user: the new licenses first, then the old go (no gap)")
		case r.direct:
			b.WriteString(", after the user's direct licenses are in place")
		}
	case reasonWait:
		b.WriteString("wait until group " + r.group + " has processed its members (licenseProcessingState ProcessingComplete)")
	case reasonReprocess:
		b.WriteString("reprocess the user's group licenses now that the cause of their error is gone")
	case reasonReprocessWave:
		b.WriteString("reprocess the user's group licenses in wave " + strconv.Itoa(r.wave) + ", after every step of the waves before it, among them those that free the seats the user's group licenses wait for")
	}
	if len(r.rules) > 0 {
		b.WriteString("; by rule")
		if len(r.rules) > 1 {
			b.WriteString("s")
		}
		b.WriteString(" " + strings.Join(r.rules, ", "))
	}
	if r.reclaim != "" {
		b.WriteString("; reclaim: " + r.reclaim)
	}
	return b.String()
}

// change renders a reasonChange: the call ("swap OLD → NEW in one call", "assign …",
// "remove …", for a group "group NAME: …"), then the migration removals it carries.
func (r *reason) change(b *strings.Builder, names reasonNames, skus func([]licensing.SkuID), plans func([]licensing.PlanID), swap func()) {
	what := "migrate to group-based licensing:"
	if bridges := countBridges(r.mig); bridges > 0 && bridges == len(r.mig) {
		what = "complete the move to group-based licensing:"
	}
	if len(r.mig) == 0 || len(r.adds) > 0 || len(r.removes) != len(r.mig) {
		if r.who != "" {
			b.WriteString(r.who + ": ")
		}
		switch {
		case len(r.adds) > 0 && len(r.removes) > 0:
			b.WriteString("swap ")
			swap()
			b.WriteString(" in one call")
			for _, c := range r.conflicts {
				b.WriteString(" (")
				plans(c)
				b.WriteString(" conflict)")
			}
		case len(r.adds) > 0:
			b.WriteString("assign ")
			skus(r.adds)
		default:
			b.WriteString("remove ")
			skus(r.removes)
		}
		if len(r.mig) == 0 {
			return
		}
		b.WriteString("; ")
	}
	b.WriteString(what)
	for i, m := range r.mig {
		if i > 0 {
			b.WriteString(";")
		}
		if m.bridge {
			b.WriteString(" direct " + names.sku(m.sku) + " bridged the move to group " + m.group + ", which gives it now")
			continue
		}
		b.WriteString(" direct " + names.sku(m.sku) + " is covered by group " + m.group)
	}
}

func countBridges(mig []migrationRemoval) int {
	n := 0
	for _, m := range mig {
		if m.bridge {
			n++
		}
	}
	return n
}

// The reasons that name nothing, shared by every step that has them.
var (
	usageReprocessReason = constReason(reasonUsageReprocess)
	reprocessReason      = constReason(reasonReprocess)
)

// constReason is a reason that names nothing, its text rendered now: shared by concurrent
// Builds, it is never written again.
func constReason(k reasonKind) *reason {
	r := &reason{kind: k}
	r.text = r.render(nil)
	return r
}
