package certstream_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/certstream"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/pipeline"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// A lookalike arriving over certstream (here certhunt's own hub feeding its own client) goes
// through the same pipeline as a CT log entry and opens an incident that records the log and
// index the message names.
func TestLookalikeOverCertstreamBecomesIncident(t *testing.T) {
	store, err := incident.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ix, err := detect.Build(homograph.List{"paypal.com": {"paypa1.com"}}, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{Store: store, Index: func() *detect.Index { return ix }, Logger: slog.New(slog.DiscardHandler)}

	hub := certstream.NewHub(certstream.HubOptions{})
	srv := httptest.NewServer(hub.Handler())
	defer srv.Close()
	defer hub.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := make(chan source.Batch)
	client := certstream.NewClient(certstream.ClientOptions{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/certstream/full-stream",
		FlushInterval: time.Millisecond})
	go client.Run(ctx, batches)
	pipelineDone := make(chan struct{})
	go func() { defer close(pipelineDone); p.Run(ctx, batches) }()
	defer func() { cancel(); <-pipelineDone }() // before the store closes
	deadline := time.Now().Add(10 * time.Second)
	for hub.Stats().Clients != 1 {
		if time.Now().After(deadline) {
			t.Fatal("client never subscribed")
		}
		time.Sleep(time.Millisecond)
	}

	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	upstream := certs.LogRef{Name: "Upstream Log 2026", URL: "https://ct.upstream.test/2026", Type: "rfc6962"}
	for i, name := range []string{"benign-shop.example.com", "login.paypa1.com", "another.example.org"} {
		der, err := ca.Issue([]string{name}, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := certs.Parse(&certs.Entry{Log: upstream, Index: int64(7000 + i), Timestamp: time.Now(), Type: certs.X509, DER: der, Chain: ca.Chain()})
		if err != nil {
			t.Fatal(err)
		}
		hub.Publish(c)
	}

	var found []incident.Incident
	for len(found) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no incident; pipeline saw %d entries", p.Stats().Entries.Load())
		}
		time.Sleep(5 * time.Millisecond)
		if found, _, err = store.List(ctx, incident.Filter{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Get(ctx, found[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || got.Asset != "paypal.com" || got.RegisteredDomain != "paypa1.com" || len(got.Certificates) != 1 {
		t.Fatalf("incidents %+v", found)
	}
	want := incident.LogPosition{Name: upstream.Name, URL: upstream.URL, Index: 7001}
	if c := got.Certificates[0]; c.Log != want || c.PEM == "" {
		t.Errorf("certificate log %+v (PEM %d bytes), want %+v with the certificate", c.Log, len(c.PEM), want)
	}
}
