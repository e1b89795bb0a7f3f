package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testinfra"
)

func alert(asset, domain string, score int, sev string) detect.Alert {
	return detect.Alert{Asset: asset, Domain: domain, DomainUnicode: domain, RegisteredDomain: domain, Score: score,
		Severity: sev, Incident: true, Matched: detect.Matched{Kind: "levenshtein", Value: "paypal", Similarity: 0.9},
		Reasons: []detect.Reason{{Rule: "xsoar_similarity", Points: score, Detail: "paypa1 ~ paypal"}}}
}

func cert(sha string, index int64, typ certs.EntryType) *certs.Cert {
	return &certs.Cert{SHA256: sha, SHA1: sha[:4], Serial: "01", EntryType: typ, DNSNames: []string{"paypa1.com"},
		Subject: certs.Name{CN: "paypa1.com"}, Log: certs.LogRef{Name: "log", URL: "http://log"}, Index: index,
		SeenAt: time.Unix(1700000000+index, 0), DER: []byte{0x30, 0x00}}
}

func TestRecordGroupsAndIsIdempotent(t *testing.T) { eachBackend(t, testRecordGroupsAndIsIdempotent) }

func testRecordGroupsAndIsIdempotent(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	a := alert("paypal.com", "paypa1.com", 70, "high")
	ch, err := s.Record(ctx, a, cert("aaaa1111", 10, certs.Precert))
	if err != nil || !ch.Created || !ch.NewSighting {
		t.Fatalf("first record: %+v %v", ch, err)
	}
	// The final certificate joins the same incident.
	ch2, err := s.Record(ctx, a, cert("bbbb2222", 11, certs.X509))
	if err != nil || ch2.Created || ch2.Incident.ID != ch.Incident.ID || ch2.Incident.Sightings != 2 {
		t.Fatalf("second record: %+v %v", ch2, err)
	}
	// A replay changes nothing.
	ch3, err := s.Record(ctx, a, cert("bbbb2222", 11, certs.X509))
	if err != nil || ch3.Created || ch3.NewSighting || ch3.Incident.Sightings != 2 {
		t.Fatalf("replay: %+v %v", ch3, err)
	}
	// A better score raises severity.
	ch4, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 90, "critical"), cert("bbbb2222", 12, certs.X509))
	if err != nil || !ch4.Raised || ch4.Incident.Score != 90 || ch4.Incident.Sightings != 3 {
		t.Fatalf("raise: %+v %v", ch4, err)
	}
	inc, err := s.Get(ctx, ch.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Certificates) != 2 || inc.Certificates[0].EntryType != certs.Precert || inc.Certificates[1].EntryType != certs.X509 {
		t.Fatalf("certificates: %+v", inc.Certificates)
	}
	if len(inc.Certificates[1].Sightings) != 2 || inc.Certificates[1].PEM == "" {
		t.Fatalf("sightings/PEM: %+v", inc.Certificates[1])
	}
	if _, err := s.Get(ctx, "999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing incident: %v", err)
	}
	// Brief has the same incident and certificates, without PEM, sightings or history.
	brief, err := s.Brief(ctx, ch.Incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	if brief.Score != inc.Score || brief.Domain != inc.Domain || len(brief.Certificates) != 2 ||
		brief.Certificates[1].SHA256 != inc.Certificates[1].SHA256 || brief.Certificates[1].PEM != "" ||
		len(brief.Certificates[1].Sightings) != 0 || len(brief.History) != 0 {
		t.Fatalf("brief: %+v", brief)
	}
	if _, err := s.Brief(ctx, "999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("brief of a missing incident: %v", err)
	}
}

func TestListFiltersAndPages(t *testing.T) { eachBackend(t, testListFiltersAndPages) }

func testListFiltersAndPages(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	for i, d := range []string{"a1.com", "b2.com", "c3.com", "d4.com", "e5.com"} {
		sev := "high"
		if i%2 == 0 {
			sev = "low"
		}
		if _, err := s.Record(ctx, alert("paypal.com", d, 50+i, sev), cert(d+"sha", int64(i), certs.X509)); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := s.List(ctx, Filter{Limit: 2})
	if err != nil || len(page) != 2 || page[0].Domain != "e5.com" || next == "" {
		t.Fatalf("page 1: %v %q %v", page, next, err)
	}
	page2, next2, err := s.List(ctx, Filter{Limit: 2, Cursor: next})
	if err != nil || len(page2) != 2 || page2[0].Domain != "c3.com" || next2 == "" {
		t.Fatalf("page 2: %v %v", page2, err)
	}
	page3, next3, _ := s.List(ctx, Filter{Limit: 2, Cursor: next2})
	if len(page3) != 1 || next3 != "" {
		t.Fatalf("page 3: %v %q", page3, next3)
	}
	low, _, _ := s.List(ctx, Filter{Severity: "low"})
	if len(low) != 3 {
		t.Fatalf("severity filter: %d", len(low))
	}
	q, _, _ := s.List(ctx, Filter{Query: "D4"})
	if len(q) != 1 || q[0].Domain != "d4.com" {
		t.Fatalf("query filter: %v", q)
	}
	if _, _, err := s.List(ctx, Filter{Cursor: "!!"}); err == nil {
		t.Fatal("bad cursor accepted")
	}
}

func TestUpdateKeepsHistory(t *testing.T) { eachBackend(t, testUpdateKeepsHistory) }

func testUpdateKeepsHistory(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	ch, _ := s.Record(ctx, alert("paypal.com", "paypa1.com", 70, "high"), cert("aaaa1111", 1, certs.X509))
	st, v, note := "investigating", "true_positive", "phishing kit seen"
	inc, err := s.Update(ctx, ch.Incident.ID, Patch{Status: &st, Verdict: &v, Note: &note, Author: "ana"})
	if err != nil || inc.Status != st || inc.Verdict != v || inc.Note != note || len(inc.History) != 3 {
		t.Fatalf("update: %+v %v", inc, err)
	}
	bad := "done"
	if _, err := s.Update(ctx, ch.Incident.ID, Patch{Status: &bad}); err == nil {
		t.Fatal("bad status accepted")
	}
	if err := s.RecordMalformed(ctx, source.Malformed{Log: certs.LogRef{URL: "http://log"}, Index: 5, Err: "bad"}); err != nil {
		t.Fatal(err)
	}
	s.RecordMalformed(ctx, source.Malformed{Log: certs.LogRef{URL: "http://log"}, Index: 5, Err: "bad"})
	if n, _ := s.MalformedCount(ctx, "http://log"); n != 1 {
		t.Fatalf("malformed count %d", n)
	}
}

// Many Records of one alert at once, each with its own certificate, make one incident holding
// every certificate and sighting, with the best score. Two stores share the database, as two
// processes would, so that the database's own locking is at work and not only the store's.
func TestRecordConcurrently(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testRecordConcurrently(t, b) })
	}
}

func testRecordConcurrently(t *testing.T, b backend) {
	ctx := context.Background()
	place := b.place(t)
	var stores [2]*Store
	for i := range stores {
		s, err := b.open(ctx, place)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	s := stores[0]
	const n = 24
	record := func() []Change {
		start := make(chan struct{})
		changes := make([]Change, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				changes[i], errs[i] = stores[i%2].Record(ctx, alert("paypal.com", "paypa1.com", 60+i, "high"),
					cert(fmt.Sprintf("cccc%04d", i), int64(100+i), certs.X509))
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		return changes
	}
	changes := record()
	created, newSightings := 0, 0
	for _, ch := range changes {
		if ch.Created {
			created++
		}
		if ch.NewSighting {
			newSightings++
		}
		if ch.Incident.ID != changes[0].Incident.ID {
			t.Fatalf("two incidents: %s and %s", ch.Incident.ID, changes[0].Incident.ID)
		}
	}
	if created != 1 || newSightings != n {
		t.Fatalf("created %d incidents and %d new sightings, want 1 and %d", created, newSightings, n)
	}
	// A concurrent replay changes nothing.
	for _, ch := range record() {
		if ch.Created || ch.NewSighting || ch.Incident.Sightings != n {
			t.Fatalf("replay: %+v", ch)
		}
	}
	list, _, err := s.List(ctx, Filter{Asset: "paypal.com"})
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents: %v %v", list, err)
	}
	inc, err := s.Get(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Certificates) != n || inc.Sightings != n || inc.Score != 60+n-1 {
		t.Fatalf("incident has %d certificates, %d sightings, score %d; want %d, %d, %d",
			len(inc.Certificates), inc.Sightings, inc.Score, n, n, 60+n-1)
	}
	if want := time.Unix(1700000000+100, 0).UTC(); !inc.FirstSeen.Equal(want) {
		t.Fatalf("first seen %v, want %v", inc.FirstSeen, want)
	}
	if want := time.Unix(1700000000+100+n-1, 0).UTC(); !inc.LastSeen.Equal(want) {
		t.Fatalf("last seen %v, want %v", inc.LastSeen, want)
	}
}

// The rest of the API behaves the same on every backend.
func TestRaiseDeliveriesAllowList(t *testing.T) { eachBackend(t, testRaiseDeliveriesAllowList) }

func testRaiseDeliveriesAllowList(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	ch, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 60, "medium"), cert("aaaa1111", 1, certs.X509))
	if err != nil {
		t.Fatal(err)
	}
	id := ch.Incident.ID
	hit := alert("paypal.com", "paypa1.com", 95, "critical")
	hit.IntelHits = []detect.IntelHit{{Feed: "openphish"}}
	if raised, err := s.Raise(ctx, id, hit); err != nil || !raised {
		t.Fatalf("raise: %v %v", raised, err)
	}
	if raised, err := s.Raise(ctx, id, alert("paypal.com", "paypa1.com", 10, "low")); err != nil || raised {
		t.Fatalf("lower raise: %v %v", raised, err)
	}
	if _, err := s.Raise(ctx, "424242", hit); !errors.Is(err, ErrNotFound) {
		t.Fatalf("raise of a missing incident: %v", err)
	}
	at := time.Unix(1700000500, 0).UTC()
	for _, d := range []Delivery{{Target: "slack", Status: "failed", Attempts: 1, LastError: "503", At: at},
		{Target: "slack", Status: "sent", Attempts: 2, At: at.Add(time.Second)}} {
		if err := s.SetDelivery(ctx, id, d); err != nil {
			t.Fatal(err)
		}
	}
	inc, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Score != 95 || inc.Severity != "critical" || len(inc.IntelHits) != 1 {
		t.Fatalf("raised incident: %+v", inc)
	}
	if len(inc.Deliveries) != 1 || inc.Deliveries[0].Status != "sent" || inc.Deliveries[0].Attempts != 2 ||
		!inc.Deliveries[0].At.Equal(at.Add(time.Second)) {
		t.Fatalf("deliveries: %+v", inc.Deliveries)
	}
	for _, d := range []string{"paypa1.com", "example.net", "paypa1.com"} {
		if err := s.Allow(ctx, d, "benign"); err != nil {
			t.Fatal(err)
		}
	}
	if allowed, err := s.Allowed(ctx); err != nil || fmt.Sprint(allowed) != "[example.net paypa1.com]" {
		t.Fatalf("allowed: %v %v", allowed, err)
	}
	open1, err := s.OpenDomains(ctx)
	if err != nil || fmt.Sprint(open1) != fmt.Sprintf("map[%s:[paypa1.com]]", id) {
		t.Fatalf("open domains: %v %v", open1, err)
	}
	closed := StatusClosed
	if _, err := s.Update(ctx, id, Patch{Status: &closed}); err != nil {
		t.Fatal(err)
	}
	if open2, err := s.OpenDomains(ctx); err != nil || len(open2) != 0 {
		t.Fatalf("open domains after closing: %v %v", open2, err)
	}
	s.RecordMalformed(ctx, source.Malformed{Log: certs.LogRef{URL: "http://other"}, Index: 1, Err: "bad", Data: []byte{0, 1}})
	s.RecordMalformed(ctx, source.Malformed{Log: certs.LogRef{URL: "http://log"}, Index: 1, Err: "bad"})
	if n, err := s.MalformedCount(ctx, ""); err != nil || n != 2 {
		t.Fatalf("all malformed: %d %v", n, err)
	}
}

// Names from hostile certificates may hold NUL bytes or invalid UTF-8; they are still recorded
// and found (PostgreSQL stores U+FFFD in their place).
func TestRecordOddStrings(t *testing.T) { eachBackend(t, testRecordOddStrings) }

func testRecordOddStrings(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	odd := "pay\x00pa\xff1.com"
	c := cert("dddd4444", 1, certs.X509)
	c.Log.Name = "log\x00"
	ch, err := s.Record(ctx, alert("paypal.com", odd, 70, "high"), c)
	if err != nil || !ch.Created {
		t.Fatalf("record: %+v %v", ch, err)
	}
	if ch2, err := s.Record(ctx, alert("paypal.com", odd, 70, "high"), c); err != nil || ch2.Created || ch2.NewSighting {
		t.Fatalf("replay: %+v %v", ch2, err)
	}
	if list, _, err := s.List(ctx, Filter{Query: "pay"}); err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if _, _, err := s.List(ctx, Filter{Query: "\xff\x00"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordMalformed(ctx, source.Malformed{Log: certs.LogRef{URL: "http://log"}, Index: 2, Err: "bad \x00\xfe"}); err != nil {
		t.Fatal(err)
	}
}

// Opening an existing store again keeps its data and applies no migration twice.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			place := b.place(t)
			s, err := b.open(ctx, place)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 70, "high"), cert("aaaa1111", 1, certs.X509))
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			s, err = b.open(ctx, place)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if inc, err := s.Get(ctx, ch.Incident.ID); err != nil || inc.Sightings != 1 {
				t.Fatalf("after reopening: %+v %v", inc, err)
			}
			if s.Backend() != b.name {
				t.Fatalf("backend %q", s.Backend())
			}
			// The names SQLite databases made before PostgreSQL support hold.
			var names string
			if err := s.db.QueryRowContext(ctx, `SELECT string_agg(name, ',' ORDER BY name) FROM schema_migrations`).Scan(&names); err != nil ||
				names != "migrations/001_init.sql,migrations/002_malformed_at.sql,migrations/003_inventory.sql,migrations/004_allow_authors.sql,migrations/004_enrichment.sql,migrations/005_campaigns.sql,migrations/006_outbox.sql" {
				t.Fatalf("applied migrations: %q %v", names, err)
			}
		})
	}
}

func TestOpenPicksBackend(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), "")
	if err != nil || s.Backend() != "sqlite" {
		t.Fatalf("empty database: %v", err)
	}
	s.Close()
	if _, err := Open(ctx, t.TempDir(), "mysql://db/x"); err == nil {
		t.Fatal("mysql:// accepted")
	}
	place := testinfra.Postgres(t, "incident PostgreSQL tests")
	for _, u := range []string{place, "postgresql" + strings.TrimPrefix(place, "postgres")} {
		s, err := Open(ctx, t.TempDir(), u)
		if err != nil || s.Backend() != "postgres" {
			t.Fatalf("%s: %v", u, err)
		}
		s.Close()
	}
}

// On PostgreSQL, a Record that finds no incident while another transaction is inserting it
// waits for that transaction and then joins its incident.
func TestRecordJoinsIncidentInsertedConcurrently(t *testing.T) {
	ctx := context.Background()
	s := backends[1].opener()(t)
	other, pid := otherTx(t, s)
	var id int64
	if err := other.QueryRowContext(ctx, `INSERT INTO incidents (asset, registered_domain, domain, domain_unicode,
		severity, score, matched, reasons, created_at, updated_at, first_seen, last_seen)
		VALUES ('paypal.com', 'paypa1.com', 'paypa1.com', 'paypa1.com', 'high', 70, '{}', '[]', 1, 1, 1, 1) RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	r := recordBlockedBy(t, s, pid, alert("paypal.com", "paypa1.com", 80, "high"), cert("eeee5555", 7, certs.X509))
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	ch, err := r()
	if err != nil || ch.Created || !ch.NewSighting || ch.Incident.ID != strconv.FormatInt(id, 10) ||
		ch.Incident.Score != 80 || ch.Incident.Sightings != 1 || len(ch.Incident.Certificates) != 1 {
		t.Fatalf("record: %+v %v", ch, err)
	}
}

// On PostgreSQL, a Record waits for another transaction changing its incident, and then works
// from what that one committed: a lower score does not overwrite a higher one.
func TestRecordWaitsForLockedIncident(t *testing.T) {
	ctx := context.Background()
	s := backends[1].opener()(t)
	first, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 70, "high"), cert("aaaa1111", 1, certs.X509))
	if err != nil {
		t.Fatal(err)
	}
	other, pid := otherTx(t, s)
	if _, err := other.ExecContext(ctx, `UPDATE incidents SET score = 99, severity = 'critical' WHERE id = $1`, first.Incident.ID); err != nil {
		t.Fatal(err)
	}
	r := recordBlockedBy(t, s, pid, alert("paypal.com", "paypa1.com", 80, "high"), cert("bbbb2222", 2, certs.X509))
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	ch, err := r()
	if err != nil || ch.Created || ch.Raised || ch.Incident.Score != 99 || ch.Incident.Severity != "critical" || ch.Incident.Sightings != 2 {
		t.Fatalf("record: %+v %v", ch, err)
	}
}

// otherTx begins a transaction on s's database, as another process would, and returns it with
// its server process ID.
func otherTx(t *testing.T, s *Store) (*sql.Tx, int64) {
	t.Helper()
	if s.Backend() != "postgres" {
		t.Fatal("not PostgreSQL")
	}
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	var pid int64
	if err := tx.QueryRowContext(context.Background(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return tx, pid
}

// recordBlockedBy starts Record and returns once the server process pid blocks it; the
// returned function waits for Record's result.
func recordBlockedBy(t *testing.T, s *Store, pid int64, a detect.Alert, c *certs.Cert) func() (Change, error) {
	t.Helper()
	ctx := context.Background()
	type result struct {
		ch  Change
		err error
	}
	done := make(chan result, 1)
	go func() {
		ch, err := s.Record(ctx, a, c)
		done <- result{ch, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for blocked := 0; blocked == 0; {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))`,
			pid).Scan(&blocked); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-done:
			t.Fatalf("Record did not wait for the other transaction: %+v %v", r.ch, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Record never blocked on the other transaction")
		}
	}
	return func() (Change, error) { r := <-done; return r.ch, r.err }
}
