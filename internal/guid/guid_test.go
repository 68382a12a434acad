package guid

import "testing"

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		s   string
		bad int
	}{
		{"6fd2c87f-b296-42f0-b197-1e91e994b900", 0},
		{"6FD2C87F-B296-42F0-B197-1E91E994B900", 0},
		{"{6fd2c87f-b296-42f0-b197-1e91e994b900}", -1},
		{"6fd2c87fb29642f0b1971e91e994b900", -1},
		{"6fd2c87f-b296-42f0-b197-1e91e994b90g", 36},
		{"x6d2c87f-b296-42f0-b197-1e91e994b900", 1},
	} {
		g, bad := Decode(tc.s)
		gb, badb := Decode([]byte(tc.s))
		if bad != tc.bad || badb != bad || gb != g {
			t.Errorf("%s: %d (bytes %d), want %d", tc.s, bad, badb, tc.bad)
		}
	}
	if g, _ := Decode("6fd2c87f-b296-42f0-b197-1e91e994b900"); g[0] != 0x6f || g[15] != 0x00 || g[4] != 0xb2 {
		t.Errorf("%x", g)
	}
}

// decodeRef is Decode as first written: a digit at a time.
func decodeRef(s string) (g [16]byte, bad int) {
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

func TestDecodeAsReference(t *testing.T) {
	const valid = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	chars := []byte("0123456789abcdefABCDEF-gG/:@`{ \x00\x80\xff")
	seed := uint64(1)
	rnd := func(n int) int { // xorshift: the same cases on every run
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	for range 200_000 {
		b := []byte(valid)
		for range 1 + rnd(3) {
			b[rnd(len(b))] = chars[rnd(len(chars))]
		}
		s := string(b)
		wg, wbad := decodeRef(s)
		g, bad := Decode(s)
		gb, badb := Decode(b)
		if g != wg || bad != wbad || gb != wg || badb != wbad {
			t.Fatalf("%q: %x %d (bytes %x %d), want %x %d", s, g, bad, gb, badb, wg, wbad)
		}
	}
	for c := range 256 {
		s := valid[:35] + string(rune(c))
		if c >= 0x80 {
			s = valid[:35] + string([]byte{byte(c)})
		}
		wg, wbad := decodeRef(s)
		if g, bad := Decode(s); g != wg || bad != wbad {
			t.Fatalf("%q: %x %d, want %x %d", s, g, bad, wg, wbad)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	s := []byte("6fd2c87f-b296-42f0-b197-1e91e994b900")
	for b.Loop() {
		Decode(s)
	}
}
