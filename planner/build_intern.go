package planner

import (
	"encoding/binary"

	"github.com/licenseplan/licenseplan/licensing"
)

// interner shares equal values among the steps of one plan. A million-user plan holds a few
// distinct plan lists, license bodies and reasons, not a million copies of each:
// that keeps the plan small and the garbage collector's work proportional to what is distinct.
// Values handed out are shared, so steps treat them as read-only (see Step).
type interner struct {
	cat    *licensing.Catalog
	bulk   *licensing.Bulk // of the State whose catalog cat is
	key    []byte
	byName map[string][]licensing.PlanID // PlanIDs order (by name), for people
	byID   map[string][]licensing.PlanID // PlanIDsByID order, for comparisons
	texts  map[string]string
	lics   map[string][]licensing.AssignedLicense
	skuIDs map[string][]licensing.SkuID
	isMem  [2]*Expectation // membership steps' expectations: not a member, a member
	memos  map[string]string
}

func newInterner(st *licensing.State) *interner {
	return &interner{cat: st.Catalog(), bulk: st.Bulk(), byName: map[string][]licensing.PlanID{}, byID: map[string][]licensing.PlanID{},
		texts: map[string]string{}, lics: map[string][]licensing.AssignedLicense{}, skuIDs: map[string][]licensing.SkuID{}}
}

// planIDs is cat.PlanIDs(s), shared; nil for the empty set.
func (in *interner) planIDs(s licensing.PlanSet) []licensing.PlanID {
	return in.plans(in.byName, s, in.cat.PlanIDs)
}

// planIDsByID is bulk.PlanIDsByID(s), shared; nil for the empty set.
func (in *interner) planIDsByID(s licensing.PlanSet) []licensing.PlanID {
	return in.plans(in.byID, s, in.bulk.PlanIDsByID)
}

func (in *interner) plans(m map[string][]licensing.PlanID, s licensing.PlanSet, list func(licensing.PlanSet) []licensing.PlanID) []licensing.PlanID {
	in.key, _ = s.AppendBinary(in.key[:0])
	if len(in.key) == 0 {
		return nil
	}
	if ids, ok := m[string(in.key)]; ok {
		return ids
	}
	ids := list(s)
	m[string(in.key)] = ids
	return ids
}

// diff is cat.PlanIDs(a.Minus(c)), shared, without computing the difference when it is known.
func (in *interner) diff(a, c licensing.PlanSet) []licensing.PlanID {
	in.key, _ = a.AppendBinary(in.key[:0])
	n := len(in.key)
	in.key, _ = c.AppendBinary(in.key)
	k, o := in.key[:n], in.key[n:]
	for i := range min(len(k), len(o)) {
		k[i] &^= o[i]
	}
	for len(k) >= 8 && string(k[len(k)-8:]) == "\x00\x00\x00\x00\x00\x00\x00\x00" {
		k = k[:len(k)-8]
	}
	if len(k) == 0 {
		return nil
	}
	if ids, ok := in.byName[string(k)]; ok {
		return ids
	}
	ids := in.cat.PlanIDs(a.Minus(c))
	in.byName[string(k)] = ids
	return ids
}

// joined is strings.Join(parts, sep), shared.
func (in *interner) joined(parts []string, sep string) string {
	in.key = in.key[:0]
	for i, p := range parts {
		if i > 0 {
			in.key = append(in.key, sep...)
		}
		in.key = append(in.key, p...)
	}
	if s, ok := in.texts[string(in.key)]; ok {
		return s
	}
	s := string(in.key)
	in.texts[s] = s
	return s
}

// licenses returns a shared copy of ls (nil when empty), whose DisabledPlans must themselves
// be interned (planIDsByID), so that equal lists have equal keys.
func (in *interner) licenses(ls []licensing.AssignedLicense) []licensing.AssignedLicense {
	if len(ls) == 0 {
		return nil
	}
	in.key = in.key[:0]
	for _, l := range ls {
		in.key = append(in.key, l.SkuID[:]...)
		in.key = binary.AppendUvarint(in.key, uint64(len(l.DisabledPlans)))
		for _, p := range l.DisabledPlans {
			in.key = append(in.key, p[:]...)
		}
	}
	if out, ok := in.lics[string(in.key)]; ok {
		return out
	}
	out := append(make([]licensing.AssignedLicense, 0, len(ls)), ls...)
	in.lics[string(in.key)] = out
	return out
}

// skus returns a shared copy of ids (never nil).
func (in *interner) skus(ids []licensing.SkuID) []licensing.SkuID {
	in.key = in.key[:0]
	for _, id := range ids {
		in.key = append(in.key, id[:]...)
	}
	if out, ok := in.skuIDs[string(in.key)]; ok {
		return out
	}
	out := append(make([]licensing.SkuID, 0, len(ids)), ids...)
	in.skuIDs[string(in.key)] = out
	return out
}

// member returns the shared expectation of a membership step: the user is (or is not) a member.
func (in *interner) member(is bool) *Expectation {
	i := 0
	if is {
		i = 1
	}
	if in.isMem[i] == nil {
		in.isMem[i] = &Expectation{Member: is}
	}
	return in.isMem[i]
}

// memo returns the text build returns for key, calling build once per distinct key.
func (in *interner) memo(key string, build func() string) string {
	if s, ok := in.memos[key]; ok {
		return s
	}
	if in.memos == nil {
		in.memos = map[string]string{}
	}
	s := build()
	in.memos[key] = s
	return s
}

func mustBinary(s licensing.PlanSet) []byte {
	b, _ := s.AppendBinary(nil)
	return b
}
