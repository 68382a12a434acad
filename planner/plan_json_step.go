package planner

import (
	"hash/maphash"
	"slices"

	"github.com/licenseplan/licenseplan/internal/jsonout"
	"github.com/licenseplan/licenseplan/internal/nonnil"
	"github.com/licenseplan/licenseplan/licensing"
)

// The plan/v1 steps, written without reflection, one step a line: a million-step plan spent
// most of its rendering time in encoding/json and in indenting its output, and a third of its
// ~1.9 GB in indentation. writeStepOf writes a step straight from the *Step, byte for byte as
// encoding/json writes its wire form (TestStepWriterMatchesEncodingJSON holds it to that for
// every step of every golden plan and for steps with every optional part).

func writeTarget(w *jsonout.Indented, t licensing.Target) {
	w.Open('{')
	w.QuotedKey(`"type"`)
	w.String(string(t.Type))
	w.QuotedKey(`"id"`)
	w.String(t.ID)
	if t.Name != "" {
		w.QuotedKey(`"name"`)
		w.String(t.Name)
	}
	w.Close('}')
}

func writePlanIDs(w *jsonout.Indented, ids []licensing.PlanID) {
	if ids == nil {
		w.Raw("null")
		return
	}
	w.Open('[')
	for _, id := range ids {
		w.Elem()
		writeGUID(w, licensing.GUID(id))
	}
	w.Close(']')
}

// writeGUID writes a GUID as licensing's MarshalText does: quoted, lower-case 8-4-4-4-12.
func writeGUID(w *jsonout.Indented, g licensing.GUID) {
	w.B = append(w.B, '"')
	w.B, _ = g.AppendText(w.B)
	w.B = append(w.B, '"')
}

// writeStepOf writes s as one list element of the steps: as encoding/json writes its wire form
// (stepJSON), but straight from the step, nothing built per step.
// With a cache c (only for a compact w), lists steps share are encoded once.
func (p *Plan) writeStepOf(w *jsonout.Indented, s *Step, c *stepCache) {
	w.Open('{')
	w.QuotedKey(`"id"`)
	w.String(s.ID)
	w.QuotedKey(`"action"`)
	w.String(s.Action.String())
	w.QuotedKey(`"target"`)
	writeTarget(w, s.Target)
	if s.Group != nil {
		w.QuotedKey(`"group"`)
		writeTarget(w, *s.Group)
	}
	if s.Action == AssignLicense {
		w.QuotedKey(`"addLicenses"`)
		c.assigned(w, p, s.AddLicenses)
		w.QuotedKey(`"removeLicenses"`)
		w.Open('[')
		for _, id := range s.RemoveLicenses {
			w.Elem()
			writeGUID(w, licensing.GUID(id))
		}
		w.Close(']')
	}
	if s.UsageLocation != "" {
		w.QuotedKey(`"usageLocation"`)
		w.String(s.UsageLocation)
	}
	w.QuotedKey(`"dependsOn"`)
	w.Strings(nonnil.Slice(s.DependsOn))
	w.QuotedKey(`"wave"`)
	w.Int(s.Wave)
	w.QuotedKey(`"reason"`)
	c.reason(w, s.Reason)
	w.QuotedKey(`"gained"`)
	c.planIDs(w, s.Gained)
	w.QuotedKey(`"lost"`)
	c.planIDs(w, s.Lost)
	if len(s.Members) > 0 {
		w.QuotedKey(`"members"`)
		w.Open('[')
		for _, m := range s.Members {
			w.Elem()
			w.Open('{')
			w.QuotedKey(`"user"`)
			writeTarget(w, m.User)
			w.QuotedKey(`"gained"`)
			c.planIDs(w, m.Gained)
			w.QuotedKey(`"lost"`)
			c.planIDs(w, m.Lost)
			if m.Error != licensing.None {
				w.QuotedKey(`"error"`)
				w.String(m.Error.String())
			}
			w.Close('}')
		}
		w.Close(']')
	}
	if s.hasExpectJSON() {
		w.QuotedKey(`"expect"`)
		s.writeExpectOf(w, s.expect(), c)
		w.QuotedKey(`"result"`)
		s.writeExpectOf(w, s.result(), c)
	}
	w.Close('}')
}

// hasExpectJSON reports whether the step's action has an expectation in plan/v1 (expect and
// result): s.expectJSON is nil exactly when it has not.
func (s *Step) hasExpectJSON() bool {
	switch s.Action {
	case AssignLicense, SetUsageLocation, AddGroupMember, RemoveGroupMember:
		return true
	}
	return false
}

// writeExpectOf writes e as encoding/json writes s.expectJSON(e), which must not be nil.
func (s *Step) writeExpectOf(w *jsonout.Indented, e Expectation, c *stepCache) {
	var p *Plan // no names, as in expectJSON
	w.Open('{')
	switch s.Action {
	case AssignLicense:
		if s.Target.Type == licensing.TargetGroup {
			w.QuotedKey(`"groupLicenses"`)
			c.assigned(w, p, e.GroupLicenses)
			break
		}
		w.QuotedKey(`"directLicenses"`)
		c.assigned(w, p, e.DirectLicenses)
		if e.Groups != nil {
			w.QuotedKey(`"groups"`)
			c.strings(w, e.Groups)
		}
	case SetUsageLocation:
		w.QuotedKey(`"usageLocation"`)
		w.String(e.UsageLocation)
	case AddGroupMember, RemoveGroupMember:
		w.QuotedKey(`"member"`)
		w.Bool(e.Member)
	}
	w.Close('}')
}

// writeSku writes the members skuId, skuPartNumber and productName (the last two when p knows
// them) of an object that names a SKU, as plan/v1 has them.
func (p *Plan) writeSku(w *jsonout.Indented, id licensing.SkuID) {
	w.QuotedKey(`"skuId"`)
	writeGUID(w, licensing.GUID(id))
	part, product := p.skuNames(id)
	if part != "" {
		w.QuotedKey(`"skuPartNumber"`)
		w.String(part)
	}
	if product != "" {
		w.QuotedKey(`"productName"`)
		w.String(product)
	}
}

// writeAssigned writes ls as encoding/json writes p.licensesWire(ls).
func (p *Plan) writeAssigned(w *jsonout.Indented, ls []licensing.AssignedLicense, c *stepCache) {
	w.Open('[')
	for _, l := range ls {
		w.Elem()
		w.Open('{')
		p.writeSku(w, l.SkuID)
		w.QuotedKey(`"disabledPlans"`)
		c.planIDs(w, l.DisabledPlans)
		w.Close('}')
	}
	w.Close(']')
}

// stepCache holds the encodings of the lists a compact writeStepOf wrote last, by where the
// list is: a plan's steps share their id and license lists (the interner's), which a step then
// copies instead of encoding again. A nil *stepCache caches nothing. Its lists must not change
// while it is in use.
type stepCache struct {
	ids  fragments[idsKey]
	lics fragments[licsKey]
	// last is the list of strings written last, and how: a user step's expectation and result
	// share their groups, which are the user's own (not worth a map).
	last struct {
		first *string
		n     int
		b     []byte
	}
	// reasons are the reasons written, encoded: a plan's steps share a few (its rules'), up to
	// maxReasons kept.
	reasons map[string][]byte
}

const maxReasons = 1 << 10

// reason writes r as w.String does.
func (c *stepCache) reason(w *jsonout.Indented, r string) {
	if c == nil {
		w.String(r)
		return
	}
	if b, ok := c.reasons[r]; ok {
		w.B = append(w.B, b...)
		return
	}
	start := len(w.B)
	w.String(r)
	if len(c.reasons) < maxReasons {
		if c.reasons == nil {
			c.reasons = map[string][]byte{}
		}
		c.reasons[r] = slices.Clone(w.B[start:])
	}
}

type idsKey struct {
	first *licensing.PlanID
	n     int
}

type licsKey struct {
	first *licensing.AssignedLicense
	n     int
	named bool
}

// fragments caches encodings by key in a fixed table, a slot per key's hash, a new key taking
// the slot of the one there: a few thousand shared lists fit, and lists not shared (which
// would fill a map) only take slots over.
type fragments[K comparable] struct {
	seed  maphash.Seed
	slots *[fragmentSlots]fragment[K]
}

type fragment[K comparable] struct {
	key K
	b   []byte // nil: a free slot
}

const fragmentSlots = 1 << 12

func (f *fragments[K]) slot(k K) *fragment[K] {
	if f.slots == nil {
		f.seed, f.slots = maphash.MakeSeed(), new([fragmentSlots]fragment[K])
	}
	return &f.slots[maphash.Comparable(f.seed, k)&(fragmentSlots-1)]
}

// get returns the encoding of k, or nil.
func (f *fragments[K]) get(k K) []byte {
	if s := f.slot(k); s.b != nil && s.key == k {
		return s.b
	}
	return nil
}

// put keeps a copy of b as the encoding of k.
func (f *fragments[K]) put(k K, b []byte) {
	s := f.slot(k)
	s.key, s.b = k, append(s.b[:0], b...)
}

func newStepCache() *stepCache { return &stepCache{} }

// strings writes ss as w.Strings does.
func (c *stepCache) strings(w *jsonout.Indented, ss []string) {
	if c == nil || len(ss) == 0 {
		w.Strings(ss)
		return
	}
	if c.last.first == &ss[0] && c.last.n == len(ss) {
		w.B = append(w.B, c.last.b...)
		return
	}
	start := len(w.B)
	w.Strings(ss)
	c.last.first, c.last.n, c.last.b = &ss[0], len(ss), append(c.last.b[:0], w.B[start:]...)
}

// planIDs writes ids as writePlanIDs writes nonnil.Slice(ids).
func (c *stepCache) planIDs(w *jsonout.Indented, ids []licensing.PlanID) {
	if c == nil || len(ids) == 0 {
		writePlanIDs(w, nonnil.Slice(ids))
		return
	}
	k := idsKey{&ids[0], len(ids)}
	if b := c.ids.get(k); b != nil {
		w.B = append(w.B, b...)
		return
	}
	start := len(w.B)
	writePlanIDs(w, ids)
	c.ids.put(k, w.B[start:])
}

// assigned writes ls as p.writeAssigned does.
func (c *stepCache) assigned(w *jsonout.Indented, p *Plan, ls []licensing.AssignedLicense) {
	if c == nil || len(ls) == 0 {
		p.writeAssigned(w, ls, c)
		return
	}
	k := licsKey{&ls[0], len(ls), p != nil}
	if b := c.lics.get(k); b != nil {
		w.B = append(w.B, b...)
		return
	}
	start := len(w.B)
	p.writeAssigned(w, ls, c)
	c.lics.put(k, w.B[start:])
}

// writeProblemOf writes pr as one list element of the problems, as encoding/json writes
// p.problemWire(pr) (an Indented w lays it out as the list's other elements).
func (p *Plan) writeProblemOf(w *jsonout.Indented, pr *Problem) {
	w.Open('{')
	w.QuotedKey(`"kind"`)
	w.String(pr.Kind.String())
	w.QuotedKey(`"severity"`)
	w.String(string(pr.Severity))
	if pr.Target.Type != "" {
		w.QuotedKey(`"target"`)
		writeTarget(w, pr.Target)
	}
	if !pr.SkuID.IsZero() {
		p.writeSku(w, pr.SkuID)
	}
	w.QuotedKey(`"servicePlans"`)
	writePlanIDs(w, nonnil.Slice(pr.ServicePlans))
	w.QuotedKey(`"message"`)
	w.String(pr.Message)
	if pr.Step != "" {
		w.QuotedKey(`"step"`)
		w.String(pr.Step)
	}
	w.Close('}')
}
