// Command catalogen writes licensing's embedded Microsoft catalog (licensing/catalog_microsoft.tsv)
// from Microsoft's "Product names and service plan identifiers for licensing" CSV, given as a
// file path or an http(s) URL. `go generate ./licensing` runs it; to refresh the catalog from
// Microsoft's download:
//
//	go run ./internal/catalogen -o licensing/catalog_microsoft.tsv -date 2026-12-01 \
//	    https://download.microsoft.com/download/e/3/e/e3e9faf2-f28b-490a-9ada-c6089a1fc5b0/Product%20names%20and%20service%20plan%20identifiers%20for%20licensing.csv
//
// The output lists service plans sorted by name and SKUs sorted by part number, so a refresh
// diffs line by line. -date defaults to a YYYY-MM-DD found in the file name, or to the URL's
// Last-Modified header; -source defaults to the path or URL.
package main

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/licenseplan/licenseplan/internal/catalogdata"
	"github.com/licenseplan/licenseplan/licensing"
)

func main() {
	out := flag.String("o", "catalog_microsoft.tsv", "output `FILE`")
	source := flag.String("source", "", "where the CSV came from, recorded in the output (default: the path or URL)")
	date := flag.String("date", "", "the CSV's date, `YYYY-MM-DD` (default: from the file name or Last-Modified)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: catalogen [-o FILE] [-source TEXT] [-date YYYY-MM-DD] CSV-PATH-OR-URL\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out, *source, *date); err != nil {
		fmt.Fprintln(os.Stderr, "catalogen:", err)
		os.Exit(1)
	}
}

var dateInName = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

func run(in, out, source, date string) error {
	raw, modified, err := read(in)
	if err != nil {
		return err
	}
	if date == "" {
		date = dateInName.FindString(filepath.Base(in))
	}
	if date == "" {
		date = modified
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return fmt.Errorf("the CSV's date %q is not YYYY-MM-DD: give it with -date", date)
	}
	if source == "" {
		source = in
	}
	cat, err := licensing.ReadCatalogCSV(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	d := compact(cat, commonFriendlyNames(raw))
	d.Source, d.Date = source, date
	var buf bytes.Buffer
	if err := catalogdata.Write(&buf, d); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "catalogen: %s: %d SKUs, %d service plans, %d bytes\n", out, len(d.Skus), len(d.Plans), buf.Len())
	return nil
}

// read returns the CSV's bytes and, for a URL, its Last-Modified date.
func read(in string) ([]byte, string, error) {
	if !strings.HasPrefix(in, "http://") && !strings.HasPrefix(in, "https://") {
		b, err := os.ReadFile(in)
		return b, "", err
	}
	resp, err := http.Get(in)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", in, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	modified := ""
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		modified = t.UTC().Format(time.DateOnly)
	}
	return b, modified, nil
}

// commonFriendlyNames returns, for each plan id, the friendly name the CSV gives it most often
// (the CSV names one plan differently in different SKUs: RMS_S_ENTERPRISE is "Azure Information
// Protection Premium P1" in most rows and "Microsoft Azure Active Directory Rights" in others).
// Ties go to the name seen first.
func commonFriendlyNames(raw []byte) map[licensing.PlanID]string {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil
	}
	idCol, nameCol := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(h) {
		case "Service_Plan_Id":
			idCol = i
		case "Service_Plans_Included_Friendly_Names":
			nameCol = i
		}
	}
	if idCol < 0 || nameCol < 0 {
		return nil
	}
	type tally struct {
		n     map[string]int
		order []string
	}
	by := map[licensing.PlanID]*tally{}
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if idCol >= len(rec) || nameCol >= len(rec) {
			continue
		}
		id, err := licensing.ParsePlanID(strings.Map(dropSpace, rec[idCol]))
		name := strings.Join(strings.FieldsFunc(rec[nameCol], isSpace), " ")
		if err != nil || name == "" {
			continue
		}
		t := by[id]
		if t == nil {
			t = &tally{n: map[string]int{}}
			by[id] = t
		}
		if t.n[name] == 0 {
			t.order = append(t.order, name)
		}
		t.n[name]++
	}
	out := map[licensing.PlanID]string{}
	for id, t := range by {
		best := t.order[0]
		for _, n := range t.order[1:] {
			if t.n[n] > t.n[best] {
				best = n
			}
		}
		out[id] = best
	}
	return out
}

func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff' }

func dropSpace(r rune) rune {
	if isSpace(r) {
		return -1
	}
	return r
}

// compact orders the catalog's plans by name and its SKUs by part number (ids break ties), and
// names each plan by its most common friendly name.
func compact(cat *licensing.Catalog, friendly map[licensing.PlanID]string) *catalogdata.Data {
	plans := cat.Plans()
	slices.SortFunc(plans, func(a, b *licensing.ServicePlan) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), a.ID.Compare(b.ID))
	})
	num := map[licensing.PlanID]int{}
	d := &catalogdata.Data{}
	for i, p := range plans {
		num[p.ID] = i
		f := p.DisplayName
		if n, ok := friendly[p.ID]; ok {
			f = n
		}
		d.Plans = append(d.Plans, catalogdata.Plan{ID: p.ID.String(), Name: p.Name, Friendly: f, Aliases: p.Aliases})
	}
	skus := cat.Skus()
	slices.SortFunc(skus, func(a, b *licensing.Sku) int {
		return cmp.Or(strings.Compare(a.PartNumber, b.PartNumber), a.ID.Compare(b.ID))
	})
	for _, s := range skus {
		ds := catalogdata.Sku{ID: s.ID.String(), PartNumber: s.PartNumber, Product: s.DisplayName}
		for _, id := range s.Plans {
			ds.Plans = append(ds.Plans, num[id])
		}
		d.Skus = append(d.Skus, ds)
	}
	return d
}
