package hunt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/certhunt/certhunt/internal/backoff"
)

// Queue defaults.
const (
	DefaultStream   = "CERTHUNT_HUNT"
	DefaultConsumer = "certhunt-hunters"
	// DefaultAckWait is how long an item a node stopped reporting on stays with it: how
	// soon a dead node's item goes to another (working nodes report every AckWait/3).
	DefaultAckWait = time.Minute
	// DefaultMaxAttempts is how often an item is tried before it is recorded failed.
	DefaultMaxAttempts = 5
)

// QueueOptions tune the work queue; the zero value gives the defaults.
type QueueOptions struct {
	Stream, Consumer string
	AckWait          time.Duration
	MaxAttempts      int
	// RetryDelay is the wait before a failed item is offered again (default 10 s).
	RetryDelay time.Duration
	Logger     *slog.Logger
}

func (o QueueOptions) withDefaults() QueueOptions {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Consumer == "" {
		o.Consumer = DefaultConsumer
	}
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Queue is the hunts' work queue: a JetStream stream with work-queue retention (an item is
// gone once acknowledged) and one durable consumer shared by every detect node.
type Queue struct {
	js      jetstream.JetStream
	stream  jetstream.Stream
	subject string
	o       QueueOptions
}

// OpenQueue opens (creating when missing) the work-queue stream and its consumer.
func OpenQueue(ctx context.Context, js jetstream.JetStream, o QueueOptions) (*Queue, error) {
	o = o.withDefaults()
	subject := "certhunt.hunt." + o.Stream
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: o.Stream, Subjects: []string{subject},
		Description: "certhunt: hunt work items", Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		Duplicates: 10 * time.Minute})
	if err != nil {
		return nil, fmt.Errorf("hunt queue: stream %s: %w", o.Stream, err)
	}
	if _, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: o.Consumer, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: o.AckWait, MaxAckPending: -1, Description: "certhunt: detect nodes taking hunt items"}); err != nil {
		return nil, fmt.Errorf("hunt queue: consumer %s: %w", o.Consumer, err)
	}
	return &Queue{js: js, stream: st, subject: subject, o: o}, nil
}

// Publish puts items on the queue. Each carries a message ID, so publishing one again (a
// retry after a lost answer) does not queue it twice.
func (q *Queue) Publish(ctx context.Context, items []Item) error {
	for _, it := range items {
		body, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if _, err := q.js.Publish(ctx, q.subject, body, jetstream.WithMsgID(it.Hunt+"."+strconv.Itoa(it.Seq))); err != nil {
			return fmt.Errorf("hunt queue: publishing item %d of %s: %w", it.Seq, it.Hunt, err)
		}
	}
	return nil
}

// Handler reads one item's range through the pipeline, calling progress with the entries
// handled so far; nil means every entry is durably handled.
type Handler func(ctx context.Context, it Item, progress func(entries int64)) error

// Worker takes items from the queue, one at a time, until ctx ends.
type Worker struct {
	Queue  *Queue
	Store  *Store
	Node   string
	Handle Handler
	Logger *slog.Logger
	// Taken is told each item this node starts (tests, metrics); may be nil.
	Taken func(Item)
}

// Run works until ctx ends. An item in hand when ctx ends is handed back at once (Nak).
func (w *Worker) Run(ctx context.Context) error {
	log := w.Logger
	if log == nil {
		log = w.Queue.o.Logger
	}
	cons, err := w.Queue.stream.Consumer(ctx, w.Queue.o.Consumer)
	if err != nil {
		return fmt.Errorf("hunt queue: %w", err)
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("hunt queue: fetching an item", "err", err)
				backoff.Sleep(ctx, time.Second)
			}
			continue
		}
		for msg := range batch.Messages() {
			w.one(ctx, msg, log)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil &&
			!errors.Is(err, context.DeadlineExceeded) {
			log.Debug("hunt queue: fetch ended", "err", err)
		}
	}
	return nil
}

// one handles one message: an item read, recorded, then acknowledged.
func (w *Worker) one(ctx context.Context, msg jetstream.Msg, log *slog.Logger) {
	var it Item
	if err := json.Unmarshal(msg.Data(), &it); err != nil || !validID(it.Hunt) {
		log.Error("hunt queue: unreadable item dropped", "err", err)
		msg.Term()
		return
	}
	log = log.With("hunt", it.Hunt, "item", it.Seq, "log", it.URL, "from", it.From, "to", it.To)
	attempt, err := w.Store.Start(ctx, it, w.Node)
	if err != nil {
		log.Warn("hunt: recording the start of an item", "err", err)
		msg.NakWithDelay(w.Queue.o.RetryDelay)
		return
	}
	if attempt == 0 { // done or failed before (its ack was lost), or a hunt this database does not know
		msg.Ack()
		return
	}
	// Tell JetStream the item is in hand while it is read, so it is not given to another node.
	ictx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(w.Queue.o.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-ictx.Done():
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	})
	var last time.Time
	var entries int64
	herr := w.Handle(ictx, it, func(n int64) {
		entries = n
		if time.Since(last) >= time.Second {
			last = time.Now()
			if err := w.Store.Progress(ictx, it, w.Node, n); err != nil && ictx.Err() == nil {
				log.Debug("hunt: recording progress", "err", err)
			}
		}
	})
	stop()
	wg.Wait()
	if herr == nil {
		entries = it.Len()
	}
	switch {
	case ctx.Err() != nil:
		msg.Nak() // shutting down: another node takes it at once
		return
	case herr != nil && attempt < w.Queue.o.MaxAttempts:
		log.Warn("hunt: item failed, offered again later", "attempt", attempt, "err", herr)
		msg.NakWithDelay(w.Queue.o.RetryDelay)
		return
	case herr != nil:
		log.Error("hunt: item failed for good", "attempts", attempt, "err", herr)
	}
	fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Store.Finish(fctx, it, w.Node, entries, herr); err != nil {
		log.Warn("hunt: recording an item finished (it is read again)", "err", err)
		msg.NakWithDelay(w.Queue.o.RetryDelay)
		return
	}
	if err := msg.DoubleAck(fctx); err != nil {
		log.Debug("hunt: acknowledging an item (it may be offered again, and is then skipped)", "err", err)
	}
}
