package tenantload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/licenseplan/licenseplan/internal/intern"
)

// The behaviour that matters, that LoadState reads every document as NewState(ReadSnapshot)
// does (the same State, or the same error at the same offset), is tested in licensing, where
// both are (TestLoadState*, FuzzReadSnapshot; LICENSEPLAN_LONG=1 for the exhaustive sweeps).
// These tests pin what the package promises its Sink.

// recorder is a Sink that notes what it is handed and decodes the rest into plain JSON values.
type recorder struct {
	events []string
	users  []User
	groups []Group
}

func (r *recorder) Decode(p Part, b []byte, keep bool) error {
	var v any
	if p == UserElem || p == GroupElem {
		v = &struct {
			ID string `json:"id"`
		}{}
	}
	err := json.Unmarshal(b, &v)
	r.events = append(r.events, fmt.Sprintf("decode %s keep=%v", p.Field(), keep && err == nil))
	return err
}

func (r *recorder) User(u *User) {
	r.events = append(r.events, "user "+u.ID)
	c := *u
	c.AssignedLicenses, c.LicenseAssignmentStates = nil, nil // reused by the parser
	r.users = append(r.users, c)
}

func (r *recorder) Group(g *Group, members [][]byte) {
	r.events = append(r.events, fmt.Sprintf("group %s %q", g.ID, members))
	r.groups = append(r.groups, *g)
}

func (r *recorder) End(p Part) { r.events = append(r.events, "end "+p.Field()) }

func load(doc string) (*recorder, error) {
	r := &recorder{}
	return r, Load(strings.NewReader(doc), r, intern.NewPool())
}

func TestLoadHandsOnInDocumentOrder(t *testing.T) {
	const sku = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	r, err := load(`{"formatVersion":"tenant/v1","x":{"users":[]},"users":[{"id":"u1","usageLocation":"US"},{"id":"u2","Department":"Sales"}],` +
		`"subscribedSkus":[{"skuId":"` + sku + `"}],"groups":[{"id":"g1","members":["u1","u2"]},{"id":"g2","members":null,"MEMBERS":[]}],"Gone":null}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"decode formatVersion keep=true",
		"user u1",
		"decode users keep=true", // a key that matches only case-insensitively: encoding/json's
		"end users",
		"decode subscribedSkus keep=true",
		"end subscribedSkus",
		`group g1 ["u1" "u2"]`,
		"decode groups keep=true", // a repeated key
		"end groups",
		"decode gone keep=true",
	}
	if fmt.Sprint(r.events) != fmt.Sprint(want) {
		t.Errorf("events:\n%q\nwant:\n%q", r.events, want)
	}
	if r.users[0].UsageLocation != "US" {
		t.Errorf("user u1: %+v", r.users[0])
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{``, "EOF"},
		{`{"users":[`, "unexpected EOF"},
		{`{"users":[] "groups":[]}`, `syntax error at offset 13: invalid character '"' after object key:value pair`},
		{`{"users":[{"id":5}],"groups":[}`, `invalid character '}' looking for beginning of value`}, // a syntax error after a type error wins
		{`{"users":[{"id":5}],"groups":[{"id":[]}]}`, `json: cannot unmarshal number into Go struct field .users.id of type string`},
		{`{"users":[],"Users":[]}`, `tenant file has "users" twice`},
	} {
		_, err := load(tc.doc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.doc, err, tc.want)
		}
	}
	// The kinds of error.
	_, err := load(`{"users":[],"users":[{"id":5}]}`)
	var je *JSONError
	if !errors.As(err, &je) {
		t.Errorf("a type error comes before a repeated list: %T %v", err, err)
	}
	_, err = load(`{"users":[],"users":[]}`)
	var re *RepeatedListError
	if !errors.As(err, &re) || re.Field != "users" {
		t.Errorf("%T %v", err, err)
	}
	_, err = load(`{"users":[{"id":5}]}`)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field != "users.id" || te.Offset != 17 {
		t.Errorf("the type error, with its field and document offset: %+v", te)
	}
}

// After an error is certain, nothing more is handed on; values are still decoded for the
// syntax error that would come first.
func TestLoadStopsHandingOn(t *testing.T) {
	r, err := load(`{"users":[{"id":5},{"id":"u2"}],"subscribedSkus":[]}`)
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{"decode users keep=false"}
	if fmt.Sprint(r.events) != fmt.Sprint(want) {
		t.Errorf("events %q, want %q", r.events, want)
	}
}

// However the input arrives (one byte a read here), the loader scans each byte of a value a
// bounded number of times: a rescan of the partial value on every read would make one-byte
// reads quadratic. Counted, not timed.
func TestLoadScansLinearly(t *testing.T) {
	// 500 users, and one group with all of them: a value bigger than many reads.
	const sku, plan = "6fd2c87f-b296-42f0-b197-1e91e994b900", "efb87545-963c-4e0d-99df-69c6916d9eb0"
	var doc bytes.Buffer
	fmt.Fprintf(&doc, `{"formatVersion":"tenant/v1","tenantId":"0c1f2e3d-4b5a-4978-8f6e-5d4c3b2a1908",`+"\n")
	fmt.Fprintf(&doc, `"subscribedSkus":[{"skuId":%q,"skuPartNumber":"ENTERPRISEPACK","prepaidUnits":{"enabled":1000},"servicePlans":[{"servicePlanId":%q}]}],`+"\n", sku, plan)
	doc.WriteString(`"users":[`)
	var members []string
	for i := range 500 {
		id := fmt.Sprintf("10000000-0000-4000-8000-%012d", i)
		if i > 0 {
			doc.WriteString(",\n")
		}
		fmt.Fprintf(&doc, `{"id":%q,"userPrincipalName":"user%d@contoso.com","usageLocation":"US","assignedLicenses":[]}`, id, i)
		members = append(members, fmt.Sprintf("%q", id))
	}
	fmt.Fprintf(&doc, "],\n"+`"groups":[{"id":"a0000000-0000-4000-8000-000000000001","displayName":"All","members":[%s],"assignedLicenses":[{"skuId":%q,"disabledPlans":[]}]}]}`,
		strings.Join(members, ","), sku)
	for name, in := range map[string]func() io.Reader{
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(doc.Bytes())) },
		"whole":    func() io.Reader { return bytes.NewReader(doc.Bytes()) },
	} {
		r := &recorder{}
		l := newLoader(in(), r, intern.NewPool())
		if err := l.load(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.users) != 500 || len(r.groups) != 1 {
			t.Fatalf("%s: %d users, %d groups", name, len(r.users), len(r.groups))
		}
		if limit := 4 * int64(doc.Len()); l.s.scanned > limit {
			t.Errorf("%s: scanned %d bytes of a %d-byte document (limit %d): values are rescanned per read", name, l.s.scanned, doc.Len(), limit)
		}
	}
}
