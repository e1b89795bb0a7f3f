package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/export"
	"github.com/certhunt/certhunt/internal/incident"
)

func exportIncidents(w io.Writer, format string, incs []incident.Incident) (string, error) {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8", export.CSV(w, incs)
	case "stix":
		return "application/stix+json;version=2.1", export.STIX(w, incs, time.Now())
	}
	return "", fmt.Errorf("format %q is not csv or stix", format)
}

// newAuth builds the API's guard: token checks when auth.tokens is set, else the no-token
// checks, which accept the listen host and public_url's host as Host names.
func newAuth(cfg *config.Config, log *slog.Logger) (*auth.Auth, error) {
	var hosts []string
	if h, _, err := net.SplitHostPort(cfg.Listen); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	return auth.New(cfg.Auth.Tokens, auth.Options{Logger: log.With("part", "auth"), PublicPrefixes: []string{"/assets/"},
		SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://"), AdminPrefixes: []string{"/api/v1/watchlist"},
		AllowedHosts: hosts})
}

// privateDir creates the data directory for its owner only, and tightens an existing one: it
// holds the database, cursors and feed copies.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// newHTTPServer bounds how long a client may take to send a request and how long an idle
// keep-alive connection stays open (1,000 idle connections used to stay forever). Websocket
// connections are hijacked, which clears these deadlines.
func newHTTPServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      10 * time.Minute, // exports and homograph lists take a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}
