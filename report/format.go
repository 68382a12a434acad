package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/licenseplan/licenseplan/licensing"
)

// FormatVersion is the formatVersion of every JSON report document.
const FormatVersion = "report/v1"

// Format is an output format of a report.
type Format string

// The output formats.
const (
	// Text is aligned columns (or, for Errors and Explain, sections) for people.
	Text Format = "text"
	// CSV is RFC 4180 with a header row, for spreadsheets and scripts. It is UTF-8 without a
	// byte-order mark. Free-text names (group and user display names, product and friendly
	// names) that begin with = + - @ or a control character are prefixed with ' so that a
	// spreadsheet does not run them as formulas. A cell listing part numbers or plan names
	// joins them with ", "; one listing product or friendly names (which may hold commas, as in
	// "Dynamics 365 for Case Management, Enterprise Edition") joins them with "; ". Columns
	// added to a report/v1 CSV come after the ones it had, so that readers by position keep
	// working.
	CSV Format = "csv"
	// JSON is one indented report/v1 document with stable, Graph-style field names.
	JSON Format = "json"
	// Markdown is for a ticket or a pull request: a tabular report (paths, seats, consumers,
	// redundant, direct-only) is a Markdown table; a report in sections (errors, explain,
	// reclaim, expiring, cost) is a heading and its text in a fenced block, columns aligned.
	Markdown Format = "markdown"
)

// ParseFormat parses "text", "csv", "json" or "markdown" ("md"), in any case.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case Text, CSV, JSON, Markdown:
		return f, nil
	case "md":
		return Markdown, nil
	}
	return "", &licensing.Error{Kind: licensing.InvalidInput, Message: fmt.Sprintf("unknown output format %q: use text, csv, json or markdown", s)}
}

// fencedMarkdown writes a report in sections for Markdown: a heading, then its text rendering
// in a fenced block, so that its aligned columns stay aligned.
func fencedMarkdown(w io.Writer, title string, text func(io.Writer) error) error {
	var b strings.Builder
	if err := text(&b); err != nil {
		return err
	}
	fence := "```"
	for strings.Contains(b.String(), fence) {
		fence += "`"
	}
	_, err := fmt.Fprintf(w, "### %s\n\n%s\n%s%s\n", title, fence, strings.TrimRight(b.String(), "\n")+"\n", fence)
	return err
}

// mdCell escapes a cell of a Markdown table.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// The names of the reports Write knows, as licensectl's report command takes them.
const (
	ReportPaths      = "paths"
	ReportErrors     = "errors"
	ReportSeats      = "seats"
	ReportConsumers  = "consumers"
	ReportRedundant  = "redundant"
	ReportDirectOnly = "direct-only"
)

// Names returns the names of the reports Write knows, in the order a help text lists them.
func Names() []string {
	return []string{ReportPaths, ReportErrors, ReportSeats, ReportConsumers, ReportRedundant, ReportDirectOnly}
}

// table describes a tabular report: its columns (CSV header names, text headings) and how a
// row becomes cells. Rows may be ranged over more than once (text output aligns its columns
// in a first pass).
type table[R any] struct {
	name    string   // report name, for the JSON document
	key     string   // the JSON field holding the rows
	csvHead []string // CSV header: the JSON field names of the columns
	txtHead []string // text headings
	csv     func(r *R, cells []string)
	text    func(r *R, cells []string)
	rows    iter.Seq[R]
}

func (t *table[R]) write(w io.Writer, st *licensing.State, f Format) error {
	switch f {
	case Text:
		return t.writeText(w)
	case CSV:
		return t.writeCSV(w)
	case JSON:
		return t.writeJSON(w, st)
	case Markdown:
		return t.writeMarkdown(w)
	}
	_, err := ParseFormat(string(f))
	return err
}

// writeMarkdown writes the rows as a Markdown table under the report's name.
func (t *table[R]) writeMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "### %s\n\n|", t.name)
	for _, h := range t.txtHead {
		bw.WriteString(" " + mdCell(h) + " |")
	}
	bw.WriteString("\n|")
	for range t.txtHead {
		bw.WriteString("---|")
	}
	bw.WriteString("\n")
	cells := make([]string, len(t.txtHead))
	n := 0
	for r := range t.rows {
		clear(cells)
		t.text(&r, cells)
		bw.WriteString("|")
		for _, c := range cells {
			bw.WriteString(" " + mdCell(c) + " |")
		}
		bw.WriteString("\n")
		n++
	}
	if n == 0 {
		bw.WriteString("\n(none)\n")
	}
	return bw.Flush()
}

func (t *table[R]) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.csvHead); err != nil {
		return err
	}
	cells := make([]string, len(t.csvHead))
	for r := range t.rows {
		clear(cells)
		t.csv(&r, cells)
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (t *table[R]) writeText(w io.Writer) error {
	widths := make([]int, len(t.txtHead))
	for i, h := range t.txtHead {
		widths[i] = utf8.RuneCountInString(h)
	}
	cells := make([]string, len(t.txtHead))
	n := 0
	for r := range t.rows {
		clear(cells)
		t.text(&r, cells)
		for i, c := range cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
		n++
	}
	bw := bufio.NewWriter(w)
	tw := textTable{w: bw, widths: widths}
	tw.row(t.txtHead)
	for r := range t.rows {
		clear(cells)
		t.text(&r, cells)
		tw.row(cells)
	}
	if n == 0 {
		bw.WriteString("(none)\n")
	}
	return bw.Flush()
}

// writeJSON streams {"formatVersion", "report", "tenantId", key: [rows…]} indented by two spaces,
// the same bytes json.MarshalIndent would give for the whole document.
func (t *table[R]) writeJSON(w io.Writer, st *licensing.State) error {
	bw := bufio.NewWriter(w)
	head, err := marshalIndent(struct {
		FormatVersion string `json:"formatVersion"`
		Report        string `json:"report"`
		TenantID      string `json:"tenantId"`
	}{FormatVersion, t.name, st.TenantID()}, "")
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-2]) // without the closing "\n}"
	fmt.Fprintf(bw, ",\n  %q: [", t.key)
	first := true
	for r := range t.rows {
		b, err := marshalIndent(&r, "    ")
		if err != nil {
			return err
		}
		if first {
			bw.WriteString("\n    ")
			first = false
		} else {
			bw.WriteString(",\n    ")
		}
		bw.Write(b)
	}
	if !first {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// marshalIndent encodes v indented by two spaces after prefix, without escaping <, > and &
// (the documents are read by people), and without a trailing newline.
func marshalIndent(v any, prefix string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// writeJSONDocument writes v as an indented JSON document followed by a newline.
func writeJSONDocument(w io.Writer, v any) error {
	b, err := marshalIndent(v, "")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// textTable writes rows of cells padded to fixed widths, two spaces apart, without trailing spaces.
type textTable struct {
	w      *bufio.Writer
	widths []int
	indent string
}

func (t textTable) row(cells []string) {
	var line strings.Builder
	line.WriteString(t.indent)
	for i, c := range cells {
		if i > 0 {
			line.WriteString("  ")
		}
		line.WriteString(c)
		if i < len(cells)-1 {
			line.WriteString(strings.Repeat(" ", max(0, t.widths[i]-utf8.RuneCountInString(c))))
		}
	}
	t.w.WriteString(strings.TrimRight(line.String(), " "))
	t.w.WriteByte('\n')
}

// alignedRows writes a small table held in memory.
func alignedRows(bw *bufio.Writer, indent string, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	tw := textTable{w: bw, widths: widths, indent: indent}
	for _, r := range rows {
		tw.row(r)
	}
}

// safeCell neutralises free text that a spreadsheet would take for a formula.
func safeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	return s
}

// joinList joins names for one CSV or text cell.
func joinList(names []string) string { return strings.Join(names, ", ") }

// joinNames joins product or friendly names for one CSV cell: "; ", since they may hold commas.
func joinNames(names []string) string { return strings.Join(names, "; ") }

// orDash shows an empty text cell as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sectioned writes a report that is not one table (errors, explain, reclaim, expiring, cost)
// in the format asked for: each report gives its renderings, and a format added here reaches
// them all. csv is nil for a report without a CSV form (noCSV says what to use instead).
type sectioned struct {
	title           string // the Markdown heading
	json, csv, text func(io.Writer) error
	noCSV           string
}

func (s sectioned) write(w io.Writer, f Format) error {
	switch f {
	case Text:
		return s.text(w)
	case JSON:
		return s.json(w)
	case CSV:
		if s.csv == nil {
			return &licensing.Error{Kind: licensing.InvalidInput, Message: s.noCSV}
		}
		return s.csv(w)
	case Markdown:
		return fencedMarkdown(w, s.title, s.text)
	}
	_, err := ParseFormat(string(f))
	return err
}
