package hunt

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrNotFound is returned for an unknown hunt ID.
var ErrNotFound = errors.New("hunt not found")

// Store keeps hunts and their items in PostgreSQL. It is safe for concurrent use, from any
// number of nodes.
type Store struct {
	db *sql.DB
}

// tables are created when missing, beside the incident store's (in the URL's search_path),
// outside its migrations because only clusters hunt (as the CT cursors table).
const tables = `CREATE TABLE IF NOT EXISTS hunts (
	id         TEXT PRIMARY KEY,
	created_at TIMESTAMPTZ NOT NULL,
	ranges     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hunt_items (
	hunt_id    TEXT NOT NULL REFERENCES hunts (id),
	seq        INTEGER NOT NULL,
	log_url    TEXT NOT NULL,
	from_index BIGINT NOT NULL,
	to_index   BIGINT NOT NULL,
	-- state: queued, running, done or failed.
	state      TEXT NOT NULL DEFAULT 'queued',
	node       TEXT NOT NULL DEFAULT '',
	entries    BIGINT NOT NULL DEFAULT 0,
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
	PRIMARY KEY (hunt_id, seq)
)`

// OpenStore connects to the PostgreSQL database at url (the configuration's database) and
// creates the hunt tables when missing.
func OpenStore(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	where := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(4)
	// Two openers at once both run CREATE TABLE IF NOT EXISTS; an advisory lock orders them.
	tx, err := db.BeginTx(ctx, nil)
	if err == nil {
		defer tx.Rollback()
		if _, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(1213550676, hashtext(coalesce(current_schema(), '')))`); err == nil {
			if _, err = tx.ExecContext(ctx, tables); err == nil {
				err = tx.Commit()
			}
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: hunt tables: %w", where, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database connections.
func (s *Store) Close() error { return s.db.Close() }

// Create records a hunt and its items, all queued.
func (s *Store) Create(ctx context.Context, id string, created time.Time, ranges []Range, items []Item) error {
	body, err := json.Marshal(ranges)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO hunts (id, created_at, ranges) VALUES ($1, $2, $3)`, id, created, string(body)); err != nil {
		return fmt.Errorf("recording hunt %s: %w", id, err)
	}
	// One statement for all items: a -since hunt over busy logs has tens of thousands.
	seqs, urls, froms, tos := make([]int64, len(items)), make([]string, len(items)), make([]int64, len(items)), make([]int64, len(items))
	for i, it := range items {
		seqs[i], urls[i], froms[i], tos[i] = int64(it.Seq), it.URL, it.From, it.To
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO hunt_items (hunt_id, seq, log_url, from_index, to_index)
		SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[])`, id, seqs, urls, froms, tos); err != nil {
		return fmt.Errorf("recording hunt %s: %w", id, err)
	}
	return tx.Commit()
}

// Start marks an item taken by node (again, when it was redelivered); it returns the attempt
// number, 0 when the item is done or failed already, or unknown.
func (s *Store) Start(ctx context.Context, it Item, node string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `UPDATE hunt_items SET state = 'running', node = $3, entries = 0, attempts = attempts + 1,
		updated_at = now() WHERE hunt_id = $1 AND seq = $2 AND state NOT IN ('done', 'failed') RETURNING attempts`, it.Hunt, it.Seq, node).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// Progress records the entries node has handled so far of an item it works on.
func (s *Store) Progress(ctx context.Context, it Item, node string, entries int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE hunt_items SET entries = $3, updated_at = now() WHERE hunt_id = $1 AND seq = $2
		AND state = 'running' AND node = $4`, it.Hunt, it.Seq, entries, node)
	return err
}

// Finish marks an item done (err nil) or failed for good. A done item stays done.
func (s *Store) Finish(ctx context.Context, it Item, node string, entries int64, ferr error) error {
	state, msg := "done", ""
	if ferr != nil {
		state, msg = "failed", ferr.Error()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE hunt_items SET state = $3, node = $4, entries = $5, last_error = $6, updated_at = now()
		WHERE hunt_id = $1 AND seq = $2 AND state <> 'done'`, it.Hunt, it.Seq, state, node, entries, msg)
	return err
}

// Get returns a hunt with its progress.
func (s *Store) Get(ctx context.Context, id string) (*Hunt, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	h := &Hunt{ID: id, Nodes: map[string]int{}}
	var ranges string
	err := s.db.QueryRowContext(ctx, `SELECT created_at, ranges FROM hunts WHERE id = $1`, id).Scan(&h.CreatedAt, &ranges)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	h.CreatedAt = h.CreatedAt.UTC()
	if err := json.Unmarshal([]byte(ranges), &h.Ranges); err != nil {
		return nil, fmt.Errorf("hunt %s: unreadable ranges: %w", id, err)
	}
	for _, r := range h.Ranges {
		h.EntriesTotal += r.Len()
	}
	rows, err := s.db.QueryContext(ctx, `SELECT state, node, count(*), sum(entries)::bigint FROM hunt_items WHERE hunt_id = $1 GROUP BY state, node`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var state, node string
		var n int
		var entries int64
		if err := rows.Scan(&state, &node, &n, &entries); err != nil {
			return nil, err
		}
		h.ItemsTotal += n
		h.EntriesDone += entries
		switch state {
		case "done":
			h.ItemsDone += n
			h.Nodes[node] += n
		case "failed":
			h.ItemsFailed += n
		case "running":
			h.ItemsRunning += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	h.Finished = h.ItemsDone+h.ItemsFailed == h.ItemsTotal
	if h.ItemsFailed > 0 {
		erows, err := s.db.QueryContext(ctx, `SELECT seq, last_error FROM hunt_items WHERE hunt_id = $1 AND state = 'failed' ORDER BY seq LIMIT 5`, id)
		if err != nil {
			return nil, err
		}
		defer erows.Close()
		for erows.Next() {
			var seq int
			var msg string
			if err := erows.Scan(&seq, &msg); err != nil {
				return nil, err
			}
			h.Errors = append(h.Errors, fmt.Sprintf("item %d: %s", seq, msg))
		}
		if err := erows.Err(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// List returns the newest hunts first, at most limit, with their progress.
func (s *Store) List(ctx context.Context, limit int) ([]Hunt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM hunts ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Hunt, 0, len(ids))
	for _, id := range ids {
		h, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *h)
	}
	return out, nil
}
