package graphadapter

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
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
		"batch size 0":         WithBatchSize(0),
		"batch size 21":        WithBatchSize(21),
		"negative retries":     WithRetryPolicy(RetryPolicy{MaxAttempts: -1}),
		"country":              WithDefaultUsageLocation("Norway"),
		"member concurrency 0": WithMemberConcurrency(0),
		"nil http client":      WithHTTPClient(nil),
	} {
		_, err := New(root, opt)
		assert.Error(t, err, name)
	}
	tn, err := New(root, WithBatchSize(5), WithRetryPolicy(RetryPolicy{MaxAttempts: 2}), WithMemberConcurrency(1))
	require.NoError(t, err)
	assert.Equal(t, 5, tn.batchSize)
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
