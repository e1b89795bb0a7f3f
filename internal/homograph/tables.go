package homograph

import "strings"

// glyphs maps a character to what can be written instead of it and read the same at a glance:
// ASCII lookalikes (rn for m, cl for d, 1 for l, 0 for o) and Latin letters with marks or other
// shapes. Every dnstwist homoglyph is here, so that certhunt's homoglyph output contains dnstwist's.
var glyphs = func() map[rune][]string {
	table := map[rune]string{
		'0': "o", '1': "l i", '2': "ƻ z", '3': "8 e", '4': "a", '5': "ƽ s", '6': "9 b", '7': "t",
		'8': "3 b", '9': "6 g",
		'a': "à á â ã ä å ɑ ạ ǎ ă ȧ ą ə ā ả 4",
		'b': "d lb ʙ ɓ ḃ ḅ ḇ ƅ 6 8",
		'c': "e ƈ ċ ć ç č ĉ ᴄ",
		'd': "b cl dl ɗ đ ď ɖ ḑ ḋ ḍ ḏ ḓ",
		'e': "c é è ê ë ē ĕ ě ė ẹ ę ȩ ɇ ḛ 3",
		'f': "ƒ ḟ",
		'g': "q ɢ ɡ ġ ğ ǵ ģ ĝ ǧ ǥ 9",
		'h': "lh ĥ ȟ ħ ɦ ḧ ḩ ⱨ ḣ ḥ ḫ ẖ",
		'i': "1 l í ì ï ı ɩ ǐ ĭ ỉ ị ɨ ȋ ī ɪ î",
		'j': "ʝ ǰ ɉ ĵ i",
		'k': "lk ik lc ḳ ḵ ⱪ ķ ᴋ",
		'l': "1 i ɫ ł ĺ ļ ľ ŀ",
		'm': "n nn rn rr ṁ ṃ ᴍ ɱ ḿ",
		'n': "m r ń ṅ ṇ ṉ ñ ņ ǹ ň ꞑ",
		'o': "0 ȯ ọ ỏ ơ ó ö ᴏ ò ô õ ō ő ø",
		'p': "ƿ ƥ ṕ ṗ",
		'q': "g ʠ",
		'r': "ʀ ɼ ɽ ŕ ŗ ř ɍ ɾ ȓ ȑ ṙ ṛ ṟ",
		's': "ʂ ś ṣ ṡ ș ŝ š ꜱ 5",
		't': "ţ ŧ ṫ ṭ ț ƫ 7",
		'u': "ᴜ ǔ ŭ ü ʉ ù ú û ũ ū ų ư ů ű ȕ ȗ ụ v",
		'v': "ṿ ⱱ ᶌ ṽ ⱴ ᴠ u",
		'w': "vv ŵ ẁ ẃ ẅ ⱳ ẇ ẉ ẘ ᴡ",
		'x': "ẋ ẍ",
		'y': "ʏ ý ÿ ŷ ƴ ȳ ɏ ỿ ẏ ỵ",
		'z': "ʐ ż ź ᴢ ƶ ẓ ẕ ⱬ 2",
	}
	out := make(map[rune][]string, len(table))
	for r, s := range table {
		out[r] = strings.Fields(s)
	}
	return out
}()

// glyphPairs are the ASCII lookalikes that span two characters, read as one: "rn" passes for "m".
var glyphPairs = [][2]string{{"rn", "m"}, {"nn", "m"}, {"rr", "m"}, {"cl", "d"}, {"vv", "w"}}

// latinToCyrillic maps Latin letters to the Cyrillic letter drawn the same way, for whole-script
// lookalikes such as "аррӏе" for "apple".
var latinToCyrillic = map[rune]rune{
	'a': 'а', 'b': 'ь', 'c': 'с', 'd': 'ԁ', 'e': 'е', 'g': 'ԍ', 'h': 'һ', 'i': 'і', 'j': 'ј',
	'k': 'к', 'l': 'ӏ', 'm': 'м', 'o': 'о', 'p': 'р', 'q': 'ԛ', 's': 'ѕ', 't': 'т', 'v': 'ѵ',
	'w': 'ԝ', 'x': 'х', 'y': 'у',
}

// numerals pairs digits with the letters they pass for, and number words with their digits, for
// the numeral-swap fuzzer.
var (
	digitLetters = map[rune]string{'0': "o", '1': "li", '2': "z", '3': "e", '4': "a", '5': "s",
		'6': "gb", '7': "t", '8': "b", '9': "g"}
	numberWords = [][2]string{{"zero", "0"}, {"one", "1"}, {"two", "2"}, {"to", "2"}, {"too", "2"},
		{"three", "3"}, {"four", "4"}, {"for", "4"}, {"five", "5"}, {"six", "6"}, {"seven", "7"},
		{"eight", "8"}, {"ate", "8"}, {"nine", "9"}, {"ten", "10"}}
	letterDigits = func() map[rune][]rune {
		m := map[rune][]rune{}
		for _, d := range "0123456789" {
			for _, l := range digitLetters[d] {
				m[l] = append(m[l], d)
			}
		}
		return m
	}()
)

// phishingWords are words phishing domains add to a brand, the built-in dictionary.
var phishingWords = strings.Fields(`
	access account accounts activate activation admin alert app apps auth authenticate billing
	business cdn center check claim client cloud confirm connect contact customer dashboard delivery
	desk docs download drive email enroll files form group help helpdesk home http https id info
	invoice live login logon mail manage member mobile my net official online order pay payment
	payments portal recover recovery refund register renew reset safe secure security server service
	services session shop signin signon sso staff start store support sync team ticket unlock update
	user verify verification wallet web webmail www`)

// comboKeywords are the few words attackers pair with a brand most often; combosquat builds
// two-word and TLD-embedding combinations from them.
var comboKeywords = strings.Fields(`account auth help id login pay secure security signin support update verify`)

// abusedTLDs are the TLDs that carry the most phishing and malware domains in public abuse
// statistics, plus the generic ones every brand should watch.
var abusedTLDs = strings.Fields(`
	app autos bar beauty biz bond boats buzz cam cc cf cfd click cloud club cn co com cyou date
	digital eu fit ga gq help icu in info io lat link live lol me ml mobi mom monster mov net
	online ooo org page pics pro pw quest rest ru sbs shop site space store su support tech
	tk today top uno vip wang website work ws xin xyz zip`)

// secondLevelForms are the second-level labels under which country registries sell commercial
// names (co.uk, com.au, ...): swapping them is a cheap lookalike.
var secondLevelForms = []string{"co", "com", "net", "org"}

// secondLevelSuffixes are the commercial two-label suffixes tried for a domain under a generic TLD.
var secondLevelSuffixes = strings.Fields(`co.uk com.au co.nz co.za com.br co.in co.jp com.mx com.cn
	com.tr co.kr com.sg com.ar co.id com.hk com.my com.ph co.il`)

// tldScripts lists, for the TLDs where it is known, the scripts their registry accepts in a label
// (beside ASCII letters, digits and hyphen). A label mixes no scripts whatever the TLD. TLDs that
// register no IDNs at all map to an empty list; a TLD not listed gets defaultScripts.
var tldScripts = map[string][]string{
	"com": {"Latin", "Cyrillic", "Greek", "Armenian"}, "net": {"Latin", "Cyrillic", "Greek", "Armenian"},
	"org": {"Latin", "Cyrillic"}, "info": {"Latin", "Cyrillic"}, "biz": {"Latin"},
	"eu": {"Latin", "Cyrillic", "Greek"}, "de": {"Latin"}, "fr": {"Latin"}, "it": {"Latin"},
	"es": {"Latin"}, "nl": {}, "be": {"Latin"}, "at": {"Latin"}, "ch": {"Latin"}, "pl": {"Latin", "Cyrillic", "Greek"},
	"se": {"Latin"}, "dk": {"Latin"}, "no": {"Latin"}, "fi": {"Latin"}, "pt": {"Latin"}, "br": {"Latin"},
	"uk": {}, "ru": {}, "au": {}, "gov": {}, "edu": {}, "mil": {}, "int": {}, "us": {},
	"gr": {"Greek"}, "ελ": {"Greek"}, "рф": {"Cyrillic"}, "бг": {"Cyrillic"}, "укр": {"Cyrillic"},
	"am": {"Latin", "Armenian"}, "հայ": {"Armenian"},
}

var defaultScripts = []string{"Latin", "Cyrillic", "Greek"}
