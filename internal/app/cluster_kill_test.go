package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/cluster"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// childNode is what a node process of TestClusterKill9 is told, through its environment.
type childNode struct {
	Name, Database, NATS, Watchlist string
	Roles                           []string
	Logs                            []childLog
	// Stall makes the node's detect role hang in every batch it takes, for good.
	Stall bool
	// Receiver is a webhook URL every change is notified to (through the outbox).
	Receiver string
}

type childLog struct {
	Name, URL, Type string
	KeyDER          []byte
}

const childEnv = "CERTHUNT_TEST_CLUSTER_NODE"

// Timings shortened for the cluster tests: a dead holder's leases lapse in about 2 s, a stalled
// detect node's batches go to another after about 1.5 s. CERTHUNT_TEST_SERVE_LEASES=1 runs
// TestClusterKill9 with serve's lease timings instead, to measure the takeover time serve has.
var (
	testLeases  = cluster.LeaseOptions{TTL: 1500 * time.Millisecond, Renew: 250 * time.Millisecond}
	testBatches = cluster.BatchOptions{AckWait: 500 * time.Millisecond, MaxHandle: time.Second, NakDelay: 50 * time.Millisecond}
)

func init() {
	if os.Getenv("CERTHUNT_TEST_SERVE_LEASES") == "1" {
		testLeases = cluster.LeaseOptions{TTL: cluster.DefaultTTL, Renew: cluster.DefaultRenew}
	}
}

func (c childNode) config(t *testing.T) *config.Config {
	var infos []ctlog.LogInfo
	for _, l := range c.Logs {
		info, err := ctlog.NewLogInfo(l.Name, l.URL, l.Type, l.KeyDER)
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	cfg := testConfig(t, c.Watchlist, infos...)
	cfg.Database = c.Database
	cfg.Cluster = config.Cluster{NATSURL: c.NATS, Node: c.Name, Roles: c.Roles}
	cfg.Sources.CT.BatchSize = 5
	if c.Receiver != "" {
		cfg.Notify = []config.Notify{{Config: notify.Config{Type: "webhook", Name: "soc", URL: c.Receiver}}}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestClusterNodeProcess is a node of TestClusterKill9 in a process of its own: it runs serve,
// prints its address, then every batch its detect role handled durably ("handled URL i,j,..."),
// until its stdin closes or it is killed.
func TestClusterNodeProcess(t *testing.T) {
	env := os.Getenv(childEnv)
	if env == "" {
		t.Skip("only runs as TestClusterKill9's child process")
	}
	var c childNode
	if err := json.Unmarshal([]byte(env), &c); err != nil {
		t.Fatal(err)
	}
	clusterLeases, clusterBatches = testLeases, testBatches
	fastCluster()
	var out sync.Mutex
	onBatchHandled = func(node string, b source.Batch) {
		out.Lock()
		defer out.Unlock()
		fmt.Println(handledLine(b))
	}
	var once sync.Once
	h := startWith(t, c.config(t), io.Discard, func(a *App) {
		if !c.Stall {
			return
		}
		a.Pipeline.Index = func() *detect.Index {
			once.Do(func() { fmt.Println("stalled") })
			select {} // a detect node hung for good
		}
	})
	fmt.Println("listening", h.base)
	io.Copy(io.Discard, os.Stdin)
}

// handledLine is a batch's entries as "handled URL index,index..." (one URL per line).
func handledLine(b source.Batch) string {
	byLog := map[string][]string{}
	for _, e := range b.Entries {
		byLog[e.Log.URL] = append(byLog[e.Log.URL], strconv.FormatInt(e.Index, 10))
	}
	var lines []string
	for u, ix := range byLog {
		lines = append(lines, "handled "+u+" "+strings.Join(ix, ","))
	}
	return strings.Join(lines, "\n")
}

// tally counts, per log, how often each index was handled, across nodes.
type tally struct {
	mu    sync.Mutex
	times map[string]map[int64]int
	total int
}

func (t *tally) line(s string) bool {
	f := strings.Fields(s)
	if len(f) != 3 || f[0] != "handled" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.times == nil {
		t.times = map[string]map[int64]int{}
	}
	if t.times[f[1]] == nil {
		t.times[f[1]] = map[int64]int{}
	}
	for _, s := range strings.Split(f[2], ",") {
		i, _ := strconv.ParseInt(s, 10, 64)
		t.times[f[1]][i]++
		t.total++
	}
	return true
}

func (t *tally) distinct(url string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.times[url])
}

// child runs a node process and returns its base URL; lines it prints other than its address go
// to seen. It is killed at the end of the test if still running.
func child(t *testing.T, c childNode, seen func(string)) (*exec.Cmd, string) {
	t.Helper()
	env, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterNodeProcess$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(env), "TMPDIR="+t.TempDir()) // a killed child leaves its files here
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if b, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				base <- b
				continue
			}
			seen(sc.Text())
		}
		close(base)
	}()
	select {
	case b, ok := <-base:
		if !ok {
			t.Fatalf("node %s exited before listening", c.Name)
		}
		return cmd, b
	case <-time.After(60 * time.Second):
		t.Fatalf("node %s never listened", c.Name)
	}
	return nil, ""
}

// gate is a loopback proxy in front of a CT log that lets the first `open` get-entries
// requests through and holds the others until released: a node reading through it is
// certainly in the middle of the log, fetching a batch, when it is killed.
type gate struct {
	srv     *httptest.Server
	open    int64
	seen    atomic.Int64
	held    atomic.Int64
	release chan struct{}
}

func newGate(t *testing.T, target string, open int64) *gate {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{open: open, release: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(u)
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/get-entries") && g.seen.Add(1) > g.open {
			g.held.Add(1)
			select {
			case <-g.release:
			case <-r.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// TestClusterKill9 is SPEC.md "Cluster"'s promise under a kill: two nodes on two loopback logs
// with planted lookalikes, plus a detect node that hangs for good. The node following both logs
// is killed with SIGKILL while it fetches; the survivor takes both logs over from the cursors in
// PostgreSQL, the batches the dead and the hung node held come back to it from JetStream, and
// the notifications the dead node had not sent come to it from the outbox. Every entry of both
// logs is handled by some node, each lookalike is one incident holding both its certificates,
// and each incident is notified exactly once.
func TestClusterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three certhunt nodes")
	}
	db := testinfra.Postgres(t, "cluster test")
	nats := testinfra.NATS(t)
	clusterLeases, clusterBatches = testLeases, testBatches
	defer func() { clusterLeases, clusterBatches = cluster.LeaseOptions{}, cluster.BatchOptions{} }()
	defer fastCluster()()
	var mu sync.Mutex
	notified := map[string]int{} // change key -> copies received
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		notified[r.Header.Get(notify.HeaderIdempotencyKey)]++
		mu.Unlock()
	}))
	defer receiver.Close()

	const n = 400
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	paypa1, err := ca.Pair([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secure, err := ca.Pair([]string{"paypal-secure.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs []childLog
	var gates []*gate
	for li := range 2 {
		l, err := ctlogtest.NewRFC6962()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		l.SetFaults(ctlogtest.Faults{BatchCap: 5})
		entries, err := benign(ca, n, li*n)
		if err != nil {
			t.Fatal(err)
		}
		// paypa1.com: precert in the first log, final certificate in the second; the other
		// lookalike has both in the first log, on either side of where the kill happens.
		if li == 0 {
			entries[30] = ctlogtest.Entry{Precert: paypa1.Precert, Chain: [][]byte{paypa1.Issuer, ca.RootDER}}
			entries[40] = ctlogtest.Entry{Precert: secure.Precert, Chain: [][]byte{secure.Issuer, ca.RootDER}}
			entries[350] = ctlogtest.Entry{Cert: secure.Final, Chain: ca.Chain()}
		} else {
			entries[300] = ctlogtest.Entry{Cert: paypa1.Final, Chain: ca.Chain()}
		}
		addPublish(t, l, entries...)
		g := newGate(t, l.Server.URL, 20) // about 100 entries each before the kill
		gates = append(gates, g)
		info := l.Info()
		logs = append(logs, childLog{Name: info.Name, URL: g.srv.URL + "/", Type: info.Type, KeyDER: info.KeyDER})
	}
	node := func(name string, roles ...string) childNode {
		return childNode{Name: name, Database: db, NATS: nats, Watchlist: `{"paypal.com": ["paypal-secure.com"]}`,
			Roles: roles, Logs: logs, Receiver: receiver.URL}
	}
	var seen tally
	stalledSeen := make(chan struct{})
	var stallOnce sync.Once
	collect := func(s string) {
		if s == "stalled" {
			stallOnce.Do(func() { close(stalledSeen) })
			return
		}
		seen.line(s)
	}

	// The hung detect node first, so that it gets batches from the start.
	stalled := node("hung", config.RoleDetect)
	stalled.Stall = true
	child(t, stalled, collect)
	victim, _ := child(t, node("victim", config.RoleIngest, config.RoleDetect, config.RoleAPI), collect)
	testinfra.WaitFor(t, "the victim reads both logs up to the gates", func() bool { return gates[0].held.Load() > 0 && gates[1].held.Load() > 0 })
	select {
	case <-stalledSeen:
	case <-time.After(60 * time.Second):
		t.Fatal("the hung node never took a batch")
	}

	onBatchHandled = func(_ string, b source.Batch) {
		for _, l := range strings.Split(handledLine(b), "\n") {
			seen.line(l)
		}
	}
	defer func() { onBatchHandled = nil }()
	cfg := node("survivor", config.RoleIngest, config.RoleDetect, config.RoleAPI).config(t)
	s := start(t, cfg)
	leases := s.app.cluster.node.Leases
	// Leases spread: the victim may hand one log to the survivor (gracefully) before the kill.
	s.waitFor("each log followed, the victim following one or both", func() bool {
		victims := 0
		for _, l := range logs {
			switch {
			case leases.Node(l.URL) == "victim":
				victims++
			case !leases.Holding(l.URL):
				return false
			}
		}
		return victims > 0
	})

	victimHeld := 0
	for _, l := range logs {
		if leases.Node(l.URL) == "victim" {
			victimHeld++
		}
	}
	killed := time.Now()
	if err := victim.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.Wait()
	s.waitFor("the survivor holds both logs", func() bool { return leases.Holding(logs[0].URL) && leases.Holding(logs[1].URL) })
	takeover := time.Since(killed)
	for _, g := range gates {
		close(g.release)
	}
	s.waitFor("every entry of both logs handled", func() bool { return seen.distinct(logs[0].URL) == n && seen.distinct(logs[1].URL) == n })
	s.waitFor("the stream drained", func() bool {
		p, err := s.app.cluster.batches.Pending(context.Background())
		return err == nil && p == 0
	})

	for _, r := range sourcesOf(s) {
		if r.Node != "survivor" || r.Position != n {
			t.Errorf("source %s: node %q position %d; want survivor at %d", r.URL, r.Node, r.Position, n)
		}
	}
	var list struct{ Incidents []incident.Incident }
	s.get("/api/v1/incidents", &list)
	if len(list.Incidents) != 2 {
		t.Fatalf("want two incidents, got %d: %+v", len(list.Incidents), list.Incidents)
	}
	for _, i := range list.Incidents {
		var inc incident.Incident
		s.get("/api/v1/incidents/"+i.ID, &inc)
		if len(inc.Certificates) != 2 || inc.Sightings != 2 {
			t.Errorf("incident %s: %d certificates, %d sightings; want 2 and 2", inc.Domain, len(inc.Certificates), inc.Sightings)
		}
	}
	s.waitFor("every change notified", func() bool {
		pending, done, err := s.app.Store.OutboxStats(t.Context())
		return err == nil && pending == 0 && done == int64(len(list.Incidents))
	})
	mu.Lock()
	for _, i := range list.Incidents {
		key := i.ID + ":" + incident.ChangeNew + ":"
		copies := 0
		for k, n := range notified {
			if strings.HasPrefix(k, key) {
				copies += n
			}
		}
		if copies != 1 {
			t.Errorf("incident %s notified %d times (changes received: %v); want once", i.Domain, copies, notified)
		}
	}
	if len(notified) != len(list.Incidents) {
		t.Errorf("changes received %v; want one per incident", notified)
	}
	mu.Unlock()
	b := s.app.cluster.batches
	t.Logf("the victim followed %d of 2 logs when killed; takeover %v after SIGKILL (lease TTL %v, renew %v); entries in the logs %d, handled %d (%d again, after redelivery); survivor saw %d redelivered batches",
		victimHeld, takeover.Round(10*time.Millisecond), testLeases.TTL, testLeases.Renew, 2*n, seen.total, seen.total-2*n, b.Redelivered.Load())
}
