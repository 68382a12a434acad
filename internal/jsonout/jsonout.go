// Package jsonout writes the layout the tenant/v1 and plan/v1 files share: one JSON object,
// two-space indented, whose lists are written one element per line as they are produced, so
// that a million-user document is never held in memory twice.
package jsonout

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Writer writes one object. Fields are written in the order of the calls; Close ends it and
// returns the first error (after which the other calls write nothing).
type Writer struct {
	bw     *bufio.Writer
	item   func(v any) ([]byte, error)
	fields int
	err    error
}

// New starts an object on w. item encodes each list element (nil: json.Marshal).
func New(w io.Writer, item func(v any) ([]byte, error)) *Writer {
	if item == nil {
		item = json.Marshal
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("{\n")
	return &Writer{bw: bw, item: item}
}

func (w *Writer) key(k string) {
	if w.fields > 0 {
		w.bw.WriteString(",\n")
	}
	w.fields++
	fmt.Fprintf(w.bw, "  %q: ", k)
}

// Value writes the field k with v encoded by json.Marshal on one line.
func (w *Writer) Value(k string, v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.key(k)
	w.bw.Write(b)
}

// List writes the field k as a list of n elements, element i being at(i), one per line.
func (w *Writer) List(k string, n int, at func(i int) any) {
	if w.err != nil {
		return
	}
	w.key(k)
	w.bw.WriteString("[")
	for i := 0; i < n; i++ {
		b, err := w.item(at(i))
		if err != nil {
			w.err = err
			return
		}
		if i > 0 {
			w.bw.WriteString(",")
		}
		w.bw.WriteString("\n    ")
		w.bw.Write(b)
	}
	if n > 0 {
		w.bw.WriteString("\n  ")
	}
	w.bw.WriteString("]")
}

// Close ends the object and flushes it.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.fields > 0 {
		w.bw.WriteString("\n")
	}
	w.bw.WriteString("}\n")
	return w.bw.Flush()
}
