package app

import (
	"log/slog"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/issuance"
	"github.com/certhunt/certhunt/internal/watchlist"
)

// newIssuance maps the issuance section to a checker over the homograph list's domains that
// inventories into store; nil when the section is disabled.
func newIssuance(cfg *config.Config, log *slog.Logger, store *incident.Store, wl *watchlist.Manager) (*issuance.Checker, error) {
	is := cfg.Issuance
	if !is.Enabled {
		return nil, nil
	}
	opts := issuance.Options{
		Global:         issuance.Policy{AllowedIssuers: is.AllowedIssuers, KnownKeys: is.KnownKeys},
		Domains:        map[string]issuance.Policy{},
		Assets:         wl.Current,
		Inventory:      store,
		NotifyNewNames: is.NotifyNewNames,
		Weights:        cfg.Scoring.Weights,
		Logger:         log.With("part", "issuance"),
	}
	for d, p := range is.Domains {
		opts.Domains[d] = issuance.Policy{AllowedIssuers: p.AllowedIssuers, KnownKeys: p.KnownKeys}
	}
	if is.CAA {
		opts.CAA = &issuance.CachedCAA{Lookup: &issuance.DNSCAA{Servers: is.Resolvers}}
	}
	return issuance.New(opts)
}
