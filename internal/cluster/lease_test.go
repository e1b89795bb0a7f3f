package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/certhunt/certhunt/internal/testinfra"
)

// fastLeases keep the test short: a dead holder is replaced within about 2 s.
var fastLeases = LeaseOptions{TTL: 1500 * time.Millisecond, Renew: 500 * time.Millisecond}

// workers counts, per log, the nodes working on it at once, which must never exceed one.
type workers struct {
	t      *testing.T
	mu     sync.Mutex
	active map[string]string // log -> node working on it
	starts atomic.Int64
}

func (w *workers) work(node, log string) func(context.Context) error {
	return func(ctx context.Context) error {
		w.mu.Lock()
		if other, ok := w.active[log]; ok {
			w.t.Errorf("%s: %s started while %s still works on it", log, node, other)
		}
		w.active[log] = node
		w.mu.Unlock()
		w.starts.Add(1)
		<-ctx.Done()
		w.mu.Lock()
		if w.active[log] == node {
			delete(w.active, log)
		}
		w.mu.Unlock()
		return ctx.Err()
	}
}

func join(t *testing.T, url, name string) *Node {
	t.Helper()
	n, err := Join(context.Background(), url, name, fastLeases, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.nc.Close)
	return n
}

// holdAll runs Hold for every log on n until the returned stop is called.
func holdAll(n *Node, logs []string, w *workers) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, l := range logs {
		wg.Go(func() { n.Leases.Hold(ctx, l, w.work(n.Name, l)) })
	}
	return func() { cancel(); wg.Wait() }
}

func holders(nodes []*Node, log string) []string {
	var out []string
	for _, n := range nodes {
		if n.Leases.Holding(log) {
			out = append(out, n.Name)
		}
	}
	return out
}

// TestTakeoverWhenHolderDies: two nodes contend for three logs; each log is held by exactly
// one; the node holding the first log loses its connection (as a killed process does) and the
// other takes every log over, with never two nodes working on one log.
func TestTakeoverWhenHolderDies(t *testing.T) {
	url := testinfra.NATS(t)
	logs := []string{"https://ct.example/2026h1/", "https://ct.example/2026h2/", "http://127.0.0.1:1/log"}
	w := &workers{t: t, active: map[string]string{}}
	a, b := join(t, url, "node-a"), join(t, url, "node-b")
	nodes := []*Node{a, b}
	stopA := holdAll(a, logs, w)
	stopB := holdAll(b, logs, w)
	defer stopB()
	for _, l := range logs {
		testinfra.WaitFor(t, l+" is held", func() bool { return len(holders(nodes, l)) == 1 })
	}
	holder := holders(nodes, logs[0])[0]
	victim, survivor := a, b
	if holder == b.Name {
		victim, survivor = b, a
	}
	if got, err := survivor.Leases.Holder(context.Background(), logs[0]); err != nil || got != holder {
		t.Fatalf("Holder(%s) = %q, %v; want %q", logs[0], got, err, holder)
	}

	testinfra.WaitFor(t, survivor.Name+" sees who holds "+logs[0], func() bool { return survivor.Leases.Node(logs[0]) == holder })

	victim.nc.Close() // dead to the cluster: no renewals, no release
	for _, l := range logs {
		testinfra.WaitFor(t, survivor.Name+" holds "+l, func() bool { return survivor.Leases.Holding(l) })
	}
	for _, l := range logs {
		if victim.Leases.Holding(l) {
			t.Errorf("%s still believes it holds %s", victim.Name, l)
		}
		if got := survivor.Leases.Node(l); got != survivor.Name {
			t.Errorf("Node(%s) = %q on the survivor", l, got)
		}
		if got, err := survivor.Leases.Holder(context.Background(), l); err != nil || got != survivor.Name {
			t.Errorf("Holder(%s) = %q, %v; want %q", l, got, err, survivor.Name)
		}
	}
	stopA()
}

// TestReleaseOnStop: a node that stops releases its leases, and the other takes them at its
// next try instead of after the TTL.
func TestReleaseOnStop(t *testing.T) {
	url := testinfra.NATS(t)
	w := &workers{t: t, active: map[string]string{}}
	a, b := join(t, url, "a"), join(t, url, "b")
	log := "https://ct.example/log/"
	stopA := holdAll(a, []string{log}, w)
	testinfra.WaitFor(t, "a holds the log", func() bool { return a.Leases.Holding(log) })
	stopB := holdAll(b, []string{log}, w)
	defer stopB()
	stopA()
	if got, err := b.Leases.Holder(context.Background(), log); err != nil || got == "a" {
		t.Fatalf("after a stopped, Holder = %q, %v; want the lease released", got, err)
	}
	testinfra.WaitFor(t, "b holds the log", func() bool { return b.Leases.Holding(log) })
}

// TestWorkReturning: work that ends on its own releases the lease and its error comes back.
func TestWorkReturning(t *testing.T) {
	url := testinfra.NATS(t)
	a := join(t, url, "a")
	want := fmt.Errorf("cursor unreadable")
	err := a.Leases.Hold(context.Background(), "log", func(context.Context) error { return want })
	if err != want {
		t.Fatalf("Hold = %v, want %v", err, want)
	}
	if got, err := a.Leases.Holder(context.Background(), "log"); err != nil || got != "" {
		t.Fatalf("Holder after work returned = %q, %v; want none", got, err)
	}
}

func TestJoinErrors(t *testing.T) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	defer s.Shutdown()
	if _, err := Join(context.Background(), s.ClientURL(), "a", LeaseOptions{}, nil); err == nil ||
		!strings.Contains(err.Error(), "JetStream is not enabled") {
		t.Fatalf("Join without JetStream: %v", err)
	}
	if _, err := Join(context.Background(), "nats://127.0.0.1:1", "a", LeaseOptions{}, nil); err == nil ||
		!strings.HasPrefix(err.Error(), "cluster.nats_url nats://127.0.0.1:1: ") {
		t.Fatalf("Join with nothing listening: %v", err)
	}
	if _, err := (LeaseOptions{TTL: time.Second, Renew: time.Second}).withDefaults(); err == nil {
		t.Fatal("a renew interval as long as the TTL was accepted")
	}
	if got := redactURLs("nats://user:secret@h:4222, nats://tok3n@h2:4222"); strings.Contains(got, "secret") || strings.Contains(got, "tok3n") {
		t.Fatalf("redactURLs kept a secret: %s", got)
	}
}
