package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
)

// pagePNG draws a page-like picture: a header bar of colour c and a box.
func pagePNG(t *testing.T, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 400))
	for y := range 400 {
		for x := range 640 {
			switch {
			case y < 60:
				img.Set(x, y, c)
			case x > 220 && x < 420 && y > 120 && y < 320:
				img.Set(x, y, color.Gray{200})
			default:
				img.Set(x, y, color.White)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserEvidenceScreenshots: the Evidence card shows the suspect's and the protected
// site's screenshots side by side from the API paths, with the similarity, and the evidence's
// text (the page address, the error) stays text.
func TestBrowserEvidenceScreenshots(t *testing.T) {
	u := newUITest(t)
	inc := u.api.clone("inc-paypal")
	inc.ID = "inc-shots"
	sim := 0.94
	inc.Enrichment = &incident.Enrichment{CheckedAt: time.Now().UTC(), Checks: 1,
		DNS: &incident.DNSEvidence{Status: incident.DNSResolves, A: []string{"192.0.2.1"}},
		Screenshot: &incident.ScreenshotEvidence{URL: "/api/v1/incidents/inc-shots/screenshot.png", ProtectedURL: "/api/v1/incidents/inc-shots/screenshot-protected.png",
			Page: "https://" + inc.Domain + "/" + evilSubject, VisualSimilarity: &sim, TakenAt: time.Now().UTC(), Error: evilSubject}}
	u.api.add(&inc)
	u.api.mu.Lock()
	u.api.screenshots = map[string][]byte{
		"/api/v1/incidents/inc-shots/screenshot.png":           pagePNG(t, color.RGBA{0, 48, 135, 255}),
		"/api/v1/incidents/inc-shots/screenshot-protected.png": pagePNG(t, color.RGBA{0, 58, 145, 255}),
	}
	u.api.mu.Unlock()
	u.Open("#/incidents/inc-shots", "#evidence-screenshots")
	u.WaitFor(`['#evidence-shot', '#evidence-shot-protected'].every((s) => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth === 640; })`)
	if got := u.Text("#evidence-similarity"); got != "94%" {
		t.Errorf("similarity %q", got)
	}
	card := u.Text("#evidence-screenshots")
	for _, want := range []string{"looks like the brand's site", "(protected)", evilSubject} {
		if !strings.Contains(card, want) {
			t.Errorf("screenshots lack %q: %q", want, card)
		}
	}
	if got := u.Eval(`document.querySelector('#evidence-shot').getAttribute('src') + ' ' + document.querySelector('#evidence-shot').alt`); got != "/api/v1/incidents/inc-shots/screenshot.png screenshot of the suspect site "+inc.Domain {
		t.Errorf("img: %q", got)
	}
	side := u.Eval(`(() => { const a = document.querySelector('#evidence-shot').getBoundingClientRect(), b = document.querySelector('#evidence-shot-protected').getBoundingClientRect(); return String(Math.abs(a.top - b.top) < 2 && b.left > a.right); })()`)
	if side != "true" {
		t.Errorf("the screenshots are not side by side")
	}
	if got := u.Eval(`typeof window.__pwned`); got != "undefined" {
		t.Fatalf("injected markup ran: window.__pwned is %s", u.Eval(`String(window.__pwned)`))
	}
	u.Screenshot("ui-evidence-screenshots.png")
}
