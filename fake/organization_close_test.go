package fake_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
)

// TestHTTPOrganization: GET /organization answers the tenant's one organization in Graph's
// shape, with its id and countryLetterCode, which clients read as the default usage location.
func TestHTTPOrganization(t *testing.T) {
	tn, _ := sample(t)
	c := startGraph(t, tn)
	for _, path := range []string{"/organization", "/organization?$select=id,countryLetterCode"} {
		r := c.do(http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, r.status, "%s: %s", path, r.raw)
		orgs := values(r)
		require.Len(t, orgs, 1, path)
		assert.Equal(t, sampletenant.TenantID, orgs[0]["id"])
		assert.Equal(t, "US", orgs[0]["countryLetterCode"])
		assert.Contains(t, r.body["@odata.context"], "/v1.0/$metadata#organization")
	}
	r := c.do(http.MethodPost, "/organization", "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	r = c.do(http.MethodGet, "/organization/"+sampletenant.TenantID, "")
	code, _ := graphError(t, r)
	assert.Equal(t, "BadRequest", code, "only the collection is served")
}

// TestServerCloseDoesNotWaitForUnusedConnections: connections a client opened and never sent
// a request on (http.Server.Shutdown counts them as busy for five seconds) and idle keep-alive
// connections do not hold Close up.
func TestServerCloseDoesNotWaitForUnusedConnections(t *testing.T) {
	tn, _ := sample(t)
	srv, err := fake.StartServer(tn)
	require.NoError(t, err)

	// One connection used once and left idle in a keep-alive pool…
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/subscribedSkus")
	require.NoError(t, err)
	resp.Body.Close()
	// …and two never used.
	var conns []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", srv.Addr)
		require.NoError(t, err)
		defer c.Close()
		conns = append(conns, c)
	}
	time.Sleep(20 * time.Millisecond) // let the server accept them

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		assert.NoError(t, err)
	case <-time.After(3 * time.Second):
		t.Fatal("Close waited for connections that carried no request")
	}
	// The unused connections were closed by the server.
	for _, c := range conns {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(2*time.Second)))
		_, err := c.Read(make([]byte, 1))
		assert.Error(t, err, "the server closes the connection")
	}
}
