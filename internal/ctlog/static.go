package ctlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/cryptobyte"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
)

// TileWidth is the number of entries in a full static-ct-api data tile.
const TileWidth = 256

const (
	maxCheckpointBytes = 1 << 20
	maxTileBytes       = 64 << 20
	maxIssuerBytes     = 1 << 20
)

// staticClient reads a static-ct-api log through its checkpoint, data tiles and issuers.
type staticClient struct {
	info      LogInfo
	http      *http.Client
	base      string
	fullChain bool

	// size is the latest tree size seen, so that a range ending inside the last tile is
	// read from the tile the log has (its width is the tree's, not the range's).
	size atomic.Int64

	mu      sync.Mutex
	issuers map[[32]byte][]byte // nil value: the log does not serve that issuer
	// counters, when set, count issuers the log does not serve.
	counters *counters
}

// retryable reports a failed request worth repeating: network, 429 or 5xx.
func retryable(err error) bool {
	var fe *FetchError
	if !errors.As(err, &fe) {
		return true
	}
	return fe.Kind == KindNetwork || fe.Kind == KindRateLimited || (fe.Kind == KindHTTP && fe.Status >= 500)
}

// maxIssuers bounds the issuer cache: a log has a few dozen, a hostile one could name
// millions of fingerprints.
const maxIssuers = 1024

func newStaticClient(info LogInfo, client *http.Client, fullChain bool) *staticClient {
	return &staticClient{info: info, http: client, base: strings.TrimRight(info.URL, "/") + "/",
		fullChain: fullChain, issuers: map[[32]byte][]byte{}}
}

func (c *staticClient) treeHead(ctx context.Context) (TreeHead, error) {
	body, err := httpGet(ctx, c.http, c.base+"checkpoint", maxCheckpointBytes)
	if err != nil {
		return TreeHead{}, err
	}
	th, err := openCheckpoint(c.info, body)
	if err == nil {
		c.size.Store(th.Size)
	}
	return th, err
}

// spans yields one span per data tile overlapping [from, to). The last, partial tile is
// included only when partial is true: the spec asks clients to prefer full tiles.
func (c *staticClient) spans(from, to int64, partial bool) iter.Seq[span] {
	return func(yield func(span) bool) {
		for start := from; start < to; {
			tileEnd := (start/TileWidth + 1) * TileWidth
			if tileEnd > to && !partial {
				return
			}
			end := min(tileEnd, to)
			if !yield(span{start, end}) {
				return
			}
			start = end
		}
	}
}

// TilePath returns the tlog-tiles path of data tile n with width entries: tile/data/x001/234
// for a full tile 1234, with ".p/<width>" for a partial one.
func TilePath(n int64, width int) string {
	var sb strings.Builder
	sb.WriteString("tile/data/")
	digits := strconv.FormatInt(n, 10)
	if pad := (3 - len(digits)%3) % 3; pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	for i := 0; i < len(digits); i += 3 {
		if i+3 < len(digits) {
			sb.WriteString("x")
		}
		sb.WriteString(digits[i : i+3])
		if i+3 < len(digits) {
			sb.WriteString("/")
		}
	}
	if width < TileWidth {
		fmt.Fprintf(&sb, ".p/%d", width)
	}
	return sb.String()
}

// fetch reads the data tile holding s and returns s's entries. A partial tile that has gone
// (the tree grew past it) is read from the full tile instead.
func (c *staticClient) fetch(ctx context.Context, s span) (source.Batch, int64, error) {
	tile := s.start / TileWidth
	tileStart := tile * TileWidth
	width := int(s.end - tileStart)
	if size := c.size.Load(); size > s.end {
		width = int(min(TileWidth, size-tileStart))
	}
	leaves, err := c.tile(ctx, tile, width)
	var fe *FetchError
	if width < TileWidth && errors.As(err, &fe) && fe.Status == http.StatusNotFound {
		leaves, err = c.tile(ctx, tile, TileWidth)
	}
	if err != nil {
		return source.Batch{}, 0, err
	}
	ref := c.info.Ref()
	var b source.Batch
	b.Entries = make([]certs.Entry, 0, s.end-s.start)
	b.LeafHashes = make([][32]byte, 0, s.end-s.start)
	h := sha256.New()
	for i := s.start - tileStart; i < s.end-tileStart; i++ {
		index := tileStart + i
		leaf := leaves[i]
		b.LeafHashes = append(b.LeafHashes, leafHash(h, leaf.raw))
		entry, err := leaf.toEntry(ref, index)
		if err == nil && c.fullChain {
			entry.Chain, err = c.chain(ctx, leaf.fingerprints)
			if err != nil {
				return source.Batch{}, 0, err
			}
		}
		if err != nil {
			b.Malformed = append(b.Malformed, source.Malformed{Log: ref, Index: index, Err: err.Error(), Data: leaf.all})
			continue
		}
		b.Entries = append(b.Entries, entry)
	}
	return b, s.end - s.start, nil
}

// tile fetches and decodes data tile n of the given width; fewer or more leaves than width
// is a decode error (a truncated or corrupt tile), retried like any fetch error.
func (c *staticClient) tile(ctx context.Context, n int64, width int) ([]tileLeaf, error) {
	path := TilePath(n, width)
	body, err := httpGet(ctx, c.http, c.base+path, maxTileBytes)
	if err != nil {
		return nil, err
	}
	if body, err = maybeGunzip(body, maxTileBytes); err != nil {
		return nil, fetchErr(KindDecode, "%s: %v", path, err)
	}
	leaves := make([]tileLeaf, 0, width)
	s := cryptobyte.String(body)
	for !s.Empty() {
		if len(leaves) == width {
			return nil, fetchErr(KindDecode, "%s: trailing data after %d entries", path, width)
		}
		leaf, err := readTileLeaf(&s)
		if err != nil {
			return nil, fetchErr(KindDecode, "%s: entry %d: %v", path, len(leaves), err)
		}
		leaves = append(leaves, leaf)
	}
	if len(leaves) < width {
		return nil, fetchErr(KindDecode, "%s: truncated tile: %d of %d entries", path, len(leaves), width)
	}
	return leaves, nil
}

// maybeGunzip decompresses a gzip body (a log may serve tiles gzipped without saying so).
func maybeGunzip(body []byte, limit int64) ([]byte, error) {
	if len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("gunzipped tile larger than %d bytes", limit)
	}
	return out, nil
}

// chain returns the issuers named by fingerprints, fetching each one once per client. An
// issuer the log does not serve (or serves with the wrong hash) is left out of the chain
// and counted once, rather than holding the entries back; a failed request is returned,
// to be retried.
func (c *staticClient) chain(ctx context.Context, fingerprints [][32]byte) ([][]byte, error) {
	chain := make([][]byte, 0, len(fingerprints))
	for _, fp := range fingerprints {
		c.mu.Lock()
		der, ok := c.issuers[fp]
		c.mu.Unlock()
		if !ok {
			url := c.base + "issuer/" + hex.EncodeToString(fp[:])
			body, err := httpGet(ctx, c.http, url, maxIssuerBytes)
			var missing error
			switch {
			case err != nil && retryable(err):
				return nil, err
			case err != nil:
				missing = fmt.Errorf("issuer %x left out of the chain: %w", fp[:8], err)
			case sha256.Sum256(body) != fp:
				missing = fetchErr(KindDecode, "%s: content does not match its hash", url)
			default:
				der = body
			}
			c.mu.Lock()
			if len(c.issuers) >= maxIssuers {
				clear(c.issuers)
			}
			_, raced := c.issuers[fp] // another tile fetched it meanwhile and counted it
			c.issuers[fp] = der
			c.mu.Unlock()
			if missing != nil && !raced && c.counters != nil {
				c.counters.record(missing)
			}
		}
		if der != nil {
			chain = append(chain, der)
		}
	}
	return chain, nil
}
