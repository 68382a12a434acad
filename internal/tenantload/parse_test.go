package tenantload

import (
	"bytes"
	"testing"
)

// The parser's one-pass read of a plain string gives what the general way (the end, then
// unquote) gives, wherever the quote, an escape, a control character or a multi-byte rune
// falls, and for strings the input cuts short.
func TestParserStringMatchesTheGeneralWay(t *testing.T) {
	general := func(b []byte, i int) ([]byte, int, bool) {
		j, ok := stringEnd(b, i)
		if !ok {
			return nil, 0, false
		}
		s, ok := unquote(b[i:j])
		return s, j, ok
	}
	specials := []string{"", "a", `\"`, `\\`, `\n`, `\u00e9`, "\x01", "\x7f", "é", "日本", "\xff"}
	for n := range 20 {
		for _, sp := range specials {
			for _, tail := range []string{`"`, `", "x"`, ``} {
				body := bytes.Repeat([]byte("x"), n)
				in := append(append(append([]byte(`"`), body...), sp...), tail...)
				p := &parser{b: in}
				got, ok := p.string()
				want, end, wantOK := general(in, 0)
				if ok != wantOK || !bytes.Equal(got, want) || (ok && p.i != end) {
					t.Errorf("%q: string() = %q, %v (at %d), want %q, %v (at %d)", in, got, ok, p.i, want, wantOK, end)
				}
			}
		}
	}
}
