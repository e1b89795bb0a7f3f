// Package notify hands incidents to the tools a SOC already runs: a signed webhook, Cortex XSOAR,
// Slack, a syslog collector (RFC 5424) or a JSON-lines file.
//
// # Delivery
//
// Notify never blocks the caller: each target has its own bounded queue and worker, so a slow or
// failing target delays nobody else. When a target's queue is full the event is dropped for that
// target, counted (Status) and logged. Each send is retried with exponential backoff and jitter up
// to the target's MaxAttempts; every outcome (retrying, delivered, failed) is reported through
// Options.OnDelivery so the caller can keep a delivery status per incident. A receiver's client
// error (HTTP 4xx other than 408, 425 and 429) is not retried: it would fail the same way again.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certhunt/certhunt/internal/backoff"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/notify/notifyconf"
	"github.com/certhunt/certhunt/internal/severity"
)

// Config is one notification target (see notifyconf, which holds it apart from this package's
// dependencies so the configuration can validate it cheaply).
type Config = notifyconf.Config

// Defaults applied by New where a Config leaves a field zero.
const (
	DefaultTimeout      = notifyconf.DefaultTimeout
	DefaultMaxAttempts  = notifyconf.DefaultMaxAttempts
	DefaultIncidentType = notifyconf.DefaultIncidentType
	DefaultQueueSize    = 1024
)

// Event kinds.
const (
	KindNew            = "new"
	KindSeverityRaised = "severity_raised"
	// KindWentLive: enrichment saw the name start resolving ("watch until live").
	KindWentLive = "went_live"
	// KindLoginForm: enrichment saw the site start showing a login form.
	KindLoginForm = "login_form"
)

// Event is something that happened to an incident and is worth telling the SOC.
type Event struct {
	// Kind is KindNew, KindSeverityRaised, KindWentLive or KindLoginForm.
	Kind     string
	Incident incident.Incident
	// Key identifies the change across a cluster (the outbox's change key, "" outside one):
	// sent as the Idempotency-Key header and the payload's change_key, so that a receiver can
	// drop the rare second copy a node dying right after a send causes.
	Key string
}

// Delivery statuses.
const (
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
	StatusRetrying  = "retrying"
)

// Delivery is the outcome of one attempt to notify one target about one incident.
type Delivery struct {
	IncidentID string `json:"incident_id"`
	Kind       string `json:"kind"`
	// Key is the Event's Key.
	Key       string    `json:"key,omitempty"`
	Target    string    `json:"target"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	At        time.Time `json:"at"`
}

// Options are the dependencies and tunables of a Dispatcher.
type Options struct {
	Logger *slog.Logger
	// HTTPClient is used by the HTTP targets. When nil each target gets its own client that
	// honours its InsecureSkipVerify; a given client is used as is. Each attempt is bounded by the
	// target's Timeout either way.
	HTTPClient *http.Client
	// BaseURL is where the web UI is served; links to an incident are <BaseURL>/#/incidents/<id>.
	// Empty leaves links out.
	BaseURL string
	// OnDelivery receives every attempt's outcome, from the targets' worker goroutines.
	OnDelivery func(Delivery)
	// QueueSize bounds each target's queue (default DefaultQueueSize).
	QueueSize int
	// Backoff is the wait before the first retry, doubled for each next one up to MaxBackoff
	// (defaults 1s and 5m).
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Dispatcher fans incidents out to the configured targets.
type Dispatcher struct {
	targets    []*target
	log        *slog.Logger
	onDelivery func(Delivery)
	backoff    time.Duration
	maxBackoff time.Duration
}

// sender delivers one event to one kind of receiver; an error means "try again later" unless it
// is a permanentError.
type sender interface {
	send(ctx context.Context, ev Event) error
}

// closer is implemented by senders that hold a connection.
type closer interface {
	close()
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

type target struct {
	cfg    Config
	sender sender
	queue  chan Event

	delivered, failed, retries, dropped atomic.Int64
	mu                                  sync.Mutex
	lastError                           string
	lastErrorAt                         time.Time
}

// New checks cfgs and builds a Dispatcher; call Run to start delivering.
func New(cfgs []Config, opts Options) (*Dispatcher, error) {
	d := &Dispatcher{
		log:        opts.Logger,
		onDelivery: opts.OnDelivery,
		backoff:    opts.Backoff,
		maxBackoff: opts.MaxBackoff,
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.backoff <= 0 {
		d.backoff = time.Second
	}
	if d.maxBackoff <= 0 {
		d.maxBackoff = 5 * time.Minute
	}
	queueSize := opts.QueueSize
	if queueSize <= 0 {
		queueSize = DefaultQueueSize
	}
	links := linker{base: strings.TrimRight(opts.BaseURL, "/")}
	if err := notifyconf.ValidateAll(cfgs); err != nil {
		return nil, err
	}
	var errs []error
	for _, c := range cfgs {
		if c.Name == "" {
			c.Name = c.Type
		}
		if c.Timeout == 0 {
			c.Timeout = DefaultTimeout
		}
		if c.MaxAttempts == 0 {
			c.MaxAttempts = DefaultMaxAttempts
		}
		client := opts.HTTPClient
		if client == nil {
			client = newHTTPClient(c.InsecureSkipVerify)
		}
		var s sender
		switch c.Type {
		case "webhook":
			s = &webhook{cfg: c, client: client, links: links}
		case "xsoar":
			if c.IncidentType == "" {
				c.IncidentType = DefaultIncidentType
			}
			s = &xsoar{cfg: c, client: client, links: links}
		case "slack":
			s = &slack{cfg: c, client: client, links: links}
		case "syslog":
			s = newSyslog(c, links)
		case "file":
			s = &file{cfg: c, links: links}
		}
		d.targets = append(d.targets, &target{cfg: c, sender: s, queue: make(chan Event, queueSize)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return d, nil
}

func newHTTPClient(insecure bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opted in per target
	}
	return &http.Client{Transport: tr}
}

// Notify queues ev for every target whose MinSeverity it meets. It never blocks: a target whose
// queue is full drops the event and counts it (Status); the 1st, 2nd, 4th, 8th… drop is logged,
// so a stuck target cannot flood the log.
func (d *Dispatcher) Notify(ev Event) {
	d.NotifyTargets(ev, d.Targets(ev))
}

// Targets names the targets ev is for: those whose MinSeverity it meets.
func (d *Dispatcher) Targets(ev Event) []string {
	var out []string
	for _, t := range d.targets {
		if t.cfg.MinSeverity != "" && severity.Rank(ev.Incident.Severity) < severity.Rank(t.cfg.MinSeverity) {
			continue
		}
		out = append(out, t.cfg.Name)
	}
	return out
}

// NotifyTargets queues ev for the named targets only (the cluster's outbox sends each change
// to the targets that have not had it yet) and returns those whose queue was full, which
// dropped it. It never blocks.
func (d *Dispatcher) NotifyTargets(ev Event, names []string) (dropped []string) {
	for _, t := range d.targets {
		if !slices.Contains(names, t.cfg.Name) {
			continue
		}
		select {
		case t.queue <- ev:
		default:
			dropped = append(dropped, t.cfg.Name)
			if n := t.dropped.Add(1); n&(n-1) == 0 {
				d.log.Warn("notification queue full, event dropped",
					"target", t.cfg.Name, "incident", ev.Incident.ID, "kind", ev.Kind, "dropped_total", n)
			}
		}
	}
	return dropped
}

// Run delivers queued events until ctx is done, then closes the targets' connections and returns.
// Events still queued at that point are not sent.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, t := range d.targets {
		wg.Go(func() { d.work(ctx, t) })
	}
	wg.Wait()
	for _, t := range d.targets {
		if c, ok := t.sender.(closer); ok {
			c.close()
		}
	}
}

func (d *Dispatcher) work(ctx context.Context, t *target) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-t.queue:
			d.deliver(ctx, t, ev)
		}
	}
}

// deliver tries ev on t until it succeeds, fails for good, runs out of attempts or ctx ends.
func (d *Dispatcher) deliver(ctx context.Context, t *target, ev Event) {
	report := func(status string, attempts int, err error) {
		del := Delivery{IncidentID: ev.Incident.ID, Kind: ev.Kind, Key: ev.Key, Target: t.cfg.Name,
			Status: status, Attempts: attempts, At: time.Now().UTC()}
		if err != nil {
			del.LastError = err.Error()
		}
		if d.onDelivery != nil {
			d.onDelivery(del)
		}
	}
	wait := backoff.Backoff{Min: d.backoff, Max: d.maxBackoff}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
		err := t.sender.send(actx, ev)
		cancel()
		if err == nil {
			t.delivered.Add(1)
			report(StatusDelivered, attempt, nil)
			return
		}
		t.noteError(err)
		var perm permanentError
		if attempt >= t.cfg.MaxAttempts || errors.As(err, &perm) || ctx.Err() != nil {
			t.failed.Add(1)
			d.log.Error("notification failed", "target", t.cfg.Name, "incident", ev.Incident.ID,
				"kind", ev.Kind, "attempts", attempt, "err", err)
			report(StatusFailed, attempt, err)
			return
		}
		t.retries.Add(1)
		d.log.Warn("notification attempt failed, retrying", "target", t.cfg.Name,
			"incident", ev.Incident.ID, "attempt", attempt, "err", err)
		report(StatusRetrying, attempt, err)
		// Jitter keeps many failing sends from retrying in step.
		timer := time.NewTimer(wait.Next())
		select {
		case <-ctx.Done():
			timer.Stop()
			t.failed.Add(1)
			report(StatusFailed, attempt, fmt.Errorf("shutting down: %w", err))
			return
		case <-timer.C:
		}
	}
}

func (t *target) noteError(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastError = err.Error()
	t.lastErrorAt = time.Now().UTC()
}

// TargetStatus is one target's counters since start.
type TargetStatus struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Queued    int    `json:"queued"`
	QueueSize int    `json:"queue_size"`
	Delivered int64  `json:"delivered"`
	Failed    int64  `json:"failed"`
	Retries   int64  `json:"retries"`
	// Dropped counts events discarded because the queue was full.
	Dropped     int64     `json:"dropped"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Status reports every target's counters, in configuration order.
func (d *Dispatcher) Status() []TargetStatus {
	out := make([]TargetStatus, 0, len(d.targets))
	for _, t := range d.targets {
		t.mu.Lock()
		lastErr, lastAt := t.lastError, t.lastErrorAt
		t.mu.Unlock()
		out = append(out, TargetStatus{
			Name: t.cfg.Name, Type: t.cfg.Type,
			Queued: len(t.queue), QueueSize: cap(t.queue),
			Delivered: t.delivered.Load(), Failed: t.failed.Load(),
			Retries: t.retries.Load(), Dropped: t.dropped.Load(),
			LastError: lastErr, LastErrorAt: lastAt,
		})
	}
	return out
}
