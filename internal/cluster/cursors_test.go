package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/testinfra"
)

var _ ctlog.CursorStore = (*Cursors)(nil)

// Two nodes share the cursors: what one saves the other loads, and a late save from a node
// that lost the lease never moves a cursor back.
func TestCursorsInPostgres(t *testing.T) {
	db := testinfra.Postgres(t, "cluster cursor tests")
	ctx := context.Background()
	a, err := OpenCursors(ctx, db, "node-a")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenCursors(ctx, db, "node-b") // the table exists already
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const log = "https://ct.example/2026h1/"
	if _, ok, err := b.LoadCursor(log); ok || err != nil {
		t.Fatalf("a log never followed has a cursor (%v, %v)", ok, err)
	}
	if err := a.SaveCursor(log, "Example 2026h1", 1000); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveCursor("https://other.example/", "other", 7); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := b.LoadCursor(log); !ok || err != nil || p != 1000 {
		t.Fatalf("node b loads %d, %v, %v; want 1000", p, ok, err)
	}
	if err := b.SaveCursor(log, "Example 2026h1", 1500); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveCursor(log, "Example 2026h1", 1200); err != nil { // a's late commit
		t.Fatal(err)
	}
	if p, _, _ := a.LoadCursor(log); p != 1500 {
		t.Fatalf("cursor %d after a late, lower save; want 1500", p)
	}
	if p, _, _ := a.LoadCursor("https://other.example/"); p != 7 {
		t.Fatalf("other log's cursor %d, want 7", p)
	}
	if err := a.SaveCursor(log, "x", -1); err == nil {
		t.Fatal("a negative position was saved")
	}
}

func TestOpenCursorsUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens, so the connection is refused at once.
	_, err := OpenCursors(ctx, "postgres://certhunt:secret@127.0.0.1:1/certhunt?connect_timeout=2", "a")
	if err == nil {
		t.Fatal("opened cursors on a closed port")
	}
	if s := err.Error(); !strings.Contains(s, "127.0.0.1:1/certhunt") || strings.Contains(s, "secret") {
		t.Fatalf("error %q should name the database without its password", s)
	}
}
