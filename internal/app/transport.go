package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/certhunt/certhunt/internal/certstream"
	"github.com/certhunt/certhunt/internal/cluster"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/source"
)

// The batch transport in a cluster (SPEC.md "Cluster"): ingest nodes read their sources and
// publish every batch to the JetStream stream, committing a source's cursor only once the batch
// is durable there; detect nodes run the pipeline on what the shared consumer hands them and
// acknowledge each batch only once its incidents are written. One process without a cluster
// keeps its sources and pipeline side by side, with no hop.

// clusterBatches are the transport's timings serve uses: the defaults (tests shorten them).
var clusterBatches = cluster.BatchOptions{}

// onBatchHandled, when set (tests), sees every batch this node's detect role handled durably.
var onBatchHandled func(node string, b source.Batch)

// openTransport opens the batch stream for the ingest and detect roles.
func (a *App) openTransport(ctx context.Context) error {
	cl := a.cfg.Cluster
	if !cl.Has(config.RoleIngest) && !cl.Has(config.RoleDetect) {
		return nil
	}
	o := clusterBatches
	o.Logger = a.log.With("part", "cluster-batches")
	b, err := a.cluster.node.OpenBatches(ctx, o)
	if err != nil {
		return err
	}
	a.cluster.batches = b
	return nil
}

// forward is an ingest node's pipeline: each batch of one source goes to the stream, in order,
// and is committed once it is there. While the stream refuses batches (detect nodes are
// behind), forward waits, the channel fills and the source stops reading.
func (a *App) forward(ctx context.Context, in <-chan source.Batch) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b, ok := <-in:
			if !ok {
				return nil
			}
			if err := a.cluster.batches.Publish(ctx, b); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
		}
	}
}

// detects says whether this node runs the pipeline on batches from the stream.
func (a *App) detects() bool {
	return a.cluster != nil && a.cluster.batches != nil && a.cfg.Cluster.Has(config.RoleDetect)
}

// consumeBatches is a detect node's work: handle each batch from the stream (the pipeline's
// Handle, whose writes are idempotent, so a redelivered batch opens nothing twice).
func (a *App) consumeBatches(ctx context.Context) error {
	name := a.cluster.node.Name
	err := a.cluster.batches.Consume(ctx, func(ctx context.Context, b source.Batch) error {
		if err := a.Pipeline.Handle(ctx, b); err != nil {
			return err
		}
		if onBatchHandled != nil {
			onBatchHandled(name, b)
		}
		return nil
	}, a.Store.RecordMalformed)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("cluster batches: %w", err)
	}
	return nil
}

// servesAPI says whether this node serves the API, UI and certstream server: always alone,
// only with the api role in a cluster.
func (a *App) servesAPI() bool {
	return a.cluster == nil || a.cfg.Cluster.Has(config.RoleAPI)
}

// operatorPaths are what a node without the api role still serves on listen: its health,
// readiness and metrics, for its supervisor and for Prometheus.
var operatorPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// roleHandler keeps a node without the api role to its operator paths.
func (a *App) roleHandler(h http.Handler) http.Handler {
	if a.servesAPI() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !operatorPaths[r.URL.Path] {
			http.Error(w, "this certhunt node has no api role (cluster.roles); use a node that has", http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// leasedCertstream reads a certstream server only while this node holds its lease, so that one
// node in the cluster reads each server.
func (a *App) leasedCertstream(c *certstream.Client) source.Source {
	return &leasedStream{leases: a.cluster.node.Leases, src: c, name: certstreamLease(c.Status().URL)}
}

// certstreamLease names the lease of the certstream server at url (CT logs' leases are their URLs).
func certstreamLease(url string) string { return "certstream:" + url }

// leasedStream is a source that runs under a cluster lease.
type leasedStream struct {
	leases *cluster.Leases
	src    source.Source
	name   string
}

func (s *leasedStream) Run(ctx context.Context, out chan<- source.Batch) error {
	return s.leases.Hold(ctx, s.name, func(ctx context.Context) error { return s.src.Run(ctx, out) })
}

func (s *leasedStream) Status() source.Status {
	st := s.src.Status()
	st.Node = s.leases.Node(s.name)
	return st
}

// Following says whether this node holds the lease now.
func (s *leasedStream) Following() bool { return s.leases.Holding(s.name) }

// relayCerts feeds this api node's certstream server with the certificates every detect node
// handled, until ctx ends.
func (a *App) relayCerts(ctx context.Context) error {
	if a.cluster == nil || a.Hub == nil || !a.servesAPI() {
		return nil
	}
	stop, err := a.cluster.node.SubscribeCerts(a.Hub.Publish)
	if err != nil {
		return fmt.Errorf("cluster certificate relay: %w", err)
	}
	context.AfterFunc(ctx, stop)
	return nil
}
