package incident

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	// HTTP is the fetch of the suspect site (enrich.http.enabled).
	HTTP *HTTPEvidence `json:"http,omitempty"`
	// Screenshot is the headless-browser picture of the suspect site beside the protected one.
	Screenshot *ScreenshotEvidence `json:"screenshot,omitempty"`
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
	// CAA are the issuance rules (RFC 8659) found at the name or its closest ancestor, as
	// "flags tag value" ("0 issue letsencrypt.org").
	CAA   []string `json:"caa,omitempty"`
	Error string   `json:"error,omitempty"`
}

// HTTPEvidence is what the suspect site served when fetched over https, then http.
type HTTPEvidence struct {
	// URL is the first URL asked (https://name/, or http://name/ when https failed).
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	// Redirects are the URLs redirected to, in order; FinalURL is the one that answered.
	Redirects []string `json:"redirects,omitempty"`
	FinalURL  string   `json:"final_url,omitempty"`
	Title     string   `json:"title,omitempty"`
	// ContentType is the final answer's Content-Type; Bytes how much of its body was read
	// (Truncated: it was longer, and cut at the limit).
	ContentType string `json:"content_type,omitempty"`
	Bytes       int64  `json:"bytes,omitempty"`
	Truncated   bool   `json:"truncated,omitempty"`
	// LoginForm: a password input, or an e-mail or user-name input with a submit button;
	// PasswordForm: a password input; PaymentForm: a card-number, CVV or expiry input.
	LoginForm    bool `json:"login_form"`
	PasswordForm bool `json:"password_form"`
	PaymentForm  bool `json:"payment_form"`
	// BrandWords are the protected domain's brand words found in the title or visible text.
	BrandWords []string `json:"brand_words,omitempty"`
	// Parked: the page reads like a domain-parking or for-sale page.
	Parked bool `json:"parked,omitempty"`
	// FaviconHash is Shodan's http.favicon.hash of the site's icon (MurmurHash3 of its
	// base64 text), nil when it has none.
	FaviconHash *int32 `json:"favicon_hash,omitempty"`
	// BrandSimilarity (0..1) compares the page with the protected domain's own page, nil when
	// either could not be had (BrandError says why).
	BrandSimilarity *float64 `json:"brand_similarity,omitempty"`
	BrandError      string   `json:"brand_error,omitempty"`
	// CertSHA256 is the served leaf certificate (https); CertMatchesCT says whether it is one
	// of the incident's certificates from CT.
	CertSHA256    string `json:"cert_sha256,omitempty"`
	CertMatchesCT *bool  `json:"cert_matches_ct,omitempty"`
	// Screenshot is the API path of the suspect's picture, as Enrichment.Screenshot.URL, when
	// one was taken (enrich.screenshot).
	Screenshot string `json:"screenshot,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Serving reports whether the site answered with a page (any HTTP status).
func (h *HTTPEvidence) Serving() bool { return h != nil && h.Status > 0 }

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
	if err := s.replaceEnrichmentLinks(ctx, tx, n, e); err != nil {
		return err
	}
	if kind := LookEvent(e); kind != "" {
		if err := s.queueChange(ctx, tx, n, kind); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// EnrichTarget is an incident due for enrichment.
type EnrichTarget struct {
	ID, Domain, RegisteredDomain string
}

// EnrichClaim is how long an incident DueEnrichment handed to one PostgreSQL client stays
// hidden from the others: room for a full enrichment queue to drain and the look itself.
// When the claimant dies first, the incident is due again once it passes.
const EnrichClaim = 15 * time.Minute

// DueEnrichment lists open incidents never enriched or whose next check is due at now,
// longest-waiting first. On PostgreSQL, where every node of a cluster runs an enricher, it
// claims them: each listed incident's next check moves to now + EnrichClaim in the same
// statement (rows another node is claiming are skipped, not waited for), so two nodes never
// look at one incident at once; the look's SetEnrichment then sets the real next check.
// SQLite has one process, whose enricher dedupes its own queue: there it only lists.
func (s *Store) DueEnrichment(ctx context.Context, now time.Time, limit int) ([]EnrichTarget, error) {
	if s.d.name == "postgres" {
		return s.claimDue(ctx, now, limit)
	}
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

// claimDue is DueEnrichment on PostgreSQL. Never-enriched incidents come first, as in the
// listing; a claimed one keeps enrichment NULL with enrich_next set, so the first half no
// longer finds it and the second finds it again only once the claim has run out. Each half is
// one statement on its own index (an OR of the two would scan every incident).
func (s *Store) claimDue(ctx context.Context, now time.Time, limit int) ([]EnrichTarget, error) {
	until := now.Add(EnrichClaim).UnixNano()
	var out []EnrichTarget
	for _, half := range []struct {
		q   string
		now bool // the statement takes now as $3
	}{
		{`WITH c AS (SELECT id, 0 AS due FROM incidents WHERE enrichment IS NULL AND enrich_next IS NULL AND status != 'closed'
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE incidents i SET enrich_next = $1 FROM c WHERE i.id = c.id RETURNING i.id, i.domain, i.registered_domain, c.due`, false},
		{`WITH c AS (SELECT id, enrich_next AS due FROM incidents WHERE enrich_next <= $3 AND status != 'closed'
			ORDER BY enrich_next, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE incidents i SET enrich_next = $1 FROM c WHERE i.id = c.id RETURNING i.id, i.domain, i.registered_domain, c.due`, true},
	} {
		if len(out) >= limit {
			break
		}
		args := []any{until, limit - len(out)}
		if half.now {
			args = append(args, now.UnixNano())
		}
		rows, err := s.db.QueryContext(ctx, half.q, args...)
		if err != nil {
			return nil, err
		}
		type claimed struct {
			t       EnrichTarget
			id, due int64
		}
		var part []claimed
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.id, &c.t.Domain, &c.t.RegisteredDomain, &c.due); err != nil {
				rows.Close()
				return nil, err
			}
			c.t.ID = strconv.FormatInt(c.id, 10)
			part = append(part, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		// RETURNING keeps no order.
		slices.SortFunc(part, func(a, b claimed) int { return cmp.Or(cmp.Compare(a.due, b.due), cmp.Compare(a.id, b.id)) })
		for _, c := range part {
			out = append(out, c.t)
		}
	}
	return out, nil
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
