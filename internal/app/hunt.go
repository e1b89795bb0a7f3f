package app

import (
	"context"
	"encoding/base64"
	"errors"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/hunt"
	"github.com/certhunt/certhunt/internal/pipeline"
	"github.com/certhunt/certhunt/internal/source"
)

// ReadRange reads entries [from, to) of one log through p and returns once every entry is
// durably handled (or reading failed): `certhunt scan` and the cluster's hunt items share it.
func ReadRange(ctx context.Context, p *pipeline.Pipeline, info ctlog.LogInfo, from, to int64, opts ctlog.FollowerOptions,
	progress func(done, total int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan source.Batch, 8)
	scanErr := make(chan error, 1)
	go func() {
		scanErr <- ctlog.ScanRange(ctx, info, from, to, opts, batches, progress)
		close(batches)
	}()
	runErr := p.Run(ctx, batches)
	cancel() // a pipeline that stopped early stops the reading too
	err := <-scanErr
	if runErr != nil { // the store failed, or ctx ended
		return runErr
	}
	return err // reading failed, or nil: every entry read was handled
}

// RangeOf is the hunt range of entries [from, to) of a log.
func RangeOf(info ctlog.LogInfo, from, to int64) hunt.Range {
	r := hunt.Range{Log: info.Name, URL: info.URL, Type: info.Type, Submission: info.SubmissionURL, From: from, To: to}
	if info.KeyDER != nil {
		r.Key = base64.StdEncoding.EncodeToString(info.KeyDER)
	}
	return r
}

// LogOf is the log a hunt range reads.
func LogOf(r hunt.Range) (ctlog.LogInfo, error) {
	key, err := ctlog.DecodeKey(r.Key)
	if err != nil {
		return ctlog.LogInfo{}, err
	}
	info, err := ctlog.NewLogInfo(r.Log, r.URL, r.Type, key)
	info.SubmissionURL = r.Submission
	return info, err
}

// huntPart is this node's share of the hunts: their progress (any node's API shows it) and,
// on detect nodes, the worker taking items.
type huntPart struct {
	store  *hunt.Store
	worker *hunt.Worker // nil unless this node has the detect role
}

// huntQueue are the hunt queue's options serve uses: the defaults (tests shorten them).
var huntQueue = hunt.QueueOptions{}

// joinHunts opens the hunt tables and, on a detect node, the work queue.
func (a *App) joinHunts(ctx context.Context) error {
	if a.cluster == nil {
		return nil
	}
	st, err := hunt.OpenStore(ctx, a.cfg.Database)
	if err != nil {
		return err
	}
	a.hunts = &huntPart{store: st}
	if !a.cfg.Cluster.Has(config.RoleDetect) {
		return nil
	}
	o := huntQueue
	o.Logger = a.log.With("part", "hunt")
	q, err := hunt.OpenQueue(ctx, a.cluster.node.JetStream(), o)
	if err != nil {
		st.Close()
		return err
	}
	a.hunts.worker = &hunt.Worker{Queue: q, Store: st, Node: a.cluster.node.Name, Handle: a.huntItem, Logger: o.Logger}
	return nil
}

// huntItem reads one hunt item through the pipeline, as scan reads its range.
func (a *App) huntItem(ctx context.Context, it hunt.Item, progress func(int64)) error {
	info, err := LogOf(it.Range)
	if err != nil {
		return err
	}
	opts := a.cfg.Sources.CT.FollowerOptions()
	opts.Logger = a.log.With("part", "hunt")
	return ReadRange(ctx, a.Pipeline, info, it.From, it.To, opts, func(done, _ int64) { progress(done) })
}

// runHunts runs the hunt worker until ctx ends.
func (a *App) runHunts(ctx context.Context) {
	if a.hunts != nil && a.hunts.worker != nil {
		a.hunts.worker.Run(ctx)
	}
}

// closeHunts closes what joinHunts opened.
func (a *App) closeHunts() {
	if a.hunts != nil {
		a.hunts.store.Close()
	}
}

// huntList and huntGet answer GET /api/v1/hunts and /api/v1/hunts/{id} (cluster only).
func (a *App) huntList(ctx context.Context) (any, error) {
	return a.hunts.store.List(ctx, 100)
}

func (a *App) huntGet(ctx context.Context, id string) (any, error) {
	h, err := a.hunts.store.Get(ctx, id)
	if errors.Is(err, hunt.ErrNotFound) {
		return nil, nil
	}
	return h, err
}
