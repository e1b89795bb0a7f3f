package notify

import (
	"context"
	"fmt"
	"os"
)

// file appends one JSON document per line to a file, for SIEM agents that tail files. The file is
// opened for each event so that rotation by an outside tool is picked up.
type file struct {
	cfg   Config
	links linker
}

func (f *file) send(_ context.Context, ev Event) error {
	line, err := marshalPayload(ev, f.links)
	if err != nil {
		return permanentError{err}
	}
	line = append(line, '\n')
	fh, err := os.OpenFile(f.cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("opening %s: %w", f.cfg.Path, err)
	}
	// One write call per line: with O_APPEND concurrent writers never interleave within a line.
	if _, err := fh.Write(line); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", f.cfg.Path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", f.cfg.Path, err)
	}
	return nil
}
