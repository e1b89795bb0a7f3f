package ctlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultLogListURL is Chrome's current v3 log list, what sources.ct.log_list "default" follows.
const DefaultLogListURL = "https://www.gstatic.com/ct/log_list/v3/log_list.json"

// Log list sources that are not a path or a URL.
const (
	LogListDefault  = "default"
	LogListEmbedded = "embedded"
)

// savedLogListFile is the last good fetched copy, kept in the data dir so that a restart
// without network follows what was last known rather than the embedded copy.
const savedLogListFile = "log_list.json"

// logListFetchTimeout bounds one fetch: a machine without network must not stall on it.
const logListFetchTimeout = 10 * time.Second

// expiredGrace is how long past a shard's temporal interval (plus its MMD) it is still read,
// for the certificates logged just before the end.
const expiredGrace = 24 * time.Hour

// State of a log that is listed but not followed because its shard interval ended.
const StateExpired = "expired"

// StateRemoved is the state of a log that left the list.
const StateRemoved = "removed"

// LogList is one parsed v3 list: the logs to follow now, and why the others are not.
type LogList struct {
	Logs      []LogInfo
	Timestamp time.Time
	Version   string
	// NotFollowed maps the URL of each listed log that is not followed to why: its list state
	// (retired, rejected, pending...) or StateExpired.
	NotFollowed map[string]string
	// Expired are the shards dropped for their ended interval (scan still names them).
	Expired []LogInfo
}

// listHead and listEntry are the fields the watcher reads beyond ParseLogList's.
type listHead struct {
	Version   string    `json:"version"`
	Timestamp time.Time `json:"log_list_timestamp"`
	Operators []struct {
		Logs      []listEntry `json:"logs"`
		TiledLogs []listEntry `json:"tiled_logs"`
	} `json:"operators"`
}

type listEntry struct {
	URL           string                     `json:"url"`
	MonitoringURL string                     `json:"monitoring_url"`
	MMD           int64                      `json:"mmd"`
	State         map[string]json.RawMessage `json:"state"`
	Interval      *struct {
		End time.Time `json:"end_exclusive"`
	} `json:"temporal_interval"`
}

// ParseLogListAt parses a v3 list as ParseLogList does and then drops shards whose temporal
// interval ended more than a day plus their MMD before now: they take no new entries.
func ParseLogListAt(data []byte, now time.Time) (*LogList, error) {
	logs, err := ParseLogList(data)
	if err != nil {
		return nil, err
	}
	var head listHead
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("log list: %w", err)
	}
	out := &LogList{Timestamp: head.Timestamp, Version: head.Version, NotFollowed: map[string]string{}}
	expired := map[string]bool{}
	for _, op := range head.Operators {
		for _, e := range append(append([]listEntry(nil), op.Logs...), op.TiledLogs...) {
			u := e.URL + e.MonitoringURL
			if e.Interval != nil && !e.Interval.End.IsZero() &&
				now.After(e.Interval.End.Add(expiredGrace+time.Duration(e.MMD)*time.Second)) {
				expired[u] = true
				out.NotFollowed[u] = StateExpired
				continue
			}
			for s := range e.State {
				out.NotFollowed[u] = s
			}
		}
	}
	for _, l := range logs {
		if expired[l.URL] {
			out.Expired = append(out.Expired, l)
			continue
		}
		out.Logs = append(out.Logs, l)
		delete(out.NotFollowed, l.URL)
	}
	return out, nil
}

// LogListStatus is GET /api/v1/loglist: the list in force and how it was got.
type LogListStatus struct {
	// Source is the URL, file or "embedded" the list in force came from; a fallback names
	// the saved copy's path or "embedded".
	Source        string     `json:"source"`
	FetchedAt     *time.Time `json:"fetched_at"`
	ListTimestamp time.Time  `json:"list_timestamp"`
	Version       string     `json:"version"`
	Logs          int        `json:"logs"`
	LastError     string     `json:"last_error"`
}

// LogListWatcher keeps the configured log list current: "default" (DefaultLogListURL, its
// last good copy saved in DataDir, then the embedded copy as fallbacks), "embedded", a file
// (re-read when it changes) or a URL. A list that cannot be fetched or parsed never replaces
// the one in force.
type LogListWatcher struct {
	// Source is sources.ct.log_list.
	Source string
	// DataDir keeps the last good fetched copy; empty: none is kept.
	DataDir string
	// URL replaces DefaultLogListURL for "default" (tests).
	URL    string
	Client *http.Client
	// Now is the clock for shard expiry (tests); nil: time.Now.
	Now func() time.Time

	mu      sync.Mutex
	cur     *LogList
	status  LogListStatus
	fileMod time.Time
	fileLen int64
}

func (w *LogListWatcher) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// url is what Refresh fetches, or "" when the source is not fetched.
func (w *LogListWatcher) url() string {
	switch {
	case w.Source == LogListDefault:
		if w.URL != "" {
			return w.URL
		}
		return DefaultLogListURL
	case strings.HasPrefix(w.Source, "https://") || strings.HasPrefix(w.Source, "http://"):
		return w.Source
	}
	return ""
}

func (w *LogListWatcher) savedPath() string {
	if w.DataDir == "" {
		return ""
	}
	return filepath.Join(w.DataDir, savedLogListFile)
}

// Start loads the list to begin with, without the network for "default": the saved copy,
// else the embedded one (Refresh then fetches the current list). A URL is fetched, falling
// back to the saved copy; a file or a URL with no saved copy that fails is an error.
func (w *LogListWatcher) Start(ctx context.Context) (*LogList, error) {
	switch {
	case w.Source == "" || w.Source == LogListEmbedded:
		return w.use(embeddedLogList, LogListEmbedded, nil)
	case w.Source == LogListDefault:
		return w.fallback()
	case w.url() != "":
		l, _, err := w.Refresh(ctx)
		if err == nil {
			return l, nil
		}
		if l, ferr := w.fallback(); ferr == nil && w.Status().Source != LogListEmbedded {
			w.failed(err)
			return l, nil
		}
		return nil, err
	}
	l, _, err := w.Refresh(ctx)
	return l, err
}

// fallback uses the saved copy when there is a readable one, else the embedded copy.
func (w *LogListWatcher) fallback() (*LogList, error) {
	if p := w.savedPath(); p != "" {
		if data, err := os.ReadFile(p); err == nil {
			if l, err := w.use(data, p, nil); err == nil {
				return l, nil
			}
		}
	}
	return w.use(embeddedLogList, LogListEmbedded, nil)
}

// use parses data and, when it is good, puts it in force.
func (w *LogListWatcher) use(data []byte, src string, fetched *time.Time) (*LogList, error) {
	l, err := ParseLogListAt(data, w.now())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur = l
	w.status = LogListStatus{Source: src, FetchedAt: fetched, ListTimestamp: l.Timestamp, Version: l.Version, Logs: len(l.Logs)}
	return l, nil
}

// Refresh fetches a URL list or re-reads a file that changed. It returns the list in force and
// whether it was replaced; on an error the list in force stays and LastError says why.
func (w *LogListWatcher) Refresh(ctx context.Context) (*LogList, bool, error) {
	var data []byte
	var err error
	var fetched *time.Time
	src := w.Source
	switch u := w.url(); {
	case w.Source == "" || w.Source == LogListEmbedded:
		return w.Current(), false, nil
	case u != "":
		src = u
		ctx, cancel := context.WithTimeout(ctx, logListFetchTimeout)
		defer cancel()
		client := w.Client
		if client == nil {
			client = http.DefaultClient
		}
		data, err = httpGet(ctx, client, u, maxLogListBytes)
		now := time.Now()
		fetched = &now
	default:
		fi, serr := os.Stat(w.Source)
		if serr == nil && w.Current() != nil && fi.ModTime().Equal(w.fileMod) && fi.Size() == w.fileLen {
			return w.Current(), false, nil
		}
		data, err = os.ReadFile(w.Source)
		if err == nil {
			w.fileMod, w.fileLen = fi.ModTime(), fi.Size()
		}
	}
	if err != nil {
		return w.Current(), false, w.failed(fmt.Errorf("log list %s: %w", src, err))
	}
	l, err := w.use(data, src, fetched)
	if err != nil {
		return w.Current(), false, w.failed(fmt.Errorf("log list %w", err))
	}
	if fetched != nil {
		if err := w.save(data); err != nil {
			w.failed(err) // the fetched list is in force all the same
		}
	}
	return l, true, nil
}

// save keeps data as the last good copy, written whole (temp file, then rename).
func (w *LogListWatcher) save(data []byte) error {
	p := w.savedPath()
	if p == "" {
		return nil
	}
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(w.DataDir, 0o700); err != nil {
		return fmt.Errorf("saving the log list: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("saving the log list: %w", err)
	}
	return os.Rename(tmp, p)
}

func (w *LogListWatcher) failed(err error) error {
	w.mu.Lock()
	w.status.LastError = err.Error()
	w.mu.Unlock()
	return err
}

// Current is the list in force (nil before Start).
func (w *LogListWatcher) Current() *LogList {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cur
}

// Status describes the list in force; Logs is the count of its followed logs.
func (w *LogListWatcher) Status() LogListStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Fallback says whether the list in force is a fallback copy for "default" or a URL (the saved
// copy or the embedded one) rather than a fetched list, and how old it is.
func (w *LogListWatcher) Fallback() (bool, time.Duration) {
	st := w.Status()
	if w.url() == "" || st.FetchedAt != nil {
		return false, 0
	}
	return true, w.now().Sub(st.ListTimestamp)
}
