package app

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/certhunt/certhunt/internal/certstream"
)

// collector reads every part's counters at scrape time, so nothing is counted twice and the
// hot path pays for no metric updates of its own.
type collector struct{ a *App }

var (
	descProcessed = prometheus.NewDesc("certhunt_entries_processed_total", "Entries processed per source.", []string{"source", "type"}, nil)
	descMalformed = prometheus.NewDesc("certhunt_entries_malformed_total", "Entries that could not be read, per source.", []string{"source", "type"}, nil)
	descDropped   = prometheus.NewDesc("certhunt_malformed_dropped_total", "Malformed-entry records dropped at the store's caps.", nil, nil)
	descErrors    = prometheus.NewDesc("certhunt_source_errors_total", "Fetch or connection errors per source.", []string{"source", "type"}, nil)
	descErrKind   = prometheus.NewDesc("certhunt_fetch_errors_total", "CT fetch errors per log, by kind.", []string{"source", "kind"}, nil)
	descLag       = prometheus.NewDesc("certhunt_source_lag_seconds", "Age of the newest entry processed, per source.", []string{"source", "type"}, nil)
	descPosition  = prometheus.NewDesc("certhunt_source_position", "Next index to read, per log.", []string{"source", "type"}, nil)
	descTreeSize  = prometheus.NewDesc("certhunt_source_tree_size", "Latest verified tree size, per log.", []string{"source", "type"}, nil)
	descVerified  = prometheus.NewDesc("certhunt_ct_verified_size", "Entries verified against the log's signed tree heads, per log.", []string{"source", "type"}, nil)
	descConc      = prometheus.NewDesc("certhunt_ct_concurrency", "Entry requests a log is allowed in flight (lowered after 429 or 503).", []string{"source"}, nil)
	descVerifyErr = prometheus.NewDesc("certhunt_ct_verification_failures_total", "Logs whose contents or heads failed verification (1 once failed, until restart).", []string{"source"}, nil)
	descReconn    = prometheus.NewDesc("certhunt_certstream_reconnects_total", "Reconnects per certstream source.", []string{"source"}, nil)
	descPipeline  = prometheus.NewDesc("certhunt_pipeline_total", "Pipeline totals by stage.", []string{"stage"}, nil)
	descOpened    = prometheus.NewDesc("certhunt_incidents_opened_total", "Incidents opened.", nil, nil)
	descReloadOK  = prometheus.NewDesc("certhunt_watchlist_last_reload_success", "1 when the latest homograph list load succeeded.", nil, nil)
	descReloads   = prometheus.NewDesc("certhunt_watchlist_reloads_total", "Homograph list loads, by result.", []string{"result"}, nil)
	descHubConns  = prometheus.NewDesc("certhunt_certstream_server_clients", "Clients connected to the certstream server.", nil, nil)
	descHub       = prometheus.NewDesc("certhunt_certstream_server_messages_total", "certstream server messages, by what happened to them.", []string{"kind"}, nil)
	descFeedInd   = prometheus.NewDesc("certhunt_intel_indicators", "Indicators loaded per feed.", []string{"feed"}, nil)
	descFeedRuns  = prometheus.NewDesc("certhunt_intel_refreshes_total", "Feed refreshes per feed, by result.", []string{"feed", "result"}, nil)
	descFeedErr   = prometheus.NewDesc("certhunt_intel_feed_error", "1 when the feed's latest refresh failed.", []string{"feed"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c collector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, src := range a.sources() {
		if f, ok := src.(interface{ FetchErrors() map[string]int64 }); ok {
			name := src.Status().Name
			for kind, n := range f.FetchErrors() {
				counter(descErrKind, float64(n), name, kind)
			}
		}
		if f, ok := src.(interface{ Concurrency() int }); ok {
			gauge(descConc, float64(f.Concurrency()), src.Status().Name)
		}
		if f, ok := src.(interface{ VerificationFailures() int64 }); ok {
			counter(descVerifyErr, float64(f.VerificationFailures()), src.Status().Name)
		}
	}
	for _, s := range a.sourceStatuses() {
		counter(descProcessed, float64(s.EntriesProcessed), s.Name, s.Type)
		counter(descMalformed, float64(s.Malformed), s.Name, s.Type)
		counter(descErrors, float64(s.Errors), s.Name, s.Type)
		gauge(descLag, s.LagSeconds, s.Name, s.Type)
		if s.Type == certstream.SourceType {
			counter(descReconn, float64(s.Reconnects), s.Name)
			continue
		}
		gauge(descPosition, float64(s.Position), s.Name, s.Type)
		gauge(descTreeSize, float64(s.TreeSize), s.Name, s.Type)
		if s.VerifiedSize != nil {
			gauge(descVerified, float64(*s.VerifiedSize), s.Name, s.Type)
		}
	}
	st := a.Pipeline.Stats()
	counter(descPipeline, float64(st.Entries.Load()), "entries")
	counter(descPipeline, float64(st.Parsed.Load()), "parsed")
	counter(descPipeline, float64(st.Malformed.Load()), "malformed")
	counter(descPipeline, float64(st.Alerts.Load()), "alerts")
	counter(descPipeline, float64(st.IncidentSightings.Load()), "incidents_raised") // opened or joined
	counter(descPipeline, float64(st.JunkNames.Load()), "junk_names")
	counter(descPipeline, float64(st.IncidentsOpened.Load()), "incidents_opened")
	counter(descPipeline, float64(st.IncidentsRaised.Load()), "severity_raised")
	counter(descOpened, float64(st.IncidentsOpened.Load()))
	counter(descDropped, float64(a.Store.MalformedDropped()))
	ok := 0.0
	if a.Watchlist.LastReloadOK() {
		ok = 1
	}
	gauge(descReloadOK, ok)
	info := a.Watchlist.Info()
	counter(descReloads, float64(info.Reloads-info.Failures), "success")
	counter(descReloads, float64(info.Failures), "failure")
	if a.Hub != nil {
		hs := a.Hub.Stats()
		gauge(descHubConns, float64(hs.Clients))
		counter(descHub, float64(hs.Published), "published")
		counter(descHub, float64(hs.Sent), "sent")
		counter(descHub, float64(hs.Dropped), "dropped")
		counter(descHub, float64(hs.SlowDisconnects), "slow_disconnects")
	}
	if a.Intel != nil {
		for _, f := range a.Intel.Status() {
			gauge(descFeedInd, float64(f.Indicators), f.Name)
			counter(descFeedRuns, float64(f.Refreshes), f.Name, "success")
			counter(descFeedRuns, float64(f.NotModified), f.Name, "not_modified")
			counter(descFeedRuns, float64(f.Failures), f.Name, "failure")
			bad := 0.0
			if f.LastError != "" {
				bad = 1
			}
			gauge(descFeedErr, bad, f.Name)
		}
	}
}

// metricsHandler serves /metrics from a private registry.
func (a *App) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{a}, enrichCollector{a}, clusterCollector{a}, outboxCollector{a}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
