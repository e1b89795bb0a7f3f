package app

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certhunt/certhunt/internal/buildinfo"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/enrich"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/notify"
)

// newEnricher builds the background enricher of enrich.*; nil when it is off.
func (a *App) newEnricher(cfg *config.Config, log *slog.Logger, store *incident.Store) *enrich.Enricher {
	ec := cfg.Enrich
	if !ec.Enabled {
		return nil
	}
	o := enrich.Options{
		Store: store, QueueSize: ec.QueueSize, Concurrency: ec.Concurrency, Rate: ec.Rate,
		DomainInterval: ec.DomainInterval, Recheck: ec.Recheck, Logger: log.With("part", "enrich"),
		DNS:        &enrich.DNS{Servers: ec.DNS.Resolvers, Timeout: ec.DNS.Timeout},
		OnEnriched: a.onEnriched,
	}
	proxy := enrichProxy(cfg)
	ua := buildinfo.UserAgent(cfg.Sources.CT.Contact)
	if ec.RDAP.Enabled {
		o.RDAP = &enrich.RDAP{Bootstrap: ec.RDAP.Bootstrap, Timeout: ec.RDAP.Timeout, UserAgent: ua,
			Client: enrich.HTTPClientVia(ec.RDAP.Timeout, ec.AllowPrivate, proxy, nil)}
	}
	if ec.HTTP.Enabled {
		o.Site = &enrich.Site{DNS: o.DNS, Proxy: proxy, AllowPrivate: ec.AllowPrivate, Timeout: ec.HTTP.Timeout,
			Deadline: 3 * ec.HTTP.Timeout, UserAgent: ua}
	}
	if ec.Screenshot.Enabled {
		o.Screenshots = newScreenshots(cfg, log, o.DNS, proxy)
	}
	return enrich.New(o)
}

// enrichProxy is enrich.http.proxy, which the site fetch, RDAP and the screenshots go through;
// nil when unset.
func enrichProxy(cfg *config.Config) *url.URL {
	if cfg.Enrich.HTTP.Proxy == "" {
		return nil
	}
	u, _ := url.Parse(cfg.Enrich.HTTP.Proxy) // validated with the config
	return u
}

// screenshotDir keeps the screenshots' PNGs (the server reads them from there too).
func screenshotDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "screenshots") }

// newScreenshots is enrich.screenshot: Chromium's traffic resolved with the enrichment
// resolvers and sent, once checked, through enrich.http.proxy when set.
func newScreenshots(cfg *config.Config, log *slog.Logger, dns *enrich.DNS, proxy *url.URL) *enrich.Screenshots {
	ec := cfg.Enrich
	return &enrich.Screenshots{Dir: screenshotDir(cfg), Chromium: ec.Screenshot.Chromium, Tabs: ec.Screenshot.Tabs,
		Timeout: ec.Screenshot.Timeout, Resolve: dns.Addrs, AllowPrivate: ec.AllowPrivate, Proxy: proxy,
		Logger: log.With("part", "screenshot")}
}

// enqueueEnrichment asks for a first look at a new incident; it never blocks ingestion.
func (a *App) enqueueEnrichment(inc incident.Incident) {
	if a.Enricher != nil {
		a.Enricher.Enqueue(incident.EnrichTarget{ID: inc.ID, Domain: inc.Domain, RegisteredDomain: inc.RegisteredDomain})
	}
}

// onEnriched adds the look's positive evidence to the incident's score (enrich.Raise) and
// tells the notifiers what the look saw (incident.LookEvent: a login form, the name going live),
// or else that the severity rose.
func (a *App) onEnriched(inc *incident.Incident, e incident.Enrichment) {
	event := incident.LookEvent(e)
	ctx := context.Background()
	raised := false
	if alert, ok := enrich.Raise(inc, e); ok {
		raise := a.Store.Raise
		if event != "" {
			raise = a.Store.RaiseAlongside // the event is the notification, as SetEnrichment queued it
		}
		var err error
		if raised, err = raise(ctx, inc.ID, alert); err != nil {
			a.log.Warn("enrichment: raising incident", "incident", inc.ID, "err", err)
		}
	}
	if event == "" && raised {
		event = notify.KindSeverityRaised
	}
	if event == "" || a.Notifier == nil {
		return
	}
	cur, err := a.Store.Get(ctx, inc.ID)
	if err != nil {
		a.log.Warn("enrichment: reading incident to notify", "incident", inc.ID, "err", err)
		return
	}
	a.notify(event, *cur)
}

var descEnrich = prometheus.NewDesc("certhunt_enrich_total", "Enrichment looks, by what happened: enqueued, dropped (queue full), done, failed.", []string{"result"}, nil)
var descEnrichQueue = prometheus.NewDesc("certhunt_enrich_queue", "Incidents waiting for enrichment.", nil, nil)

// enrichCollector reads the enricher's counters at scrape time.
type enrichCollector struct{ a *App }

func (c enrichCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c enrichCollector) Collect(ch chan<- prometheus.Metric) {
	if c.a.Enricher == nil {
		return
	}
	s := c.a.Enricher.Stats()
	for result, v := range map[string]int64{"enqueued": s.Enqueued, "dropped": s.Dropped, "done": s.Done, "failed": s.Failed} {
		ch <- prometheus.MustNewConstMetric(descEnrich, prometheus.CounterValue, float64(v), result)
	}
	ch <- prometheus.MustNewConstMetric(descEnrichQueue, prometheus.GaugeValue, float64(s.Queued))
}
