package app

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/cluster"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/outbox"
	"github.com/certhunt/certhunt/internal/testcert"
)

// TestClusterNotifiesOnce: two nodes with a webhook target, one loopback log with three
// planted lookalikes read partly by each node (the first stops, the second takes the log
// over): each incident is notified once, with its change key, cluster-wide.
func TestClusterNotifiesOnce(t *testing.T) {
	db := clusterDatabase(t)
	nats := startNATS(t)
	saved := clusterLeases
	clusterLeases = cluster.LeaseOptions{TTL: 1500 * time.Millisecond, Renew: 250 * time.Millisecond}
	defer func() { clusterLeases = saved }()

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
		cfg.Database = db
		cfg.Cluster = config.Cluster{NATSURL: nats, Node: name, Roles: []string{config.RoleIngest, config.RoleDetect, config.RoleAPI}}
		cfg.Notify = []config.Notify{{Config: notify.Config{Type: "webhook", Name: "soc", URL: receiver.URL}}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
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

// TestClusterNodeProcess is TestClusterNotifiesOnceAfterKill9's child: a cluster node (all
// roles) with a webhook target, until it is killed.
func TestClusterNodeProcess(t *testing.T) {
	db := os.Getenv("CERTHUNT_TEST_NODE_DB")
	if db == "" {
		t.Skip("only runs as TestClusterNotifiesOnceAfterKill9's child process")
	}
	key, _ := base64.StdEncoding.DecodeString(os.Getenv("CERTHUNT_TEST_NODE_LOGKEY"))
	info, err := ctlog.NewLogInfo("loopback", os.Getenv("CERTHUNT_TEST_NODE_LOG"), ctlog.TypeRFC6962, key)
	if err != nil {
		t.Fatal(err)
	}
	fastCluster()
	cfg := killNodeConfig(t, "child", db, os.Getenv("CERTHUNT_TEST_NODE_NATS"), os.Getenv("CERTHUNT_TEST_NODE_RECEIVER"), info)
	start(t, cfg)
	fmt.Println("running")
	select {} // until killed
}

// fastCluster shortens leases and outbox claims so that a takeover takes seconds.
func fastCluster() (restore func()) {
	savedL, savedO := clusterLeases, outboxOptions
	clusterLeases = cluster.LeaseOptions{TTL: 1500 * time.Millisecond, Renew: 250 * time.Millisecond}
	outboxOptions = outbox.Options{ClaimTTL: 2 * time.Second, Poll: 20 * time.Millisecond}
	return func() { clusterLeases, outboxOptions = savedL, savedO }
}

func killNodeConfig(t *testing.T, name, db, nats, receiver string, info ctlog.LogInfo) *config.Config {
	cfg := testConfig(t, `{"paypal.com": []}`, info)
	cfg.Database = db
	cfg.Cluster = config.Cluster{NATSURL: nats, Node: name, Roles: []string{config.RoleIngest, config.RoleDetect, config.RoleAPI}}
	cfg.Notify = []config.Notify{{Config: notify.Config{Type: "webhook", Name: "soc", URL: receiver}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestClusterNotifiesOnceAfterKill9: the node following the log (another process) is killed
// with SIGKILL while a notification is in flight and half the log is read; the survivor takes
// the log over from the shared cursor and the notifications over from the outbox: every
// planted lookalike is one incident (one with both its certificates, read by each node), and
// every incident's notification reaches the receiver exactly once.
func TestClusterNotifiesOnceAfterKill9(t *testing.T) {
	db := clusterDatabase(t)
	nats := startNATS(t)
	defer fastCluster()()

	var mu sync.Mutex
	got := map[string]int{} // idempotency key -> accepted copies
	hold, holding := make(chan struct{}), make(chan struct{})
	var once sync.Once
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hold
		mu.Unlock()
		if h != nil { // a receiver slower than the node's life: nothing is accepted
			once.Do(func() { close(holding) })
			<-h
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		got[r.Header.Get(notify.HeaderIdempotencyKey)]++
		mu.Unlock()
	}))
	defer receiver.Close()

	ca, rfc := newRFC6962(t)
	entries, err := benign(ca, 400, 0)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Pair([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries[50] = ctlogtest.Entry{Precert: pair.Precert, Chain: [][]byte{pair.Issuer, ca.RootDER}}
	entries[350] = ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain()}
	for i, name := range map[int]string{150: "paypal-login.com", 250: "paypa1-secure.com"} {
		der, err := ca.Issue([]string{name}, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		entries[i] = ctlogtest.Entry{Cert: der, Chain: ca.Chain()}
	}
	addPublish(t, rfc, entries[:200]...) // the rest once the child is dead
	rfc.SetFaults(ctlogtest.Faults{BatchCap: 10})
	info := rfc.Info()

	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterNodeProcess$")
	cmd.Env = append(os.Environ(), "CERTHUNT_TEST_NODE_DB="+db, "CERTHUNT_TEST_NODE_NATS="+nats, "CERTHUNT_TEST_NODE_LOG="+info.URL,
		"CERTHUNT_TEST_NODE_LOGKEY="+base64.StdEncoding.EncodeToString(info.KeyDER), "CERTHUNT_TEST_NODE_RECEIVER="+receiver.URL)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	select {
	case <-holding:
	case <-time.After(60 * time.Second):
		t.Fatal("the child never sent a notification")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	mu.Lock()
	close(hold)
	hold = nil
	mu.Unlock()
	addPublish(t, rfc, entries[200:]...)

	b := start(t, killNodeConfig(t, "survivor", db, nats, receiver.URL, info))
	b.waitFor("the survivor reads the log to its end", func() bool {
		s := sourcesOf(b)
		return s[0].Node == "survivor" && s[0].Position == 400
	})
	b.waitFor("every outbox change is done", func() bool {
		pending, done, err := b.app.Store.OutboxStats(t.Context())
		return err == nil && pending == 0 && done == 3
	})
	var list struct{ Incidents []incident.Incident }
	b.get("/api/v1/incidents", &list)
	byDomain := map[string]string{}
	for _, inc := range list.Incidents {
		byDomain[inc.RegisteredDomain] = inc.ID
	}
	if len(list.Incidents) != 3 || len(byDomain) != 3 {
		t.Fatalf("incidents %v, want one for each of the 3 planted lookalikes", byDomain)
	}
	var inc incident.Incident
	b.get("/api/v1/incidents/"+byDomain["paypa1.com"], &inc)
	if len(inc.Certificates) != 2 {
		t.Errorf("paypa1.com has %d certificates, want both", len(inc.Certificates))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Errorf("notifications by change key %v, want 3", got)
	}
	for k, n := range got {
		if n != 1 || !strings.HasPrefix(k, byDomain["paypa1.com"]+":new:") && !strings.HasPrefix(k, byDomain["paypal-login.com"]+":new:") &&
			!strings.HasPrefix(k, byDomain["paypa1-secure.com"]+":new:") {
			t.Errorf("change %q delivered %d times", k, n)
		}
	}
}
