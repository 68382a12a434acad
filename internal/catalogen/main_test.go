package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `go generate ./licensing` reproduces the committed file byte for byte from the CSV it names.
func TestGeneratedCatalogIsUpToDate(t *testing.T) {
	csv := filepath.Join("..", "..", "..", "shared", "data", "ms-product-names-service-plan-identifiers-for-licensing.2025-12-30.nubrixsecurity.csv")
	if _, err := os.Stat(csv); err != nil {
		t.Skipf("reference CSV %s is absent (it lives beside the repository): skipping", csv)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "licensing", "catalog_microsoft.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "catalog.tsv")
	const source = "Microsoft Learn, Product names and service plan identifiers for licensing (CSV download), copy of 2025-12-30 in github.com/nubrixsecurity/zero-trust-assessment@082295a"
	if err := run(csv, out, source, ""); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("licensing/catalog_microsoft.tsv differs from what the generator writes (%d vs %d bytes): run go generate ./licensing", len(want), len(got))
	}
}

func TestRunRefusesAnUndatedCSV(t *testing.T) {
	in := filepath.Join(t.TempDir(), "catalog.csv")
	if err := os.WriteFile(in, []byte("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(in, filepath.Join(t.TempDir(), "out.tsv"), "", "")
	if err == nil || !strings.Contains(err.Error(), "give it with -date") {
		t.Fatalf("want an error asking for -date, got %v", err)
	}
	if err := run(in, filepath.Join(t.TempDir(), "out.tsv"), "", "2026-12-01"); err != nil {
		t.Fatalf("with -date: %v", err)
	}
}
