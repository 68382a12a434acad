package planner

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/licenseplan/licenseplan/licensing"
)

// Names: the one place a plan names SKUs and service plans, for its text and Markdown, the
// names in its plan/v1 JSON and the messages of Apply.

// nameTable holds the SKUs and plans a plan read from plan/v1 knows by name: its names section,
// and the seats' part numbers (all that files written before the section carry).
type nameTable struct {
	skus  map[licensing.SkuID]*licensing.Sku
	plans map[licensing.PlanID]*licensing.ServicePlan
}

// microsoftNames is Microsoft's catalog, embedded in licensing: the names of last resort.
var microsoftNames = sync.OnceValue(licensing.MicrosoftCatalog)

// sku returns what the plan knows of the SKU's names — from its catalog (Build's, or
// WithCatalog's), else from the plan/v1 file it was read from (its names section, or its seats
// in files written before it; a Plan made in Go has its seats), else from Microsoft's
// catalog — or nil.
func (p *Plan) sku(id licensing.SkuID) *licensing.Sku {
	if p.cat != nil {
		if s, ok := p.cat.Sku(id); ok {
			return s
		}
	}
	if p.known != nil {
		if s, ok := p.known.skus[id]; ok {
			return s
		}
	} else {
		for _, s := range p.Seats {
			if s.SkuID == id && s.SkuPartNumber != "" {
				return &licensing.Sku{ID: id, PartNumber: s.SkuPartNumber}
			}
		}
	}
	if s, ok := microsoftNames().Sku(id); ok {
		return s
	}
	return nil
}

// servicePlan returns what the plan knows of the service plan's names (see sku), or nil.
func (p *Plan) servicePlan(id licensing.PlanID) *licensing.ServicePlan {
	if p.cat != nil {
		if sp, ok := p.cat.Plan(id); ok {
			return sp
		}
	}
	if p.known != nil {
		if sp, ok := p.known.plans[id]; ok {
			return sp
		}
	}
	if sp, ok := microsoftNames().Plan(id); ok {
		return sp
	}
	return nil
}

// skuName and planNames name by part number and plan name whatever the plan's style: Apply's
// messages (and the tests and logs that match them) use them.
func (p *Plan) skuName(id licensing.SkuID) string {
	return namer{p: p, style: licensing.NamesPart}.sku(id)
}

func (p *Plan) planNames(ids []licensing.PlanID) string {
	return namer{p: p, style: licensing.NamesPart}.plans(ids)
}

// namer names a plan's SKUs and plans in a style. The one made by newNamer remembers what it
// named, for one rendering: steps share their lists, so a million steps name a few lists.
// Not for concurrent use.
type namer struct {
	p       *Plan
	style   licensing.NameStyle
	skus    map[licensing.SkuID]string // nil: no cache
	lists   map[listKey]string
	reasons map[*reason]string
}

// listKey is a list of plans (steps share their slices) as one rendering writes it.
type listKey struct {
	first *licensing.PlanID
	n     int
	how   string // "" for one line, else the prefix of a wrapped list
}

func (p *Plan) newNamer() namer {
	return namer{p: p, style: p.names, skus: map[licensing.SkuID]string{}, lists: map[listKey]string{}, reasons: map[*reason]string{}}
}

// sku names the SKU: "Office 365 E3 (ENTERPRISEPACK)" in the both style, or its id when the
// plan does not know it.
func (n namer) sku(id licensing.SkuID) string {
	if name, ok := n.skus[id]; ok {
		return name
	}
	name := id.String()
	if s := n.p.sku(id); s != nil {
		name = s.Named(n.style)
	}
	if n.skus != nil {
		n.skus[id] = name
	}
	return name
}

// list names service plans for a list and says how to join them: in the part style, plan names
// in the plan's order joined by spaces (as always); otherwise friendly names ("Exchange Online
// (Plan 2)"; a plan without one by its name, one the plan does not know by its id) sorted and
// joined by ", ". Lists of titles ("Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)") wrap to
// one plan a line, so the both style lists friendly names too: the plan names are in the part
// style, in the reasons and messages of Build, and in plan/v1's names section.
func (n namer) list(ids []licensing.PlanID) (names []string, sep string) {
	style := licensing.NamesProduct
	if n.style == licensing.NamesPart {
		style = licensing.NamesPart
	}
	names = make([]string, len(ids))
	for i, id := range ids {
		if sp := n.p.servicePlan(id); sp != nil {
			names[i] = sp.Named(style)
		} else {
			names[i] = id.String()
		}
	}
	if style == licensing.NamesPart {
		return names, " "
	}
	slices.Sort(names)
	return names, ", "
}

// cached returns the list as write writes it, written once per rendering.
func (n namer) cached(ids []licensing.PlanID, how string, write func() string) string {
	if len(ids) == 0 || n.lists == nil {
		return write()
	}
	k := listKey{&ids[0], len(ids), how}
	if out, ok := n.lists[k]; ok {
		return out
	}
	out := write()
	n.lists[k] = out
	return out
}

// plans is list on one line.
func (n namer) plans(ids []licensing.PlanID) string {
	return n.cached(ids, "", func() string {
		names, sep := n.list(ids)
		return strings.Join(names, sep)
	})
}

// listWidth is where WriteText wraps a list of friendly plan names.
const listWidth = 100

// wrapped is "<prefix>names\n" for WriteText: on one line in the part style (as always),
// wrapped at listWidth with continuation lines under the first name otherwise.
func (n namer) wrapped(prefix string, ids []licensing.PlanID) string {
	return n.cached(ids, prefix, func() string {
		names, sep := n.list(ids)
		if sep == " " {
			return prefix + strings.Join(names, sep) + "\n"
		}
		var b strings.Builder
		b.WriteString(prefix)
		indent := utf8.RuneCountInString(prefix)
		cont := "\n" + strings.Repeat(" ", indent)
		col := indent
		for i, name := range names {
			w := utf8.RuneCountInString(name)
			if i < len(names)-1 {
				name += ","
				w++
			}
			if i > 0 {
				if col+1+w > listWidth {
					b.WriteString(cont)
					col = indent
				} else {
					b.WriteString(" ")
					col++
				}
			}
			b.WriteString(name)
			col += w
		}
		b.WriteString("\n")
		return b.String()
	})
}

// plan names one service plan in the namer's style, or by its id when the plan does not know it.
func (n namer) plan(id licensing.PlanID) string {
	if sp := n.p.servicePlan(id); sp != nil {
		return sp.Named(n.style)
	}
	return id.String()
}

// reason is the step's reason with its SKUs and plans named in the namer's style. The default
// style's is Step.Reason as Build wrote it (and as plan/v1 carries it); another style renders
// the step's typed reason, where it has one and Reason is still its text. A step read from
// plan/v1, or whose Reason was changed, has its Reason as it is.
func (n namer) reason(s *Step) string {
	r := s.why
	if r == nil || n.style == licensing.NamesBoth || s.Reason != r.text {
		return s.Reason
	}
	if text, ok := n.reasons[r]; ok {
		return text
	}
	text := r.render(n)
	if n.reasons != nil {
		n.reasons[r] = text
	}
	return text
}

func (n namer) license(l licensing.AssignedLicense) string {
	s := n.sku(l.SkuID)
	if len(l.DisabledPlans) > 0 {
		s += " (off: " + n.plans(l.DisabledPlans) + ")"
	}
	return s
}

func targetText(t licensing.Target) string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// Summary describes a step's call in one line, its SKUs named in the plan's style (see
// WithNames), e.g. "assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)".
func (p *Plan) Summary(s *Step) string {
	return namer{p: p, style: p.names}.summary(s)
}

func (n namer) summary(s *Step) string {
	var b strings.Builder
	b.WriteString(s.Action.String())
	switch s.Action {
	case AssignLicense:
		for _, a := range s.AddLicenses {
			b.WriteString(" +")
			b.WriteString(n.license(a))
		}
		for _, r := range s.RemoveLicenses {
			b.WriteString(" -")
			b.WriteString(n.sku(r))
		}
	case SetUsageLocation:
		b.WriteString(" " + s.UsageLocation)
	case AddGroupMember, RemoveGroupMember, WaitForGroupProcessing:
		if s.Group != nil {
			b.WriteString(" " + targetText(*s.Group))
		}
	}
	return b.String()
}

// WriteText writes the plan as a readable diff: each step with its symbol (+ adds, - removes,
// ~ changes, … waits, ↻ reprocesses), reason and effect, the seat table and the problems.
func (p *Plan) WriteText(w io.Writer) error {
	bw, n := bufio.NewWriter(w), p.newNamer()
	state := "applyable"
	if !p.Applyable() {
		state = "NOT applyable"
	}
	fmt.Fprintf(bw, "Plan for tenant %s: %d steps, %d problems — %s\n", p.TenantID, len(p.Steps), len(p.Problems), state)
	wave, waves := -1, p.Waves()
	for _, s := range p.Steps {
		if waves > 1 && s.Wave != wave {
			wave = s.Wave
			fmt.Fprintf(bw, "\nwave %d\n", wave)
		} else if wave == -1 {
			wave = s.Wave
			bw.WriteString("\n")
		}
		kind := string(s.Target.Type)
		if s.Action == WaitForGroupProcessing {
			kind = "group"
		}
		fmt.Fprintf(bw, "%4s %s %s %s  %s\n", s.ID, s.Symbol(), kind, targetText(s.Target), n.summary(s))
		fmt.Fprintf(bw, "       why: %s\n", n.reason(s))
		if len(s.DependsOn) > 0 {
			fmt.Fprintf(bw, "       after: %s\n", strings.Join(s.DependsOn, ", "))
		}
		if len(s.Gained) > 0 {
			bw.WriteString(n.wrapped("       + ", s.Gained))
		}
		if len(s.Lost) > 0 {
			bw.WriteString(n.wrapped("       - ", s.Lost))
		}
		if len(s.Members) > 0 {
			fmt.Fprintf(bw, "       members affected: %d\n", len(s.Members))
			for i, m := range s.Members {
				if i == 10 {
					fmt.Fprintf(bw, "         … and %d more\n", len(s.Members)-10)
					break
				}
				line := "         " + targetText(m.User)
				if len(m.Gained) > 0 {
					line += " +[" + n.plans(m.Gained) + "]"
				}
				if len(m.Lost) > 0 {
					line += " -[" + n.plans(m.Lost) + "]"
				}
				if m.Error != licensing.None {
					line += " error " + m.Error.String()
				}
				bw.WriteString(line + "\n")
			}
		}
	}
	if len(p.Steps) == 0 && !p.Applyable() {
		bw.WriteString("\nNo steps: the plan has error-severity problems (below) and is not applyable; fix the desired state and plan again.\n")
	} else if len(p.Steps) == 0 {
		bw.WriteString("\nNo changes: the tenant already matches the desired state.\n")
	}
	bw.WriteString("\nSeats\n")
	order, names := p.seatOrder(n)
	width := 28 // as wide as the longest name, and never narrower than part numbers had
	for _, name := range names {
		width = max(width, utf8.RuneCountInString(name))
	}
	if p.prices == nil {
		fmt.Fprintf(bw, "  %-*s %9s %8s %8s\n", width, "SKU", "available", "before", "after")
	} else {
		fmt.Fprintf(bw, "  %-*s %9s %8s %8s %13s %13s\n", width, "SKU", "available", "before", "after", "cost before", "cost after")
	}
	for _, i := range order {
		s := p.Seats[i]
		mark := ""
		if s.ConsumedAfter > s.Available {
			mark = "  OVER"
		}
		if p.prices == nil {
			fmt.Fprintf(bw, "  %-*s %9d %8d %8d%s\n", width, names[i], s.Available, s.ConsumedBefore, s.ConsumedAfter, mark)
			continue
		}
		cb, ca := "—", "—"
		if b, a, ok := p.seatCost(s); ok {
			cb, ca = money(b), money(a)
		}
		fmt.Fprintf(bw, "  %-*s %9d %8d %8d %13s %13s%s\n", width, names[i], s.Available, s.ConsumedBefore, s.ConsumedAfter, cb, ca, mark)
	}
	if p.prices != nil {
		fmt.Fprintf(bw, "  %s\n", p.costSummary(n))
	}
	if len(p.Problems) > 0 {
		bw.WriteString("\nProblems\n")
		for _, pr := range p.Problems {
			step := ""
			if pr.Step != "" {
				step = " [" + pr.Step + "]"
			}
			fmt.Fprintf(bw, "  %-7s %s%s: %s\n", pr.Severity, pr.Kind, step, pr.Message)
		}
	}
	return bw.Flush()
}

// seatOrder names the seat rows and orders them by the name shown (case-insensitively), so a
// table in product names reads in order as one in part numbers does.
func (p *Plan) seatOrder(n namer) (order []int, names []string) {
	names = make([]string, len(p.Seats))
	order = make([]int, len(p.Seats))
	for i, s := range p.Seats {
		names[i], order[i] = n.sku(s.SkuID), i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return strings.Compare(strings.ToLower(names[a]), strings.ToLower(names[b]))
	})
	return order, names
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// WriteMarkdown writes the plan for review in a pull request: a summary, the steps as a table,
// seats and problems.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	bw, n := bufio.NewWriter(w), p.newNamer()
	state := "✅ applyable"
	if !p.Applyable() {
		state = "❌ not applyable"
	}
	fmt.Fprintf(bw, "## License plan for tenant `%s`\n\n%d steps, %d problems — %s\n\n", p.TenantID, len(p.Steps), len(p.Problems), state)
	if len(p.Steps) > 0 {
		bw.WriteString("| step | wave | target | change | why | gained | lost |\n|---|---|---|---|---|---|---|\n")
		for _, s := range p.Steps {
			fmt.Fprintf(bw, "| %s %s | %d | %s %s | `%s` | %s | %s | %s |\n", s.ID, s.Symbol(), s.Wave, s.Target.Type, mdEscape(targetText(s.Target)),
				mdEscape(n.summary(s)), mdEscape(n.reason(s)), mdEscape(n.plans(s.Gained)), mdEscape(n.plans(s.Lost)))
		}
		bw.WriteString("\n")
	}
	order, names := p.seatOrder(n)
	if p.prices == nil {
		bw.WriteString("### Seats\n\n| SKU | available | before | after |\n|---|---:|---:|---:|\n")
	} else {
		fmt.Fprintf(bw, "### Seats\n\n| SKU | available | before | after | cost before (%[1]s) | cost after (%[1]s) |\n|---|---:|---:|---:|---:|---:|\n", p.currency)
	}
	for _, i := range order {
		s := p.Seats[i]
		if p.prices == nil {
			fmt.Fprintf(bw, "| %s | %d | %d | %d |\n", mdEscape(names[i]), s.Available, s.ConsumedBefore, s.ConsumedAfter)
			continue
		}
		cb, ca := "—", "—"
		if b, a, ok := p.seatCost(s); ok {
			cb, ca = money(b), money(a)
		}
		fmt.Fprintf(bw, "| %s | %d | %d | %d | %s | %s |\n", mdEscape(names[i]), s.Available, s.ConsumedBefore, s.ConsumedAfter, cb, ca)
	}
	if p.prices != nil {
		fmt.Fprintf(bw, "\n%s\n", mdEscape(p.costSummary(n)))
	}
	if len(p.Problems) > 0 {
		bw.WriteString("\n### Problems\n\n| severity | kind | step | message |\n|---|---|---|---|\n")
		for _, pr := range p.Problems {
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", pr.Severity, pr.Kind, pr.Step, mdEscape(pr.Message))
		}
	}
	return bw.Flush()
}
