package jsonout_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/licenseplan/licenseplan/internal/jsonout"
)

func TestLayout(t *testing.T) {
	var b bytes.Buffer
	w := jsonout.New(&b, nil)
	w.Value("v", "x")
	w.List("empty", 0, nil)
	w.List("xs", 2, func(i int) any { return map[string]int{"i": i} })
	assert.NoError(t, w.Close())
	assert.Equal(t, "{\n  \"v\": \"x\",\n  \"empty\": [],\n  \"xs\": [\n    {\"i\":0},\n    {\"i\":1}\n  ]\n}\n", b.String())
}

func TestFirstErrorStopsWriting(t *testing.T) {
	var b bytes.Buffer
	bad := errors.New("bad")
	w := jsonout.New(&b, func() jsonout.Encoder { return func(dst []byte, _ any) ([]byte, error) { return dst, bad } })
	w.Value("v", 1)
	w.List("xs", 1, func(int) any { return 1 })
	w.Value("after", 2)
	assert.ErrorIs(t, w.Close(), bad)
	assert.Empty(t, b.String(), "nothing is flushed after an error")
}

// Concurrent encoding writes the same bytes as one goroutine, for lists around the chunk
// sizes, with encoders that append to the list's buffer.
func TestConcurrentWritesTheSameBytes(t *testing.T) {
	newItem := func() jsonout.Encoder {
		return func(dst []byte, v any) ([]byte, error) {
			return fmt.Appendf(dst, `{"n":%d}`, v), nil
		}
	}
	for _, n := range []int{0, 1, 255, 511, 512, 513, 10_000} {
		write := func(workers int) string {
			var b bytes.Buffer
			w := jsonout.New(&b, newItem).Concurrent(workers)
			w.Value("before", 1)
			w.List("xs", n, func(i int) any { return i })
			w.Value("after", 2)
			assert.NoError(t, w.Close())
			return b.String()
		}
		one := write(1)
		assert.Equal(t, one, write(2), "n=%d", n)
		assert.Equal(t, one, write(7), "n=%d", n)
		if n > 0 {
			assert.Contains(t, one, fmt.Sprintf(`{"n":%d}`, n-1))
		}
	}
}

func TestConcurrentStopsAtTheFirstError(t *testing.T) {
	bad := errors.New("bad")
	newItem := func() jsonout.Encoder {
		return func(dst []byte, v any) ([]byte, error) {
			if v.(int) == 3000 {
				return dst, bad
			}
			return append(dst, '1'), nil
		}
	}
	var b bytes.Buffer
	var calls atomic.Int64
	w := jsonout.New(&b, newItem).Concurrent(4)
	w.List("xs", 100_000, func(i int) any { calls.Add(1); return i })
	returned := calls.Load()
	time.Sleep(10 * time.Millisecond) // a worker still running would call at meanwhile
	assert.Equal(t, returned, calls.Load(), "List returns once no worker reads the caller's data")
	assert.Less(t, returned, int64(100_000), "the workers stop handing out chunks at the error")
	w.Value("after", 2)
	assert.ErrorIs(t, w.Close(), bad)
	assert.NotContains(t, b.String(), "after")
}
