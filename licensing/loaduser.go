package licensing

import (
	"bytes"
	"unsafe"
)

// userParser decodes the user (and group) objects of a tenant/v1 document without encoding/json's
// reflection. For the JSON it accepts it stores exactly what json.Unmarshal would; anything it
// does not vouch for (a key that matches a field only case-insensitively, a repeated key, a
// number or object where a string belongs, a malformed GUID, a string that is not plain UTF-8,
// invalid JSON, ...) makes it give up, and the loader decodes the user with encoding/json,
// which also reports the error, if there is one.
//
// The lists the compiler does not keep are decoded into memory reused from one user to the next
// (the loader copies a user it holds on to); id, userPrincipalName and displayName go into the
// compiler's string arena, and the values many users share are interned.
type userParser struct {
	c       *compiler
	b       []byte
	i       int
	lics    []AssignedLicense
	states  []LicenseAssignmentState
	plans   []PlanID
	attrs   []attrPair
	gids    map[string]*string // assignedByGroup values
	members byteMembers
	depth   int // how deep skip is in the value it skips
}

type attrPair struct{ k, v []byte }

// view returns b as a string without copying it, for a call that keeps neither the string nor
// anything of it (a lookup, a copy into the compiler's arena): b's bytes change afterwards.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

var (
	userKeys    = [...]string{"id", "userPrincipalName", "displayName", "accountEnabled", "usageLocation", "department", "jobTitle", "onPremisesExtensionAttributes", "assignedLicenses", "licenseAssignmentStates"}
	licenseKeys = [...]string{"skuId", "disabledPlans"}
	stateKeys   = [...]string{"skuId", "disabledPlans", "assignedByGroup", "state", "error", "lastUpdatedDateTime"}

	// Empty lists as encoding/json stores them for [] (not nil); they can hold nothing.
	noLicenses = []AssignedLicense{}
	noStates   = []LicenseAssignmentState{}
	noPlans    = []PlanID{}
)

// user decodes the user object b (exactly one value) into u, which must be zero. It reports
// whether it could.
func (p *userParser) user(b []byte, u *User) bool {
	p.b, p.i = b, 0
	p.lics, p.states, p.plans = p.lics[:0], p.states[:0], p.plans[:0]
	var id, upn, dn []byte
	ok := p.object(userKeys[:], func(f int) (ok bool) {
		switch f {
		case 0:
			id, ok = p.stringOrNull()
		case 1:
			upn, ok = p.stringOrNull()
		case 2:
			dn, ok = p.stringOrNull()
		case 3:
			u.AccountEnabled, ok = p.boolPtr()
		case 4:
			u.UsageLocation, ok = p.interned()
		case 5:
			u.Department, ok = p.interned()
		case 6:
			u.JobTitle, ok = p.interned()
		case 7:
			u.OnPremisesExtensionAttributes, ok = p.attributes()
		case 8:
			u.AssignedLicenses, ok = p.licenses()
		case 9:
			u.LicenseAssignmentStates, ok = p.pathStates()
		}
		return ok
	})
	if !ok || p.i != len(p.b) {
		return false
	}
	u.ID, u.UserPrincipalName, u.DisplayName = p.c.pack(view(id), view(upn), view(dn)) // pack copies
	return true
}

func (p *userParser) peek() byte {
	for p.i < len(p.b) {
		if c := p.b[p.i]; !isSpace(c) {
			return c
		}
		p.i++
	}
	return 0
}

// open consumes '{' or '['.
func (p *userParser) open(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// first reports whether an object or array just opened has a first member (else it consumes
// the closing bracket).
func (p *userParser) first(end byte) bool {
	if p.peek() == end {
		p.i++
		return false
	}
	return true
}

// after consumes the ',' or closing bracket after a member and reports whether another follows.
func (p *userParser) after(end byte) (more, ok bool) {
	switch p.peek() {
	case ',':
		p.i++
		return true, true
	case end:
		p.i++
		return false, true
	}
	return false, false
}

// key reads a member's key and colon: the field index in names, or -1 for a key that sets no
// field. A key seen before, or one that matches only case-insensitively, is not vouched for.
func (p *userParser) key(names []string, seen *uint32) (int, bool) {
	k, ok := p.string()
	if !ok || p.peek() != ':' {
		return 0, false
	}
	p.i++
	f, exact := fieldIndex(names, k)
	if f >= 0 && !exact {
		return 0, false
	}
	if f >= 0 {
		if *seen&(1<<f) != 0 {
			return 0, false
		}
		*seen |= 1 << f
	}
	return f, true
}

// string reads a string: its bytes, within b when it has no escapes, else freshly decoded.
func (p *userParser) string() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	j, ok := stringEnd(p.b, p.i)
	if !ok {
		return nil, false
	}
	raw := p.b[p.i:j]
	p.i = j
	return unquote(raw)
}

// literal consumes lit if it is next.
func (p *userParser) literal(lit string) bool {
	if p.peek() != lit[0] || !bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
		return false
	}
	p.i += len(lit)
	return true
}

// stringOrNull reads a string, or null (nil: a string field keeps its value).
func (p *userParser) stringOrNull() ([]byte, bool) {
	if p.literal("null") {
		return nil, true
	}
	return p.string()
}

func (p *userParser) interned() (string, bool) {
	b, ok := p.stringOrNull()
	if !ok {
		return "", false
	}
	return p.c.internBytes(b), true
}

func (p *userParser) boolPtr() (*bool, bool) {
	switch {
	case p.literal("true"):
		return p.c.yes, true
	case p.literal("false"):
		return p.c.no, true
	case p.literal("null"):
		return nil, true
	}
	return nil, false
}

// attributes reads onPremisesExtensionAttributes: a map shared with the users that have the
// same attributes.
func (p *userParser) attributes() (map[string]string, bool) {
	if p.literal("null") {
		return nil, true
	}
	if !p.open('{') {
		return nil, false
	}
	p.attrs = p.attrs[:0]
	for more := p.first('}'); more; {
		k, ok := p.string()
		if !ok || p.peek() != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.string()
		if !ok {
			return nil, false
		}
		for _, a := range p.attrs {
			if bytes.Equal(a.k, k) {
				return nil, false
			}
		}
		p.attrs = append(p.attrs, attrPair{k, v})
		if more, ok = p.after('}'); !ok {
			return nil, false
		}
	}
	// As compiler.internAttrs keys them.
	for i := 1; i < len(p.attrs); i++ {
		for j := i; j > 0 && bytes.Compare(p.attrs[j].k, p.attrs[j-1].k) < 0; j-- {
			p.attrs[j], p.attrs[j-1] = p.attrs[j-1], p.attrs[j]
		}
	}
	c := p.c
	c.key = c.key[:0]
	for _, a := range p.attrs {
		c.key = appendAttr(c.key, a.k, a.v)
	}
	if m, ok := c.attrs[string(c.key)]; ok && len(p.attrs) > 0 {
		return m, true
	}
	m := make(map[string]string, len(p.attrs))
	for _, a := range p.attrs {
		m[string(a.k)] = c.internBytes(a.v)
	}
	c.keepAttrs(m)
	return m, true
}

// guid reads a string holding a GUID, as GUID.UnmarshalText parses it.
func (p *userParser) guid() (GUID, bool) {
	b, ok := p.string()
	if !ok {
		return GUID{}, false
	}
	return parseGUIDBytes(b)
}

func parseGUIDBytes(s []byte) (GUID, bool) {
	g, bad := decodeGUID(s)
	return g, bad == 0
}

// planList reads disabledPlans: nil for null, an empty list for [].
func (p *userParser) planList() ([]PlanID, bool) {
	if p.literal("null") {
		return nil, true
	}
	if !p.open('[') {
		return nil, false
	}
	start := len(p.plans)
	for more := p.first(']'); more; {
		g, ok := p.guid()
		if !ok {
			return nil, false
		}
		p.plans = append(p.plans, PlanID(g))
		if more, ok = p.after(']'); !ok {
			return nil, false
		}
	}
	if len(p.plans) == start {
		return noPlans, true
	}
	return p.plans[start:len(p.plans):len(p.plans)], true
}

// array reads a JSON array (the '[' not yet read), calling elem for each element.
func (p *userParser) array(elem func() bool) bool {
	if !p.open('[') {
		return false
	}
	for more := p.first(']'); more; {
		if !elem() {
			return false
		}
		var ok bool
		if more, ok = p.after(']'); !ok {
			return false
		}
	}
	return true
}

// object reads a JSON object (the '{' not yet read) whose keys are looked up in keys, calling
// field with each key's index to read its value; values of other keys are skipped.
func (p *userParser) object(keys []string, field func(f int) bool) bool {
	var seen uint32
	if !p.open('{') {
		return false
	}
	for m := p.first('}'); m; {
		f, ok := p.key(keys, &seen)
		if !ok {
			return false
		}
		if f >= 0 {
			ok = field(f)
		} else {
			ok = p.skip()
		}
		if !ok {
			return false
		}
		if m, ok = p.after('}'); !ok {
			return false
		}
	}
	return true
}

// objectList reads null (nil) or a list of objects with keys into elements appended to pool
// (field reads key f's value into the element), returning them as a slice of pool, or empty
// (shared, not nil) for [].
func objectList[T any](p *userParser, pool *[]T, empty []T, keys []string, field func(x *T, f int) bool) ([]T, bool) {
	if p.literal("null") {
		return nil, true
	}
	start := len(*pool)
	ok := p.array(func() bool {
		var x T
		if !p.object(keys, func(f int) bool { return field(&x, f) }) {
			return false
		}
		*pool = append(*pool, x)
		return true
	})
	if !ok {
		return nil, false
	}
	if len(*pool) == start {
		return empty, true
	}
	return (*pool)[start:len(*pool):len(*pool)], true
}

func (p *userParser) licenses() ([]AssignedLicense, bool) {
	return objectList(p, &p.lics, noLicenses, licenseKeys[:], func(l *AssignedLicense, f int) (ok bool) {
		switch f {
		case 0:
			var g GUID
			g, ok = p.guid()
			l.SkuID = SkuID(g)
		case 1:
			l.DisabledPlans, ok = p.planList()
		}
		return ok
	})
}

func (p *userParser) pathStates() ([]LicenseAssignmentState, bool) {
	return objectList(p, &p.states, noStates, stateKeys[:], func(st *LicenseAssignmentState, f int) (ok bool) {
		switch f {
		case 0:
			var g GUID
			g, ok = p.guid()
			st.SkuID = SkuID(g)
		case 1:
			st.DisabledPlans, ok = p.planList()
		case 2:
			st.AssignedByGroup, ok = p.groupID()
		case 3:
			st.State, ok = p.interned()
		case 4:
			st.Error, ok = p.interned()
		case 5:
			st.LastUpdatedDateTime, ok = p.interned()
		}
		return ok
	})
}

// groupID reads assignedByGroup: nil for null, else a pointer shared by the paths that name
// the same group (the compiler only reads it).
func (p *userParser) groupID() (*string, bool) {
	if p.literal("null") {
		return nil, true
	}
	b, ok := p.string()
	if !ok {
		return nil, false
	}
	if v, ok := p.gids[string(b)]; ok {
		return v, true
	}
	v := new(string)
	*v = string(b)
	if p.gids == nil {
		p.gids = map[string]*string{}
	}
	if len(p.gids) < maxInterned {
		p.gids[*v] = v
	}
	return v, true
}

// skip reads a value of a key that sets no field, checking that it is valid JSON (nested at
// most maxSkipDepth deep).
func (p *userParser) skip() bool {
	if p.depth == maxSkipDepth {
		return false
	}
	p.depth++
	defer func() { p.depth-- }()
	switch c := p.peek(); {
	case c == '"':
		_, ok := p.string()
		return ok
	case c == '{':
		return p.object(nil, nil) // no field: every value is skipped
	case c == '[':
		return p.array(p.skip)
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		n, valid, complete := scanNumber(p.b[p.i:])
		if !valid || !complete {
			return false
		}
		p.i += n
		return true
	}
	return false
}

const maxSkipDepth = 100

var (
	groupKeys = [...]string{"id", "displayName", "members", "assignedLicenses", "licenseProcessingState",
		"groupTypes", "securityEnabled", "mailEnabled", "membershipRule", "membershipRuleProcessingState", "onPremisesSyncEnabled"}
	processingKeys = [...]string{"state"}
)

// group decodes the group object b (exactly one value) into g, which must be zero, except for
// its members: their ids are returned apart, as bytes valid until the next group.
func (p *userParser) group(b []byte, g *Group) (byteMembers, bool) {
	p.b, p.i = b, 0
	p.lics, p.plans, p.members = p.lics[:0], p.plans[:0], p.members[:0]
	var members byteMembers
	ok := p.object(groupKeys[:], func(f int) (ok bool) {
		var v []byte
		switch f {
		case 0:
			v, ok = p.stringOrNull()
			g.ID = string(v)
		case 1:
			v, ok = p.stringOrNull()
			g.DisplayName = string(v)
		case 2:
			members, ok = p.memberIDs()
		case 3:
			var ls []AssignedLicense
			ls, ok = p.licenses()
			g.AssignedLicenses = cloneLicenses(ls) // the State keeps them
		case 4:
			g.LicenseProcessingState, ok = p.processingState()
		case 5:
			g.GroupTypes, ok = p.stringList()
		case 6:
			g.SecurityEnabled, ok = p.boolPtr()
		case 7:
			g.MailEnabled, ok = p.boolPtr()
		case 8:
			v, ok = p.stringOrNull()
			g.MembershipRule = string(v)
		case 9:
			g.MembershipRuleProcessingState, ok = p.interned()
		case 10:
			g.OnPremisesSyncEnabled, ok = p.boolPtr()
		}
		return ok
	})
	if !ok || p.i != len(p.b) {
		return nil, false
	}
	return members, true
}

// stringList reads a list of strings (groupTypes): nil for null, an empty list for []. A null
// element is not vouched for.
func (p *userParser) stringList() ([]string, bool) {
	if p.literal("null") {
		return nil, true
	}
	out := []string{}
	ok := p.array(func() bool {
		v, ok := p.string()
		out = append(out, p.c.internBytes(v))
		return ok
	})
	return out, ok
}

func (p *userParser) memberIDs() (byteMembers, bool) {
	if p.literal("null") {
		return nil, true
	}
	ok := p.array(func() bool {
		m, ok := p.string()
		p.members = append(p.members, m)
		return ok
	})
	return p.members, ok
}

func (p *userParser) processingState() (*LicenseProcessingState, bool) {
	if p.literal("null") {
		return nil, true
	}
	ps := new(LicenseProcessingState)
	ok := p.object(processingKeys[:], func(int) bool { // state, the one key
		v, ok := p.stringOrNull()
		if v != nil {
			ps.State = string(v)
		}
		return ok
	})
	return ps, ok
}
