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
