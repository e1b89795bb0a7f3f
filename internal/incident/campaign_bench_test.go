package incident

import (
	"context"
	"fmt"
	"testing"

	"github.com/certhunt/certhunt/internal/testinfra"
)

// BenchmarkCampaignGrouping measures recomputing the grouping (what a read pays once
// infra_links changed) for n incidents of three assets, each with a certificate, a key, one
// of three issuers, an address (every 50 incidents of one asset share one: 400 campaigns of
// 50) and a name-server set shared by a tenth of them (common: ignored).
func BenchmarkCampaignGrouping(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			const n = 20_000
			ctx := context.Background()
			place := b.TempDir()
			if be.name == "postgres" {
				place = testinfra.Postgres(b, "incident PostgreSQL tests")
			}
			s, err := be.open(ctx, place)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			tx, err := s.db.BeginTx(ctx, s.d.tx)
			if err != nil {
				b.Skip(err)
			}
			assets := []string{"paypal.com", "example.org", "bank.com"}
			for i := range n {
				if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (asset, registered_domain, domain, domain_unicode, severity, score,
					matched, reasons, created_at, updated_at, first_seen, last_seen) VALUES ($1,$2,$2,$2,'high',70,'{}','[]',$3,$3,$3,$3)`,
					assets[(i/50)%3], fmt.Sprintf("d%06d.com", i), int64(i)); err != nil {
					b.Fatal(err)
				}
				id := int64(i + 1)
				for _, l := range []link{{LinkCert, fmt.Sprintf("c%064d", i)}, {LinkKey, fmt.Sprintf("k%064d", i)},
					{LinkIssuer, fmt.Sprintf("issuer %d", i%3)}, {LinkIP, fmt.Sprintf("203.0.%d.%d", (i/50)/250, (i/50)%250)},
					{LinkNS, fmt.Sprintf("ns%d.example", i%10)}} {
					if err := s.addLinks(ctx, tx, id, []link{l}); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				g, err := s.computeGrouping(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(g.campaigns) != n/50 {
					b.Fatalf("%d campaigns", len(g.campaigns))
				}
			}
		})
	}
}
