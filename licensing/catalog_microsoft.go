package licensing

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/licenseplan/licenseplan/internal/catalogdata"
)

// The embedded catalog is generated from Microsoft's "Product names and service plan identifiers
// for licensing" CSV (https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference).
// Refresh it with `go generate ./licensing`, or run internal/catalogen on a newer CSV or its URL.
//
//go:generate go run ../internal/catalogen -o catalog_microsoft.tsv -source "Microsoft Learn, Product names and service plan identifiers for licensing (CSV download), copy of 2025-12-30 in github.com/nubrixsecurity/zero-trust-assessment@082295a" ../../shared/data/ms-product-names-service-plan-identifiers-for-licensing.2025-12-30.nubrixsecurity.csv

//go:embed catalog_microsoft.tsv
var microsoftCatalogText string

// CatalogOrigin says where a catalog's names come from.
type CatalogOrigin struct {
	Source string // where the CSV was taken from
	Date   string // the CSV's date, YYYY-MM-DD
	Skus   int    // number of SKUs
	Plans  int    // number of service plans
}

var microsoft struct {
	once sync.Once
	cat  *Catalog // shared, never modified: the reference of every State's catalog
	orig CatalogOrigin
	err  error
}

func loadMicrosoft() {
	microsoft.once.Do(func() {
		c, o, err := parseEmbeddedCatalog(microsoftCatalogText)
		microsoft.cat, microsoft.orig, microsoft.err = c, o, err
	})
}

func parseEmbeddedCatalog(text string) (*Catalog, CatalogOrigin, error) {
	d, err := catalogdata.Parse(text)
	if err != nil {
		return nil, CatalogOrigin{}, err
	}
	c := NewCatalog()
	plans := make([]ServicePlan, len(d.Plans))
	for i, p := range d.Plans {
		id, err := ParsePlanID(p.ID)
		if err != nil {
			return nil, CatalogOrigin{}, fmt.Errorf("embedded catalog: plan %d: %w", i, err)
		}
		plans[i] = ServicePlan{ID: id, Name: p.Name, DisplayName: p.Friendly, Aliases: p.Aliases}
		c.AddPlan(plans[i])
	}
	for _, s := range d.Skus {
		id, err := ParseSkuID(s.ID)
		if err != nil {
			return nil, CatalogOrigin{}, fmt.Errorf("embedded catalog: SKU %s: %w", s.PartNumber, err)
		}
		sp := make([]PlanID, len(s.Plans))
		for k, n := range s.Plans {
			sp[k] = plans[n].ID
		}
		c.AddSku(Sku{ID: id, PartNumber: s.PartNumber, DisplayName: s.Product, Plans: sp})
	}
	return c, CatalogOrigin{Source: d.Source, Date: d.Date, Skus: len(c.skus), Plans: len(c.plans)}, nil
}

// MicrosoftCatalog returns a new Catalog of every SKU and service plan in the Microsoft licensing
// CSV embedded in this package (see MicrosoftCatalogOrigin for its date and source): part numbers,
// product names, plan names and friendly names, keyed by GUID. Every State already uses it for
// names and suggestions; a newer CSV given with WithCatalog, and the tenant's own subscribedSkus,
// take precedence over it.
func MicrosoftCatalog() *Catalog {
	loadMicrosoft()
	c := NewCatalog()
	if microsoft.cat != nil {
		c.Enrich(microsoft.cat)
	}
	return c
}

// MicrosoftCatalogOrigin says which CSV the embedded catalog was generated from.
func MicrosoftCatalogOrigin() CatalogOrigin {
	loadMicrosoft()
	return microsoft.orig
}

// microsoftReference is the shared embedded catalog (nil if it failed to load, which the tests
// rule out): read it, never modify it.
func microsoftReference() *Catalog {
	loadMicrosoft()
	return microsoft.cat
}
