package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease defaults: a holder that dies is replaced within DefaultTTL + DefaultRenew (20 s), inside
// the 30 s SPEC.md promises.
const (
	DefaultBucket = "certhunt_leases"
	DefaultTTL    = 15 * time.Second
	DefaultRenew  = 5 * time.Second
)

// LeaseOptions tune the leases; the zero value gives the defaults.
type LeaseOptions struct {
	// Bucket is the JetStream key-value bucket of the leases (created when missing).
	Bucket string
	// TTL is how long a lease outlives its holder's last renewal: the bucket's TTL, so the
	// server itself forgets a dead holder's leases.
	TTL time.Duration
	// Renew is how often a holder renews and a contender tries again; less than TTL/2, so
	// that one failed renewal does not lose the lease.
	Renew time.Duration
	// Logger receives lease changes; nil discards them.
	Logger *slog.Logger
}

func (o LeaseOptions) withDefaults() (LeaseOptions, error) {
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.Renew == 0 {
		o.Renew = min(DefaultRenew, o.TTL/3)
	}
	if o.Renew <= 0 || 2*o.Renew >= o.TTL {
		return o, fmt.Errorf("cluster leases: renew interval %v must be positive and under half the TTL %v", o.Renew, o.TTL)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Leases hands out named leases (one per CT log) among the nodes sharing a bucket: at most one
// node holds a name at a time, renewing it while it works.
type Leases struct {
	kv   jetstream.KeyValue
	node string
	opts LeaseOptions

	mu     sync.Mutex
	held   map[string]bool
	seen   map[string]string // name -> holder, as last seen by a losing contender
	wanted map[string]int    // names Hold runs for: the leases shared out
	gaveUp map[string]bool   // names whose last tenure ended by yielding
	// resting holds, for names this node gave up because its work stalled, when it may
	// contend again: a TTL later, so another node gets the lease first.
	resting map[string]time.Time
	// peers, once set (Spread), counts the live nodes sharing the leases, this one included.
	peers func() int
}

// record is a lease's value: who holds it, since when.
type record struct {
	Node  string    `json:"node"`
	Since time.Time `json:"since"`
}

// NewLeases opens (creating when missing) the lease bucket; node names this process in it.
func NewLeases(ctx context.Context, js jetstream.JetStream, node string, o LeaseOptions) (*Leases, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if node == "" {
		return nil, errors.New("cluster leases: empty node name")
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: o.Bucket, TTL: o.TTL,
		Description: "certhunt: which node follows each CT log", History: 1})
	if err != nil {
		return nil, fmt.Errorf("cluster leases: bucket %s: %w", o.Bucket, err)
	}
	return &Leases{kv: kv, node: node, opts: o, held: map[string]bool{}, seen: map[string]string{}, wanted: map[string]int{}, gaveUp: map[string]bool{},
		resting: map[string]time.Time{}}, nil
}

// key turns a lease name (a log URL) into a key-value key, which allows few characters.
func key(name string) string {
	return "lease." + base64.RawURLEncoding.EncodeToString([]byte(name))
}

// Holding says whether this node holds the lease name now.
func (l *Leases) Holding(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held[name]
}

// Held is the number of leases this node holds now.
func (l *Leases) Held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

func (l *Leases) setHeld(name string, v bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v {
		l.held[name] = true
	} else {
		delete(l.held, name)
	}
}

// Spread shares the leases out: from now on this node holds at most ceil(leases / peers())
// of them, where peers counts the live nodes contending (this one included), and yields the
// extra ones, one per renewal, when a node joins. Without Spread, the first node takes all.
func (l *Leases) Spread(peers func() int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.peers = peers
}

// limitLocked is how many leases this node may hold.
func (l *Leases) limitLocked() int {
	if l.peers == nil {
		return len(l.wanted)
	}
	p := max(1, l.peers())
	return (len(l.wanted) + p - 1) / p
}

// mayTake says whether this node may take one more lease.
func (l *Leases) mayTake() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held) < l.limitLocked()
}

// shouldYield says whether this node holds more leases than its share and name is the one
// to give up (the greatest name held, so that concurrent renewals yield one at a time); if so,
// name is marked as not held at once.
func (l *Leases) shouldYield(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.peers == nil || len(l.held) <= l.limitLocked() {
		return false
	}
	for n := range l.held {
		if n > name {
			return false
		}
	}
	delete(l.held, name)
	return true
}

// rest keeps this node from contending for name for a TTL.
func (l *Leases) rest(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, name)
	l.resting[name] = time.Now().Add(l.opts.TTL)
}

// isResting says whether this node gave name up for a stall less than a TTL ago.
func (l *Leases) isResting(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.resting[name]
	if ok && !time.Now().Before(until) {
		delete(l.resting, name)
		return false
	}
	return ok
}

// yielded says whether name's last tenure ended by yielding it, and forgets it.
func (l *Leases) yielded(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	y := l.gaveUp[name]
	delete(l.gaveUp, name)
	return y
}

// Node names the node following name as far as this one knows without asking the server:
// itself while it holds the lease, else the holder it last saw while contending ("" for none).
func (l *Leases) Node(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] {
		return l.node
	}
	return l.seen[name]
}

// Holder returns the node that holds name, or "" when none does.
func (l *Leases) Holder(ctx context.Context, name string) (string, error) {
	e, err := l.kv.Get(ctx, key(name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lease %s: %w", name, err)
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return "", fmt.Errorf("lease %s: unreadable holder record: %w", name, err)
	}
	return r.Node, nil
}

// see records who holds name now, for Node.
func (l *Leases) see(ctx context.Context, name string) {
	if holder, err := l.Holder(ctx, name); err == nil {
		l.mu.Lock()
		l.seen[name] = holder
		l.mu.Unlock()
	}
}

// Holders returns the holder of every lease held now, by name (one listing of the bucket, so
// that any node can say who follows each log).
func (l *Leases) Holders(ctx context.Context) (map[string]string, error) {
	keys, err := l.kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		name, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(k, "lease."))
		if err != nil {
			continue // not a lease
		}
		e, err := l.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("lease %s: %w", name, err)
		}
		var r record
		if json.Unmarshal(e.Value(), &r) == nil {
			out[string(name)] = r.Node
		}
	}
	return out, nil
}

// Hold runs work whenever this node holds the lease name, until ctx ends. It contends for the
// lease every Renew interval; once it holds it, work runs with a context that is cancelled
// when the lease is lost (taken by another node after this one failed to renew it for about a
// TTL), and Hold contends again once work has returned. The lease is stopped early enough that
// work has stopped before another node can win it. When work returns on its own, the lease is
// released and Hold returns work's error. When ctx ends, the lease is released (so that another
// node takes over at once) and Hold returns nil.
func (l *Leases) Hold(ctx context.Context, name string, work func(context.Context) error) error {
	return l.HoldWhile(ctx, name, nil, work)
}

// HoldWhile is Hold for work that can stall while its process lives on (a CT follower whose
// log stopped answering this node's address): at each renewal, healthy (nil: always) is asked
// whether work still makes progress; when it is not, the lease is given up, as a dead holder's
// would be, and this node rests a TTL before contending again, so that another node takes
// the work over.
func (l *Leases) HoldWhile(ctx context.Context, name string, healthy func() bool, work func(context.Context) error) error {
	k := key(name)
	logger := l.opts.Logger.With("lease", name, "node", l.node)
	tick := time.NewTicker(l.opts.Renew)
	defer tick.Stop()
	l.mu.Lock()
	l.wanted[name]++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if l.wanted[name]--; l.wanted[name] <= 0 {
			delete(l.wanted, name)
		}
		l.mu.Unlock()
	}()
	for {
		if !l.mayTake() || l.isResting(name) {
			l.see(ctx, name) // this node has its share; look who holds the lease, for Node
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
			continue
		}
		val, _ := json.Marshal(record{Node: l.node, Since: time.Now().UTC()})
		sent := time.Now()
		rev, err := l.acquire(ctx, k, val)
		switch {
		case err == nil:
			logger.Info("cluster lease acquired")
			done, werr := l.hold(ctx, name, k, val, rev, sent, healthy, work, tick.C)
			if done {
				return werr
			}
			if !l.yielded(name) {
				logger.Warn("cluster lease lost, contending again")
			}
		case errors.Is(err, jetstream.ErrKeyExists):
			l.see(ctx, name)
		case ctx.Err() == nil:
			logger.Warn("cluster lease: cannot reach the bucket", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// acquire creates the lease when nobody holds it; ErrKeyExists when somebody does.
func (l *Leases) acquire(ctx context.Context, k string, val []byte) (uint64, error) {
	cctx, cancel := context.WithTimeout(ctx, l.opts.Renew)
	defer cancel()
	return l.kv.Create(cctx, k, val)
}

// hold runs work while renewing the lease at rev, written by a request sent at sent. done is true when Hold should return (work
// returned on its own, or ctx ended), false when the lease was lost.
func (l *Leases) hold(ctx context.Context, name, k string, val []byte, rev uint64, sent time.Time, healthy func() bool,
	work func(context.Context) error, tick <-chan time.Time) (done bool, err error) {
	// A lease counts from before the write that made it: the server's TTL starts later, so
	// stopping work TTL-Renew after the last renewal was sent leaves work a whole Renew
	// interval to return before another node can win the lease.
	margin := l.opts.TTL - l.opts.Renew
	expires := sent.Add(margin)
	deadline := time.NewTimer(time.Until(expires))
	defer deadline.Stop()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	finished := make(chan error, 1)
	yielding := false
	l.setHeld(name, true)
	go func() { finished <- work(wctx) }()
	lose := func() {
		if wctx.Err() == nil {
			l.setHeld(name, false) // at once, though work may take a moment to return
			stop()
		}
	}
	for {
		select {
		case err := <-finished:
			l.setHeld(name, false)
			switch {
			case ctx.Err() != nil:
				l.release(k, rev)
				return true, nil
			case yielding: // work stopped: now another node may have the lease
				l.release(k, rev)
				l.mu.Lock()
				l.gaveUp[name] = true
				l.mu.Unlock()
				return false, nil
			case wctx.Err() != nil: // lost
				return false, nil
			}
			l.release(k, rev)
			return true, err
		case <-deadline.C:
			lose()
		case <-tick:
			if wctx.Err() != nil {
				continue // waiting for work to return
			}
			if l.shouldYield(name) {
				l.opts.Logger.Info("cluster lease: yielding it to spread the work over the nodes", "lease", name, "node", l.node)
				yielding = true
				stop()
				continue
			}
			if healthy != nil && !healthy() {
				l.opts.Logger.Warn("cluster lease: giving it up, the work has stalled on this node", "lease", name, "node", l.node)
				l.rest(name)
				yielding = true
				stop()
				continue
			}
			sent := time.Now()
			by := sent.Add(l.opts.Renew)
			if expires.Before(by) {
				by = expires
			}
			cctx, cancel := context.WithDeadline(ctx, by)
			next, err := l.kv.Update(cctx, k, val, rev)
			cancel()
			switch {
			case err == nil:
				rev, expires = next, sent.Add(margin)
				deadline.Reset(time.Until(expires))
			case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyExists):
				lose() // another node holds it: this one was presumed dead
			case ctx.Err() == nil:
				l.opts.Logger.Warn("cluster lease: renewal failed, retrying", "lease", name, "err", err)
			}
		}
	}
}

// release deletes the lease if this node still holds it at rev, so another node need not wait
// for the TTL.
func (l *Leases) release(k string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Renew)
	defer cancel()
	if err := l.kv.Delete(ctx, k, jetstream.LastRevision(rev)); err != nil && !strings.Contains(err.Error(), "closed") {
		l.opts.Logger.Debug("cluster lease: release failed (it expires on its own)", "err", err)
	}
}
