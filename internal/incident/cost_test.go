package incident

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
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
