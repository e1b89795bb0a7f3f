package incident

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/source"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

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

func TestRecordGroupsAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
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
}

func TestListFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
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

func TestUpdateKeepsHistory(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
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
