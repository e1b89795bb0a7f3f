package app

import (
	"context"
	"time"

	"github.com/certhunt/certhunt/internal/source"
)

// apiSources is GET /api/v1/sources. In a cluster every node answers with the cluster's view,
// not its own stale copy: each log's node is the lease holder now (JetStream KV) and its
// position the last committed cursor (PostgreSQL), and logs this node does not follow (an
// api-only node follows none) are listed from the cursors. Counters stay this node's own.
// When NATS or PostgreSQL does not answer, the rows are this node's, as they are alone.
func (a *App) apiSources() []source.Status {
	local := a.sourceStatuses()
	if a.cluster == nil {
		return local
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	holders, herr := a.cluster.node.Leases.Holders(ctx)
	cursors, cerr := a.cluster.cursors.All(ctx)
	if herr != nil || cerr != nil {
		a.log.Warn("cluster view of the sources unavailable; showing this node's", "leases", herr, "cursors", cerr)
		return local
	}
	at := map[string]int{}
	for i := range local {
		st := &local[i]
		at[st.URL] = i
		key := st.URL
		if st.Type == "certstream" {
			key = certstreamLease(st.URL)
		}
		if !a.cluster.node.Leases.Holding(key) { // this node knows its own leases best
			st.Node = holders[key]
		}
	}
	for _, c := range cursors {
		if i, ok := at[c.URL]; ok {
			local[i].Position = max(local[i].Position, c.Position)
			continue
		}
		local = append(local, source.Status{Name: c.Name, URL: c.URL, Type: "ct", Position: c.Position,
			Node: holders[c.URL], LastSuccess: c.UpdatedAt})
	}
	return local
}
