package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/certhunt/certhunt/internal/backoff"
)

// DefaultPresenceBucket is the key-value bucket where live nodes announce themselves.
const DefaultPresenceBucket = "certhunt_nodes"

// presence is one node's entry in the presence bucket, renewed like a lease, so that a node
// that dies drops out after the lease TTL.
type presence struct {
	Node     string    `json:"node"`
	Instance string    `json:"instance"` // this process, to tell a restarted node from a twin
	Ingest   bool      `json:"ingest"`
	Since    time.Time `json:"since"`
}

// announcement is what Announce keeps running.
type announcement struct {
	kv     jetstream.KeyValue
	key    string
	rev    atomic.Uint64
	ingest atomic.Int64 // live ingest nodes, as last listed
	stop   context.CancelFunc
	done   sync.WaitGroup
}

// Announce enters this node in the presence bucket, heartbeating it until Close. It fails,
// naming cluster.node, when another live node already uses this node's name: two nodes under
// one name would pass for one. (A node restarted right after a crash waits for its old entry
// to lapse, about one lease TTL, since nothing renews it.) With ingest, the node also takes
// part in spreading the leases: it holds at most its share of them (Leases.Spread).
func (n *Node) Announce(ctx context.Context, ingest bool) error {
	o := n.Leases.opts
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: DefaultPresenceBucket, TTL: o.TTL,
		Description: "certhunt: the live nodes", History: 1})
	if err != nil {
		return fmt.Errorf("cluster presence: bucket %s: %w", DefaultPresenceBucket, err)
	}
	id := make([]byte, 8)
	rand.Read(id)
	val, _ := json.Marshal(presence{Node: n.Name, Instance: hex.EncodeToString(id), Ingest: ingest, Since: time.Now().UTC()})
	a := &announcement{kv: kv, key: key(n.Name)}
	deadline := time.Now().Add(o.TTL + 2*o.Renew)
	var lastRev uint64
	for {
		rev, err := kv.Create(ctx, a.key, val)
		if err == nil {
			a.rev.Store(rev)
			break
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("cluster presence: %w", err)
		}
		e, err := kv.Get(ctx, a.key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			continue // lapsed meanwhile
		case err != nil:
			return fmt.Errorf("cluster presence: %w", err)
		}
		// An entry renewed while this node waits belongs to a live node; one that is not
		// is a crashed predecessor's, which lapses within the TTL.
		if lastRev != 0 && e.Revision() != lastRev || time.Now().After(deadline) {
			return fmt.Errorf("cluster.node %q: another live node already uses this name; give each node its own", n.Name)
		}
		if lastRev == 0 {
			o.Logger.Info("cluster: this node's name is in the presence bucket already; waiting to see whether it is a live node or a crashed predecessor",
				"node", n.Name, "up_to", time.Until(deadline).Round(time.Second))
		}
		lastRev = e.Revision()
		if !backoff.Sleep(ctx, o.Renew) {
			return ctx.Err()
		}
	}
	hctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.count(hctx)
	a.done.Go(func() { a.heartbeat(hctx, val, o) })
	n.presence = a
	if ingest {
		n.Leases.Spread(func() int { return int(a.ingest.Load()) })
	}
	return nil
}

// heartbeat renews the entry and recounts the live ingest nodes every renewal interval.
func (a *announcement) heartbeat(ctx context.Context, val []byte, o LeaseOptions) {
	t := time.NewTicker(o.Renew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, o.Renew)
		rev, err := a.kv.Update(cctx, a.key, val, a.rev.Load())
		if err != nil && ctx.Err() == nil {
			// Lapsed (NATS was unreachable longer than the TTL): enter again.
			rev, err = a.kv.Create(cctx, a.key, val)
		}
		cancel()
		if err == nil {
			a.rev.Store(rev)
		} else if ctx.Err() == nil {
			o.Logger.Warn("cluster presence: heartbeat failed", "err", err)
		}
		a.count(ctx)
	}
}

// count lists the live nodes and keeps how many ingest.
func (a *announcement) count(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	keys, err := a.kv.Keys(cctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return // keep the last count
	}
	n := 0
	for _, k := range keys {
		e, err := a.kv.Get(cctx, k)
		if err != nil {
			continue
		}
		var p presence
		if json.Unmarshal(e.Value(), &p) == nil && p.Ingest {
			n++
		}
	}
	a.ingest.Store(int64(n))
}

// leave stops the heartbeat and removes the entry, so that the others count without this node
// at once.
func (a *announcement) leave() {
	a.stop()
	a.done.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	a.kv.Delete(ctx, a.key, jetstream.LastRevision(a.rev.Load()))
}

// LiveIngest is the number of live ingest nodes, as last counted (0 before Announce).
func (n *Node) LiveIngest() int {
	if n.presence == nil {
		return 0
	}
	return int(n.presence.ingest.Load())
}
