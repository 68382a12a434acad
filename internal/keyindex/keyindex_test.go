package keyindex

import (
	"fmt"
	"testing"
)

type keys []string

func (k keys) Key(i int32) string { return k[i] }

func (k keys) KeyIs(i int32, b []byte) bool { return k[i] == string(b) }

func TestIndex(t *testing.T) {
	var ks keys
	x := New(0)
	if _, ok := x.Find("a", ks); ok {
		t.Error("empty")
	}
	for i := range 5000 { // past several growths
		ks = append(ks, fmt.Sprintf("user%d", i))
		if _, dup := x.Add(ks[i], int32(i), ks); dup {
			t.Fatal("dup")
		}
	}
	for i, k := range ks {
		if got, ok := x.Find(k, ks); !ok || got != int32(i) {
			t.Fatalf("Find(%s) = %d, %v", k, got, ok)
		}
		if got, ok := x.FindBytes([]byte(k), ks); !ok || got != int32(i) {
			t.Fatalf("FindBytes(%s) = %d, %v", k, got, ok)
		}
	}
	if _, ok := x.FindBytes([]byte("nobody"), ks); ok {
		t.Error("found nobody")
	}
	ks = append(ks, "user7")
	if o, dup := x.Add("user7", int32(len(ks)-1), ks); !dup || o != 7 {
		t.Errorf("a second user7: %d, %v", o, dup)
	}
}

// Home names the item in the slot where a lookup starts (that of the key itself unless keys
// collided there), and FindHashed finds what FindBytes finds.
func TestHomeAndFindHashed(t *testing.T) {
	var ks keys
	x := New(0)
	if got := x.Home(x.HashBytes([]byte("a"))); got != -1 {
		t.Errorf("Home in an empty index = %d", got)
	}
	for i := range 3000 {
		ks = append(ks, fmt.Sprintf("user%d", i))
		x.Add(ks[i], int32(i), ks)
	}
	atHome := 0
	for i, k := range ks {
		h := x.HashBytes([]byte(k))
		if x.Home(h) == int32(i) {
			atHome++
		}
		if got, ok := x.FindHashed([]byte(k), h, ks); !ok || got != int32(i) {
			t.Fatalf("FindHashed(%s) = %d, %v", k, got, ok)
		}
	}
	if atHome < len(ks)/2 { // the table is at most half full
		t.Errorf("only %d of %d keys are in their home slot", atHome, len(ks))
	}
	if _, ok := x.FindHashed([]byte("nobody"), x.HashBytes([]byte("nobody")), ks); ok {
		t.Error("found nobody")
	}
}
