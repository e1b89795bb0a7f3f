package incident

import (
	"context"
	"fmt"
)

// Writable reports whether the database takes writes now (for GET /readyz): it inserts a row
// in a transaction and rolls it back, so a read-only file, a full disk that refuses the journal,
// a lost connection or a lock held too long all show.
func (s *Store) Writable(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES ('readiness-probe')`); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
