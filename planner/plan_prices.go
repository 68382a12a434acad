package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// Prices give a SKU's monthly price per seat (report.Prices, read from prices/v1, is one).
type Prices interface {
	Monthly(licensing.SkuID) (float64, bool)
}

// WithPrices returns the plan with monthly prices in currency (an ISO 4217 code): its text and
// Markdown seat tables then show each SKU's monthly cost before and after the plan, and the
// plan's monthly saving. SKUs the prices do not price show no cost and are named as not priced,
// never counted as free. plan/v1 is unchanged: prices are the user's, not the plan's.
func (p *Plan) WithPrices(currency string, prices Prices) *Plan {
	q := *p
	q.prices, q.currency = prices, currency
	return &q
}

// seatCost is a seat row's monthly cost before and after, when priced.
func (p *Plan) seatCost(s SeatChange) (before, after float64, ok bool) {
	if p.prices == nil {
		return 0, 0, false
	}
	m, ok := p.prices.Monthly(s.SkuID)
	if !ok {
		return 0, 0, false
	}
	return m * float64(s.ConsumedBefore), m * float64(s.ConsumedAfter), true
}

// costSummary is the line under a priced seat table: the monthly cost before and after, the
// saving (or the added cost), and the SKUs without a price.
func (p *Plan) costSummary(n namer) string {
	var before, after float64
	var unpriced []string
	for _, s := range p.Seats {
		b, a, ok := p.seatCost(s)
		if !ok {
			if s.ConsumedBefore > 0 || s.ConsumedAfter > 0 {
				unpriced = append(unpriced, n.sku(s.SkuID))
			}
			continue
		}
		before += b
		after += a
	}
	line := fmt.Sprintf("Monthly cost of the priced SKUs: %s → %s %s", money(before), money(after), p.currency)
	switch d := before - after; {
	case d > 0.005:
		line += fmt.Sprintf(" (saves %s %s a month)", money(d), p.currency)
	case d < -0.005:
		line += fmt.Sprintf(" (adds %s %s a month)", money(-d), p.currency)
	default:
		line += " (no change)"
	}
	if len(unpriced) > 0 {
		line += fmt.Sprintf("; not priced, not counted: %s", strings.Join(unpriced, ", "))
	}
	return line + "."
}

func money(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
