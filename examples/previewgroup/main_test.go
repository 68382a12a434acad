package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
)

func TestPreviewE1OnTheTeamsGroup(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), nil, &out))
	s := out.String()
	assert.Contains(t, s, "Licensing_Teams: assignLicense +Office 365 E1 (STANDARDPACK)")
	// Carol holds E3 through the groups: E1's SharePoint Plan 1 conflicts, so the group's
	// licenses fail for her. The E3 she already had from the group keeps working
	// (ActiveWithError): she keeps the group's Teams, and the error makes the plan unapplyable.
	assert.Contains(t, s, "  carol@contoso.com\n    gains: -\n    loses: -\n    error: MutuallyExclusiveViolation")
	assert.Contains(t, s, "4 members affected.")
	assert.Contains(t, s, "error MutuallyExclusiveViolation: user carol@contoso.com")
	assert.NotContains(t, s, "ServiceLoss")
	assert.Contains(t, s, "Applyable: false")
}

func TestPreviewHarmlessChange(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--sku", "ENTERPRISEPACK", "--plans", "TEAMS1,SWAY"}, &out))
	s := out.String()
	assert.Contains(t, s, "  carol@contoso.com\n    gains: Sway\n    loses: -\n")
	assert.Contains(t, s, "1 members affected.")
	assert.Contains(t, s, "Predicted problems:\n  none")
	assert.Contains(t, s, "Applyable: true")
}

// A preview never writes: over Graph the group keeps its licenses.
func TestPreviewWritesNothing(t *testing.T) {
	ctx := context.Background()
	fk, err := fake.New(sampletenant.Snapshot())
	require.NoError(t, err)
	srv, err := fake.StartServer(fk)
	require.NoError(t, err)
	defer srv.Close()
	require.NoError(t, run(ctx, []string{"--graph-endpoint", srv.URL, "--yes"}, &bytes.Buffer{}))
	g, err := fk.Group(ctx, sampletenant.GroupTeams)
	require.NoError(t, err)
	require.Len(t, g.AssignedLicenses, 1)
	assert.Equal(t, sampletenant.E3, g.AssignedLicenses[0].SkuID.String())
	assert.Empty(t, fk.History())
}

func TestStrayArgumentsAreRefused(t *testing.T) {
	err := run(context.Background(), []string{"Licensing_Teams"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unexpected argument "Licensing_Teams"`)
}
