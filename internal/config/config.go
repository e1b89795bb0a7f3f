// Package config is certhunt's configuration: the Config struct below is the reference for
// every key (its comments are the documentation), read from YAML with unknown keys rejected,
// then overridden by CERTHUNT_* environment variables, then by command-line flags.
package config

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/certstream"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/intel"
	"github.com/certhunt/certhunt/internal/notify/notifyconf"
	"github.com/certhunt/certhunt/internal/redact"
)

// Config is the whole configuration. Keys a file leaves out keep Default's values; zero values
// have no hidden meaning (where 0 means something, the key's comment says what).
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
	// LogFormat is text (logfmt-like key=value lines, for people) or json (one JSON object a
	// line, for log shippers such as journald exporters, Loki or Elastic).
	LogFormat string `yaml:"log_format"`

	Watchlist        Watchlist        `yaml:"watchlist"`
	Sources          Sources          `yaml:"sources"`
	Intel            Intel            `yaml:"intel"`
	Issuance         Issuance         `yaml:"issuance"`
	Enrich           Enrich           `yaml:"enrich"`
	Scoring          Scoring          `yaml:"scoring"`
	Notify           []Notify         `yaml:"notify"`
	CertstreamServer CertstreamServer `yaml:"certstream_server"`
	Auth             Auth             `yaml:"auth"`
	Cluster          Cluster          `yaml:"cluster"`

	// lines maps each key path read from a file to its line, for error messages.
	lines map[string]int
	// file is the name of the file read, for error messages.
	file string
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
	// LogList is "default" (Chrome's current list, fetched and refreshed, with the last good
	// copy and then the embedded one as fallbacks), "embedded", a file path, or an http(s)
	// URL of a v3 log_list.json.
	LogList string `yaml:"log_list"`
	// LogListRefresh is how often a URL (or "default") list is fetched again (a file list is
	// re-read within seconds of a change); changes apply without a restart.
	LogListRefresh time.Duration `yaml:"log_list_refresh"`
	// Logs are followed in addition to the log list's.
	Logs []Log `yaml:"logs"`
	// Start is where a log without a saved cursor is read from: end or beginning.
	Start string `yaml:"start"`
	// Parallel is the number of get-entries requests in flight per RFC 6962 log.
	Parallel int `yaml:"parallel"`
	// BatchSize is the number of entries asked for per get-entries request.
	BatchSize int `yaml:"batch_size"`
	// PollInterval is the longest wait between tree heads of a caught-up follower: a log that
	// just grew is asked again after a second, an idle one ever less often up to this.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MinBackoff is the first retry delay after a failed request; it doubles (with jitter) up
	// to 5m while the log keeps failing. A log's Retry-After is honoured.
	MinBackoff time.Duration `yaml:"min_backoff"`
	// PartialTileAge is how long a static-ct-api log must stay at one tree size before its
	// last, partial data tile is read (the spec advises waiting for full tiles); 0s reads
	// partial tiles at once.
	PartialTileAge time.Duration `yaml:"partial_tile_age"`
	// Contact is a URL or e-mail address put in the User-Agent, so that log operators can
	// reach you instead of rate-limiting an anonymous client.
	Contact string `yaml:"contact"`
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
	Format string `yaml:"format"`
	// Refresh is how often the feed is re-read; 0s means 1h.
	Refresh time.Duration `yaml:"refresh"`
	// Weight is the points a hit on this feed adds to a score; 0 means 80.
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

// Notify is one outbound notification target. Its keys depend on its type: the structs
// WebhookNotify, XSOARNotify, SlackNotify, SyslogNotify and FileNotify list them, and a key of
// another type is an error (an api_key on a webhook is a mistake, not a setting).
type Notify struct {
	notifyconf.Config `yaml:",inline"`
}

// NotifyCommon are the keys of every notifier type.
type NotifyCommon struct {
	// Type is webhook, xsoar, slack, syslog or file.
	Type string `yaml:"type"`
	// Name identifies the target in delivery statuses and logs (default: the type); unique.
	Name string `yaml:"name"`
	// MinSeverity (low, medium, high, critical): only incidents at this severity or above are
	// sent. Empty sends all.
	MinSeverity string `yaml:"min_severity"`
	// Timeout bounds one attempt; 0s means 10s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how many times a notification is tried; 0 means 5.
	MaxAttempts int `yaml:"max_attempts"`
}

// WebhookNotify posts each incident as JSON.
type WebhookNotify struct {
	NotifyCommon `yaml:",inline"`
	URL          string `yaml:"url"`
	// Secret, when set, signs bodies: X-Certhunt-Signature: sha256=<hex HMAC-SHA256>.
	Secret             string `yaml:"secret"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// XSOARNotify creates a Cortex XSOAR incident.
type XSOARNotify struct {
	NotifyCommon `yaml:",inline"`
	// URL is the API base "/incident" is appended to (XSOAR 6: https://xsoar.example; XSOAR 8:
	// the API URL, https://api-tenant.example/xsoar/public/v1).
	URL    string `yaml:"url"`
	APIKey string `yaml:"api_key"`
	// AuthID is XSOAR 8's x-xdr-auth-id.
	AuthID string `yaml:"auth_id"`
	// IncidentType defaults to "Suspicious Domain".
	IncidentType       string `yaml:"incident_type"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// SlackNotify posts to a Slack incoming webhook.
type SlackNotify struct {
	NotifyCommon       `yaml:",inline"`
	URL                string `yaml:"url"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// SyslogNotify sends RFC 5424 messages to a collector.
type SyslogNotify struct {
	NotifyCommon `yaml:",inline"`
	// Network is udp (default) or tcp; Address is host:port.
	Network string `yaml:"network"`
	Address string `yaml:"address"`
}

// FileNotify appends JSON lines to Path.
type FileNotify struct {
	NotifyCommon `yaml:",inline"`
	Path         string `yaml:"path"`
}

// CertstreamServer re-serves what certhunt ingests as a certstream-compatible feed.
type CertstreamServer struct {
	Enabled bool `yaml:"enabled"`
	// PathPrefix is where the endpoints live (default /certstream).
	PathPrefix string `yaml:"path_prefix"`
	// Heartbeat is how often an idle feed sends a heartbeat frame (default 10s): common
	// clients (CaliDog's) drop a connection after 15 s without one.
	Heartbeat time.Duration `yaml:"heartbeat"`
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

// Defaults. Default builds the configuration from these; default.yaml, the commented example
// that "certhunt config default" prints, is kept in step by a test.
const (
	DefaultListen               = "127.0.0.1:8080"
	DefaultDataDir              = "./certhunt-data"
	DefaultLogLevel             = "info"
	DefaultLogFormat            = "text"
	DefaultWatchlistFile        = "homographs.json"
	DefaultUpdateInterval       = 30 * time.Minute
	DefaultLevenshteinThreshold = 0.85
	DefaultLogList              = "default"
	DefaultLogListRefresh       = 24 * time.Hour
	DefaultStart                = "end"
	DefaultIncidentThreshold    = 60
	DefaultCertstreamPath       = "/certstream"
	DefaultHeartbeat            = 10 * time.Second
)

//go:embed default.yaml
var defaultYAML []byte

// Default returns the defaults: serve runs on these with no config file at all.
func Default() *Config {
	return &Config{
		Listen:    DefaultListen,
		DataDir:   DefaultDataDir,
		LogLevel:  DefaultLogLevel,
		LogFormat: DefaultLogFormat,
		Watchlist: Watchlist{
			File:                 DefaultWatchlistFile,
			UpdateInterval:       DefaultUpdateInterval,
			LevenshteinThreshold: DefaultLevenshteinThreshold,
		},
		Sources: Sources{CT: CT{
			Enabled:        true,
			LogList:        DefaultLogList,
			LogListRefresh: DefaultLogListRefresh,
			Start:          DefaultStart,
			Parallel:       ctlog.DefaultParallel,
			BatchSize:      ctlog.DefaultBatchSize,
			PollInterval:   ctlog.DefaultPollInterval,
			MinBackoff:     ctlog.DefaultMinBackoff,
			PartialTileAge: ctlog.DefaultPartialTileAge,
		}},
		Issuance:         defaultIssuance(),
		Enrich:           defaultEnrich(),
		Scoring:          Scoring{IncidentThreshold: DefaultIncidentThreshold},
		CertstreamServer: CertstreamServer{Enabled: true, PathPrefix: DefaultCertstreamPath, Heartbeat: DefaultHeartbeat},
		Cluster:          defaultCluster(),
	}
}

// DefaultYAML is the default configuration as a commented example.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Parse reads YAML over the defaults. Every unknown key and every value of the wrong type is
// reported, each with its line and key path; name is the file's name for those messages.
func Parse(data []byte, name string) (*Config, error) {
	c := Default()
	c.file = name
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Problems: []Problem{{Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	w := &walker{lines: map[string]int{}}
	w.walk(&doc, reflect.TypeFor[Config](), "")
	c.lines = w.lines
	if len(w.problems) > 0 {
		// Say every mistake at once: the values that did decode are validated too, except
		// under a key already reported (a value of the wrong type keeps its default).
		yaml.Unmarshal(data, c)
		all := w.problems
		if err := c.Validate(); err != nil {
			if e, ok := asError(err); ok {
				for _, p := range e.Problems {
					if !slices.ContainsFunc(w.spoilt, func(k string) bool { return under(p.Key, k) }) {
						all = append(all, p)
					}
				}
			}
		}
		slices.SortStableFunc(all, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
		return nil, &Error{File: name, Problems: all}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err)) // the walk should have caught it
	}
	return c, nil
}

// under reports whether key is parent or lies below it (a.b[0].c is under a.b).
func under(key, parent string) bool {
	return parent != "" && (key == parent || strings.HasPrefix(key, parent+".") || strings.HasPrefix(key, parent+"["))
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

// Validate checks every value, calling each component's own validation (feeds, notifiers,
// detection options, log keys), so that what it accepts serve accepts. All problems are
// reported together as an *Error, each naming its key and, for a file, its line.
func (c *Config) Validate() error {
	ps := &problems{lines: c.lines}
	bad := ps.add
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port", c.Listen)
	} else if len(c.Auth.Tokens) == 0 && !IsLoopback(c.Listen) && !c.Auth.AllowInsecure {
		bad("listen", "%s is not a loopback address and auth.tokens is empty: set tokens (or auth.allow_insecure: true)", c.Listen)
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
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log_format", "%q is not text or json", c.LogFormat)
	}
	c.validateWatchlist(ps)
	c.validateSources(ps)
	ps.addErr("intel.", intel.CheckFeeds(c.FeedConfigs()))
	c.Issuance.validate(bad)
	c.Enrich.validate(bad)
	c.Cluster.validate(c.Database, bad)
	c.validateScoring(ps)
	ps.addErr("", notifyconf.ValidateAll(c.NotifyConfigs()))
	ps.addErr("", auth.ValidateTokens(c.Auth.Tokens))
	if hb := c.CertstreamServer.Heartbeat; hb < 100*time.Millisecond {
		bad("certstream_server.heartbeat", "%v is shorter than 100ms", hb)
	}
	if strings.ContainsAny(c.Sources.CT.Contact, "()\r\n") {
		bad("sources.ct.contact", "%q must not contain parentheses or line breaks", c.Sources.CT.Contact)
	}
	if p := c.CertstreamServer.PathPrefix; !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		bad("certstream_server.path_prefix", "%q must start with / and not end with /", p)
	}
	return ps.err(c.file)
}

func (c *Config) validateWatchlist(ps *problems) {
	w := c.Watchlist
	if w.File != "" && w.URL != "" {
		ps.add("watchlist", "set file or url, not both")
	}
	if w.URL != "" {
		checkURL(ps.add, "watchlist.url", w.URL, "http", "https")
	}
	if t := w.LevenshteinThreshold; t <= 0 || t >= 1 {
		ps.add("watchlist.levenshtein_threshold", "%v is not between 0 and 1 (both excluded)", t)
	}
	if w.UpdateInterval < time.Second {
		ps.add("watchlist.update_interval", "%v is shorter than 1s", w.UpdateInterval)
	}
}

func (c *Config) validateSources(ps *problems) {
	ct := c.Sources.CT
	if ct.Start != "end" && ct.Start != "beginning" {
		ps.add("sources.ct.start", "%q is not end or beginning", ct.Start)
	}
	if ct.LogList == "" {
		ps.add("sources.ct.log_list", "must be default, embedded, a path or a URL")
	}
	if ct.LogListRefresh < time.Second {
		ps.add("sources.ct.log_list_refresh", "%v is shorter than 1s", ct.LogListRefresh)
	}
	if ct.Parallel < 1 || ct.Parallel > 64 {
		ps.add("sources.ct.parallel", "%d is not between 1 and 64", ct.Parallel)
	}
	if ct.BatchSize < 1 || ct.BatchSize > 10000 {
		ps.add("sources.ct.batch_size", "%d is not between 1 and 10000", ct.BatchSize)
	}
	if ct.PollInterval <= 0 {
		ps.add("sources.ct.poll_interval", "%v is not positive", ct.PollInterval)
	}
	if ct.MinBackoff <= 0 || ct.MinBackoff > ctlog.DefaultMaxBackoff {
		ps.add("sources.ct.min_backoff", "%v is not between 0s and %v", ct.MinBackoff, ctlog.DefaultMaxBackoff)
	}
	if ct.PartialTileAge < 0 {
		ps.add("sources.ct.partial_tile_age", "%v is negative (0s reads partial tiles at once)", ct.PartialTileAge)
	}
	for i, l := range ct.Logs {
		key := fmt.Sprintf("sources.ct.logs[%d]", i)
		urlOK := checkURL(ps.add, key+".url", l.URL, "http", "https")
		typeOK := l.Type == ctlog.TypeRFC6962 || l.Type == ctlog.TypeStatic
		if !typeOK {
			ps.add(key+".type", "%q is not rfc6962 or static", l.Type)
		}
		if _, err := c.logInfo(l); urlOK && typeOK && err != nil {
			if _, derErr := ctlog.DecodeKey(l.Key); derErr != nil {
				ps.add(key+".key", "%v", derErr)
			} else { // ctlog's own words name ASN.1 internals
				ps.add(key+".key", "is not a public key (write the base64 of its DER SubjectPublicKeyInfo, as log lists do)")
			}
		}
	}
	for i, s := range c.Sources.Certstream {
		if err := certstream.CheckURL(s.URL); err != nil {
			ps.add(fmt.Sprintf("sources.certstream[%d].url", i), "%s", strings.TrimPrefix(err.Error(), "certstream: "))
		}
	}
}

func (c *Config) validateScoring(ps *problems) {
	if t := c.Scoring.IncidentThreshold; t < 1 || t > 100 {
		ps.add("scoring.incident_threshold", "%d is not between 1 and 100", t)
	}
	rules := detect.DefaultWeights()
	known := make([]string, 0, len(rules))
	for r := range rules {
		known = append(known, r)
	}
	slices.Sort(known)
	weightsOK := true
	for _, rule := range slices.Sorted(maps.Keys(c.Scoring.Weights)) {
		w := c.Scoring.Weights[rule]
		key := "scoring.weights." + rule
		if _, ok := rules[rule]; !ok {
			weightsOK = false
			msg := fmt.Sprintf("%q is not a rule", rule)
			if s := suggest(rule, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			ps.add(key, "%s; rules: %s", msg, strings.Join(known, ", "))
		} else if w < 0 || w > 100 {
			weightsOK = false
			ps.add(key, "%d is not between 0 and 100", w)
		}
	}
	for _, p := range ps.list {
		if strings.HasPrefix(p.Key, "scoring") || strings.HasPrefix(p.Key, "watchlist") {
			return // the detection engine's own check would repeat what is said
		}
	}
	if !weightsOK {
		return
	}
	if _, err := detect.Build(homograph.List{}, c.DetectOptions()); err != nil {
		key := "scoring"
		if strings.HasPrefix(err.Error(), "allow entry") {
			key = "watchlist.allow"
		}
		ps.add(key, "%v", err)
	}
}

// checkURL reports whether raw is an absolute URL with one of the schemes. The error quotes
// the URL without its secrets (a proxy's or server's user:password, a token).
func checkURL(bad func(string, string, ...any), key, raw string, schemes ...string) bool {
	return checkURLHint(bad, key, raw, "", schemes...)
}

// checkURLHint is checkURL with a hint of what to write after "is not a URL".
func checkURLHint(bad func(string, string, ...any), key, raw, hint string, schemes ...string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		bad(key, "%q is not a URL%s", redact.URL(raw), hint)
		return false
	}
	if slices.Contains(schemes, u.Scheme) {
		return true
	}
	bad(key, "%q: scheme must be one of %s", redact.URL(raw), strings.Join(schemes, ", "))
	return false
}

// DetectOptions are the detection engine's options (the allow list is extended at run time
// with the analysts' one, and Intel is set by whoever loaded the feeds).
func (c *Config) DetectOptions() detect.Options {
	return detect.Options{
		LevenshteinThreshold: c.Watchlist.LevenshteinThreshold,
		Allow:                slices.Clone(c.Watchlist.Allow),
		IncidentThreshold:    c.Scoring.IncidentThreshold,
		Weights:              c.Scoring.Weights,
	}
}

// FeedConfigs are the threat-intel feeds as the intel package takes them.
func (c *Config) FeedConfigs() []intel.FeedConfig {
	feeds := make([]intel.FeedConfig, len(c.Intel.Feeds))
	for i, f := range c.Intel.Feeds {
		feeds[i] = intel.FeedConfig{Name: f.Name, URL: f.URL, File: f.File, Format: f.Format, Refresh: f.Refresh,
			Weight: f.Weight, Username: f.Username, Password: f.Password, Token: f.Token}
	}
	return feeds
}

// NotifyConfigs are the notification targets as the notify package takes them.
func (c *Config) NotifyConfigs() []notifyconf.Config {
	out := make([]notifyconf.Config, len(c.Notify))
	for i, n := range c.Notify {
		out[i] = n.Config
	}
	return out
}

// LogInfos are the extra logs of sources.ct.logs.
func (c *Config) LogInfos() ([]ctlog.LogInfo, error) {
	var out []ctlog.LogInfo
	for i, l := range c.Sources.CT.Logs {
		info, err := c.logInfo(l)
		if err != nil {
			return nil, fmt.Errorf("sources.ct.logs[%d]: %w", i, err)
		}
		out = append(out, info)
	}
	return out, nil
}

func (c *Config) logInfo(l Log) (ctlog.LogInfo, error) {
	der, err := ctlog.DecodeKey(l.Key)
	if err != nil {
		return ctlog.LogInfo{}, err
	}
	return ctlog.NewLogInfo(l.Name, l.URL, l.Type, der)
}

// FollowerOptions are the CT followers' options (DataDir, HTTPClient and Logger are the caller's).
func (ct CT) FollowerOptions() ctlog.FollowerOptions {
	o := ctlog.FollowerOptions{Start: ct.Start, Parallel: ct.Parallel, BatchSize: ct.BatchSize,
		PollInterval: ct.PollInterval, MinBackoff: ct.MinBackoff, PartialTileAge: ct.PartialTileAge,
		Contact: ct.Contact}
	if o.PartialTileAge == 0 {
		o.PartialTileAge = -1 // ctlog reads negative as "at once"; its zero means its default
	}
	return o
}

// forget drops the file lines of key and everything under it, once a flag or the environment
// has replaced its value.
func (c *Config) forget(key string) {
	for k := range c.lines {
		if k == key || strings.HasPrefix(k, key+".") || strings.HasPrefix(k, key+"[") {
			delete(c.lines, k)
		}
	}
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
