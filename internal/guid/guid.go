// Package guid reads the canonical text form of a GUID, 8-4-4-4-12 hex digits in any case, as
// both licensing (ParseGUID, and so encoding/json through UnmarshalText) and internal/tenantload's
// parser read it: one function, so that the two accept exactly the same strings.
package guid

// Decode parses the canonical form from a string or bytes. bad is 0 when it parses, −1 when the
// length or a dash is wrong, else 1 + the index of the first byte that is not a hex digit.
func Decode[T string | []byte](s T) (g [16]byte, bad int) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, -1
	}
	// The value of each pair of hex digits; a byte that is not a digit has the high bit
	// (hexValue), so one test of the OR of all the pairs finds it.
	var acc byte
	for j, i := range pairs {
		hi, lo := hexValue[s[i]], hexValue[s[i+1]]
		acc |= hi | lo
		g[j] = hi<<4 | lo&0x0f
	}
	if acc&0x80 == 0 {
		return g, 0
	}
	for _, i := range pairs {
		if hexValue[s[i]]&0x80 != 0 {
			return [16]byte{}, i + 1
		}
		if hexValue[s[i+1]]&0x80 != 0 {
			return [16]byte{}, i + 2
		}
	}
	panic("unreachable")
}

// pairs are the offsets of the 16 pairs of hex digits in the canonical form.
var pairs = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// hexValue is each byte's value as a hex digit, 0x80 for a byte that is not one.
var hexValue = func() (t [256]byte) {
	for c := range t {
		v, ok := fromHex(byte(c))
		if !ok {
			v = 0x80
		}
		t[c] = v
	}
	return t
}()

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
