package jsonstr

import (
	"encoding/binary"
	"testing"
)

func TestPlain8(t *testing.T) {
	for c := range 256 { // each byte value, in each place of a word
		for at := range 8 {
			w := []byte("abcdefgh")
			w[at] = byte(c)
			want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
			if got := Plain8(binary.LittleEndian.Uint64(w)); got != want {
				t.Errorf("Plain8(%q) = %v, want %v", w, got, want)
			}
		}
	}
}
