package main

import (
	"fmt"

	"github.com/licenseplan/licenseplan/graphadapter"
	"github.com/licenseplan/licenseplan/licensing"
)

// embeddedCatalog says which Microsoft catalog names the products when no --catalog is given:
// "Microsoft's licensing CSV of 2025-12-30, 569 products, 723 service plans".
func embeddedCatalog() string {
	o := licensing.MicrosoftCatalogOrigin()
	return fmt.Sprintf("Microsoft's licensing CSV of %s, %d products, %d service plans", o.Date, o.Skus, o.Plans)
}

// cmdVersion prints licensectl's version and the embedded catalog's origin.
func cmdVersion(e *env, args []string) error {
	fs := newFlags("version", "version", e)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	o := licensing.MicrosoftCatalogOrigin()
	fmt.Fprintf(e.stdout, "licensectl %s\n", graphadapter.Version())
	fmt.Fprintf(e.stdout, "product names: %s\n", embeddedCatalog())
	fmt.Fprintf(e.stdout, "  from %s\n", o.Source)
	fmt.Fprintf(e.stdout, "  --catalog FILE names products from a newer copy of it instead\n")
	return nil
}
