package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// PricesFormatVersion is the formatVersion of a prices file.
const PricesFormatVersion = "prices/v1"

// Prices are the monthly prices of SKUs per user (per seat), as the user gives them: Graph has
// no prices. Read them with ReadPrices:
//
//	{"formatVersion":"prices/v1","currency":"EUR","skus":[{"sku":"ENTERPRISEPACK","monthly":22.5}]}
type Prices struct {
	// Currency is the ISO 4217 code of every price ("EUR").
	Currency string `json:"currency"`
	// Skus are the prices in file order.
	Skus []SkuPrice `json:"skus"`
	byID map[licensing.SkuID]float64
}

// SkuPrice is one SKU's monthly price per seat.
type SkuPrice struct {
	SkuID         licensing.SkuID `json:"skuId"`
	SkuPartNumber string          `json:"skuPartNumber"`
	ProductName   string          `json:"productName"`
	Monthly       float64         `json:"monthly"`
	// InTenant is false for a Microsoft product the tenant does not subscribe to (a price list
	// may cover more products than one tenant has; such prices are never used).
	InTenant bool `json:"inTenant"`
}

// Monthly returns the SKU's monthly price per seat, and false when the prices do not give one.
func (p *Prices) Monthly(id licensing.SkuID) (float64, bool) {
	if p == nil {
		return 0, false
	}
	m, ok := p.byID[id]
	return m, ok
}

// ReadPrices reads a prices/v1 document for the tenant of st. A SKU is named by id, part
// number or product name, in any case, as in desired/v1; a name that does not resolve is an
// error with the catalog's suggestions. A Microsoft product the tenant does not subscribe to
// may be priced (a company-wide price list): it resolves against Microsoft's catalog and is
// kept with InTenant false. Errors, each naming the bad entry: a formatVersion other than
// prices/v1, a currency that is not three ISO 4217 letters (upper case), unknown fields, a
// missing or negative monthly price, and a SKU priced twice (under any of its names).
func ReadPrices(r io.Reader, st *licensing.State) (*Prices, error) {
	var doc struct {
		FormatVersion string `json:"formatVersion"`
		Currency      string `json:"currency"`
		Skus          []struct {
			Sku     string   `json:"sku"`
			Monthly *float64 `json:"monthly"`
		} `json:"skus"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, pricesErr("not a prices/v1 document: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, pricesErr("unexpected data after the prices/v1 document")
	}
	if doc.FormatVersion != PricesFormatVersion {
		return nil, pricesErr("formatVersion %q: want %q", doc.FormatVersion, PricesFormatVersion)
	}
	if !isCurrencyCode(doc.Currency) {
		return nil, pricesErr("currency %q: want an ISO 4217 code of three upper-case letters, such as EUR or USD", doc.Currency)
	}
	p := &Prices{Currency: doc.Currency, Skus: make([]SkuPrice, 0, len(doc.Skus)), byID: map[licensing.SkuID]float64{}}
	first := map[licensing.SkuID]int{}
	var microsoft *licensing.Catalog
	for i, e := range doc.Skus {
		at := fmt.Sprintf("skus[%d] (%q)", i, e.Sku)
		if strings.TrimSpace(e.Sku) == "" {
			return nil, pricesErr("skus[%d]: sku is missing: name the SKU by id, part number or product name", i)
		}
		if e.Monthly == nil {
			return nil, pricesErr("%s: monthly is missing: give the monthly price per seat in %s", at, doc.Currency)
		}
		if *e.Monthly < 0 {
			return nil, pricesErr("%s: monthly %v is negative: want a price of 0 or more", at, *e.Monthly)
		}
		sp := SkuPrice{Monthly: *e.Monthly, InTenant: true}
		sku, err := st.Catalog().LookupSku(e.Sku)
		if err != nil {
			if microsoft == nil {
				microsoft = licensing.MicrosoftCatalog()
			}
			ms, merr := microsoft.LookupSku(e.Sku)
			if merr != nil {
				msg := err.Error()
				var le *licensing.Error
				if errors.As(err, &le) && le.Message != "" {
					msg = le.Message
				}
				return nil, pricesErr("%s: %s", at, msg)
			}
			sku, sp.InTenant = ms, false
		}
		sp.SkuID, sp.SkuPartNumber, sp.ProductName = sku.ID, sku.Label(), sku.ProductName()
		if j, dup := first[sku.ID]; dup {
			return nil, pricesErr("%s: %s is priced twice (first at skus[%d] (%q))", at, sku.Title(), j, doc.Skus[j].Sku)
		}
		first[sku.ID] = i
		p.byID[sku.ID] = sp.Monthly
		p.Skus = append(p.Skus, sp)
	}
	return p, nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func pricesErr(format string, args ...any) error {
	return &licensing.Error{Kind: licensing.InvalidInput, Message: "prices: " + fmt.Sprintf(format, args...)}
}

// formatMoney formats an amount with two decimals.
func formatMoney(x float64) string { return fmt.Sprintf("%.2f", x) }
