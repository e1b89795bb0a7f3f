package app

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/export"
	"github.com/certhunt/certhunt/internal/incident"
)

// decodeKey reads a base64 DER public key from the config; an empty or unreadable key yields
// nil (NewLogInfo then reports a bad key, or follows without verification when none is given).
func decodeKey(b64 string) []byte {
	if b64 == "" {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return []byte(b64) // let NewLogInfo name the bad key
	}
	return der
}

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
