package intern

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"unsafe"
)

func TestPoolShares(t *testing.T) {
	p := NewPool()
	a := p.String(string([]byte("Sales")))
	b := p.Bytes([]byte("Sales"))
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("equal strings are not shared")
	}
	if p.String("") != "" || p.Bytes(nil) != "" {
		t.Error("empty")
	}
	if yes, again := p.Bool(true), p.Bool(true); yes != again || !*yes || *p.Bool(false) {
		t.Error("bools")
	}

	m1 := p.Attrs(map[string]string{"extensionAttribute1": "x", "extensionAttribute2": "y"})
	m2 := p.AttrsOf([]Attr{{[]byte("extensionAttribute2"), []byte("y")}, {[]byte("extensionAttribute1"), []byte("x")}})
	if fmt.Sprintf("%p", m1) != fmt.Sprintf("%p", m2) {
		t.Error("equal attribute sets are not shared")
	}
	if m := p.AttrsOf(nil); m == nil || len(m) != 0 {
		t.Error("no attributes: a new empty map")
	}

	id, upn, dn := p.PackBytes([]byte("u1"), []byte("a@b"), []byte("A"))
	id2, upn2, dn2 := p.Pack("u1", "a@b", "A")
	if id != id2 || upn != upn2 || dn != dn2 || id != "u1" || upn != "a@b" || dn != "A" {
		t.Error("pack")
	}
}

func TestPoolIsBounded(t *testing.T) {
	p := NewPool()
	for i := range MaxEntries + 10 {
		p.String(fmt.Sprint(i))
	}
	if len(p.strs) != MaxEntries {
		t.Errorf("%d strings kept", len(p.strs))
	}
	if got := p.String("unique"); got != "unique" {
		t.Error("a value past the bound is still returned")
	}
}

// set is a tiny BinaryAppender: a bitset without trailing zero words.
type set []uint64

func (s set) AppendBinary(b []byte) ([]byte, error) {
	n := len(s)
	for n > 0 && s[n-1] == 0 {
		n--
	}
	for _, w := range s[:n] {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b, nil
}

func keep(s set) set { return append(set(nil), s...) }

func TestTable(t *testing.T) {
	tab := NewTable[set]()
	if tab.Add(set{0, 0}, keep) != 0 || tab.Get(0) != nil {
		t.Error("the empty value is index 0")
	}
	buf := set{5}
	i := tab.Add(buf, keep)
	buf[0] = 7 // not kept
	if i != 1 || tab.Add(set{5, 0}, keep) != 1 || tab.Get(1)[0] != 5 {
		t.Error("equal values share an index")
	}
	// Concurrent adds of the same values agree on their indexes (go test -race).
	var wg sync.WaitGroup
	got := make([][]int32, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range 200 {
				got[g] = append(got[g], tab.Add(set{uint64(v + 100)}, keep))
				tab.Get(got[g][len(got[g])-1])
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for v, i := range got[g] {
			if i != got[0][v] || tab.Get(i)[0] != uint64(v+100) {
				t.Fatalf("goroutine %d, value %d: index %d", g, v, i)
			}
		}
	}
	if tab.Len() != 2+200 {
		t.Errorf("%d values", tab.Len())
	}
}
