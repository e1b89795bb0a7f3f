package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/certhunt/certhunt/internal/testinfra"
)

// TestStalledHolderGivesUp: a holder whose work stops making progress (its process alive and
// renewing) gives the lease up; the other node takes the work over, and the stalled node does
// not take it back while it rests.
func TestStalledHolderGivesUp(t *testing.T) {
	url := testinfra.NATS(t)
	a, b := join(t, url, "node-a"), join(t, url, "node-b")
	w := &workers{t: t, active: map[string]string{}}
	var stalled atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		a.Leases.HoldWhile(ctx, "log", func() bool { return !stalled.Load() }, w.work("node-a", "log"))
	})
	testinfra.WaitFor(t, "node-a holds the lease", func() bool { return a.Leases.Holding("log") })
	wg.Go(func() { b.Leases.HoldWhile(ctx, "log", nil, w.work("node-b", "log")) })
	if b.Leases.Holding("log") {
		t.Fatal("node-b took a lease node-a holds")
	}
	stalled.Store(true)
	testinfra.WaitFor(t, "node-b takes the stalled log over", func() bool { return b.Leases.Holding("log") })
	if a.Leases.Holding("log") {
		t.Error("node-a still holds the log it gave up")
	}
	if !a.Leases.isResting("log") {
		t.Error("node-a contends again at once for the log it stalled on")
	}
	cancel()
	wg.Wait()
}
