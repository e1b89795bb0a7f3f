package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testinfra"
)

var testLog = certs.LogRef{Name: "Test log", URL: "https://ct.example/log/", Type: "rfc6962"}

// testBatch is n entries from index first, each with a DER of size bytes and the same chain.
func testBatch(first int64, n, size int) source.Batch {
	chain := [][]byte{bytes.Repeat([]byte{0xCA}, 900), bytes.Repeat([]byte{0x1C}, 700)}
	b := source.Batch{}
	for i := range n {
		der := bytes.Repeat([]byte{byte(i)}, size)
		b.Entries = append(b.Entries, certs.Entry{Log: testLog, Index: first + int64(i), Type: certs.X509, DER: der,
			Chain: chain, Timestamp: time.Unix(1700000000, int64(i)).UTC()})
	}
	return b
}

func TestBatchEncodingRoundTrip(t *testing.T) {
	b := testBatch(10, 3, 50)
	b.Entries[1].Type, b.Entries[1].TBS, b.Entries[1].Unverified = certs.Precert, []byte("tbs"), true
	b.Entries[2].Parsed = &certs.Cert{SHA256: "ab", DNSNames: []string{"paypa1.com"}, NotAfter: time.Unix(1800000000, 0).UTC()}
	b.Entries[2].Timestamp = time.Time{}
	b.Malformed = []source.Malformed{{Log: testLog, Index: 13, Err: "bad", Data: []byte{1, 2}}}
	b.Source = certs.LogRef{Name: "relay", URL: "wss://relay.example/"}
	data, err := encode(b.Source, b.Entries, b.Malformed)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 3*50+1600+1500 { // the chain travels once, not thrice
		t.Errorf("encoded %d bytes: the shared chain is not sent once", len(data))
	}
	got, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != b.Source || len(got.Entries) != 3 || len(got.Malformed) != 1 || got.Malformed[0].Index != 13 ||
		!bytes.Equal(got.Malformed[0].Data, []byte{1, 2}) {
		t.Fatalf("decoded %+v", got)
	}
	for i, e := range got.Entries {
		w := b.Entries[i]
		if e.Log != w.Log || e.Index != w.Index || e.Type != w.Type || !bytes.Equal(e.DER, w.DER) || !bytes.Equal(e.TBS, w.TBS) ||
			!e.Timestamp.Equal(w.Timestamp) || e.Unverified != w.Unverified || len(e.Chain) != 2 || !bytes.Equal(e.Chain[1], w.Chain[1]) {
			t.Errorf("entry %d: got %+v, want %+v", i, e, w)
		}
	}
	if p := got.Entries[2].Parsed; p == nil || p.DNSNames[0] != "paypa1.com" || !p.NotAfter.Equal(b.Entries[2].Parsed.NotAfter) {
		t.Errorf("parsed certificate %+v", p)
	}
	for _, bad := range [][]byte{nil, []byte("garbage"), data[:len(data)/2]} {
		if _, err := decode(bad); err == nil {
			t.Errorf("decoded %q", bad)
		}
	}
}

// A batch bigger than max_payload travels as several messages; an entry too big for one
// message becomes a malformed record saying so.
func TestBatchSplit(t *testing.T) {
	b := &Batches{maxPayload: 16 << 10}
	batch := testBatch(0, 100, 1000)
	batch.Entries[40].DER = make([]byte, 20<<10)
	batch.Malformed = []source.Malformed{{Log: testLog, Index: 100, Err: "x", Data: make([]byte, 30<<10)}}
	msgs, err := b.split(batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 7 {
		t.Fatalf("%d messages for 100 KB", len(msgs))
	}
	seen := map[int64]bool{}
	var malformed []source.Malformed
	for _, m := range msgs {
		if len(m) > b.maxPayload {
			t.Fatalf("message of %d bytes", len(m))
		}
		got, err := decode(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got.Entries {
			seen[e.Index] = true
		}
		malformed = append(malformed, got.Malformed...)
	}
	if len(seen) != 99 || seen[40] || len(malformed) != 2 {
		t.Fatalf("entries %d (40 seen: %v), malformed %+v", len(seen), seen[40], malformed)
	}
	for _, m := range malformed {
		if m.Index == 40 && m.Data != nil || m.Index == 100 && m.Data != nil {
			t.Errorf("malformed %d kept %d bytes", m.Index, len(m.Data))
		}
	}
}

func openBatches(t *testing.T, n *Node, o BatchOptions) *Batches {
	t.Helper()
	b, err := n.OpenBatches(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// handled records which (log, index) entries were handled, and how often.
type handled struct {
	mu    sync.Mutex
	times map[int64]int
}

func (h *handled) add(b source.Batch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.times == nil {
		h.times = map[int64]int{}
	}
	for _, e := range b.Entries {
		h.times[e.Index]++
	}
}

func (h *handled) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.times)
}

// Publish commits only once the batch is in the stream; consumers get every entry; a handler
// error redelivers the batch; an undecodable message is recorded as poison and not redelivered.
func TestPublishConsume(t *testing.T) {
	url := testinfra.NATS(t)
	ing, det := join(t, url, "ingest"), join(t, url, "detect")
	o := BatchOptions{AckWait: time.Second, NakDelay: 10 * time.Millisecond}
	pub, sub := openBatches(t, ing, o), openBatches(t, det, o)
	pub.maxPayload = 64 << 10 // several messages per batch
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var h handled
	var fails atomic.Int64
	var poisoned atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- sub.Consume(ctx, func(ctx context.Context, b source.Batch) error {
			if b.Commit != nil {
				t.Error("a consumed batch has a Commit")
			}
			if fails.Add(1) == 2 {
				return errors.New("store down")
			}
			h.add(b)
			return nil
		}, func(ctx context.Context, m source.Malformed) error {
			if m.Data == nil || m.Err == "" {
				t.Errorf("poison record %+v", m)
			}
			poisoned.Add(1)
			return nil
		})
	}()
	var commits []int64
	for i := range 5 {
		b := testBatch(int64(i*100), 100, 2000)
		end := int64(i*100 + 100)
		b.Commit = func() error {
			commits = append(commits, end)
			return nil
		}
		if err := pub.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(commits) != "[100 200 300 400 500]" {
		t.Fatalf("commits %v", commits)
	}
	if err := ing.nc.Publish(DefaultBatchSubject, []byte("not a batch")); err != nil {
		t.Fatal(err)
	}
	testinfra.WaitFor(t, "every entry handled and the poison recorded", func() bool { return h.count() == 500 && poisoned.Load() == 1 })
	testinfra.WaitFor(t, "the stream drained", func() bool { p, _ := pub.Pending(ctx); return p == 0 })
	if sub.Poison.Load() != 1 || sub.Redelivered.Load() < 1 {
		t.Errorf("poison %d, redelivered %d", sub.Poison.Load(), sub.Redelivered.Load())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A full stream refuses publishes: Publish waits (no commit, so the follower's channel fills
// and its fetchers stop) until detect nodes make room, and nothing is lost.
func TestBackPressure(t *testing.T) {
	url := testinfra.NATS(t)
	n := join(t, url, "a")
	b := openBatches(t, n, BatchOptions{MaxBytes: 200 << 10, AckWait: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var committed atomic.Int64
	published := make(chan error, 1)
	go func() {
		for i := range 10 { // 10 batches of ~50 KB into a 200 KB stream
			bt := testBatch(int64(i*50), 50, 1000)
			bt.Commit = func() error { committed.Add(1); return nil }
			if err := b.Publish(ctx, bt); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()
	testinfra.WaitFor(t, "the stream refuses a publish", func() bool { return b.Refused.Load() > 0 })
	if c := committed.Load(); c >= 10 {
		t.Fatalf("%d batches committed into a full stream", c)
	}
	var h handled
	go b.Consume(ctx, func(ctx context.Context, bt source.Batch) error { h.add(bt); return nil }, nil)
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	testinfra.WaitFor(t, "every entry handled", func() bool { return h.count() == 500 })
	if committed.Load() != 10 {
		t.Fatalf("%d commits", committed.Load())
	}
}

// Two detect nodes share the consumer; one stalls in its handler for good. The other still
// handles every batch, the stalled one's included once their ack wait lapses.
func TestStalledDetectNode(t *testing.T) {
	url := testinfra.NATS(t)
	o := BatchOptions{AckWait: 500 * time.Millisecond, MaxHandle: 600 * time.Millisecond}
	a, s := join(t, url, "a"), join(t, url, "stalled")
	ba, bs := openBatches(t, a, o), openBatches(t, s, o)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stall := make(chan struct{})
	defer close(stall)
	var stalled atomic.Int64
	go bs.Consume(ctx, func(ctx context.Context, b source.Batch) error {
		stalled.Add(1)
		select {
		case <-stall:
		case <-ctx.Done():
		}
		return errors.New("stalled")
	}, nil)
	for i := range 20 {
		if err := ba.Publish(ctx, testBatch(int64(i*10), 10, 100)); err != nil {
			t.Fatal(err)
		}
	}
	testinfra.WaitFor(t, "the stalled node takes a batch", func() bool { return stalled.Load() > 0 })
	var h handled
	go ba.Consume(ctx, func(ctx context.Context, b source.Batch) error { h.add(b); return nil }, nil)
	testinfra.WaitFor(t, "the other node handles every entry", func() bool { return h.count() == 200 })
	if ba.Redelivered.Load() == 0 {
		t.Error("no batch was redelivered from the stalled node")
	}
}

// A commit that fails (PostgreSQL down) is retried, without publishing the batch again.
func TestCommitRetried(t *testing.T) {
	url := testinfra.NATS(t)
	n := join(t, url, "a")
	b := openBatches(t, n, BatchOptions{})
	var calls atomic.Int64
	bt := testBatch(0, 10, 100)
	bt.Commit = func() error {
		if calls.Add(1) < 3 {
			return errors.New("database down")
		}
		return nil
	}
	if err := b.Publish(context.Background(), bt); err != nil {
		t.Fatal(err)
	}
	if p, _ := b.Pending(context.Background()); calls.Load() != 3 || p != 1 {
		t.Fatalf("%d commit calls, %d messages in the stream; want 3 and 1", calls.Load(), p)
	}
}

// FuzzDecode: whatever is published on the subject, decoding neither panics nor allocates
// beyond the message (every count and length is checked against the bytes left).
func FuzzDecode(f *testing.F) {
	b := testBatch(5, 3, 40)
	b.Entries[0].Parsed = &certs.Cert{DNSNames: []string{"a.example"}}
	b.Malformed = []source.Malformed{{Log: testLog, Index: 9, Err: "x", Data: []byte{1}}}
	data, err := encode(testLog, b.Entries, b.Malformed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)-3])
	f.Add([]byte("CHB1\x00\x00\x00\x00\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := decode(data)
		if err != nil {
			return
		}
		if len(b.Entries)+len(b.Malformed) > len(data) {
			t.Fatalf("%d items from %d bytes", len(b.Entries)+len(b.Malformed), len(data))
		}
		again, err := encode(b.Source, b.Entries, b.Malformed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decode(again); err != nil {
			t.Fatalf("a decoded batch does not round-trip: %v", err)
		}
	})
}

// BenchmarkBatchHop is the transport alone: batches of 256 entries of 1.5 KB (about a CT
// certificate) with a shared chain, published, stored (file storage), consumed and
// acknowledged through an in-process nats-server; it reports the CPU-independent figures
// entries/s and MB/s of entry data.
func BenchmarkBatchHop(b *testing.B) {
	url := testinfra.NATS(b)
	n, err := Join(context.Background(), url, "bench", LeaseOptions{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	bt, err := n.OpenBatches(context.Background(), BatchOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got atomic.Int64
	want := int64(b.N) * 256
	done := make(chan struct{})
	var once sync.Once
	go bt.Consume(ctx, func(ctx context.Context, batch source.Batch) error {
		if got.Add(int64(len(batch.Entries))) >= want {
			once.Do(func() { close(done) })
		}
		return nil
	}, nil)
	batch := testBatch(0, 256, 1500)
	b.SetBytes(256 * 1500)
	b.ResetTimer()
	for range b.N {
		if err := bt.Publish(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.ReportMetric(float64(b.N*256)/b.Elapsed().Seconds(), "entries/s")
}
