// Package app assembles certhunt from its parts for `certhunt serve`: store, watchlist, threat
// intel, sources, pipeline, notifications, certstream hub and the HTTP server, all run until the
// context ends.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/certstream"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/enrich"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/intel"
	"github.com/certhunt/certhunt/internal/labelstats"
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/outbox"
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
	Enricher  *enrich.Enricher // nil when enrich.enabled is false
	Sources   []source.Source
	handler   http.Handler
	// failed holds, by source, the error of each source that stopped for good.
	failed sync.Map
	// readyEvery overrides how often readiness changes are looked for (tests).
	readyEvery time.Duration
	auth       *auth.Auth
	labels     *labelstats.Sketch // learned by the pipeline, saved by keepLabels
	cluster    *clusterPart       // nil unless cluster.nats_url is set (cluster.go)
	outbox     *outbox.Sender     // nil unless a cluster notifies (outbox.go)
	hunts      *huntPart          // nil outside a cluster (hunt.go)
	// srcMu guards Sources and ctl, which change while the log list does (loglist.go).
	srcMu sync.Mutex
	ctl   map[source.Source]*sourceCtl
	ll    *logLists // nil unless CT logs are followed here
}

// Detection is what decides verdicts. NewDetection builds it the same way for serve, check and
// scan, so that they agree: the threat-intel feeds and the homograph list with both allow lists.
type Detection struct {
	Watchlist *watchlist.Manager
	Intel     *intel.Manager // nil without feeds
	// Labels is how common each host label is (labelstats), read from the data dir, so that
	// check and scan weigh labels as serve does.
	Labels *labelstats.Sketch
}

// NewDetection loads the label statistics and the feeds (their last good copies in the data
// dir, and a first fetch of each feed that has none, as serve does before reading any
// certificate), then the homograph list, with the configured and the analysts' (allowed) allow
// lists.
func NewDetection(ctx context.Context, cfg *config.Config, allowed []string, log *slog.Logger) (*Detection, error) {
	d := &Detection{}
	opts := cfg.DetectOptions()
	if _, err := detect.Build(homograph.List{}, opts); err != nil {
		return nil, fmt.Errorf("detection options: %w", err)
	}
	labels, err := labelstats.Load(cfg.DataDir)
	if err != nil {
		log.Warn("label statistics unreadable; starting from the seed table", "err", err)
	}
	d.Labels, opts.Labels = labels, labels
	if len(cfg.Intel.Feeds) > 0 {
		m, err := intel.NewManager(cfg.FeedConfigs(), intel.Options{DataDir: cfg.DataDir, Logger: log.With("part", "intel")})
		if err != nil {
			return nil, err
		}
		loadIntelFirst(ctx, m, log)
		d.Intel, opts.Intel = m, m
	}
	d.Watchlist, err = watchlist.New(watchlist.Options{
		File: cfg.Watchlist.File, URL: cfg.Watchlist.URL, Optional: cfg.Watchlist.File == config.DefaultWatchlistFile,
		Interval: cfg.Watchlist.UpdateInterval, Detect: opts, Logger: log.With("part", "watchlist"),
	})
	if err != nil {
		return nil, err
	}
	if err := d.Watchlist.SetAllow(allowed); err != nil {
		return nil, err
	}
	if err := d.Watchlist.Load(ctx); err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	return d, nil
}

// New builds every part; nothing runs until Run. It fails on anything a restart would not fix:
// an invalid configuration, a bad log list, an unreadable database, an invalid homograph list file.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log}
	var err error
	if a.auth, err = newAuth(cfg, log); err != nil {
		return nil, err
	}
	if err := privateDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	store, err := incident.Open(ctx, cfg.DataDir, cfg.Database)
	if err != nil {
		return nil, err
	}
	a.Store = store
	fail := func(err error) (*App, error) { store.Close(); return nil, err }

	allowed, err := store.Allowed(ctx)
	if err != nil {
		return fail(err)
	}
	det, err := NewDetection(ctx, cfg, allowed, log)
	if err != nil {
		return fail(err)
	}
	a.Watchlist, a.Intel, a.labels = det.Watchlist, det.Intel, det.Labels

	if cfg.CertstreamServer.Enabled {
		a.Hub = certstream.NewHub(certstream.HubOptions{Prefix: cfg.CertstreamServer.PathPrefix, Logger: log.With("part", "certstream-server"),
			HeartbeatInterval: cfg.CertstreamServer.Heartbeat})
	}
	if len(cfg.Notify) > 0 {
		if a.Notifier, err = newNotifier(cfg, log, store, a.outboxDelivery); err != nil {
			return fail(err)
		}
	}
	if err := a.joinCluster(ctx, clusterLeases); err != nil {
		return fail(err)
	}
	fail = func(err error) (*App, error) { a.leaveCluster(); store.Close(); return nil, err }
	if err := a.startOutbox(); err != nil {
		return fail(err)
	}
	if err := a.joinHunts(ctx); err != nil {
		return fail(err)
	}
	fail = func(err error) (*App, error) { a.closeHunts(); a.leaveCluster(); store.Close(); return nil, err }
	if err := a.buildSources(ctx); err != nil {
		return fail(err)
	}
	a.Enricher = a.newEnricher(cfg, log, store)

	a.Pipeline = &pipeline.Pipeline{Store: store, Index: a.Watchlist.Index, Logger: log.With("part", "pipeline"),
		OnChange: a.onChange, Labels: a.labels}
	if own, err := newIssuance(cfg, log, store, a.Watchlist); err != nil {
		return fail(err)
	} else if own != nil {
		a.Pipeline.Issuance = own
	}
	switch {
	case a.cluster != nil && cfg.CertstreamServer.Enabled:
		a.Pipeline.Publish = a.cluster.node.PublishCert // to every api node's hub (transport.go)
	case a.Hub != nil:
		a.Pipeline.Publish = a.Hub.Publish
	}
	a.handler = a.roleHandler(a.buildServer().Handler())
	return a, nil
}

// labelsEvery is how often the label statistics are saved to the data dir (and at shutdown).
const labelsEvery = 10 * time.Minute

// keepLabels saves the label statistics the pipeline learns every interval and when serve
// stops, so that a restart keeps what was learned.
func (a *App) keepLabels(ctx context.Context, every time.Duration) {
	if a.labels == nil {
		return
	}
	save := func() {
		if err := a.labels.Save(a.cfg.DataDir); err != nil {
			a.log.Warn("saving label statistics", "err", err)
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			save()
			return
		case <-t.C:
			save()
		}
	}
}

// onChange forwards new and raised incidents to the notifiers, and new ones to the enricher.
func (a *App) onChange(ch incident.Change) {
	switch {
	case ch.Created:
		a.enqueueEnrichment(ch.Incident)
		a.notify(notify.KindNew, ch.Incident)
	case ch.Raised:
		a.notify(notify.KindSeverityRaised, ch.Incident)
	}
}

// notify is the one way incidents reach the notifiers: never one an analyst has already called
// a false positive. In a cluster the store has written the change to the outbox already, and
// the sender is only told to look.
func (a *App) notify(kind string, inc incident.Incident) {
	if a.outbox != nil {
		a.outbox.Kick()
		return
	}
	if a.Notifier == nil || inc.Verdict == incident.VerdictFalsePositive {
		return
	}
	a.Notifier.Notify(notify.Event{Kind: kind, Incident: inc})
}

func newNotifier(cfg *config.Config, log *slog.Logger, store *incident.Store, also func(notify.Delivery)) (*notify.Dispatcher, error) {
	base := cfg.PublicURL
	if base == "" {
		base = "http://" + cfg.Listen
	}
	return notify.New(cfg.NotifyConfigs(), notify.Options{
		Logger:  log.With("part", "notify"),
		BaseURL: base,
		OnDelivery: func(d notify.Delivery) {
			err := store.SetDelivery(context.Background(), d.IncidentID, incident.Delivery{Target: d.Target, Status: d.Status,
				Attempts: d.Attempts, LastError: d.LastError, At: d.At})
			if err != nil {
				log.Error("record delivery", "incident", d.IncidentID, "target", d.Target, "err", err)
			}
			also(d)
		},
	})
}

// buildSources makes a follower per followed log and a client per certstream server.
func (a *App) buildSources(ctx context.Context) error {
	ct := a.cfg.Sources.CT
	if ct.Enabled && a.followsCT() {
		logs, err := a.loadLogList(ctx)
		if err != nil {
			return fmt.Errorf("sources.ct.log_list: %w", err)
		}
		for _, info := range logs {
			src, err := a.newCTSource(info)
			if err != nil {
				return err
			}
			a.Sources = append(a.Sources, src)
			a.ll.listed[info.URL] = src
		}
		extra, err := a.cfg.LogInfos()
		if err != nil {
			return err
		}
		for _, info := range extra {
			src, err := a.newCTSource(info)
			if err != nil {
				return err
			}
			a.Sources = append(a.Sources, src)
		}
		a.log.Info("following CT logs", "logs", len(logs)+len(extra), "start", ct.Start, "log_list", a.ll.w.Status().Source)
	}
	for _, cs := range a.cfg.Sources.Certstream {
		if a.cluster != nil && !a.cfg.Cluster.Has(config.RoleIngest) {
			break
		}
		var src source.Source = certstream.NewClient(certstream.ClientOptions{URL: cs.URL, Name: cs.Name, Logger: a.log})
		if a.cluster != nil {
			src = a.leasedCertstream(src.(*certstream.Client))
		}
		a.Sources = append(a.Sources, src)
	}
	return nil
}

func (a *App) sourceStatuses() []source.Status {
	srcs := a.sources()
	out := make([]source.Status, len(srcs))
	for i, s := range srcs {
		out[i] = a.status(s)
	}
	return out
}

func (a *App) buildServer() *server.Server {
	s := &server.Server{
		Store: a.Store, Watchlist: a.Watchlist, Sources: a.apiSources,
		Generate: func(domains, fuzzers []string) (homograph.List, error) {
			return homograph.Generate(domains, fuzzers, homograph.GenerateOptions{})
		},
		Export:  exportIncidents,
		OnAllow: a.reloadAllow,
		UI:      ui.Handler(),
		Ready: func(ctx context.Context) (bool, any) {
			r := a.Readiness(ctx)
			return r.Ready, r
		},
		Metrics: a.metricsHandler(),
		Logger:  a.log.With("part", "server"),
	}
	s.Inventory = server.InventoryOptions{ExpiryWindow: a.cfg.Issuance.ExpiryWindow, NewWindow: a.cfg.Issuance.NewNameWindow}
	if a.Intel != nil {
		s.Feeds = func() any { return a.Intel.Status() }
	}
	if a.ll != nil {
		s.LogList = a.logListStatus
	}
	if a.hunts != nil {
		s.Hunts, s.Hunt = a.huntList, a.huntGet
	}
	if a.Hub != nil {
		s.Certstream, s.CertstreamPrefix = a.Hub.Handler(), a.cfg.CertstreamServer.PathPrefix
	}
	if a.Enricher != nil {
		s.Enrich = a.Enricher.Enqueue
	}
	s.Screenshots = screenshotDir(a.cfg)
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

// Run runs every part under one errgroup until ctx ends or a part fails in a way that stops
// serve (the HTTP server cannot serve). A source that fails for good does not stop serve: it is
// logged, shown in /api/v1/sources and counted against readiness (/readyz), and the others go on.
// Run serves HTTP on ln, or on the configured address when ln is nil.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	defer a.Store.Close()
	defer a.leaveCluster()
	defer a.closeHunts()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.Listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	if len(a.cfg.Auth.Tokens) == 0 {
		a.log.Warn("no auth tokens configured: the API and UI are open to anyone who can reach " + ln.Addr().String())
	}
	a.logSummary("http://" + ln.Addr().String() + "/")
	if err := a.relayCerts(ctx); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { a.Watchlist.Run(ctx); return nil })
	g.Go(func() error { a.watchReadiness(ctx, cmp.Or(a.readyEvery, readyEvery)); return nil })
	g.Go(func() error { a.keepLabels(ctx, labelsEvery); return nil })
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	g.Go(func() error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-hup:
				a.log.Info("SIGHUP: re-reading the homograph list")
				a.Watchlist.Reload()
			}
		}
	})
	if a.Intel != nil {
		// OnUpdate runs on the refreshing goroutine; the re-check may take a while.
		a.Intel.OnUpdate(func(feed string, added []string) { go a.raiseForIntel(ctx, feed, added) })
		g.Go(func() error { a.Intel.Run(ctx); return nil })
	}
	if a.Notifier != nil {
		g.Go(func() error { a.Notifier.Run(ctx); return nil })
	}
	if a.outbox != nil {
		g.Go(func() error { a.outbox.Run(ctx); return nil })
	}
	g.Go(func() error { a.runHunts(ctx); return nil })
	g.Go(func() error { a.runExpirySweeps(ctx); return nil })
	if a.Enricher != nil {
		g.Go(func() error { a.Enricher.Run(ctx); return nil })
	}
	for _, src := range a.sources() {
		a.runSource(ctx, g, src)
	}
	g.Go(func() error { a.watchLogList(ctx, func(src source.Source) { a.runSource(ctx, g, src) }); return nil })
	if a.detects() {
		g.Go(func() error { return a.consumeBatches(ctx) })
	}
	srv := newHTTPServer(ctx, a.handler)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		srv.Shutdown(shutdown)
		if a.Hub != nil {
			a.Hub.Close()
		}
		return nil
	})
	err := g.Wait()
	a.log.Info("stopped")
	return err
}

// loadIntelFirst fetches, before any source starts, each feed that has no saved copy yet, so
// the first certificates are already checked against it. A slow feed delays start by at most
// 15 s; it is fetched again by the feed's own schedule.
func loadIntelFirst(ctx context.Context, m *intel.Manager, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, f := range m.Status() {
		if f.LastRefresh != nil {
			continue
		}
		wg.Go(func() {
			if err := m.Refresh(ctx, f.Name); err != nil {
				log.Warn("threat-intel feed not loaded at start", "feed", f.Name, "err", err)
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
				if raised {
					if cur, err := a.Store.Get(ctx, id); err == nil {
						a.notify(notify.KindSeverityRaised, *cur)
					}
				}
			}
		}
	}
}
