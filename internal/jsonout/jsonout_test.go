package jsonout_test

import (
	"bytes"
	"errors"
	"testing"

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
	w := jsonout.New(&b, func(any) ([]byte, error) { return nil, bad })
	w.Value("v", 1)
	w.List("xs", 1, func(int) any { return 1 })
	w.Value("after", 2)
	assert.ErrorIs(t, w.Close(), bad)
	assert.Empty(t, b.String(), "nothing is flushed after an error")
}
