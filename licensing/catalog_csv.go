package licensing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// csvColumns are the headers of Microsoft's "Product names and service plan identifiers for
// licensing" CSV (https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference).
var csvColumns = []string{"Product_Display_Name", "String_Id", "GUID", "Service_Plan_Name", "Service_Plan_Id"}

const csvFriendlyColumn = "Service_Plans_Included_Friendly_Names"

// ReadCatalogCSV reads Microsoft's licensing CSV into a new Catalog. See Catalog.AddCSV.
func ReadCatalogCSV(r io.Reader) (*Catalog, error) {
	c := NewCatalog()
	if err := c.AddCSV(r); err != nil {
		return nil, err
	}
	return c, nil
}

// AddCSV enriches the catalog from Microsoft's licensing CSV: one row per SKU × service plan
// with the columns Product_Display_Name, String_Id, GUID, Service_Plan_Name, Service_Plan_Id
// and (optionally) Service_Plans_Included_Friendly_Names, in any order.
//
// The published file has quirks that are tolerated: a UTF-8 byte-order mark, CRLF line ends,
// quoted fields with commas, non-breaking spaces and tabs inside names and ids, duplicate rows,
// and one plan id published under two names (the first name wins, the other becomes an alias).
// Everything is keyed on GUIDs. A malformed GUID or a missing column is an InvalidInput error
// naming the line. Nothing is added when an error is returned.
func (c *Catalog) AddCSV(r io.Reader) error {
	type row struct {
		sku  Sku
		plan ServicePlan
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errorf(InvalidInput, "licensing CSV is empty: want a header with %s", strings.Join(csvColumns, ","))
		}
		return &Error{Kind: InvalidInput, Message: "licensing CSV header", Err: err}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimPrefix(h, "\ufeff")
		col[cleanName(h)] = i
	}
	idx := make([]int, len(csvColumns))
	for k, name := range csvColumns {
		i, ok := col[name]
		if !ok {
			return errorf(InvalidInput, "licensing CSV has no %s column: want the header %s,%s", name, strings.Join(csvColumns, ","), csvFriendlyColumn)
		}
		idx[k] = i
	}
	friendly, hasFriendly := col[csvFriendlyColumn]
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &Error{Kind: InvalidInput, Message: "licensing CSV", Err: err}
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		field := func(k int) string {
			if k < len(rec) {
				return rec[k]
			}
			return ""
		}
		for _, k := range idx {
			if k >= len(rec) {
				return errorf(InvalidInput, "licensing CSV line %d has %d fields, want at least %d", line, len(rec), len(csvColumns))
			}
		}
		skuID, err := ParseSkuID(cleanID(field(idx[2])))
		if err != nil {
			return errorf(InvalidInput, "licensing CSV line %d, column GUID: %v", line, err)
		}
		planID, err := ParsePlanID(cleanID(field(idx[4])))
		if err != nil {
			return errorf(InvalidInput, "licensing CSV line %d, column Service_Plan_Id: %v", line, err)
		}
		p := ServicePlan{ID: planID, Name: cleanName(field(idx[3]))}
		if hasFriendly {
			p.DisplayName = cleanName(field(friendly))
		}
		rows = append(rows, row{
			sku:  Sku{ID: skuID, PartNumber: cleanName(field(idx[1])), DisplayName: cleanName(field(idx[0]))},
			plan: p,
		})
	}
	for _, r := range rows {
		c.AddSku(r.sku, r.plan)
	}
	return nil
}

// cleanID drops every kind of white space (the CSV has non-breaking spaces inside GUIDs).
func cleanID(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
}

// cleanName collapses runs of white space (tabs, non-breaking spaces) to one space and trims.
func cleanName(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff'
	}), " ")
}

// String describes the catalog's size.
func (c *Catalog) String() string {
	return fmt.Sprintf("catalog: %d SKUs, %d service plans", len(c.skus), len(c.plans))
}
