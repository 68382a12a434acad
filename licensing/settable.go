package licensing

import (
	"sync"
	"sync/atomic"
)

// setTable holds the distinct sets of disabled plans of a State's paths, so that a path is
// 16 bytes without pointers (the garbage collector skips a million users' paths) and refers to
// its set by index. Index 0 is the empty set. Entries are never removed or changed, so a
// State and its clones share one table; add may be called concurrently (Predict on one State
// from several goroutines interns the sets of the bodies it checks).
type setTable struct {
	mu   sync.Mutex
	ids  map[string]int32
	key  []byte
	list atomic.Pointer[[]PlanSet] // grows by copying: readers keep a consistent slice
}

func newSetTable() *setTable {
	t := &setTable{ids: map[string]int32{"": 0}}
	list := []PlanSet{{}}
	t.list.Store(&list)
	return t
}

// get returns set i (shared: read-only).
func (t *setTable) get(i int32) PlanSet {
	if i == 0 {
		return PlanSet{}
	}
	return (*t.list.Load())[i]
}

// add returns the index of the set equal to s (which it does not keep).
func (t *setTable) add(s PlanSet) int32 {
	if s.IsEmpty() {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.key, _ = s.AppendBinary(t.key[:0])
	if i, ok := t.ids[string(t.key)]; ok {
		return i
	}
	list := *t.list.Load()
	i := int32(len(list))
	list = append(list, s.Clone().share())
	t.list.Store(&list)
	t.ids[string(t.key)] = i
	return i
}
