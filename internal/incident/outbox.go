package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The kinds of change that notify (the same words as notify's event kinds).
const (
	ChangeNew            = "new"
	ChangeSeverityRaised = "severity_raised"
	ChangeWentLive       = "went_live"
	ChangeLoginForm      = "login_form"
)

// Enrichment history entries that notify (internal/enrich writes them): the name going live
// in DNS or with a page (StartedServing begins the entry, which goes on with the status), and a
// login form appearing.
const (
	StartedResolving  = "started resolving"
	StartedServing    = "started serving a page"
	LoginFormAppeared = "a login form appeared"
)

// LookEvent is the change a look notifies, from the history entries it recorded at its
// CheckedAt: ChangeLoginForm when a login form appeared, else ChangeWentLive when the name
// started resolving or serving a page, else "". One process and the cluster's outbox both
// read it, so they notify the same changes.
func LookEvent(e Enrichment) string {
	live := false
	for _, c := range e.History {
		if !c.At.Equal(e.CheckedAt) {
			continue
		}
		if c.Change == LoginFormAppeared {
			return ChangeLoginForm
		}
		live = live || IsWentLive(c.Change)
	}
	if live {
		return ChangeWentLive
	}
	return ""
}

// IsWentLive reports whether a history entry is a name going live (resolving, serving).
func IsWentLive(change string) bool {
	return change == StartedResolving || strings.HasPrefix(change, StartedServing)
}

// Outbox delivery statuses kept per (row, target).
const (
	OutboxDelivered = "delivered"
	OutboxFailed    = "failed"
)

// SetOutbox makes Record, Raise and SetEnrichment also write, in the same transaction, an
// outbox row for each change that notifies (new, severity_raised, went_live), unless the
// incident's verdict is false_positive. A cluster turns it on (PostgreSQL only) so that the
// nodes' outbox senders deliver each change once; a single process notifies from memory.
// Call it before the store is used.
func (s *Store) SetOutbox(on bool) error {
	if on && s.d.name != "postgres" {
		return errors.New("the notification outbox needs PostgreSQL (database: postgres://...)")
	}
	s.outbox = on
	return nil
}

// queueChange writes the outbox row of a change of incident id, inside the caller's
// transaction, which holds the incident's row lock (so change numbers are taken in order).
func (s *Store) queueChange(ctx context.Context, tx *sql.Tx, id int64, kind string) error {
	if !s.outbox {
		return nil
	}
	// One statement: the change number counts the incident's rows so far (under its row lock),
	// and a false positive's change is not queued.
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (change_key, incident_id, kind, created_at, due_at)
		SELECT i.id::text || ':' || $2::text || ':' || ((SELECT count(*) FROM outbox o WHERE o.incident_id = i.id) + 1)::text,
			i.id, $2, $3, $3
		FROM incidents i WHERE i.id = $1 AND i.verdict <> 'false_positive'`, id, kind, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// OutboxItem is a claimed outbox row: one change to tell the targets about.
type OutboxItem struct {
	ID         int64
	Key        string // the change key, the receivers' idempotency key
	IncidentID string
	Kind       string
	// Rounds counts the earlier claims that ended with a target failing.
	Rounds int
	// Delivered names the targets that already have it; they are never sent it again.
	Delivered map[string]bool
}

// ClaimOutbox claims up to limit due rows for node until the given time: rows nobody claims,
// or whose claim lapsed (a dead or stalled node's). Concurrent claimers never get one row
// both (FOR UPDATE SKIP LOCKED).
func (s *Store) ClaimOutbox(ctx context.Context, node string, until time.Time, limit int) ([]OutboxItem, error) {
	now := s.now().UnixNano()
	rows, err := s.db.QueryContext(ctx, `UPDATE outbox SET claimed_by = $1, claim_until = $2 WHERE id IN (
		SELECT id FROM outbox WHERE done_at IS NULL AND due_at <= $3 AND (claim_until IS NULL OR claim_until < $3)
		ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING id, change_key, incident_id, kind, rounds`, node, until.UnixNano(), now, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	var out []OutboxItem
	byID := map[int64]int{}
	var ids []int64
	for rows.Next() {
		var it OutboxItem
		var inc int64
		if err := rows.Scan(&it.ID, &it.Key, &inc, &it.Kind, &it.Rounds); err != nil {
			rows.Close()
			return nil, err
		}
		it.IncidentID = strconv.FormatInt(inc, 10)
		it.Delivered = map[string]bool{}
		byID[it.ID] = len(out)
		ids = append(ids, it.ID)
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	drows, err := s.db.QueryContext(ctx, `SELECT outbox_id, target FROM outbox_deliveries
		WHERE status = 'delivered' AND outbox_id = ANY(string_to_array($1, ',')::bigint[])`, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var id int64
		var target string
		if err := drows.Scan(&id, &target); err != nil {
			return nil, err
		}
		out[byID[id]].Delivered[target] = true
	}
	return out, drows.Err()
}

// idList is ids comma-separated, for string_to_array($n, ',')::bigint[].
func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// RenewOutbox extends node's claim on rows it is still sending; it returns how many it
// still held.
func (s *Store) RenewOutbox(ctx context.Context, node string, ids []int64, until time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET claim_until = $1 WHERE claimed_by = $2 AND done_at IS NULL
		AND id = ANY(string_to_array($3, ',')::bigint[])`, until.UnixNano(), node, idList(ids))
	if err != nil {
		return 0, fmt.Errorf("outbox renew: %w", err)
	}
	return res.RowsAffected()
}

// MarkOutbox records what a target made of a row. A delivered mark is final: a later
// failure of the same (row, target) does not overwrite it.
func (s *Store) MarkOutbox(ctx context.Context, id int64, target, status string, attempts int, lastError, node string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO outbox_deliveries (outbox_id, target, status, attempts, last_error, node, at)
		VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (outbox_id, target) DO UPDATE SET status = excluded.status,
		attempts = outbox_deliveries.attempts + excluded.attempts, last_error = excluded.last_error, node = excluded.node, at = excluded.at
		WHERE outbox_deliveries.status <> 'delivered'`,
		s.d.args([]any{id, target, status, attempts, lastError, node, s.now().UnixNano()})...)
	if err != nil {
		return fmt.Errorf("outbox mark: %w", err)
	}
	return nil
}

// FinishOutbox ends node's claim on a row: done when every target has it (or gave up for
// good); otherwise the row is due again at retry, one round more.
func (s *Store) FinishOutbox(ctx context.Context, id int64, node string, done bool, retry time.Time) error {
	var err error
	if done {
		_, err = s.db.ExecContext(ctx, `UPDATE outbox SET done_at = $1, claimed_by = NULL, claim_until = NULL WHERE id = $2`,
			s.now().UnixNano(), id)
	} else {
		_, err = s.db.ExecContext(ctx, `UPDATE outbox SET rounds = rounds + 1, due_at = $1, claimed_by = NULL, claim_until = NULL
			WHERE id = $2 AND claimed_by = $3`, retry.UnixNano(), id, node)
	}
	if err != nil {
		return fmt.Errorf("outbox finish: %w", err)
	}
	return nil
}

// ReleaseOutbox hands rows node claimed back to the pool at once (a node shutting down), as
// they were: no round is counted.
func (s *Store) ReleaseOutbox(ctx context.Context, node string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE outbox SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = $1 AND done_at IS NULL
		AND id = ANY(string_to_array($2, ',')::bigint[])`, node, idList(ids))
	return err
}

// OutboxStats counts the outbox's rows: waiting (not done) and done.
func (s *Store) OutboxStats(ctx context.Context) (pending, done int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE done_at IS NULL), count(*) FILTER (WHERE done_at IS NOT NULL) FROM outbox`).
		Scan(&pending, &done)
	return
}

// PruneOutbox deletes rows done before the given time (and their marks), so the table
// stays small.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox_deliveries WHERE outbox_id IN (SELECT id FROM outbox WHERE done_at < $1)`, before.UnixNano()); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE done_at < $1`, before.UnixNano())
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}
