package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/certhunt/certhunt/internal/app"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/pipeline"
)

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	logURL := fs.String("log", "", "the log's URL (RFC 6962 base URL, or a static-ct-api monitoring URL)")
	logType := fs.String("type", "", "rfc6962 or static (default: guessed from the URL, rfc6962 when unsure)")
	from := fs.Int64("from", 0, "first index to read")
	to := fs.Int64("to", -1, "index to stop before (default: the current tree size)")
	key := fs.String("key", "", "the log's public key, base64 DER, to verify its tree head")
	since := fs.Duration("since", 0, "read the entries logged in this last while (e.g. 24h) instead of from -from")
	cfg, code := parseFlags(fs, args, stderr, "(-log URL is required)")
	if cfg == nil {
		return code
	}
	if *logURL == "" {
		fmt.Fprintln(stderr, "certhunt scan: -log URL is required")
		return 2
	}
	// Argument errors come before any work: the range here, against the log's tree next.
	if *from < 0 || (*to >= 0 && *to < *from) {
		fmt.Fprintf(stderr, "certhunt scan: -from %d -to %d is not a range of entries\n", *from, *to)
		return 2
	}
	fromSet := false
	fs.Visit(func(f *flag.Flag) { fromSet = fromSet || f.Name == "from" })
	if *since < 0 || (*since > 0 && fromSet) {
		fmt.Fprintln(stderr, "certhunt scan: -since takes a positive duration and replaces -from")
		return 2
	}
	der, err := ctlog.DecodeKey(*key)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: -key: %v\n", err)
		return 2
	}
	info, err := scanLogInfo(ctx, cfg, *logURL, *logType, der)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	scanOpts := cfg.Sources.CT.FollowerOptions()
	scanOpts.Logger = log
	if *since > 0 {
		first, _, err := ctlog.FindSince(ctx, info, time.Now().Add(-*since), scanOpts)
		if err != nil {
			fmt.Fprintf(stderr, "certhunt scan: -since: %v\n", err)
			return 1
		}
		if *to >= 0 && first > *to {
			first = *to
		}
		*from = first
	}
	end, err := ctlog.ScanBounds(ctx, info, *from, *to, scanOpts)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		if _, ok := errors.AsType[*ctlog.RangeError](err); ok {
			return 2
		}
		return 1
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		fmt.Fprintf(stderr, "certhunt scan: data_dir: %v\n", err)
		return 1
	}
	store, err := incident.Open(ctx, cfg.DataDir, cfg.Database)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		return 1
	}
	defer store.Close()
	allowed, err := store.Allowed(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		return 1
	}
	det, err := app.NewDetection(ctx, cfg, allowed, log)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		return 2
	}
	ix := det.Watchlist.Index()
	p := &pipeline.Pipeline{Store: store, Index: func() *detect.Index { return ix }, Logger: log}

	var bar *progressbar.ProgressBar
	var read atomic.Int64 // entries done, as ScanRange last reported
	// ScanRange reports entries done out of the range's length, both counted from -from.
	progress := func(done, all int64) {
		read.Store(done)
		if bar == nil && isTerminal(stderr) {
			bar = entriesBar(stderr, all, "scanning")
		}
		if bar != nil {
			bar.Set64(done)
		}
	}
	start := time.Now()
	err = app.ReadRange(ctx, p, info, *from, end, scanOpts, progress)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	st := p.Stats()
	elapsed := time.Since(start)
	rate := float64(st.Entries.Load()) / max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(stdout, "scanned %s (%s) [%d, %d): read %d of %d, entries %d, malformed %d, alerts %d, incidents opened %d, elapsed %s, %.0f entries/s\n",
		info.Name, info.URL, *from, end, read.Load(), end-*from, st.Entries.Load(), st.Malformed.Load(), st.Alerts.Load(), st.IncidentsOpened.Load(),
		elapsed.Round(time.Millisecond), rate)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		return 1
	}
	return 0
}

// scanLogInfo describes the log at u as serve would: the entry with that URL in the
// configured log list or extra logs (their name, type and key), else the URL itself, with
// -type or a guess.
func scanLogInfo(ctx context.Context, cfg *config.Config, u, typ string, der []byte) (ctlog.LogInfo, error) {
	var known []ctlog.LogInfo
	// serve's list: for "default" its saved copy (else the embedded one), without the network.
	w := &ctlog.LogListWatcher{Source: cfg.Sources.CT.LogList, DataDir: cfg.DataDir}
	if l, err := w.Start(ctx); err == nil {
		known = append(l.Logs, l.Expired...)
	}
	for _, l := range cfg.Sources.CT.Logs {
		key, err := ctlog.DecodeKey(l.Key)
		if err != nil || len(key) == 0 {
			key = nil
		}
		if info, err := ctlog.NewLogInfo(l.Name, l.URL, l.Type, key); err == nil {
			known = append(known, info)
		}
	}
	if info, ok := ctlog.FindLog(known, u); ok {
		if typ != "" && typ != info.Type {
			return ctlog.LogInfo{}, fmt.Errorf("-type %s, but %s is a %s log (%s)", typ, u, info.Type, info.Name)
		}
		if der != nil {
			sub := info.SubmissionURL
			var err error
			if info, err = ctlog.NewLogInfo(info.Name, info.URL, info.Type, der); err != nil {
				return ctlog.LogInfo{}, err
			}
			info.SubmissionURL = sub
		}
		return info, nil
	}
	if typ == "" {
		typ = guessLogType(ctx, u)
	}
	return ctlog.NewLogInfo(u, u, typ, der)
}

// guessLogType asks the URL for a static-ct-api checkpoint; a log that serves one is static.
func guessLogType(ctx context.Context, url string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(url, "/")+"/checkpoint", nil)
	if err != nil {
		return "rfc6962"
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "rfc6962"
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK && bytes.Count(head, []byte("\n")) >= 3 && !bytes.HasPrefix(head, []byte("{")) {
		return "static"
	}
	return "rfc6962"
}

// entriesBar is the progress bar scan and hunt draw on a terminal: total entries, described by desc.
func entriesBar(w io.Writer, total int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("entries"),
		progressbar.OptionThrottle(200*time.Millisecond))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
