package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMigrateInWaves(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), nil, strings.NewReader(""), &out))
	s := out.String()
	assert.Contains(t, s, "wave 0\n  s1 - user dave@contoso.com  assignLicense -Office 365 E3 (ENTERPRISEPACK)")
	assert.Contains(t, s, "wave 1\n")
	// migrant04/08/12 have plans only their direct E3 enables: they are skipped, with why.
	assert.Regexp(t, `user migrant04@contoso.com .*direct Office 365 E3 \(ENTERPRISEPACK\) kept: .*do not enable Microsoft Forms \(Plan E3\) \(FORMS_PLAN_E3\), Sway, Yammer Enterprise \(YAMMER_ENTERPRISE\)`, s)
	assert.Contains(t, s, "10 direct assignments to remove in 2 waves; 3 users skipped.")
	assert.Contains(t, s, "10 steps: 10 succeeded")
}

func TestMigrateWavesFlag(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--waves", "1"}, strings.NewReader(""), &out))
	assert.Contains(t, out.String(), "in 1 waves")
	assert.NotContains(t, out.String(), "wave 1\n")

	assert.Error(t, run(context.Background(), []string{"--waves", "0.5,x"}, strings.NewReader(""), &out))
	assert.Error(t, run(context.Background(), []string{"--waves", "0.5"}, strings.NewReader(""), &out), "the last wave must be 1.0")
}
