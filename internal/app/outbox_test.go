package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/cluster"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/outbox"
	"github.com/certhunt/certhunt/internal/testcert"
)

// TestClusterNotifiesOnce: two nodes with a webhook target, one loopback log with three
// planted lookalikes read partly by each node (the first stops, the second takes the log
// over): each incident is notified once, with its change key, cluster-wide.
func TestClusterNotifiesOnce(t *testing.T) {
	db, nats := startCluster(t)

	var mu sync.Mutex
	got := map[string]int{} // idempotency key -> copies
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get(notify.HeaderIdempotencyKey)]++
		mu.Unlock()
	}))
	defer receiver.Close()
	delivered := func() (total, keys int) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range got {
			total += n
		}
		return total, len(got)
	}

	ca, rfc := newRFC6962(t)
	entries, err := benign(ca, 400, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range map[int]string{50: "paypa1.com", 250: "paypal-login.com", 350: "paypa1-secure.com"} {
		der, err := ca.Issue([]string{name}, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		entries[i] = ctlogtest.Entry{Cert: der, Chain: ca.Chain()}
	}
	addPublish(t, rfc, entries[:200]...)
	rfc.SetFaults(ctlogtest.Faults{BatchCap: 10})
	node := func(name string) *config.Config {
		cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
		cfg.Notify = []config.Notify{{Config: notify.Config{Type: "webhook", Name: "soc", URL: receiver.URL}}}
		clusterNode(t, cfg, db, nats, name)
		return cfg
	}
	a := start(t, node("node-a"))
	a.waitFor("node-a reads the first part", func() bool { return sourcesOf(a)[0].Position == 200 })
	b := start(t, node("node-b"))
	a.waitFor("the first lookalike is notified", func() bool { n, _ := delivered(); return n >= 1 })
	a.stop()
	addPublish(t, rfc, entries[200:]...)
	b.waitFor("node-b reads the rest", func() bool { return sourcesOf(b)[0].Position == 400 })
	b.waitFor("every lookalike is notified", func() bool { _, keys := delivered(); return keys >= 3 })
	// The receiver counts a send before the sender records it.
	var pending, done int64
	b.waitFor("every outbox change is done", func() bool {
		var err error
		pending, done, err = b.app.Store.OutboxStats(t.Context())
		return err == nil && pending == 0 && done >= 3
	})
	resp, err := http.Get(b.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `certhunt_outbox_changes{state="done"} 3`) {
		t.Errorf("/metrics does not count the 3 changes done:\n%s", metrics)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || pending != 0 || done != 3 {
		t.Fatalf("deliveries by key %v, outbox %d pending, %d done; want 3 changes, each once", got, pending, done)
	}
	for k, n := range got {
		if k == "" || n != 1 {
			t.Errorf("change %q delivered %d times", k, n)
		}
	}
}

// fastCluster shortens leases and outbox claims so that a takeover takes seconds.
func fastCluster() (restore func()) {
	savedL, savedO := clusterLeases, outboxOptions
	clusterLeases = cluster.LeaseOptions{TTL: 1500 * time.Millisecond, Renew: 250 * time.Millisecond}
	outboxOptions = outbox.Options{ClaimTTL: 2 * time.Second, Poll: 20 * time.Millisecond}
	return func() { clusterLeases, outboxOptions = savedL, savedO }
}
