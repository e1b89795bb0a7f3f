package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/certhunt/certhunt/internal/app"
	"github.com/certhunt/certhunt/internal/cluster"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/hunt"
)

// runHunt is `certhunt hunt`: it splits log ranges into work items for the cluster's detect
// nodes, records the hunt and follows its progress until it is done.
func runHunt(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	since := fs.String("since", "", "hunt every followed log from the first entry logged in this last while (30d, 12h)")
	logURL := fs.String("log", "", "hunt one log instead: its URL (RFC 6962 base URL, or a static-ct-api monitoring URL)")
	logType := fs.String("type", "", "with -log: rfc6962 or static (default: guessed from the URL)")
	from := fs.Int64("from", 0, "with -log: first index to read")
	to := fs.Int64("to", -1, "with -log: index to stop before (default: the current tree size)")
	key := fs.String("key", "", "with -log: the log's public key, base64 DER, to verify its tree head")
	size := fs.Int64("item-size", hunt.DefaultItemSize, "entries per work item")
	watch := fs.String("watch", "", "follow the progress of hunt ID (started earlier) instead of starting one")
	every := fs.Duration("progress", 10*time.Second, "how often progress is printed when standard error is not a terminal")
	cfg, code := parseFlags(fs, args, stderr, "(-since 30d | -log URL [-from N] [-to M] | -watch ID)")
	if cfg == nil {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "certhunt hunt: "+format+"\n", a...)
		return code
	}
	modes := 0
	for _, set := range []bool{*since != "", *logURL != "", *watch != ""} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return fail(2, "give exactly one of -since DURATION, -log URL or -watch ID")
	}
	if !cfg.Cluster.Enabled() {
		return fail(2, "cluster.nats_url is not set: a hunt is shared out to a cluster's detect nodes (one process reads a range with certhunt scan)")
	}
	if !strings.HasPrefix(cfg.Database, "postgres://") && !strings.HasPrefix(cfg.Database, "postgresql://") {
		return fail(2, "database must be the cluster's PostgreSQL URL (postgres://...): hunts are recorded there")
	}
	if *size <= 0 {
		return fail(2, "-item-size %d: must be positive", *size)
	}
	if *every <= 0 {
		return fail(2, "-progress %v: must be positive", *every)
	}
	var window time.Duration
	if *since != "" {
		var err error
		if window, err = parseSince(*since); err != nil {
			return fail(2, "-since: %v", err)
		}
	}
	if *logURL != "" && (*from < 0 || (*to >= 0 && *to < *from)) {
		return fail(2, "-from %d -to %d is not a range of entries", *from, *to)
	}
	store, err := hunt.OpenStore(ctx, cfg.Database)
	if err != nil {
		return fail(1, "%v", err)
	}
	defer store.Close()
	id := *watch
	if id == "" {
		log := newLogger(cfg, stderr)
		opts := cfg.Sources.CT.FollowerOptions()
		opts.Logger = log
		var ranges []hunt.Range
		if *logURL != "" {
			der, err := ctlog.DecodeKey(*key)
			if err != nil {
				return fail(2, "-key: %v", err)
			}
			info, err := scanLogInfo(ctx, cfg, *logURL, *logType, der)
			if err != nil {
				return fail(2, "%v", err)
			}
			end, err := ctlog.ScanBounds(ctx, info, *from, *to, opts)
			if err != nil {
				if _, ok := errors.AsType[*ctlog.RangeError](err); ok {
					return fail(2, "%v", err)
				}
				return fail(1, "%v", err)
			}
			ranges = append(ranges, app.RangeOf(info, *from, end))
		} else {
			if ranges, err = sinceRanges(ctx, cfg, time.Now().Add(-window), opts, stderr); err != nil {
				return fail(1, "-since: %v", err)
			}
		}
		if id, err = startHunt(ctx, cfg, store, ranges, *size); err != nil {
			return fail(1, "%v", err)
		}
	}
	return watchHunt(ctx, store, id, *every, stdout, stderr)
}

// parseSince reads a duration that may also be given in days (30d).
func parseSince(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days or a duration (30d, 12h)", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a number of days or a duration (30d, 12h)", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive", s)
	}
	return d, nil
}

// sinceRanges is, for every log serve would follow (the log list in force and the extra
// logs), the range from its first entry logged at or after t (a binary search over the log's
// own timestamps) to its tree size.
func sinceRanges(ctx context.Context, cfg *config.Config, t time.Time, opts ctlog.FollowerOptions, stderr io.Writer) ([]hunt.Range, error) {
	if !cfg.Sources.CT.Enabled {
		return nil, errors.New("sources.ct.enabled is false: no log is followed")
	}
	w := &ctlog.LogListWatcher{Source: cfg.Sources.CT.LogList, DataDir: cfg.DataDir}
	l, err := w.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("sources.ct.log_list: %w", err)
	}
	logs := l.Logs
	extra, err := cfg.LogInfos()
	if err != nil {
		return nil, err
	}
	logs = append(logs, extra...)
	var out []hunt.Range
	for _, info := range logs {
		first, size, err := ctlog.FindSince(ctx, info, t, opts)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "%s: entries [%d, %d) since %s\n", info.Name, first, size, t.UTC().Format(time.RFC3339))
		if first < size {
			out = append(out, app.RangeOf(info, first, size))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no log has entries since %s", t.UTC().Format(time.RFC3339))
	}
	return out, nil
}

// startHunt records the hunt and its items, then publishes the items to the work queue.
func startHunt(ctx context.Context, cfg *config.Config, store *hunt.Store, ranges []hunt.Range, size int64) (string, error) {
	name, err := cfg.Cluster.NodeName()
	if err != nil {
		return "", err
	}
	nc, js, err := cluster.Connect(ctx, cfg.Cluster.NATSURL, name+" (hunt)", nil)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	q, err := hunt.OpenQueue(ctx, js, hunt.QueueOptions{})
	if err != nil {
		return "", err
	}
	now := time.Now()
	id := hunt.NewID(now)
	items := hunt.Split(id, ranges, size)
	if err := store.Create(ctx, id, now, ranges, items); err != nil {
		return "", err
	}
	if err := q.Publish(ctx, items); err != nil {
		return "", err
	}
	if err := nc.Flush(); err != nil {
		return "", err
	}
	return id, nil
}

// watchHunt prints a hunt's progress until it is finished (exit 0, or 1 when items failed) or
// ctx ends (Ctrl-C), which leaves the hunt running.
func watchHunt(ctx context.Context, store *hunt.Store, id string, every time.Duration, stdout, stderr io.Writer) int {
	h, err := store.Get(ctx, id)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt hunt: %s: %v\n", id, err)
		return 1
	}
	fmt.Fprintf(stderr, "hunt %s: %d work items over %d entries of %d logs; watch it with certhunt hunt -watch %s or GET /api/v1/hunts/%s\n",
		id, h.ItemsTotal, h.EntriesTotal, len(h.Ranges), id, id)
	var bar *progressbar.ProgressBar
	if isTerminal(stderr) {
		bar = entriesBar(stderr, h.EntriesTotal, "hunting")
		every = min(every, time.Second)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	shown := "" // the last progress line printed: a line is printed when it changes
	for !h.Finished {
		select {
		case <-ctx.Done():
			if bar != nil {
				fmt.Fprintln(stderr)
			}
			fmt.Fprintf(stderr, "stopped watching; hunt %s goes on in the cluster: certhunt hunt -watch %s\n", id, id)
			return 0
		case <-t.C:
		}
		if h, err = store.Get(ctx, id); err != nil {
			if ctx.Err() != nil {
				continue
			}
			fmt.Fprintf(stderr, "certhunt hunt: %s: %v\n", id, err)
			return 1
		}
		if bar != nil {
			bar.Set64(h.EntriesDone)
		} else if line := huntProgress(h); line != shown {
			shown = line
			fmt.Fprintf(stderr, "hunt %s: %s\n", id, line)
		}
	}
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	for _, e := range h.Errors {
		fmt.Fprintf(stderr, "hunt %s: %s\n", id, e)
	}
	fmt.Fprintf(stdout, "hunt %s done: %s\n", id, huntProgress(h))
	if h.ItemsFailed > 0 {
		return 1
	}
	return 0
}

// huntProgress says in one line how far a hunt got.
func huntProgress(h *hunt.Hunt) string {
	var nodes []string
	for _, n := range slices.Sorted(maps.Keys(h.Nodes)) {
		nodes = append(nodes, fmt.Sprintf("%s %d", n, h.Nodes[n]))
	}
	s := fmt.Sprintf("items %d/%d done, %d failed, %d running; entries %d/%d", h.ItemsDone, h.ItemsTotal, h.ItemsFailed,
		h.ItemsRunning, h.EntriesDone, h.EntriesTotal)
	if len(nodes) > 0 {
		s += "; items by node: " + strings.Join(nodes, ", ")
	}
	return s
}
