package licensing_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

func TestKindNamesAreStableAndParse(t *testing.T) {
	// The names are plan/v1's problem kinds and Entra's error names: they must never change.
	want := map[licensing.Kind]string{
		licensing.None:                               "None",
		licensing.Other:                              "Other",
		licensing.CountViolation:                     "CountViolation",
		licensing.MutuallyExclusiveViolation:         "MutuallyExclusiveViolation",
		licensing.DependencyViolation:                "DependencyViolation",
		licensing.ProhibitedInUsageLocationViolation: "ProhibitedInUsageLocationViolation",
		licensing.UniquenessViolation:                "UniquenessViolation",
		licensing.ServiceLoss:                        "ServiceLoss",
		licensing.InheritedLicense:                   "InheritedLicense",
		licensing.UnknownSku:                         "UnknownSku",
		licensing.UnknownServicePlan:                 "UnknownServicePlan",
		licensing.UnknownUser:                        "UnknownUser",
		licensing.UnknownGroup:                       "UnknownGroup",
		licensing.SkuNotAssignable:                   "SkuNotAssignable",
		licensing.GroupPrerequisiteMissing:           "GroupPrerequisiteMissing",
		licensing.InvalidDesiredState:                "InvalidDesiredState",
		licensing.InvalidInput:                       "InvalidInput",
		licensing.UsageLocationMissing:               "UsageLocationMissing",
		licensing.Drift:                              "Drift",
		licensing.Throttled:                          "Throttled",
		licensing.Transient:                          "Transient",
	}
	for k, name := range want {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, name, k.String())
			got, ok := licensing.ParseKind(name)
			require.True(t, ok)
			assert.Equal(t, k, got)
			got, ok = licensing.ParseKind(strings.ToLower(name))
			require.True(t, ok, "kind names parse in any case")
			assert.Equal(t, k, got)

			b, err := k.MarshalText()
			require.NoError(t, err)
			var back licensing.Kind
			require.NoError(t, back.UnmarshalText(b))
			assert.Equal(t, k, back)
		})
	}
	assert.Equal(t, "Kind(200)", licensing.Kind(200).String())
}

func TestParseKindTreatsEmptyAndNoneAlike(t *testing.T) {
	for _, s := range []string{"", "None", "none", "NONE"} {
		k, ok := licensing.ParseKind(s)
		assert.True(t, ok, s)
		assert.Equal(t, licensing.None, k, s)
	}
	k, ok := licensing.ParseKind("countviolation")
	assert.True(t, ok)
	assert.Equal(t, licensing.CountViolation, k, "names match in any case")

	_, ok = licensing.ParseKind("NoSuchKind")
	assert.False(t, ok)
	var back licensing.Kind
	err := back.UnmarshalText([]byte("NoSuchKind"))
	assert.ErrorIs(t, err, licensing.InvalidInput)
	assert.Contains(t, err.Error(), "NoSuchKind")
}

func TestIsEntraErrorCoversExactlyEntrasNames(t *testing.T) {
	entra := []licensing.Kind{licensing.Other, licensing.CountViolation, licensing.MutuallyExclusiveViolation,
		licensing.DependencyViolation, licensing.ProhibitedInUsageLocationViolation, licensing.UniquenessViolation}
	for k := licensing.Kind(0); k <= licensing.Transient; k++ {
		want := false
		for _, e := range entra {
			want = want || e == k
		}
		assert.Equal(t, want, k.IsEntraError(), k.String())
	}
}

func TestErrorWorksWithErrorsIsAndAs(t *testing.T) {
	cause := errors.New("connection reset")
	err := fmt.Errorf("assigning: %w", &licensing.Error{
		Kind:    licensing.Transient,
		Target:  licensing.Target{Type: licensing.TargetUser, ID: "u1", Name: "alice@contoso.com"},
		Message: "the service did not answer",
		Err:     cause,
	})
	assert.ErrorIs(t, err, licensing.Transient)
	assert.NotErrorIs(t, err, licensing.Throttled)
	assert.ErrorIs(t, err, cause, "the underlying error stays reachable")
	assert.Equal(t, licensing.Transient, licensing.KindOf(err))
	assert.Equal(t, "assigning: Transient: the service did not answer: connection reset", err.Error())

	var le *licensing.Error
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "user alice@contoso.com (u1)", le.Target.String())

	assert.Equal(t, licensing.Other, licensing.KindOf(errors.New("foreign")), "foreign errors are Other")
	assert.Equal(t, "CountViolation", licensing.CountViolation.Error(), "a Kind is itself an error target")
}

func TestTargetString(t *testing.T) {
	cases := []struct {
		name string
		t    licensing.Target
		want string
	}{
		{"empty", licensing.Target{}, ""},
		{"id only", licensing.Target{Type: licensing.TargetGroup, ID: "g1"}, "group g1"},
		{"name equals id", licensing.Target{Type: licensing.TargetUser, ID: "u1", Name: "u1"}, "user u1"},
		{"name and id", licensing.Target{Type: licensing.TargetGroup, ID: "g1", Name: "Licensing_EMS"}, "group Licensing_EMS (g1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.t.String()) })
	}
}
