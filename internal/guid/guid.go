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
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 {
			return [16]byte{}, i + 1
		}
		if !ok2 {
			return [16]byte{}, i + 2
		}
		g[j] = hi<<4 | lo
		j++
		i += 2
	}
	return g, 0
}

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
