package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Cursors keeps the CT followers' cursors in PostgreSQL (the cluster's shared database), one
// row per log URL, so that whichever node holds a log's lease resumes from the last commit.
// It implements ctlog.CursorStore.
type Cursors struct {
	db      *sql.DB
	node    string
	timeout time.Duration
}

// cursorsTable is created when missing; it lives beside the incident store's tables (in the
// URL's search_path), outside its migrations because only clusters use it.
const cursorsTable = `CREATE TABLE IF NOT EXISTS ct_cursors (
	url        TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	position   BIGINT NOT NULL CHECK (position >= 0),
	node       TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// OpenCursors connects to the PostgreSQL database at url (the configuration's database) and
// creates the cursor table when missing; node is recorded with each save, for operators.
func OpenCursors(ctx context.Context, url, node string) (*Cursors, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	where := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(4)
	if _, err := db.ExecContext(ctx, cursorsTable); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: CT cursor table: %w", where, err)
	}
	return &Cursors{db: db, node: node, timeout: 10 * time.Second}, nil
}

// LoadCursor returns the log's saved position; ok is false when no node saved one.
func (c *Cursors) LoadCursor(url string) (int64, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var pos int64
	err := c.db.QueryRowContext(ctx, `SELECT position FROM ct_cursors WHERE url = $1`, url).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("loading the cursor from PostgreSQL: %w", err)
	}
	return pos, true, nil
}

// SaveCursor records position for the log. A cursor never moves back: a node that lost the
// lease and commits a late batch after the new holder went further must not make it repeat
// work (entries are handled at least once either way).
func (c *Cursors) SaveCursor(url, name string, position int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	_, err := c.db.ExecContext(ctx, `INSERT INTO ct_cursors (url, name, position, node) VALUES ($1, $2, $3, $4)
		ON CONFLICT (url) DO UPDATE SET name = excluded.name, node = excluded.node, updated_at = now(),
			position = GREATEST(ct_cursors.position, excluded.position)`, url, name, position, c.node)
	if err != nil {
		return fmt.Errorf("saving the cursor to PostgreSQL: %w", err)
	}
	return nil
}

// Close closes the database connections.
func (c *Cursors) Close() error { return c.db.Close() }

// Cursor is one log's row: where the last node that committed a batch of it got to.
type Cursor struct {
	URL, Name string
	Position  int64
	Node      string
	UpdatedAt time.Time
}

// All returns every log's cursor, by URL, for the API's view of logs other nodes follow.
func (c *Cursors) All(ctx context.Context) ([]Cursor, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	rows, err := c.db.QueryContext(ctx, `SELECT url, name, position, node, updated_at FROM ct_cursors ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("listing the cursors in PostgreSQL: %w", err)
	}
	defer rows.Close()
	var out []Cursor
	for rows.Next() {
		var r Cursor
		if err := rows.Scan(&r.URL, &r.Name, &r.Position, &r.Node, &r.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
