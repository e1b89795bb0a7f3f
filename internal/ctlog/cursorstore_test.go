package ctlog_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
)

// memCursors is a CursorStore in memory, standing in for the cluster's database.
type memCursors struct {
	mu  sync.Mutex
	pos map[string]int64
}

func (m *memCursors) LoadCursor(url string) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pos[url]
	return p, ok, nil
}

func (m *memCursors) SaveCursor(url, _ string, position int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pos[url] = position
	return nil
}

// With a CursorStore, cursors go there and not to files, and a second follower (another node
// taking the log over) resumes from the first one's last commit.
func TestCursorStoreReplacesFiles(t *testing.T) {
	log := newLog(t, ctlog.TypeRFC6962)
	wants := addEntries(t, log, 300)
	dir := t.TempDir()
	store := &memCursors{pos: map[string]int64{}}
	opts := fastOptions(dir)
	opts.Cursors = store
	opts.BatchSize = 3
	first := start(t, log.Info(), opts)
	got1, _ := first.collect(t, 192)
	first.stop(t)
	if p, ok, _ := store.LoadCursor(log.Info().URL); !ok || p != int64(len(got1)) {
		t.Fatalf("stored cursor %d, %v after committing %d entries", p, ok, len(got1))
	}
	if _, err := os.Stat(ctlog.CursorPath(dir, log.Info().URL)); !os.IsNotExist(err) {
		t.Fatalf("a cursor file was written beside the store: %v", err)
	}
	opts.PartialTileAge = -1
	opts.PollInterval = time.Hour
	second := start(t, log.Info(), opts)
	got2, _ := second.collect(t, 300-len(got1))
	checkEntries(t, append(got1, got2...), 0, wants, log.Info())
}
