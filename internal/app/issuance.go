package app

import (
	"context"
	"log/slog"
	"time"

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

// expirySweepEvery is how often own certificates are checked for expiry when
// issuance.notify_expiring is on.
const expirySweepEvery = time.Hour

// runExpirySweeps notifies, once per certificate, own names whose newest certificate expires
// within issuance.expiry_window (a renewal that did not happen), at start and then hourly.
func (a *App) runExpirySweeps(ctx context.Context) {
	if _, ok := a.Pipeline.Issuance.(*issuance.Checker); !ok || !a.cfg.Issuance.NotifyExpiring || a.cfg.Issuance.ExpiryWindow <= 0 {
		return
	}
	t := time.NewTicker(expirySweepEvery)
	defer t.Stop()
	for {
		if err := a.sweepExpiring(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Error("expiry sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepExpiring records an "expiring" issuance alert for each own certificate expiring soon.
func (a *App) sweepExpiring(ctx context.Context, now time.Time) error {
	own, ok := a.Pipeline.Issuance.(*issuance.Checker)
	if !ok {
		return nil
	}
	list, err := a.Store.ExpiringOwn(ctx, now, a.cfg.Issuance.ExpiryWindow)
	if err != nil {
		return err
	}
	for _, oc := range list {
		al, cert := own.ExpiryAlert(oc, now)
		ch, err := a.Store.Record(ctx, al, cert)
		if err != nil {
			return err
		}
		if ch.NewSighting {
			a.log.Info("own certificate expiring", "asset", oc.Asset, "names", oc.Names, "not_after", oc.NotAfter)
			a.onChange(ch)
		}
	}
	return nil
}
