package incident

import (
	"context"
	"testing"

	"github.com/certhunt/certhunt/internal/testinfra"
)

// The store's tests run against every backend. PostgreSQL is the server at
// $CERTHUNT_TEST_POSTGRES, else the machine's (see internal/testinfra); each test gets a schema
// of its own, dropped afterwards. Without a reachable server the PostgreSQL cases skip.

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
	{"postgres", func(t *testing.T) string { return testinfra.Postgres(t, "incident PostgreSQL tests") }, OpenPostgres},
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
