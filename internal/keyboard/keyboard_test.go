package keyboard

import "testing"

func TestAdjacent(t *testing.T) {
	for _, p := range []string{"as", "sa", "qw", "qa", "aq", "az", "za", "ty", "tz" /* qwertz */, "ml" /* azerty */, "12", "1q"} {
		if !Adjacent(rune(p[0]), rune(p[1])) {
			t.Errorf("Adjacent(%c, %c) = false", p[0], p[1])
		}
	}
	for _, p := range []string{"ap", "qm", "zp", "19", "aa"} {
		if Adjacent(rune(p[0]), rune(p[1])) {
			t.Errorf("Adjacent(%c, %c) = true", p[0], p[1])
		}
	}
}
