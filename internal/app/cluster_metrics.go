package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certhunt/certhunt/internal/cluster"
)

// clusterCollector is the cluster's part of /metrics (nothing outside a cluster).
type clusterCollector struct{ a *App }

var (
	descBatches = prometheus.NewDesc("certhunt_cluster_batches_total",
		"Cluster batch messages, by event: published (stored in JetStream by this ingest node), handled and acknowledged, redelivered (taken again after another node failed to acknowledge), poison (undecodable, recorded and discarded), refused (publishes refused, e.g. the stream is full).",
		[]string{"event"}, nil)
	descLeases       = prometheus.NewDesc("certhunt_cluster_leases_held", "Leases (CT logs, certstream servers) this node holds.", nil, nil)
	descIngestNodes  = prometheus.NewDesc("certhunt_cluster_ingest_nodes", "Live ingest nodes, as this node last counted them.", nil, nil)
	descClusterReady = prometheus.NewDesc("certhunt_cluster_connected", "1 while this node is connected to NATS.", nil, nil)
	descPending      = prometheus.NewDesc("certhunt_cluster_batches_pending", "Batches in the JetStream stream not yet handled, cluster-wide (the detect nodes' backlog).", nil, nil)
	descRelayDropped = prometheus.NewDesc("certhunt_cluster_certs_relay_dropped_total", "Certificates not relayed to the api nodes' certstream servers (too big, disconnected, unreadable).", nil, nil)
)

func (c clusterCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c clusterCollector) Collect(ch chan<- prometheus.Metric) {
	cl := c.a.cluster
	if cl == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	if b := cl.batches; b != nil {
		for event, v := range map[string]int64{"published": b.Published.Load(), "handled": b.Handled.Load(),
			"redelivered": b.Redelivered.Load(), "poison": b.Poison.Load(), "refused": b.Refused.Load()} {
			ch <- prometheus.MustNewConstMetric(descBatches, prometheus.CounterValue, float64(v), event)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if p, err := b.Pending(ctx); err == nil {
			gauge(descPending, float64(p))
		}
		cancel()
	}
	gauge(descLeases, float64(cl.node.Leases.Held()))
	gauge(descIngestNodes, float64(cl.node.LiveIngest()))
	up := 0.0
	if cl.node.Ready() == nil {
		up = 1
	}
	gauge(descClusterReady, up)
	ch <- prometheus.MustNewConstMetric(descRelayDropped, prometheus.CounterValue, float64(cluster.RelayDropped()))
}
