package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/licenseplan/licenseplan/licensing"
)

// Options choose how the reports name things for people. The zero Options is the default, the
// one the package's functions (Write, WritePaths, …, Errors, Explain) use; its methods of the
// same names take the options:
//
//	report.Options{Names: licensing.NamesPart}.Write(os.Stdout, st, report.ReportPaths, report.Text)
//	ex, err := report.Options{Names: licensing.NamesProduct}.Explain(st, "carol@contoso.com")
type Options struct {
	// Names is how SKUs and service plans are named in text and in the sentences of every
	// format (an error cause's summary, an entry's detail and fix, conflicts):
	// licensing.NamesBoth, the default: "Office 365 E3 (ENTERPRISEPACK)", "Microsoft Teams
	// (TEAMS1)"; NamesPart: "ENTERPRISEPACK", "TEAMS1"; NamesProduct: "Office 365 E3",
	// "Microsoft Teams". Names come from the state's catalog: Microsoft's, embedded in package
	// licensing, and a newer CSV given with licensing.WithCatalog; a SKU or plan it does not
	// know is named by its part number or plan name in every style. Text lists plans sorted by
	// the names shown.
	//
	// JSON fields and CSV columns are the same whatever the style: ids, part numbers and plan
	// names, with the product names (productName, productNames) and plan friendly names
	// (friendlyName, disabledPlanFriendlyNames, …) beside them.
	Names licensing.NameStyle
}

// Write writes the named report (see Names) of the state in the format.
func Write(w io.Writer, st *licensing.State, name string, f Format) error {
	return Options{}.Write(w, st, name, f)
}

// Write is Write naming SKUs and plans in o.Names.
func (o Options) Write(w io.Writer, st *licensing.State, name string, f Format) error {
	switch name {
	case ReportPaths:
		return o.WritePaths(w, st, f)
	case ReportErrors:
		return o.Errors(st).Write(w, f)
	case ReportSeats:
		return o.WriteSeats(w, st, f)
	case ReportConsumers:
		return o.WriteConsumers(w, st, f)
	case ReportRedundant:
		return o.WriteRedundant(w, st, f)
	case ReportDirectOnly:
		return o.WriteDirectOnly(w, st, f)
	}
	return &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("unknown report %q: use one of %s", name, strings.Join(Names(), ", "))}
}

// WritePaths writes the Paths report: text (USER, LOCATION, SKU, PATH, STATE, ERROR,
// DISABLED PLANS; PATH names a group's kind when it is not a plain security group, e.g.
// "group Sales (dynamic security)"), CSV with the JSON field names as header, or a report/v1
// JSON document with the rows under "paths". CSV and JSON are streamed.
func WritePaths(w io.Writer, st *licensing.State, f Format) error {
	return Options{}.WritePaths(w, st, f)
}

// WriteSeats writes the Seats report (text table, CSV with the JSON field names as header,
// or a report/v1 JSON document with the rows under "seats"). SKUs living on grace-period seats
// are flagged: gracePeriod in CSV and JSON, a note under the text table.
func WriteSeats(w io.Writer, st *licensing.State, f Format) error {
	return Options{}.WriteSeats(w, st, f)
}

// WriteConsumers writes the Consumers report (text table, CSV with the JSON field names as
// header, or a report/v1 JSON document with the rows under "consumers"). CSV and JSON are streamed.
func WriteConsumers(w io.Writer, st *licensing.State, f Format) error {
	return Options{}.WriteConsumers(w, st, f)
}

// WriteRedundant writes the Redundant report (text table, CSV with the JSON field names as
// header, or a report/v1 JSON document with the rows under "redundant").
func WriteRedundant(w io.Writer, st *licensing.State, f Format) error {
	return Options{}.WriteRedundant(w, st, f)
}

// WriteDirectOnly writes the DirectOnly report (text table, CSV with the JSON field names as
// header, or a report/v1 JSON document with the rows under "directOnly").
func WriteDirectOnly(w io.Writer, st *licensing.State, f Format) error {
	return Options{}.WriteDirectOnly(w, st, f)
}
