package licensing

import (
	"fmt"
	"slices"
	"strings"
)

// ServicePlan is one service inside SKUs (servicePlanId / servicePlanName).
type ServicePlan struct {
	ID          PlanID
	Name        string   // servicePlanName, e.g. "EXCHANGE_S_ENTERPRISE"
	DisplayName string   // friendly name from Microsoft's CSV, e.g. "Exchange Online (Plan 2)"
	Aliases     []string // other names the same id has been published under
	index       int
}

// Index is the plan's position in its Catalog, the bit it occupies in a PlanSet.
func (p *ServicePlan) Index() int { return p.index }

// Sku is a product (subscribedSku) with its service plans.
type Sku struct {
	ID          SkuID
	PartNumber  string   // skuPartNumber / String_Id, e.g. "ENTERPRISEPACK"
	DisplayName string   // product name, e.g. "Office 365 E3"
	Plans       []PlanID // service plans in the SKU, in the order first seen
	plans       PlanSet
	index       int
}

// PlanSet returns the SKU's service plans as a set over its catalog. Changing the set (Add,
// Remove) changes a copy, never the SKU.
func (s *Sku) PlanSet() PlanSet { return s.plans.share() }

// Index is the SKU's position in its Catalog.
func (s *Sku) Index() int { return s.index }

// Label is the part number, or the id when the part number is unknown.
func (s *Sku) Label() string {
	if s.PartNumber != "" {
		return s.PartNumber
	}
	return s.ID.String()
}

// ProductName is the product name ("Office 365 E3"), or the Label when no product name is known.
func (s *Sku) ProductName() string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return s.Label()
}

// Title names the SKU for people: "Office 365 E3 (ENTERPRISEPACK)", or the Label alone when
// no product name is known.
func (s *Sku) Title() string { return s.Named(NamesBoth) }

// Named names the SKU in the given style.
func (s *Sku) Named(style NameStyle) string {
	return styled(style, s.Label(), s.DisplayName)
}

// FriendlyName is the plan's friendly name ("Exchange Online (Plan 2)"), or its name.
func (p *ServicePlan) FriendlyName() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.label()
}

func (p *ServicePlan) label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID.String()
}

// Title names the plan for people: "Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)", or the
// name alone when no friendly name is known.
func (p *ServicePlan) Title() string { return p.Named(NamesBoth) }

// Named names the plan in the given style.
func (p *ServicePlan) Named(style NameStyle) string {
	return styled(style, p.label(), p.DisplayName)
}

// NameStyle chooses how SKUs and service plans are named for people: by Microsoft's part
// number and plan name (NamesPart: "ENTERPRISEPACK"), by product and friendly name
// (NamesProduct: "Office 365 E3"), or both (NamesBoth, the default: "Office 365 E3
// (ENTERPRISEPACK)"). Where no product name is known, every style gives the part number.
type NameStyle uint8

const (
	NamesBoth NameStyle = iota
	NamesPart
	NamesProduct
)

var nameStyles = []string{"both", "part", "product"}

func (n NameStyle) String() string {
	if int(n) < len(nameStyles) {
		return nameStyles[n]
	}
	return fmt.Sprintf("NameStyle(%d)", n)
}

// ParseNameStyle reads "part", "product" or "both" (any case).
func ParseNameStyle(s string) (NameStyle, error) {
	for i, n := range nameStyles {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return NameStyle(i), nil
		}
	}
	return NamesBoth, errorf(InvalidInput, "names %q: want part, product or both", s)
}

func styled(style NameStyle, part, product string) string {
	switch {
	case product == "" || style == NamesPart:
		return part
	case style == NamesProduct || strings.EqualFold(product, part):
		return product // "Sway", not "Sway (SWAY)"
	}
	return product + " (" + part + ")"
}

// Catalog holds SKUs and service plans and resolves references to them by id or name.
// Plans are numbered in the order they are added; PlanSets index by that number.
// A Catalog is built by AddSku/AddPlan and may then be read from many goroutines.
type Catalog struct {
	skus       []*Sku
	plans      []*ServicePlan
	skuByID    map[SkuID]int
	planByID   map[PlanID]int
	skuByName  map[string][]int // upper-cased part number and display name
	planByName map[string][]int // upper-cased plan name, aliases and display name

	// ref is the wider catalog a tenant's catalog was named from (Microsoft's, and the user's
	// CSV): lookups that miss consult it to say "a Microsoft product, not subscribed" and to
	// suggest names from every product. Read-only; never returned as a result.
	ref *Catalog
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{
		skuByID:    map[SkuID]int{},
		planByID:   map[PlanID]int{},
		skuByName:  map[string][]int{},
		planByName: map[string][]int{},
	}
}

// AddPlan adds a service plan or enriches the one with the same id: a missing display name
// is filled in and a different name is kept as an alias. It returns the catalog's plan.
func (c *Catalog) AddPlan(p ServicePlan) *ServicePlan {
	if i, ok := c.planByID[p.ID]; ok {
		have := c.plans[i]
		if have.Name == "" {
			have.Name = p.Name
			c.indexName(c.planByName, p.Name, i)
		} else if p.Name != "" && !strings.EqualFold(have.Name, p.Name) && !slices.Contains(have.Aliases, p.Name) {
			have.Aliases = append(have.Aliases, p.Name)
			c.indexName(c.planByName, p.Name, i)
		}
		if have.DisplayName == "" && p.DisplayName != "" {
			have.DisplayName = p.DisplayName
			c.indexName(c.planByName, p.DisplayName, i)
		}
		for _, a := range p.Aliases {
			c.AddPlan(ServicePlan{ID: p.ID, Name: a})
		}
		return have
	}
	np := &ServicePlan{ID: p.ID, Name: p.Name, DisplayName: p.DisplayName, index: len(c.plans)}
	c.plans = append(c.plans, np)
	c.planByID[p.ID] = np.index
	c.indexName(c.planByName, p.Name, np.index)
	c.indexName(c.planByName, p.DisplayName, np.index)
	for _, a := range p.Aliases {
		c.AddPlan(ServicePlan{ID: p.ID, Name: a})
	}
	return np
}

// AddSku adds a SKU with its plans, or enriches the SKU with the same id (missing names
// filled in, plans not yet listed appended). Plans are added to the catalog as needed.
func (c *Catalog) AddSku(s Sku, plans ...ServicePlan) *Sku {
	var sk *Sku
	if i, ok := c.skuByID[s.ID]; ok {
		sk = c.skus[i]
		if sk.PartNumber == "" && s.PartNumber != "" {
			sk.PartNumber = s.PartNumber
			c.indexName(c.skuByName, s.PartNumber, i)
		}
		if sk.DisplayName == "" && s.DisplayName != "" {
			sk.DisplayName = s.DisplayName
			c.indexName(c.skuByName, s.DisplayName, i)
		}
	} else {
		sk = &Sku{ID: s.ID, PartNumber: s.PartNumber, DisplayName: s.DisplayName, index: len(c.skus)}
		c.skus = append(c.skus, sk)
		c.skuByID[s.ID] = sk.index
		c.indexName(c.skuByName, s.PartNumber, sk.index)
		c.indexName(c.skuByName, s.DisplayName, sk.index)
	}
	add := func(id PlanID) {
		p := c.AddPlan(ServicePlan{ID: id})
		if !sk.plans.Has(p.index) {
			sk.plans.Add(p.index)
			sk.Plans = append(sk.Plans, id)
		}
	}
	for _, p := range plans {
		c.AddPlan(p)
		add(p.ID)
	}
	for _, id := range s.Plans {
		add(id)
	}
	return sk
}

func (c *Catalog) indexName(m map[string][]int, name string, i int) {
	if name == "" {
		return
	}
	k := strings.ToUpper(name)
	if !slices.Contains(m[k], i) {
		m[k] = append(m[k], i)
	}
}

// Sku returns the SKU with the id.
func (c *Catalog) Sku(id SkuID) (*Sku, bool) {
	i, ok := c.skuByID[id]
	if !ok {
		return nil, false
	}
	return c.skus[i], true
}

// Plan returns the service plan with the id.
func (c *Catalog) Plan(id PlanID) (*ServicePlan, bool) {
	i, ok := c.planByID[id]
	if !ok {
		return nil, false
	}
	return c.plans[i], true
}

// PlanIndex returns the plan's bit in PlanSets of this catalog.
func (c *Catalog) PlanIndex(id PlanID) (int, bool) {
	i, ok := c.planByID[id]
	return i, ok
}

// PlanAt returns the plan at index i (0 ≤ i < NumPlans).
func (c *Catalog) PlanAt(i int) *ServicePlan { return c.plans[i] }

// NumPlans returns the number of plans in the catalog.
func (c *Catalog) NumPlans() int { return len(c.plans) }

// Skus returns every SKU, in the order added.
func (c *Catalog) Skus() []*Sku { return slices.Clone(c.skus) }

// Plans returns every service plan, in index order.
func (c *Catalog) Plans() []*ServicePlan { return slices.Clone(c.plans) }

// PlanName returns the plan's name, or its id when the catalog does not know it.
func (c *Catalog) PlanName(id PlanID) string {
	if p, ok := c.Plan(id); ok && p.Name != "" {
		return p.Name
	}
	return id.String()
}

// SkuName returns the SKU's part number, or its id when the catalog does not know it.
func (c *Catalog) SkuName(id SkuID) string {
	if s, ok := c.Sku(id); ok {
		return s.Label()
	}
	return id.String()
}

// SkuNamed names the SKU with the id in the given style (see NameStyle), or gives its id
// when the catalog does not know it.
func (c *Catalog) SkuNamed(id SkuID, style NameStyle) string {
	if s, ok := c.Sku(id); ok {
		return s.Named(style)
	}
	return id.String()
}

// PlanNamed names the plan with the id in the given style (see NameStyle), or gives its id
// when the catalog does not know it.
func (c *Catalog) PlanNamed(id PlanID, style NameStyle) string {
	if p, ok := c.Plan(id); ok {
		return p.Named(style)
	}
	return id.String()
}

// words is the number of 64-bit words a PlanSet over every plan of the catalog needs.
func (c *Catalog) words() int { return (len(c.plans) + 63) / 64 }

// PlanSetOf returns the set of the given plans; ids the catalog does not know are skipped.
func (c *Catalog) PlanSetOf(ids []PlanID) PlanSet {
	var s PlanSet
	for _, id := range ids {
		if i, ok := c.planByID[id]; ok {
			s.Add(i)
		}
	}
	return s
}

// PlanIDs returns the ids of the plans in s, sorted by plan name then id.
func (c *Catalog) PlanIDs(s PlanSet) []PlanID {
	idx := s.Indexes()
	out := make([]PlanID, len(idx))
	for k, i := range idx {
		out[k] = c.plans[i].ID
	}
	c.SortPlans(out)
	return out
}

// planIDsByID returns the ids of the plans in s in GUID order (Bulk.PlanIDsByID).
func (c *Catalog) planIDsByID(s PlanSet) []PlanID {
	n := s.Len()
	if n == 0 {
		return nil
	}
	out := make([]PlanID, 0, n)
	for _, i := range s.Indexes() {
		out = append(out, c.plans[i].ID)
	}
	slices.SortFunc(out, PlanID.Compare)
	return out
}

// PlanNames returns the names of the plans in s, sorted.
func (c *Catalog) PlanNames(s PlanSet) []string {
	ids := c.PlanIDs(s)
	out := make([]string, len(ids))
	for k, id := range ids {
		out[k] = c.PlanName(id)
	}
	return out
}

// PlansNamed names the plans in s in the given style (see NameStyle), sorted by plan name:
// the list a person reads ("Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)", …).
func (c *Catalog) PlansNamed(s PlanSet, style NameStyle) []string {
	ids := c.PlanIDs(s)
	out := make([]string, len(ids))
	for k, id := range ids {
		out[k] = c.PlanNamed(id, style)
	}
	return out
}

// SortPlans sorts plan ids by name, then id, for stable human-friendly output.
func (c *Catalog) SortPlans(ids []PlanID) {
	slices.SortFunc(ids, func(a, b PlanID) int {
		if r := strings.Compare(c.PlanName(a), c.PlanName(b)); r != 0 {
			return r
		}
		return a.Compare(b)
	})
}

// LookupSku resolves a SKU reference: a skuId, a skuPartNumber or a product name
// ("Office 365 E3"), case-insensitively. A name two SKUs share is an error listing both.
// An unknown reference is an UnknownSku error: in a tenant's catalog (State.Catalog) it says
// when the reference names a Microsoft product the tenant does not subscribe to, and otherwise
// suggests the closest names of every product Microsoft lists.
func (c *Catalog) LookupSku(ref string) (*Sku, error) {
	ref = strings.TrimSpace(ref)
	if id, err := ParseSkuID(ref); err == nil {
		if s, ok := c.Sku(id); ok {
			return s, nil
		}
		if c.ref != nil {
			if s, ok := c.ref.Sku(id); ok {
				return nil, c.notSubscribed(ref, []*Sku{s})
			}
		}
		return nil, &Error{Kind: UnknownSku, SkuID: id, Message: fmt.Sprintf("no SKU with id %s in the catalog", id)}
	}
	key := strings.ToUpper(ref)
	if is := c.skuByName[key]; len(is) == 1 {
		return c.skus[is[0]], nil
	} else if len(is) > 1 {
		return nil, errorf(UnknownSku, "SKU name %q is ambiguous: it names %s; use the id", ref, skuCandidates(c, is))
	}
	if c.ref != nil {
		if is := c.ref.skuByName[key]; len(is) > 0 {
			skus := make([]*Sku, len(is))
			for k, i := range is {
				skus[k] = c.ref.skus[i]
				// Microsoft's name for a SKU the tenant reports under another name.
				if own, ok := c.Sku(skus[k].ID); ok && len(is) == 1 {
					return own, nil
				}
			}
			return nil, c.notSubscribed(ref, skus)
		}
	}
	return nil, errorf(UnknownSku, "unknown SKU %q%s", ref, c.skuSuggestion(ref))
}

func skuCandidates(c *Catalog, is []int) string {
	names := make([]string, len(is))
	for k, i := range is {
		names[k] = c.skus[i].Title() + " " + c.skus[i].ID.String()
	}
	return strings.Join(names, ", ")
}

// notSubscribed is the error for a reference to Microsoft products the tenant lacks.
func (c *Catalog) notSubscribed(ref string, skus []*Sku) error {
	have := make([]string, len(c.skus))
	for i, s := range c.skus {
		have[i] = s.Title()
	}
	subscribed := "it subscribes to none"
	if len(have) > 0 {
		subscribed = "it subscribes to " + strings.Join(have, ", ")
	}
	e := &Error{Kind: UnknownSku, SkuID: skus[0].ID}
	if len(skus) == 1 {
		e.Message = fmt.Sprintf("%s is a Microsoft product, but this tenant does not subscribe to it (%s)", skus[0].Title(), subscribed)
	} else {
		names := make([]string, len(skus))
		for i, s := range skus {
			names[i] = s.Title()
		}
		e.Message = fmt.Sprintf("%q names the Microsoft products %s, but this tenant subscribes to none of them (%s)", ref, strings.Join(names, ", "), subscribed)
	}
	return e
}

// skuSuggestion suggests the SKUs whose part number or product name is closest to ref, from
// this catalog and its reference; a suggestion the tenant does not subscribe to says so.
func (c *Catalog) skuSuggestion(ref string) string {
	type hit struct {
		sku   *Sku
		other bool // from the reference only
	}
	by := map[string]hit{}
	var names []string
	add := func(cat *Catalog, other bool) {
		for _, s := range cat.skus {
			for _, n := range []string{s.PartNumber, s.DisplayName} {
				if n == "" {
					continue
				}
				if _, seen := by[n]; seen {
					continue
				}
				if other {
					if _, own := c.skuByID[s.ID]; own {
						continue
					}
				}
				by[n] = hit{s, other}
				names = append(names, n)
			}
		}
	}
	add(c, false)
	own := len(names)
	if c.ref != nil {
		add(c.ref, true)
	}
	// The tenant's own names come first: Microsoft's other products are suggested when they
	// are closer than anything the tenant has (or the tenant has nothing close).
	best := Closest(ref, names, 3)
	if mine := Closest(ref, names[:own], 3); len(mine) > 0 && len(best) > 0 && !by[best[0]].other {
		best = mine
	}
	if len(best) == 0 {
		return ""
	}
	q := make([]string, len(best))
	for i, n := range best {
		h := by[n]
		q[i] = fmt.Sprintf("%q", n)
		other := h.sku.PartNumber
		if strings.EqualFold(n, h.sku.PartNumber) {
			other = h.sku.DisplayName
		}
		if other != "" && !strings.EqualFold(other, n) {
			q[i] += " (" + other + ")"
		}
		if h.other {
			q[i] += ", not subscribed here"
		}
	}
	return " (did you mean " + strings.Join(q, ", ") + "?)"
}

// LookupPlan resolves a service plan reference: a servicePlanId, a servicePlanName or a
// friendly name ("Exchange Online (Plan 2)"), case-insensitively. An unknown or ambiguous
// reference gets an UnknownServicePlan error; in a tenant's catalog it says when the plan is
// Microsoft's but in none of the tenant's SKUs.
func (c *Catalog) LookupPlan(ref string) (*ServicePlan, error) {
	return c.lookupPlan(ref, nil)
}

// LookupPlanInSku resolves a plan reference among the plans of one SKU.
func (c *Catalog) LookupPlanInSku(sku *Sku, ref string) (*ServicePlan, error) {
	return c.lookupPlan(ref, sku)
}

func (c *Catalog) lookupPlan(ref string, sku *Sku) (*ServicePlan, error) {
	ref = strings.TrimSpace(ref)
	in := func(i int) bool { return sku == nil || sku.plans.Has(i) }
	where := ""
	if sku != nil {
		where = " in SKU " + sku.Title()
	}
	notIn := func(p *ServicePlan) error {
		e := &Error{Kind: UnknownServicePlan, SkuID: skuIDOf(sku), Plans: []PlanID{p.ID}}
		if sku != nil {
			e.Message = fmt.Sprintf("service plan %s is not part of SKU %s%s", p.Title(), sku.Title(), suggestion(ref, c.planNames(in)))
		} else {
			e.Message = fmt.Sprintf("service plan %s is Microsoft's, but none of this tenant's SKUs includes it", p.Title())
		}
		return e
	}
	if id, err := ParsePlanID(ref); err == nil {
		if i, ok := c.planByID[id]; ok {
			if in(i) {
				return c.plans[i], nil
			}
			return nil, notIn(c.plans[i])
		}
		if c.ref != nil {
			if p, ok := c.ref.Plan(id); ok {
				return nil, notIn(p)
			}
		}
		return nil, &Error{Kind: UnknownServicePlan, SkuID: skuIDOf(sku), Plans: []PlanID{id}, Message: fmt.Sprintf("no service plan with id %s%s", id, where)}
	}
	key := strings.ToUpper(ref)
	var found []int
	for _, i := range c.planByName[key] {
		if in(i) {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 1:
		return c.plans[found[0]], nil
	case 0:
		if is := c.planByName[key]; len(is) > 0 {
			return nil, notIn(c.plans[is[0]])
		}
		if c.ref != nil && sku == nil {
			if is := c.ref.planByName[key]; len(is) > 0 {
				return nil, notIn(c.ref.plans[is[0]])
			}
		}
		names := c.planNames(in)
		if c.ref != nil && sku == nil {
			names = append(names, c.ref.planNames(func(int) bool { return true })...)
		}
		return nil, &Error{Kind: UnknownServicePlan, SkuID: skuIDOf(sku), Message: fmt.Sprintf("unknown service plan %q%s%s", ref, where, suggestion(ref, names))}
	default:
		cands := make([]string, len(found))
		for k, i := range found {
			cands[k] = c.plans[i].Title() + " " + c.plans[i].ID.String()
		}
		return nil, &Error{Kind: UnknownServicePlan, SkuID: skuIDOf(sku), Message: fmt.Sprintf("service plan name %q%s is ambiguous: it names %s; use the id", ref, where, strings.Join(cands, ", "))}
	}
}

// planNames lists the names and friendly names of the plans that in selects.
func (c *Catalog) planNames(in func(int) bool) []string {
	var names []string
	for _, p := range c.plans {
		if in(p.index) {
			if p.Name != "" {
				names = append(names, p.Name)
			}
			if p.DisplayName != "" {
				names = append(names, p.DisplayName)
			}
		}
	}
	return names
}

func skuIDOf(s *Sku) SkuID {
	if s == nil {
		return SkuID{}
	}
	return s.ID
}

// suggestion returns ` (did you mean "A", "B"?)` for the closest names, or "".
func suggestion(ref string, names []string) string {
	best := Closest(ref, names, 3)
	if len(best) == 0 {
		return ""
	}
	q := make([]string, len(best))
	for i, b := range best {
		q[i] = fmt.Sprintf("%q", b)
	}
	return " (did you mean " + strings.Join(q, ", ") + "?)"
}

// Closest returns up to n of names closest to ref by case-insensitive edit distance,
// closest first, ties by name. Names further than half of ref's length away are left out,
// except names that contain ref or are contained in it.
func Closest(ref string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	r := strings.ToUpper(ref)
	seen := map[string]bool{}
	var cs []cand
	for _, name := range names {
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		u := strings.ToUpper(name)
		d := editDistance(r, u)
		if strings.Contains(u, r) || strings.Contains(r, u) {
			d = min(d, 1+abs(len(u)-len(r))/4)
		}
		if d <= max(2, len(r)/2) {
			cs = append(cs, cand{name, d})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := []string{}
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// nameFrom names a tenant's catalog: its SKUs and plans get the product and friendly names
// the user's catalog (if any) and then Microsoft's give them; names the tenant reported stay.
// The rest of those catalogs becomes the reference lookups consult.
func (c *Catalog) nameFrom(user, microsoft *Catalog) {
	ref := microsoft
	if user != nil {
		ref = NewCatalog()
		ref.Enrich(user)
		if microsoft != nil {
			ref.Enrich(microsoft)
		}
	}
	if ref == nil {
		return
	}
	for _, p := range c.plans {
		if o, ok := ref.Plan(p.ID); ok {
			c.AddPlan(ServicePlan{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName, Aliases: o.Aliases})
		}
	}
	for _, s := range c.skus {
		if o, ok := ref.Sku(s.ID); ok {
			c.AddSku(Sku{ID: o.ID, PartNumber: o.PartNumber, DisplayName: o.DisplayName})
		}
	}
	c.ref = ref
}

// Enrich copies what other knows and c does not: display names and aliases of c's SKUs and
// plans, and SKUs (with their plans) that c lacks. The plan lists of c's own SKUs are left
// alone, because a tenant's subscribedSkus are the truth about what its SKUs contain.
// Typical use: a tenant's catalog enriched from Microsoft's CSV for names and suggestions.
func (c *Catalog) Enrich(other *Catalog) {
	for _, p := range other.plans {
		if _, ok := c.Plan(p.ID); ok {
			c.AddPlan(ServicePlan{ID: p.ID, Name: p.Name, DisplayName: p.DisplayName, Aliases: p.Aliases})
		}
	}
	for _, s := range other.skus {
		if _, ok := c.Sku(s.ID); ok {
			c.AddSku(Sku{ID: s.ID, PartNumber: s.PartNumber, DisplayName: s.DisplayName})
			continue
		}
		plans := make([]ServicePlan, len(s.Plans))
		for i, id := range s.Plans {
			p, _ := other.Plan(id)
			plans[i] = ServicePlan{ID: id, Name: p.Name, DisplayName: p.DisplayName, Aliases: p.Aliases}
		}
		c.AddSku(Sku{ID: s.ID, PartNumber: s.PartNumber, DisplayName: s.DisplayName}, plans...)
	}
}
