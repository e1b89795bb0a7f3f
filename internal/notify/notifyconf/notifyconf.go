// Package notifyconf is the configuration of one notification target and its validation,
// apart from package notify so that the configuration package can check it without pulling in
// the senders and the incident store.
package notifyconf

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/certhunt/certhunt/internal/severity"
)

// Notifier types.
const (
	TypeWebhook = "webhook"
	TypeXSOAR   = "xsoar"
	TypeSlack   = "slack"
	TypeSyslog  = "syslog"
	TypeFile    = "file"
)

// Types lists the notifier types, in documentation order.
var Types = []string{TypeWebhook, TypeXSOAR, TypeSlack, TypeSyslog, TypeFile}

// Config is one notification target: the `notify:` list item of the YAML configuration
// .
type Config struct {
	// Type is webhook, xsoar, slack, syslog or file.
	Type string `yaml:"type"`
	// Name identifies the target in delivery statuses and logs (default: the type; must be
	// unique).
	Name string `yaml:"name"`
	// URL is the webhook URL, the Slack incoming-webhook URL, or the XSOAR API base that
	// "/incident" is appended to (XSOAR 6: https://xsoar.example; XSOAR 8: the API URL, for
	// example https://api-tenant.example/xsoar/public/v1).
	URL string `yaml:"url"`
	// APIKey is sent as XSOAR's Authorization header.
	APIKey string `yaml:"api_key"`
	// AuthID is sent as XSOAR 8's x-xdr-auth-id header when set.
	AuthID string `yaml:"auth_id"`
	// Secret, when set, signs webhook bodies: X-Certhunt-Signature: sha256=<hex HMAC-SHA256>.
	Secret string `yaml:"secret"`
	// Network is udp (default) or tcp for syslog; Address is the collector's host:port.
	Network string `yaml:"network"`
	Address string `yaml:"address"`
	// Path is the file that JSON lines are appended to (file).
	Path string `yaml:"path"`
	// MinSeverity (low, medium, high, critical): only incidents at this severity or above are
	// sent. Empty sends all.
	MinSeverity string `yaml:"min_severity"`
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how many times a notification is tried before it is reported failed
	// (default 5).
	MaxAttempts int `yaml:"max_attempts"`
	// IncidentType is the XSOAR incident type (default "Suspicious Domain").
	IncidentType string `yaml:"incident_type"`
	// InsecureSkipVerify accepts any TLS certificate from the receiver (lab XSOAR servers).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Defaults applied where a Config leaves a field zero.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxAttempts  = 5
	DefaultIncidentType = "Suspicious Domain"
)

// Validate reports every problem of c, each naming the YAML field.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch c.Type {
	case TypeWebhook, TypeXSOAR, TypeSlack:
		u, err := url.Parse(c.URL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			bad("url", "%q is not an http or https URL", c.URL)
		}
		if c.Type == TypeXSOAR && c.APIKey == "" {
			bad("api_key", "must be set for xsoar")
		}
	case TypeSyslog:
		if c.Network != "" && c.Network != "udp" && c.Network != "tcp" {
			bad("network", "%q is not udp or tcp", c.Network)
		}
		if c.Address == "" {
			bad("address", "must be host:port for syslog")
		}
	case TypeFile:
		if c.Path == "" {
			bad("path", "must be set for file")
		}
	default:
		bad("type", "%q is not webhook, xsoar, slack, syslog or file", c.Type)
	}
	if c.MinSeverity != "" && severity.Rank(c.MinSeverity) == 0 {
		bad("min_severity", "%q is not low, medium, high or critical", c.MinSeverity)
	}
	if c.Timeout < 0 {
		bad("timeout", "%s is negative", c.Timeout)
	}
	if c.MaxAttempts < 0 {
		bad("max_attempts", "%d is negative", c.MaxAttempts)
	}
	return errors.Join(errs...)
}

// ValidateAll validates every target and that their names (default: the type) are unique.
// Errors start with "notify[i].field".
func ValidateAll(cfgs []Config) error {
	var errs []error
	seen := map[string]bool{}
	for i, c := range cfgs {
		if err := c.Validate(); err != nil {
			for _, e := range unjoin(err) {
				errs = append(errs, fmt.Errorf("notify[%d].%w", i, e))
			}
			continue
		}
		name := c.Name
		if name == "" {
			name = c.Type
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("notify[%d].name: %q is used twice; give each target a unique name", i, name))
		}
		seen[name] = true
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
