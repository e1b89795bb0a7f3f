package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/certhunt/certhunt/internal/backoff"
	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
)

// Batch transport defaults (SPEC.md "Cluster"): ingest nodes publish what their sources read to
// one work-queue stream; detect nodes share one durable pull consumer of it.
const (
	DefaultBatchStream   = "CERTHUNT_BATCHES"
	DefaultBatchSubject  = "certhunt.batches"
	DefaultBatchConsumer = "certhunt-detect"
	// DefaultBatchMaxBytes bounds the stream: when detect nodes fall this far behind, ingest
	// publishes are refused (DiscardNew) and the followers stop fetching until there is room.
	DefaultBatchMaxBytes = 1 << 30
	// DefaultAckWait is how long a detect node may hold a batch without acknowledging or
	// signalling progress before it is handed to another node.
	DefaultAckWait = 30 * time.Second
	// DefaultMaxHandle is how long a node keeps one batch to itself by signalling progress:
	// a node stuck longer than this is presumed stalled and the batch goes to another node.
	DefaultMaxHandle = 5 * time.Minute
)

// BatchOptions tune the batch transport; the zero value gives the defaults.
type BatchOptions struct {
	Stream, Subject, Consumer string
	MaxBytes                  int64
	AckWait, MaxHandle        time.Duration
	// Workers is how many batches a detect node handles at once (default 2: one is decoded
	// and fetched while the other is handled).
	Workers int
	// NakDelay is how long a batch whose handling failed (the store) waits before redelivery.
	NakDelay time.Duration
	Logger   *slog.Logger
}

func (o BatchOptions) withDefaults() BatchOptions {
	if o.Stream == "" {
		o.Stream = DefaultBatchStream
	}
	if o.Subject == "" {
		o.Subject = DefaultBatchSubject
	}
	if o.Consumer == "" {
		o.Consumer = DefaultBatchConsumer
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultBatchMaxBytes
	}
	if o.AckWait == 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxHandle == 0 {
		o.MaxHandle = DefaultMaxHandle
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.NakDelay == 0 {
		o.NakDelay = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Batches is the JetStream batch transport between ingest and detect nodes.
type Batches struct {
	js         jetstream.JetStream
	opts       BatchOptions
	maxPayload int
	stream     jetstream.Stream

	// Counters, for metrics and tests.
	Published, Handled, Redelivered, Poison, Refused atomic.Int64
}

// OpenBatches creates (or updates) the stream and the shared consumer.
func (n *Node) OpenBatches(ctx context.Context, o BatchOptions) (*Batches, error) {
	o = o.withDefaults()
	st, err := n.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: o.Stream, Subjects: []string{o.Subject}, Description: "certhunt: CT batches from ingest to detect nodes",
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Discard: jetstream.DiscardNew,
		MaxBytes: o.MaxBytes, MaxMsgs: -1, Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster batches: stream %s: %w", o.Stream, err)
	}
	_, err = st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: o.Consumer, Description: "certhunt detect nodes", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: o.AckWait, MaxDeliver: -1, MaxAckPending: 1024,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster batches: consumer %s: %w", o.Consumer, err)
	}
	mp := int(n.nc.MaxPayload())
	if mp <= 0 {
		mp = 1 << 20
	}
	return &Batches{js: n.js, opts: o, maxPayload: mp, stream: st}, nil
}

// payloadRoom leaves room under the server's max_payload for headers.
const payloadRoom = 1024

// split encodes a batch as messages that each fit the server's max_payload, halving runs of
// entries until they do. An entry too big to travel on its own is turned into a malformed
// record (kept, with why), never dropped.
func (b *Batches) split(batch source.Batch) ([][]byte, error) {
	limit := b.maxPayload - payloadRoom
	var out [][]byte
	var rec func(entries []certs.Entry, malformed []source.Malformed) error
	rec = func(entries []certs.Entry, malformed []source.Malformed) error {
		data, err := encode(batch.Source, entries, malformed)
		if err != nil {
			return err
		}
		if len(data) <= limit {
			out = append(out, data)
			return nil
		}
		switch {
		case len(entries) > 1:
			h := len(entries) / 2
			if err := rec(entries[:h], malformed); err != nil {
				return err
			}
			return rec(entries[h:], nil)
		case len(entries) == 1 && len(malformed) > 0:
			if err := rec(nil, malformed); err != nil {
				return err
			}
			return rec(entries, nil)
		case len(entries) == 1:
			e := entries[0]
			log := e.Log
			if batch.Source != (certs.LogRef{}) {
				log = batch.Source
			}
			return rec(nil, []source.Malformed{{Log: log, Index: e.Index,
				Err: fmt.Sprintf("entry of %d bytes does not fit the NATS server's max_payload (%d bytes)", len(data), b.maxPayload)}})
		case len(malformed) > 1:
			h := len(malformed) / 2
			if err := rec(nil, malformed[:h]); err != nil {
				return err
			}
			return rec(nil, malformed[h:])
		default: // one malformed record: drop its raw bytes, keep the record
			m := malformed[0]
			if m.Data == nil {
				return fmt.Errorf("a malformed record of %d bytes does not fit max_payload", len(data))
			}
			m.Data = nil
			return rec(nil, []source.Malformed{m})
		}
	}
	if err := rec(batch.Entries, batch.Malformed); err != nil {
		return nil, err
	}
	return out, nil
}

// Publish puts the batch durably into the stream (every message acknowledged by JetStream) and
// then calls its Commit, so that a cursor only moves past what detect nodes will get. A publish
// refused (the stream is full, NATS unreachable) is retried with backoff until ctx ends: the
// caller stops reading its channel meanwhile, which stops the fetchers.
func (b *Batches) Publish(ctx context.Context, batch source.Batch) error {
	if len(batch.Entries) == 0 && len(batch.Malformed) == 0 {
		return b.commit(ctx, batch)
	}
	msgs, err := b.split(batch)
	if err != nil {
		return fmt.Errorf("cluster batches: encoding: %w", err)
	}
	// Each message gets an ID once, reused by its retries, so that a retry of a message
	// JetStream did store (its acknowledgement was lost) is dropped by the duplicate window.
	pending := make([]outMsg, len(msgs))
	for i, data := range msgs {
		id := make([]byte, 16)
		rand.Read(id)
		pending[i] = outMsg{id: hex.EncodeToString(id), data: data}
	}
	wait := backoff.Backoff{Min: 50 * time.Millisecond, Max: 5 * time.Second}
	for len(pending) > 0 {
		failed, err := b.publishAll(ctx, pending)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.Refused.Add(1)
		delay := wait.Next()
		b.opts.Logger.Warn("cluster batches: publish refused, retrying (the stream may be full: detect nodes are behind)",
			"err", err, "retry_in", delay)
		if !backoff.Sleep(ctx, delay) {
			return ctx.Err()
		}
		pending = failed
	}
	b.Published.Add(int64(len(msgs)))
	return b.commit(ctx, batch)
}

// commit calls the batch's Commit, retrying while it fails (the cursor store is down): the batch
// is in the stream already, so it is not published again, and reading waits meanwhile.
func (b *Batches) commit(ctx context.Context, batch source.Batch) error {
	if batch.Commit == nil {
		return nil
	}
	wait := backoff.Backoff{Min: 100 * time.Millisecond, Max: 30 * time.Second}
	for {
		err := batch.Commit()
		if err == nil {
			return nil
		}
		delay := wait.Next()
		b.opts.Logger.Error("cluster batches: batch stored in the stream but its commit failed, retrying", "err", err, "retry_in", delay)
		if !backoff.Sleep(ctx, delay) {
			return ctx.Err()
		}
	}
}

// outMsg is a message to publish with its ID.
type outMsg struct {
	id   string
	data []byte
}

// publishAll sends every message asynchronously and waits for all acknowledgements; it returns
// the messages not acknowledged.
func (b *Batches) publishAll(ctx context.Context, msgs []outMsg) ([]outMsg, error) {
	futures := make([]jetstream.PubAckFuture, len(msgs))
	var failed []outMsg
	var first error
	for i, om := range msgs {
		m := &nats.Msg{Subject: b.opts.Subject, Data: om.data, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, om.id)
		f, err := b.js.PublishMsgAsync(m)
		if err != nil {
			failed = append(failed, om)
			first = cmp.Or(first, err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			failed = append(failed, msgs[i])
			first = cmp.Or(first, err)
		case <-ctx.Done():
			return msgs, ctx.Err()
		}
	}
	return failed, first
}

// Handler handles one batch durably; an error means it was not (the batch is redelivered).
type Handler func(ctx context.Context, b source.Batch) error

// Poison is how a message that cannot be decoded is kept: recorded as a malformed entry of
// the stream, so it is counted and visible, then terminated (never redelivered).
type Poison func(ctx context.Context, m source.Malformed) error

// Consume handles batches from the shared consumer until ctx ends, acknowledging each only
// after handle returned nil. Several nodes consuming share the work; a batch a node does not
// acknowledge within AckWait (it died or stalled) is redelivered to another.
func (b *Batches) Consume(ctx context.Context, handle Handler, poison Poison) error {
	cons, err := b.stream.Consumer(ctx, b.opts.Consumer)
	if err != nil {
		return fmt.Errorf("cluster batches: consumer %s: %w", b.opts.Consumer, err)
	}
	// A small buffer: messages fetched but not yet handled count against AckWait, and a node
	// that stalls should hold few.
	it, err := cons.Messages(jetstream.PullMaxMessages(b.opts.Workers))
	if err != nil {
		return fmt.Errorf("cluster batches: consuming: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, b.opts.Workers)
	wait := backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			delay := wait.Next()
			b.opts.Logger.Warn("cluster batches: fetching", "err", err, "retry_in", delay)
			if !backoff.Sleep(ctx, delay) {
				return nil
			}
			continue
		}
		wait.Reset()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil // msg is redelivered after AckWait
		}
		wg.Go(func() {
			defer func() { <-sem }()
			b.handleMsg(ctx, msg, handle, poison)
		})
	}
}

// handleMsg decodes, handles and acknowledges one message.
func (b *Batches) handleMsg(ctx context.Context, msg jetstream.Msg, handle Handler, poison Poison) {
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
		b.Redelivered.Add(1)
	}
	batch, err := decode(msg.Data())
	if err != nil {
		b.Poison.Add(1)
		seq := int64(0)
		if md, err := msg.Metadata(); err == nil {
			seq = int64(md.Sequence.Stream)
		}
		m := source.Malformed{Log: certs.LogRef{Name: "cluster batch stream", URL: "nats:" + b.opts.Stream, Type: "cluster"},
			Index: seq, Err: "undecodable cluster batch: " + err.Error(), Data: msg.Data()}
		b.opts.Logger.Error("cluster batches: undecodable message, recorded and discarded", "seq", seq, "err", err)
		if poison != nil {
			if err := poison(ctx, m); err != nil {
				msg.NakWithDelay(b.opts.NakDelay)
				return
			}
		}
		msg.Term()
		return
	}
	// Signal progress while a batch takes long, up to MaxHandle.
	hctx, done := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(b.opts.AckWait / 3)
		defer t.Stop()
		until := time.Now().Add(b.opts.MaxHandle)
		for {
			select {
			case <-hctx.Done():
				return
			case now := <-t.C:
				if now.After(until) {
					return
				}
				msg.InProgress()
			}
		}
	}()
	err = handle(ctx, batch)
	done()
	if err != nil {
		if ctx.Err() != nil {
			msg.Nak() // stopping: another node may have it at once
			return
		}
		b.opts.Logger.Error("cluster batches: batch not handled, redelivering", "err", err, "in", b.opts.NakDelay)
		msg.NakWithDelay(b.opts.NakDelay)
		return
	}
	if err := msg.DoubleAck(ctx); err != nil {
		// Handled but not acknowledged: it comes again and is handled again (idempotently).
		b.opts.Logger.Warn("cluster batches: acknowledgement failed; the batch will be redelivered", "err", err)
		return
	}
	b.Handled.Add(1)
}

// Pending is how many batches wait in the stream (published, not yet acknowledged).
func (b *Batches) Pending(ctx context.Context) (uint64, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}
