package app

import (
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/testcert"
)

// TestClusterStalledHolder: the node following a log stops getting entries from it (its
// get-entries requests hang while its process and its lease renewals carry on); it gives the
// lease up, the other node takes the log over, and once the log answers again the log is
// read to its end with its lookalike recorded.
func TestClusterStalledHolder(t *testing.T) {
	db, nats := startCluster(t)
	saved := clusterStallAfter
	clusterStallAfter = 500 * time.Millisecond
	defer func() { clusterStallAfter = saved }()

	ca, rfc := newRFC6962(t)
	entries, err := benign(ca, 400, 0)
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.Issue([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries[300] = ctlogtest.Entry{Cert: der, Chain: ca.Chain()}
	addPublish(t, rfc, entries...)
	rfc.SetFaults(ctlogtest.Faults{BatchCap: 10})
	g := newGate(t, rfc.Server.URL, 5) // 50 entries, then every get-entries request hangs
	info := rfc.Info()
	info.URL = g.srv.URL + "/"
	node := func(name string) *config.Config {
		cfg := testConfig(t, `{"paypal.com": []}`, info)
		clusterNode(t, cfg, db, nats, name)
		return cfg
	}
	a := start(t, node("node-a"))
	a.waitFor("node-a follows the log and hangs at the gate", func() bool { return sourcesOf(a)[0].Node == "node-a" && g.held.Load() > 0 })
	b := start(t, node("node-b"))
	b.waitFor("node-b takes the stalled log over", func() bool { return sourcesOf(b)[0].Node == "node-b" })
	close(g.release)
	b.waitFor("the log read to its end", func() bool { return sourcesOf(b)[0].Position == 400 })
	// A committed position is a batch stored in the stream; the incident follows once a
	// detect node has handled it.
	var list struct{ Incidents []incident.Incident }
	b.waitFor("the lookalike recorded", func() bool {
		b.get("/api/v1/incidents", &list)
		return len(list.Incidents) > 0
	})
	if len(list.Incidents) != 1 || list.Incidents[0].Domain != "paypa1.com" {
		t.Errorf("incidents %+v, want paypa1.com", list.Incidents)
	}
}
