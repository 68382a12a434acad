package tenantload

import (
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf8"
)

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
