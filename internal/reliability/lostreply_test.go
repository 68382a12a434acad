package reliability_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/planner"
)

// TestLostReplyOfAWriteIsNotAFailure (bug 1 of RELIABILITY.md, fixed): Graph carries out the
// first write of the plan (Alice's E1 → E3 swap, one assignLicense) and its reply is lost (504).
// The adapter must not repeat the POST blindly (Graph would refuse removing E1, which Alice no
// longer has); it reports Transient and the planner re-reads Alice, finds the step's result and
// goes on. The run succeeds and the swap is made once.
func TestLostReplyOfAWriteIsNotAFailure(t *testing.T) {
	ft, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	inner := fake.NewServer(ft)
	var posts, lost atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"+sampletenant.Alice+"/assignLicense") {
			posts.Add(1)
			if lost.Add(1) == 1 {
				inner.ServeHTTP(httptest.NewRecorder(), r) // carried out…
				http.Error(w, `{"error":{"code":"UnknownError","message":"gateway timeout"}}`, http.StatusGatewayTimeout)
				return // …and the reply lost
			}
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ga, err := graphadapter.New(graphadapter.WithRoot(srv.URL+"/v1.0"), graphadapter.WithRetryPolicy(fastAdapterRetry))
	require.NoError(t, err)
	defer ga.CloseIdleConnections()

	d, err := planner.ReadDesired(strings.NewReader(`{"formatVersion":"desired/v1","users":[{"user":"alice@contoso.com","mode":"exact","licenses":[{"sku":"ENTERPRISEPACK"}]}]}`))
	require.NoError(t, err)
	p, _ := plan(t, snapshotVia(t, srv.URL+"/v1.0"), d)
	res, err := planner.Apply(context.Background(), ga, p, applyOptions()...)
	assert.NoError(t, err, "result: %s", summary(res))
	assert.EqualValues(t, 1, posts.Load(), "the swap was posted again after Graph had made it")
	assertConverged(t, srv.URL+"/v1.0", d)
}
