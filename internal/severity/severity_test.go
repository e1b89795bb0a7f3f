package severity

import "testing"

func TestRankOrders(t *testing.T) {
	for i, s := range All {
		if Rank(s) != i+1 {
			t.Errorf("Rank(%q) = %d, want %d", s, Rank(s), i+1)
		}
	}
	if Rank("urgent") != 0 || Rank("") != 0 {
		t.Error("unknown severities must rank 0")
	}
}
