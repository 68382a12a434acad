package planner

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heldEnd passes everything on but the object's end, whatever the sizes of the writes.
func TestHeldEndHoldsTheObjectEnd(t *testing.T) {
	doc := "{\n  \"a\": [\n    1\n  ]\n}\n"
	want := "{\n  \"a\": [\n    1\n  ]" + ",\n  \"names\": {}" + objectEnd
	for i := 0; i <= len(doc); i++ {
		for j := i; j <= len(doc); j++ {
			var out bytes.Buffer
			h := &heldEnd{w: &out}
			for _, part := range []string{doc[:i], doc[i:j], doc[j:]} {
				n, err := h.Write([]byte(part))
				require.NoError(t, err)
				require.Equal(t, len(part), n)
			}
			assert.Equal(t, doc[:len(doc)-len(objectEnd)], out.String(), "split at %d, %d", i, j)
			require.NoError(t, h.close([]byte(",\n  \"names\": {}"+objectEnd)))
			assert.Equal(t, want, out.String(), "split at %d, %d", i, j)
		}
	}
	h := &heldEnd{w: &bytes.Buffer{}}
	_, _ = h.Write([]byte("{\n  \"a\": 1"))
	assert.Error(t, h.close(nil), "an object that does not end as jsonout ends it")
}
