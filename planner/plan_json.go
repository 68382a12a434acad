package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"

	"github.com/licenseplan/licenseplan/internal/jsonout"
	"github.com/licenseplan/licenseplan/internal/nonnil"
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
	Names         *namesJSON    `json:"names,omitempty"` // absent in files written before it
}

// namesJSON names, once, every SKU and service plan a plan mentions, sorted by id, so that the
// id lists of steps (removeLicenses, gained, lost, disabledPlans) stay as Graph has them.
type namesJSON struct {
	Skus         []skuNameJSON  `json:"skus"`
	ServicePlans []planNameJSON `json:"servicePlans"`
}

type skuNameJSON struct {
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber,omitempty"`
	ProductName   string          `json:"productName,omitempty"`
}

type planNameJSON struct {
	ServicePlanID   licensing.PlanID `json:"servicePlanId"`
	ServicePlanName string           `json:"servicePlanName,omitempty"`
	FriendlyName    string           `json:"friendlyName,omitempty"`
}

type stepJSON struct {
	ID             string             `json:"id"`
	Action         string             `json:"action"`
	Target         licensing.Target   `json:"target"`
	Group          *licensing.Target  `json:"group,omitempty"`
	AddLicenses    *[]licenseJSON     `json:"addLicenses,omitempty"`    // both present, maybe empty, on assignLicense
	RemoveLicenses *[]licensing.SkuID `json:"removeLicenses,omitempty"` // steps, as in Graph's request
	UsageLocation  string             `json:"usageLocation,omitempty"`
	DependsOn      []string           `json:"dependsOn"`
	Wave           int                `json:"wave"`
	Reason         string             `json:"reason"`
	Gained         []licensing.PlanID `json:"gained"`
	Lost           []licensing.PlanID `json:"lost"`
	Members        []memberJSON       `json:"members,omitempty"`
	Expect         *expectJSON        `json:"expect,omitempty"`
	Result         *expectJSON        `json:"result,omitempty"`

	add    []licenseJSON // what AddLicenses and RemoveLicenses point to when written
	remove []licensing.SkuID
}

// licenseJSON is Graph's assignedLicense with the SKU's names beside its id (when known; read
// back from the names section, not from here).
type licenseJSON struct {
	SkuID         licensing.SkuID    `json:"skuId"`
	SkuPartNumber string             `json:"skuPartNumber,omitempty"`
	ProductName   string             `json:"productName,omitempty"`
	DisabledPlans []licensing.PlanID `json:"disabledPlans"`
}

type memberJSON struct {
	User   licensing.Target   `json:"user"`
	Gained []licensing.PlanID `json:"gained"`
	Lost   []licensing.PlanID `json:"lost"`
	Error  string             `json:"error,omitempty"`
}

type expectJSON struct {
	DirectLicenses *[]licenseJSON `json:"directLicenses,omitempty"`
	Groups         *[]string      `json:"groups,omitempty"`
	UsageLocation  *string        `json:"usageLocation,omitempty"`
	GroupLicenses  *[]licenseJSON `json:"groupLicenses,omitempty"`
	Member         *bool          `json:"member,omitempty"`
}

type seatJSON struct {
	SkuID          licensing.SkuID `json:"skuId"`
	SkuPartNumber  string          `json:"skuPartNumber"`
	ProductName    string          `json:"productName,omitempty"`
	Available      int             `json:"available"`
	ConsumedBefore int             `json:"consumedBefore"`
	ConsumedAfter  int             `json:"consumedAfter"`
}

type problemJSON struct {
	Kind          string             `json:"kind"`
	Severity      string             `json:"severity"`
	Target        *licensing.Target  `json:"target,omitempty"`
	SkuID         *licensing.SkuID   `json:"skuId,omitempty"`
	SkuPartNumber string             `json:"skuPartNumber,omitempty"`
	ProductName   string             `json:"productName,omitempty"`
	ServicePlans  []licensing.PlanID `json:"servicePlans"`
	Message       string             `json:"message"`
	Step          string             `json:"step,omitempty"`
}

// skuNames returns the SKU's part number and product name for plan/v1, "" where unknown (or
// when p is nil).
func (p *Plan) skuNames(id licensing.SkuID) (part, product string) {
	if p == nil {
		return "", ""
	}
	if s := p.sku(id); s != nil {
		return s.PartNumber, s.DisplayName
	}
	return "", ""
}

// nonNilLicenses is the assignLicense body's list, never nil (Graph needs it even empty).
func nonNilLicenses(ls []licensing.AssignedLicense) []licensing.AssignedLicense {
	out := make([]licensing.AssignedLicense, len(ls))
	for i, l := range ls {
		out[i] = licensing.AssignedLicense{SkuID: l.SkuID, DisabledPlans: nonnil.Slice(l.DisabledPlans)}
	}
	return out
}

// licensesWire is the list for plan/v1, each SKU named by p (nil: ids only).
func (p *Plan) licensesWire(ls []licensing.AssignedLicense) []licenseJSON {
	out := make([]licenseJSON, len(ls))
	for i, l := range ls {
		out[i] = licenseJSON{SkuID: l.SkuID, DisabledPlans: nonnil.Slice(l.DisabledPlans)}
		out[i].SkuPartNumber, out[i].ProductName = p.skuNames(l.SkuID)
	}
	return out
}

func licenses(ls []licenseJSON) []licensing.AssignedLicense {
	if ls == nil {
		return nil
	}
	out := make([]licensing.AssignedLicense, len(ls))
	for i, l := range ls {
		out[i] = licensing.AssignedLicense{SkuID: l.SkuID, DisabledPlans: l.DisabledPlans}
	}
	return out
}

// expectJSON is e in plan/v1 and in the journal: ids only (the plan's names section names
// them), which keeps the two lists every step carries small at a million steps.
func (s *Step) expectJSON(e Expectation) *expectJSON {
	if !s.hasExpectJSON() {
		return nil
	}
	var p *Plan // no names
	switch s.Action {
	case AssignLicense:
		if s.Target.Type == licensing.TargetGroup {
			ls := p.licensesWire(e.GroupLicenses)
			return &expectJSON{GroupLicenses: &ls}
		}
		ls := p.licensesWire(e.DirectLicenses)
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
		out.DirectLicenses = licenses(*e.DirectLicenses)
	}
	if e.GroupLicenses != nil {
		out.GroupLicenses = licenses(*e.GroupLicenses)
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

func (p *Plan) seatWire(s SeatChange) seatJSON {
	sj := seatJSON{SkuID: s.SkuID, SkuPartNumber: s.SkuPartNumber, Available: s.Available, ConsumedBefore: s.ConsumedBefore, ConsumedAfter: s.ConsumedAfter}
	_, sj.ProductName = p.skuNames(s.SkuID)
	return sj
}

// namesWire names every SKU and service plan the plan mentions, sorted by id.
func (p *Plan) namesWire() *namesJSON {
	skus, plans := p.mentioned()
	out := &namesJSON{Skus: make([]skuNameJSON, len(skus)), ServicePlans: make([]planNameJSON, len(plans))}
	for i, id := range skus {
		out.Skus[i].SkuID = id
		out.Skus[i].SkuPartNumber, out.Skus[i].ProductName = p.skuNames(id)
	}
	for i, id := range plans {
		out.ServicePlans[i].ServicePlanID = id
		if sp := p.servicePlan(id); sp != nil {
			out.ServicePlans[i].ServicePlanName, out.ServicePlans[i].FriendlyName = sp.Name, sp.DisplayName
		}
	}
	return out
}

// mentioned returns every SKU and service plan id in the plan's steps, seats and problems,
// sorted. Steps share their slices, so each distinct slice is read once.
func (p *Plan) mentioned() ([]licensing.SkuID, []licensing.PlanID) {
	skus := map[licensing.SkuID]bool{}
	plans := map[licensing.PlanID]bool{}
	seenPlans := map[*licensing.PlanID]bool{}
	seenLicenses := map[*licensing.AssignedLicense]bool{}
	addPlans := func(ids []licensing.PlanID) {
		if len(ids) == 0 || seenPlans[&ids[0]] {
			return
		}
		seenPlans[&ids[0]] = true
		for _, id := range ids {
			plans[id] = true
		}
	}
	addLicenses := func(ls []licensing.AssignedLicense) {
		if len(ls) == 0 || seenLicenses[&ls[0]] {
			return
		}
		seenLicenses[&ls[0]] = true
		for _, l := range ls {
			skus[l.SkuID] = true
			addPlans(l.DisabledPlans)
		}
	}
	for _, s := range p.Steps {
		addLicenses(s.AddLicenses)
		for _, id := range s.RemoveLicenses {
			skus[id] = true
		}
		addPlans(s.Gained)
		addPlans(s.Lost)
		for _, m := range s.Members {
			addPlans(m.Gained)
			addPlans(m.Lost)
		}
		for _, e := range []*Expectation{s.Expect, s.Result} {
			if e != nil {
				addLicenses(e.DirectLicenses)
				addLicenses(e.GroupLicenses)
			}
		}
	}
	for _, s := range p.Seats {
		skus[s.SkuID] = true
	}
	for _, pr := range p.Problems {
		skus[pr.SkuID] = true
		addPlans(pr.ServicePlans)
	}
	delete(skus, licensing.SkuID{}) // no name; a file may have it where an id is missing
	delete(plans, licensing.PlanID{})
	skuIDs := slices.SortedFunc(maps.Keys(skus), licensing.SkuID.Compare)
	planIDs := slices.SortedFunc(maps.Keys(plans), licensing.PlanID.Compare)
	return skuIDs, planIDs
}

// readNames builds the plan's name table from a plan/v1 names section (nil in files written
// before it) and the seats' part numbers (with Microsoft's product names, for those files).
func readNames(nj *namesJSON, seats []seatJSON) (*nameTable, error) {
	t := &nameTable{skus: map[licensing.SkuID]*licensing.Sku{}, plans: map[licensing.PlanID]*licensing.ServicePlan{}}
	bad := func(format string, args ...any) error {
		return &licensing.Error{Kind: licensing.InvalidInput, Message: "plan: names." + fmt.Sprintf(format, args...)}
	}
	if nj != nil {
		for i, s := range nj.Skus {
			if s.SkuID.IsZero() || t.skus[s.SkuID] != nil {
				return nil, bad("skus[%d] skuId %q is missing or repeated", i, s.SkuID)
			}
			t.skus[s.SkuID] = &licensing.Sku{ID: s.SkuID, PartNumber: s.SkuPartNumber, DisplayName: s.ProductName}
		}
		for i, sp := range nj.ServicePlans {
			if sp.ServicePlanID.IsZero() || t.plans[sp.ServicePlanID] != nil {
				return nil, bad("servicePlans[%d] servicePlanId %q is missing or repeated", i, sp.ServicePlanID)
			}
			t.plans[sp.ServicePlanID] = &licensing.ServicePlan{ID: sp.ServicePlanID, Name: sp.ServicePlanName, DisplayName: sp.FriendlyName}
		}
	}
	for _, s := range seats {
		known := t.skus[s.SkuID]
		if s.SkuPartNumber == "" || (known != nil && known.PartNumber != "") {
			continue
		}
		product := s.ProductName
		if known != nil {
			product = known.DisplayName // the names section's word
		} else if ms, ok := microsoftNames().Sku(s.SkuID); ok && product == "" {
			product = ms.DisplayName
		}
		t.skus[s.SkuID] = &licensing.Sku{ID: s.SkuID, PartNumber: s.SkuPartNumber, DisplayName: product}
	}
	return t, nil
}

// WriteJSON writes the plan as indented plan/v1 JSON, one step at a time (a million-step plan
// is never held twice in memory). Same plan, same bytes. Ids are as Graph has them; each object
// with a skuId has the SKU's skuPartNumber and productName beside it, and the names section at
// the end names every SKU and service plan the plan mentions once (part number and product
// name; plan name and friendly name), whatever the plan's WithNames style.
func (p *Plan) WriteJSON(w io.Writer) error {
	// The names section comes last but depends only on the plan: it is worked out while the
	// steps are written (a read of every step, which would otherwise follow them).
	names := make(chan *namesJSON, 1)
	go func() { names <- p.namesWire() }()
	end := &heldEnd{w: w}
	jw := jsonout.New(end, p.planItem).Concurrent(runtime.GOMAXPROCS(0))
	jw.Value("formatVersion", PlanFormatVersion)
	jw.Value("tenantId", p.TenantID)
	jw.Value("applyable", p.Applyable())
	jw.List("steps", len(p.Steps), func(i int) any { return p.Steps[i] })
	jw.List("seats", len(p.Seats), func(i int) any { return p.seatWire(p.Seats[i]) })
	jw.List("problems", len(p.Problems), func(i int) any { return &p.Problems[i] })
	nj := <-names
	if err := jw.Close(); err != nil {
		return err
	}
	// The names section, indented like the rest (jsonout writes a value on one line).
	var section bytes.Buffer
	section.WriteString(",\n  \"names\": ")
	enc := json.NewEncoder(&section)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(nj); err != nil {
		return err
	}
	return end.close(append(bytes.TrimSuffix(section.Bytes(), []byte("\n")), objectEnd...))
}

// objectEnd is how jsonout ends the object.
const objectEnd = "\n}\n"

// heldEnd passes on what jsonout writes except the last len(objectEnd) bytes, so that one
// more field can go before the end of the object.
type heldEnd struct {
	w    io.Writer
	tail []byte // the last bytes written, not passed on yet
}

func (h *heldEnd) Write(b []byte) (int, error) {
	keep := len(objectEnd)
	if len(h.tail)+len(b) <= keep {
		h.tail = append(h.tail, b...)
		return len(b), nil
	}
	if len(b) >= keep {
		if _, err := h.w.Write(h.tail); err != nil {
			return 0, err
		}
		if _, err := h.w.Write(b[:len(b)-keep]); err != nil {
			return 0, err
		}
		h.tail = append(h.tail[:0], b[len(b)-keep:]...)
		return len(b), nil
	}
	h.tail = append(h.tail, b...)
	pass := len(h.tail) - keep
	if _, err := h.w.Write(h.tail[:pass]); err != nil {
		return 0, err
	}
	h.tail = append(h.tail[:0], h.tail[pass:]...)
	return len(b), nil
}

// close writes more in place of the held end of the object, which must be objectEnd.
func (h *heldEnd) close(more []byte) error {
	if string(h.tail) != objectEnd {
		return fmt.Errorf("plan/v1: the object ends in %q, not %q", h.tail, objectEnd)
	}
	_, err := h.w.Write(more)
	return err
}

// planItem returns an encoder of plan/v1 list elements: indented to sit in a list, HTML left
// unescaped. Steps and problems are written straight from the *Step and *Problem (p names
// their SKUs) by writeStepOf and writeProblemOf, onto the list's buffer.
func (p *Plan) planItem() jsonout.Encoder {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	steps := jsonout.NewCompact(nil) // a step a line, as tenant/v1 lists its users
	cache := newStepCache()
	problems := jsonout.NewIndented(nil, "    ", "  ")
	return func(dst []byte, v any) ([]byte, error) {
		switch v := v.(type) {
		case *Step:
			steps.ResetTo(dst)
			p.writeStepOf(steps, v, cache)
			return steps.B, nil
		case *Problem:
			problems.ResetTo(dst)
			p.writeProblemOf(problems, v)
			return problems.B, nil
		}
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return dst, err
		}
		// Encoded compact, then indented as SetIndent("    ", "  ") would, without its
		// validating scanner (the encoder's output is valid).
		return jsonout.AppendIndent(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "    ", "  "), nil
	}
}

// ReadPlan reads a plan/v1 document and checks it: the format version, known actions, unique
// step ids, dependsOn that name earlier steps, and that the applyable flag agrees with the
// problems. Pass the tenant id the plan will be applied to (or "" to skip the check): a plan
// made for another tenant is refused. The plan renders with the names of the file's names
// section (plan/v1 files written before it have their seats' part numbers; Microsoft's catalog
// names the rest), unless WithCatalog gives a catalog that knows better.
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
		s := &Step{ID: sj.ID, Action: a, Target: sj.Target, Group: sj.Group, UsageLocation: sj.UsageLocation, DependsOn: sj.DependsOn, Wave: sj.Wave, Reason: sj.Reason, Gained: sj.Gained, Lost: sj.Lost,
			Expect: sj.Expect.expectation(), Result: sj.Result.expectation()}
		if sj.AddLicenses != nil {
			s.AddLicenses = licenses(*sj.AddLicenses)
		}
		if sj.RemoveLicenses != nil {
			s.RemoveLicenses = *sj.RemoveLicenses
		}
		for _, m := range sj.Members {
			k, _ := licensing.ParseKind(m.Error)
			s.Members = append(s.Members, MemberImpact{User: m.User, Gained: m.Gained, Lost: m.Lost, Error: k})
		}
		p.Steps = append(p.Steps, s)
	}
	for _, s := range pj.Seats {
		p.Seats = append(p.Seats, SeatChange{SkuID: s.SkuID, SkuPartNumber: s.SkuPartNumber, Available: s.Available, ConsumedBefore: s.ConsumedBefore, ConsumedAfter: s.ConsumedAfter})
	}
	if p.known, err = readNames(pj.Names, pj.Seats); err != nil {
		return nil, err
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

// WithCatalog returns the plan with a catalog used for SKU and plan names when rendering. A
// plan read from JSON knows the names its file's names section gives (only part numbers, from
// its seats, in files written before it); the catalog's names win over them.
func (p *Plan) WithCatalog(c *licensing.Catalog) *Plan {
	q := *p
	q.cat = c
	return &q
}

// WithNames returns the plan rendered with SKUs and service plans named in the style:
// licensing.NamesBoth (the default: "Office 365 E3 (ENTERPRISEPACK)"), NamesPart
// ("ENTERPRISEPACK") or NamesProduct ("Office 365 E3"). It changes text and Markdown, not
// plan/v1 JSON, which always carries ids, part numbers and product names.
func (p *Plan) WithNames(style licensing.NameStyle) *Plan {
	q := *p
	q.names = style
	return &q
}
