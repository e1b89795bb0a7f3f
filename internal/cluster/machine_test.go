package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// machineNATS joins the machine's NATS server ($CERTHUNT_TEST_NATS, else 127.0.0.1:4222) with
// lease bucket and batch stream names of the test's own, deleted afterwards; the test skips
// when no server with JetStream answers.
func machineNATS(t *testing.T, names ...string) ([]*Node, BatchOptions) {
	t.Helper()
	url := os.Getenv("CERTHUNT_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	b := make([]byte, 6)
	rand.Read(b)
	id := hex.EncodeToString(b)
	lo := LeaseOptions{Bucket: "certhunt_test_" + id, TTL: fastLeases.TTL, Renew: fastLeases.Renew}
	var nodes []*Node
	for _, name := range names {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := Join(ctx, url, name, lo, nil)
		cancel()
		if err != nil {
			t.Skipf("machine NATS tests skipped: no NATS with JetStream at %s (set CERTHUNT_TEST_NATS): %v", redactURLs(url), err)
		}
		nodes = append(nodes, n)
	}
	o := BatchOptions{Stream: "CERTHUNT_TEST_" + id, Subject: "certhunt.test." + id, Consumer: "detect-" + id,
		MaxBytes: 64 << 20, AckWait: 500 * time.Millisecond, MaxHandle: time.Second}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		js := nodes[0].JetStream()
		js.DeleteStream(ctx, o.Stream)
		js.DeleteKeyValue(ctx, lo.Bucket)
		for _, n := range nodes {
			n.nc.Close()
		}
	})
	return nodes, o
}

// TestBatchesOnMachineNATS runs the transport on the machine's NATS server: batches published
// by one node are all handled by the other while a third detect node hangs on what it takes.
func TestBatchesOnMachineNATS(t *testing.T) {
	nodes, o := machineNATS(t, "ingest", "detect", "hung")
	pub, det, hung := openBatches(t, nodes[0], o), openBatches(t, nodes[1], o), openBatches(t, nodes[2], o)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var took atomic.Int64
	go hung.Consume(ctx, func(ctx context.Context, b source.Batch) error {
		took.Add(1)
		<-ctx.Done()
		return errors.New("hung")
	}, nil)
	var committed atomic.Int64
	for i := range 10 {
		b := testBatch(int64(i*50), 50, 500)
		b.Commit = func() error { committed.Add(1); return nil }
		if err := pub.Publish(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if committed.Load() != 10 {
		t.Fatalf("%d commits", committed.Load())
	}
	testinfra.WaitFor(t, "the hung node takes a batch", func() bool { return took.Load() > 0 })
	var h handled
	go det.Consume(ctx, func(ctx context.Context, b source.Batch) error { h.add(b); return nil }, nil)
	testinfra.WaitFor(t, "every entry handled by the other node", func() bool { return h.count() == 500 })
	testinfra.WaitFor(t, "the stream drained", func() bool { p, err := pub.Pending(ctx); return err == nil && p == 0 })
}
