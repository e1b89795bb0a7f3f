package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/homograph"
)

// Preflight reads the local files serve would refuse to start without: the homograph list
// (unless it is the optional default and absent) and a log list given as a path. With
// Validate it is what "certhunt config check" runs, so that the check refuses what serve would.
// URLs and databases are not contacted: they may be reachable only from where serve runs.
func Preflight(ctx context.Context, cfg *config.Config) error {
	var errs []error
	if f := cfg.Watchlist.File; f != "" && cfg.Watchlist.URL == "" {
		_, err := homograph.LoadFile(f)
		if errors.Is(err, os.ErrNotExist) && f == config.DefaultWatchlistFile {
			err = nil // serve starts with an empty list and writes this file when one is made
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("watchlist.file: %w", err))
		}
	}
	if ct := cfg.Sources.CT; ct.Enabled && ct.LogList != "embedded" && !strings.Contains(ct.LogList, "://") {
		if _, err := ctlog.LoadLogList(ctx, ct.LogList, nil); err != nil {
			errs = append(errs, fmt.Errorf("sources.ct.log_list: %w", err))
		}
	}
	return errors.Join(errs...)
}
