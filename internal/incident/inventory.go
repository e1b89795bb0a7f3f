package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
)

// OwnCertificate is one certificate (or precertificate) for a protected domain's own names,
// as the issuance inventory keeps it.
type OwnCertificate struct {
	Asset      string          `json:"asset"`
	SHA256     string          `json:"sha256"`
	EntryType  certs.EntryType `json:"entry_type"`
	Serial     string          `json:"serial"`
	Issuer     certs.Name      `json:"issuer"`
	SPKISHA256 string          `json:"spki_sha256"` // "" when the source carried no key
	// Names are the certificate's names at or under Asset.
	Names     []string  `json:"names"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Verdict is allowed, unauthorized-issuer, unexpected-key or unchecked (no policy, or
	// the CAA records could not be read); Detail says why in words.
	Verdict  string      `json:"verdict"`
	Detail   string      `json:"detail,omitempty"`
	Log      LogPosition `json:"log"`
	SeenAt   time.Time   `json:"seen_at"`
	Expiring bool        `json:"expiring"` // set by Inventory: expires within its window
}

// OwnName is one own name with what the inventory knows of it.
type OwnName struct {
	Asset     string    `json:"asset"`
	Name      string    `json:"name"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// NotAfter is the newest expiry among the name's certificates.
	NotAfter time.Time `json:"not_after"`
	// New: first seen within the new-name window. Expiring: its newest certificate expires
	// within the expiry window (no renewal seen); Expired: it already has.
	New      bool `json:"new"`
	Expiring bool `json:"expiring"`
	Expired  bool `json:"expired"`
}

// InventoryQuery selects part of the inventory.
type InventoryQuery struct {
	Asset string // "" for every protected domain
	// Now, ExpiryWindow and NewWindow decide the Expiring, Expired and New flags.
	Now                     time.Time
	ExpiryWindow, NewWindow time.Duration
	// Limit bounds the certificates returned, newest first (default 200, at most 1000).
	Limit int
}

// Inventory is the answer of GET /api/v1/inventory.
type Inventory struct {
	Domain       string           `json:"domain"`
	Names        []OwnName        `json:"names"`
	Certificates []OwnCertificate `json:"certificates"`
	// Truncated: more certificates matched than Limit.
	Truncated bool `json:"truncated"`
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanosOrZero(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}

// RecordOwn adds a certificate to the inventory and returns the names this certificate is
// the first sighting of. It is idempotent: recording it again (a replay) changes nothing and
// returns the same names, so that an alert derived from them is recorded again, harmlessly.
func (s *Store) RecordOwn(ctx context.Context, c OwnCertificate) (newNames []string, err error) {
	seen := c.SeenAt
	if seen.IsZero() {
		seen = s.now()
	}
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO own_certificates (asset, sha256, entry_type, serial, issuer,
		spki_sha256, names, not_before, not_after, verdict, detail, log_name, log_url, log_index, seen_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT DO NOTHING`,
		s.d.args([]any{c.Asset, c.SHA256, string(c.EntryType), c.Serial, mustJSON(c.Issuer), c.SPKISHA256,
			mustJSON(nonNil(c.Names)), nanos(c.NotBefore), nanos(c.NotAfter), c.Verdict, truncate(c.Detail, 1024),
			c.Log.Name, c.Log.URL, c.Log.Index, seen.UnixNano()})...); err != nil {
		return nil, err
	}
	for _, name := range c.Names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO own_names (asset, name, first_cert, first_seen, last_seen, not_after)
			VALUES ($1,$2,$3,$4,$4,$5) ON CONFLICT (asset, name) DO UPDATE SET
			first_seen = `+s.d.least+`(own_names.first_seen, excluded.first_seen),
			last_seen = `+s.d.greatest+`(own_names.last_seen, excluded.last_seen),
			not_after = `+s.d.greatest+`(own_names.not_after, excluded.not_after)`,
			s.d.args([]any{c.Asset, name, c.SHA256, seen.UnixNano(), nanos(c.NotAfter)})...); err != nil {
			return nil, err
		}
		var first string
		if err := tx.QueryRowContext(ctx, `SELECT first_cert FROM own_names WHERE asset = $1 AND name = $2`,
			s.d.args([]any{c.Asset, name})...).Scan(&first); err != nil {
			return nil, err
		}
		if first == c.SHA256 {
			newNames = append(newNames, name)
		}
	}
	return newNames, tx.Commit()
}

// Inventory returns the own names and certificates of one protected domain (or of all).
func (s *Store) Inventory(ctx context.Context, q InventoryQuery) (*Inventory, error) {
	if len(q.Asset) > 253 {
		return nil, fmt.Errorf("%w: domain is at most 253 characters", ErrBadFilter)
	}
	if q.Now.IsZero() {
		q.Now = s.now()
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 1000)
	inv := &Inventory{Domain: q.Asset, Names: []OwnName{}, Certificates: []OwnCertificate{}}
	where, args := "", []any{}
	if q.Asset != "" {
		where, args = " WHERE asset = $1", []any{strings.ToLower(q.Asset)}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT asset, name, first_seen, last_seen, not_after FROM own_names`+where+
		` ORDER BY asset, name`, s.d.args(args)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n OwnName
		var first, last, notAfter int64
		if err := rows.Scan(&n.Asset, &n.Name, &first, &last, &notAfter); err != nil {
			rows.Close()
			return nil, err
		}
		n.FirstSeen, n.LastSeen, n.NotAfter = fromNanos(first), fromNanos(last), fromNanosOrZero(notAfter)
		n.New = q.NewWindow > 0 && q.Now.Sub(n.FirstSeen) < q.NewWindow
		if !n.NotAfter.IsZero() {
			n.Expired = !n.NotAfter.After(q.Now)
			n.Expiring = !n.Expired && q.ExpiryWindow > 0 && n.NotAfter.Sub(q.Now) < q.ExpiryWindow
		}
		inv.Names = append(inv.Names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT asset, sha256, entry_type, serial, issuer, spki_sha256, names,
		not_before, not_after, verdict, detail, log_name, log_url, log_index, seen_at FROM own_certificates`+where+
		fmt.Sprintf(` ORDER BY seen_at DESC, sha256 LIMIT %d`, limit+1), s.d.args(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c OwnCertificate
		var entryType, issuer, names string
		var notBefore, notAfter, seen int64
		if err := rows.Scan(&c.Asset, &c.SHA256, &entryType, &c.Serial, &issuer, &c.SPKISHA256, &names,
			&notBefore, &notAfter, &c.Verdict, &c.Detail, &c.Log.Name, &c.Log.URL, &c.Log.Index, &seen); err != nil {
			return nil, err
		}
		if len(inv.Certificates) == limit {
			inv.Truncated = true
			break
		}
		c.EntryType = certs.EntryType(entryType)
		if err := json.Unmarshal([]byte(issuer), &c.Issuer); err != nil {
			return nil, fmt.Errorf("own certificate %s: issuer: %w", c.SHA256, err)
		}
		if err := json.Unmarshal([]byte(names), &c.Names); err != nil {
			return nil, fmt.Errorf("own certificate %s: names: %w", c.SHA256, err)
		}
		c.NotBefore, c.NotAfter, c.SeenAt = fromNanosOrZero(notBefore), fromNanosOrZero(notAfter), fromNanos(seen)
		c.Expiring = !c.NotAfter.IsZero() && c.NotAfter.After(q.Now) && q.ExpiryWindow > 0 && c.NotAfter.Sub(q.Now) < q.ExpiryWindow
		inv.Certificates = append(inv.Certificates, c)
	}
	return inv, rows.Err()
}

// ExpiringOwn returns, for every own name whose newest certificate expires after now and
// within window, that certificate (one per certificate, however many of its names expire).
func (s *Store) ExpiringOwn(ctx context.Context, now time.Time, window time.Duration) ([]OwnCertificate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT asset, name, not_after FROM own_names WHERE not_after > $1 AND not_after <= $2
		ORDER BY asset, name`, now.UnixNano(), now.Add(window).UnixNano())
	if err != nil {
		return nil, err
	}
	type expiring struct {
		asset, name string
		notAfter    int64
	}
	var names []expiring
	for rows.Next() {
		var e expiring
		if err := rows.Scan(&e.asset, &e.name, &e.notAfter); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []OwnCertificate
	seen := map[[2]string]bool{}
	for _, e := range names {
		c, err := s.newestOwn(ctx, e.asset, e.name, e.notAfter)
		if err != nil {
			return nil, err
		}
		if c == nil || seen[[2]string{c.Asset, c.SHA256}] {
			continue
		}
		seen[[2]string{c.Asset, c.SHA256}] = true
		out = append(out, *c)
	}
	return out, nil
}

// newestOwn finds a certificate of asset naming name that expires at notAfter (the name's
// newest), preferring a final certificate to its precertificate.
func (s *Store) newestOwn(ctx context.Context, asset, name string, notAfter int64) (*OwnCertificate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sha256, entry_type, serial, issuer, spki_sha256, names, not_before,
		verdict, detail, log_name, log_url, log_index, seen_at FROM own_certificates WHERE asset = $1 AND not_after = $2
		ORDER BY entry_type DESC, seen_at LIMIT 100`, s.d.args([]any{asset, notAfter})...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c := OwnCertificate{Asset: asset, NotAfter: fromNanos(notAfter), Expiring: true}
		var entryType, issuer, names string
		var notBefore, seen int64
		if err := rows.Scan(&c.SHA256, &entryType, &c.Serial, &issuer, &c.SPKISHA256, &names, &notBefore,
			&c.Verdict, &c.Detail, &c.Log.Name, &c.Log.URL, &c.Log.Index, &seen); err != nil {
			return nil, err
		}
		if json.Unmarshal([]byte(names), &c.Names) != nil || !slices.Contains(c.Names, name) {
			continue
		}
		c.EntryType = certs.EntryType(entryType)
		if err := json.Unmarshal([]byte(issuer), &c.Issuer); err != nil {
			return nil, fmt.Errorf("own certificate %s: issuer: %w", c.SHA256, err)
		}
		c.NotBefore, c.SeenAt = fromNanosOrZero(notBefore), fromNanos(seen)
		return &c, nil
	}
	return nil, rows.Err()
}
