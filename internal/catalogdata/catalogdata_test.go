package catalogdata

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteParseRoundTrip(t *testing.T) {
	d := &Data{
		Source: "a\tsource", Date: "2026-12-01",
		Plans: []Plan{{ID: "p0", Name: "EXCHANGE_S_ENTERPRISE", Friendly: "Exchange Online (Plan 2)"}, {ID: "p1", Name: "X", Friendly: "", Aliases: []string{"Y", "Z"}}},
		Skus:  []Sku{{ID: "s0", PartNumber: "ENTERPRISEPACK", Product: "Office 365 E3", Plans: []int{1, 0}}, {ID: "s1", PartNumber: "EMPTY"}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := Write(&again, got); err != nil {
		t.Fatal(err)
	}
	if again.String() != buf.String() {
		t.Fatalf("round trip changed the file:\n%s\n---\n%s", buf.String(), again.String())
	}
	if got.Source != "a source" || len(got.Plans) != 2 || got.Plans[1].Aliases[1] != "Z" || got.Skus[0].Plans[0] != 1 || got.Skus[1].Plans != nil {
		t.Fatalf("parsed %+v", got)
	}
}

func TestParseNamesTheBadLine(t *testing.T) {
	for text, want := range map[string]string{
		"date\tx\np\tid\tname\n":            "line 2: p record needs id, name and friendly name",
		"p\tid\tn\tf\ns\tid\tpart\tprod\t1": "line 2: SKU id lists plan \"1\", want a number below 1",
		"x\ty":                              `line 1: unknown record "x"`,
	} {
		_, err := Parse(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", text, err, want)
		}
	}
	if err := Write(&bytes.Buffer{}, &Data{Skus: []Sku{{ID: "s", Plans: []int{3}}}}); err == nil {
		t.Error("Write accepted a plan number out of range")
	}
}
