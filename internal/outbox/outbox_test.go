package outbox

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// count runs a query answering one number.
func count(t *testing.T, dbURL, q string) int {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func openStore(t testing.TB, dbURL string) *incident.Store {
	t.Helper()
	s, err := incident.OpenPostgres(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutbox(true); err != nil {
		t.Fatal(err)
	}
	return s
}

// change opens incident number i: one new change.
func change(t testing.TB, s *incident.Store, i int) {
	t.Helper()
	d := fmt.Sprintf("paypa1-%d.com", i)
	a := detect.Alert{Asset: "paypal.com", Domain: d, DomainUnicode: d, RegisteredDomain: d, Score: 80, Severity: "high",
		Incident: true, Matched: detect.Matched{Kind: "combosquat", Value: "paypal"}}
	sha := fmt.Sprintf("%064x", i)
	c := &certs.Cert{SHA256: sha, DNSNames: []string{d}, Log: certs.LogRef{Name: "log", URL: "http://log"}, Index: int64(i),
		SeenAt: time.Unix(1700000000, 0)}
	if ch, err := s.Record(context.Background(), a, c); err != nil || !ch.Created {
		t.Fatalf("record %d: %+v, %v", i, ch, err)
	}
}

// receiver is two webhook targets on loopback that count what they accept, by target and
// change key.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]int // "target key" -> accepted copies
	// hold, when set, makes the receiver answer nothing (and accept nothing) until it is
	// closed, then 503: it stands for a receiver slower than the node's life.
	hold    chan struct{}
	holding chan struct{} // closed once a request is held
	fail    int           // the next fail requests are answered 500
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		key := req.Header.Get(notify.HeaderIdempotencyKey)
		r.mu.Lock()
		hold, holding := r.hold, r.holding
		if r.fail > 0 {
			r.fail--
			r.mu.Unlock()
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if hold != nil {
			r.mu.Unlock()
			select {
			case <-holding:
			default:
				close(holding)
			}
			<-hold
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return
		}
		r.got[strings.TrimPrefix(req.URL.Path, "/")+" "+key]++
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.got {
		n += v
	}
	return n
}

func (r *receiver) targets() []notify.Config {
	return []notify.Config{{Type: "webhook", Name: "a", URL: r.srv.URL + "/a", MaxAttempts: 2},
		{Type: "webhook", Name: "b", URL: r.srv.URL + "/b", MaxAttempts: 2}}
}

// startSender runs a Dispatcher and a Sender on s as node until the returned stop.
func startSender(t testing.TB, s *incident.Store, node string, targets []notify.Config, o Options) (*Sender, func()) {
	t.Helper()
	var snd *Sender
	d, err := notify.New(targets, notify.Options{Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		OnDelivery: func(d notify.Delivery) { snd.Delivered(d) }})
	if err != nil {
		t.Fatal(err)
	}
	o.Store, o.Dispatcher, o.Node = s, d, node
	snd = New(o)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx) })
	wg.Go(func() { snd.Run(ctx) })
	return snd, func() { cancel(); wg.Wait() }
}

func (r *receiver) checkOnce(t *testing.T, changes int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) != 2*changes {
		t.Errorf("%d (target, change) pairs delivered, want %d", len(r.got), 2*changes)
	}
	for k, n := range r.got {
		if n != 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
		if strings.HasSuffix(k, " ") {
			t.Errorf("%q came without an idempotency key", k)
		}
	}
}

// TestSenderProcess is TestDeliveredOnceAfterKill9's child: a node sending the outbox until
// it is killed.
func TestSenderProcess(t *testing.T) {
	db, recv := os.Getenv("CERTHUNT_TEST_OUTBOX_DB"), os.Getenv("CERTHUNT_TEST_OUTBOX_RECEIVER")
	if db == "" {
		t.Skip("only runs as TestDeliveredOnceAfterKill9's child process")
	}
	s := openStore(t, db)
	targets := []notify.Config{{Type: "webhook", Name: "a", URL: recv + "/a", MaxAttempts: 2},
		{Type: "webhook", Name: "b", URL: recv + "/b", MaxAttempts: 2}}
	_, stop := startSender(t, s, "child", targets, Options{ClaimTTL: 3 * time.Second, Poll: 20 * time.Millisecond, Batch: 8})
	defer stop()
	fmt.Println("sending")
	select {} // until killed
}

// TestDeliveredOnceAfterKill9: two nodes share one database and two webhook targets; the one
// in another process is killed with SIGKILL while it holds claimed rows and a send is in
// flight; every change reaches each target exactly once, changes written before and after
// the kill alike.
func TestDeliveredOnceAfterKill9(t *testing.T) {
	db := testinfra.Postgres(t, "outbox tests")
	s := openStore(t, db)
	defer s.Close()
	r := newReceiver(t)
	const before, after = 30, 10
	for i := range before {
		change(t, s, i)
	}
	r.mu.Lock()
	r.hold, r.holding = make(chan struct{}), make(chan struct{})
	r.mu.Unlock()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSenderProcess$")
	cmd.Env = append(os.Environ(), "CERTHUNT_TEST_OUTBOX_DB="+db, "CERTHUNT_TEST_OUTBOX_RECEIVER="+r.srv.URL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
		}
	}()
	// The child claims rows and its first sends hang in the receiver: kill it there.
	select {
	case <-r.holding:
	case <-time.After(60 * time.Second):
		t.Fatal("the child never sent")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(r.hold)
	r.mu.Lock()
	r.hold = nil
	r.mu.Unlock()
	claimed := count(t, db, `SELECT count(*) FROM outbox WHERE claimed_by = 'child'`)
	if claimed == 0 {
		t.Fatal("the killed child held no claims: the test did not test a takeover")
	}
	t.Logf("child killed holding %d claimed rows", claimed)

	_, stop := startSender(t, s, "survivor", r.targets(), Options{ClaimTTL: 3 * time.Second, Poll: 20 * time.Millisecond})
	defer stop()
	for i := before; i < before+after; i++ {
		change(t, s, i)
	}
	testinfra.WaitFor(t, "every change is delivered to both targets", func() bool { return r.accepted() >= 2*(before+after) })
	testinfra.WaitFor(t, "every outbox row is done", func() bool {
		pending, _, err := s.OutboxStats(context.Background())
		return err == nil && pending == 0
	})
	r.checkOnce(t, before+after)
}

// TestReceiverFailsThenRecovers: a target that fails every attempt of a round gets the change
// in a later round, once, and the other target is not sent it again.
func TestReceiverFailsThenRecovers(t *testing.T) {
	db := testinfra.Postgres(t, "outbox tests")
	s := openStore(t, db)
	defer s.Close()
	r := newReceiver(t)
	r.fail = 6 // more than one round's attempts (2 per target)
	const n = 5
	for i := range n {
		change(t, s, i)
	}
	_, stop := startSender(t, s, "node", r.targets(), Options{Poll: 10 * time.Millisecond, RetryDelay: time.Millisecond})
	defer stop()
	testinfra.WaitFor(t, "every outbox row is done", func() bool {
		pending, _, err := s.OutboxStats(context.Background())
		return err == nil && pending == 0
	})
	r.checkOnce(t, n)
	if rounds := count(t, db, `SELECT max(rounds) FROM outbox`); rounds == 0 {
		t.Fatal("no row needed a second round: the receiver's failures were not tested")
	}
}

// A change of an incident called a false positive is not sent; changes written before the
// store's outbox was on have no row.
func TestFalsePositiveNotSent(t *testing.T) {
	db := testinfra.Postgres(t, "outbox tests")
	s := openStore(t, db)
	defer s.Close()
	change(t, s, 1)
	fp := incident.VerdictFalsePositive
	if _, err := s.Update(context.Background(), "1", incident.Patch{Verdict: &fp}); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t)
	_, stop := startSender(t, s, "node", r.targets(), Options{Poll: 10 * time.Millisecond})
	defer stop()
	testinfra.WaitFor(t, "the row is done", func() bool {
		pending, done, err := s.OutboxStats(context.Background())
		return err == nil && pending == 0 && done == 1
	})
	if n := r.accepted(); n != 0 {
		t.Fatalf("a false positive was notified %d times", n)
	}
}
