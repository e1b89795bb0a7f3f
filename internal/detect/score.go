package detect

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/names"
	"github.com/certhunt/certhunt/internal/severity"
)

// score turns the findings into one alert per asset: the strongest rule in full, further rules
// as corroboration, then context (only for alerts with a real signal), capped to 100.
func (ix *Index) score(v *view, found []finding) []Alert {
	if len(found) == 0 {
		return nil
	}
	slices.SortStableFunc(found, func(x, y finding) int {
		return cmp.Or(cmp.Compare(x.asset, y.asset), cmp.Compare(ix.weights[y.rule], ix.weights[x.rule]))
	})
	var alerts []Alert
	for start := 0; start < len(found); {
		end := start + 1
		for end < len(found) && found[end].asset == found[start].asset {
			end++
		}
		alerts = append(alerts, ix.scoreAsset(v, found[start:end]))
		start = end
	}
	slices.SortStableFunc(alerts, func(x, y Alert) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), strings.Compare(x.Asset, y.Asset))
	})
	return alerts
}

func (ix *Index) scoreAsset(v *view, fs []finding) Alert {
	best := fs[0]
	a := &ix.assets[best.asset]
	alert := Alert{Domain: v.n.ASCII, DomainUnicode: v.n.Unicode, RegisteredDomain: v.n.RegisteredDomain,
		Asset: a.domain, Matched: best.matched}
	add := func(rule string, points int, detail string) {
		if points == 0 {
			return
		}
		alert.Reasons = append(alert.Reasons, Reason{Rule: rule, Points: points, Detail: detail})
		alert.Score += points
	}
	add(best.rule, ix.weights[best.rule], best.detail)
	classes := []evidence{classOf(best.rule)}
	for _, f := range fs[1:] {
		if c := classOf(f.rule); !slices.Contains(classes, c) {
			// one piece of evidence counts once: a typo is also "similar" and near a listed
			// typo, but it is still one typo
			classes = append(classes, c)
			add("corroborating", ix.weights["corroborating"], f.rule+": "+f.detail)
		}
	}
	if ix.weights[best.rule] >= 50 {
		ix.addContext(v, a, fs, add)
	}
	alert.Score = min(max(alert.Score, 0), 100)
	alert.Severity = severity.Of(alert.Score)
	alert.Incident = alert.Score >= ix.incidentAt
	return alert
}

// evidence is what kind of fact a rule rests on; corroboration counts each kind once.
type evidence int

const (
	evidenceListed   evidence = iota // a listed homograph
	evidenceEdit                     // edits or lookalike letters
	evidenceContain                  // the brand inside a longer label
	evidencePosition                 // the brand where it does not belong (subdomain, other TLD)
)

func classOf(rule string) evidence {
	switch rule {
	case "homograph":
		return evidenceListed
	case "combosquat", "combosquat-weak":
		return evidenceContain
	case "subdomain", "subdomain-label", "split-brand", "brand-tld":
		return evidencePosition
	}
	return evidenceEdit
}

// addContext adds the small context weights.
func (ix *Index) addContext(v *view, a *asset, fs []finding, add func(string, int, string)) {
	n := &v.n
	for _, f := range fs {
		if f.label >= 0 && followedBySuffix(n.Labels[f.label+1:], a.suffixLabels) && f.label < v.reg {
			add("suffix-follow", ix.weights["suffix-follow"],
				fmt.Sprintf("label %q is followed by %s, the suffix of %s", n.Labels[f.label], a.suffix, a.domain))
			break
		}
	}
	if n.PublicSuffix == a.suffix && fs[0].label == v.reg && classOf(fs[0].rule) == evidenceEdit &&
		fs[0].rule != "homograph-similar" {
		add("same-suffix", ix.weights["same-suffix"], "under the asset's own suffix ."+a.suffix)
	}
	if v.mixed {
		add("mixed-script", ix.weights["mixed-script"], "a label mixes scripts")
	}
	if v.hasPuny {
		add("punycode", ix.weights["punycode"], "internationalised (punycode) label")
	}
	keywords := 0
	for i := 0; i <= v.reg && keywords < 2; i++ {
		for tok := range strings.SplitSeq(n.Labels[i], "-") {
			if keywords < 2 && phishingKeywords[tok] && !a.ownWord(tok) {
				keywords++
				add("keyword", ix.weights["keyword"], fmt.Sprintf("phishing word %q", tok))
			}
		}
	}
	if fs[0].label >= 0 && fs[0].label < v.reg && v.throwaway() {
		add("throwaway-domain", ix.weights["throwaway-domain"],
			fmt.Sprintf("under %s, a machine-made registered domain", n.RegisteredDomain))
	}
	tld := n.Labels[len(n.Labels)-1]
	if abusedTLDs[tld] {
		add("abused-tld", ix.weights["abused-tld"], "TLD ."+tld+" is much used for phishing")
	}
	if strings.Count(n.Unicode, "-") >= 3 {
		add("hyphens", ix.weights["hyphens"], "three or more hyphens")
	}
	if len(n.Labels) >= 6 {
		add("deep", ix.weights["deep"], fmt.Sprintf("%d labels deep", len(n.Labels)))
	}
}

// followedBySuffix reports whether rest starts with the suffix labels, the last one possibly
// glued to more text by a hyphen ("com-secure").
func followedBySuffix(rest, suffix []string) bool {
	if len(rest) < len(suffix) || len(suffix) == 0 {
		return false
	}
	for j, s := range suffix {
		if rest[j] == s || j == len(suffix)-1 && strings.HasPrefix(rest[j], s+"-") {
			continue
		}
		return false
	}
	return true
}

// phishingKeywords are the affix words that on their own suggest a phishing page, for the
// keyword context rule (the generic words like "www" or "com" are left out).
var phishingKeywords = func() map[string]bool {
	generic := map[string]bool{"www": true, "com": true, "net": true, "org": true, "en": true,
		"eu": true, "uk": true, "us": true, "usa": true, "go": true, "my": true, "new": true,
		"now": true, "plus": true, "pro": true, "app": true, "apps": true, "web": true, "site": true,
		"page": true, "info": true, "news": true, "dev": true, "data": true, "line": true, "file": true,
		"files": true, "book": true, "event": true, "events": true, "job": true, "jobs": true}
	m := map[string]bool{}
	for _, w := range affixWords {
		if !generic[w] {
			m[w] = true
		}
	}
	return m
}()

// addIntel adds threat-intel hits: a reason on every asset alert, or an alert of its own.
func (ix *Index) addIntel(n names.Name, alerts []Alert) []Alert {
	if ix.intel == nil {
		return alerts
	}
	hits := ix.intel.Lookup(n.ASCII)
	if len(hits) == 0 {
		return alerts
	}
	points := 0
	for _, h := range hits {
		w := h.Weight
		if w <= 0 {
			w = ix.weights["intel"]
		}
		points = max(points, w)
	}
	detail := fmt.Sprintf("listed by feed %s as %s", hits[0].Feed, hits[0].Indicator)
	if len(hits) > 1 {
		detail += fmt.Sprintf(" (and %d more)", len(hits)-1)
	}
	if len(alerts) == 0 {
		alerts = []Alert{{Domain: n.ASCII, DomainUnicode: n.Unicode, RegisteredDomain: n.RegisteredDomain,
			Matched: Matched{Kind: "intel", Value: hits[0].Indicator, Similarity: 1}}}
	}
	for i := range alerts {
		al := &alerts[i]
		al.IntelHits = hits
		al.Reasons = append(al.Reasons, Reason{Rule: "intel", Points: points, Detail: detail})
		al.Score = min(al.Score+points, 100)
		al.Severity = severity.Of(al.Score)
		al.Incident = al.Score >= ix.incidentAt
	}
	slices.SortStableFunc(alerts, func(x, y Alert) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), strings.Compare(x.Asset, y.Asset))
	})
	return alerts
}
