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

func TestOf(t *testing.T) {
	for score, want := range map[int]string{0: Low, 39: Low, 40: Medium, 59: Medium, 60: High, 79: High, 80: Critical, 100: Critical} {
		if got := Of(score); got != want {
			t.Errorf("Of(%d) = %s, want %s", score, got, want)
		}
	}
}
