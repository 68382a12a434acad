package graphadapter

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request given up because the caller cancelled says so once, and keeps the cause for
// errors.Is.
func TestAbandonedRequestNamesItsCauseOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.0/users/u1", func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	tn, _ := newTenant(t, newServer(t, mux))
	_, err := tn.User(ctx, "u1")
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Contains(t, err.Error(), "was abandoned: context canceled")
	assert.Equal(t, 1, strings.Count(err.Error(), "context canceled"), "%v", err)
}
