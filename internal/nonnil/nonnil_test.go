package nonnil

import (
	"encoding/json"
	"testing"
)

func TestSliceIsNeverNil(t *testing.T) {
	var none []string
	b, _ := json.Marshal(Slice(none))
	if string(b) != "[]" {
		t.Fatalf("nil slice marshals as %s, want []", b)
	}
	some := []int{1, 2}
	if got := Slice(some); &got[0] != &some[0] {
		t.Fatal("a non-nil slice must be returned as is, not copied")
	}
	if got := Slice([]int{}); got == nil || len(got) != 0 {
		t.Fatal("an empty slice stays empty")
	}
}
