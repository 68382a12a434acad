package jsonout

import (
	"strconv"
	"unicode/utf8"

	"github.com/licenseplan/licenseplan/internal/jsonstr"
)

// Indented appends one JSON value to B, laid out byte for byte as json.Encoder with
// SetEscapeHTML(false) and SetIndent(prefix, indent) lays it out (less the encoder's final
// newline): each element and key on its own line, an empty object or array as {} or [].
// It is for hot paths that would otherwise marshal through reflection and then indent; the
// caller writes the structure (Open, Key or Elem before each value, Close) and gets no
// validation beyond that.
//
// A compact Indented (NewCompact) lays the value out as json.Marshal does, on one line.
type Indented struct {
	B              []byte
	prefix, indent string
	compact        bool
	first          []bool // per open container: nothing in it yet
}

// NewIndented starts a value on dst (reset to empty).
func NewIndented(dst []byte, prefix, indent string) *Indented {
	return &Indented{B: dst[:0], prefix: prefix, indent: indent}
}

// NewCompact starts a value on dst (reset to empty), laid out on one line.
func NewCompact(dst []byte) *Indented {
	return &Indented{B: dst[:0], compact: true}
}

// Reset starts a new value, keeping the memory.
func (w *Indented) Reset() { w.ResetTo(w.B[:0]) }

// ResetTo starts a new value after what dst holds: B is dst, to which the value is appended.
func (w *Indented) ResetTo(dst []byte) {
	w.B, w.first = dst, w.first[:0]
}

func (w *Indented) newline(depth int) {
	if w.compact {
		return
	}
	w.B = append(w.B, '\n')
	w.B = append(w.B, w.prefix...)
	for range depth {
		w.B = append(w.B, w.indent...)
	}
}

// Open starts an object ('{') or an array ('[').
func (w *Indented) Open(c byte) {
	w.B = append(w.B, c)
	w.first = append(w.first, true)
}

// Close ends the innermost object ('}') or array (']').
func (w *Indented) Close(c byte) {
	n := len(w.first)
	if !w.first[n-1] {
		w.newline(n - 1)
	}
	w.first = w.first[:n-1]
	w.B = append(w.B, c)
}

// Elem goes to the place of the next element of the innermost array.
func (w *Indented) Elem() {
	n := len(w.first)
	if w.first[n-1] {
		w.first[n-1] = false
	} else {
		w.B = append(w.B, ',')
	}
	w.newline(n)
}

// Key goes to the next member of the innermost object and writes its key.
func (w *Indented) Key(k string) {
	w.Elem()
	w.B = AppendString(w.B, k)
	if w.compact {
		w.B = append(w.B, ':')
	} else {
		w.B = append(w.B, ':', ' ')
	}
}

// QuotedKey is Key for a key given as JSON writes it, quotes included: a constant key the
// caller knows needs no escaping (`"id"`), written without looking at its bytes.
func (w *Indented) QuotedKey(quoted string) {
	w.Elem()
	w.B = append(w.B, quoted...)
	if w.compact {
		w.B = append(w.B, ':')
	} else {
		w.B = append(w.B, ':', ' ')
	}
}

// String writes a string value.
func (w *Indented) String(s string) { w.B = AppendString(w.B, s) }

// Raw writes a value already encoded (a number, a literal, or a quoted string known to need
// no escaping).
func (w *Indented) Raw(s string) { w.B = append(w.B, s...) }

// Int writes an integer.
func (w *Indented) Int(i int) { w.B = strconv.AppendInt(w.B, int64(i), 10) }

// Bool writes true or false.
func (w *Indented) Bool(b bool) { w.B = strconv.AppendBool(w.B, b) }

// Strings writes an array of strings ([] when empty).
func (w *Indented) Strings(ss []string) {
	w.Open('[')
	for _, s := range ss {
		w.Elem()
		w.String(s)
	}
	w.Close(']')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string the way encoding/json does without HTML escaping:
// quote and backslash escaped, \b \f \n \r \t by name, other control characters as \u00XX,
// U+2028 and U+2029 as \u2028 and \u2029, and invalid UTF-8 as \ufffd.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look of its own.
		for i+8 <= len(s) && jsonstr.Plain8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
