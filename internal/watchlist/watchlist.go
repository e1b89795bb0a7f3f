// Package watchlist keeps the detection index in force: it loads the homograph list from a file
// or URL, re-reads it every update interval and as soon as the file changes, accepts a new list
// through the API, and rebuilds the index when the allow list or threat intel change. A list
// that fails to load or validate is rejected with its error, and the previous index stays in force.
package watchlist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/redact"
)

// Options configure a Manager.
type Options struct {
	// File or URL is where the list comes from; with neither, the list is only set through
	// Replace. A missing File is not an error when Optional is set (the embedded default).
	File     string
	URL      string
	Optional bool
	// Interval is how often the list is re-read; the file's modification is checked every
	// FileCheck (default 2s).
	Interval  time.Duration
	FileCheck time.Duration
	// Detect holds the matching options; Allow is extended with the analysts' allow list.
	Detect     detect.Options
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// State is one loaded list with its index.
type State struct {
	List     homograph.List
	Index    *detect.Index
	LoadedAt time.Time
	Source   string
}

// Info is the watchlist's status for the API.
type Info struct {
	LoadedAt   time.Time `json:"loaded_at"`
	Source     string    `json:"source"`
	Assets     int       `json:"assets"`
	Homographs int       `json:"homographs"`
	LastError  string    `json:"last_error"`
	Reloads    int64     `json:"reloads"`
	Failures   int64     `json:"failures"`
}

// Manager holds the list and index in force. Index is lock-free; changes are serialised.
type Manager struct {
	opts    Options
	current atomic.Pointer[State]

	mu        sync.Mutex // serialises loads and rebuilds
	allow     []string   // the analysts' allow list
	intel     detect.Intel
	lastErr   string
	modTime   time.Time
	size      int64
	reloads   atomic.Int64
	failures  atomic.Int64
	lastGood  atomic.Bool
	reloadNow chan struct{}
}

// New makes a Manager with an empty list in force; call Load to read the configured one.
func New(opts Options) (*Manager, error) {
	if opts.FileCheck == 0 {
		opts.FileCheck = 2 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{opts: opts, reloadNow: make(chan struct{}, 1), intel: opts.Detect.Intel}
	ix, err := detect.Build(homograph.List{}, opts.Detect)
	if err != nil {
		return nil, fmt.Errorf("detection options: %w", err)
	}
	m.current.Store(&State{List: homograph.List{}, Index: ix, LoadedAt: time.Now(), Source: "empty"})
	return m, nil
}

// Index returns the detection index in force.
func (m *Manager) Index() *detect.Index { return m.current.Load().Index }

// Current returns the list and index in force.
func (m *Manager) Current() *State { return m.current.Load() }

// LastReloadOK says whether the latest load succeeded (for a metric).
func (m *Manager) LastReloadOK() bool { return m.lastGood.Load() }

// Info describes the list in force.
func (m *Manager) Info() Info {
	st := m.current.Load()
	m.mu.Lock()
	lastErr := m.lastErr
	m.mu.Unlock()
	n := 0
	for _, v := range st.List {
		n += len(v)
	}
	return Info{LoadedAt: st.LoadedAt, Source: st.Source, Assets: len(st.List), Homographs: n,
		LastError: lastErr, Reloads: m.reloads.Load(), Failures: m.failures.Load()}
}

// Load reads the configured list and puts it in force. On error the previous list stays.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(ctx)
}

func (m *Manager) loadLocked(ctx context.Context) error {
	list, src, err := m.read(ctx)
	if err == nil && list == nil {
		return nil // optional file absent: keep what is in force
	}
	if err == nil {
		err = m.installLocked(list, src)
	}
	m.reloads.Add(1)
	if err != nil {
		m.failures.Add(1)
		m.lastGood.Store(false)
		m.lastErr = err.Error()
		m.opts.Logger.Error("homograph list rejected; previous list stays in force", "source", src, "err", err)
		return err
	}
	m.lastGood.Store(true)
	m.lastErr = ""
	st := m.current.Load()
	m.opts.Logger.Info("homograph list loaded", "source", src, "assets", len(st.List))
	return nil
}

// read returns the configured list, or nil without error when an optional file is absent.
func (m *Manager) read(ctx context.Context) (homograph.List, string, error) {
	switch {
	case m.opts.URL != "":
		// The source is shown (watchlist info, logs, errors) with its secrets masked.
		src := redact.URL(m.opts.URL)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.opts.URL, nil)
		if err != nil {
			return nil, src, redact.Error(err, m.opts.URL)
		}
		resp, err := m.opts.HTTPClient.Do(req)
		if err != nil {
			return nil, src, redact.Error(err, m.opts.URL)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, src, fmt.Errorf("GET %s: %s", src, resp.Status)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		if err != nil {
			return nil, src, redact.Error(fmt.Errorf("GET %s: %w", src, err), m.opts.URL)
		}
		list, err := homograph.ParseList(data)
		if err != nil {
			return nil, src, fmt.Errorf("%s: %w", src, err)
		}
		return list, src, nil
	case m.opts.File != "":
		fi, err := os.Stat(m.opts.File)
		if errors.Is(err, os.ErrNotExist) && m.opts.Optional {
			return nil, m.opts.File, nil
		}
		if err != nil {
			return nil, m.opts.File, err
		}
		m.modTime, m.size = fi.ModTime(), fi.Size()
		list, err := homograph.LoadFile(m.opts.File)
		return list, m.opts.File, err
	}
	return nil, "", nil
}

// installLocked builds the index for list and swaps it in.
func (m *Manager) installLocked(list homograph.List, src string) error {
	opts := m.opts.Detect
	opts.Allow = append(append([]string{}, opts.Allow...), m.allow...)
	opts.Intel = m.intel
	ix, err := detect.Build(list, opts)
	if err != nil {
		return err
	}
	m.current.Store(&State{List: list, Index: ix, LoadedAt: time.Now(), Source: src})
	return nil
}

// Replace validates list, writes it to the configured file (atomically) when there is one, and
// puts it in force. An invalid list changes nothing.
func (m *Manager) Replace(list homograph.List) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.replaceLocked(list)
}

// Edit replaces the list in force with fn's answer for it, as Replace does. The lock is held
// from read to write, so that two analysts editing different assets at once lose nothing. fn
// gets a shallow copy: it may add and delete keys, but must not modify the slices in place.
func (m *Manager) Edit(fn func(homograph.List) (homograph.List, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.current.Load().List
	cp := make(homograph.List, len(cur))
	for k, v := range cur {
		cp[k] = v
	}
	list, err := fn(cp)
	if err != nil {
		return err
	}
	return m.replaceLocked(list)
}

func (m *Manager) replaceLocked(list homograph.List) error {
	if err := homograph.Validate(list); err != nil {
		return err
	}
	src := "api"
	if m.opts.File != "" && m.opts.URL == "" {
		if err := writeFileAtomic(m.opts.File, list); err != nil {
			return err
		}
		if fi, err := os.Stat(m.opts.File); err == nil {
			m.modTime, m.size = fi.ModTime(), fi.Size()
		}
		src = m.opts.File
	}
	if err := m.installLocked(list, src); err != nil {
		return err
	}
	m.lastErr = ""
	m.lastGood.Store(true)
	return nil
}

// Merge adds list's assets and homographs to the list in force.
func (m *Manager) Merge(list homograph.List) error {
	return m.Replace(homograph.Merge(m.current.Load().List, list))
}

// SetAllow replaces the analysts' allow list and rebuilds the index.
func (m *Manager) SetAllow(domains []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.allow = append([]string{}, domains...)
	st := m.current.Load()
	return m.installLocked(st.List, st.Source)
}

// SetIntel installs the threat-intel lookup and rebuilds the index.
func (m *Manager) SetIntel(in detect.Intel) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.intel = in
	st := m.current.Load()
	return m.installLocked(st.List, st.Source)
}

// Reload asks Run to re-read the list now.
func (m *Manager) Reload() {
	select {
	case m.reloadNow <- struct{}{}:
	default:
	}
}

// Run re-reads the list every Interval, when the file changes, and on Reload, until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	var tick <-chan time.Time
	if m.opts.Interval > 0 {
		t := time.NewTicker(m.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	var fileTick <-chan time.Time
	if m.opts.File != "" && m.opts.URL == "" {
		t := time.NewTicker(m.opts.FileCheck)
		defer t.Stop()
		fileTick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			m.Load(ctx)
		case <-m.reloadNow:
			m.Load(ctx)
		case <-fileTick:
			if m.fileChanged() {
				m.Load(ctx)
			}
		}
	}
}

func (m *Manager) fileChanged() bool {
	fi, err := os.Stat(m.opts.File)
	if err != nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return !fi.ModTime().Equal(m.modTime) || fi.Size() != m.size
}

func writeFileAtomic(path string, list homograph.List) error {
	data, err := homograph.Marshal(list)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".homographs-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
