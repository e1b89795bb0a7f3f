package main

import (
	"bytes"
	"context"
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
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/pipeline"
	"github.com/certhunt/certhunt/internal/source"
)

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	logURL := fs.String("log", "", "the log's URL (RFC 6962 base URL, or a static-ct-api monitoring URL)")
	logType := fs.String("type", "", "rfc6962 or static (default: guessed from the URL, rfc6962 when unsure)")
	from := fs.Int64("from", 0, "first index to read")
	to := fs.Int64("to", -1, "index to stop before (default: the current tree size)")
	key := fs.String("key", "", "the log's public key, base64 DER, to verify its tree head")
	cfg, code := parseFlags(fs, args, stderr, "(-log URL is required)")
	if cfg == nil {
		return code
	}
	if *logURL == "" {
		fmt.Fprintln(stderr, "certhunt scan: -log URL is required")
		return 2
	}
	if *logType == "" {
		*logType = guessLogType(ctx, *logURL)
	}
	der, err := ctlog.DecodeKey(*key)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: -key: %v\n", err)
		return 2
	}
	info, err := ctlog.NewLogInfo(*logURL, strings.TrimSuffix(*logURL, "/"), *logType, der)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
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
	var total atomic.Int64
	progress := func(done, all int64) {
		total.Store(all)
		if bar == nil && isTerminal(stderr) {
			bar = progressbar.NewOptions64(all-*from, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("scanning"),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("entries"),
				progressbar.OptionThrottle(200*time.Millisecond))
		}
		if bar != nil {
			bar.Set64(done)
		}
	}
	start := time.Now()
	batches := make(chan source.Batch, 8)
	scanErr := make(chan error, 1)
	go func() {
		opts := cfg.Sources.CT.FollowerOptions()
		opts.Logger = log
		scanErr <- ctlog.ScanRange(ctx, info, *from, *to, opts, batches, progress)
		close(batches)
	}()
	runErr := p.Run(ctx, batches)
	err = <-scanErr
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	st := p.Stats()
	elapsed := time.Since(start)
	rate := float64(st.Entries.Load()) / max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(stdout, "scanned %s [%d, %d): entries %d, malformed %d, alerts %d, incidents opened %d, elapsed %s, %.0f entries/s\n",
		info.URL, *from, max(total.Load(), *from), st.Entries.Load(), st.Malformed.Load(), st.Alerts.Load(), st.IncidentsOpened.Load(),
		elapsed.Round(time.Millisecond), rate)
	if err == nil {
		err = runErr
	}
	if err != nil {
		fmt.Fprintf(stderr, "certhunt scan: %v\n", err)
		return 1
	}
	return 0
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

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
