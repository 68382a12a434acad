package licensing

import "testing"

// BenchmarkParseEmbeddedCatalog is the once-per-process cost of the embedded catalog.
func BenchmarkParseEmbeddedCatalog(b *testing.B) {
	for b.Loop() {
		if _, _, err := parseEmbeddedCatalog(microsoftCatalogText); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEmbeddedCatalogParses(t *testing.T) {
	c, o, err := parseEmbeddedCatalog(microsoftCatalogText)
	if err != nil {
		t.Fatal(err)
	}
	if o.Skus != len(c.skus) || o.Plans != len(c.plans) || o.Date == "" || o.Source == "" {
		t.Fatalf("origin %+v for %v", o, c)
	}
	if _, _, err := parseEmbeddedCatalog("p\tnot-a-guid\tX\tY\n"); err == nil {
		t.Fatal("a malformed GUID in the embedded data was accepted")
	}
}
