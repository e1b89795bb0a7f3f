package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/labelstats"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// memStore records calls, failing the first failRecords Record calls.
type memStore struct {
	mu            sync.Mutex
	failRecords   int
	recorded      []string // domain@log#index
	alerts        []detect.Alert
	malformed     []int64
	malformedRecs []source.Malformed
}

func (m *memStore) Record(ctx context.Context, a detect.Alert, c *certs.Cert) (incident.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRecords > 0 {
		m.failRecords--
		return incident.Change{}, errors.New("disk full")
	}
	m.recorded = append(m.recorded, a.Domain)
	m.alerts = append(m.alerts, a)
	return incident.Change{Created: len(m.recorded) == 1, NewSighting: true}, nil
}

func (m *memStore) RecordMalformed(ctx context.Context, mf source.Malformed) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.malformed = append(m.malformed, mf.Index)
	m.malformedRecs = append(m.malformedRecs, mf)
	return nil
}

func newIndex(t *testing.T) func() *detect.Index {
	ix, err := detect.Build(homograph.List{"paypal.com": {"paypa1.com"}}, detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60})
	if err != nil {
		t.Fatal(err)
	}
	return func() *detect.Index { return ix }
}

func entry(t *testing.T, index int64, names ...string) certs.Entry {
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.Issue(names, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return certs.Entry{Log: certs.LogRef{Name: "l", URL: "http://l/"}, Index: index, Type: certs.X509, DER: der, Timestamp: time.Now()}
}

func TestMalformedEntriesAreRecordedAndBatchCommits(t *testing.T) {
	store := &memStore{}
	var published []string
	p := &Pipeline{Store: store, Index: newIndex(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Publish: func(c *certs.Cert) { published = append(published, c.DNSNames[0]) }}
	garbage := certs.Entry{Log: certs.LogRef{URL: "http://l/"}, Index: 1, Type: certs.X509, DER: []byte("<script>not a cert")}
	committed := 0
	b := source.Batch{
		Entries:   []certs.Entry{entry(t, 0, "paypa1.com"), garbage, entry(t, 2, "honest.org")},
		Malformed: []source.Malformed{{Log: certs.LogRef{URL: "http://l/"}, Index: 3, Err: "cut extra_data"}},
		Commit:    func() error { committed++; return nil },
	}
	if err := p.Handle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if committed != 1 || len(store.recorded) != 1 || store.recorded[0] != "paypa1.com" {
		t.Fatalf("committed %d, recorded %v", committed, store.recorded)
	}
	if len(store.malformed) != 2 || store.malformed[0] != 1 || store.malformed[1] != 3 {
		t.Fatalf("malformed recorded: %v", store.malformed)
	}
	if len(published) != 2 {
		t.Fatalf("published %v", published)
	}
	st := p.Stats()
	if st.Entries.Load() != 4 || st.Malformed.Load() != 2 || st.IncidentsOpened.Load() != 1 {
		t.Fatalf("stats: entries %d malformed %d opened %d", st.Entries.Load(), st.Malformed.Load(), st.IncidentsOpened.Load())
	}
}

func TestStoreFailureIsRetriedBeforeCommit(t *testing.T) {
	store := &memStore{failRecords: 2}
	p := &Pipeline{Store: store, Index: newIndex(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	committed := 0
	in := make(chan source.Batch, 1)
	in <- source.Batch{Entries: []certs.Entry{entry(t, 0, "paypa1.com")}, Commit: func() error { committed++; return nil }}
	close(in)
	if err := p.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if committed != 1 || len(store.recorded) != 1 || store.failRecords != 0 {
		t.Fatalf("committed %d recorded %v remaining failures %d", committed, store.recorded, store.failRecords)
	}
}

func TestKeepBestPerAssetAndRegisteredDomain(t *testing.T) {
	var best bestAlerts
	best.add(detect.Alert{Asset: "a", RegisteredDomain: "x.com", Score: 60})
	best.add(detect.Alert{Asset: "a", RegisteredDomain: "x.com", Score: 90})
	best.add(detect.Alert{Asset: "b", RegisteredDomain: "x.com", Score: 70})
	if out := best.alerts; len(out) != 2 || out[0].Score != 90 {
		t.Fatalf("%+v", out)
	}
}

// TestRetriedBatchCountedAndPublishedOnce: a batch whose store write fails half-way is retried;
// what the failed attempt had already parsed is neither counted nor re-published twice.
func TestRetriedBatchCountedAndPublishedOnce(t *testing.T) {
	store := &memStore{failRecords: 1}
	var published []string
	p := &Pipeline{Store: store, Index: newIndex(t), Logger: slog.New(slog.DiscardHandler),
		Publish: func(c *certs.Cert) { published = append(published, c.DNSNames[0]) }}
	in := make(chan source.Batch, 1)
	in <- source.Batch{Entries: []certs.Entry{entry(t, 0, "honest.org"), entry(t, 1, "paypa1.com")}, Commit: func() error { return nil }}
	close(in)
	if err := p.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if len(published) != 2 || st.Entries.Load() != 2 || st.Parsed.Load() != 2 || st.Alerts.Load() != 1 ||
		st.IncidentsOpened.Load() != 1 || st.IncidentSightings.Load() != 1 {
		t.Fatalf("published %v; entries %d parsed %d alerts %d opened %d sightings %d", published, st.Entries.Load(),
			st.Parsed.Load(), st.Alerts.Load(), st.IncidentsOpened.Load(), st.IncidentSightings.Load())
	}
}

// A certificate naming hundreds of lookalike domains opens one "many names" incident, not one
// per name.
func TestSANFloodOpensOneIncident(t *testing.T) {
	store := &memStore{}
	p := &Pipeline{Store: store, Index: newIndex(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var names []string
	for i := range 300 {
		names = append(names, fmt.Sprintf("paypal-login%d.com", i))
	}
	b := source.Batch{Entries: []certs.Entry{entry(t, 0, names...), entry(t, 1, "paypa1.com", "paypal-secure.com")}}
	if err := p.Handle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if len(store.recorded) != 3 {
		t.Fatalf("recorded %d incidents: %v", len(store.recorded), store.recorded)
	}
	if !slices.ContainsFunc(store.alerts[0].Reasons, func(r detect.Reason) bool {
		return r.Rule == "many-names" && strings.Contains(r.Detail, "300 lookalike domains")
	}) {
		t.Errorf("flood incident reasons: %+v", store.alerts[0].Reasons)
	}
}

// A relayed entry that does not parse is recorded under the source that relayed it, not under
// the log it claims, so that a sender cannot choose the keys of its records.
func TestRelayedMalformedIsKeptUnderItsSource(t *testing.T) {
	store := &memStore{}
	p := &Pipeline{Store: store, Index: newIndex(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	relay := certs.LogRef{Name: "cs", URL: "wss://relay.example/full-stream", Type: "certstream"}
	claimed := certs.LogRef{Name: "any", URL: "https://claimed.example/", Type: "certstream"}
	b := source.Batch{Source: relay, Entries: []certs.Entry{{Log: claimed, Index: 42, Type: certs.X509, DER: []byte("junk")}}}
	if err := p.Handle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if len(store.malformedRecs) != 1 || store.malformedRecs[0].Log != relay || !strings.Contains(store.malformedRecs[0].Err, "claimed.example") {
		t.Fatalf("recorded %+v", store.malformedRecs)
	}
}

// Names that are not domain names never reach matching and are counted; every good name
// teaches the label statistics.
func TestJunkNamesCountedAndLabelsLearned(t *testing.T) {
	store := &memStore{}
	labels := labelstats.New()
	p := &Pipeline{Store: store, Index: newIndex(t), Labels: labels, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	before := labels.Domains("zzhost")
	b := source.Batch{Entries: []certs.Entry{
		entry(t, 0, "paypa1.com", "pay pal.com", "bad..label.com", "ctl\x01.example.com"),
		entry(t, 1, "zzhost.example.org", "zzhost.example.net"),
	}}
	if err := p.Handle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if got := p.Stats().JunkNames.Load(); got != 3 {
		t.Errorf("JunkNames = %d, want 3", got)
	}
	if len(store.recorded) != 1 || store.recorded[0] != "paypa1.com" {
		t.Errorf("recorded %v, want the one lookalike", store.recorded)
	}
	if got := labels.Domains("zzhost") - before; got != 2 {
		t.Errorf("label zzhost learned under %d domains, want 2", got)
	}
}
