package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/source"
)

// logLists keeps the CT logs followed in step with the configured log list while serve runs:
// a log added to the list is followed, one that turns retired, expires or leaves the list is
// stopped and keeps its row (with that state) until restart. Guarded by App.srcMu.
type logLists struct {
	w *ctlog.LogListWatcher
	// listed maps each list log's URL to its source.
	listed map[string]source.Source
	// kick asks for a refresh now (tests).
	kick chan struct{}
	// fileEvery is how often a file list is checked for changes (a stat; it is re-read only
	// when it changed), so that an edit applies within seconds, not at the next refresh.
	fileEvery time.Duration
}

// logListFileCheck is fileEvery's default, as the homograph list file's.
const logListFileCheck = 2 * time.Second

// sourceCtl is how Run controls one running source.
type sourceCtl struct {
	cancel context.CancelFunc
	// state overrides the source's own State: the list state it now has, or why it stopped.
	state   string
	stopped bool
}

// loadLogList starts the watcher and returns the logs to follow first. For "default" this
// never touches the network (the saved copy, else the embedded one); Run fetches the list.
func (a *App) loadLogList(ctx context.Context) ([]ctlog.LogInfo, error) {
	ct := a.cfg.Sources.CT
	w := &ctlog.LogListWatcher{Source: ct.LogList, DataDir: a.cfg.DataDir}
	l, err := w.Start(ctx)
	if err != nil {
		return nil, err
	}
	a.ll = &logLists{w: w, listed: map[string]source.Source{}, kick: make(chan struct{}, 1), fileEvery: logListFileCheck}
	return l.Logs, nil
}

// newCTSource builds the source that follows one log: a follower, or in a cluster a follower
// that runs while this node holds the log's lease.
func (a *App) newCTSource(info ctlog.LogInfo) (source.Source, error) {
	opts := a.cfg.Sources.CT.FollowerOptions()
	opts.DataDir, opts.Logger = filepath.Join(a.cfg.DataDir, "cursors"), a.log
	// The full stream carries each entry's chain; static logs serve it by hash.
	opts.FullChain = a.Hub != nil
	if a.cluster != nil {
		return a.leasedFollower(info, opts)
	}
	return ctlog.NewFollower(info, opts)
}

// sources is a snapshot of the sources, which grow while the log list changes.
func (a *App) sources() []source.Source {
	a.srcMu.Lock()
	defer a.srcMu.Unlock()
	return append([]source.Source(nil), a.Sources...)
}

// stoppedSource says whether src was stopped because of the log list (it does not count
// against readiness).
func (a *App) stoppedSource(src source.Source) bool {
	a.srcMu.Lock()
	defer a.srcMu.Unlock()
	c := a.ctl[src]
	return c != nil && c.stopped
}

// status is src's row, with the state the log list gave it.
func (a *App) status(src source.Source) source.Status {
	st := src.Status()
	a.srcMu.Lock()
	defer a.srcMu.Unlock()
	if c := a.ctl[src]; c != nil && c.state != "" {
		st.State = c.state
	}
	return st
}

// ctlLocked is src's control, made when missing (a.srcMu held).
func (a *App) ctlLocked(src source.Source) *sourceCtl {
	if a.ctl == nil {
		a.ctl = map[source.Source]*sourceCtl{}
	}
	c := a.ctl[src]
	if c == nil {
		c = &sourceCtl{}
		a.ctl[src] = c
	}
	return c
}

// runSource runs src and a pipeline for its batches in g; the source can be stopped on its
// own (its pipeline finishes the batch in hand, then ends).
func (a *App) runSource(ctx context.Context, g *errgroup.Group, src source.Source) {
	sctx, cancel := context.WithCancel(ctx)
	a.srcMu.Lock()
	a.ctlLocked(src).cancel = cancel
	a.srcMu.Unlock()
	ch := make(chan source.Batch, 4)
	g.Go(func() error {
		defer close(ch)
		err := src.Run(sctx, ch)
		if err != nil && sctx.Err() == nil {
			a.failed.Store(src, err)
			a.log.Error("source stopped for good; the others go on", "source", src.Status().Name, "err", err)
		}
		return nil
	})
	g.Go(func() error {
		run := a.Pipeline.Run
		if a.cluster != nil {
			run = a.forward // to the detect nodes, through JetStream (transport.go)
		}
		if err := run(ctx, ch); err != nil && ctx.Err() == nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		return nil
	})
}

// watchLogList refreshes the log list every log_list_refresh (at once for "default") and
// applies its changes; start runs a new source.
func (a *App) watchLogList(ctx context.Context, start func(source.Source)) {
	ll := a.ll
	if ll == nil {
		return
	}
	src := a.cfg.Sources.CT.LogList
	if src == ctlog.LogListEmbedded {
		return
	}
	first := src == ctlog.LogListDefault
	t := time.NewTicker(a.cfg.Sources.CT.LogListRefresh)
	defer t.Stop()
	var fileTick <-chan time.Time
	if !first && !strings.Contains(src, "://") {
		ft := time.NewTicker(ll.fileEvery)
		defer ft.Stop()
		fileTick = ft.C
	}
	for {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-fileTick:
			case <-ll.kick:
			}
		}
		l, changed, err := ll.w.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			st := ll.w.Status()
			if fb, age := ll.w.Fallback(); fb {
				a.log.Warn(fmt.Sprintf("CT log list: %v; following the %s copy of %s (%d days old) until a fetch succeeds",
					err, st.Source, st.ListTimestamp.Format(time.DateOnly), int(age.Hours()/24)))
			} else {
				a.log.Warn("CT log list: keeping the list in force", "err", err)
			}
		case changed:
			a.applyLogList(l, start)
		}
		first = false
	}
}

// applyLogList follows the logs new to l and stops those l no longer follows.
func (a *App) applyLogList(l *ctlog.LogList, start func(source.Source)) {
	ll := a.ll
	want := map[string]ctlog.LogInfo{}
	for _, info := range l.Logs {
		want[info.URL] = info
	}
	var added []source.Source
	a.srcMu.Lock()
	for url, src := range ll.listed {
		c := a.ctlLocked(src)
		info, ok := want[url]
		switch {
		case ok && !c.stopped:
			c.state = info.State
		case !ok && !c.stopped:
			c.state, c.stopped = l.NotFollowed[url], true
			if c.state == "" {
				c.state = ctlog.StateRemoved
			}
			if c.cancel != nil {
				c.cancel()
			}
			a.log.Info("CT log no longer followed", "log", src.Status().Name, "state", c.state)
		}
	}
	for url, info := range want {
		if _, ok := ll.listed[url]; ok {
			continue
		}
		src, err := a.newCTSource(info)
		if err != nil {
			a.log.Error("CT log list: cannot follow a new log", "log", info.Name, "err", err)
			continue
		}
		ll.listed[url] = src
		a.Sources = append(a.Sources, src)
		added = append(added, src)
		a.log.Info("CT log added to the list: following it", "log", info.Name, "url", info.URL)
	}
	a.srcMu.Unlock()
	for _, src := range added {
		start(src)
	}
}

// logListStatus is GET /api/v1/loglist (only when CT logs are followed here).
func (a *App) logListStatus() any {
	st := a.ll.w.Status()
	a.srcMu.Lock()
	st.Logs = 0
	for _, src := range a.ll.listed {
		if c := a.ctl[src]; c == nil || !c.stopped {
			st.Logs++
		}
	}
	a.srcMu.Unlock()
	return st
}
