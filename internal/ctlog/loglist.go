package ctlog

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/redact"
)

// Log types, as in SPEC.md's sources.ct.logs[].type.
const (
	TypeRFC6962 = "rfc6962"
	TypeStatic  = "static"
)

//go:embed loglist/all_logs_list.v3.json
var embeddedLogList []byte

// maxLogListBytes bounds a log list read from a URL; the real list is about 100 KiB.
const maxLogListBytes = 16 << 20

// LogInfo is one CT log to follow.
type LogInfo struct {
	Name string
	// URL is the RFC 6962 API prefix, or the static-ct-api monitoring prefix.
	URL string
	// SubmissionURL is a static log's submission prefix, whose schema-less form is the
	// checkpoint origin. Empty: the origin is taken from the checkpoint itself.
	SubmissionURL string
	Type          string
	// Key verifies tree heads; nil (a log added by URL only) means they are read unverified.
	Key crypto.PublicKey
	// KeyDER is the DER SubjectPublicKeyInfo of Key.
	KeyDER []byte
	// LogID is the SHA-256 of KeyDER.
	LogID []byte
	// State is the log list state (usable, qualified, readonly), empty when not from a list.
	State string
}

// Ref names the log in entries and malformed records.
// Its URL has any secrets masked, since entries carry it into incidents and the UI.
func (l LogInfo) Ref() certs.LogRef {
	return certs.LogRef{Name: l.Name, URL: redact.URL(l.URL), Type: l.Type}
}

// origin is the checkpoint origin a static log must sign: its submission prefix without
// scheme or trailing slash. Empty when the log has no submission URL.
func (l LogInfo) origin() string {
	if l.SubmissionURL == "" {
		return ""
	}
	o := l.SubmissionURL
	if i := strings.Index(o, "://"); i >= 0 {
		o = o[i+3:]
	}
	return strings.TrimRight(o, "/")
}

// DecodeKey reads a log's public key written as base64 DER, the form of the configuration
// and of log lists; an empty string means no key (nil).
func DecodeKey(b64 string) ([]byte, error) {
	if b64 == "" {
		return nil, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("key is not base64 (of the DER public key): %v", err)
	}
	return der, nil
}

// NewLogInfo builds a LogInfo from a base64-free DER key (nil allowed), filling Key and LogID.
func NewLogInfo(name, url, typ string, keyDER []byte) (LogInfo, error) {
	if typ != TypeRFC6962 && typ != TypeStatic {
		return LogInfo{}, fmt.Errorf("log %q: type %q is neither %q nor %q", name, typ, TypeRFC6962, TypeStatic)
	}
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return LogInfo{}, fmt.Errorf("log %q: url %q is not http(s)", name, url)
	}
	info := LogInfo{Name: name, URL: url, Type: typ}
	if keyDER != nil {
		key, err := x509.ParsePKIXPublicKey(keyDER)
		if err != nil {
			return LogInfo{}, fmt.Errorf("log %q: key: %w", name, err)
		}
		id := sha256.Sum256(keyDER)
		info.Key, info.KeyDER, info.LogID = key, keyDER, id[:]
	}
	return info, nil
}

// v3 log list, only the fields certhunt reads.
type logListV3 struct {
	Operators []struct {
		Name string `json:"name"`
		Logs []struct {
			Description string                     `json:"description"`
			URL         string                     `json:"url"`
			Key         []byte                     `json:"key"`
			LogID       []byte                     `json:"log_id"`
			State       map[string]json.RawMessage `json:"state"`
			LogType     string                     `json:"log_type"`
		} `json:"logs"`
		TiledLogs []struct {
			Description   string                     `json:"description"`
			SubmissionURL string                     `json:"submission_url"`
			MonitoringURL string                     `json:"monitoring_url"`
			Key           []byte                     `json:"key"`
			LogID         []byte                     `json:"log_id"`
			State         map[string]json.RawMessage `json:"state"`
			LogType       string                     `json:"log_type"`
		} `json:"tiled_logs"`
	} `json:"operators"`
}

// followedState returns the state a log is followed in, or "" to skip it. Logs in state
// usable, qualified or readonly are followed. Tiled logs published without a state but as
// "monitoring_only" (how 2025 lists carry Let's Encrypt's static logs) are followed too;
// stateless RFC 6962 logs are long-dead ones and test logs are never followed.
func followedState(state map[string]json.RawMessage, logType string, tiled bool) string {
	for _, s := range []string{"usable", "qualified", "readonly"} {
		if _, ok := state[s]; ok {
			return s
		}
	}
	if len(state) == 0 && tiled && logType == "monitoring_only" {
		return "monitoring_only"
	}
	return ""
}

// ParseLogList reads a v3 log_list.json and returns the logs to follow: RFC 6962 logs and
// tiled (static-ct-api) logs in a followed state, in list order.
func ParseLogList(data []byte) ([]LogInfo, error) {
	var list logListV3
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("log list: %w", err)
	}
	var out []LogInfo
	add := func(name, url, typ string, key []byte, state string) error {
		info, err := NewLogInfo(name, url, typ, key)
		if err != nil {
			return fmt.Errorf("log list: %w", err)
		}
		info.State = state
		out = append(out, info)
		return nil
	}
	for _, op := range list.Operators {
		for _, l := range op.Logs {
			state := followedState(l.State, l.LogType, false)
			if state == "" {
				continue
			}
			if err := add(l.Description, l.URL, TypeRFC6962, l.Key, state); err != nil {
				return nil, err
			}
		}
		for _, l := range op.TiledLogs {
			state := followedState(l.State, l.LogType, true)
			if state == "" {
				continue
			}
			if err := add(l.Description, l.MonitoringURL, TypeStatic, l.Key, state); err != nil {
				return nil, err
			}
			out[len(out)-1].SubmissionURL = l.SubmissionURL
		}
	}
	return out, nil
}

// EmbeddedLogListTime is the log_list_timestamp of the copy built into certhunt: a list that
// old no longer names the logs opened since, so serve warns about it.
func EmbeddedLogListTime() time.Time {
	var head struct {
		Timestamp time.Time `json:"log_list_timestamp"`
	}
	json.Unmarshal(embeddedLogList, &head)
	return head.Timestamp
}

// LoadLogList loads a v3 log list from src: "embedded" or "default" (the copy built into certhunt), an
// http(s) URL fetched with client (nil: http.DefaultClient), or a file path.
func LoadLogList(ctx context.Context, src string, client *http.Client) ([]LogInfo, error) {
	var data []byte
	switch {
	case src == "" || src == LogListEmbedded || src == LogListDefault:
		// "default" is the embedded copy here: only LogListWatcher fetches the live list.
		data = embeddedLogList
	case strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://"):
		if client == nil {
			client = http.DefaultClient
		}
		var err error
		data, err = httpGet(ctx, client, src, maxLogListBytes)
		if err != nil {
			return nil, fmt.Errorf("log list %s: %w", src, err)
		}
	default:
		var err error
		data, err = os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("log list: %w", err)
		}
	}
	logs, err := ParseLogList(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return logs, nil
}
