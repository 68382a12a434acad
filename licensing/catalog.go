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

// PlanSet returns the SKU's service plans as a set over its catalog. The set is the
// catalog's own: read it or Clone it, never Add or Remove.
func (s *Sku) PlanSet() PlanSet { return s.plans }

// Index is the SKU's position in its Catalog.
func (s *Sku) Index() int { return s.index }

// Label is the part number, or the id when the part number is unknown.
func (s *Sku) Label() string {
	if s.PartNumber != "" {
		return s.PartNumber
	}
	return s.ID.String()
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

// PlanIDsByID returns the ids of the plans in s in GUID order: cheaper than PlanIDs where no
// person reads the order (comparisons, expectations).
func (c *Catalog) PlanIDsByID(s PlanSet) []PlanID {
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

// SortPlans sorts plan ids by name, then id, for stable human-friendly output.
func (c *Catalog) SortPlans(ids []PlanID) {
	slices.SortFunc(ids, func(a, b PlanID) int {
		if r := strings.Compare(c.PlanName(a), c.PlanName(b)); r != 0 {
			return r
		}
		return a.Compare(b)
	})
}

// LookupSku resolves a SKU reference: a skuId, a skuPartNumber (any case) or a product display name.
// An unknown reference gets an UnknownSku error that suggests the closest known names.
func (c *Catalog) LookupSku(ref string) (*Sku, error) {
	ref = strings.TrimSpace(ref)
	if id, err := ParseSkuID(ref); err == nil {
		if s, ok := c.Sku(id); ok {
			return s, nil
		}
		return nil, &Error{Kind: UnknownSku, SkuID: id, Message: fmt.Sprintf("no SKU with id %s in the catalog", id)}
	}
	if is := c.skuByName[strings.ToUpper(ref)]; len(is) == 1 {
		return c.skus[is[0]], nil
	} else if len(is) > 1 {
		var names []string
		for _, i := range is {
			names = append(names, c.skus[i].ID.String()+" ("+c.skus[i].Label()+")")
		}
		return nil, errorf(UnknownSku, "SKU name %q is ambiguous: use one of the ids %s", ref, strings.Join(names, ", "))
	}
	names := make([]string, 0, len(c.skus))
	for _, s := range c.skus {
		names = append(names, s.PartNumber)
	}
	return nil, errorf(UnknownSku, "unknown SKU %q%s", ref, suggestion(ref, names))
}

// LookupPlan resolves a service plan reference: a servicePlanId, or a servicePlanName or
// display name (any case). An unknown or ambiguous reference gets an UnknownServicePlan error.
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
		where = " in SKU " + sku.Label()
	}
	if id, err := ParsePlanID(ref); err == nil {
		if i, ok := c.planByID[id]; ok && in(i) {
			return c.plans[i], nil
		}
		return nil, &Error{Kind: UnknownServicePlan, SkuID: skuIDOf(sku), Plans: []PlanID{id}, Message: fmt.Sprintf("no service plan with id %s%s", id, where)}
	}
	var found []int
	for _, i := range c.planByName[strings.ToUpper(ref)] {
		if in(i) {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 1:
		return c.plans[found[0]], nil
	case 0:
		var names []string
		for _, p := range c.plans {
			if in(p.index) && p.Name != "" {
				names = append(names, p.Name)
			}
		}
		return nil, &Error{Kind: UnknownServicePlan, SkuID: skuIDOf(sku), Message: fmt.Sprintf("unknown service plan %q%s%s", ref, where, suggestion(ref, names))}
	default:
		var ids []string
		for _, i := range found {
			ids = append(ids, c.plans[i].ID.String())
		}
		return nil, &Error{Kind: UnknownServicePlan, SkuID: skuIDOf(sku), Message: fmt.Sprintf("service plan name %q%s is ambiguous: use one of the ids %s", ref, where, strings.Join(ids, ", "))}
	}
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
