package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/certhunt/certhunt/internal/app"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/intel"
)

// checkResult is one line of `check -json` (SPEC.md "check output").
type checkResult struct {
	Domain   string          `json:"domain"`
	Score    int             `json:"score"`
	Severity string          `json:"severity"`
	Incident bool            `json:"incident"`
	Asset    string          `json:"asset"`
	Matched  detect.Matched  `json:"matched"`
	Reasons  []detect.Reason `json:"reasons"`
	// Beyond SPEC's minimum: the forms the engine compared.
	DomainUnicode    string            `json:"domain_unicode,omitempty"`
	RegisteredDomain string            `json:"registered_domain,omitempty"`
	IntelHits        []detect.IntelHit `json:"intel_hits,omitempty"`
}

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	cfg, code := parseFlags(fs, args, stderr)
	if cfg == nil {
		return code
	}
	ix, err := checkIndex(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "certhunt check: %v\n", err)
		return 2
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var table *tabwriter.Writer
	if !*asJSON {
		table = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(table, "DOMAIN\tSCORE\tSEVERITY\tINCIDENT\tASSET\tREASONS")
		defer table.Flush()
	}
	enc := json.NewEncoder(out)
	emit := func(domain string) {
		a := ix.Evaluate(domain)
		r := checkResult{Domain: domain, Score: a.Score, Severity: a.Severity, Incident: a.Incident, Asset: a.Asset,
			Matched: a.Matched, Reasons: a.Reasons, DomainUnicode: a.DomainUnicode, RegisteredDomain: a.RegisteredDomain,
			IntelHits: a.IntelHits}
		if r.Reasons == nil {
			r.Reasons = []detect.Reason{}
		}
		if *asJSON {
			enc.Encode(r)
			return
		}
		var why []string
		for _, re := range r.Reasons {
			why = append(why, fmt.Sprintf("%s(+%d)", re.Rule, re.Points))
		}
		fmt.Fprintf(table, "%s\t%d\t%s\t%v\t%s\t%s\n", domain, r.Score, r.Severity, r.Incident, r.Asset, strings.Join(why, " "))
	}
	if fs.NArg() > 0 {
		for _, d := range fs.Args() {
			emit(d)
		}
		return 0
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if d := strings.TrimSpace(sc.Text()); d != "" && !strings.HasPrefix(d, "#") {
			emit(d)
		}
		if ctx.Err() != nil {
			return 1
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "certhunt check: reading stdin: %v\n", err)
		return 1
	}
	return 0
}

// checkIndex builds the same index serve would: the configured list, the analysts' allow list
// when a database exists, and the last good copy of each threat-intel feed.
func checkIndex(cfg *config.Config, stderr io.Writer) (*detect.Index, error) {
	list := homograph.List{}
	if cfg.Watchlist.File != "" {
		l, err := homograph.LoadFile(cfg.Watchlist.File)
		switch {
		case err == nil:
			list = l
		case os.IsNotExist(err):
			fmt.Fprintf(stderr, "certhunt check: warning: no homograph list at %s; nothing can match\n", cfg.Watchlist.File)
		default:
			return nil, fmt.Errorf("watchlist: %w", err)
		}
	}
	opts := app.DetectOptions(cfg)
	// SQLite: only when serve or scan made the database; PostgreSQL: whenever one is configured.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "certhunt.db")); cfg.Database != "" || err == nil {
		store, err := incident.Open(context.Background(), cfg.DataDir, cfg.Database)
		if err != nil {
			return nil, err
		}
		allowed, err := store.Allowed(context.Background())
		store.Close()
		if err != nil {
			return nil, err
		}
		opts.Allow = append(opts.Allow, allowed...)
	}
	if len(cfg.Intel.Feeds) > 0 {
		m, err := intel.NewManager(app.FeedConfigs(cfg), intel.Options{DataDir: cfg.DataDir})
		if err != nil {
			return nil, err
		}
		opts.Intel = m
	}
	return detect.Build(list, opts)
}
