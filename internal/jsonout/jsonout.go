// Package jsonout writes the layout the tenant/v1 and plan/v1 files share: one JSON object,
// two-space indented, whose lists are written one element per line as they are produced, so
// that a million-user document is never held in memory twice.
package jsonout

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Writer writes one object. Fields are written in the order of the calls; Close ends it and
// returns the first error (after which the other calls write nothing).
type Writer struct {
	bw      *bufio.Writer
	newItem func() Encoder
	item    Encoder // the calling goroutine's
	workers int
	fields  int
	err     error
}

// Encoder appends the encoding of one list element to dst and returns the extended slice (as
// append does).
type Encoder func(dst []byte, v any) ([]byte, error)

// Concurrent makes List encode long lists on workers goroutines, each with its own Encoder;
// the elements are still written in order, and the bytes are the same. List's at must then be
// safe to call from several goroutines at once (List returns only once no worker calls it). It
// returns w.
func (w *Writer) Concurrent(workers int) *Writer {
	w.workers = workers
	return w
}

// chunk is how many elements a worker encodes at a time; lists shorter than two chunks are
// encoded on the calling goroutine.
const chunk = 256

// New starts an object on w. newItem makes the Encoder of list elements, one per goroutine
// that encodes them (nil: json.Marshal).
func New(w io.Writer, newItem func() Encoder) *Writer {
	if newItem == nil {
		newItem = func() Encoder { return marshalTo }
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("{\n")
	return &Writer{bw: bw, newItem: newItem, item: newItem()}
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
	if w.workers > 1 && n >= 2*chunk {
		w.concurrentList(n, at)
		if w.err != nil {
			return
		}
	} else {
		var buf []byte
		for i := 0; i < n; i++ {
			if buf, w.err = appendElement(buf[:0], w.item, i, at); w.err != nil {
				return
			}
			w.bw.Write(buf)
		}
	}
	if n > 0 {
		w.bw.WriteString("\n  ")
	}
	w.bw.WriteString("]")
}

// marshalTo is the default Encoder: json.Marshal's encoding, appended.
func marshalTo(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

// appendElement appends element i of a list, with the separator and indentation before it.
func appendElement(buf []byte, item Encoder, i int, at func(int) any) ([]byte, error) {
	if i > 0 {
		buf = append(buf, ',')
	}
	buf = append(buf, "\n    "...)
	return item(buf, at(i))
}

// concurrentList writes the n elements of a list, encoded chunk by chunk on w.workers
// goroutines and written in order; at most 2×workers chunks are encoded ahead of the writer.
// It returns once every worker has stopped, also after an error.
func (w *Writer) concurrentList(n int, at func(int) any) {
	type done struct {
		buf []byte
		err error
	}
	chunks := (n + chunk - 1) / chunk
	results := make([]chan done, chunks)
	for c := range results {
		results[c] = make(chan done, 1) // a worker never waits for the writer
	}
	jobs, ahead, stop := make(chan int), make(chan struct{}, 2*w.workers), make(chan struct{})
	free := make(chan []byte, 3*w.workers) // written chunks' buffers, for the next ones
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop) // on an error, no more chunks are handed out
	for range w.workers {
		item := w.newItem()
		wg.Go(func() {
			for c := range jobs {
				var d done
				select {
				case d.buf = <-free:
				default:
				}
				for i := c * chunk; i < min(n, (c+1)*chunk) && d.err == nil; i++ {
					d.buf, d.err = appendElement(d.buf, item, i, at)
				}
				results[c] <- d
			}
		})
	}
	wg.Go(func() {
		defer close(jobs)
		for c := range chunks {
			select {
			case ahead <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case jobs <- c:
			case <-stop:
				return
			}
		}
	})
	for c := range chunks {
		d := <-results[c]
		<-ahead
		if d.err != nil {
			w.err = d.err
			return
		}
		w.bw.Write(d.buf)
		select {
		case free <- d.buf[:0]:
		default:
		}
	}
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
