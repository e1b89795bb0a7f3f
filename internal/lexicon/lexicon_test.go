package lexicon

import "testing"

func TestWords(t *testing.T) {
	for _, w := range []string{"black", "appel", "boxer", "chimes", "slackline", "haus", "maison",
		"casa", "fede", "huis", "dom", "kitap", "rumah", "khleb", "hleb", "privet"} {
		if !IsWord(w) {
			t.Errorf("IsWord(%q) = false, want a word", w)
		}
	}
	for _, w := range []string{"paypa1", "micros0ft", "netfllx", "xqzvtk", "amaz0n", "go", "", "Black", "caf\u00e9"} {
		if IsWord(w) {
			t.Errorf("IsWord(%q) = true, want not a word", w)
		}
	}
	for _, w := range []string{"app1", "api3", "2shop", "shop24"} {
		if !IsWordDigits(w) {
			t.Errorf("IsWordDigits(%q) = false", w)
		}
	}
	if IsWordDigits("123") {
		t.Error("IsWordDigits(123) = true")
	}
	for _, w := range []string{"fox", "boxe", "black", "boxer", "shorts", "candle"} {
		if !IsCommon(w) {
			t.Errorf("IsCommon(%q) = false", w)
		}
	}
	for _, w := range []string{"inf", "fede", "chiome", "paypa1"} { // Italian only, or not a word
		if IsCommon(w) {
			t.Errorf("IsCommon(%q) = true", w)
		}
	}
}
