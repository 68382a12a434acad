package intern

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
)

// MaxEntries is the most values a table of a Pool remembers (strings, attribute sets), so that
// unique values do not grow it without bound. Users of a Pool may bound their own tables by it.
const MaxEntries = 1 << 16

// MaxAttrs is the most extension attributes an interned attribute set may have.
const MaxAttrs = 16

// Pool interns the strings, booleans and attribute sets of a tenant's users and packs their
// names into an arena. The zero Pool is not usable; use NewPool.
type Pool struct {
	strs     map[string]string
	attrs    map[string]map[string]string
	key      []byte
	attrKeys []string
	yes, no  *bool
	arena    strings.Builder // the users' id, userPrincipalName and displayName
}

// NewPool returns an empty Pool.
func NewPool() *Pool {
	p := &Pool{strs: map[string]string{}, attrs: map[string]map[string]string{}, yes: new(bool), no: new(bool)}
	*p.yes = true
	return p
}

// String returns s, or the equal string the Pool has already.
func (p *Pool) String(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := p.strs[s]; ok {
		return v
	}
	if len(p.strs) < MaxEntries {
		p.strs[s] = s
	}
	return s
}

// Bytes is String for bytes: it allocates only for a value not seen yet.
func (p *Pool) Bytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if v, ok := p.strs[string(b)]; ok {
		return v
	}
	s := string(b)
	if len(p.strs) < MaxEntries {
		p.strs[s] = s
	}
	return s
}

// Bool returns a pointer to v, shared by every caller (read-only).
func (p *Pool) Bool(v bool) *bool {
	if v {
		return p.yes
	}
	return p.no
}

// reserve makes room for n more bytes in the arena, in the block in use or a new one: a block
// is never reallocated, so the strings made from it stay valid.
func (p *Pool) reserve(n int) {
	if p.arena.Cap()-p.arena.Len() < n {
		p.arena = strings.Builder{}
		p.arena.Grow(max(1<<16, n))
	}
}

// Pack copies three strings into the arena, next to each other: one allocation for many.
func (p *Pool) Pack(a, b, d string) (string, string, string) {
	p.reserve(len(a) + len(b) + len(d))
	start := p.arena.Len()
	p.arena.WriteString(a)
	p.arena.WriteString(b)
	p.arena.WriteString(d)
	all := p.arena.String()[start:]
	return all[:len(a)], all[len(a) : len(a)+len(b)], all[len(a)+len(b):]
}

// PackBytes is Pack for bytes, which the caller may reuse afterwards.
func (p *Pool) PackBytes(a, b, d []byte) (string, string, string) {
	p.reserve(len(a) + len(b) + len(d))
	start := p.arena.Len()
	p.arena.Write(a)
	p.arena.Write(b)
	p.arena.Write(d)
	all := p.arena.String()[start:]
	return all[:len(a)], all[len(a) : len(a)+len(b)], all[len(a)+len(b):]
}

// appendAttr appends one extension attribute to the key of an attribute set.
func appendAttr(key, k, v []byte) []byte {
	key = binary.AppendUvarint(key, uint64(len(k)))
	key = append(key, k...)
	key = binary.AppendUvarint(key, uint64(len(v)))
	return append(key, v...)
}

// Attrs returns a map equal to m, shared by the users with the same attributes (read-only).
func (p *Pool) Attrs(m map[string]string) map[string]string {
	if len(m) == 0 || len(m) > MaxAttrs {
		return m
	}
	p.attrKeys = p.attrKeys[:0]
	for k := range m {
		p.attrKeys = append(p.attrKeys, k)
	}
	slices.Sort(p.attrKeys)
	p.key = p.key[:0]
	for _, k := range p.attrKeys {
		p.key = appendAttr(p.key, []byte(k), []byte(m[k]))
	}
	if v, ok := p.attrs[string(p.key)]; ok {
		return v
	}
	p.keepAttrs(m)
	return m
}

// Attr is one extension attribute as a parser read it.
type Attr struct{ K, V []byte }

// AttrsOf is Attrs for attributes given as bytes (distinct keys, which it sorts in place): the
// shared map of those attributes, or a new one with interned values. An empty list gives a new
// empty map.
func (p *Pool) AttrsOf(attrs []Attr) map[string]string {
	for i := 1; i < len(attrs); i++ {
		for j := i; j > 0 && bytes.Compare(attrs[j].K, attrs[j-1].K) < 0; j-- {
			attrs[j], attrs[j-1] = attrs[j-1], attrs[j]
		}
	}
	p.key = p.key[:0]
	for _, a := range attrs {
		p.key = appendAttr(p.key, a.K, a.V)
	}
	if m, ok := p.attrs[string(p.key)]; ok && len(attrs) > 0 {
		return m
	}
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[string(a.K)] = p.Bytes(a.V)
	}
	p.keepAttrs(m)
	return m
}

// keepAttrs interns m, an attribute set keyed in p.key, for the users after.
func (p *Pool) keepAttrs(m map[string]string) {
	if len(m) > 0 && len(m) <= MaxAttrs && len(p.attrs) < MaxEntries {
		p.attrs[string(p.key)] = m
	}
}
