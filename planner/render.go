package planner

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

func (p *Plan) skuName(id licensing.SkuID) string {
	if p.cat != nil {
		return p.cat.SkuName(id)
	}
	for _, s := range p.Seats {
		if s.SkuID == id && s.SkuPartNumber != "" {
			return s.SkuPartNumber
		}
	}
	return id.String()
}

func (p *Plan) planNames(ids []licensing.PlanID) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if p.cat != nil {
			out[i] = p.cat.PlanName(id)
		} else {
			out[i] = id.String()
		}
	}
	return strings.Join(out, " ")
}

func (p *Plan) licenseText(l licensing.AssignedLicense) string {
	s := p.skuName(l.SkuID)
	if len(l.DisabledPlans) > 0 {
		s += " (off: " + p.planNames(l.DisabledPlans) + ")"
	}
	return s
}

func targetText(t licensing.Target) string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// Summary describes a step's call in one line, e.g. "assignLicense +ENTERPRISEPACK -STANDARDPACK".
func (p *Plan) Summary(s *Step) string {
	var b strings.Builder
	b.WriteString(s.Action.String())
	switch s.Action {
	case AssignLicense:
		for _, a := range s.AddLicenses {
			b.WriteString(" +" + p.licenseText(a))
		}
		for _, r := range s.RemoveLicenses {
			b.WriteString(" -" + p.skuName(r))
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
	bw := bufio.NewWriter(w)
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
		fmt.Fprintf(bw, "%4s %s %s %s  %s\n", s.ID, s.Symbol(), kind, targetText(s.Target), p.Summary(s))
		fmt.Fprintf(bw, "       why: %s\n", s.Reason)
		if len(s.DependsOn) > 0 {
			fmt.Fprintf(bw, "       after: %s\n", strings.Join(s.DependsOn, ", "))
		}
		if len(s.Gained) > 0 {
			fmt.Fprintf(bw, "       + %s\n", p.planNames(s.Gained))
		}
		if len(s.Lost) > 0 {
			fmt.Fprintf(bw, "       - %s\n", p.planNames(s.Lost))
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
					line += " +[" + p.planNames(m.Gained) + "]"
				}
				if len(m.Lost) > 0 {
					line += " -[" + p.planNames(m.Lost) + "]"
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
	fmt.Fprintf(bw, "  %-28s %9s %8s %8s\n", "SKU", "available", "before", "after")
	for _, s := range p.Seats {
		mark := ""
		if s.ConsumedAfter > s.Available {
			mark = "  OVER"
		}
		fmt.Fprintf(bw, "  %-28s %9d %8d %8d%s\n", s.SkuPartNumber, s.Available, s.ConsumedBefore, s.ConsumedAfter, mark)
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

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// WriteMarkdown writes the plan for review in a pull request: a summary, the steps as a table,
// seats and problems.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	state := "✅ applyable"
	if !p.Applyable() {
		state = "❌ not applyable"
	}
	fmt.Fprintf(bw, "## License plan for tenant `%s`\n\n%d steps, %d problems — %s\n\n", p.TenantID, len(p.Steps), len(p.Problems), state)
	if len(p.Steps) > 0 {
		bw.WriteString("| step | wave | target | change | why | gained | lost |\n|---|---|---|---|---|---|---|\n")
		for _, s := range p.Steps {
			fmt.Fprintf(bw, "| %s %s | %d | %s %s | `%s` | %s | %s | %s |\n", s.ID, s.Symbol(), s.Wave, s.Target.Type, mdEscape(targetText(s.Target)),
				mdEscape(p.Summary(s)), mdEscape(s.Reason), mdEscape(p.planNames(s.Gained)), mdEscape(p.planNames(s.Lost)))
		}
		bw.WriteString("\n")
	}
	bw.WriteString("### Seats\n\n| SKU | available | before | after |\n|---|---:|---:|---:|\n")
	for _, s := range p.Seats {
		fmt.Fprintf(bw, "| %s | %d | %d | %d |\n", s.SkuPartNumber, s.Available, s.ConsumedBefore, s.ConsumedAfter)
	}
	if len(p.Problems) > 0 {
		bw.WriteString("\n### Problems\n\n| severity | kind | step | message |\n|---|---|---|---|\n")
		for _, pr := range p.Problems {
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", pr.Severity, pr.Kind, pr.Step, mdEscape(pr.Message))
		}
	}
	return bw.Flush()
}
