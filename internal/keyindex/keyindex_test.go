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
