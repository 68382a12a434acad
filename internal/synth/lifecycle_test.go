package synth

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/licensing"
)

func lifecycleTenant(t *testing.T, n int, seed uint64) *licensing.Snapshot {
	t.Helper()
	o := DefaultOptions(n)
	o.Seed, o.Lifecycle = seed, true
	s := Tenant(o)
	require.NoError(t, s.Validate())
	return s
}

func writeJSON(t *testing.T, s *licensing.Snapshot) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, s.WriteJSON(&b))
	return b.Bytes()
}

// A lifecycle tenant has what reclaim and expiry reports look for, deterministically.
func TestLifecycleTenantIsRealistic(t *testing.T) {
	for _, n := range []int{6, 2000} {
		s := lifecycleTenant(t, n, 3)
		at, ok := licensing.ParseDateTime(s.ReadAt)
		require.True(t, ok)
		assert.Equal(t, DefaultReadAt, at)
		var disabled, idle, never, guests, active int
		for _, u := range s.Users {
			require.NotNil(t, u.SignInActivity, u.ID)
			created, ok := licensing.ParseDateTime(u.CreatedDateTime)
			require.True(t, ok, u.ID)
			assert.False(t, created.After(at), "%s created after readAt", u.ID)
			last, recorded := u.SignInActivity.Latest()
			if recorded {
				assert.False(t, last.After(at), "%s signed in after readAt", u.ID)
				assert.False(t, last.Before(created), "%s signed in before it was created", u.ID)
			}
			switch {
			case u.AccountEnabled != nil && !*u.AccountEnabled:
				disabled++
			case !recorded:
				never++
			case at.Sub(last) >= 90*24*time.Hour:
				idle++
			default:
				active++
			}
			if u.UserType == licensing.UserTypeGuest {
				guests++
				assert.Contains(t, u.UserPrincipalName, "#EXT#@")
			} else {
				assert.Equal(t, licensing.UserTypeMember, u.UserType)
			}
		}
		for what, count := range map[string]int{"disabled": disabled, "idle": idle, "never signed in": never, "guests": guests} {
			assert.Positive(t, count, "%d users: some %s", n, what)
		}
		if n >= 2000 {
			assert.Greater(t, active, n*3/4, "most users are active")
			assert.Less(t, disabled+idle+never, n/5)
		}

		// Subscriptions: every SKU's seats, a trial, one renewing within 30 days.
		seats := map[licensing.SkuID]int{}
		var trial, soon bool
		for _, c := range s.Subscriptions {
			seats[c.SkuID] += c.TotalLicenses
			next, ok := c.NextLifecycle()
			require.True(t, ok)
			assert.True(t, next.After(at))
			if c.IsTrial {
				trial = true
				assert.Equal(t, "WORKPLACE_ANALYTICS", c.SkuPartNumber)
			}
			if !c.IsTrial && next.Sub(at) < 30*24*time.Hour {
				soon = true
				assert.Equal(t, "ENTERPRISEPACK", c.SkuPartNumber)
			}
		}
		assert.True(t, trial, "a trial")
		assert.True(t, soon, "a renewal within 30 days")
		for _, k := range s.SubscribedSkus {
			assert.Equal(t, k.PrepaidUnits.Enabled, seats[k.SkuID], "%s: the subscriptions make its seats", k.SkuPartNumber)
			assert.NotEmpty(t, k.SubscriptionIDs)
		}
	}
	assert.Equal(t, writeJSON(t, lifecycleTenant(t, 300, 9)), writeJSON(t, lifecycleTenant(t, 300, 9)), "the same seed, the same tenant")
	assert.NotEqual(t, writeJSON(t, lifecycleTenant(t, 300, 9)), writeJSON(t, lifecycleTenant(t, 300, 10)))
}

// Lifecycle data changes nothing else: the licensing is the tenant without it, and without it
// the tenant is what it always was (the benchmarks' inputs).
func TestLifecycleLeavesTheLicensingAlone(t *testing.T) {
	plain := Tenant(DefaultOptions(500))
	life := lifecycleTenant(t, 500, 1)
	require.Len(t, life.Users, len(plain.Users))
	assert.Equal(t, plain.Groups, life.Groups)
	for i := range plain.Users {
		assert.Equal(t, plain.Users[i].AssignedLicenses, life.Users[i].AssignedLicenses)
		assert.Equal(t, plain.Users[i].UsageLocation, life.Users[i].UsageLocation)
		assert.Equal(t, plain.Users[i].ID, life.Users[i].ID)
	}
	for i := range plain.SubscribedSkus {
		assert.Equal(t, plain.SubscribedSkus[i].PrepaidUnits, life.SubscribedSkus[i].PrepaidUnits)
	}
	assert.Empty(t, plain.ReadAt)
	assert.Nil(t, plain.Subscriptions)
	for _, u := range plain.Users {
		assert.Nil(t, u.SignInActivity)
		assert.Empty(t, u.UserType)
	}

	o := DefaultOptions(50)
	o.Lifecycle, o.ReadAt = true, time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.Equal(t, "2027-01-02T03:04:05Z", Tenant(o).ReadAt)
}
