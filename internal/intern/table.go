package intern

import (
	"encoding"
	"sync"
	"sync/atomic"
)

// Table holds distinct values, each under the index it got when first added. Values are told
// apart by their binary encoding (encoding.BinaryAppender); index 0 is the value that encodes
// to nothing, the zero value for the sets it is made for. Entries are never removed or changed,
// so holders of indexes may share one table (a State and its clones), and Get and Add may be
// called from several goroutines at once (Predict on one State from many).
type Table[T encoding.BinaryAppender] struct {
	mu   sync.Mutex
	ids  map[string]int32
	key  []byte
	list atomic.Pointer[[]T] // grows by copying: readers keep a consistent slice
}

// NewTable returns a table holding only the zero value, at index 0.
func NewTable[T encoding.BinaryAppender]() *Table[T] {
	t := &Table[T]{ids: map[string]int32{"": 0}}
	list := make([]T, 1)
	t.list.Store(&list)
	return t
}

// Get returns value i (shared: read-only).
func (t *Table[T]) Get(i int32) T {
	if i == 0 {
		var zero T
		return zero
	}
	return (*t.list.Load())[i]
}

// Add returns the index of the value equal to v (by encoding). A value not in the table yet is
// stored as keep(v): v itself is not kept, so that the caller may reuse its memory.
func (t *Table[T]) Add(v T, keep func(T) T) int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.key, _ = v.AppendBinary(t.key[:0])
	if i, ok := t.ids[string(t.key)]; ok {
		return i
	}
	list := *t.list.Load()
	i := int32(len(list))
	list = append(list, keep(v))
	t.list.Store(&list)
	t.ids[string(t.key)] = i
	return i
}

// Len returns the number of values in the table, the zero value included.
func (t *Table[T]) Len() int { return len(*t.list.Load()) }
