package tenantload

import (
	"bytes"
	"encoding/binary"

	"github.com/licenseplan/licenseplan/internal/guid"
	"github.com/licenseplan/licenseplan/internal/intern"
	"github.com/licenseplan/licenseplan/internal/jsonstr"
)

// parser decodes the user and group objects of a tenant/v1 document without encoding/json's
// reflection. For the JSON it accepts it stores exactly what json.Unmarshal would store in
// licensing's User and Group; anything it does not vouch for (a key that matches a field only
// case-insensitively, a repeated key, a number or object where a string belongs, a malformed
// GUID, a string that is not plain UTF-8, invalid JSON, ...) makes it give up, and the loader
// has the sink decode the value with encoding/json, which also reports the error, if there is
// one.
//
// The lists are decoded into memory reused from one user to the next (the sink copies what it
// keeps); id, userPrincipalName and displayName go into the pool's arena, and the values many
// users share are interned in the pool.
type parser struct {
	pool    *intern.Pool
	b       []byte
	i       int
	lics    []License
	states  []PathState
	plans   [][16]byte
	attrs   []intern.Attr
	gids    map[string]*string // assignedByGroup values
	members [][]byte
	depth   int // how deep skip is in the value it skips
}

var (
	userKeys = [...]string{"id", "userPrincipalName", "displayName", "accountEnabled", "usageLocation", "department", "jobTitle", "onPremisesExtensionAttributes", "assignedLicenses", "licenseAssignmentStates",
		"userType", "createdDateTime", "signInActivity"}
	signInKeys  = [...]string{"lastSignInDateTime", "lastNonInteractiveSignInDateTime", "lastSuccessfulSignInDateTime"}
	licenseKeys = [...]string{"skuId", "disabledPlans"}
	stateKeys   = [...]string{"skuId", "disabledPlans", "assignedByGroup", "state", "error", "lastUpdatedDateTime"}

	// Empty lists as encoding/json stores them for [] (not nil); they can hold nothing.
	noLicenses = []License{}
	noStates   = []PathState{}
	noPlans    = [][16]byte{}
)

// user decodes the user object b (exactly one value) into u, which must be zero. It reports
// whether it could.
func (p *parser) user(b []byte, u *User) bool {
	n, ok := p.userPrefix(b, u)
	return ok && n == len(b)
}

// userPrefix decodes the user object at the start of b into u, which must be zero, and returns
// its length: b may go on after it. false: b ends first, or the parser does not vouch for it
// (u then holds part of it).
func (p *parser) userPrefix(b []byte, u *User) (int, bool) {
	p.b, p.i = b, 0
	p.lics, p.states, p.plans = p.lics[:0], p.states[:0], p.plans[:0]
	var id, upn, dn, created []byte
	var signIn [3][]byte
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
		case 10:
			u.UserType, ok = p.interned()
		case 11:
			var v []byte
			if v, ok = p.stringOrNull(); v != nil {
				created = v
			}
		case 12:
			u.HasSignInActivity, ok = p.signInActivity(&signIn)
		}
		return ok
	})
	if !ok {
		return 0, false
	}
	u.ID, u.UserPrincipalName, u.DisplayName = p.pool.PackBytes(id, upn, dn) // copies
	if len(created) > 0 {
		u.CreatedDateTime, _, _ = p.pool.PackBytes(created, nil, nil)
	}
	if u.HasSignInActivity {
		u.LastSignInDateTime, u.LastNonInteractiveSignInDateTime, u.LastSuccessfulSignInDateTime = p.pool.PackBytes(signIn[0], signIn[1], signIn[2])
	}
	return p.i, true
}

// signInActivity reads signInActivity: false for null (the user's stays as it was: absent), else
// its times into t (a null time leaves t's as it was, as json.Unmarshal leaves a string field).
// Its times are bytes of b until the user is packed. The request ids Graph adds are skipped.
func (p *parser) signInActivity(t *[3][]byte) (present, ok bool) {
	if p.literal("null") {
		return false, true
	}
	*t = [3][]byte{}
	ok = p.object(signInKeys[:], func(f int) bool {
		v, ok := p.stringOrNull()
		if v != nil {
			t[f] = v
		}
		return ok
	})
	return ok, ok
}

func (p *parser) peek() byte {
	for p.i < len(p.b) {
		if c := p.b[p.i]; !isSpace(c) {
			return c
		}
		p.i++
	}
	return 0
}

// open consumes '{' or '['.
func (p *parser) open(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// first reports whether an object or array just opened has a first member (else it consumes
// the closing bracket).
func (p *parser) first(end byte) bool {
	if p.peek() == end {
		p.i++
		return false
	}
	return true
}

// after consumes the ',' or closing bracket after a member and reports whether another follows.
func (p *parser) after(end byte) (more, ok bool) {
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
func (p *parser) key(names []string, seen *uint32) (int, bool) {
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
func (p *parser) string() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	// Most strings (ids, names, keys) are printable ASCII: one pass, eight bytes at a time,
	// finds their end. A backslash, a control character, a byte from 0x80 or the end of b
	// goes the general way, which finds the end, then unescapes and checks the contents.
	b, start := p.b, p.i+1
	i := start
	for i+8 <= len(b) && jsonstr.Plain8(binary.LittleEndian.Uint64(b[i:])) {
		i += 8
	}
	for ; i < len(b) && b[i] >= 0x20 && b[i] < 0x80 && b[i] != '\\'; i++ {
		if b[i] == '"' {
			p.i = i + 1
			return b[start:i], true
		}
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
func (p *parser) literal(lit string) bool {
	if p.peek() != lit[0] || !bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
		return false
	}
	p.i += len(lit)
	return true
}

// stringOrNull reads a string, or null (nil: a string field keeps its value).
func (p *parser) stringOrNull() ([]byte, bool) {
	if p.literal("null") {
		return nil, true
	}
	return p.string()
}

func (p *parser) interned() (string, bool) {
	b, ok := p.stringOrNull()
	if !ok {
		return "", false
	}
	return p.pool.Bytes(b), true
}

func (p *parser) boolPtr() (*bool, bool) {
	switch {
	case p.literal("true"):
		return p.pool.Bool(true), true
	case p.literal("false"):
		return p.pool.Bool(false), true
	case p.literal("null"):
		return nil, true
	}
	return nil, false
}

// attributes reads onPremisesExtensionAttributes: a map shared with the users that have the
// same attributes.
func (p *parser) attributes() (map[string]string, bool) {
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
			if bytes.Equal(a.K, k) {
				return nil, false
			}
		}
		p.attrs = append(p.attrs, intern.Attr{K: k, V: v})
		if more, ok = p.after('}'); !ok {
			return nil, false
		}
	}
	return p.pool.AttrsOf(p.attrs), true
}

// guid reads a string holding a GUID, as licensing.GUID's UnmarshalText parses it.
func (p *parser) guid() ([16]byte, bool) {
	b, ok := p.string()
	if !ok {
		return [16]byte{}, false
	}
	g, bad := guid.Decode(b)
	return g, bad == 0
}

// planList reads disabledPlans: nil for null, an empty list for [].
func (p *parser) planList() ([][16]byte, bool) {
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
		p.plans = append(p.plans, g)
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
func (p *parser) array(elem func() bool) bool {
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
func (p *parser) object(keys []string, field func(f int) bool) bool {
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
func objectList[T any](p *parser, pool *[]T, empty []T, keys []string, field func(x *T, f int) bool) ([]T, bool) {
	if p.literal("null") {
		return nil, true
	}
	start := len(*pool)
	ok := p.array(func() bool {
		// The element is read in place, at the end of pool (field appends to other pools
		// only): a local one would escape to the heap, one allocation per element.
		var zero T
		*pool = append(*pool, zero)
		x := &(*pool)[len(*pool)-1]
		return p.object(keys, func(f int) bool { return field(x, f) })
	})
	if !ok {
		return nil, false
	}
	if len(*pool) == start {
		return empty, true
	}
	return (*pool)[start:len(*pool):len(*pool)], true
}

func (p *parser) licenses() ([]License, bool) {
	return objectList(p, &p.lics, noLicenses, licenseKeys[:], func(l *License, f int) (ok bool) {
		switch f {
		case 0:
			l.SkuID, ok = p.guid()
		case 1:
			l.DisabledPlans, ok = p.planList()
		}
		return ok
	})
}

func (p *parser) pathStates() ([]PathState, bool) {
	return objectList(p, &p.states, noStates, stateKeys[:], func(st *PathState, f int) (ok bool) {
		switch f {
		case 0:
			st.SkuID, ok = p.guid()
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
func (p *parser) groupID() (*string, bool) {
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
	if len(p.gids) < intern.MaxEntries {
		p.gids[*v] = v
	}
	return v, true
}

// skip reads a value of a key that sets no field, checking that it is valid JSON (nested at
// most maxSkipDepth deep).
func (p *parser) skip() bool {
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
func (p *parser) group(b []byte, g *Group) ([][]byte, bool) {
	p.b, p.i = b, 0
	p.lics, p.plans, p.members = p.lics[:0], p.plans[:0], p.members[:0]
	var members [][]byte
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
			g.AssignedLicenses, ok = p.licenses()
		case 4:
			ok = p.processingState(g)
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
func (p *parser) stringList() ([]string, bool) {
	if p.literal("null") {
		return nil, true
	}
	out := []string{}
	ok := p.array(func() bool {
		v, ok := p.string()
		out = append(out, p.pool.Bytes(v))
		return ok
	})
	return out, ok
}

func (p *parser) memberIDs() ([][]byte, bool) {
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

// processingState reads licenseProcessingState into g: null leaves it absent.
func (p *parser) processingState(g *Group) bool {
	if p.literal("null") {
		g.HasProcessingState, g.ProcessingState = false, ""
		return true
	}
	g.HasProcessingState, g.ProcessingState = true, ""
	return p.object(processingKeys[:], func(int) bool { // state, the one key
		v, ok := p.stringOrNull()
		if v != nil {
			g.ProcessingState = string(v)
		}
		return ok
	})
}
