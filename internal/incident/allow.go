package incident

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
)

// AllowEntry is one name on the analysts' allow list: it and its subdomains never alert.
type AllowEntry struct {
	Domain  string    `json:"domain"`
	AddedAt time.Time `json:"added_at"`
	Reason  string    `json:"reason,omitempty"`
	// Author is the token name that added it ("" without tokens).
	Author string `json:"author,omitempty"`
	// Incident is the incident it was added from, if any.
	Incident string `json:"incident,omitempty"`
}

// AddAllow puts e on the allow list (AddedAt is set now) and, when e names an incident,
// records the change in that incident's history. Adding a name already there keeps the
// first entry and reports added false.
func (s *Store) AddAllow(ctx context.Context, e AllowEntry) (added bool, err error) {
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO allowed (domain, added_at, reason, author, incident_id) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (domain) DO NOTHING`, s.d.args([]any{e.Domain, s.now().UnixNano(), e.Reason, e.Author, e.Incident})...)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	if n > 0 && e.Incident != "" {
		if err := s.event(ctx, tx, e.Incident, "allowed", e.Domain, e.Author); err != nil {
			return false, err
		}
	}
	return n > 0, tx.Commit()
}

// RemoveAllow takes domain off the allow list, recording the removal in the history of the
// incident it was added from. It returns ErrNotFound when domain is not listed.
func (s *Store) RemoveAllow(ctx context.Context, domain, author string) (AllowEntry, error) {
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return AllowEntry{}, err
	}
	defer tx.Rollback()
	var e AllowEntry
	var at int64
	err = tx.QueryRowContext(ctx, `SELECT domain, added_at, reason, author, incident_id FROM allowed WHERE domain = $1`, s.d.args([]any{domain})...).
		Scan(&e.Domain, &at, &e.Reason, &e.Author, &e.Incident)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return AllowEntry{}, ErrNotFound
		}
		return AllowEntry{}, err
	}
	e.AddedAt = fromNanos(at)
	if _, err := tx.ExecContext(ctx, `DELETE FROM allowed WHERE domain = $1`, s.d.args([]any{domain})...); err != nil {
		return AllowEntry{}, err
	}
	if e.Incident != "" {
		if err := s.event(ctx, tx, e.Incident, "unallowed", e.Domain, author); err != nil && !errors.Is(err, ErrNotFound) {
			return AllowEntry{}, err
		}
	}
	return e, tx.Commit()
}

// AllowList returns the allow list, newest first.
func (s *Store) AllowList(ctx context.Context) ([]AllowEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT domain, added_at, reason, author, incident_id FROM allowed ORDER BY added_at DESC, domain`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AllowEntry{}
	for rows.Next() {
		var e AllowEntry
		var at int64
		if err := rows.Scan(&e.Domain, &at, &e.Reason, &e.Author, &e.Incident); err != nil {
			return nil, err
		}
		e.AddedAt = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// event records a history entry for incident id inside tx.
func (s *Store) event(ctx context.Context, tx *sql.Tx, id, field, value, author string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return ErrNotFound
	}
	now := s.now().UTC().UnixNano()
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET updated_at = $1 WHERE id = $2`, s.d.args([]any{now, n})...)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return ErrNotFound
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events (incident_id, at, field, value, author) VALUES ($1,$2,$3,$4,$5)`,
		s.d.args([]any{n, now, field, value, author})...)
	return err
}
