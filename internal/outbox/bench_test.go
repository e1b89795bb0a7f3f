package outbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// BenchmarkOutboxDelivery: b.N new incidents (each an outbox row, written by Record) drained
// by one node's sender to one loopback webhook target; it reports deliveries a second.
func BenchmarkOutboxDelivery(b *testing.B) {
	db := testinfra.Postgres(b, "outbox benchmarks")
	s := openStore(b, db)
	defer s.Close()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	defer srv.Close()
	for i := range b.N {
		change(b, s, i)
	}
	b.ResetTimer()
	start := time.Now()
	_, stop := startSender(b, s, "bench", []notify.Config{{Type: "webhook", Name: "a", URL: srv.URL}}, Options{Poll: time.Millisecond})
	for {
		pending, _, err := s.OutboxStats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if pending == 0 {
			break
		}
		time.Sleep(time.Millisecond) // polling state
	}
	b.StopTimer()
	stop()
	if got.Load() != int64(b.N) {
		b.Fatalf("%d deliveries of %d changes", got.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkRecordNew: opening an incident, with and without the outbox row it writes in the
// same transaction.
func BenchmarkRecordNew(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "outbox=off"
		if on {
			name = "outbox=on"
		}
		b.Run(name, func(b *testing.B) {
			s := openStore(b, testinfra.Postgres(b, "outbox benchmarks"))
			defer s.Close()
			if err := s.SetOutbox(on); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				change(b, s, i)
			}
		})
	}
}
