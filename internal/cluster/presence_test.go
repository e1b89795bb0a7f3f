package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/testinfra"
)

func announce(t *testing.T, n *Node, ingest bool) {
	t.Helper()
	if err := n.Announce(context.Background(), ingest); err != nil {
		t.Fatal(err)
	}
}

// A second live node under a name already in use is refused, naming the key; a node restarted
// after a crash (its entry no longer renewed) gets its name back once the entry lapses.
func TestNodeNameInUse(t *testing.T) {
	url := testinfra.NATS(t)
	a := join(t, url, "a")
	announce(t, a, true)
	twin := join(t, url, "a")
	err := twin.Announce(context.Background(), true)
	if err == nil || !strings.Contains(err.Error(), `cluster.node "a"`) {
		t.Fatalf("a twin announced itself: %v", err)
	}
	// a crashes: no more heartbeats, no goodbye.
	a.presence.stop()
	a.presence.done.Wait()
	a.nc.Close()
	restarted := join(t, url, "a")
	announce(t, restarted, true)
	if got := restarted.LiveIngest(); got != 1 {
		t.Fatalf("%d live ingest nodes, want 1", got)
	}
}

// Leases spread over the ingest nodes: a node alone holds every log; once a second joins, each
// holds half (never one log on both); when one leaves, the other takes them all back.
func TestLeasesSpread(t *testing.T) {
	url := testinfra.NATS(t)
	var logs []string
	for i := range 4 {
		logs = append(logs, fmt.Sprintf("https://ct.example/log%d/", i))
	}
	count := func(n *Node) int {
		c := 0
		for _, l := range logs {
			if n.Leases.Holding(l) {
				c++
			}
		}
		return c
	}
	w := &workers{t: t, active: map[string]string{}}
	a := join(t, url, "a")
	announce(t, a, true)
	detectOnly := join(t, url, "d") // not an ingest node: does not count
	announce(t, detectOnly, false)
	stopA := holdAll(a, logs, w)
	defer stopA()
	testinfra.WaitFor(t, "a holds every log", func() bool { return count(a) == 4 })

	b := join(t, url, "b")
	announce(t, b, true)
	stopB := holdAll(b, logs, w)
	testinfra.WaitFor(t, "the logs spread over a and b", func() bool { return count(a) == 2 && count(b) == 2 })
	stopB()
	b.Close()
	testinfra.WaitFor(t, "a holds every log again", func() bool { return count(a) == 4 })
}
