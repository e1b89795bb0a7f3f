package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/auth"
)

// setting is one scalar key that can be given as a flag and as CERTHUNT_<FLAG> in the env.
type setting struct {
	flag  string // also the env name: CERTHUNT_ + upper, '-' → '_'
	key   string // the YAML key it overrides
	apply func(c *Config, v string) error
}

// booleanFlags may be given alone (-ct means -ct=true).
var booleanFlags = map[string]bool{"ct": true, "certstream-server": true, "allow-insecure": true}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func list(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = splitList(v); return nil }
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p(c) = b
		return nil
	}
}

func integer(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p(c) = n
		return nil
	}
}

func duration(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}
}

// parseDuration reads a duration, its error saying how to write one (a bare number gets "write
// 30s"); flags, env and the YAML check share it.
func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		if _, ferr := strconv.ParseFloat(v, 64); ferr == nil {
			return 0, fmt.Errorf("%q is not a duration (write %ss)", v, v)
		}
		return 0, fmt.Errorf("%q is not a duration (such as 30s, 10m or 1h)", v)
	}
	return d, nil
}

var settings = []setting{
	{"listen", "listen", str(func(c *Config) *string { return &c.Listen })},
	{"data-dir", "data_dir", str(func(c *Config) *string { return &c.DataDir })},
	{"database", "database", str(func(c *Config) *string { return &c.Database })},
	{"public-url", "public_url", str(func(c *Config) *string { return &c.PublicURL })},
	{"log-level", "log_level", str(func(c *Config) *string { return &c.LogLevel })},
	{"log-format", "log_format", str(func(c *Config) *string { return &c.LogFormat })},
	{"watchlist", "watchlist.file", str(func(c *Config) *string { return &c.Watchlist.File })},
	{"watchlist-url", "watchlist.url", str(func(c *Config) *string { return &c.Watchlist.URL })},
	{"update-interval", "watchlist.update_interval", duration(func(c *Config) *time.Duration { return &c.Watchlist.UpdateInterval })},
	{"levenshtein-threshold", "watchlist.levenshtein_threshold", func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		c.Watchlist.LevenshteinThreshold = f
		return nil
	}},
	{"allow", "watchlist.allow", list(func(c *Config) *[]string { return &c.Watchlist.Allow })},
	{"ct", "sources.ct.enabled", boolean(func(c *Config) *bool { return &c.Sources.CT.Enabled })},
	{"log-list", "sources.ct.log_list", str(func(c *Config) *string { return &c.Sources.CT.LogList })},
	{"log-list-refresh", "sources.ct.log_list_refresh", duration(func(c *Config) *time.Duration { return &c.Sources.CT.LogListRefresh })},
	{"start", "sources.ct.start", str(func(c *Config) *string { return &c.Sources.CT.Start })},
	{"parallel", "sources.ct.parallel", integer(func(c *Config) *int { return &c.Sources.CT.Parallel })},
	{"batch-size", "sources.ct.batch_size", integer(func(c *Config) *int { return &c.Sources.CT.BatchSize })},
	{"poll-interval", "sources.ct.poll_interval", duration(func(c *Config) *time.Duration { return &c.Sources.CT.PollInterval })},
	{"min-backoff", "sources.ct.min_backoff", duration(func(c *Config) *time.Duration { return &c.Sources.CT.MinBackoff })},
	{"partial-tile-age", "sources.ct.partial_tile_age", duration(func(c *Config) *time.Duration { return &c.Sources.CT.PartialTileAge })},
	{"contact", "sources.ct.contact", str(func(c *Config) *string { return &c.Sources.CT.Contact })},
	{"certstream", "sources.certstream", func(c *Config, v string) error {
		c.Sources.Certstream = nil
		for _, u := range splitList(v) {
			c.Sources.Certstream = append(c.Sources.Certstream, CertstreamSource{URL: u})
		}
		return nil
	}},
	{"incident-threshold", "scoring.incident_threshold", integer(func(c *Config) *int { return &c.Scoring.IncidentThreshold })},
	{"certstream-server", "certstream_server.enabled", boolean(func(c *Config) *bool { return &c.CertstreamServer.Enabled })},
	{"certstream-path", "certstream_server.path_prefix", str(func(c *Config) *string { return &c.CertstreamServer.PathPrefix })},
	{"certstream-heartbeat", "certstream_server.heartbeat", duration(func(c *Config) *time.Duration { return &c.CertstreamServer.Heartbeat })},
	{"auth-tokens", "auth.tokens", func(c *Config, v string) error { c.Auth.Tokens = auth.StringTokens(splitList(v)); return nil }},
	{"allow-insecure", "auth.allow_insecure", boolean(func(c *Config) *bool { return &c.Auth.AllowInsecure })},
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func envName(flagName string) string {
	return "CERTHUNT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Flags registers -config and a flag for every setting on fs. Call Load after fs.Parse.
type Flags struct {
	ConfigFile string
	set        map[string]string
	order      []string
}

// Register adds -config and the settings' flags to fs.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{set: map[string]string{}}
	fs.StringVar(&f.ConfigFile, "config", os.Getenv("CERTHUNT_CONFIG"), "config file (YAML); env CERTHUNT_CONFIG")
	for _, s := range settings {
		record := func(v string) error {
			if _, seen := f.set[s.flag]; !seen {
				f.order = append(f.order, s.flag)
			}
			f.set[s.flag] = v
			return nil
		}
		usage := fmt.Sprintf("overrides %s; env %s", s.key, envName(s.flag))
		if booleanFlags[s.flag] {
			fs.BoolFunc(s.flag, usage, record) // -ct alone means true; -ct=false works too
		} else {
			fs.Func(s.flag, usage, record)
		}
	}
	return f
}

// Load builds the configuration: defaults, then the -config file, then CERTHUNT_* env, then
// flags; and validates it.
func (f *Flags) Load() (*Config, error) {
	return f.load(os.LookupEnv)
}

func (f *Flags) load(lookupEnv func(string) (string, bool)) (*Config, error) {
	c := Default()
	if f.ConfigFile != "" {
		var err error
		if c, err = LoadFile(f.ConfigFile); err != nil {
			return nil, err
		}
	}
	for _, s := range settings {
		if v, ok := lookupEnv(envName(s.flag)); ok {
			if err := s.apply(c, v); err != nil {
				return nil, fmt.Errorf("env %s (%s): %v", envName(s.flag), s.key, err)
			}
			c.forget(s.key)
		}
	}
	byFlag := map[string]setting{}
	for _, s := range settings {
		byFlag[s.flag] = s
	}
	for _, name := range f.order {
		s := byFlag[name]
		if err := s.apply(c, f.set[name]); err != nil {
			return nil, fmt.Errorf("flag -%s (%s): %v", name, s.key, err)
		}
		c.forget(s.key)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// IsFlag says whether name is one of the configuration's flags (or -config).
func IsFlag(name string) bool {
	if name == "config" {
		return true
	}
	for _, s := range settings {
		if s.flag == name {
			return true
		}
	}
	return false
}

// PrintFlags writes every configuration flag with the key it overrides, its environment
// variable and its default.
func PrintFlags(w io.Writer) {
	def := Default()
	fmt.Fprintf(w, "  -config FILE\n    \tconfig file (YAML); env CERTHUNT_CONFIG\n")
	for _, s := range settings {
		v := valueAt(def, s.key)
		if v == "" {
			v = `""`
		}
		fmt.Fprintf(w, "  -%s\n    \t%s (default %s); env %s\n", s.flag, s.key, v, envName(s.flag))
	}
}

// valueAt formats the value of a key path ("sources.ct.parallel") of c.
func valueAt(c *Config, key string) string {
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		found := false
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == part {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return "?"
		}
	}
	switch x := v.Interface().(type) {
	case []string:
		return strings.Join(x, ",")
	case []CertstreamSource:
		var urls []string
		for _, s := range x {
			urls = append(urls, s.URL)
		}
		return strings.Join(urls, ",")
	}
	return fmt.Sprint(v.Interface())
}
