// Package testinfra gives tests what several packages' tests need from the machine: a fresh
// schema on its PostgreSQL and an in-process NATS server with JetStream.
//
// It is for tests only: import it from _test.go files, never from code the binary is built
// from (it links the NATS server and calls testing).
package testinfra

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/nats-io/nats-server/v2/server"
)

// DefaultPostgres is the server the PostgreSQL tests use when $CERTHUNT_TEST_POSTGRES is unset:
// the machine's own, with trust auth.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	pgOnce sync.Once
	pgBase string
	pgErr  error
)

// postgresServer returns the URL of the test PostgreSQL server, or skips t when it does not answer.
// It is asked once a process: every later test skips (or not) at once.
func postgresServer(t testing.TB, what string) string {
	t.Helper()
	pgOnce.Do(func() {
		pgBase = os.Getenv("CERTHUNT_TEST_POSTGRES")
		if pgBase == "" {
			pgBase = DefaultPostgres
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var db *sql.DB
		if db, pgErr = sql.Open("pgx", pgBase); pgErr == nil {
			pgErr = db.PingContext(ctx)
			db.Close()
		}
	})
	if pgErr != nil {
		t.Skipf("%s skipped: no PostgreSQL at %s (set CERTHUNT_TEST_POSTGRES to a reachable postgres:// URL): %v",
			what, redacted(pgBase), pgErr)
	}
	return pgBase
}

// Postgres returns a postgres:// URL whose search_path is a fresh schema on the test server
// ($CERTHUNT_TEST_POSTGRES, else DefaultPostgres), dropped when t ends. When no server answers
// t is skipped with a message that starts with what ("cluster test", "outbox tests") and says
// how to point the tests at one.
func Postgres(t testing.TB, what string) string {
	t.Helper()
	base := postgresServer(t, what)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "certhunt_test_" + hex.EncodeToString(b)
	if err := exec(base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("test schema: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping the test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on a connection of its own.
func exec(dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

func redacted(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// NATS starts an in-process NATS server with JetStream on a random loopback port, its store in
// t.TempDir(), shut down when t ends, and returns its client URL.
func NATS(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("in-process NATS server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s.ClientURL()
}

// WaitFor polls cond (a look at state, not a timing) every 10 ms until it holds, and fails t
// when it has not within a minute: more than any test's lease or claim timings.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		<-tick.C
	}
}
