package tenantload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/licenseplan/licenseplan/internal/intern"
)

// Part is a part of a tenant/v1 document that a Sink decodes with encoding/json.
type Part uint8

// The parts of a document.
const (
	// WholeDocument is the document itself when it is not a JSON object: it decodes as a
	// Snapshot does (null) or to encoding/json's error.
	WholeDocument Part = iota

	// The top-level fields other than the lists.
	FormatVersion
	TenantID
	DefaultUsageLocation
	DefaultUsageLocationUnknown
	ReadAt
	ReadTimes
	Gone
	SignInActivityUnknown
	Subscriptions // read whole, as the other top-level fields: a short list

	// A top-level list's whole value, when it is not an array (null, or the wrong type). As an
	// argument of Sink.End: the list.
	SkuList
	UserList
	GroupList

	// One element of a list.
	SkuElem
	UserElem
	GroupElem
)

// fields are the top-level keys of a tenant/v1 document, the Snapshot's fields, in Part order
// from FormatVersion.
var fields = [...]string{"formatVersion", "tenantId", "defaultUsageLocation", "defaultUsageLocationUnknown", "readAt", "readTimes", "gone",
	"signInActivityUnknown", "subscriptions", "subscribedSkus", "users", "groups"}

// Field returns the Snapshot field (the top-level key) that part p belongs to; "" for the whole
// document.
func (p Part) Field() string {
	switch {
	case p == WholeDocument:
		return ""
	case p >= SkuElem:
		return fields[p-SkuElem+SkuList-FormatVersion]
	}
	return fields[p-FormatVersion]
}

// Sink receives a tenant/v1 document from Load: licensing's compiler.
//
// Load hands on the document's values in document order. Each user or group goes to User or
// Group when the parser read it, else to Decode; everything else goes to Decode. Once an error
// is certain (a type error, a value's own decoder refusing it, a list given twice), Load reads
// on only to find the error encoding/json would report first: Decode is still called, with keep
// false, and User, Group and End no more.
type Sink interface {
	// Decode decodes b, one complete JSON value that is part p of the document, with
	// json.Unmarshal into licensing's type for it, and returns json.Unmarshal's error unchanged
	// (Load works out the document's error from it). The sink keeps what it decoded (hands an
	// element on) only when keep is true and there is no error.
	Decode(p Part, b []byte, keep bool) error
	// User takes a user the parser read. u's strings may be kept; u and its lists are reused
	// once User returns.
	User(u *User)
	// Group takes a group the parser read, and its member ids (nil for null) as bytes valid
	// until Group returns. g's strings and GroupTypes may be kept; its AssignedLicenses not.
	Group(g *Group, members [][]byte)
	// End says that list p (SkuList, UserList or GroupList) ended: every element was handed on.
	End(p Part)
}

// JSONError is a document that does not decode: Err is what decoding the whole document with
// encoding/json would report (ReadSnapshot's error): a *json.SyntaxError or
// *json.UnmarshalTypeError with document offsets, io.EOF for an empty document,
// io.ErrUnexpectedEOF for one that ends too soon, the reader's error, the error of a value's
// own decoder as Sink.Decode returned it, or a syntax error worded as encoding/json's scanner
// words it.
type JSONError struct{ Err error }

func (e *JSONError) Error() string { return e.Err.Error() }
func (e *JSONError) Unwrap() error { return e.Err }

// RepeatedListError is a document that lists subscribedSkus, users or groups twice (Field is
// the list): encoding/json would merge the lists field by field; Load refuses.
type RepeatedListError struct{ Field string }

func (e *RepeatedListError) Error() string { return fmt.Sprintf("tenant file has %q twice", e.Field) }

// Load reads the tenant/v1 document from r, buffering its reading itself, and hands it to sink.
// Strings the parser keeps are interned in pool, which the sink may share. The error is nil, a
// *JSONError or a *RepeatedListError (a JSONError first, as encoding/json would stop there). On
// nil, every value has been handed on; what was not (a missing list) is for the sink to settle.
func Load(r io.Reader, sink Sink, pool *intern.Pool) error {
	return newLoader(r, sink, pool).load()
}

// loader walks a tenant/v1 document: the top-level object and its lists itself, each value
// with the parser or the sink.
type loader struct {
	s    stream
	sink Sink
	p    parser

	hardErr, typeErr, dupErr error
	stop                     bool // an error is certain: read on only for the one to report

	seen [3]bool // the lists seen
	u    User    // decoding buffers
	g    Group
}

func newLoader(r io.Reader, sink Sink, pool *intern.Pool) *loader {
	return &loader{s: stream{r: r, buf: make([]byte, 0, 1<<16)}, sink: sink, p: parser{pool: pool}}
}

func (l *loader) load() error {
	s := &l.s
	c, ok := s.peek()
	if !ok {
		return &JSONError{s.err} // io.EOF for an empty document, as ReadSnapshot says
	}
	if c != '{' {
		// Not an object: whatever it is, it decodes as ReadSnapshot decodes it.
		b, start, complete := s.value()
		if !complete {
			return l.truncated(b, start)
		}
		if err := l.decode(WholeDocument, b, start); err != nil {
			return err
		}
		return l.jsonErr()
	}
	s.pos++
	for first := true; ; first = false {
		c, ok := s.peek()
		if !ok {
			return l.ended()
		}
		if c == '}' {
			break
		}
		if !first {
			if c != ',' {
				return syntaxError(s.offset(), c, "after object key:value pair")
			}
			s.pos++
			if c, ok = s.peek(); !ok {
				return l.ended()
			}
		}
		if c != '"' {
			return syntaxError(s.offset(), c, "looking for beginning of object key string")
		}
		b, start, complete := s.value()
		if !complete {
			return l.truncated(b, start)
		}
		key, err := l.key(b, start)
		if err != nil {
			return err
		}
		if c, ok = s.peek(); !ok {
			return l.ended()
		}
		if c != ':' {
			return syntaxError(s.offset(), c, "after object key")
		}
		s.pos++
		if _, ok = s.peek(); !ok {
			return l.ended()
		}
		if err := l.field(key); err != nil {
			return err
		}
	}
	if err := l.jsonErr(); err != nil {
		return err
	}
	return l.dupErr
}

// jsonErr is the decoding error ReadSnapshot would report, if any.
func (l *loader) jsonErr() error {
	if l.hardErr != nil {
		return &JSONError{l.hardErr}
	}
	if l.typeErr != nil {
		return &JSONError{l.typeErr}
	}
	return nil
}

// ended is the error for a document that ends, or whose reading fails, before its end.
func (l *loader) ended() error {
	if l.s.err == io.EOF {
		return &JSONError{io.ErrUnexpectedEOF}
	}
	return &JSONError{l.s.err}
}

// truncated is the error for a value cut off by the end of the input: a syntax error in what
// there is of it comes first (a json.Decoder at the end of its input tells them apart).
func (l *loader) truncated(b []byte, start int64) error {
	var se *json.SyntaxError
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(new(json.RawMessage)); errors.As(err, &se) {
		se.Offset += start
		return &JSONError{se}
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
		return "", &JSONError{err}
	}
	return k, nil
}

// decode has the sink decode the complete value b, part p at document offset start, as
// ReadSnapshot's decoding would. It returns the errors that end the reading; type errors and
// the errors of a value's own decoder are kept, as the decoding goes on.
func (l *loader) decode(p Part, b []byte, start int64) error {
	return l.classify(l.sink.Decode(p, b, !l.stop), start, p.Field())
}

// classify takes the error of decoding a value at document offset start (field: the Snapshot
// field it belongs to) as encoding/json's decoding of the whole document would.
func (l *loader) classify(err error, start int64, field string) error {
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		se.Offset += start
		return &JSONError{se}
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
	f, _ := fieldIndex(fields[:], []byte(key))
	p := FormatVersion + Part(max(f, 0))
	if f >= 0 && p >= SkuList && p <= GroupList {
		return l.list(p)
	}
	b, start, complete := l.s.value()
	if !complete {
		return l.truncated(b, start)
	}
	if f < 0 { // not a Snapshot field: it only has to be valid JSON
		return l.classify(json.Unmarshal(b, new(skipValue)), start, "")
	}
	return l.decode(p, b, start)
}

// list reads a top-level list: an array one element at a time; anything else (null, a wrong
// type) whole, as ReadSnapshot would.
func (l *loader) list(p Part) error {
	s := &l.s
	which := p - SkuList
	if l.seen[which] && l.dupErr == nil {
		l.dupErr = &RepeatedListError{p.Field()}
		l.stop = true
	}
	l.seen[which] = true
	if c, _ := s.peek(); c != '[' {
		b, start, complete := s.value()
		if !complete {
			return l.truncated(b, start)
		}
		if err := l.decode(p, b, start); err != nil {
			return err
		}
		l.listEnd(p)
		return nil
	}
	s.pos++
	elem := p - SkuList + SkuElem
	for first := true; ; first = false {
		c, ok := s.peek()
		if !ok {
			return l.ended()
		}
		if c == ']' {
			s.pos++
			l.listEnd(p)
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
		if elem == UserElem && l.userInPlace() {
			continue
		}
		b, start, complete := s.value()
		if !complete {
			return l.truncated(b, start)
		}
		if err := l.element(elem, b, start); err != nil {
			return err
		}
	}
}

// userInPlace decodes the user that starts at the stream's position straight from the buffer,
// without finding where it ends first (stream.value): one pass over its bytes, not two. false
// (the stream has not moved): the buffer ends first, or the parser does not vouch for the user;
// the caller then takes the value whole and hands it on (element), as any other value.
func (l *loader) userInPlace() bool {
	s := &l.s
	u := &l.u
	*u = User{}
	n, ok := l.p.userPrefix(s.buf[s.pos:], u)
	if !ok {
		return false
	}
	s.pos += n
	if !l.stop {
		l.sink.User(u)
	}
	return true
}

// element hands on one element of a list: a user or group the parser reads, else to the sink.
func (l *loader) element(p Part, b []byte, start int64) error {
	switch p {
	case UserElem:
		u := &l.u
		*u = User{}
		if l.p.user(b, u) {
			if !l.stop {
				l.sink.User(u)
			}
			return nil
		}
	case GroupElem:
		g := &l.g
		*g = Group{}
		if members, ok := l.p.group(b, g); ok {
			if !l.stop {
				l.sink.Group(g, members)
			}
			return nil
		}
	}
	return l.decode(p, b, start)
}

func (l *loader) listEnd(p Part) {
	if !l.stop {
		l.sink.End(p)
	}
}

// syntaxError is the scanner's error for character c at document offset at.
func syntaxError(at int64, c byte, context string) error {
	return &JSONError{fmt.Errorf("syntax error at offset %d: invalid character %s %s", at+1, quoteChar(c), context)}
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
