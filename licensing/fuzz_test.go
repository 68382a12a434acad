package licensing_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// writeCatalogCSV writes a catalog in Microsoft's CSV layout: one row per SKU × plan with each
// plan's first name, then one row per alias (so that reading it back records the alias again).
func writeCatalogCSV(t *testing.T, c *licensing.Catalog) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.Write([]string{"Product_Display_Name", "String_Id", "GUID", "Service_Plan_Name", "Service_Plan_Id", "Service_Plans_Included_Friendly_Names"}))
	type alias struct {
		sku  *licensing.Sku
		plan *licensing.ServicePlan
	}
	var aliases []alias
	seen := map[licensing.PlanID]bool{}
	for _, s := range c.Skus() {
		for _, id := range s.Plans {
			p, ok := c.Plan(id)
			require.True(t, ok)
			require.NoError(t, w.Write([]string{s.DisplayName, s.PartNumber, s.ID.String(), p.Name, p.ID.String(), p.DisplayName}))
			if !seen[id] {
				seen[id] = true
				aliases = append(aliases, alias{s, p})
			}
		}
	}
	for _, a := range aliases {
		for _, name := range a.plan.Aliases {
			require.NoError(t, w.Write([]string{a.sku.DisplayName, a.sku.PartNumber, a.sku.ID.String(), name, a.plan.ID.String(), a.plan.DisplayName}))
		}
	}
	w.Flush()
	require.NoError(t, w.Error())
	return b.Bytes()
}

type catalogView struct {
	Skus  map[licensing.SkuID]skuView
	Plans map[licensing.PlanID]planView
}

type skuView struct {
	PartNumber, DisplayName string
	Plans                   map[licensing.PlanID]bool
}

type planView struct {
	Name, DisplayName string
	Aliases           []string
}

// viewOf is what a catalog knows, without the numbering (which follows the order rows came in).
func viewOf(c *licensing.Catalog) catalogView {
	v := catalogView{Skus: map[licensing.SkuID]skuView{}, Plans: map[licensing.PlanID]planView{}}
	for _, s := range c.Skus() {
		sv := skuView{PartNumber: s.PartNumber, DisplayName: s.DisplayName, Plans: map[licensing.PlanID]bool{}}
		for _, id := range s.Plans {
			sv.Plans[id] = true
		}
		v.Skus[s.ID] = sv
	}
	for _, p := range c.Plans() {
		v.Plans[p.ID] = planView{Name: p.Name, DisplayName: p.DisplayName, Aliases: p.Aliases}
	}
	return v
}

func FuzzReadCatalogCSV(f *testing.F) {
	f.Add([]byte(smallCSV))
	f.Add([]byte("\ufeffProduct_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\r\n" +
		"\"Office 365 E3, \tVDA\",ENTERPRISEPACK ,6fd2c87f-b296-42f0-b197-1e91e994b900\u00a0,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929\r\n" +
		"Office 365 E3,ENTERPRISEPACK,6fd2c87f-b296-42f0-b197-1e91e994b900,TEAMS_ALIAS,57ff2da0-773e-42df-b2af-ffb7a2317929\r\n"))
	f.Add([]byte("Service_Plan_Id,GUID,String_Id,Service_Plan_Name,Product_Display_Name\n"))
	f.Add([]byte("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n\"a\"\"b\",X,00000000-0000-0000-0000-000000000001,,00000000-0000-0000-0000-000000000002\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := licensing.ReadCatalogCSV(bytes.NewReader(in))
		if err != nil {
			assert.Nil(t, c)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			return
		}
		out := writeCatalogCSV(t, c)
		back, err := licensing.ReadCatalogCSV(bytes.NewReader(out))
		require.NoError(t, err, "a written catalog reads back:\n%s", out)
		assert.Equal(t, viewOf(c), viewOf(back), "write → read gives the same catalog")

		// Every name resolves (or is reported ambiguous): never a panic, never the wrong kind.
		for _, s := range c.Skus() {
			got, err := c.LookupSku(s.ID.String())
			require.NoError(t, err)
			assert.Equal(t, s.ID, got.ID)
			if _, err := c.LookupSku(s.PartNumber); err != nil {
				assert.ErrorIs(t, err, licensing.UnknownSku)
			}
		}
		for _, p := range c.Plans() {
			if _, err := c.LookupPlan(p.Name); err != nil {
				assert.ErrorIs(t, err, licensing.UnknownServicePlan)
			}
		}
	})
}

func rulesBytes(t testing.TB, r *licensing.Rules) []byte {
	var b bytes.Buffer
	require.NoError(t, r.WriteJSON(&b))
	return b.Bytes()
}

func FuzzReadRules(f *testing.F) {
	f.Add(rulesBytes(f, licensing.DefaultRules()))
	f.Add([]byte(`{"formatVersion":"rules/v1","replaceDefaults":true,"disable":["Yammer"],
		"usageLocation":[{"name":"u","source":"s","date":"d","plans":[{"id":"3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"}],"prohibitedIn":["CN"],"allowedOnlyIn":["US"]}],
		"prerequisites":[{"name":"p","plan":{"id":"3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"},"requiresAnyOf":[{"id":"0feaeb32-d00e-4d66-bd5a-43b5b83db82c","name":"MCOSTANDARD"}]}]}`))
	f.Add([]byte(`{"formatVersion":"rules/v1","mutuallyExclusive":[],"stacking":null,"services":[]}`))
	f.Add([]byte(`{"formatVersion":"rules/v1","mutuallyExclusive":[{"name":"x","plans":[{"id":"00000000-0000-0000-0000-000000000001"},{"id":"00000000-0000-0000-0000-000000000001"}]}]}`))
	snap := sampletenant.Snapshot()
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := licensing.ReadRules(bytes.NewReader(in))
		if err != nil {
			assert.Nil(t, r)
			assert.ErrorIs(t, err, licensing.InvalidInput)
			return
		}
		out := rulesBytes(t, r)
		back, err := licensing.ReadRules(bytes.NewReader(out))
		require.NoError(t, err, "written rules read back:\n%s", out)
		assert.Equal(t, string(out), string(rulesBytes(t, back)), "write → read → write is stable")
		assert.Equal(t, normRules(r), normRules(back), "write → read gives the same rules")

		// Rules that validate compile and run over a real tenant without panicking.
		s, err := licensing.NewState(snap, licensing.WithRules(licensing.DefaultRules().Extend(r)))
		require.NoError(t, err)
		for u := 0; u < s.NumUsers(); u++ {
			e := s.Effective(u)
			s.Rules().Conflicts(e.BySku)
			s.Rules().MissingPrerequisites(e.Enabled)
			s.Rules().Prohibited(e.Enabled, "CN")
			s.Rules().ServiceLoss(e.Enabled, licensing.PlanSet{})
		}
	})
}

// normRules treats empty and missing lists alike (the JSON writer omits some empty lists).
func normRules(r *licensing.Rules) licensing.Rules {
	c := *r
	if len(c.Disable) == 0 {
		c.Disable = nil
	}
	if len(c.MutuallyExclusive) == 0 {
		c.MutuallyExclusive = nil
	}
	if len(c.Stacking) == 0 {
		c.Stacking = nil
	}
	if len(c.Prerequisites) == 0 {
		c.Prerequisites = nil
	}
	if len(c.UsageLocation) == 0 {
		c.UsageLocation = nil
	}
	if len(c.Services) == 0 {
		c.Services = nil
	}
	for i := range c.UsageLocation {
		u := &c.UsageLocation[i]
		if len(u.ProhibitedIn) == 0 {
			u.ProhibitedIn = nil
		}
		if len(u.AllowedOnlyIn) == 0 {
			u.AllowedOnlyIn = nil
		}
	}
	return c
}

func FuzzReadSnapshot(f *testing.F) {
	f.Add(sampletenant.JSON())
	f.Add([]byte(`{"formatVersion":"tenant/v1","tenantId":"t","subscribedSkus":[],"users":[],"groups":[]}`))
	f.Add([]byte(`{"formatVersion":"tenant/v1","tenantId":"t","defaultUsageLocation":"US",
	 "subscribedSkus":[{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","skuPartNumber":"E3","appliesTo":"User","capabilityStatus":"Enabled","prepaidUnits":{"enabled":1},
	   "servicePlans":[{"servicePlanId":"57ff2da0-773e-42df-b2af-ffb7a2317929","servicePlanName":"TEAMS1"}]}],
	 "users":[{"id":"u1","userPrincipalName":"a@b","assignedLicenses":[],"licenseAssignmentStates":[
	   {"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","disabledPlans":[],"assignedByGroup":"g1","state":"Error","error":null}]},
	   {"id":"u2","assignedLicenses":null}],
	 "groups":[{"id":"g1","members":["u1","u2"],"assignedLicenses":[{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","disabledPlans":["57ff2da0-773e-42df-b2af-ffb7a2317929"]}]}]}`))
	f.Add([]byte(`{"formatVersion":"tenant/v1","tenantId":"t","users":[{"id":"u1"}],"groups":[{"id":"g1","members":["u1"],"groupTypes":["DynamicMembership"],
	 "securityEnabled":true,"mailEnabled":false,"membershipRule":"(user.department -eq \"Sales\")","membershipRuleProcessingState":"On","onPremisesSyncEnabled":null},
	 {"id":"g2","groupTypes":[],"mailEnabled":true,"securityEnabled":true,"onPremisesSyncEnabled":true}]}`))
	f.Add([]byte(`{"formatVersion":"tenant/v1","tenantId":"t","readAt":"2026-03-01T08:00:00Z","signInActivityUnknown":false,
	 "subscriptions":[{"id":"s1","commerceSubscriptionId":"c1","skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","skuPartNumber":"E3","status":"Enabled","totalLicenses":5,"isTrial":true,"createdDateTime":"2026-02-01T00:00:00Z","nextLifecycleDateTime":"2026-03-03T00:00:00Z"}],
	 "users":[{"id":"u1","accountEnabled":false,"userType":"Guest","createdDateTime":"2020-01-02T03:04:05Z","signInActivity":{"lastSignInDateTime":"2025-06-01T00:00:00Z","lastNonInteractiveSignInDateTime":null,"lastSuccessfulSignInDateTime":"2025-06-01T00:00:00.5+02:00"}},
	  {"id":"u2","signInActivity":{}},{"id":"u3","signInActivity":null,"userType":"Member"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		// LoadState reads the document as NewState(ReadSnapshot) does: the same error or State.
		loaded, lerr := licensing.LoadState(bytes.NewReader(in))
		if !isRepeatedList(lerr) {
			want, werr := oldLoad(in)
			if werr != nil {
				require.Error(t, lerr, "LoadState accepts what ReadSnapshot+NewState refuse: %v", werr)
				require.Equal(t, werr.Error(), lerr.Error())
			} else {
				require.NoError(t, lerr)
				require.Equal(t, tenantJSON(t, want), tenantJSON(t, loaded))
			}
		}

		s, err := licensing.ReadSnapshot(bytes.NewReader(in))
		if err != nil {
			assert.Nil(t, s)
			assert.NotEqual(t, licensing.Other, licensing.KindOf(err), "errors are the library's own: %v", err)
			return
		}
		out := writeSnapshot(t, s)
		back, err := licensing.ReadSnapshot(bytes.NewReader(out))
		require.NoError(t, err, "a written snapshot reads back:\n%s", out)
		assert.Equal(t, string(out), string(writeSnapshot(t, back)), "write → read → write is stable")

		// A valid snapshot compiles, and the state it describes exports and reloads unchanged.
		st, err := licensing.NewState(s)
		require.NoError(t, err)
		exported := tenantJSON(t, st)
		snap2, err := licensing.ReadSnapshot(strings.NewReader(exported))
		require.NoError(t, err, "an exported state reads back:\n%s", exported)
		st2, err := licensing.NewState(snap2)
		require.NoError(t, err)
		assert.Equal(t, exported, tenantJSON(t, st2), "export → load → export is stable")
		st3, err := licensing.LoadState(strings.NewReader(exported))
		require.NoError(t, err)
		assert.Equal(t, exported, tenantJSON(t, st3), "export → LoadState → export is stable")
	})
}

// FuzzApply drives the sample tenant through random sequences of changes and checks what must
// always hold: Predict changes nothing; a refused change changes nothing; seats are one per user
// per SKU with a path not in error and never exceed what was bought; an outcome's seats are what
// the state shows afterwards; the state exports and reloads unchanged.
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 3, 2, 4, 5, 2, 6, 7, 1, 0, 9})
	f.Add([]byte{1, 2, 0, 3, 1, 2, 2, 4, 0, 0, 5, 3, 3})
	f.Add([]byte{3, 20, 2, 4, 2, 2, 5, 22, 2, 3})
	base := contoso(f)
	cat := base.Catalog()
	subs := base.Subscriptions()
	countries := []string{"", "US", "NO", "GB", "XX"}
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 64 {
			script = script[:64]
		}
		s := base.Clone()
		next := func() int {
			if len(script) == 0 {
				return 0
			}
			b := script[0]
			script = script[1:]
			return int(b)
		}
		license := func() licensing.AssignedLicense {
			sub := subs[next()%len(subs)]
			l := licensing.AssignedLicense{SkuID: sub.Sku.ID}
			mask := next()
			for i, id := range sub.Sku.Plans {
				if mask&(1<<(i%8)) != 0 && i < 8 {
					l.DisabledPlans = append(l.DisabledPlans, id)
				}
			}
			return l
		}
		for len(script) > 0 {
			user := s.User(next() % s.NumUsers()).ID
			group := s.Group(next() % s.NumGroups()).ID
			var c licensing.Change
			switch next() % 7 {
			case 0:
				c = licensing.Change{Kind: licensing.AssignUserLicenses, User: user, AddLicenses: []licensing.AssignedLicense{license()}}
			case 1:
				c = licensing.Change{Kind: licensing.AssignUserLicenses, User: user, AddLicenses: []licensing.AssignedLicense{license()},
					RemoveLicenses: []licensing.SkuID{subs[next()%len(subs)].Sku.ID}}
			case 2:
				c = licensing.Change{Kind: licensing.AssignGroupLicenses, Group: group, AddLicenses: []licensing.AssignedLicense{license()}}
			case 3:
				c = licensing.Change{Kind: licensing.AssignGroupLicenses, Group: group, RemoveLicenses: []licensing.SkuID{subs[next()%len(subs)].Sku.ID}}
			case 4:
				c = licensing.Change{Kind: licensing.AddGroupMember, User: user, Group: group}
			case 5:
				c = licensing.Change{Kind: licensing.RemoveGroupMember, User: user, Group: group}
			case 6:
				if next()%2 == 0 {
					c = licensing.Change{Kind: licensing.SetUsageLocation, User: user, UsageLocation: countries[next()%len(countries)]}
				} else {
					c = licensing.Change{Kind: licensing.ReprocessUser, User: user}
				}
			}
			before := tenantJSON(t, s)
			predicted := s.Predict(c)
			require.Equal(t, before, tenantJSON(t, s), "Predict changed the state: %+v", c)
			o := s.Apply(c)
			require.Equal(t, predicted.Refused, o.Refused)
			if o.Refused {
				require.Equal(t, before, tenantJSON(t, s), "a refused change changed the state: %+v", c)
				require.NotEmpty(t, o.Violations)
				continue
			}
			checkSeats(t, s, cat, o)
		}
		exported := tenantJSON(t, s)
		snap, err := licensing.ReadSnapshot(strings.NewReader(exported))
		require.NoError(t, err)
		s2, err := licensing.NewState(snap)
		require.NoError(t, err)
		require.Equal(t, exported, tenantJSON(t, s2), "export → load → export is stable")
	})
}

func checkSeats(t *testing.T, s *licensing.State, cat *licensing.Catalog, o *licensing.Outcome) {
	t.Helper()
	holders := map[licensing.SkuID]int{}
	for u := 0; u < s.NumUsers(); u++ {
		held := map[licensing.SkuID]bool{}
		for _, p := range s.Paths(u) {
			if p.State != licensing.PathError {
				held[p.Sku] = true
			}
		}
		for k := range held {
			holders[k]++
		}
		require.True(t, s.Effective(u).Enabled.Equal(s.EnabledPlans(u)))
	}
	for _, sub := range s.Subscriptions() {
		require.Equal(t, holders[sub.Sku.ID], sub.Consumed, "consumed seats of %s", sub.Sku.Label())
		require.LessOrEqual(t, sub.Consumed, sub.Prepaid.Enabled, "seats of %s overdrawn", cat.SkuName(sub.Sku.ID))
	}
	for _, e := range o.Seats {
		sub, _ := s.Subscription(e.Sku)
		require.Equal(t, e.After, sub.Consumed, "the outcome's seats are the state's")
	}
}
