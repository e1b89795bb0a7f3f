// Package app assembles certhunt from its parts for `certhunt serve`: store, watchlist, threat
// intel, sources, pipeline, notifications, certstream hub and the HTTP server, all run until the
// context ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/certstream"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/intel"
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/pipeline"
	"github.com/certhunt/certhunt/internal/server"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/ui"
	"github.com/certhunt/certhunt/internal/watchlist"
)

// App is a running certhunt.
type App struct {
	cfg       *config.Config
	log       *slog.Logger
	Store     *incident.Store
	Watchlist *watchlist.Manager
	Pipeline  *pipeline.Pipeline
	Hub       *certstream.Hub
	Intel     *intel.Manager
	Notifier  *notify.Dispatcher
	Sources   []source.Source
	handler   http.Handler
	auth      *auth.Auth
}

// defaultWatchlistFile is optional: serve runs without it until the UI or API writes one.
const defaultWatchlistFile = "homographs.json"

// DetectOptions maps the configuration to the detection engine's options.
func DetectOptions(cfg *config.Config) detect.Options {
	return detect.Options{
		LevenshteinThreshold: cfg.Watchlist.LevenshteinThreshold,
		Allow:                cfg.Watchlist.Allow,
		IncidentThreshold:    cfg.Scoring.IncidentThreshold,
		Weights:              cfg.Scoring.Weights,
	}
}

// FeedConfigs maps the configuration's feeds to the intel package's.
func FeedConfigs(cfg *config.Config) []intel.FeedConfig {
	feeds := make([]intel.FeedConfig, len(cfg.Intel.Feeds))
	for i, f := range cfg.Intel.Feeds {
		feeds[i] = intel.FeedConfig{Name: f.Name, URL: f.URL, File: f.File, Format: f.Format, Refresh: f.Refresh,
			Weight: f.Weight, Username: f.Username, Password: f.Password, Token: f.Token}
	}
	return feeds
}

// New builds every part; nothing runs until Run. It fails on anything a restart would not fix:
// a bad log list, an unreadable database, an invalid homograph list file.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: log}
	var err error
	if a.auth, err = newAuth(cfg, log); err != nil {
		return nil, err
	}
	if len(cfg.Auth.Tokens) == 0 && !config.IsLoopback(cfg.Listen) && !cfg.Auth.AllowInsecure {
		return nil, fmt.Errorf("listen: %s is not a loopback address and auth.tokens is empty: set tokens (or auth.allow_insecure)", cfg.Listen)
	}
	if err := privateDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	store, err := incident.Open(ctx, cfg.DataDir, cfg.Database)
	if err != nil {
		return nil, err
	}
	a.Store = store

	if len(cfg.Intel.Feeds) > 0 {
		a.Intel, err = intel.NewManager(FeedConfigs(cfg), intel.Options{DataDir: cfg.DataDir, Logger: log.With("part", "intel")})
		if err != nil {
			return nil, err
		}
	}

	opts := DetectOptions(cfg)
	if a.Intel != nil {
		opts.Intel = a.Intel
	}
	a.Watchlist = watchlist.New(watchlist.Options{
		File: cfg.Watchlist.File, URL: cfg.Watchlist.URL, Optional: cfg.Watchlist.File == defaultWatchlistFile,
		Interval: cfg.Watchlist.UpdateInterval, Detect: opts, Logger: log.With("part", "watchlist"),
	})
	allowed, err := store.Allowed(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Watchlist.SetAllow(allowed); err != nil {
		return nil, err
	}
	if err := a.Watchlist.Load(ctx); err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}

	if cfg.CertstreamServer.Enabled {
		a.Hub = certstream.NewHub(certstream.HubOptions{Prefix: cfg.CertstreamServer.PathPrefix, Logger: log.With("part", "certstream-server")})
	}
	if len(cfg.Notify) > 0 {
		if a.Notifier, err = newNotifier(cfg, log, store); err != nil {
			return nil, err
		}
	}
	if err := a.buildSources(ctx); err != nil {
		return nil, err
	}

	a.Pipeline = &pipeline.Pipeline{Store: store, Index: a.Watchlist.Index, Logger: log.With("part", "pipeline"), OnChange: a.onChange}
	if own, err := newIssuance(cfg, log, store, a.Watchlist); err != nil {
		return nil, err
	} else if own != nil {
		a.Pipeline.Issuance = own
	}
	if a.Hub != nil {
		a.Pipeline.Publish = a.Hub.Publish
	}
	a.handler = a.buildServer().Handler()
	return a, nil
}

// onChange forwards new and raised incidents to the notifiers, except those an analyst has
// already called a false positive.
func (a *App) onChange(ch incident.Change) {
	if a.Notifier == nil || ch.Incident.Verdict == incident.VerdictFalsePositive {
		return
	}
	switch {
	case ch.Created:
		a.Notifier.Notify(notify.Event{Kind: "new", Incident: ch.Incident})
	case ch.Raised:
		a.Notifier.Notify(notify.Event{Kind: "severity_raised", Incident: ch.Incident})
	}
}

func newNotifier(cfg *config.Config, log *slog.Logger, store *incident.Store) (*notify.Dispatcher, error) {
	base := cfg.PublicURL
	if base == "" {
		base = "http://" + cfg.Listen
	}
	return notify.New(cfg.Notify, notify.Options{
		Logger:  log.With("part", "notify"),
		BaseURL: base,
		OnDelivery: func(d notify.Delivery) {
			err := store.SetDelivery(context.Background(), d.IncidentID, incident.Delivery{Target: d.Target, Status: d.Status,
				Attempts: d.Attempts, LastError: d.LastError, At: d.At})
			if err != nil {
				log.Error("record delivery", "incident", d.IncidentID, "target", d.Target, "err", err)
			}
		},
	})
}

// buildSources makes a follower per usable log and a client per certstream server.
func (a *App) buildSources(ctx context.Context) error {
	ct := a.cfg.Sources.CT
	if ct.Enabled {
		logs, err := ctlog.LoadLogList(ctx, ct.LogList, nil)
		if err != nil {
			return fmt.Errorf("sources.ct.log_list: %w", err)
		}
		for i, l := range ct.Logs {
			info, err := ctlog.NewLogInfo(l.Name, l.URL, l.Type, decodeKey(l.Key))
			if err != nil {
				return fmt.Errorf("sources.ct.logs[%d]: %w", i, err)
			}
			logs = append(logs, info)
		}
		for _, info := range logs {
			f, err := ctlog.NewFollower(info, ctlog.FollowerOptions{
				DataDir: filepath.Join(a.cfg.DataDir, "cursors"), Start: ct.Start, Parallel: ct.Parallel,
				BatchSize: ct.BatchSize, PollInterval: ct.PollInterval, MinBackoff: ct.MinBackoff,
				PartialTileAge: ct.PartialTileAge, Logger: a.log,
			})
			if err != nil {
				return err
			}
			a.Sources = append(a.Sources, f)
		}
		a.log.Info("following CT logs", "logs", len(logs), "start", ct.Start)
	}
	for _, cs := range a.cfg.Sources.Certstream {
		a.Sources = append(a.Sources, certstream.NewClient(certstream.ClientOptions{URL: cs.URL, Name: cs.Name,
			Logger: a.log}))
	}
	return nil
}

func (a *App) sourceStatuses() []source.Status {
	out := make([]source.Status, len(a.Sources))
	for i, s := range a.Sources {
		out[i] = s.Status()
	}
	return out
}

func (a *App) buildServer() *server.Server {
	s := &server.Server{
		Store: a.Store, Watchlist: a.Watchlist, Sources: a.sourceStatuses,
		Generate: func(domains, fuzzers []string) (homograph.List, error) {
			return homograph.Generate(domains, fuzzers, homograph.GenerateOptions{})
		},
		Export:  exportIncidents,
		OnAllow: a.reloadAllow,
		UI:      ui.Handler(),
		Metrics: a.metricsHandler(),
		Logger:  a.log.With("part", "server"),
	}
	s.Inventory = server.InventoryOptions{ExpiryWindow: a.cfg.Issuance.ExpiryWindow, NewWindow: a.cfg.Issuance.NewNameWindow}
	if a.Intel != nil {
		s.Feeds = func() any { return a.Intel.Status() }
	}
	if a.Hub != nil {
		s.Certstream, s.CertstreamPrefix = a.Hub.Handler(), a.cfg.CertstreamServer.PathPrefix
	}
	s.Auth = a.auth.Middleware
	return s
}

func (a *App) reloadAllow(ctx context.Context) error {
	allowed, err := a.Store.Allowed(ctx)
	if err != nil {
		return err
	}
	return a.Watchlist.SetAllow(allowed)
}

// Handler is the HTTP surface (for tests that drive the app without a listener).
func (a *App) Handler() http.Handler { return a.handler }

// Run runs everything until ctx ends, serving HTTP on ln (or on the configured address when ln is nil).
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.Listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	if len(a.cfg.Auth.Tokens) == 0 {
		a.log.Warn("no auth tokens configured: the API and UI are open to anyone who can reach " + ln.Addr().String())
	}
	a.log.Info("serving", "url", "http://"+ln.Addr().String()+"/", "data_dir", a.cfg.DataDir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	goRun := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }

	goRun(func() { a.Watchlist.Run(ctx) })
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	goRun(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				a.log.Info("SIGHUP: re-reading the homograph list")
				a.Watchlist.Reload()
			}
		}
	})
	if a.Intel != nil {
		a.loadIntelFirst(ctx)
		// OnUpdate runs on the refreshing goroutine; the re-check may take a while.
		a.Intel.OnUpdate(func(feed string, added []string) { go a.raiseForIntel(ctx, feed, added) })
		goRun(func() { a.Intel.Run(ctx) })
	}
	if a.Notifier != nil {
		goRun(func() { a.Notifier.Run(ctx) })
	}
	goRun(func() { a.runExpirySweeps(ctx) })
	for _, src := range a.Sources {
		ch := make(chan source.Batch, 4)
		goRun(func() {
			if err := src.Run(ctx, ch); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("source stopped", "source", src.Status().Name, "err", err)
			}
		})
		goRun(func() { a.Pipeline.Run(ctx, ch) })
	}
	srv := newHTTPServer(ctx, a.handler)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		cancel()
	}
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	srv.Shutdown(shutdown)
	if a.Hub != nil {
		a.Hub.Close()
	}
	wg.Wait()
	a.Store.Close()
	a.log.Info("stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// loadIntelFirst fetches, before any source starts, each feed that has no saved copy yet, so
// the first certificates are already checked against it. A slow feed delays start by at most
// 15 s; it is fetched again by the feed's own schedule.
func (a *App) loadIntelFirst(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, f := range a.Intel.Status() {
		if f.LastRefresh != nil {
			continue
		}
		wg.Go(func() {
			if err := a.Intel.Refresh(ctx, f.Name); err != nil {
				a.log.Warn("threat-intel feed not loaded at start", "feed", f.Name, "err", err)
			}
		})
	}
	wg.Wait()
}

// raiseForIntel re-checks the names of open incidents when a feed gains indicators, so an
// incident whose domain is newly flagged gets the hit and a higher score.
func (a *App) raiseForIntel(ctx context.Context, feed string, added []string) {
	if len(added) == 0 {
		return
	}
	open, err := a.Store.OpenDomains(ctx)
	if err != nil {
		a.log.Error("intel update: list open incidents", "err", err)
		return
	}
	ix := a.Watchlist.Index()
	for id, names := range open {
		inc, err := a.Store.Get(ctx, id)
		if err != nil {
			continue
		}
		for _, name := range names {
			for _, al := range ix.Check(name) {
				if al.Asset != inc.Asset || len(al.IntelHits) == 0 {
					continue
				}
				raised, err := a.Store.Raise(ctx, id, al)
				if err != nil {
					a.log.Error("intel update: raise incident", "id", id, "err", err)
					continue
				}
				a.log.Info("incident matched new threat intel", "id", id, "feed", feed, "domain", name)
				if raised && a.Notifier != nil {
					if cur, err := a.Store.Get(ctx, id); err == nil {
						a.Notifier.Notify(notify.Event{Kind: "severity_raised", Incident: *cur})
					}
				}
			}
		}
	}
}
