package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/certhunt/certhunt/internal/cluster"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// startCluster is the machine's PostgreSQL (a fresh schema) and an in-process NATS server,
// with the tests' short leases and outbox claims (fastCluster) until the test ends.
func startCluster(t *testing.T) (db, nats string) {
	t.Helper()
	db, nats = testinfra.Postgres(t, "cluster test"), testinfra.NATS(t)
	t.Cleanup(fastCluster())
	return db, nats
}

// clusterNode makes cfg a node named name of the cluster on db and nats, with roles (all three
// when none are given).
func clusterNode(t *testing.T, cfg *config.Config, db, nats, name string, roles ...string) {
	t.Helper()
	if len(roles) == 0 {
		roles = []string{config.RoleIngest, config.RoleDetect, config.RoleAPI}
	}
	cfg.Database = db
	cfg.Cluster = config.Cluster{NATSURL: nats, Node: name, Roles: roles}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func sourcesOf(h *harness) []source.Status {
	var resp struct{ Sources []source.Status }
	h.get("/api/v1/sources", &resp)
	return resp.Sources
}

// TestClusterHandsALogOver: two nodes on one loopback log, NATS and PostgreSQL; exactly one
// follows the log (both say which in /api/v1/sources), both are ready; when it stops, the
// other takes the log over from the shared cursor, and the planted lookalike is one incident
// with both its certificates.
func TestClusterHandsALogOver(t *testing.T) {
	db, nats := startCluster(t)

	ca, rfc := newRFC6962(t)
	entries, err := benign(ca, 600, 0)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Pair([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries[100] = ctlogtest.Entry{Precert: pair.Precert, Chain: [][]byte{pair.Issuer, ca.RootDER}}
	entries[500] = ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain()}
	addPublish(t, rfc, entries[:300]...) // the rest once node-a has stopped
	rfc.SetFaults(ctlogtest.Faults{BatchCap: 5})

	node := func(name string) *config.Config {
		cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
		clusterNode(t, cfg, db, nats, name)
		return cfg
	}
	a := start(t, node("node-a"))
	a.waitFor("node-a follows the log", func() bool {
		s := sourcesOf(a)
		return s[0].Node == "node-a" && s[0].Position == 300
	})
	b := start(t, node("node-b"))
	b.waitFor("node-b sees node-a following the log", func() bool { return sourcesOf(b)[0].Node == "node-a" })
	for _, h := range []*harness{a, b} {
		h.waitFor("ready", func() bool { code, _ := h.readyz(); return code == 200 })
		if _, r := h.readyz(); r.Cluster == nil || !r.Cluster.Ready || r.Cluster.Node != h.cfg.Cluster.Node {
			t.Fatalf("%s /readyz cluster part = %+v", h.cfg.Cluster.Node, r.Cluster)
		}
	}
	if _, r := b.readyz(); r.Cluster.Following != 0 {
		t.Fatalf("node-b follows %d logs while node-a holds the only one", r.Cluster.Following)
	}
	// A node with the api role only follows nothing, yet shows the log, its node and position;
	// a node without it serves only its operator paths.
	apiCfg := node("node-api")
	apiCfg.Cluster.Roles = []string{config.RoleAPI}
	api := start(t, apiCfg)
	api.waitFor("the api node shows node-a's log and position", func() bool {
		s := sourcesOf(api)
		return len(s) == 1 && s[0].Node == "node-a" && s[0].Position == 300 && s[0].URL == rfc.Info().URL
	})
	wsCtx, wsCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wsCancel()
	ws, _, err := websocket.Dial(wsCtx, "ws"+strings.TrimPrefix(api.base, "http")+"/certstream/full-stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	detCfg := node("node-detect")
	detCfg.Cluster.Roles = []string{config.RoleDetect}
	det := start(t, detCfg)
	for path, want := range map[string]int{"/api/v1/incidents": 404, "/": 404, "/healthz": 200, "/metrics": 200} {
		resp, err := http.Get(det.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("detect-only node: GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	det.waitFor("the detect node ready", func() bool { code, _ := det.readyz(); return code == 200 })
	if _, r := det.readyz(); r.Cluster == nil || r.Cluster.IngestNodes != 2 || len(r.Cluster.Roles) != 1 {
		t.Errorf("detect node /readyz cluster part %+v; want 2 ingest nodes, role detect", r.Cluster)
	}
	resp, err := http.Get(a.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`certhunt_cluster_batches_total{event="published"}`, "certhunt_cluster_leases_held 1", "certhunt_cluster_connected 1", "certhunt_cluster_batches_pending"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("node-a /metrics lacks %s", want)
		}
	}

	a.stop()
	byA := a.app.Sources[0].Status().EntriesProcessed
	addPublish(t, rfc, entries[300:]...)
	b.waitFor("node-b takes the log over and reads it to the end", func() bool {
		s := sourcesOf(b)
		return s[0].Node == "node-b" && s[0].Position == 600
	})
	byB := sourcesOf(b)[0].EntriesProcessed
	// The api node's certstream server relays what the detect nodes handled, chains included.
	for {
		_, frame, err := ws.Read(wsCtx)
		if err != nil {
			t.Fatalf("the api node's full-stream relayed nothing: %v", err)
		}
		var msg struct {
			MessageType string `json:"message_type"`
			Data        struct {
				Chain []json.RawMessage `json:"chain"`
			} `json:"data"`
		}
		if json.Unmarshal(frame, &msg) == nil && msg.MessageType == "certificate_update" {
			if len(msg.Data.Chain) == 0 {
				t.Fatalf("relayed certificate without its chain: %s", frame)
			}
			break
		}
	}
	t.Logf("node-a processed %d entries, node-b %d", byA, byB)
	if byA != 300 || byB >= 600 || byA+byB < 600 {
		t.Fatalf("node-a processed %d, node-b %d of 600: node-b did not resume from the shared cursor, or entries were lost", byA, byB)
	}
	var list struct{ Incidents []incident.Incident }
	// Detect nodes handle what the stream holds after the cursor moved: wait for them.
	b.waitFor("the lookalike's incident with both certificates", func() bool {
		b.get("/api/v1/incidents", &list)
		return len(list.Incidents) == 1 && list.Incidents[0].Sightings == 2
	})
	if len(list.Incidents) != 1 {
		t.Fatalf("want one incident, got %+v", list.Incidents)
	}
	var inc incident.Incident
	b.get("/api/v1/incidents/"+list.Incidents[0].ID, &inc)
	if len(inc.Certificates) != 2 {
		t.Fatalf("incident has %d certificates, want both", len(inc.Certificates))
	}
}

// A node that cannot reach NATS does not start: it would follow nothing while looking healthy.
func TestClusterUnreachableStopsServe(t *testing.T) {
	cfg := testConfig(t, `{"paypal.com": []}`)
	cfg.Database = testinfra.Postgres(t, "cluster test")
	cfg.Cluster.NATSURL = "nats://127.0.0.1:1"
	_, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "cluster.nats_url nats://127.0.0.1:1") {
		t.Fatalf("New with NATS unreachable: %v", err)
	}
}

// A certstream server is read by one node of the cluster at a time, under a lease, and every
// node's /api/v1/sources names that node.
func TestClusterCertstreamUnderLease(t *testing.T) {
	db, nats := startCluster(t)
	node := func(name string) *harness {
		cfg := testConfig(t, `{"paypal.com": []}`)
		cfg.Database = db
		cfg.Sources.Certstream = []config.CertstreamSource{{URL: "ws://127.0.0.1:1/", Name: "relay"}} // nothing listens
		cfg.Cluster = config.Cluster{NATSURL: nats, Node: name, Roles: []string{config.RoleIngest, config.RoleDetect, config.RoleAPI}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		return start(t, cfg)
	}
	a, b := node("node-a"), node("node-b")
	following := func(h *harness) bool { return h.app.Sources[0].(interface{ Following() bool }).Following() }
	a.waitFor("one node reads the certstream server", func() bool { return following(a) != following(b) })
	holder := "node-a"
	if following(b) {
		holder = "node-b"
	}
	for _, h := range []*harness{a, b} {
		h.waitFor("the source names its reader", func() bool {
			s := sourcesOf(h)
			return len(s) == 1 && s[0].Type == "certstream" && s[0].Node == holder
		})
	}
	if following(a) && following(b) {
		t.Fatal("both nodes read the certstream server")
	}
}

// Back-pressure end to end: with no detect node, an ingest node fills the stream to its limit
// and then stops (its cursor stays short of the log's end); once a detect node starts, the
// backlog drains, the log is read to its end and every entry is handled.
func TestClusterBackPressure(t *testing.T) {
	db := testinfra.Postgres(t, "cluster test")
	nats := testinfra.NATS(t)
	savedL, savedB := clusterLeases, clusterBatches
	clusterLeases = cluster.LeaseOptions{TTL: 1500 * time.Millisecond, Renew: 250 * time.Millisecond}
	clusterBatches = cluster.BatchOptions{MaxBytes: 64 << 10, AckWait: time.Second}
	defer func() { clusterLeases, clusterBatches = savedL, savedB }()
	var handled atomic.Int64
	onBatchHandled = func(_ string, b source.Batch) { handled.Add(int64(len(b.Entries))) }
	defer func() { onBatchHandled = nil }()

	ca, rfc := newRFC6962(t)
	entries, err := benign(ca, 600, 0)
	if err != nil {
		t.Fatal(err)
	}
	addPublish(t, rfc, entries...)
	node := func(name string, roles ...string) *config.Config {
		cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
		clusterNode(t, cfg, db, nats, name, roles...)
		return cfg
	}
	in := start(t, node("ingest", config.RoleIngest, config.RoleAPI))
	in.waitFor("the stream full, publishes refused", func() bool { return in.app.cluster.batches.Refused.Load() > 0 })
	if p := sourcesOf(in)[0].Position; p >= 600 {
		t.Fatalf("the cursor reached %d with the stream full", p)
	}
	start(t, node("detect", config.RoleDetect))
	in.waitFor("the log read to its end and every entry handled", func() bool {
		return sourcesOf(in)[0].Position == 600 && handled.Load() >= 600
	})
}
