package detect

import "testing"

// TestASCIILevenshtein checks the byte fast path against the rune one (a common non-ASCII
// suffix forces the rune path without changing the distance).
func TestASCIILevenshtein(t *testing.T) {
	ws := []string{"", "a", "ab", "ba", "abc", "acb", "paypal", "paypa1", "pyapal", "paypall", "apypal",
		"xpaypal", "paypalx", "pay-pal", "kitten", "sitting", "abcdef", "azcdeq", "abxdef", "abdef"}
	for _, a := range ws {
		for _, b := range ws {
			for limit := range 4 {
				if got, want := asciiLevenshtein(a, b, limit), editDistance(a+"é", b+"é", limit, false); got != want {
					t.Errorf("asciiLevenshtein(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
				}
			}
		}
	}
}
