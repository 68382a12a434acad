package licensing_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

const e3ID = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK

func TestParseGUIDAcceptsOnlyTheCanonicalForm(t *testing.T) {
	valid := []struct {
		name, in string
	}{
		{"lower case", "6fd2c87f-b296-42f0-b197-1e91e994b900"},
		{"upper case", "6FD2C87F-B296-42F0-B197-1E91E994B900"},
		{"mixed case", "6fd2C87F-b296-42F0-b197-1E91e994b900"},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			g, err := licensing.ParseGUID(tc.in)
			require.NoError(t, err)
			assert.Equal(t, e3ID, g.String(), "String prints the canonical lower-case form")
			assert.False(t, g.IsZero())
		})
	}

	invalid := []struct {
		name, in string
	}{
		{"empty", ""},
		{"braces", "{6fd2c87f-b296-42f0-b197-1e91e994b900}"},
		{"no dashes", "6fd2c87fb29642f0b1971e91e994b900"},
		{"leading space", " 6fd2c87f-b296-42f0-b197-1e91e994b900"},
		{"trailing non-breaking space", "6fd2c87f-b296-42f0-b197-1e91e994b900\u00a0"},
		{"dash in the wrong place", "6fd2c87-fb296-42f0-b197-1e91e994b900"},
		{"not hex", "6fd2c87f-b296-42f0-b197-1e91e994b90g"},
		{"not hex, first digit of a pair", "x6d2c87f-b296-42f0-b197-1e91e994b900"},
		{"too short", "6fd2c87f-b296-42f0-b197-1e91e994b90"},
		{"too long", "6fd2c87f-b296-42f0-b197-1e91e994b9000"},
		{"urn prefix", "urn:uuid:6fd2c87f-b296-42f0-b197-1e91e994b900"},
		{"a part number", "ENTERPRISEPACK"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := licensing.ParseGUID(tc.in)
			require.Error(t, err)
			assert.Equal(t, licensing.InvalidInput, licensing.KindOf(err))
			assert.ErrorIs(t, err, licensing.InvalidInput)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.in), "the error names the bad value")

			_, err = licensing.ParseSkuID(tc.in)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			_, err = licensing.ParsePlanID(tc.in)
			assert.ErrorIs(t, err, licensing.InvalidInput)
		})
	}
}

func TestParseGUIDNamesTheBadDigit(t *testing.T) {
	_, err := licensing.ParseGUID("6fd2c87f-b296-42f0-b197-1e91e994b90g")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"g" is not a hex digit`)
	_, err = licensing.ParseGUID("z6d2c87f-b296-42f0-b197-1e91e994b900")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"z" is not a hex digit`)
}

func TestMustParseGUIDPanicsOnBadInput(t *testing.T) {
	assert.Panics(t, func() { licensing.MustParseGUID("nope") })
	assert.Panics(t, func() { licensing.MustParseSkuID("nope") })
	assert.Panics(t, func() { licensing.MustParsePlanID("nope") })
	assert.NotPanics(t, func() { licensing.MustParseSkuID(e3ID) })
}

func TestGUIDOrderingAndZero(t *testing.T) {
	a := licensing.MustParseGUID("00000000-0000-0000-0000-000000000001")
	b := licensing.MustParseGUID("00000000-0000-0000-0000-000000000002")
	assert.Equal(t, -1, a.Compare(b))
	assert.Equal(t, 1, b.Compare(a))
	assert.Equal(t, 0, a.Compare(a))
	assert.True(t, licensing.GUID{}.IsZero())
	assert.True(t, licensing.SkuID{}.IsZero())
	assert.True(t, licensing.PlanID{}.IsZero())
	assert.Equal(t, -1, licensing.SkuID(a).Compare(licensing.SkuID(b)))
	assert.Equal(t, 1, licensing.PlanID(b).Compare(licensing.PlanID(a)))
}

func TestIDsRoundTripThroughJSON(t *testing.T) {
	type doc struct {
		Sku    licensing.SkuID          `json:"skuId"`
		Plans  []licensing.PlanID       `json:"disabledPlans"`
		ByPlan map[licensing.PlanID]int `json:"byPlan"`
		BySku  map[licensing.SkuID]bool `json:"bySku"`
	}
	in := doc{
		Sku:    licensing.MustParseSkuID(e3ID),
		Plans:  []licensing.PlanID{licensing.MustParsePlanID("57FF2DA0-773E-4CCB-B430-5077C5041653")},
		ByPlan: map[licensing.PlanID]int{licensing.MustParsePlanID("efb87545-963c-4e0d-99df-69c6916d9eb0"): 2},
		BySku:  map[licensing.SkuID]bool{licensing.MustParseSkuID(e3ID): true},
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900",
		"disabledPlans":["57ff2da0-773e-4ccb-b430-5077c5041653"],
		"byPlan":{"efb87545-963c-4e0d-99df-69c6916d9eb0":2},
		"bySku":{"6fd2c87f-b296-42f0-b197-1e91e994b900":true}}`, string(b), "ids are written as canonical lower-case strings")

	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)

	// Upper case, as some exports have it, reads to the same id.
	require.NoError(t, json.Unmarshal([]byte(`{"skuId":"6FD2C87F-B296-42F0-B197-1E91E994B900"}`), &out))
	assert.Equal(t, in.Sku, out.Sku)
}

func TestIDsRejectMalformedJSON(t *testing.T) {
	var out struct {
		Sku   licensing.SkuID    `json:"skuId"`
		Plans []licensing.PlanID `json:"plans"`
	}
	for _, in := range []string{
		`{"skuId":"ENTERPRISEPACK"}`,
		`{"skuId":"{6fd2c87f-b296-42f0-b197-1e91e994b900}"}`,
		`{"plans":["6fd2c87f-b296-42f0-b197-1e91e994b900 "]}`,
	} {
		err := json.Unmarshal([]byte(in), &out)
		require.Error(t, err, in)
		var le *licensing.Error
		assert.True(t, errors.As(err, &le), "the parse error is a *licensing.Error: %v", err)
		assert.ErrorIs(t, err, licensing.InvalidInput)
	}
}

func TestGUIDAppendTextIsMarshalText(t *testing.T) {
	g := licensing.MustParseGUID("6FD2C87F-B296-42F0-B197-1E91E994B900")
	text, err := g.MarshalText()
	require.NoError(t, err)
	got, err := g.AppendText([]byte(`x"`))
	require.NoError(t, err)
	assert.Equal(t, `x"`+string(text), string(got))
	assert.Equal(t, "6fd2c87f-b296-42f0-b197-1e91e994b900", string(text))
}
