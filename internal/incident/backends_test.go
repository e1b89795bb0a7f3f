package incident

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// The store's tests run against every backend. PostgreSQL is the server at
// $CERTHUNT_TEST_POSTGRES, else postgres://postgres@127.0.0.1:5432/test; each test gets a schema
// of its own, dropped afterwards. Without a reachable server the PostgreSQL cases skip.

const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// opener returns an empty store, closed when the test ends.
type opener func(t *testing.T) *Store

// backend makes a fresh place for a store (a data directory or a database URL) and opens it;
// opening the same place again gives the same data.
type backend struct {
	name  string
	place func(t *testing.T) string
	open  func(ctx context.Context, place string) (*Store, error)
}

var backends = []backend{
	{"sqlite", func(t *testing.T) string { return t.TempDir() },
		func(_ context.Context, dir string) (*Store, error) { return OpenSQLite(dir) }},
	{"postgres", func(t *testing.T) string { return postgresSchema(t) }, OpenPostgres},
}

func (b backend) opener() opener {
	return func(t *testing.T) *Store {
		t.Helper()
		s, err := b.open(context.Background(), b.place(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// eachBackend runs f once per backend, as subtests named after them.
func eachBackend(t *testing.T, f func(t *testing.T, open opener)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.opener()) })
	}
}

var (
	pgOnce sync.Once
	pgURL  string
	pgErr  error
)

// testPostgres returns the URL of the test server, or skips the test when it cannot be reached.
func testPostgres(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		pgURL = os.Getenv("CERTHUNT_TEST_POSTGRES")
		if pgURL == "" {
			pgURL = defaultTestPostgres
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var db *sql.DB
		if db, pgErr = sql.Open("pgx", pgURL); pgErr == nil {
			pgErr = db.PingContext(ctx)
			db.Close()
		}
	})
	if pgErr != nil {
		t.Skipf("PostgreSQL tests skipped: no server at %s (set CERTHUNT_TEST_POSTGRES to a reachable postgres:// URL): %v",
			redactURL(pgURL), pgErr)
	}
	return pgURL
}

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// postgresSchema creates a schema of its own for the test, dropped when it ends, and returns
// the server's URL with search_path set to it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := testPostgres(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "certhunt_test_" + hex.EncodeToString(b)
	admin(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { admin(t, base, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func admin(t testing.TB, dsn, stmt string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

var _ = stdlib.GetDefaultDriver // the "pgx" database/sql driver
