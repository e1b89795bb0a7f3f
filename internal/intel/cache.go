package intel

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The last good copy of a feed is its parsed set, not the raw download: one file serves every
// format (MISP's many event files, TAXII's accumulated pages) and a restart needs no re-parse.

// snapshotVersion changes whenever snapshot's layout does; older files are then ignored.
const snapshotVersion = 1

// snapshot is a feed's last good set on disk, in columns (gob encodes those compactly).
type snapshot struct {
	Version int
	Format  string
	Source  string // the feed's URL or file: a copy of another source is not this feed's
	State   fetchState
	Fetched time.Time
	Stats   parseStats

	Hosts      []string
	Indicators []string // "" when equal to the host
	Threats    []string
	FirstSeen  []int64
}

func cacheDir(dataDir string) string { return filepath.Join(dataDir, "intel") }

// cacheFile names a feed's file: its name made filename-safe, plus a hash so that two names
// that sanitize alike cannot share a file.
func (m *Manager) cacheFile(f *feed) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, f.cfg.Name)
	sum := sha256.Sum256([]byte(f.cfg.Name))
	return filepath.Join(m.cache, safe+"-"+hex.EncodeToString(sum[:4])+".gob")
}

// saveLastGood writes the feed's new set atomically (temporary file, then rename).
func (m *Manager) saveLastGood(f *feed, res fetchResult, fetched time.Time) error {
	if m.cache == "" {
		return nil
	}
	snap := snapshot{
		Version: snapshotVersion, Format: f.cfg.Format, Source: f.cfg.URL + f.cfg.File,
		State: res.state, Fetched: fetched, Stats: res.stats,
		Hosts:      make([]string, 0, res.set.len()),
		Indicators: make([]string, 0, res.set.len()),
		Threats:    make([]string, 0, res.set.len()),
		FirstSeen:  make([]int64, 0, res.set.len()),
	}
	for h, e := range res.set.all() {
		ind := e.indicator
		if ind == h {
			ind = ""
		}
		snap.Hosts = append(snap.Hosts, h)
		snap.Indicators = append(snap.Indicators, ind)
		snap.Threats = append(snap.Threats, e.threatType)
		snap.FirstSeen = append(snap.FirstSeen, e.firstSeen)
	}
	if err := os.MkdirAll(m.cache, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(m.cache, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	w := bufio.NewWriterSize(tmp, 1<<20)
	err = gob.NewEncoder(w).Encode(&snap)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), m.cacheFile(f))
}

// loadLastGood installs the feed's last good copy, when there is one for this source. A
// missing or unreadable copy only means the feed starts empty.
func (m *Manager) loadLastGood(f *feed) {
	if m.cache == "" {
		return
	}
	path := m.cacheFile(f)
	snap, err := readSnapshot(path)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		m.log.Warn("intel feed: ignoring unreadable last good copy", "feed", f.cfg.Name, "path", path, "err", err)
		return
	}
	if snap.Version != snapshotVersion || snap.Format != f.cfg.Format || snap.Source != f.cfg.URL+f.cfg.File {
		m.log.Info("intel feed: ignoring last good copy of another source or version", "feed", f.cfg.Name, "path", path)
		return
	}
	b := newBuilder()
	for i, h := range snap.Hosts {
		indicator := snap.Indicators[i]
		if indicator == "" {
			indicator = h
		}
		b.put(h, indicator, snap.Threats[i], snap.FirstSeen[i])
	}
	set, err := b.set()
	if err != nil {
		m.log.Warn("intel feed: ignoring last good copy", "feed", f.cfg.Name, "path", path, "err", err)
		return
	}
	f.set.Store(set)
	f.mu.Lock()
	f.state = snap.State
	fetched := snap.Fetched
	f.status.LastRefresh = &fetched
	f.status.LastParse = snap.Stats
	f.mu.Unlock()
	m.log.Info("intel feed: loaded last good copy", "feed", f.cfg.Name, "indicators", len(snap.Hosts), "fetched", fetched)
}

func readSnapshot(path string) (*snapshot, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var snap snapshot
	if err := gob.NewDecoder(bufio.NewReaderSize(file, 1<<20)).Decode(&snap); err != nil {
		return nil, err
	}
	n := len(snap.Hosts)
	if len(snap.Indicators) != n || len(snap.Threats) != n || len(snap.FirstSeen) != n {
		return nil, fmt.Errorf("%s: columns of different lengths", path)
	}
	return &snap, nil
}
