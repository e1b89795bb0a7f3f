package app

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/enrich"
)

// TestScreenshotWiring: enrich.screenshot's keys, enrich.allow_private and enrich.http.proxy
// reach the screenshotter, and its PNGs live under data_dir/screenshots.
func TestScreenshotWiring(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Enrich.Screenshot = config.EnrichScreenshot{Enabled: true, Chromium: "/opt/chrome", Tabs: 2, Timeout: 5 * time.Second}
	cfg.Enrich.AllowPrivate = true
	cfg.Enrich.HTTP.Proxy = "http://proxy.internal:3128"
	s := newScreenshots(cfg, slog.New(slog.DiscardHandler), &enrich.DNS{}, enrichProxy(cfg))
	if s.Dir != filepath.Join(cfg.DataDir, "screenshots") || s.Chromium != "/opt/chrome" || s.Tabs != 2 || s.Timeout != 5*time.Second ||
		!s.AllowPrivate || s.Proxy == nil || s.Proxy.Host != "proxy.internal:3128" || s.Resolve == nil {
		t.Errorf("screenshots = %+v", s)
	}
}
