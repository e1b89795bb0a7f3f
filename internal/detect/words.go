package detect

import (
	"strings"

	"github.com/certhunt/certhunt/internal/names"
)

// affixWords is general phishing and web-service vocabulary that attackers glue to a brand
// ("paypal-login", "securepaypal", "paypal-help-center"). A brand next to these words is evidence
// of a combosquat; a brand next to any other letters ("pineapple", "groups") is not. The list is
// generic on purpose: it names no brand and follows no particular data set.
var affixWords = strings.Fields(`
account accounts access activate activation admin alert alerts app apps appeal approve auth
authenticate authentication authorize auto bank banking billing bonus book booking business buy
care card cards case cash center centre change chat check checkout claim client clients cloud
code com confirm confirmation connect contact corp credit crypto customer customers dashboard
data deal deals delivery desk dev device digital direct dispute doc docs document documents
download drive due email en enroll eu event events express file files form fraud free gift
gifts global go gov group guard help helpdesk hr hub id identity inbox info invoice invoices
job jobs kyc limit limited line link live loan log login logon mail manage market member
members message messages mobile money my net network new news notice notification notify now
offer offers office official online order orders org page panel parcel pass password payment
payments pay pin plus portal premium prize pro profile promo protect protection
recover recovery refund register registration reset restore review reward rewards safe safety
sale secure security server service services session setup share shipping shop sign signin
signon signup site sms sso start status store suite support sync tax team ticket token track
tracking transfer trust uk unlock update updates us usa user users validate validation vault
verification verified verify vip wallet web webmail win www
`)

// affixIndex holds the skeletons of affixWords for segmenting label remainders, which are in
// skeleton form too.
type affixIndex struct {
	words  map[string]bool
	maxLen int
}

func newAffixIndex(extra ...string) affixIndex {
	return newAffixIndexOf(append(append([]string(nil), affixWords...), extra...))
}

// newStrongAffixIndex holds the affix words that suggest phishing on their own, without the
// generic web words (line, book, go) that also end honest words glued to a short brand.
func newStrongAffixIndex() affixIndex {
	var ws []string
	for _, w := range affixWords {
		if phishingKeywords[w] {
			ws = append(ws, w)
		}
	}
	return newAffixIndexOf(ws)
}

func newAffixIndexOf(list []string) affixIndex {
	ai := affixIndex{words: map[string]bool{}}
	for _, w := range list {
		s := names.Skeleton(w)
		if s == "" || strings.Contains(s, "-") {
			continue
		}
		ai.words[s] = true
		ai.maxLen = max(ai.maxLen, len(s))
	}
	return ai
}

// segments reports whether s splits entirely into affix words, digits and hyphens, and how many
// words it took (0 when s holds only digits and hyphens).
func (ai *affixIndex) segments(s string, extra map[string]bool) (ok bool, words int) {
	if s == "" {
		return true, 0
	}
	// best[i]: fewest words to segment s[:i]; -1 when impossible.
	var buf [64]int
	best := buf[:0]
	if len(s)+1 > len(buf) {
		best = make([]int, 0, len(s)+1)
	}
	best = append(best, 0)
	for i := 1; i <= len(s); i++ {
		v := -1
		c := s[i-1]
		if (c == '-' || c >= '0' && c <= '9') && best[i-1] >= 0 {
			v = best[i-1]
		}
		for j := max(0, i-ai.maxLen); j < i; j++ {
			if best[j] < 0 || v >= 0 && best[j]+1 >= v {
				continue
			}
			if w := s[j:i]; ai.words[w] || extra[w] {
				v = best[j] + 1
			}
		}
		best = append(best, v)
	}
	return best[len(s)] >= 0, max(best[len(s)], 0)
}

// abusedTLDs are public suffixes that carry a large share of phishing registrations in public
// abuse reports (cheap or free new gTLDs). Only a context hint: a small weight.
var abusedTLDs = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`xyz top club online site live shop store icu cyou cfd sbs
		click link help support info biz pro me tk ml ga cf gq buzz rest monster work fit bond
		lol mom quest beauty hair skin makeup boats autos homes motorcycles yachts cam ws cc su
		vip win bid loan men date review stream download racing accountant science party trade`) {
		abusedTLDs[t] = true
	}
}

// commonHostLabels are the labels certificates carry most (service and environment names). At
// Build those that cannot lead to any finding for the watchlist are marked quiet, and Check
// skips them: a large share of the work on real traffic, answered once per index.
var commonHostLabels = strings.Fields(`
www ww www1 www2 wwwwww mail webmail smtp imap pop pop3 mx ftp sftp ns ns1 ns2 api app apps cdn
static assets img images media dev test staging stage prod qa uat demo beta portal admin m
mobile autodiscover autoconfig cpanel webdisk cpcalendars cpcontacts whm git blog shop store
auth login sso secure support help docs status vpn remote cloud web server host gateway proxy
internal intranet office owa exchange lyncdiscover sip calendar drive files backup monitor
grafana jenkins gitlab db mysql origin edge lb node k8s eu us de uk fr asia
`)
