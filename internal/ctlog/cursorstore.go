package ctlog

import "fmt"

// CursorStore keeps followers' cursors somewhere shared instead of DataDir's files: in a
// cluster, the node that takes a log over must resume from the last cursor any node committed.
type CursorStore interface {
	// LoadCursor returns the saved position of the log at url; ok is false when there is none.
	LoadCursor(url string) (position int64, ok bool, err error)
	// SaveCursor records that every entry before position has been handled.
	SaveCursor(url, name string, position int64) error
}

func (f *Follower) loadStoredCursor() (int64, bool, error) {
	pos, ok, err := f.opts.Cursors.LoadCursor(f.info.URL)
	if err != nil {
		return 0, false, fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	if ok && pos < 0 {
		return 0, false, fmt.Errorf("log %q cursor: negative position %d", f.info.Name, pos)
	}
	return pos, ok, nil
}

func (f *Follower) saveStoredCursor(position int64) error {
	if err := f.opts.Cursors.SaveCursor(f.info.URL, f.info.Name, position); err != nil {
		return fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	return nil
}
