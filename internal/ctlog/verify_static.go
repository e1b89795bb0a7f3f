package ctlog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Hash tiles: static-ct-api uses tlog tiles of height 8 with paths without the height.
const (
	tileHeight       = 8
	maxHashTileBytes = TileWidth * tlog.HashSize
	// maxCachedTiles bounds the verified hash tiles kept (at most 8 KiB each): the upper
	// levels and right edges (partial tiles) that every data tile's check reads again.
	maxCachedTiles = 1024
)

// staticChecker verifies a static-ct-api log's data tiles through its hash tiles.
type staticChecker struct {
	client *staticClient
	cache  map[tlog.Tile][]byte // verified hash tiles: upper levels and right edges
}

func (c *staticChecker) consistent(ctx context.Context, older, newer TreeHead) error {
	tr := &tileReader{ctx: ctx, checker: c}
	proof, err := tlog.ProveTree(newer.Size, older.Size, tlog.TileHashReader(tlog.Tree{N: newer.Size, Hash: newer.RootHash}, tr))
	if err != nil {
		return tr.classify("the hash tiles of the newer tree", err)
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.RootHash, older.Size, older.RootHash); err != nil {
		return mismatch("consistency from %d to %d: %v", older.Size, newer.Size, err)
	}
	return nil
}

func (c *staticChecker) entries(ctx context.Context, start int64, hashes [][32]byte, th TreeHead) (int64, error) {
	end := start + int64(len(hashes))
	if end > th.Size {
		return start, mismatch("entries up to %d, beyond the tree head's size %d", end, th.Size)
	}
	tr := &tileReader{ctx: ctx, checker: c, leaves: hashes, start: start}
	indexes := make([]int64, len(hashes))
	for i := range hashes {
		indexes[i] = tlog.StoredHashIndex(0, start+int64(i))
	}
	got, err := tlog.TileHashReader(tlog.Tree{N: th.Size, Hash: th.RootHash}, tr).ReadHashes(indexes)
	if err != nil {
		return start, tr.classify(fmt.Sprintf("entries %d to %d: the data tiles do not match the log's hash tiles and checkpoint root", start, end-1), err)
	}
	for i, h := range got {
		if h != hashes[i] {
			return start, mismatch("entry %d does not match the log's hash tiles", start+int64(i))
		}
	}
	return end, nil
}

// settle has nothing to do: every data tile is verified as it is read.
func (c *staticChecker) settle(context.Context, TreeHead) (int64, error) { return 0, nil }

// tileReader serves tlog the hash tiles of one check: level 0 from the leaf hashes just
// read when they cover the tile (so a data tile costs no extra request), the rest from
// the log, through a cache of tiles tlog has authenticated.
type tileReader struct {
	ctx     context.Context
	checker *staticChecker
	leaves  [][32]byte
	start   int64
	// fetchErr is the first failed request, which tlog wraps out of reach.
	fetchErr error
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data := r.fromLeaves(t); data != nil {
			out[i] = data
			continue
		}
		if data, ok := r.checker.cache[t]; ok {
			out[i] = data
			continue
		}
		data, err := r.checker.client.hashTile(r.ctx, t)
		if err != nil {
			r.fetchErr = err
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

// fromLeaves builds level-0 tile t from the leaf hashes read, when they cover it.
func (r *tileReader) fromLeaves(t tlog.Tile) []byte {
	first := t.N << tileHeight
	if t.L != 0 || first < r.start || first+int64(t.W) > r.start+int64(len(r.leaves)) {
		return nil
	}
	data := make([]byte, 0, t.W*tlog.HashSize)
	for _, h := range r.leaves[first-r.start : first-r.start+int64(t.W)] {
		data = append(data, h[:]...)
	}
	return data
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	cache := r.checker.cache
	for i, t := range tiles {
		if t.L == 0 && t.W == TileWidth {
			continue // a full data tile's hashes are never asked for again
		}
		if len(cache) >= maxCachedTiles {
			clear(cache)
		}
		cache[t] = data[i]
	}
}

// classify returns a failed request as itself (to be retried), and anything else tlog
// reports as a mismatch.
func (r *tileReader) classify(what string, err error) error {
	if r.fetchErr != nil {
		return r.fetchErr
	}
	return mismatch("%s (%v)", what, err)
}

// hashTile fetches hash tile t; a partial tile the log has since completed is read from
// the full one.
func (c *staticClient) hashTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	path := "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
	body, err := httpGet(ctx, c.http, c.base+path, maxHashTileBytes)
	var fe *FetchError
	if t.W < TileWidth && errors.As(err, &fe) && fe.Status == http.StatusNotFound {
		full := t
		full.W = TileWidth
		path = "tile/" + strings.TrimPrefix(full.Path(), "tile/8/")
		body, err = httpGet(ctx, c.http, c.base+path, maxHashTileBytes)
		if err == nil && len(body) == maxHashTileBytes {
			body = body[:t.W*tlog.HashSize]
		}
	}
	if err != nil {
		return nil, err
	}
	if len(body) != t.W*tlog.HashSize {
		return nil, mismatch("%s: %d bytes, want %d", path, len(body), t.W*tlog.HashSize)
	}
	return body, nil
}
