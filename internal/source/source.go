// Package source defines what every certificate source (CT follower, certstream client) hands
// to the pipeline, and the status it reports for GET /api/v1/sources.
package source

import (
	"context"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
)

// Source produces batches of entries until ctx ends. Run returns only when ctx is done (sources
// retry forever) or on a configuration error that retrying cannot fix.
type Source interface {
	Run(ctx context.Context, out chan<- Batch) error
	Status() Status
}

// Batch is a run of consecutive entries from one source.
type Batch struct {
	Entries []certs.Entry
	// Malformed lists entries in this batch's range that could not be decoded at all; each is
	// recorded, never dropped silently.
	Malformed []Malformed
	// Source names who delivered the batch when that differs from the entries' own logs (a
	// certstream server relays entries naming any log it likes): malformed records of its
	// entries are kept under Source, so that a sender cannot choose the keys they are stored
	// and capped under. Empty for CT followers, whose entries are their own.
	Source certs.LogRef
	// LeafHashes are a CT log's Merkle leaf hashes of every entry in the batch's range,
	// malformed ones included, in index order: what the follower checks against the log's
	// signed tree heads before handing the batch on. Other sources leave it nil.
	LeafHashes [][32]byte
	// Commit is called by the pipeline, in order, once every entry and malformed record of this
	// batch is durably handled; a CT follower persists its cursor there. It may be nil.
	Commit func() error
}

// Malformed is an entry that could not be read, with where it was and why.
type Malformed struct {
	Log   certs.LogRef `json:"log"`
	Index int64        `json:"index"`
	Err   string       `json:"error"`
	Data  []byte       `json:"-"`
}

// Status is one source's row in GET /api/v1/sources.
type Status struct {
	Name             string  `json:"name"`
	URL              string  `json:"url"`
	Type             string  `json:"type"` // rfc6962, static, certstream
	Position         int64   `json:"position"`
	TreeSize         int64   `json:"tree_size"`
	EntriesProcessed int64   `json:"entries_processed"`
	Malformed        int64   `json:"malformed"`
	Errors           int64   `json:"errors"`
	LastError        string  `json:"last_error"`
	LagSeconds       float64 `json:"lag_seconds"`
	// LastSuccess is when the source last got something right (CT: a tree head or a committed
	// batch); zero before the first. Readiness reads it.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// CT sources only: entries verified against a signed tree head (from where this process
	// started reading), and why verification stopped, empty while the log matches its heads.
	VerifiedSize *int64 `json:"verified_size,omitempty"`
	// State is a CT log's state in the log list (usable, qualified, readonly...), empty
	// for a log configured by URL.
	State             string  `json:"state,omitempty"`
	VerificationError *string `json:"verification_error,omitempty"`
	// Node is, in a cluster, the node following this CT log (empty while none holds its lease).
	Node string `json:"node,omitempty"`
	// certstream sources only
	Connected  *bool `json:"connected,omitempty"`
	Messages   int64 `json:"messages,omitempty"`
	Reconnects int64 `json:"reconnects,omitempty"`
	// HashMismatches counts messages whose sha256 is not the hash of their DER (certhunt
	// uses its own); IndexGaps counts jumps in a log's cert_index, MissedEntries the
	// indexes they skipped.
	HashMismatches int64 `json:"hash_mismatches,omitempty"`
	IndexGaps      int64 `json:"index_gaps,omitempty"`
	MissedEntries  int64 `json:"missed_entries,omitempty"`
}
