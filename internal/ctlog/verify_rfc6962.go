package ctlog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"golang.org/x/mod/sumdb/tlog"
)

// maxProofHashes bounds a proof's length: a tree of 2^63 leaves needs at most 2*63.
const (
	maxProofHashes = 130
	maxProofBytes  = 64 << 10
)

// compactRange is the collapsed Merkle tree of leaves [0, size): the roots of its perfect
// subtrees, largest first, one per bit set in size.
type compactRange struct {
	size  int64
	roots []tlog.Hash
}

func (c *compactRange) append(h tlog.Hash) {
	c.roots = append(c.roots, h)
	c.size++
	for s := c.size; s&1 == 0; s >>= 1 {
		n := len(c.roots)
		c.roots[n-2] = tlog.NodeHash(c.roots[n-2], c.roots[n-1])
		c.roots = c.roots[:n-1]
	}
}

// root is the Merkle tree hash of the range (the tree of its size).
func (c *compactRange) root() tlog.Hash {
	if len(c.roots) == 0 {
		return tlog.Hash(emptyRoot)
	}
	h := c.roots[len(c.roots)-1]
	for i := len(c.roots) - 2; i >= 0; i-- {
		h = tlog.NodeHash(c.roots[i], h)
	}
	return h
}

func (c *compactRange) equal(roots []tlog.Hash) bool {
	if len(roots) != len(c.roots) {
		return false
	}
	for i := range roots {
		if roots[i] != c.roots[i] {
			return false
		}
	}
	return true
}

// leftSiblings returns, largest first, the left siblings on the audit path of leaf m in a
// tree of n leaves: exactly the compact range of [0, m). The path must have been checked.
func leftSiblings(m, n int64, path []tlog.Hash) ([]tlog.Hash, error) {
	var lefts []tlog.Hash
	lo, hi, i := int64(0), n, len(path)-1
	for hi-lo > 1 {
		if i < 0 {
			return nil, mismatch("audit path of leaf %d in tree %d is too short", m, n)
		}
		k := int64(1)
		for k*2 < hi-lo {
			k *= 2
		}
		if m < lo+k {
			hi = lo + k
		} else {
			lefts = append(lefts, path[i])
			lo += k
		}
		i--
	}
	if i != -1 {
		return nil, mismatch("audit path of leaf %d in tree %d is too long", m, n)
	}
	return lefts, nil
}

// rfc6962Checker verifies an RFC 6962 log's entries through a compact range.
type rfc6962Checker struct {
	client *rfc6962Client
	rng    compactRange
	ready  bool // rng holds the authenticated range [0, rng.size)
	// prev is the range before the last leaf appended, and last that leaf's hash: what
	// settle checks against the audit path of the last leaf.
	prev     []tlog.Hash
	last     tlog.Hash
	verified int64
}

func (c *rfc6962Checker) consistent(ctx context.Context, older, newer TreeHead) error {
	proof, err := c.client.consistencyProof(ctx, older.Size, newer.Size)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.RootHash, older.Size, older.RootHash); err != nil {
		return mismatch("consistency proof from %d to %d: %v", older.Size, newer.Size, err)
	}
	return nil
}

func (c *rfc6962Checker) entries(ctx context.Context, start int64, hashes [][32]byte, th TreeHead) (int64, error) {
	if !c.ready {
		skip, err := c.begin(ctx, start, hashes, th)
		if err != nil || !c.ready {
			return c.verified, err
		}
		start, hashes = start+int64(skip), hashes[skip:]
	}
	if c.rng.size != start {
		return c.verified, mismatch("entries read from %d, the verified range ends at %d", start, c.rng.size)
	}
	for i, h := range hashes {
		if i == len(hashes)-1 {
			c.prev = append(c.prev[:0], c.rng.roots...)
			c.last = h
		}
		c.rng.append(h)
	}
	if c.rng.size == th.Size {
		if root := c.rng.root(); root != th.RootHash {
			return c.verified, mismatch("entries %d to %d: with them the tree hashes to root %x, its signed head says %x", c.verified, th.Size-1, root[:], th.RootHash[:])
		}
		c.verified = c.rng.size
	}
	return c.verified, nil
}

// begin authenticates the range [0, start) from the audit path of leaf start. A leaf whose
// hash the log also holds at an earlier index has no audit path of its own
// (get-proof-by-hash answers for the first), so the starting point moves past it; begin
// returns how many leading hashes it skipped.
func (c *rfc6962Checker) begin(ctx context.Context, start int64, hashes [][32]byte, th TreeHead) (int, error) {
	c.verified = start
	if start == 0 {
		c.ready = true
		return 0, nil
	}
	for k, h := range hashes {
		lefts, err := c.authenticate(ctx, start+int64(k), h, th)
		if errors.Is(err, errDuplicateLeaf) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("verified starting point at %d: %w", start+int64(k), err)
		}
		c.rng = compactRange{size: start + int64(k), roots: lefts}
		c.verified, c.ready = start+int64(k), true
		return k, nil
	}
	return len(hashes), nil
}

// errDuplicateLeaf is a leaf whose hash occurs earlier in the log: get-proof-by-hash
// proves the earlier one, which says nothing about this index.
var errDuplicateLeaf = errors.New("the leaf hash occurs earlier in the log")

// authenticate checks leaf m with hash h against th by its audit path and returns the
// path's left siblings.
func (c *rfc6962Checker) authenticate(ctx context.Context, m int64, h tlog.Hash, th TreeHead) ([]tlog.Hash, error) {
	index, path, err := c.client.proofByHash(ctx, h, th.Size)
	var fe *FetchError
	if errors.As(err, &fe) && fe.Status == http.StatusNotFound {
		return nil, mismatch("entry %d: the log finds no leaf with its hash in tree %d (get-proof-by-hash: 404)", m, th.Size)
	}
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= th.Size {
		return nil, mismatch("get-proof-by-hash puts the entry read at %d at index %d, outside the tree", m, index)
	}
	if err := tlog.CheckRecord(path, th.Size, th.RootHash, index, h); err != nil {
		return nil, mismatch("audit path of entry %d in tree %d: %v", m, th.Size, err)
	}
	if index < m {
		return nil, errDuplicateLeaf
	}
	if index != m {
		return nil, mismatch("get-proof-by-hash puts the entry read at %d at index %d", m, index)
	}
	return leftSiblings(m, th.Size, path)
}

func (c *rfc6962Checker) settle(ctx context.Context, th TreeHead) (int64, error) {
	if !c.ready || c.rng.size == c.verified || c.rng.size >= th.Size {
		return c.verified, nil
	}
	lefts, err := c.authenticate(ctx, c.rng.size-1, c.last, th)
	if errors.Is(err, errDuplicateLeaf) {
		return c.verified, nil // settled when reading reaches a tree head's size
	}
	if err != nil {
		return c.verified, fmt.Errorf("entries up to %d: %w", c.rng.size, err)
	}
	if !(&compactRange{roots: c.prev}).equal(lefts) {
		return c.verified, mismatch("the entries up to %d do not match tree head %d", c.rng.size, th.Size)
	}
	c.verified = c.rng.size
	return c.verified, nil
}

// consistencyProof fetches get-sth-consistency between two tree sizes.
func (c *rfc6962Client) consistencyProof(ctx context.Context, first, second int64) (tlog.TreeProof, error) {
	u := fmt.Sprintf("%sct/v1/get-sth-consistency?first=%d&second=%d", c.base, first, second)
	var answer struct {
		Consistency [][]byte `json:"consistency"`
	}
	if err := c.getJSON(ctx, u, &answer); err != nil {
		return nil, err
	}
	hashes, err := proofHashes(answer.Consistency)
	return tlog.TreeProof(hashes), err
}

// proofByHash fetches get-proof-by-hash for a leaf hash in the tree of size.
func (c *rfc6962Client) proofByHash(ctx context.Context, h tlog.Hash, size int64) (int64, tlog.RecordProof, error) {
	u := fmt.Sprintf("%sct/v1/get-proof-by-hash?hash=%s&tree_size=%d", c.base, url.QueryEscape(base64.StdEncoding.EncodeToString(h[:])), size)
	var answer struct {
		LeafIndex int64    `json:"leaf_index"`
		AuditPath [][]byte `json:"audit_path"`
	}
	if err := c.getJSON(ctx, u, &answer); err != nil {
		return 0, nil, err
	}
	hashes, err := proofHashes(answer.AuditPath)
	return answer.LeafIndex, tlog.RecordProof(hashes), err
}

func (c *rfc6962Client) getJSON(ctx context.Context, u string, v any) error {
	body, err := httpGet(ctx, c.http, u, maxProofBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fetchErr(KindDecode, "%s: %v", u, err)
	}
	return nil
}

func proofHashes(raw [][]byte) ([]tlog.Hash, error) {
	if len(raw) > maxProofHashes {
		return nil, mismatch("proof of %d hashes", len(raw))
	}
	out := make([]tlog.Hash, len(raw))
	for i, r := range raw {
		if len(r) != 32 {
			return nil, mismatch("proof hash of %d bytes", len(r))
		}
		copy(out[i][:], r)
	}
	return out, nil
}
