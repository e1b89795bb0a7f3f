package app

import (
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/outbox"
)

// startOutbox turns the notification outbox on in a cluster with notify targets: every node's
// incident writes queue their changes in PostgreSQL, and every node's sender delivers them,
// each change once (internal/outbox). A single process keeps notifying from memory.
func (a *App) startOutbox() error {
	if a.cluster == nil || a.Notifier == nil {
		return nil
	}
	if err := a.Store.SetOutbox(true); err != nil {
		return err
	}
	a.outbox = outbox.New(outbox.Options{Store: a.Store, Dispatcher: a.Notifier, Node: a.cluster.node.Name,
		Logger: a.log.With("part", "outbox")})
	return nil
}

// outboxDelivery forwards the Dispatcher's outcomes to the outbox sender, when there is one.
func (a *App) outboxDelivery(d notify.Delivery) {
	if a.outbox != nil {
		a.outbox.Delivered(d)
	}
}
