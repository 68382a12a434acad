package graphadapter_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/licenseplan/licenseplan/fake"
	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/internal/sampletenant"
	"github.com/licenseplan/licenseplan/licensing"
)

// The adapter against the fake Graph server: read the tenant, move Alice from E1 to E3 in one
// call, and see Graph's refusal of a license Carol only has through a group.
func Example() {
	ft, _ := fake.New(sampletenant.Snapshot())
	srv, _ := fake.StartServer(ft)
	defer srv.Close()

	tn, err := graphadapter.New(graphadapter.WithRoot(srv.URL)) // loopback: no credential
	if err != nil {
		panic(err)
	}
	defer tn.CloseIdleConnections()
	ctx := context.Background()
	snap, err := tn.Snapshot(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(snap.SubscribedSkus), "SKUs,", len(snap.Users), "users,", len(snap.Groups), "licensed groups")

	e1, e3 := licensing.MustParseSkuID(sampletenant.E1), licensing.MustParseSkuID(sampletenant.E3)
	err = tn.AssignUserLicenses(ctx, sampletenant.Alice, []licensing.AssignedLicense{{SkuID: e3}}, []licensing.SkuID{e1})
	fmt.Println("alice E1 → E3:", err)

	err = tn.AssignUserLicenses(ctx, sampletenant.Carol, nil, []licensing.SkuID{e3})
	fmt.Println("carol:", errors.Is(err, licensing.InheritedLicense), licensing.KindOf(err))
	// Output:
	// 7 SKUs, 24 users, 3 licensed groups
	// alice E1 → E3: <nil>
	// carol: true InheritedLicense
}
