package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/certhunt/certhunt/internal/app"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/verdict"
)

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object per line (SPEC.md \"check output\")")
	cfg, code := parseFlags(fs, args, stderr, "[DOMAIN|URL...]")
	if cfg == nil {
		return code
	}
	det, err := checkDetection(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt check: %v\n", err)
		return 2
	}
	ix := det.Watchlist.Index()
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var table *tabwriter.Writer
	if !*asJSON {
		table = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(table, "DOMAIN\tSCORE\tSEVERITY\tINCIDENT\tASSET\tREASONS")
		defer table.Flush()
	}
	enc := json.NewEncoder(out)
	status := 0
	emit := func(input string) {
		r := verdict.Check(ix, input)
		if r.Error != "" {
			status = 1
		}
		if *asJSON {
			enc.Encode(r)
			return
		}
		if r.Error != "" {
			fmt.Fprintf(table, "%s\t-\t-\t-\t-\terror: %s\n", input, r.Error)
			return
		}
		var why []string
		for _, re := range r.Reasons {
			why = append(why, fmt.Sprintf("%s(+%d)", re.Rule, re.Points))
		}
		fmt.Fprintf(table, "%s\t%d\t%s\t%v\t%s\t%s\n", r.Domain, r.Score, r.Severity, r.Incident, r.Asset, strings.Join(why, " "))
	}
	if fs.NArg() > 0 {
		for _, d := range fs.Args() {
			emit(d)
		}
		return status
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		emit(sc.Text()) // every line gets a result line, in order: junk gets an error line
		if ctx.Err() != nil {
			return 1
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "certhunt check: reading stdin: %v\n", err)
		return 1
	}
	return status
}

// checkDetection builds the detection serve would use with this config (app.NewDetection): the
// list, the feeds (saved copies, or a first fetch) and the analysts' allow list when a
// database exists (check never creates one).
func checkDetection(ctx context.Context, cfg *config.Config, stderr io.Writer) (*app.Detection, error) {
	var allowed []string
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "certhunt.db")); cfg.Database != "" || err == nil {
		store, err := incident.Open(ctx, cfg.DataDir, cfg.Database)
		if err != nil {
			return nil, err
		}
		allowed, err = store.Allowed(ctx)
		store.Close()
		if err != nil {
			return nil, err
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	det, err := app.NewDetection(ctx, cfg, allowed, log)
	if err != nil {
		return nil, err
	}
	if det.Watchlist.Info().Assets == 0 {
		fmt.Fprintf(stderr, "certhunt check: warning: the homograph list (%s) is empty or absent: only threat-intel feeds can match\n",
			cmp.Or(cfg.Watchlist.URL, cfg.Watchlist.File, "none"))
	}
	return det, nil
}
