package jsonout

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// checkAppendString fails the test unless AppendString encodes s as encoding/json does (HTML
// left unescaped).
func checkAppendString(t *testing.T, s string) {
	t.Helper()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	if got := AppendString(nil, s); string(got)+"\n" != want.String() {
		t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got, want.String())
	}
}

// The builder lays out what encoding/json lays out, strings included.
func TestIndentedMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `quo"te`, `back\slash`, "\b\f\n\r\t", "\x00\x01\x1f\x7f", "<html>&amp;",
		"Office 365 E3", "ünïcødé ✓", "\u2028\u2029", "bad \xff utf8 \xc3", "tail\xe2\x82"}
	for _, s := range strs {
		checkAppendString(t, s)
	}

	type inner struct {
		A []string `json:"a"`
		B []int    `json:"b"`
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	doc := struct {
		ID    string  `json:"id"`
		Empty []int   `json:"empty"`
		Obj   inner   `json:"obj"`
		Objs  []inner `json:"objs"`
		N     int     `json:"n"`
		T     bool    `json:"t"`
	}{"s1", []int{}, inner{[]string{"x", "<y>"}, []int{}}, []inner{{[]string{}, []int{1}}, {nil, nil}}, -3, true}
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	w := NewIndented(nil, "    ", "  ")
	w.Open('{')
	w.Key("id")
	w.String("s1")
	w.Key("empty")
	w.Open('[')
	w.Close(']')
	w.Key("obj")
	w.Open('{')
	w.Key("a")
	w.Strings([]string{"x", "<y>"})
	w.Key("b")
	w.Open('[')
	w.Close(']')
	w.Close('}')
	w.Key("objs")
	w.Open('[')
	w.Elem()
	w.Open('{')
	w.Key("a")
	w.Strings(nil)
	w.Key("b")
	w.Open('[')
	w.Elem()
	w.Int(1)
	w.Close(']')
	w.Close('}')
	w.Elem()
	w.Open('{')
	w.Key("a")
	w.Raw("null")
	w.Key("b")
	w.Raw("null")
	w.Close('}')
	w.Close(']')
	w.Key("n")
	w.Int(-3)
	w.Key("t")
	w.Bool(true)
	w.Close('}')
	if string(w.B)+"\n" != want.String() {
		t.Errorf("builder:\n%s\nencoding/json:\n%s", w.B, want.String())
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\u2028", "\xff", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAppendString(t, s)
	})
}

// AppendString reads plain bytes eight at a time: every byte that needs a look of its own is
// seen wherever it falls in a word.
func TestAppendStringEveryPosition(t *testing.T) {
	specials := []string{"\"", "\\", "\x00", "\x1f", " ", "\x7f", "\x80", "é", "\u2028", "\xff", "!", "#", "[", "]", "A"}
	for n := 0; n <= 40; n++ {
		for at := 0; at <= n; at++ {
			for _, sp := range specials {
				s := strings.Repeat("a", at) + sp + strings.Repeat("z", n-at)
				checkAppendString(t, s)
			}
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	strs := []string{"6fd2c87f-b296-42f0-b197-1e91e994b900", "user123456@contoso.onmicrosoft.com", "Office 365 E3", "assignLicense"}
	var dst []byte
	for b.Loop() {
		for _, s := range strs {
			dst = AppendString(dst[:0], s)
		}
	}
}

// QuotedKey writes what Key writes, compact or indented.
func TestQuotedKeyIsKey(t *testing.T) {
	for _, mk := range []func() *Indented{func() *Indented { return NewCompact(nil) }, func() *Indented { return NewIndented(nil, "  ", "  ") }} {
		a, b := mk(), mk()
		a.Open('{')
		b.Open('{')
		for _, k := range []string{"id", "skuPartNumber", "x"} {
			a.Key(k)
			b.QuotedKey(`"` + k + `"`)
			a.Int(1)
			b.Int(1)
		}
		a.Close('}')
		b.Close('}')
		if string(a.B) != string(b.B) {
			t.Errorf("Key: %s\nQuotedKey: %s", a.B, b.B)
		}
	}
}

// ResetTo starts a value after what the buffer holds, as Reset starts one on an empty buffer.
func TestResetToAppends(t *testing.T) {
	w := NewCompact(nil)
	w.Open('[')
	w.Elem() // left open: ResetTo forgets it
	w.ResetTo([]byte("prefix,"))
	w.Open('{')
	w.QuotedKey(`"a"`)
	w.Int(1)
	w.Close('}')
	if string(w.B) != `prefix,{"a":1}` {
		t.Errorf("got %s", w.B)
	}
}
