package incident

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/source"
)

// bigCert is a certificate with a realistic DER size, unique by i.
func bigCert(i int) *certs.Cert {
	c := cert(fmt.Sprintf("%064x", i), int64(i), certs.X509)
	c.DER = make([]byte, 1500)
	return c
}

// Record's cost does not grow with the incident: recording into an incident of 1,500
// certificates costs about what recording into one of a few does. Before, Record reloaded the
// whole incident inside its transaction (11 ms at 1k certificates, 97 ms at 6k). The figure
// compared is a ratio of two measurements taken side by side, not a wall-clock threshold.
func TestRecordCostIndependentOfIncidentSize(t *testing.T) {
	eachBackend(t, testRecordCostIndependentOfIncidentSize)
}

func testRecordCostIndependentOfIncidentSize(t *testing.T, open opener) {
	if testing.Short() {
		t.Skip("fills an incident with 1,500 certificates")
	}
	ctx := context.Background()
	s := open(t)
	big, small := alert("paypal.com", "paypa1.com", 70, "high"), alert("paypal.com", "paypa2.com", 70, "high")
	const fill = 1500
	for i := range fill {
		if _, err := s.Record(ctx, big, bigCert(i)); err != nil {
			t.Fatal(err)
		}
	}
	n := fill
	record := func(a detect.Alert) time.Duration {
		n++
		start := time.Now()
		ch, err := s.Record(ctx, a, bigCert(n))
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Incident.Certificates) != 1 || ch.Incident.Certificates[0].SHA256 != fmt.Sprintf("%064x", n) {
			t.Fatalf("Record returned %d certificates", len(ch.Incident.Certificates))
		}
		return time.Since(start)
	}
	// Alternate, so that both see the same machine load; compare the totals.
	var inBig, inSmall time.Duration
	for range 40 {
		inBig += record(big)
		inSmall += record(small)
	}
	ratio := float64(inBig) / float64(inSmall)
	t.Logf("Record into %d certificates: %v; into a small incident: %v (ratio %.2f)", fill, inBig/40, inSmall/40, ratio)
	if ratio > 5 {
		t.Errorf("Record into a big incident costs %.1f× one into a small incident", ratio)
	}
	inc, err := s.Get(ctx, "1")
	if err != nil || len(inc.Certificates) != fill+40 {
		t.Fatalf("Get: %d certificates, %v", len(inc.Certificates), err)
	}
}

// Malformed records are capped per log and expire; what the caps drop is counted.
func TestMalformedRecordsAreCapped(t *testing.T) { eachBackend(t, testMalformedRecordsAreCapped) }

func testMalformedRecordsAreCapped(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	clock := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	flood := certs.LogRef{Name: "hostile", URL: "wss://hostile.example/"}
	for i := range MaxMalformedPerLog + 5 {
		if err := s.RecordMalformed(ctx, source.Malformed{Log: flood, Index: int64(i), Err: "bad", Data: make([]byte, 1<<20)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.MalformedCount(ctx, flood.URL); err != nil || n != MaxMalformedPerLog {
		t.Fatalf("flood kept %d records (%v), want %d", n, err, MaxMalformedPerLog)
	}
	if d := s.MalformedDropped(); d != 5 {
		t.Errorf("dropped %d, want 5", d)
	}
	var longest int
	if err := s.db.QueryRowContext(ctx, `SELECT max(length(data)) FROM malformed`).Scan(&longest); err != nil || longest > maxMalformedData {
		t.Errorf("data kept: %d bytes (%v)", longest, err)
	}
	other := certs.LogRef{Name: "ct", URL: "https://ct.example/"}
	if err := s.RecordMalformed(ctx, source.Malformed{Log: other, Index: 1, Err: "bad"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.MalformedCount(ctx, other.URL); n != 1 {
		t.Fatalf("another log's record was not kept: %d", n)
	}
	// After the retention the flood expires and its log may record again.
	clock = clock.Add(MalformedRetention + time.Hour)
	if err := s.RecordMalformed(ctx, source.Malformed{Log: flood, Index: 99999, Err: "bad"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.MalformedCount(ctx, ""); n != 1 {
		t.Fatalf("after the retention %d records remain, want 1", n)
	}
}
