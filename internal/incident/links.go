package incident

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/certs"
)

// Kinds of infrastructure an incident shows, which link it to other incidents (campaign.go).
const (
	// LinkCert is a certificate's SHA-256: one certificate naming several lookalikes was
	// requested by one subscriber.
	LinkCert = "cert"
	// LinkKey is the SHA-256 of a certificate's SubjectPublicKeyInfo: one private key.
	LinkKey = "key"
	// LinkIssuer is the issuing CA (its O, else its CN). Millions of names share one, so it
	// never links incidents; it is shown beside the values that do.
	LinkIssuer = "issuer"
	// LinkIP is an A or AAAA address (public ones only).
	LinkIP = "ip"
	// LinkNS is the registered domain's whole name-server set, sorted, comma-separated.
	LinkNS = "ns"
	// LinkRegistration is the RDAP registrar and creation day, "registrar|YYYY-MM-DD".
	LinkRegistration = "registration"
)

// maxLinkValue bounds a stored value, and maxAddresses the addresses kept of one look: RDAP
// and DNS answers come from whoever runs the domain.
const (
	maxLinkValue = 512
	maxAddresses = 32
)

// enrichmentKinds are the kinds SetEnrichment replaces on each look.
var enrichmentKinds = []string{LinkIP, LinkNS, LinkRegistration}

type link struct{ kind, value string }

// certLinks are the values a certificate contributes.
func certLinks(c *certs.Cert) []link {
	var out []link
	if c.SHA256 != "" {
		out = append(out, link{LinkCert, strings.ToLower(c.SHA256)})
	}
	if len(c.DER) > 0 {
		if k, err := certs.SPKISHA256(c.DER); err == nil {
			out = append(out, link{LinkKey, k})
		}
	}
	issuer := c.Issuer.O
	if issuer == "" {
		issuer = c.Issuer.CN
	}
	if issuer = strings.TrimSpace(issuer); issuer != "" {
		out = append(out, link{LinkIssuer, issuer})
	}
	return out
}

// enrichmentLinks are the values a look contributes. A parked domain's addresses and name
// servers are the parking service's, shared with every domain it parks, so they are left out;
// so are addresses that say nothing of who runs the name (private, loopback, unspecified).
func enrichmentLinks(e Enrichment) []link {
	var out []link
	if d := e.DNS; d != nil && !d.Parked {
		seen := map[string]bool{}
		for _, a := range slices.Concat(d.A, d.AAAA) {
			ip, err := netip.ParseAddr(strings.TrimSpace(a))
			if err != nil {
				continue
			}
			ip = ip.Unmap()
			if !ip.IsGlobalUnicast() || ip.IsPrivate() {
				continue
			}
			if v := ip.String(); !seen[v] && len(seen) < maxAddresses {
				seen[v] = true
				out = append(out, link{LinkIP, v})
			}
		}
		var ns []string
		for _, n := range d.NS {
			if n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), "."); n != "" {
				ns = append(ns, n)
			}
		}
		slices.Sort(ns)
		if ns = slices.Compact(ns); len(ns) > 0 {
			out = append(out, link{LinkNS, strings.Join(ns, ",")})
		}
	}
	if r := e.RDAP; r != nil && r.Registrar != "" && r.Created != nil {
		reg := strings.ToLower(strings.Join(strings.Fields(r.Registrar), " "))
		out = append(out, link{LinkRegistration, reg + "|" + r.Created.UTC().Format("2006-01-02")})
	}
	return out
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// addLinks stores an incident's values; values already stored are kept as they are.
func (s *Store) addLinks(ctx context.Context, x execer, id int64, links []link) error {
	if len(links) == 0 {
		return nil
	}
	// One statement for all of them: on the ingest path each statement costs a prepare.
	var q strings.Builder
	q.WriteString(`INSERT INTO infra_links (incident_id, kind, value) VALUES `)
	args := []any{id}
	for i, l := range links {
		if i > 0 {
			q.WriteByte(',')
		}
		fmt.Fprintf(&q, "($1,$%d,$%d)", len(args)+1, len(args)+2)
		args = append(args, l.kind, truncate(l.value, maxLinkValue))
	}
	q.WriteString(` ON CONFLICT DO NOTHING`)
	_, err := x.ExecContext(ctx, q.String(), s.d.args(args)...)
	return err
}

// replaceEnrichmentLinks replaces an incident's DNS and RDAP values with those of its latest
// look (an address it left no longer links it). Unchanged values keep their rows, so that a
// recheck that saw the same evidence leaves the cached grouping valid.
func (s *Store) replaceEnrichmentLinks(ctx context.Context, tx *sql.Tx, id int64, e Enrichment) error {
	want := map[link]bool{}
	for _, l := range enrichmentLinks(e) {
		l.value = truncate(l.value, maxLinkValue)
		if s.d.text != nil {
			l.value = s.d.text(l.value)
		}
		want[l] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT kind, value FROM infra_links WHERE incident_id = $1 AND kind IN ($2,$3,$4)`,
		id, enrichmentKinds[0], enrichmentKinds[1], enrichmentKinds[2])
	if err != nil {
		return err
	}
	var stale []link
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.kind, &l.value); err != nil {
			rows.Close()
			return err
		}
		if want[l] {
			delete(want, l)
		} else {
			stale = append(stale, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, l := range stale {
		if _, err := tx.ExecContext(ctx, `DELETE FROM infra_links WHERE incident_id = $1 AND kind = $2 AND value = $3`, id, l.kind, l.value); err != nil {
			return err
		}
	}
	var add []link
	for l := range want {
		add = append(add, l)
	}
	return s.addLinks(ctx, tx, id, add)
}
