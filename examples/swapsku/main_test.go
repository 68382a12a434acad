package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
)

func TestSwapAliceOnTheFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), nil, strings.NewReader(""), &out))
	s := out.String()
	assert.Contains(t, s, "s1 ~ user alice@contoso.com  assignLicense +Office 365 E3 (ENTERPRISEPACK) -Office 365 E1 (STANDARDPACK)")
	assert.Contains(t, s, "1 steps: 1 succeeded")
	assert.Contains(t, s, "alice@contoso.com now holds: Office 365 E3 (ENTERPRISEPACK)\n")
}

func TestSwapRefusesServiceLoss(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"--user", "bob@contoso.com", "--from", "EXCHANGESTANDARD", "--to", "EXCHANGEENTERPRISE"}, strings.NewReader(""), &out)
	require.Error(t, err)
	assert.Contains(t, out.String(), "ServiceLoss")
	assert.NotContains(t, out.String(), "succeeded")
}

func TestSwapNotHeld(t *testing.T) {
	err := run(context.Background(), []string{"--user", "carol@contoso.com"}, strings.NewReader(""), &bytes.Buffer{})
	assert.ErrorContains(t, err, "does not hold STANDARDPACK directly")
}

// Over Graph (the fake server), the program asks first and applies only on "yes" or --yes.
func TestSwapOverGraphAsks(t *testing.T) {
	ctx := context.Background()
	fk, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	srv, err := fake.StartServer(fk)
	require.NoError(t, err)
	defer srv.Close()

	var out bytes.Buffer
	err = run(ctx, []string{"--graph-endpoint", srv.URL}, strings.NewReader("no\n"), &out)
	assert.ErrorContains(t, err, "confirmation declined")
	u, err := fk.User(ctx, sampletenant.Alice)
	require.NoError(t, err)
	assert.Equal(t, sampletenant.E1, u.AssignedLicenses[0].SkuID.String())

	out.Reset()
	require.NoError(t, run(ctx, []string{"--graph-endpoint", srv.URL, "--yes"}, strings.NewReader(""), &out))
	assert.Contains(t, out.String(), "alice@contoso.com now holds: Office 365 E3 (ENTERPRISEPACK)")
	u, err = fk.User(ctx, sampletenant.Alice)
	require.NoError(t, err)
	assert.Equal(t, sampletenant.E3, u.AssignedLicenses[0].SkuID.String())
}
