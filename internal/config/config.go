// Package config is certhunt's configuration: the Config struct below is the reference for
// every key (its comments are the documentation), read from YAML with unknown keys rejected,
// then overridden by CERTHUNT_* environment variables, then by command-line flags.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/notify"
)

// Config is the whole configuration. Zero values are replaced by Default's.
type Config struct {
	// Listen is the address of the API, the UI, /metrics and /certstream/*.
	Listen string `yaml:"listen"`
	// DataDir holds the SQLite database, per-log cursors and feed copies.
	DataDir string `yaml:"data_dir"`
	// Database is empty for the embedded SQLite database in DataDir, or a postgres:// URL.
	Database string `yaml:"database"`
	// PublicURL is how analysts reach certhunt (https://certhunt.example), for links in
	// notifications and secure cookies; empty means http://<listen>.
	PublicURL string `yaml:"public_url"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`

	Watchlist        Watchlist        `yaml:"watchlist"`
	Sources          Sources          `yaml:"sources"`
	Intel            Intel            `yaml:"intel"`
	Issuance         Issuance         `yaml:"issuance"`
	Scoring          Scoring          `yaml:"scoring"`
	Notify           []Notify         `yaml:"notify"`
	CertstreamServer CertstreamServer `yaml:"certstream_server"`
	Auth             Auth             `yaml:"auth"`
}

// Watchlist says where the homograph list comes from and how names are matched against it.
type Watchlist struct {
	// File is the homograph list (SPEC.md format). With the default value the file is optional:
	// serve runs with an empty list until one is written through the API or the UI.
	File string `yaml:"file"`
	// URL is an http(s) URL to fetch the list from instead of File.
	URL string `yaml:"url"`
	// UpdateInterval re-reads the list this often; a changed file is also re-read at once.
	UpdateInterval time.Duration `yaml:"update_interval"`
	// LevenshteinThreshold: a label matches when 1 - distance/max(len) is greater than this.
	LevenshteinThreshold float64 `yaml:"levenshtein_threshold"`
	// Allow lists domains never to alert on (with their subdomains). The protected domains
	// themselves are always allowed.
	Allow []string `yaml:"allow"`
}

// Sources are where certificates come from.
type Sources struct {
	CT         CT                 `yaml:"ct"`
	Certstream []CertstreamSource `yaml:"certstream"`
}

// CT configures the Certificate Transparency followers.
type CT struct {
	Enabled bool `yaml:"enabled"`
	// LogList is "embedded", a file path, or an http(s) URL of a v3 log_list.json.
	LogList string `yaml:"log_list"`
	// Logs are followed in addition to the log list's.
	Logs []Log `yaml:"logs"`
	// Start is where a log without a saved cursor is read from: end or beginning.
	Start string `yaml:"start"`
	// Parallel is the number of get-entries requests in flight per RFC 6962 log.
	Parallel int `yaml:"parallel"`
	// BatchSize is the number of entries asked for per get-entries request.
	BatchSize int `yaml:"batch_size"`
	// PollInterval is how often a caught-up follower asks for a new tree head.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MinBackoff is the first retry delay after a failed request; it doubles (with jitter) up
	// to 5m while the log keeps failing. A log's Retry-After is honoured.
	MinBackoff time.Duration `yaml:"min_backoff"`
	// PartialTileAge is how long a static-ct-api log must stay at one tree size before its
	// last, partial data tile is read (the spec advises waiting for full tiles).
	PartialTileAge time.Duration `yaml:"partial_tile_age"`
}

// Log is one extra CT log.
type Log struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Type is rfc6962 or static.
	Type string `yaml:"type"`
	// Key is the log's public key, base64 DER (SubjectPublicKeyInfo); without it tree heads are
	// not verified.
	Key string `yaml:"key"`
}

// CertstreamSource is one certstream server to read.
type CertstreamSource struct {
	URL  string `yaml:"url"`
	Name string `yaml:"name"`
}

// Intel lists the threat-intel feeds.
type Intel struct {
	Feeds []Feed `yaml:"feeds"`
}

// Feed is one threat-intel feed.
type Feed struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	File string `yaml:"file"`
	// Format is domains, urls, phishtank, urlhaus, threatfox, misp, stix or taxii.
	Format  string        `yaml:"format"`
	Refresh time.Duration `yaml:"refresh"`
	// Weight is the points a hit on this feed adds to a score (default 80).
	Weight   int    `yaml:"weight"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	Token    string `yaml:"token"`
}

// Scoring turns alerts into incidents.
type Scoring struct {
	// IncidentThreshold is the score (0..100) at or above which an incident is opened.
	IncidentThreshold int `yaml:"incident_threshold"`
	// Weights overrides the points of detection rules by rule name (see certhunt check -json).
	Weights map[string]int `yaml:"weights"`
}

// Notify is one outbound notification target; internal/notify documents its keys.
type Notify = notify.Config

// CertstreamServer re-serves what certhunt ingests as a certstream-compatible feed.
type CertstreamServer struct {
	Enabled bool `yaml:"enabled"`
	// PathPrefix is where the endpoints live (default /certstream).
	PathPrefix string `yaml:"path_prefix"`
}

// Auth protects the API and UI.
type Auth struct {
	// Tokens are accepted bearer tokens: strings, or {name, token, role: admin|analyst|viewer}
	// with token_file or token_env instead of token to keep the secret out of the config (and
	// of ps, as a flag would not). Each must be at least 16 characters. When empty the API is
	// open to local clients, so serve refuses a non-loopback listen address unless
	// AllowInsecure is set.
	Tokens        []auth.Token `yaml:"tokens"`
	AllowInsecure bool         `yaml:"allow_insecure"`
}

//go:embed default.yaml
var defaultYAML []byte

// Default returns the embedded defaults.
func Default() *Config {
	c, err := parse(defaultYAML, "embedded defaults", nil)
	if err != nil {
		panic("config: embedded defaults are invalid: " + err.Error())
	}
	return c
}

// DefaultYAML is the embedded default configuration, a commented example.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Parse reads YAML over the defaults; unknown keys are errors that name the key and its line.
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, Default())
}

func parse(data []byte, name string, base *Config) (*Config, error) {
	c := &Config{}
	if base != nil {
		c = base
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
	}
	return c, nil
}

// yamlMessage rewrites yaml.v3's "field x not found in type config.Y" into words a user reads.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			if i := strings.Index(m, ": field "); i >= 0 && strings.Contains(m, " not found in type ") {
				key := m[i+len(": field "):]
				key = key[:strings.Index(key, " not found in type ")]
				m = fmt.Sprintf("%s: unknown key %q", m[:i], key)
			}
			msgs[i] = m
		}
		return strings.Join(msgs, "; ")
	}
	return err.Error()
}

// LoadFile reads a config file over the defaults.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Validate checks values; each error names the key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port", c.Listen)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("database", "must be empty (SQLite) or a postgres:// URL")
	}
	if c.PublicURL != "" {
		checkURL(bad, "public_url", c.PublicURL, "http", "https")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if c.Watchlist.File != "" && c.Watchlist.URL != "" {
		bad("watchlist", "set file or url, not both")
	}
	if c.Watchlist.URL != "" {
		checkURL(bad, "watchlist.url", c.Watchlist.URL, "http", "https")
	}
	if t := c.Watchlist.LevenshteinThreshold; t <= 0 || t >= 1 {
		bad("watchlist.levenshtein_threshold", "%v is not between 0 and 1", t)
	}
	if c.Watchlist.UpdateInterval < time.Second {
		bad("watchlist.update_interval", "%v is shorter than 1s", c.Watchlist.UpdateInterval)
	}
	if s := c.Sources.CT.Start; s != "end" && s != "beginning" {
		bad("sources.ct.start", "%q is not end or beginning", s)
	}
	if c.Sources.CT.LogList == "" {
		bad("sources.ct.log_list", "must be embedded, a path or a URL")
	}
	for i, l := range c.Sources.CT.Logs {
		key := fmt.Sprintf("sources.ct.logs[%d]", i)
		checkURL(bad, key+".url", l.URL, "http", "https")
		if l.Type != "rfc6962" && l.Type != "static" {
			bad(key+".type", "%q is not rfc6962 or static", l.Type)
		}
	}
	for i, s := range c.Sources.Certstream {
		checkURL(bad, fmt.Sprintf("sources.certstream[%d].url", i), s.URL, "ws", "wss", "http", "https")
	}
	formats := "domains urls phishtank urlhaus threatfox misp stix taxii"
	for i, f := range c.Intel.Feeds {
		key := fmt.Sprintf("intel.feeds[%d]", i)
		if f.Name == "" {
			bad(key+".name", "must be set")
		}
		if (f.URL == "") == (f.File == "") {
			bad(key, "set exactly one of url and file")
		}
		if !strings.Contains(" "+formats+" ", " "+f.Format+" ") || f.Format == "" {
			bad(key+".format", "%q is not one of %s", f.Format, formats)
		}
	}
	c.Issuance.validate(bad)
	if t := c.Scoring.IncidentThreshold; t < 1 || t > 100 {
		bad("scoring.incident_threshold", "%d is not between 1 and 100", t)
	}
	for i, n := range c.Notify {
		if err := n.Validate(); err != nil {
			for _, e := range unjoin(err) {
				errs = append(errs, fmt.Errorf("notify[%d].%v", i, e))
			}
		}
	}
	if err := auth.ValidateTokens(c.Auth.Tokens); err != nil {
		errs = append(errs, unjoin(err)...)
	}
	if p := c.CertstreamServer.PathPrefix; !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		bad("certstream_server.path_prefix", "%q must start with / and not end with /", p)
	}
	return errors.Join(errs...)
}

// unjoin lists the errors an errors.Join made.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func checkURL(bad func(string, string, ...any), key, raw string, schemes ...string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		bad(key, "%q is not a URL", raw)
		return
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return
		}
	}
	bad(key, "%q: scheme must be one of %s", raw, strings.Join(schemes, ", "))
}

// IsLoopback says whether a listen address only accepts local connections.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
