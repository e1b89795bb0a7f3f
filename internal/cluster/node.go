package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/certhunt/certhunt/internal/redact"
)

// Node is this process's membership of the cluster: its NATS connection, its JetStream
// context and its leases.
type Node struct {
	Name   string
	Leases *Leases
	nc     *nats.Conn
	js     jetstream.JetStream
	// presence is the node's entry among the live nodes, once announced.
	presence *announcement
}

// Join connects to the NATS server(s) at natsURL (comma-separated for several) as node name
// and opens the lease bucket. It fails when the server cannot be reached or has no JetStream,
// rather than running as a node that follows nothing; later disconnections are retried
// forever while leases lapse (other nodes take over).
func Join(ctx context.Context, natsURL, name string, lo LeaseOptions, logger *slog.Logger) (*Node, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	nc, js, err := Connect(ctx, natsURL, name, logger)
	if err != nil {
		return nil, err
	}
	if lo.Logger == nil {
		lo.Logger = logger
	}
	leases, err := NewLeases(ctx, js, name, lo)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &Node{Name: name, Leases: leases, nc: nc, js: js}, nil
}

// Connect connects to the NATS server(s) at natsURL as name and checks that JetStream is
// there, as Join does, for clients that are no node (certhunt hunt).
func Connect(ctx context.Context, natsURL, name string, logger *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	where := redactURLs(natsURL)
	nc, err := nats.Connect(natsURL, nats.Name("certhunt "+name), nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second), nats.Timeout(5*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("cluster: disconnected from NATS", "nats", where, "err", err)
		}),
		nats.ReconnectHandler(func(*nats.Conn) { logger.Info("cluster: reconnected to NATS", "nats", where) }))
	if err != nil {
		return nil, nil, fmt.Errorf("cluster.nats_url %s: %w", where, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("cluster.nats_url %s: %w", where, err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, nil, fmt.Errorf("cluster.nats_url %s: JetStream is not enabled on that server (start nats-server with -js)", where)
		}
		return nil, nil, fmt.Errorf("cluster.nats_url %s: JetStream: %w", where, err)
	}
	return nc, js, nil
}

// Ready is nil while the node is connected to NATS (so its leases hold and others see it),
// else says why not, for /readyz.
func (n *Node) Ready() error {
	if s := n.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("not connected to NATS (%s)", strings.ToLower(s.String()))
	}
	return nil
}

// JetStream is the node's JetStream context, for the parts of the cluster built on it.
func (n *Node) JetStream() jetstream.JetStream { return n.js }

// Close leaves the cluster: the NATS connection is drained and closed.
func (n *Node) Close() {
	if n.presence != nil {
		n.presence.leave()
	}
	if err := n.nc.Drain(); err != nil {
		n.nc.Close()
	}
}

// redactURLs strips passwords and tokens from a comma-separated list of NATS URLs.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = redact.URL(strings.TrimSpace(p)) // nats://TOKEN@host too: all user info
	}
	return strings.Join(parts, ",")
}
