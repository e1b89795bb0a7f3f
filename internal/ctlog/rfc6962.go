package ctlog

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync/atomic"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/redact"
	"github.com/certhunt/certhunt/internal/source"
)

// Answer size bounds: a get-entries answer of 1,024 entries with chains is a few MiB.
const (
	maxSTHBytes     = 64 << 10
	maxEntriesBytes = 64 << 20
)

// rfc6962Client reads an RFC 6962 log through get-sth and get-entries.
type rfc6962Client struct {
	info      LogInfo
	http      *http.Client
	base      string
	batchSize int64
	// batchCap is the most entries the log has been seen to answer with when asked for
	// more (0 until then): logs cap get-entries, and spans sized to the cap are fetched in
	// one request each, side by side, instead of request after request within a span.
	batchCap atomic.Int64
}

func newRFC6962Client(info LogInfo, client *http.Client, batchSize int) *rfc6962Client {
	return &rfc6962Client{info: info, http: client, base: strings.TrimRight(info.URL, "/") + "/", batchSize: int64(batchSize)}
}

func (c *rfc6962Client) treeHead(ctx context.Context) (TreeHead, error) {
	body, err := httpGet(ctx, c.http, c.base+"ct/v1/get-sth", maxSTHBytes)
	if err != nil {
		return TreeHead{}, err
	}
	var sth sthJSON
	if err := json.Unmarshal(body, &sth); err != nil {
		return TreeHead{}, fetchErr(KindDecode, "get-sth from %s: %v", redact.URL(c.base), err)
	}
	return sth.verify(c.info.Key)
}

// spans splits [from, to) into get-entries requests aligned to the batch size, which lets
// a log serve them from its cache. A static-only notion of partial does not apply.
func (c *rfc6962Client) spans(from, to int64, _ bool) iter.Seq[span] {
	return func(yield func(span) bool) {
		for n := 0; from < to; n++ {
			start := from
			size := c.batchSize
			// every probeEvery-th span keeps the configured size, so that a cap learned too
			// small (a short answer that was not the cap) grows back to the log's real one
			if learned := c.batchCap.Load(); learned > 0 && learned < size && n%probeEvery != 0 {
				size = learned
			}
			end := min((start/size+1)*size, to)
			if !yield(span{start, end}) {
				return
			}
			from = end
		}
	}
}

// probeEvery is how often a span asks for the configured batch size despite a learned cap.
const probeEvery = 16

type getEntriesJSON struct {
	Entries []getEntriesItem `json:"entries"`
}

type getEntriesItem struct {
	LeafInput []byte `json:"leaf_input"`
	ExtraData []byte `json:"extra_data"`
}

// fetch makes one get-entries request for s and returns what the log gave, which may be
// fewer entries than asked: logs cap their batches.
func (c *rfc6962Client) fetch(ctx context.Context, s span) (source.Batch, int64, error) {
	url := fmt.Sprintf("%sct/v1/get-entries?start=%d&end=%d", c.base, s.start, s.end-1)
	body, err := httpGet(ctx, c.http, url, maxEntriesBytes)
	if err != nil {
		return source.Batch{}, 0, err
	}
	b, n, err := decodeGetEntries(c.info.Ref(), s, body)
	if err == nil && n > 0 && n < s.end-s.start {
		for {
			old := c.batchCap.Load()
			if n <= old || c.batchCap.CompareAndSwap(old, n) {
				break
			}
		}
	}
	return b, n, err
}

// decodeGetEntries decodes a get-entries answer for s: entries that do not decode are
// recorded as malformed; an answer that is not get-entries JSON is an error.
func decodeGetEntries(ref certs.LogRef, s span, body []byte) (source.Batch, int64, error) {
	var answer getEntriesJSON
	itemErrs := map[int]error{}
	if err := json.Unmarshal(body, &answer); err != nil {
		// One item with, say, bad base64 fails the whole answer: read the items one by one
		// so that only that entry is recorded as malformed.
		var raw struct {
			Entries []json.RawMessage `json:"entries"`
		}
		if json.Unmarshal(body, &raw) != nil {
			return source.Batch{}, 0, fetchErr(KindDecode, "get-entries %d-%d: %v", s.start, s.end-1, err)
		}
		answer.Entries = make([]getEntriesItem, len(raw.Entries))
		for i, item := range raw.Entries {
			if err := json.Unmarshal(item, &answer.Entries[i]); err != nil {
				answer.Entries[i].LeafInput = item
				itemErrs[i] = err
			}
		}
	}
	if len(answer.Entries) == 0 {
		return source.Batch{}, 0, fetchErr(KindDecode, "get-entries %d-%d: no entries in the answer", s.start, s.end-1)
	}
	n := min(int64(len(answer.Entries)), s.end-s.start)
	var b source.Batch
	b.Entries = make([]certs.Entry, 0, n)
	if len(itemErrs) == 0 {
		// An item that is not JSON has no leaf to hash: the batch then has no hashes, and
		// the follower reports the range as unverifiable.
		b.LeafHashes = make([][32]byte, n)
	}
	for i, e := range answer.Entries[:n] {
		index := s.start + int64(i)
		if err := itemErrs[i]; err != nil {
			b.Malformed = append(b.Malformed, source.Malformed{Log: ref, Index: index, Err: "get-entries item: " + err.Error(), Data: e.LeafInput})
			continue
		}
		if b.LeafHashes != nil {
			b.LeafHashes[i] = tlog.RecordHash(e.LeafInput)
		}
		entry, err := decodeRFC6962Entry(ref, index, e.LeafInput, e.ExtraData)
		if err != nil {
			b.Malformed = append(b.Malformed, source.Malformed{Log: ref, Index: index, Err: err.Error(), Data: e.LeafInput})
			continue
		}
		b.Entries = append(b.Entries, entry)
	}
	return b, n, nil
}
