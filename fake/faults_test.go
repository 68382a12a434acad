package fake_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
	"github.com/licenseplan/licenseplan/retry"
)

func TestHTTPFaults(t *testing.T) {
	swap := assignBody([]licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{skuE1})
	onAssign := func(kind fake.FaultKind) fake.Faults {
		return fake.Faults{Rate: 1, Methods: []string{"POST"}, Paths: []string{"/users/*/assignLicense"}, Kinds: []fake.FaultKind{kind}}
	}
	cases := []struct {
		kind    fake.FaultKind
		status  int
		applied bool
	}{
		{fake.FaultUnavailable, http.StatusServiceUnavailable, false},
		{fake.FaultGatewayTimeout, http.StatusGatewayTimeout, false},
		{fake.FaultTooManyRequests, http.StatusTooManyRequests, false},
		{fake.FaultLostReply, http.StatusGatewayTimeout, true},
	}
	for _, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			tn, _ := sample(t)
			c := startGraph(t, tn, fake.WithFaults(onAssign(tc.kind)))
			assert.Equal(t, http.StatusOK, c.do(http.MethodGet, "/users/"+sampletenant.Alice, "").status, "other requests are not faulted")
			r := c.do(http.MethodPost, "/users/"+sampletenant.Alice+"/assignLicense", swap)
			assert.Equal(t, tc.status, r.status)
			graphError(t, r)
			if tc.status != http.StatusGatewayTimeout {
				assert.Equal(t, "1", r.header.Get("Retry-After"))
			}
			assert.Len(t, tn.History(), map[bool]int{true: 1, false: 0}[tc.applied], "was the change made?")
		})
	}
	t.Run("reset", func(t *testing.T) {
		tn, _ := sample(t)
		c := startGraph(t, tn, fake.WithFaults(onAssign(fake.FaultReset)))
		req, _ := http.NewRequest(http.MethodPost, c.base+"/users/"+sampletenant.Alice+"/assignLicense", nil)
		_, err := http.DefaultClient.Do(req)
		assert.Error(t, err, "the connection is closed without an answer")
		assert.Empty(t, tn.History())
	})
	t.Run("malformed", func(t *testing.T) {
		tn, _ := sample(t)
		c := startGraph(t, tn, fake.WithFaults(fake.Faults{Rate: 1, Kinds: []fake.FaultKind{fake.FaultMalformed}}))
		resp, err := http.Get(c.base + "/users")
		require.NoError(t, err)
		defer resp.Body.Close()
		var v any
		assert.Error(t, jsonDecode(resp, &v))
	})
	t.Run("malformed reply to a write that was carried out", func(t *testing.T) {
		tn, _ := sample(t)
		c := startGraph(t, tn, fake.WithFaults(onAssign(fake.FaultMalformed)))
		req, _ := http.NewRequest(http.MethodPost, c.base+"/users/"+sampletenant.Alice+"/assignLicense", strings.NewReader(swap))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "a 200 means Graph did it")
		var v any
		assert.Error(t, jsonDecode(resp, &v), "the body is cut short")
		assert.NotEmpty(t, tn.History(), "the swap was carried out")
	})
	t.Run("inside a batch, request by request", func(t *testing.T) {
		tn, _ := sample(t)
		c := startGraph(t, tn, fake.WithFaults(onAssign(fake.FaultUnavailable)))
		r := c.do(http.MethodPost, "/$batch", `{"requests":[
			{"id":"1","method":"GET","url":"/users/`+sampletenant.Alice+`"},
			{"id":"2","method":"POST","url":"/users/`+sampletenant.Alice+`/assignLicense","headers":{"Content-Type":"application/json"},"body":`+swap+`}]}`)
		require.Equal(t, http.StatusOK, r.status)
		res := r.body["responses"].([]any)
		assert.EqualValues(t, 200, res[0].(map[string]any)["status"])
		assert.EqualValues(t, 503, res[1].(map[string]any)["status"])
	})
	t.Run("latency and a repeatable seed", func(t *testing.T) {
		draws := func() ([]int, []time.Duration) {
			tn, _ := sample(t)
			var slept []time.Duration
			c := startGraph(t, tn, fake.WithFaults(fake.Faults{Rate: 0.5, Seed: 7, Latency: 250 * time.Millisecond, Sleep: func(d time.Duration) { slept = append(slept, d) }}))
			var statuses []int
			for range 20 {
				statuses = append(statuses, c.do(http.MethodGet, "/users/"+sampletenant.Alice, "").status)
			}
			return statuses, slept
		}
		a, slept := draws()
		b, _ := draws()
		assert.Equal(t, a, b, "the same seed fails the same requests")
		assert.Contains(t, a, http.StatusOK)
		assert.Contains(t, a, http.StatusServiceUnavailable)
		assert.Len(t, slept, 20)
		assert.Equal(t, 250*time.Millisecond, slept[0])
	})
}

func TestFaultyTenant(t *testing.T) {
	tn, _ := sample(t)
	ft := fake.NewFaultyTenant(tn, fake.Faults{Rate: 1, Methods: []string{"AssignUserLicenses"}})
	err := ft.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{skuE1})
	assert.True(t, errors.Is(err, licensing.Transient), "%v", err)
	assert.Empty(t, tn.History())
	_, err = ft.User(ctx, sampletenant.Alice)
	assert.NoError(t, err, "other methods are not faulted")

	lost := fake.NewFaultyTenant(tn, fake.Faults{Rate: 1, Kinds: []fake.FaultKind{fake.FaultLostReply}})
	err = lost.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{lic(skuE3)}, []licensing.SkuID{skuE1})
	assert.True(t, errors.Is(err, licensing.Transient))
	assert.Len(t, tn.History(), 1, "a lost reply still made the change")

	throttled := fake.NewFaultyTenant(tn, fake.Faults{Rate: 1, Kinds: []fake.FaultKind{fake.FaultTooManyRequests}})
	_, err = throttled.Snapshot(ctx)
	var e *licensing.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, licensing.Throttled, e.Kind)
	d, ok := retry.After(err)
	assert.True(t, ok)
	assert.Equal(t, time.Second, d, "the Retry-After is found through retry.Hint")
	var ge *fake.GraphError
	require.True(t, errors.As(err, &ge))
	assert.Equal(t, fake.CodeTooManyRequests, ge.Code)
	assert.Equal(t, 429, ge.StatusCode)
}
