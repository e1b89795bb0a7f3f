package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/certhunt/certhunt/internal/detect"
)

// Enrichment is an incident's triage evidence (SPEC.md "Enrichment"), gathered in the
// background by internal/enrich and stored as JSON beside the incident.
type Enrichment struct {
	CheckedAt time.Time `json:"checked_at"`
	// NextCheck is when it is looked at again; nil once the recheck schedule is over.
	NextCheck *time.Time `json:"next_check,omitempty"`
	// Checks counts the looks so far (it picks the next recheck delay).
	Checks int           `json:"checks"`
	DNS    *DNSEvidence  `json:"dns,omitempty"`
	RDAP   *RDAPEvidence `json:"rdap,omitempty"`
	// Reasons are what this evidence says for (positive points) or against (negative) the
	// name being malicious, and Points their sum. The positive ones join the incident's score
	// (enrich.Raise); the negative ones are advisory.
	Reasons []detect.Reason `json:"reasons,omitempty"`
	Points  int             `json:"points"`
	// History lists what changed between looks, oldest first.
	History []EnrichmentChange `json:"history,omitempty"`
}

// DNS statuses.
const (
	DNSResolves = "resolves"
	DNSNXDomain = "nxdomain"
	// DNSNoData: the name exists (NOERROR) but has no address or alias.
	DNSNoData   = "nodata"
	DNSServFail = "servfail"
	DNSTimeout  = "timeout"
)

// DNSEvidence is what DNS said about the incident's domain.
type DNSEvidence struct {
	// Status is resolves, nodata, nxdomain, servfail or timeout; Error says what failed.
	Status string   `json:"status"`
	A      []string `json:"a,omitempty"`
	AAAA   []string `json:"aaaa,omitempty"`
	CNAME  string   `json:"cname,omitempty"`
	MX     []string `json:"mx,omitempty"`
	// NS are the registered domain's name servers.
	NS []string `json:"ns,omitempty"`
	// Wildcard: a random label under the registered domain resolves too.
	Wildcard bool `json:"wildcard"`
	// Parked: a name server belongs to a domain-parking service (ParkingNS says which).
	Parked    bool   `json:"parked"`
	ParkingNS string `json:"parking_ns,omitempty"`
	Error     string `json:"error,omitempty"`
}

// RDAPEvidence is the registered domain's registration data.
type RDAPEvidence struct {
	Registrar string     `json:"registrar,omitempty"`
	Created   *time.Time `json:"created,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
	// AgeDays is whole days since Created, at CheckedAt.
	AgeDays *int `json:"age_days,omitempty"`
	// Server is the RDAP base URL asked.
	Server string `json:"server,omitempty"`
	// Unavailable: the registry offers no RDAP service (per IANA's bootstrap file).
	Unavailable bool   `json:"unavailable,omitempty"`
	Error       string `json:"error,omitempty"`
}

// EnrichmentChange is one change seen between two looks ("went live", "stopped resolving").
type EnrichmentChange struct {
	At     time.Time `json:"at"`
	Change string    `json:"change"`
}

// maxEnrichment bounds the stored JSON; the enricher caps what it keeps well below this.
const maxEnrichment = 256 << 10

// SetEnrichment stores an incident's evidence and when it is next due.
func (s *Store) SetEnrichment(ctx context.Context, id string, e Enrichment) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return ErrNotFound
	}
	body := mustJSON(e)
	if len(body) > maxEnrichment {
		return fmt.Errorf("incident %s: enrichment of %d bytes is over %d", id, len(body), maxEnrichment)
	}
	var next any
	if e.NextCheck != nil {
		next = e.NextCheck.UnixNano()
	}
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET enrichment = $1, enrich_next = $2 WHERE id = $3`,
		s.d.args([]any{body, next, n})...)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return ErrNotFound
	}
	if wentLive(e) {
		if err := s.queueChange(ctx, tx, n, ChangeWentLive); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// EnrichTarget is an incident due for enrichment.
type EnrichTarget struct {
	ID, Domain, RegisteredDomain string
}

// DueEnrichment lists open incidents never enriched or whose next check is due at now,
// longest-waiting first.
func (s *Store) DueEnrichment(ctx context.Context, now time.Time, limit int) ([]EnrichTarget, error) {
	// Two indexed halves rather than one OR, which would scan every incident every minute.
	rows, err := s.db.QueryContext(ctx, `SELECT id, domain, registered_domain, due FROM (
		SELECT id, domain, registered_domain, 0 AS due FROM incidents WHERE enrichment IS NULL AND status != 'closed'
		UNION ALL
		SELECT id, domain, registered_domain, enrich_next AS due FROM incidents WHERE enrich_next <= $1 AND status != 'closed'
		) d ORDER BY due, id LIMIT $2`, now.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EnrichTarget
	for rows.Next() {
		var t EnrichTarget
		var id, due int64
		if err := rows.Scan(&id, &t.Domain, &t.RegisteredDomain, &due); err != nil {
			return nil, err
		}
		t.ID = strconv.FormatInt(id, 10)
		out = append(out, t)
	}
	return out, rows.Err()
}

// decodeEnrichment reads the column; NULL (never enriched) is nil.
func decodeEnrichment(raw sql.NullString) (*Enrichment, error) {
	if !raw.Valid || raw.String == "" {
		return nil, nil
	}
	var e Enrichment
	if err := json.Unmarshal([]byte(raw.String), &e); err != nil {
		return nil, errors.New("enrichment: " + err.Error())
	}
	return &e, nil
}
