package ctlogtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// serveConsistency answers get-sth-consistency from the log's current tree, so that after
// Rewrite the proof for an earlier head fails, as a forked log's would.
func (l *Log) serveConsistency(w http.ResponseWriter, r *http.Request) {
	first, err1 := strconv.ParseInt(r.URL.Query().Get("first"), 10, 64)
	second, err2 := strconv.ParseInt(r.URL.Query().Get("second"), 10, 64)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.faults.NoConsistency {
		http.NotFound(w, r)
		return
	}
	if err1 != nil || err2 != nil || first <= 0 || second < first || second > l.published {
		http.Error(w, "bad first or second", http.StatusBadRequest)
		return
	}
	proof, err := tlog.ProveTree(second, first, l.hashReader())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"consistency": hashList(proof)})
}

// serveProofByHash answers get-proof-by-hash with the audit path of the first leaf with
// that hash in the tree of tree_size.
func (l *Log) serveProofByHash(w http.ResponseWriter, r *http.Request) {
	raw, err := base64.StdEncoding.DecodeString(r.URL.Query().Get("hash"))
	size, err2 := strconv.ParseInt(r.URL.Query().Get("tree_size"), 10, 64)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || err2 != nil || len(raw) != 32 || size <= 0 || size > l.published {
		http.Error(w, "bad hash or tree_size", http.StatusBadRequest)
		return
	}
	for i, h := range l.hashes[:size] {
		if string(h[:]) != string(raw) {
			continue
		}
		proof, err := tlog.ProveRecord(size, int64(i), l.hashReader())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]any{"leaf_index": i, "audit_path": hashList(proof)})
		return
	}
	http.Error(w, "hash not in the tree", http.StatusNotFound)
}

func hashList(hashes []tlog.Hash) [][]byte {
	out := make([][]byte, len(hashes))
	for i, h := range hashes {
		out[i] = h[:]
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// isHashTilePath reports whether p names a hash tile: /tile/<level>/...
func isHashTilePath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/tile/")
	if !ok {
		return false
	}
	level, _, ok := strings.Cut(rest, "/")
	_, err := strconv.Atoi(level)
	return ok && err == nil
}

// serveHashTile serves a hash tile of the published tree (static-ct-api paths have no
// height: tile/<L>/<N>[.p/<W>]); a partial tile that has since filled is gone.
func (l *Log) serveHashTile(w http.ResponseWriter, r *http.Request) {
	t, err := tlog.ParseTilePath("tile/8/" + strings.TrimPrefix(r.URL.Path, "/tile/"))
	if err != nil || t.L < 0 {
		http.NotFound(w, r)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// The tile exists in the published tree when its last hash does.
	width := l.published >> uint(8*t.L)
	end := t.N<<8 + int64(t.W)
	if end > width || (t.W < 1<<8 && t.N<<8+1<<8 <= width) {
		http.NotFound(w, r)
		return
	}
	data, err := tlog.ReadTileData(t, l.hashReader())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(data)
}
