package jsonout_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/internal/jsonout"
)

// indentLikeEncoding checks AppendIndent against json.Indent on the compact form of src.
func indentLikeEncoding(t *testing.T, src []byte) {
	t.Helper()
	var compact, want bytes.Buffer
	if err := json.Compact(&compact, src); err != nil {
		return // not JSON: AppendIndent's input is always valid
	}
	if err := json.Indent(&want, compact.Bytes(), "    ", "  "); err != nil {
		t.Fatal(err)
	}
	got := jsonout.AppendIndent([]byte("x"), compact.Bytes(), "    ", "  ")
	assert.Equal(t, "x"+want.String(), string(got), "input %q", compact.String())
}

func TestAppendIndentIsJSONIndent(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, `1`, `"s"`, `null`, `{"a":[]}`, `{"a":{}}`, `[[],[{}],{}]`,
		`{"a":1,"b":[1,2,{"c":"d"}],"e":{"f":null,"g":true}}`,
		`{"q":"a \"quoted\" string, with: {brackets} [and] \\ backslashes\\","u":"\u2028 é ☃"}`,
		`{"x":"\\","y":"\\\"","z":["\"",",",":","{"]}`,
		`[{"id":"s1","dependsOn":[],"gained":["a","b"],"expect":{"directLicenses":[{"skuId":"x","disabledPlans":[]}]}}]`,
	} {
		indentLikeEncoding(t, []byte(src))
	}
}

func FuzzAppendIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\"d"}],"e":[]}`, `[[[]]]`, `"\\"`, `{"":{"":[]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) { indentLikeEncoding(t, src) })
}
