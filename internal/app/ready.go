package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/certstream"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/source"
)

// Readiness is the body of GET /readyz: serve is ready when the store takes writes, a detection
// index is in force and at least one source is healthy; each part says why it is not.
type Readiness struct {
	Ready   bool        `json:"ready"`
	Store   Part        `json:"store"`
	Index   IndexPart   `json:"index"`
	Sources SourcesPart `json:"sources"`
	// LogList is set when the CT log list in force is the embedded copy; it does not count
	// against readiness.
	LogList *LogListPart `json:"log_list,omitempty"`
	// Cluster says, in a cluster, whether this node is in it; a node out of it is not ready.
	Cluster *ClusterPart `json:"cluster,omitempty"`
}

// LogListPart says how old the embedded log list is; Stale when older than staleLogList.
type LogListPart struct {
	Source    string    `json:"source"`
	Timestamp time.Time `json:"timestamp"`
	AgeDays   int       `json:"age_days"`
	Stale     bool      `json:"stale"`
}

// staleLogList is the age past which the embedded list is said to be old: logs open and shut
// every few months (shards are half-yearly).
const staleLogList = 60 * 24 * time.Hour

// logListPart describes the embedded list in force, or nil when another list is.
func (a *App) logListPart(now time.Time) *LogListPart {
	ct := a.cfg.Sources.CT
	// "default" falls back to the embedded copy while it has no other.
	embedded := ct.LogList == ctlog.LogListEmbedded ||
		ct.LogList == ctlog.LogListDefault && (a.ll == nil || a.ll.w.Status().Source == ctlog.LogListEmbedded)
	if !ct.Enabled || !embedded {
		return nil
	}
	ts := ctlog.EmbeddedLogListTime()
	age := now.Sub(ts)
	return &LogListPart{Source: "embedded", Timestamp: ts, AgeDays: int(age.Hours() / 24), Stale: age > staleLogList}
}

// IndexPart is the detection index's readiness, with the number of protected domains (0 on a
// first run: the UI's banner then asks for some).
type IndexPart struct {
	Ready  bool   `json:"ready"`
	Detail string `json:"detail,omitempty"`
	Assets int    `json:"assets"`
}

// Part is one part's readiness.
type Part struct {
	Ready  bool   `json:"ready"`
	Detail string `json:"detail,omitempty"`
}

// SourcesPart counts the healthy sources and names the others.
type SourcesPart struct {
	Ready     bool              `json:"ready"`
	Healthy   int               `json:"healthy"`
	Total     int               `json:"total"`
	Detail    string            `json:"detail,omitempty"`
	Unhealthy map[string]string `json:"unhealthy,omitempty"`
}

// staleAfter is how long a CT source may go without a success (a tree head or a commit) before
// it counts as unhealthy: polls come every poll_interval, so a few missed ones mean trouble.
func (a *App) staleAfter() time.Duration {
	return max(2*time.Minute, 3*a.cfg.Sources.CT.PollInterval)
}

// Readiness checks every part now.
func (a *App) Readiness(ctx context.Context) Readiness {
	var r Readiness
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.Store.Writable(ctx); err != nil {
		r.Store.Detail = "the store does not take writes: " + err.Error()
	} else {
		r.Store.Ready = true
	}
	if st := a.Watchlist.Current(); st == nil || st.Index == nil {
		r.Index.Detail = "no detection index loaded"
	} else {
		r.Index.Ready, r.Index.Assets = true, len(st.List)
		r.Index.Detail = fmt.Sprintf("%d protected domains from %s", len(st.List), st.Source)
	}
	r.Sources = a.sourcesReadiness(time.Now())
	if r.Sources.Total == 0 && !a.followsCT() {
		r.Sources.Ready, r.Sources.Detail = true, "not an ingest node: other nodes follow the CT logs"
	}
	r.LogList = a.logListPart(time.Now())
	r.Cluster = a.clusterReadiness()
	r.Ready = r.Store.Ready && r.Index.Ready && r.Sources.Ready && (r.Cluster == nil || r.Cluster.Ready)
	return r
}

func (a *App) sourcesReadiness(now time.Time) SourcesPart {
	p := SourcesPart{Unhealthy: map[string]string{}}
	for _, src := range a.sources() {
		if a.stoppedSource(src) {
			continue // left the log list or retired: not expected to be healthy
		}
		p.Total++
		st := src.Status()
		if why := a.unhealthy(src, st, now); why != "" {
			p.Unhealthy[st.Name] = why
		} else {
			p.Healthy++
		}
	}
	p.Ready = p.Healthy > 0
	switch {
	case p.Total == 0:
		p.Detail = "no sources configured (sources.ct.enabled is false and sources.certstream is empty)"
	case !p.Ready:
		p.Detail = "no source is healthy (no network, or every log failing?)"
	}
	if len(p.Unhealthy) == 0 {
		p.Unhealthy = nil
	}
	return p
}

// unhealthy says why a source is not healthy, or "".
func (a *App) unhealthy(src source.Source, st source.Status, now time.Time) string {
	if err, ok := a.failed.Load(src); ok {
		return fmt.Sprintf("stopped: %v", err)
	}
	if why, decided := leasedHealth(src, st); decided {
		return why
	}
	if st.Connected != nil { // certstream
		if !*st.Connected {
			return "not connected" + lastErr(st)
		}
		return ""
	}
	if st.LastSuccess.IsZero() {
		return "no tree head yet" + lastErr(st)
	}
	if age := now.Sub(st.LastSuccess); age > a.staleAfter() {
		return fmt.Sprintf("no success for %s", age.Round(time.Second)) + lastErr(st)
	}
	return ""
}

func lastErr(st source.Status) string {
	if st.LastError == "" {
		return ""
	}
	return ": " + st.LastError
}

// logSummary says, once at start, what serve is about to do and what a first run lacks.
func (a *App) logSummary(url string) {
	info := a.Watchlist.Info()
	var ct, cs int
	for _, s := range a.sources() {
		if s.Status().Type == certstream.SourceType {
			cs++
		} else {
			ct++
		}
	}
	feeds := len(a.cfg.Intel.Feeds)
	a.log.Info("certhunt serving", "url", url, "data_dir", a.cfg.DataDir, "protected_domains", info.Assets,
		"homographs", info.Homographs, "ct_logs", ct, "certstream_sources", cs, "intel_feeds", feeds,
		"notifiers", len(a.cfg.Notify), "incident_threshold", a.cfg.Scoring.IncidentThreshold)
	if info.Assets == 0 {
		a.log.Warn("no protected domains yet: nothing can match but threat-intel feeds; add domains in the UI at " + url +
			" or write a list with: certhunt homographs generate -o " + a.cfg.Watchlist.File + " example.com")
	}
	// With "default", watchLogList warns once the fetch fails instead.
	if ll := a.logListPart(time.Now()); ll != nil && ll.Stale && a.cfg.Sources.CT.LogList == ctlog.LogListEmbedded {
		a.log.Warn(fmt.Sprintf("the CT log list in use is the copy built into certhunt, %d days old: logs opened since are not followed;"+
			" set sources.ct.log_list to default (or a fresh file)", ll.AgeDays),
			"list_timestamp", ll.Timestamp.Format(time.DateOnly))
	}
	if len(a.sources()) == 0 {
		a.log.Warn("no sources: enable sources.ct or add sources.certstream, or nothing will be read")
	}
	if len(a.cfg.Auth.Tokens) == 0 {
		a.log.Info("see " + url + "readyz for readiness and " + url + "api/v1/sources for each log's state")
	}
}

// readyEvery is how often serve re-checks its readiness to log a change.
const readyEvery = 15 * time.Second

// watchReadiness logs each change of readiness once, with what is not ready: on a first run
// without network, one line says that no source is healthy instead of leaving it to be guessed
// from each log's retries.
func (a *App) watchReadiness(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	was := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r := a.Readiness(ctx)
		now := "ready"
		if !r.Ready {
			now = notReadyText(r)
		}
		if now == was || ctx.Err() != nil {
			continue
		}
		if r.Ready {
			a.log.Info("ready: the store takes writes, an index is loaded and a source is healthy",
				"healthy_sources", r.Sources.Healthy, "sources", r.Sources.Total)
		} else {
			a.log.Error("not ready: "+now, "healthy_sources", r.Sources.Healthy, "sources", r.Sources.Total)
		}
		was = now
	}
}

// notReadyText names the parts that are not ready.
func notReadyText(r Readiness) string {
	var parts []string
	if !r.Store.Ready {
		parts = append(parts, r.Store.Detail)
	}
	if !r.Index.Ready {
		parts = append(parts, r.Index.Detail)
	}
	if !r.Sources.Ready {
		parts = append(parts, r.Sources.Detail)
	}
	if r.Cluster != nil && !r.Cluster.Ready {
		parts = append(parts, r.Cluster.Detail)
	}
	return strings.Join(parts, "; ")
}
