package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/outbox"
)

// startOutbox turns the notification outbox on in a cluster with notify targets: every node's
// incident writes queue their changes in PostgreSQL, and every node's sender delivers them,
// each change once (internal/outbox). A single process keeps notifying from memory.
func (a *App) startOutbox() error {
	if a.cluster == nil || a.Notifier == nil {
		return nil
	}
	if err := a.Store.SetOutbox(true); err != nil {
		return err
	}
	o := outboxOptions
	o.Store, o.Dispatcher, o.Node, o.Logger = a.Store, a.Notifier, a.cluster.node.Name, a.log.With("part", "outbox")
	a.outbox = outbox.New(o)
	return nil
}

// outboxOptions are the outbox sender's timings serve uses: the defaults (tests shorten them).
var outboxOptions = outbox.Options{}

// outboxDelivery forwards the Dispatcher's outcomes to the outbox sender, when there is one.
func (a *App) outboxDelivery(d notify.Delivery) {
	if a.outbox != nil {
		a.outbox.Delivered(d)
	}
}

var descOutbox = prometheus.NewDesc("certhunt_outbox_changes", "Incident changes in the cluster's notification outbox, by state: pending (not yet sent to every target) or done.", []string{"state"}, nil)
var descOutboxInFlight = prometheus.NewDesc("certhunt_outbox_in_flight", "Outbox changes this node is sending now.", nil, nil)

// outboxCollector reads the outbox at scrape time (cluster nodes that notify only).
type outboxCollector struct{ a *App }

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	if c.a.outbox == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if pending, done, err := c.a.Store.OutboxStats(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(pending), "pending")
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(done), "done")
	}
	ch <- prometheus.MustNewConstMetric(descOutboxInFlight, prometheus.GaugeValue, float64(c.a.outbox.InFlight()))
}
