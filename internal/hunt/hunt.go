// Package hunt runs backfill hunts across a cluster (SPEC.md "Cluster", `certhunt hunt`): log
// ranges are split into work items, each item is published once to a JetStream work-queue
// stream that every detect node takes from, and the hunt's progress is kept in PostgreSQL,
// the cluster's shared database, so that any node's API and the command line can show it.
//
// # Delivery
//
// A node takes one item at a time with explicit acknowledgement, tells JetStream it is still
// working while it reads, records the item done in PostgreSQL once its entries are durably
// handled, and only then acknowledges it. A node that dies mid-item leaves it unacknowledged:
// JetStream gives it to another node after AckWait. Handling an item again is harmless (the
// incident writes are idempotent), and an item recorded done is not counted twice.
package hunt

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// DefaultItemSize is how many entries one work item covers.
const DefaultItemSize = 10_000

// Range is a stretch of one CT log: entries [From, To).
type Range struct {
	// Log is the log's name, URL its URL, Type rfc6962 or static, Key its public key
	// (base64 DER, empty when unknown).
	Log  string `json:"log"`
	URL  string `json:"url"`
	Type string `json:"type"`
	Key  string `json:"key,omitempty"`
	// Submission is a static log's submission prefix (its checkpoint origin), if known.
	Submission string `json:"submission_url,omitempty"`
	From       int64  `json:"from"`
	To         int64  `json:"to"`
}

// Len is the number of entries in r.
func (r Range) Len() int64 { return max(r.To-r.From, 0) }

// Item is one unit of work: part of one range.
type Item struct {
	Hunt string `json:"hunt"`
	Seq  int    `json:"seq"`
	Range
}

// Hunt is a hunt and its progress (GET /api/v1/hunts/{id}).
type Hunt struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Ranges    []Range   `json:"ranges"`
	// Items counts the work items; Done and Failed those finished each way, Running those a
	// node works on now.
	ItemsTotal   int `json:"items_total"`
	ItemsDone    int `json:"items_done"`
	ItemsFailed  int `json:"items_failed"`
	ItemsRunning int `json:"items_running"`
	// EntriesDone counts entries read and handled, of EntriesTotal.
	EntriesTotal int64 `json:"entries_total"`
	EntriesDone  int64 `json:"entries_done"`
	// Finished: every item is done or failed.
	Finished bool `json:"finished"`
	// Nodes counts the items each node finished.
	Nodes map[string]int `json:"nodes"`
	// Errors are the last errors of failed items (at most a few).
	Errors []string `json:"errors,omitempty"`
}

// Split cuts ranges into items of at most size entries, numbered from 0. Empty ranges give
// no item.
func Split(id string, ranges []Range, size int64) []Item {
	if size <= 0 {
		size = DefaultItemSize
	}
	var out []Item
	for _, r := range ranges {
		for from := r.From; from < r.To; from += size {
			part := r
			part.From, part.To = from, min(from+size, r.To)
			out = append(out, Item{Hunt: id, Seq: len(out), Range: part})
		}
	}
	return out
}

// NewID makes a hunt ID: the UTC time and a random suffix, sortable by creation.
func NewID(now time.Time) string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%s", now.UTC().Format("20060102T150405Z"), hex.EncodeToString(b))
}

// validID says whether s could be a hunt ID, before it reaches a query or a subject.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}
