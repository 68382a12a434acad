package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOffboardErin(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), nil, strings.NewReader(""), &out))
	s := out.String()
	// Her direct E1 goes, and she leaves the E3 group (whose path was in error).
	assert.Contains(t, s, "s1 - user erin@contoso.com  assignLicense -Office 365 E1 (STANDARDPACK)")
	assert.Contains(t, s, "s2 - user erin@contoso.com  removeGroupMember Licensing_E3_Base")
	assert.Contains(t, s, "(allowed by options.allowServiceLoss)")
	assert.Contains(t, s, "erin@contoso.com loses 11 of 11 plans: Exchange Online (Plan 1) (EXCHANGE_S_STANDARD), Microsoft Forms (Plan E1) (FORMS_PLAN_E1),")
	assert.Contains(t, s, "2 steps: 2 succeeded")
	assert.Contains(t, s, "erin@contoso.com now holds 0 licenses.")
}

func TestOffboardGroupOnlyUser(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--user", "carol@contoso.com"}, strings.NewReader(""), &out))
	s := out.String()
	assert.Contains(t, s, "removeGroupMember Licensing_E3_Base")
	assert.Contains(t, s, "removeGroupMember Licensing_Teams")
	assert.Contains(t, s, "carol@contoso.com loses 10 of 10 plans:")
	assert.Contains(t, s, "carol@contoso.com now holds 0 licenses.")
}

func TestOffboardUnknownUser(t *testing.T) {
	assert.Error(t, run(context.Background(), []string{"--user", "nobody@contoso.com"}, strings.NewReader(""), &bytes.Buffer{}))
}
