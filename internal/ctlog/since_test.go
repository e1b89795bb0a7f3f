package ctlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/testcert"
)

// FindSince finds the first entry logged at or after a time in logs of both kinds, with
// entries a minute apart, counting the probes.
func TestFindSince(t *testing.T) {
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.Issue([]string{"since.example"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const n = 1000
	for _, newLog := range []func() (*ctlogtest.Log, error){ctlogtest.NewRFC6962, ctlogtest.NewStatic} {
		l, err := newLog()
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		entries := make([]ctlogtest.Entry, n)
		for i := range entries {
			entries[i] = ctlogtest.Entry{Cert: der, Chain: ca.Chain(), Timestamp: base.Add(time.Duration(i) * time.Minute)}
		}
		if _, err := l.Add(entries...); err != nil {
			t.Fatal(err)
		}
		if err := l.Publish(); err != nil {
			t.Fatal(err)
		}
		opts := ctlog.FollowerOptions{MinBackoff: time.Millisecond}
		for _, tc := range []struct {
			at   time.Time
			want int64
		}{
			{base.Add(-time.Hour), 0},
			{base, 0},
			{base.Add(400*time.Minute + time.Second), 401},
			{base.Add(999 * time.Minute), 999},
			{base.Add(2000 * time.Minute), n},
		} {
			before := len(l.Paths())
			got, size, err := ctlog.FindSince(context.Background(), l.Info(), tc.at, opts)
			if err != nil || got != tc.want || size != n {
				t.Errorf("%s FindSince(%s) = %d, %d, %v; want %d", l.Info().Type, tc.at, got, size, err, tc.want)
			}
			if probes := len(l.Paths()) - before; probes > 16 {
				t.Errorf("%s: %d requests for a binary search over %d entries", l.Info().Type, probes, n)
			}
		}
	}
}
