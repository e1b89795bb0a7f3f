package incident

import "time"

// ScreenshotEvidence is the screenshot of the suspect site and of the protected domain's own
// site (SPEC.md "Enrichment"), taken when enrich.screenshot.enabled. The PNGs are kept in the
// data directory and served by the API at URL and ProtectedURL.
type ScreenshotEvidence struct {
	// URL is the API path of the suspect site's PNG; empty when none was taken.
	URL string `json:"url,omitempty"`
	// Page is the address shot (https://name/, or http://name/ when https failed).
	Page string `json:"page,omitempty"`
	// ProtectedURL is the API path of the protected site's PNG, as compared.
	ProtectedURL string `json:"protected_url,omitempty"`
	// VisualSimilarity is 1 for pictures that look alike, 0 for unrelated ones (a perceptual
	// hash comparison); nil when either picture is missing.
	VisualSimilarity *float64  `json:"visual_similarity,omitempty"`
	TakenAt          time.Time `json:"taken_at"`
	// Error says why a picture is missing (the browser, the page or the guard refusing a
	// private address).
	Error string `json:"error,omitempty"`
}
