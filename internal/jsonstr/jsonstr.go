// Package jsonstr has the byte test that JSON's reader (internal/tenantload) and writer
// (internal/jsonout) share to go through a plain string eight bytes at a time.
package jsonstr

// Plain8 reports whether the eight bytes of x (little-endian) are all ASCII that a JSON string
// holds as it is: none below 0x20, none a quote or backslash, none from 0x80 (the start of a
// multi-byte rune). Each test is the exact "some byte is zero" (v-1)&^v of a word of bytes
// below 0x80.
func Plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := x^(ones*'"'), x^(ones*'\\')
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs == 0
}
