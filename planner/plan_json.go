package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"github.com/licenseplan/licenseplan/internal/jsonout"
	"github.com/licenseplan/licenseplan/licensing"
)

// PlanFormatVersion is the formatVersion of a plan file.
const PlanFormatVersion = "plan/v1"

// The plan/v1 wire format: its own structs, separate from Plan, so that the file format only
// changes on purpose.
type planJSON struct {
	FormatVersion string        `json:"formatVersion"`
	TenantID      string        `json:"tenantId"`
	Applyable     bool          `json:"applyable"`
	Steps         []stepJSON    `json:"steps"`
	Seats         []seatJSON    `json:"seats"`
	Problems      []problemJSON `json:"problems"`
}

type stepJSON struct {
	ID             string                      `json:"id"`
	Action         string                      `json:"action"`
	Target         licensing.Target            `json:"target"`
	Group          *licensing.Target           `json:"group,omitempty"`
	AddLicenses    []licensing.AssignedLicense `json:"addLicenses,omitempty"`
	RemoveLicenses []licensing.SkuID           `json:"removeLicenses,omitempty"`
	UsageLocation  string                      `json:"usageLocation,omitempty"`
	DependsOn      []string                    `json:"dependsOn"`
	Wave           int                         `json:"wave"`
	Reason         string                      `json:"reason"`
	Gained         []licensing.PlanID          `json:"gained"`
	Lost           []licensing.PlanID          `json:"lost"`
	Members        []memberJSON                `json:"members,omitempty"`
	Expect         *expectJSON                 `json:"expect,omitempty"`
	Result         *expectJSON                 `json:"result,omitempty"`
}

type memberJSON struct {
	User   licensing.Target   `json:"user"`
	Gained []licensing.PlanID `json:"gained"`
	Lost   []licensing.PlanID `json:"lost"`
	Error  string             `json:"error,omitempty"`
}

type expectJSON struct {
	DirectLicenses *[]licensing.AssignedLicense `json:"directLicenses,omitempty"`
	Groups         *[]string                    `json:"groups,omitempty"`
	UsageLocation  *string                      `json:"usageLocation,omitempty"`
	GroupLicenses  *[]licensing.AssignedLicense `json:"groupLicenses,omitempty"`
	Member         *bool                        `json:"member,omitempty"`
}

type seatJSON struct {
	SkuID          licensing.SkuID `json:"skuId"`
	SkuPartNumber  string          `json:"skuPartNumber"`
	Available      int             `json:"available"`
	ConsumedBefore int             `json:"consumedBefore"`
	ConsumedAfter  int             `json:"consumedAfter"`
}

type problemJSON struct {
	Kind         string             `json:"kind"`
	Severity     string             `json:"severity"`
	Target       *licensing.Target  `json:"target,omitempty"`
	SkuID        *licensing.SkuID   `json:"skuId,omitempty"`
	ServicePlans []licensing.PlanID `json:"servicePlans"`
	Message      string             `json:"message"`
	Step         string             `json:"step,omitempty"`
}

func nonNilLicenses(ls []licensing.AssignedLicense) []licensing.AssignedLicense {
	out := make([]licensing.AssignedLicense, len(ls))
	for i, l := range ls {
		out[i] = licensing.AssignedLicense{SkuID: l.SkuID, DisabledPlans: nonNil(l.DisabledPlans)}
	}
	return out
}

func (s *Step) expectJSON(e Expectation) *expectJSON {
	switch s.Action {
	case AssignLicense:
		if s.Target.Type == licensing.TargetGroup {
			ls := nonNilLicenses(e.GroupLicenses)
			return &expectJSON{GroupLicenses: &ls}
		}
		ls := nonNilLicenses(e.DirectLicenses)
		out := &expectJSON{DirectLicenses: &ls}
		if e.Groups != nil {
			gs := e.Groups
			out.Groups = &gs
		}
		return out
	case SetUsageLocation:
		loc := e.UsageLocation
		return &expectJSON{UsageLocation: &loc}
	case AddGroupMember, RemoveGroupMember:
		m := e.Member
		return &expectJSON{Member: &m}
	}
	return nil
}

func (e *expectJSON) expectation() *Expectation {
	out := &Expectation{}
	if e == nil {
		return out
	}
	if e.DirectLicenses != nil {
		out.DirectLicenses = *e.DirectLicenses
	}
	if e.GroupLicenses != nil {
		out.GroupLicenses = *e.GroupLicenses
	}
	if e.Groups != nil {
		out.Groups = *e.Groups
	}
	if e.UsageLocation != nil {
		out.UsageLocation = *e.UsageLocation
	}
	if e.Member != nil {
		out.Member = *e.Member
	}
	return out
}

func stepWire(s *Step) stepJSON {
	sj := stepJSON{ID: s.ID, Action: s.Action.String(), Target: s.Target, Group: s.Group, UsageLocation: s.UsageLocation,
		DependsOn: nonNil(s.DependsOn), Wave: s.Wave, Reason: s.Reason, Gained: nonNil(s.Gained), Lost: nonNil(s.Lost),
		Expect: s.expectJSON(s.expect()), Result: s.expectJSON(s.result())}
	if s.Action == AssignLicense {
		sj.AddLicenses = nonNilLicenses(s.AddLicenses)
		sj.RemoveLicenses = nonNil(s.RemoveLicenses)
	}
	for _, m := range s.Members {
		mj := memberJSON{User: m.User, Gained: nonNil(m.Gained), Lost: nonNil(m.Lost)}
		if m.Error != licensing.None {
			mj.Error = m.Error.String()
		}
		sj.Members = append(sj.Members, mj)
	}
	return sj
}

func problemWire(pr Problem) problemJSON {
	pj := problemJSON{Kind: pr.Kind.String(), Severity: string(pr.Severity), ServicePlans: nonNil(pr.ServicePlans), Message: pr.Message, Step: pr.Step}
	if pr.Target.Type != "" {
		t := pr.Target
		pj.Target = &t
	}
	if !pr.SkuID.IsZero() {
		id := pr.SkuID
		pj.SkuID = &id
	}
	return pj
}

// WriteJSON writes the plan as indented plan/v1 JSON, one step at a time (a million-step plan
// is never held twice in memory). Same plan, same bytes.
func (p *Plan) WriteJSON(w io.Writer) error {
	jw := jsonout.New(w, planItem).Concurrent(runtime.GOMAXPROCS(0))
	jw.Value("formatVersion", PlanFormatVersion)
	jw.Value("tenantId", p.TenantID)
	jw.Value("applyable", p.Applyable())
	jw.List("steps", len(p.Steps), func(i int) any { return stepWire(p.Steps[i]) })
	jw.List("seats", len(p.Seats), func(i int) any { return seatJSON(p.Seats[i]) })
	jw.List("problems", len(p.Problems), func(i int) any { return problemWire(p.Problems[i]) })
	return jw.Close()
}

// planItem returns an encoder of plan/v1 list elements: indented to sit in a list, HTML left
// unescaped. Its result is valid until its next call.
func planItem() jsonout.Encoder {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var out []byte
	return func(v any) ([]byte, error) {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		// Encoded compact, then indented as SetIndent("    ", "  ") would, without its
		// validating scanner (the encoder's output is valid).
		out = jsonout.AppendIndent(out[:0], bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "    ", "  ")
		return out, nil
	}
}

// ReadPlan reads a plan/v1 document and checks it: the format version, known actions, unique
// step ids, dependsOn that name earlier steps, and that the applyable flag agrees with the
// problems. Pass the tenant id the plan will be applied to (or "" to skip the check): a plan
// made for another tenant is refused.
func ReadPlan(r io.Reader, tenantID string) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "reading plan", Err: err}
	}
	var pj planJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pj); err != nil {
		return nil, &licensing.Error{Kind: licensing.InvalidInput, Message: "plan is not valid plan/v1 JSON: " + jsonErrorAt(data, err)}
	}
	bad := func(format string, args ...any) error {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: "plan: " + fmt.Sprintf(format, args...)}
	}
	if pj.FormatVersion != PlanFormatVersion {
		return nil, bad("formatVersion is %q, want %q", pj.FormatVersion, PlanFormatVersion)
	}
	if tenantID != "" && pj.TenantID != tenantID {
		return nil, bad("made for tenant %q, not for this tenant %q", pj.TenantID, tenantID)
	}
	p := &Plan{TenantID: pj.TenantID}
	ids := map[string]bool{}
	for i, sj := range pj.Steps {
		a, ok := ParseAction(sj.Action)
		if !ok {
			return nil, bad("steps[%d] has unknown action %q; known: assignLicense, setUsageLocation, addGroupMember, removeGroupMember, waitForGroupProcessing, reprocessLicenseAssignment", i, sj.Action)
		}
		if sj.ID == "" || ids[sj.ID] {
			return nil, bad("steps[%d] id %q is empty or repeated", i, sj.ID)
		}
		for _, dep := range sj.DependsOn {
			if !ids[dep] {
				return nil, bad("steps[%d] (%s) depends on %q, which is not an earlier step", i, sj.ID, dep)
			}
		}
		ids[sj.ID] = true
		if sj.Target.ID == "" || (sj.Target.Type != licensing.TargetUser && sj.Target.Type != licensing.TargetGroup) {
			return nil, bad("steps[%d] (%s) needs a target with type user or group and an id", i, sj.ID)
		}
		if (a == AddGroupMember || a == RemoveGroupMember || a == WaitForGroupProcessing) && (sj.Group == nil || sj.Group.ID == "") {
			return nil, bad("steps[%d] (%s) %s needs a group", i, sj.ID, a)
		}
		if a == SetUsageLocation && !licensing.IsCountryCode(sj.UsageLocation) {
			return nil, bad("steps[%d] (%s) usageLocation %q is not an ISO 3166 alpha-2 code", i, sj.ID, sj.UsageLocation)
		}
		if sj.Wave < 0 {
			return nil, bad("steps[%d] (%s) has a negative wave", i, sj.ID)
		}
		s := &Step{ID: sj.ID, Action: a, Target: sj.Target, Group: sj.Group, AddLicenses: sj.AddLicenses, RemoveLicenses: sj.RemoveLicenses,
			UsageLocation: sj.UsageLocation, DependsOn: sj.DependsOn, Wave: sj.Wave, Reason: sj.Reason, Gained: sj.Gained, Lost: sj.Lost,
			Expect: sj.Expect.expectation(), Result: sj.Result.expectation()}
		for _, m := range sj.Members {
			k, _ := licensing.ParseKind(m.Error)
			s.Members = append(s.Members, MemberImpact{User: m.User, Gained: m.Gained, Lost: m.Lost, Error: k})
		}
		p.Steps = append(p.Steps, s)
	}
	for _, s := range pj.Seats {
		p.Seats = append(p.Seats, SeatChange(s))
	}
	for i, pr := range pj.Problems {
		k, ok := licensing.ParseKind(pr.Kind)
		if !ok {
			return nil, bad("problems[%d] has unknown kind %q", i, pr.Kind)
		}
		sev := Severity(pr.Severity)
		if sev != SeverityError && sev != SeverityWarning && sev != SeverityInfo {
			return nil, bad("problems[%d] severity %q is not error, warning or info", i, pr.Severity)
		}
		q := Problem{Kind: k, Severity: sev, ServicePlans: pr.ServicePlans, Message: pr.Message, Step: pr.Step}
		if pr.Target != nil {
			q.Target = *pr.Target
		}
		if pr.SkuID != nil {
			q.SkuID = *pr.SkuID
		}
		p.Problems = append(p.Problems, q)
	}
	if p.Applyable() != pj.Applyable {
		return nil, bad("applyable is %v but the problems say %v", pj.Applyable, p.Applyable())
	}
	return p, nil
}

// WithCatalog returns the plan with a catalog used for SKU and plan names when rendering
// (a plan read from JSON knows only ids and part numbers).
func (p *Plan) WithCatalog(c *licensing.Catalog) *Plan {
	q := *p
	q.cat = c
	return &q
}
