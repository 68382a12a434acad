package licensing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// LoadState reads a tenant/v1 document and compiles it: the State, and the errors, of
// NewState(ReadSnapshot(r)) without holding the document. The document is read as a stream,
// one SKU, user and group at a time, and each user keeps only its directory fields (see
// State.User) and its compiled paths; users share interned values such as departments. Memory
// stays proportional to the tenant's users rather than to the document when the document lists
// subscribedSkus before users and users before groups, as Snapshot.WriteJSON writes it; other
// orders are read correctly, with users or groups held until what they depend on has been read.
// LoadState buffers its reading itself.
//
// Unlike ReadSnapshot, which merges repeated top-level keys field by field, LoadState refuses a
// document that lists subscribedSkus, users or groups twice.
func LoadState(r io.Reader, opts ...StateOption) (*State, error) {
	if r == nil {
		return nil, errorf(InvalidInput, "LoadState: the reader is nil; pass the tenant/v1 document")
	}
	cfg := stateConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	l := &loader{c: newCompiler(cfg, true, true, 0, 0), s: stream{r: r, buf: make([]byte, 0, 1<<16)}}
	l.p.c = l.c
	return l.load()
}

// The top-level lists.
const (
	listSkus = iota
	listUsers
	listGroups
)

// loader walks a tenant/v1 document: the top-level object and its lists itself, each value with
// encoding/json (users and groups with a parser of their own first, see userParser). The errors are those
// of decoding the whole document into a Snapshot, which scans it all before it stores anything:
// the first syntax error in the document wins, then the first error of a value's own decoder (a
// malformed GUID, which stops the decoding), then the first type error (after which the decoding
// goes on). Offsets count from the start of the document.
type loader struct {
	s stream
	c *compiler
	p userParser

	hardErr, typeErr, dupErr error
	stop                     bool // an error is certain: read on only for the one to report

	h header // the top-level fields

	seen          [3]bool
	usersEnded    bool
	pendingUsers  []pendingUser
	pendingGroups []*Group
	u             User  // decoding buffer
	scanned       int64 // what the stream scanned, kept when it is released
}

func (l *loader) load() (*State, error) {
	s := &l.s
	c, ok := s.peek()
	if !ok {
		return nil, jsonError(s.err) // io.EOF for an empty document, as ReadSnapshot says
	}
	if c != '{' {
		// Not an object: whatever it is, it decodes as ReadSnapshot decodes it.
		b, start, complete := s.value()
		if !complete {
			return nil, l.truncated(b, start)
		}
		var snap Snapshot
		if err := l.unmarshal(b, start, &snap, ""); err != nil {
			return nil, err
		}
		if err := l.jsonErr(); err != nil {
			return nil, err
		}
		return l.c.snapshot(&snap)
	}
	s.pos++
	for first := true; ; first = false {
		c, ok := s.peek()
		if !ok {
			return nil, l.ended()
		}
		if c == '}' {
			break
		}
		if !first {
			if c != ',' {
				return nil, syntaxError(s.offset(), c, "after object key:value pair")
			}
			s.pos++
			if c, ok = s.peek(); !ok {
				return nil, l.ended()
			}
		}
		if c != '"' {
			return nil, syntaxError(s.offset(), c, "looking for beginning of object key string")
		}
		b, start, complete := s.value()
		if !complete {
			return nil, l.truncated(b, start)
		}
		key, err := l.key(b, start)
		if err != nil {
			return nil, err
		}
		if c, ok = s.peek(); !ok {
			return nil, l.ended()
		}
		if c != ':' {
			return nil, syntaxError(s.offset(), c, "after object key")
		}
		s.pos++
		if _, ok = s.peek(); !ok {
			return nil, l.ended()
		}
		if err := l.field(key); err != nil {
			return nil, err
		}
	}
	if err := l.jsonErr(); err != nil {
		return nil, err
	}
	if l.dupErr != nil {
		return nil, l.dupErr
	}
	l.skusEnd()
	l.scanned = l.s.scanned
	l.s, l.p = stream{}, userParser{} // the reading's buffers are not needed any more
	return l.c.finish(l.h)
}

// jsonErr is the decoding error ReadSnapshot would report, if any.
func (l *loader) jsonErr() error {
	if l.hardErr != nil {
		return jsonError(l.hardErr)
	}
	if l.typeErr != nil {
		return jsonError(l.typeErr)
	}
	return nil
}

func jsonError(err error) error {
	return &Error{Kind: InvalidInput, Message: "tenant file is not valid tenant/v1 JSON", Err: describeJSONError(err)}
}

// ended is the error for a document that ends, or whose reading fails, before its end.
func (l *loader) ended() error {
	if l.s.err == io.EOF {
		return jsonError(io.ErrUnexpectedEOF)
	}
	return jsonError(l.s.err)
}

// truncated is the error for a value cut off by the end of the input: a syntax error in what
// there is of it comes first (a json.Decoder at the end of its input tells them apart).
func (l *loader) truncated(b []byte, start int64) error {
	var se *json.SyntaxError
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(new(json.RawMessage)); errors.As(err, &se) {
		se.Offset += start
		return jsonError(se)
	}
	return l.ended()
}

// key unquotes an object key.
func (l *loader) key(b []byte, start int64) (string, error) {
	if k, ok := unquote(b); ok {
		return string(k), nil
	}
	var k string // for encoding/json's verdict: its error, or a key unquote leaves to it
	if err := json.Unmarshal(b, &k); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			se.Offset += start
		}
		return "", jsonError(err)
	}
	return k, nil
}

// unquote returns the contents of raw, a JSON string with its quotes: within raw when it has no
// escapes, else decoded. false: raw is not a string this fast path vouches for (encoding/json
// decides).
func unquote(raw []byte) ([]byte, bool) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, plainString(inner)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// unmarshal decodes the complete value b, at document offset start, into v as ReadSnapshot's
// decoding would; field is the Snapshot field it belongs to. It returns the errors that end the
// reading; type errors and the errors of a value's own decoder are kept, as the decoding goes on.
func (l *loader) unmarshal(b []byte, start int64, v any, field string) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		se.Offset += start
		return jsonError(se)
	case errors.As(err, &te):
		te.Offset += start
		if te.Field == "" {
			te.Field = field
		} else if field != "" {
			te.Field = field + "." + te.Field
		}
		if l.typeErr == nil {
			l.typeErr = te
		}
	default: // the value's own decoder refused it (a malformed GUID): decoding stops there
		if l.hardErr == nil {
			l.hardErr = err
		}
	}
	l.stop = true
	return nil
}

// field reads the value of a top-level key; the stream is at the value.
func (l *loader) field(key string) error {
	name := snapshotField(key)
	var v any
	switch name {
	case "formatVersion":
		v = &l.h.formatVersion
	case "tenantId":
		v = &l.h.tenantID
	case "defaultUsageLocation":
		v = &l.h.defaultLoc
	case "defaultUsageLocationUnknown":
		v = &l.h.defaultLocUnknown
	case "readAt":
		v = &l.h.readAt
	case "readTimes":
		v = &l.h.readTimes
	case "gone":
		v = &l.h.gone
	case "subscribedSkus":
		return l.list(listSkus, name)
	case "users":
		return l.list(listUsers, name)
	case "groups":
		return l.list(listGroups, name)
	default:
		v = new(skipValue)
	}
	b, start, complete := l.s.value()
	if !complete {
		return l.truncated(b, start)
	}
	return l.unmarshal(b, start, v, name)
}

// list reads a top-level list: an array one element at a time; anything else (null, a wrong
// type) whole, as ReadSnapshot would.
func (l *loader) list(which int, name string) error {
	s := &l.s
	if l.seen[which] && l.dupErr == nil {
		l.dupErr = errorf(InvalidInput, "tenant file has %q twice", name)
		l.stop = true
	}
	l.seen[which] = true
	if c, _ := s.peek(); c != '[' {
		b, start, complete := s.value()
		if !complete {
			return l.truncated(b, start)
		}
		if err := l.decodeList(which, name, b, start); err != nil {
			return err
		}
		l.listEnd(which)
		return nil
	}
	s.pos++
	for first := true; ; first = false {
		c, ok := s.peek()
		if !ok {
			return l.ended()
		}
		if c == ']' {
			s.pos++
			l.listEnd(which)
			return nil
		}
		if !first {
			if c != ',' {
				return syntaxError(s.offset(), c, "after array element")
			}
			s.pos++
			if _, ok = s.peek(); !ok {
				return l.ended()
			}
		}
		b, start, complete := s.value()
		if !complete {
			return l.truncated(b, start)
		}
		if err := l.element(which, name, b, start); err != nil {
			return err
		}
	}
}

// element decodes one element of a list and hands it on.
func (l *loader) element(which int, name string, b []byte, start int64) error {
	switch which {
	case listSkus:
		k := new(SubscribedSku)
		if err := l.unmarshal(b, start, k, name); err != nil || l.stop {
			return err
		}
		l.c.addSku(k)
	case listUsers:
		u := &l.u
		*u = User{}
		parsed := l.p.user(b, u)
		if !parsed {
			*u = User{}
			if err := l.unmarshal(b, start, u, name); err != nil || l.stop {
				return err
			}
		} else if l.stop {
			return nil
		}
		l.addUser(u, parsed)
	case listGroups:
		g := new(Group)
		if members, ok := l.p.group(b, g); ok {
			if !l.stop {
				l.addGroupMembers(g, members)
			}
			return nil
		}
		*g = Group{}
		if err := l.unmarshal(b, start, g, name); err != nil || l.stop {
			return err
		}
		l.addGroup(g)
	}
	return nil
}

// decodeList decodes a whole list value and hands its elements on.
func (l *loader) decodeList(which int, name string, b []byte, start int64) error {
	switch which {
	case listSkus:
		var ks []SubscribedSku
		if err := l.unmarshal(b, start, &ks, name); err != nil || l.stop {
			return err
		}
		for i := range ks {
			l.c.addSku(&ks[i])
		}
	case listUsers:
		var us []User
		if err := l.unmarshal(b, start, &us, name); err != nil || l.stop {
			return err
		}
		for i := range us {
			l.addUser(&us[i], false)
		}
	case listGroups:
		var gs []Group
		if err := l.unmarshal(b, start, &gs, name); err != nil || l.stop {
			return err
		}
		for i := range gs {
			l.addGroup(&gs[i])
		}
	}
	return nil
}

// addUser compiles user u now, or once the SKUs are complete (then a copy: what u points to may
// be reused); parsed says it comes from the user parser (compiler.addUser).
func (l *loader) addUser(u *User, parsed bool) {
	if l.c.skusDone {
		l.c.addUser(u, parsed)
		return
	}
	l.pendingUsers = append(l.pendingUsers, pendingUser{cloneUser(u), parsed})
}

// pendingUser is a user read before the SKUs were complete.
type pendingUser struct {
	u      *User
	parsed bool
}

// cloneUser copies u and its lists.
func cloneUser(u *User) *User {
	c := *u
	c.AssignedLicenses = cloneLicenses(u.AssignedLicenses)
	c.LicenseAssignmentStates = slices.Clone(u.LicenseAssignmentStates)
	for i := range c.LicenseAssignmentStates {
		st := &c.LicenseAssignmentStates[i]
		st.DisabledPlans = slices.Clone(st.DisabledPlans)
	}
	return &c
}

func cloneLicenses(ls []AssignedLicense) []AssignedLicense {
	out := slices.Clone(ls)
	for i := range out {
		out[i].DisabledPlans = slices.Clone(out[i].DisabledPlans)
	}
	return out
}

// addGroupMembers is addGroup for a group whose member ids are given apart, as bytes that may
// be reused.
func (l *loader) addGroupMembers(g *Group, members byteMembers) {
	if l.c.skusDone {
		l.c.addGroupMembers(g, members)
		return
	}
	g.Members = members.strings()
	l.pendingGroups = append(l.pendingGroups, g)
}

func (l *loader) addGroup(g *Group) {
	if l.c.skusDone {
		l.c.addGroup(g)
		return
	}
	l.pendingGroups = append(l.pendingGroups, g)
}

func (l *loader) listEnd(which int) {
	if l.stop {
		return
	}
	switch which {
	case listSkus:
		l.skusEnd()
	case listUsers:
		l.usersEnded = true
		if l.c.skusDone {
			l.c.usersEnd()
		}
	}
}

// skusEnd completes the SKUs and compiles what waited for them.
func (l *loader) skusEnd() {
	if l.c.skusDone {
		return
	}
	l.c.skusEnd()
	for _, p := range l.pendingUsers {
		l.c.addUser(p.u, p.parsed)
	}
	if l.usersEnded {
		l.c.usersEnd()
	}
	for _, g := range l.pendingGroups {
		l.c.addGroup(g)
	}
	l.pendingUsers, l.pendingGroups = nil, nil
}

// syntaxError is the scanner's error for character c at document offset at.
func syntaxError(at int64, c byte, context string) error {
	return jsonError(fmt.Errorf("syntax error at offset %d: invalid character %s %s", at+1, quoteChar(c), context))
}

// quoteChar formats c as encoding/json's syntax errors do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(c))
	return "'" + s[1:len(s)-1] + "'"
}

// skipValue reads a value without storing it (a top-level key that is not a Snapshot field).
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

var snapshotFields = [...]string{"formatVersion", "tenantId", "defaultUsageLocation", "defaultUsageLocationUnknown", "readAt", "readTimes", "gone", "subscribedSkus", "users", "groups"}

// snapshotField returns the Snapshot field a top-level key sets; "" for none.
func snapshotField(key string) string {
	if i, _ := fieldIndex(snapshotFields[:], []byte(key)); i >= 0 {
		return snapshotFields[i]
	}
	return ""
}

// fieldIndex returns the index of the field of names that key sets, matched as encoding/json
// matches keys: exactly (exact), or else case-insensitively with Unicode folding; -1 for none.
func fieldIndex(names []string, key []byte) (i int, exact bool) {
	for i, n := range names {
		if string(key) == n {
			return i, true
		}
	}
	for i, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return i, false
		}
	}
	return -1, false
}

// stream reads a document into a window that slides as it is read.
type stream struct {
	r    io.Reader
	buf  []byte
	pos  int   // the next byte to read, in buf
	base int64 // the document offset of buf[0]
	err  error // why the input ended (io.EOF) or failed

	scanned int64 // bytes handed to scanValue: linear in the input, whatever the read size
}

func (s *stream) offset() int64 { return s.base + int64(s.pos) }

// more reads more input, dropping what precedes buf[keep] (keep ≤ pos). It reports whether
// there is more to see.
func (s *stream) more(keep int) bool {
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:])
		s.buf = s.buf[:n]
		s.base += int64(keep)
		s.pos -= keep
	}
	for s.err == nil {
		if len(s.buf) == cap(s.buf) {
			nb := make([]byte, len(s.buf), 2*cap(s.buf))
			copy(nb, s.buf)
			s.buf = nb
		}
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.err = err
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// fill is more, reading on until the buffer is full or the input ends.
func (s *stream) fill(keep int) bool {
	if !s.more(keep) {
		return false
	}
	for len(s.buf) < cap(s.buf) && s.more(0) {
	}
	return true
}

// peek returns the next byte that is not white space and leaves the stream at it; false at
// the end of the input (s.err says why).
func (s *stream) peek() (byte, bool) {
	for {
		for ; s.pos < len(s.buf); s.pos++ {
			if c := s.buf[s.pos]; !isSpace(c) {
				return c, true
			}
		}
		if !s.fill(s.pos) {
			return 0, false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// value returns the JSON value that starts at the stream's position and its document offset,
// and moves past it. A valid value ends where encoding/json's scanner ends it; an invalid one
// reaches at least to the scanner's first error in it, so that encoding/json reports that
// error from the bytes. complete is false when the input ends first. The bytes are valid until
// the stream is read again.
func (s *stream) value() (b []byte, start int64, complete bool) {
	var n int
	for {
		n, complete = scanValue(s.buf[s.pos:], false)
		if complete {
			s.scanned += int64(n)
			break
		}
		s.scanned += int64(len(s.buf) - s.pos) // all of it, and on when more is read
		if !s.fill(s.pos) {
			break
		}
	}
	if !complete {
		n, complete = scanValue(s.buf[s.pos:], true)
	}
	if !complete {
		n = len(s.buf) - s.pos
	}
	start = s.offset()
	b = s.buf[s.pos : s.pos+n]
	s.pos += n
	return b, start, complete
}

// scanValue finds the end of the value at the start of b and returns its length, or false
// when b ends first. At the end of the input (eof), a number may end with b.
func scanValue(b []byte, eof bool) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch c := b[0]; {
	case c == '{' || c == '[':
		// Depth of brackets outside strings. A value longer than what was read is scanned
		// again from its start once the buffer is full (stream.fill): a logarithmic number
		// of times, as the buffer doubles.
		depth := 0
		for i := 0; i < len(b); i++ {
			switch b[i] {
			case '"':
				j, ok := stringEnd(b, i)
				if !ok {
					return 0, false
				}
				i = j - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	case c == '"':
		if j, ok := stringEnd(b, 0); ok {
			return j, true
		}
		return 0, false
	case c == 't':
		return literalEnd(b, "true")
	case c == 'f':
		return literalEnd(b, "false")
	case c == 'n':
		return literalEnd(b, "null")
	case c == '-' || '0' <= c && c <= '9':
		return numberEnd(b, eof)
	}
	return 1, true // not a value: encoding/json says what it is
}

// stringEnd returns the offset just after the string that starts at b[i] ('"').
func stringEnd(b []byte, i int) (int, bool) {
	for i++; i < len(b); {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false
		}
		if k := bytes.IndexByte(b[i:i+j], '\\'); k < 0 {
			return i + j + 1, true
		} else {
			i += k + 2 // skip the escaped byte
		}
	}
	return 0, false
}

// literalEnd matches a literal: its length, or up to and including the first wrong byte.
func literalEnd(b []byte, lit string) (int, bool) {
	for i := 1; i < len(lit); i++ {
		if i >= len(b) {
			return 0, false
		}
		if b[i] != lit[i] {
			return i + 1, true
		}
	}
	return len(lit), true
}

// numberEnd follows JSON's number grammar as encoding/json's scanner does: the number ends
// before the first byte that cannot continue it, or the bytes reach that byte when the number
// may not end there.
func numberEnd(b []byte, eof bool) (int, bool) {
	n, valid, complete := scanNumber(b)
	if complete && !valid {
		n++
	}
	return n, complete || eof && valid
}

// scanNumber reads the number at the start of b: the length of what continues it, and whether
// that much is a number; complete is false when b ends before something else follows.
func scanNumber(b []byte) (n int, valid, complete bool) {
	const (
		sign = iota // after '-'
		zero        // "0"
		digits
		dot // after '.'
		frac
		exp // after 'e'
		expSign
		expDigits
	)
	final := func(s int) bool { return s == zero || s == digits || s == frac || s == expDigits }
	state := digits
	switch b[0] {
	case '-':
		state = sign
	case '0':
		state = zero
	}
	for i := 1; i < len(b); i++ {
		c := b[i]
		digit := '0' <= c && c <= '9'
		next := -1
		switch state {
		case sign:
			if c == '0' {
				next = zero
			} else if digit {
				next = digits
			}
		case zero, digits:
			switch {
			case digit && state == digits:
				next = digits
			case c == '.':
				next = dot
			case c == 'e' || c == 'E':
				next = exp
			}
		case dot, frac:
			if digit {
				next = frac
			} else if state == frac && (c == 'e' || c == 'E') {
				next = exp
			}
		case exp:
			if c == '+' || c == '-' {
				next = expSign
			} else if digit {
				next = expDigits
			}
		case expSign, expDigits:
			if digit {
				next = expDigits
			}
		}
		if next < 0 {
			return i, final(state), true
		}
		state = next
	}
	return len(b), final(state), false
}

// plainString reports whether the bytes of a JSON string without escapes decode to themselves:
// no control characters, and valid UTF-8.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 {
			return plainSlow(b)
		}
	}
	return true
}

func plainSlow(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return false
		}
	}
	return utf8.Valid(b)
}
