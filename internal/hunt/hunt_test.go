package hunt

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/certhunt/certhunt/internal/testinfra"
)

func TestSplit(t *testing.T) {
	items := Split("h", []Range{{URL: "a", From: 5, To: 25}, {URL: "b", From: 0, To: 0}, {URL: "c", From: 0, To: 10}}, 10)
	want := []struct {
		url      string
		from, to int64
	}{{"a", 5, 15}, {"a", 15, 25}, {"c", 0, 10}}
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(items), len(want), items)
	}
	for i, w := range want {
		if it := items[i]; it.Seq != i || it.URL != w.url || it.From != w.from || it.To != w.to || it.Hunt != "h" {
			t.Errorf("item %d = %+v, want %+v", i, it, w)
		}
	}
}

func TestValidID(t *testing.T) {
	if !validID(NewID(time.Now())) {
		t.Error("NewID made an ID validID refuses")
	}
	for _, bad := range []string{"", "a.b", "a b", "x'--", string(make([]byte, 65))} {
		if validID(bad) {
			t.Errorf("validID(%q)", bad)
		}
	}
}

func testJS(t *testing.T) (string, func() (*nats.Conn, jetstream.JetStream)) {
	t.Helper()
	url := testinfra.NATS(t)
	return url, func() (*nats.Conn, jetstream.JetStream) {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return nc, js
	}
}

// TestItemOfADeadNodeIsRedelivered: a node takes an item and dies (its connection drops, no
// acknowledgement, no Nak); after AckWait another node gets the item and finishes it, and the
// hunt counts it once. A failing item is retried, then recorded failed.
func TestItemOfADeadNodeIsRedelivered(t *testing.T) {
	db := testinfra.Postgres(t, "hunt store tests")
	_, conn := testJS(t)
	ctx := context.Background()
	st, err := OpenStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := QueueOptions{AckWait: time.Second, RetryDelay: time.Millisecond, MaxAttempts: 2}
	ranges := []Range{{Log: "l", URL: "http://log/", Type: "rfc6962", From: 0, To: 30}}
	items := Split("h1", ranges, 10)
	items[2].URL = "http://failing/"
	if err := st.Create(ctx, "h1", time.Now(), ranges, items); err != nil {
		t.Fatal(err)
	}

	ncA, jsA := conn()
	qa, err := OpenQueue(ctx, jsA, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := qa.Publish(ctx, items); err != nil {
		t.Fatal(err)
	}
	taken := make(chan Item, 1)
	deadCtx, kill := context.WithCancel(ctx)
	defer kill()
	a := &Worker{Queue: qa, Store: st, Node: "dying", Handle: func(ctx context.Context, it Item, progress func(int64)) error {
		progress(5)
		taken <- it
		<-ctx.Done() // never finishes
		return ctx.Err()
	}}
	go a.Run(deadCtx)
	var first Item
	select {
	case first = <-taken:
	case <-time.After(30 * time.Second):
		t.Fatal("the first node never took an item")
	}
	ncA.Close() // dies: the item stays unacknowledged

	_, jsB := conn()
	qb, err := OpenQueue(ctx, jsB, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := qb.Publish(ctx, items); err != nil { // again: deduplicated by message ID, no second copy
		t.Fatal(err)
	}
	var handled atomic.Int64
	b := &Worker{Queue: qb, Store: st, Node: "survivor", Handle: func(ctx context.Context, it Item, progress func(int64)) error {
		handled.Add(1)
		if it.URL == "http://failing/" {
			return errors.New("log unreachable")
		}
		progress(it.Len())
		return nil
	}}
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.Run(bctx)
	deadline := time.Now().Add(30 * time.Second)
	var h *Hunt
	for {
		if h, err = st.Get(ctx, "h1"); err != nil {
			t.Fatal(err)
		}
		if h.Finished || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling state
	}
	if !h.Finished || h.ItemsDone != 2 || h.ItemsFailed != 1 || h.Nodes["survivor"] != 2 || h.Nodes["dying"] != 0 || len(h.Errors) != 1 {
		t.Fatalf("hunt %+v (the dying node had item %d)", h, first.Seq)
	}
	if h.EntriesTotal != 30 || h.EntriesDone != 20 {
		t.Errorf("entries %d of %d, want 20 of 30 (the failed item reached none)", h.EntriesDone, h.EntriesTotal)
	}
	if n := handled.Load(); n != 4 { // two good items, the failing one twice
		t.Errorf("survivor handled %d items, want 4", n)
	}
}
