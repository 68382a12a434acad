package graphadapter

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

func (c *stubCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	c.scopes = opts.Scopes
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestNewNeedsACredentialExceptOnLoopback: no I/O happens in New, so these never touch the network.
func TestNewNeedsACredentialExceptOnLoopback(t *testing.T) {
	for _, root := range []string{"http://127.0.0.1:8080/v1.0", "http://[::1]:8080/v1.0", "http://localhost:8080/v1.0/", "http://127.0.0.2/v1.0"} {
		tn, err := New(WithRoot(root))
		require.NoError(t, err, root)
		assert.NotContains(t, tn.Root(), "v1.0/", "trailing slash trimmed")
	}

	_, err := New()
	require.Error(t, err, "https://graph.microsoft.com without a credential is refused")
	assert.Contains(t, err.Error(), "no credential")
	assert.Contains(t, err.Error(), DefaultRoot)

	_, err = New(WithRoot("https://graph.microsoft.us/v1.0"))
	require.Error(t, err)

	_, err = New(WithRoot("http://graph.example.com/v1.0"), WithCredential(&stubCredential{token: "t"}))
	require.Error(t, err, "a token never goes over plain http to another host")
	assert.Contains(t, err.Error(), "plain http")

	_, err = New(WithRoot("ftp://127.0.0.1/v1.0"))
	require.Error(t, err)
	_, err = New(WithRoot("http://user:pw@127.0.0.1/v1.0"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "pw")

	tn, err := New(WithCredential(&stubCredential{token: "t"}))
	require.NoError(t, err, "the default root with a credential")
	assert.Equal(t, DefaultRoot, tn.Root())
}

func TestCredentialOptionsKeepSecretsOutOfErrors(t *testing.T) {
	const secret = "Zx8Q~very-secret-client-secret"
	_, err := New(WithClientSecret("", "client", secret))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)

	_, err = New(WithClientSecret("not a tenant!", "client", secret))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)

	tn, err := New(WithClientSecret("48a80680-7326-48cd-9935-b556b81d3a4e", "c7df2760-2c81-4ef7-b578-5b5392b571df", secret))
	require.NoError(t, err, "building the credential does no I/O")
	assert.Equal(t, DefaultRoot, tn.Root())

	_, err = New(WithClientCertificate("48a80680-7326-48cd-9935-b556b81d3a4e", "c", []byte("not a certificate"), []byte(secret)))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)

	_, err = New(WithCredential(nil))
	require.Error(t, err)
}

func TestOptionValidation(t *testing.T) {
	root := WithRoot("http://127.0.0.1:1/v1.0")
	for name, opt := range map[string]Option{
		"negative retries":     WithRetryPolicy(RetryPolicy{MaxAttempts: -1}),
		"negative read budget": WithRetryPolicy(RetryPolicy{ReadBudget: -time.Second}),
		"nil clock":            WithClock(nil),
		"country":              WithDefaultUsageLocation("Norway"),
		"member concurrency 0": WithMemberConcurrency(0),
		"nil http client":      WithHTTPClient(nil),
	} {
		_, err := New(root, opt)
		assert.Error(t, err, name)
	}
	tn, err := New(root, WithRetryPolicy(RetryPolicy{MaxAttempts: 2}), WithMemberConcurrency(1))
	require.NoError(t, err)
	assert.Equal(t, 1, tn.memberConcurrency)
	assert.Equal(t, 2, tn.retry.MaxAttempts)
	assert.Equal(t, DefaultRetryPolicy.BaseDelay, tn.retry.BaseDelay, "zero fields keep the defaults")
}

type failingCredential struct{}

func (failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("AADSTS7000215: Invalid client secret provided")
}

func TestCredentialFailureStopsBeforeTheRequest(t *testing.T) {
	var calls atomic.Int32
	srv := newTLSServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	tn, err := New(WithRoot(srv.URL+"/v1.0"), WithCredential(failingCredential{}), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	le := asError(t, tn.ReprocessUser(context.Background(), userA))
	assert.Equal(t, licensing.Other, le.Kind)
	assert.Contains(t, le.Error(), "AADSTS7000215")
	assert.Zero(t, calls.Load(), "nothing is sent without a token")
}

// identityEndpoint serves Azure App Service's managed identity endpoint (IDENTITY_ENDPOINT with
// IDENTITY_HEADER), the local source azidentity's ManagedIdentityCredential reads, and records
// the client id each token request named (empty for the system-assigned identity).
func identityEndpoint(t *testing.T, token string) *atomic.Value {
	t.Helper()
	var clientID atomic.Value
	srv := newServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-IDENTITY-HEADER") != "identity-secret" {
			http.Error(w, "no identity header", http.StatusBadRequest)
			return
		}
		clientID.Store(r.URL.Query().Get("client_id"))
		writeJSON(w, 200, map[string]any{"access_token": token, "token_type": "Bearer",
			"expires_on": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "resource": r.URL.Query().Get("resource")})
	}))
	t.Setenv("IDENTITY_ENDPOINT", srv.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "identity-secret")
	return &clientID
}

// TestManagedIdentityCredential: WithManagedIdentity builds azidentity's managed identity
// credential (New does no I/O), which gets its token from the identity endpoint of the host —
// here App Service's, served locally, so no network is touched — for the system-assigned
// identity without a client id and for the user-assigned one with its client id; the token is
// sent to Graph, for Graph's scope.
func TestManagedIdentityCredential(t *testing.T) {
	var c config
	require.NoError(t, WithManagedIdentity("")(&c))
	require.NoError(t, c.buildCredential())
	assert.IsType(t, &azidentity.ManagedIdentityCredential{}, c.credential)
	assert.Equal(t, "WithManagedIdentity", c.credentialName)

	for _, clientID := range []string{"", "c7df2760-2c81-4ef7-b578-5b5392b571df"} {
		t.Run("client id "+clientID, func(t *testing.T) {
			const token = "managed-identity-token"
			asked := identityEndpoint(t, token)
			var auth atomic.Value
			graph := newTLSServer(t, muxFunc(func(w http.ResponseWriter, r *http.Request) {
				auth.Store(r.Header.Get("Authorization"))
				w.WriteHeader(http.StatusNoContent)
			}))
			tn, err := New(WithRoot(graph.URL+"/v1.0"), WithManagedIdentity(clientID), WithHTTPClient(graph.Client()))
			require.NoError(t, err)
			require.NoError(t, tn.ReprocessUser(context.Background(), userA))
			assert.Equal(t, "Bearer "+token, auth.Load(), "the identity's token goes to Graph")
			assert.Equal(t, clientID, asked.Load(), "the identity asked for")
		})
	}
}

// TestWorkloadIdentityCredential: WithWorkloadIdentity builds azidentity's workload identity
// credential from AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE (New does no
// I/O), and New says which option failed when they are missing.
func TestWorkloadIdentityCredential(t *testing.T) {
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	_, err := New(WithWorkloadIdentity())
	require.Error(t, err, "no configuration in the environment")
	assert.Contains(t, err.Error(), "WithWorkloadIdentity")

	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte("federated-assertion"), 0o600))
	t.Setenv("AZURE_TENANT_ID", tenantID)
	t.Setenv("AZURE_CLIENT_ID", "c7df2760-2c81-4ef7-b578-5b5392b571df")
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", file)
	var c config
	require.NoError(t, WithCloud(USGov)(&c))
	require.NoError(t, WithWorkloadIdentity()(&c))
	require.NoError(t, c.buildCredential())
	assert.IsType(t, &azidentity.WorkloadIdentityCredential{}, c.credential)

	tn, err := New(WithWorkloadIdentity(), WithCloud(USGov))
	require.NoError(t, err)
	assert.Equal(t, USGov.GraphRoot(), tn.Root())
}
