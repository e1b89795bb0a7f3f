// Package outbox delivers a cluster's notifications once per incident change (SPEC.md
// "Cluster"). Every incident write that notifies also writes an outbox row in PostgreSQL, in
// the same transaction (incident.Store.SetOutbox); a Sender on every node with notify targets
// claims due rows, hands them to the notify.Dispatcher for the targets that do not have them
// yet, and marks each (row, target) from the Dispatcher's delivery outcomes.
//
// # Guarantees
//
// A change is never lost: its row commits with the incident write, and a row claimed by a node
// that dies returns to the pool when the claim lapses (ClaimTTL; live claimers renew theirs).
// A (row, target) marked delivered is never sent again. The one window left is a node dying
// after a receiver accepted a send and before the mark was written: that change is sent to that
// target again by another node. Every send therefore carries the change key (the
// Idempotency-Key header, change_key in webhook and file payloads), the same for every copy,
// so that receivers can drop the second one.
package outbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/notify"
)

// Defaults for Options left zero.
const (
	DefaultClaimTTL   = 2 * time.Minute
	DefaultPoll       = 2 * time.Second
	DefaultBatch      = 256
	DefaultRetryDelay = time.Minute
	DefaultMaxRounds  = 5
	// Keep done rows a week, for operators, then prune them.
	keepDone = 7 * 24 * time.Hour
)

// Options configure a Sender.
type Options struct {
	Store      *incident.Store
	Dispatcher *notify.Dispatcher
	// Node names this node in claims and marks.
	Node   string
	Logger *slog.Logger
	// ClaimTTL is how long a claim lasts without renewal: how soon a dead node's rows are
	// sent by another. It must exceed the longest a Dispatcher takes on one send, retries
	// included, or a stalled node's rows may be sent twice.
	ClaimTTL time.Duration
	// Poll is how often due rows are looked for when nothing Kicks the sender.
	Poll time.Duration
	// Batch bounds the rows in flight on this node.
	Batch int
	// RetryDelay is the wait before a row a target failed is tried again, doubled each
	// round; after MaxRounds rounds it is given up (the failure stays recorded).
	RetryDelay time.Duration
	MaxRounds  int
}

// Sender sends the outbox's rows through a Dispatcher.
type Sender struct {
	o    Options
	kick chan struct{}

	mu       sync.Mutex
	inflight map[string]*flight // by change key
	stopping bool
	// running is Run's context: once it ends, a failure the Dispatcher reports is its own
	// shutdown, not the target's (both stop on the same context).
	running context.Context
}

// flight is a claimed row being sent.
type flight struct {
	item    incident.OutboxItem
	pending map[string]bool // targets not finished
	failed  bool            // some target failed this round
}

// New makes a Sender; Run starts it. Deliveries must be forwarded to Delivered (from the
// Dispatcher's OnDelivery).
func New(o Options) *Sender {
	if o.ClaimTTL <= 0 {
		o.ClaimTTL = DefaultClaimTTL
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.MaxRounds <= 0 {
		o.MaxRounds = DefaultMaxRounds
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{o: o, kick: make(chan struct{}, 1), inflight: map[string]*flight{}}
}

// Kick makes the sender look for due rows now (this node just wrote one); it never blocks.
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run claims and sends rows until ctx ends, then hands the rows still in flight back to the
// pool (unsent ones go out from another node, or from this one after a restart).
func (s *Sender) Run(ctx context.Context) {
	s.mu.Lock()
	s.running = ctx
	s.mu.Unlock()
	poll := time.NewTicker(s.o.Poll)
	defer poll.Stop()
	// Claims are renewed on their own clock, so that slow sends or reads cannot let them lapse.
	renewing := make(chan struct{})
	go func() {
		defer close(renewing)
		renew := time.NewTicker(s.o.ClaimTTL / 3)
		defer renew.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-renew.C:
				s.renew(ctx)
			}
		}
	}()
	defer func() { <-renewing }()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		s.claim(ctx)
		select {
		case <-ctx.Done():
			s.release()
			return
		case <-s.kick:
		case <-poll.C:
		case <-prune.C:
			if n, err := s.o.Store.PruneOutbox(ctx, time.Now().Add(-keepDone)); err != nil {
				s.o.Logger.Warn("outbox: pruning done rows", "err", err)
			} else if n > 0 {
				s.o.Logger.Debug("outbox: pruned done rows", "rows", n)
			}
		}
	}
}

func (s *Sender) claim(ctx context.Context) {
	s.mu.Lock()
	room := s.o.Batch - len(s.inflight)
	s.mu.Unlock()
	if room <= 0 || ctx.Err() != nil {
		return
	}
	items, err := s.o.Store.ClaimOutbox(ctx, s.o.Node, time.Now().Add(s.o.ClaimTTL), room)
	if err != nil {
		if ctx.Err() == nil {
			s.o.Logger.Warn("outbox: claiming rows", "err", err)
		}
		return
	}
	for _, it := range items {
		// A row this node is still sending can come back when its claim lapsed meanwhile (the
		// claim just taken renews it): the flight under way goes on, nothing is sent twice.
		s.mu.Lock()
		_, busy := s.inflight[it.Key]
		if !busy {
			s.inflight[it.Key] = &flight{item: it, pending: map[string]bool{}} // renewed from now on
		}
		s.mu.Unlock()
		if !busy {
			s.start(ctx, it)
		}
	}
}

// drop forgets a row that start ended without sending.
func (s *Sender) drop(key string) {
	s.mu.Lock()
	delete(s.inflight, key)
	s.mu.Unlock()
}

// start sends one claimed row (registered in flight by claim) to the targets that do not have
// it yet.
func (s *Sender) start(ctx context.Context, it incident.OutboxItem) {
	inc, err := s.o.Store.Get(ctx, it.IncidentID)
	if err != nil {
		s.o.Logger.Warn("outbox: reading the incident of a change", "key", it.Key, "err", err)
		s.drop(it.Key)
		s.finish(ctx, it, err == incident.ErrNotFound, false)
		return
	}
	if inc.Verdict == incident.VerdictFalsePositive { // called a false positive since: never told
		s.drop(it.Key)
		s.finish(ctx, it, true, false)
		return
	}
	ev := notify.Event{Kind: it.Kind, Incident: *inc, Key: it.Key}
	var targets []string
	for _, t := range s.o.Dispatcher.Targets(ev) {
		if !it.Delivered[t] {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		s.drop(it.Key)
		s.finish(ctx, it, true, false)
		return
	}
	s.mu.Lock()
	f := s.inflight[it.Key]
	for _, t := range targets {
		f.pending[t] = true
	}
	s.mu.Unlock()
	if dropped := s.o.Dispatcher.NotifyTargets(ev, targets); len(dropped) > 0 {
		// A full queue: those targets get it in a later round.
		s.mu.Lock()
		for _, t := range dropped {
			delete(f.pending, t)
		}
		f.failed = true
		done := len(f.pending) == 0
		if done {
			delete(s.inflight, it.Key)
		}
		s.mu.Unlock()
		if done {
			s.finishRound(ctx, it, true)
		}
	}
}

// Delivered takes one of the Dispatcher's outcomes (its OnDelivery); outcomes of events that
// did not come from the outbox are ignored.
func (s *Sender) Delivered(d notify.Delivery) {
	if d.Key == "" || d.Status == notify.StatusRetrying {
		return
	}
	s.mu.Lock()
	f := s.inflight[d.Key]
	if f == nil || !f.pending[d.Target] {
		s.mu.Unlock()
		return
	}
	stopping := s.stopping || s.running != nil && s.running.Err() != nil
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if d.Status == notify.StatusDelivered || !stopping {
		// A send cut short by shutdown is not this target's failure: the row goes back as it was.
		if err := s.o.Store.MarkOutbox(ctx, f.item.ID, d.Target, d.Status, d.Attempts, d.LastError, s.o.Node); err != nil {
			s.o.Logger.Error("outbox: recording a delivery (the change may be sent again)", "key", d.Key, "target", d.Target, "err", err)
		}
	}
	s.mu.Lock()
	delete(f.pending, d.Target)
	if d.Status != notify.StatusDelivered {
		f.failed = true
	}
	done := len(f.pending) == 0
	if done {
		delete(s.inflight, d.Key)
	}
	s.mu.Unlock()
	if done && !stopping {
		s.finishRound(ctx, f.item, f.failed)
	}
}

// finishRound ends a row's round: done, or due again later when a target failed.
func (s *Sender) finishRound(ctx context.Context, it incident.OutboxItem, failed bool) {
	s.finish(ctx, it, !failed || it.Rounds+1 >= s.o.MaxRounds, failed)
}

func (s *Sender) finish(ctx context.Context, it incident.OutboxItem, done, failed bool) {
	retry := time.Now().Add(s.o.RetryDelay << min(it.Rounds, 10))
	if err := s.o.Store.FinishOutbox(ctx, it.ID, s.o.Node, done, retry); err != nil {
		s.o.Logger.Warn("outbox: finishing a row (it returns when its claim lapses)", "key", it.Key, "err", err)
	}
	if done && failed {
		s.o.Logger.Error("outbox: a change was given up after every round failed", "key", it.Key, "rounds", it.Rounds+1)
	}
}

// renew extends the claims of the rows in flight.
func (s *Sender) renew(ctx context.Context) {
	s.mu.Lock()
	ids := s.inflightIDsLocked()
	s.mu.Unlock()
	held, err := s.o.Store.RenewOutbox(ctx, s.o.Node, ids, time.Now().Add(s.o.ClaimTTL))
	switch {
	case err != nil && ctx.Err() == nil:
		s.o.Logger.Warn("outbox: renewing claims", "err", err)
	case err == nil && held < int64(len(ids)):
		s.o.Logger.Warn("outbox: claims lapsed while sending (another node may send those changes too)", "lost", int64(len(ids))-held)
	}
}

// release hands the rows in flight back at shutdown.
func (s *Sender) release() {
	s.mu.Lock()
	s.stopping = true
	ids := s.inflightIDsLocked()
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.o.Store.ReleaseOutbox(ctx, s.o.Node, ids); err != nil {
		s.o.Logger.Warn("outbox: releasing claims (they lapse on their own)", "err", err)
	}
}

// inflightIDsLocked lists the outbox rows of the flights (s.mu held).
func (s *Sender) inflightIDsLocked() []int64 {
	ids := make([]int64, 0, len(s.inflight))
	for _, f := range s.inflight {
		ids = append(ids, f.item.ID)
	}
	return ids
}

// InFlight counts the rows this node is sending.
func (s *Sender) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inflight)
}
