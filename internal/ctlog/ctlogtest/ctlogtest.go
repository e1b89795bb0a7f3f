// Package ctlogtest runs Certificate Transparency logs on loopback for tests: an RFC 6962
// log (get-sth, get-entries) or a static-ct-api log (checkpoint, data tiles, issuers), with
// real signatures from a fresh key and faults to inject (batch caps, 429s, 503s, short
// answers, truncated tiles, bad signatures).
//
// Entries become visible when Publish signs a new tree head, as in a real log.
package ctlogtest

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/testcert"
)

// Entry is one entry to add to a log: either Cert (an x509 entry) or Precert (a precert
// entry, the precertificate DER with its poison extension), with its issuing chain.
type Entry struct {
	Cert    []byte
	Precert []byte
	// Chain is the issuing chain, issuer first; a precert entry needs at least its issuer.
	Chain [][]byte
	// Timestamp defaults to the time of Add.
	Timestamp time.Time
	// Corrupt makes the entry undecodable: an RFC 6962 log serves it with a cut extra_data,
	// a static log with a wrong leaf_index.
	Corrupt bool
}

// Faults are misbehaviours to inject; set them with SetFaults. Counters of "every N"
// faults run over all requests to the log.
type Faults struct {
	// BatchCap caps the entries in one get-entries answer (RFC 6962).
	BatchCap int
	// ShortAnswers makes get-entries answers hold fewer entries than asked, a varying
	// number each time (RFC 6962).
	ShortAnswers bool
	// RateLimitEvery answers every Nth request with 429 and Retry-After: RetryAfter.
	RateLimitEvery int
	RetryAfter     string
	// UnavailableEvery answers every Nth request with 503.
	UnavailableEvery int
	// TruncatedTiles cuts the next N data tile answers short (static).
	TruncatedTiles int
	// BadSignatures signs the next N tree heads with a key other than the log's.
	BadSignatures int
	// NoConsistency answers 404 to get-sth-consistency (RFC 6962), as a log hiding its
	// history might.
	NoConsistency bool
	// MissingIssuers answers 404 for every issuer (static), as a tile directory without
	// its issuers does.
	MissingIssuers bool
	// GzipTiles serves data tiles gzip-compressed without saying so in the headers, as
	// logs that store compressed tiles in a bucket may.
	GzipTiles bool
}

// Log is a CT log served on loopback.
type Log struct {
	Server *httptest.Server
	typ    string
	name   string
	key    *ecdsa.PrivateKey
	keyDER []byte
	wrong  *ecdsa.PrivateKey

	mu        sync.Mutex
	leaves    []leaf
	hashes    [][32]byte
	stored    []tlog.Hash // the tree's stored hashes (tlog layout), for hash tiles and proofs
	published int64
	head      []byte // the signed STH JSON or checkpoint for the published size
	headTime  uint64
	faults    Faults
	requests  int
	paths     []string
	uris      []string // paths with their queries
	issuers   map[[32]byte][]byte
	dir       string // a static log served from a directory of real tiles
}

type leaf struct {
	entry    []byte // TimestampedEntry
	json     []byte // RFC 6962: the get-entries item, encoded once
	tileLeaf []byte // static
}

// NewRFC6962 starts an empty RFC 6962 log.
func NewRFC6962() (*Log, error) { return newLog(ctlog.TypeRFC6962, "") }

// NewStatic starts an empty static-ct-api log.
func NewStatic() (*Log, error) { return newLog(ctlog.TypeStatic, "") }

// NewStaticDir serves a directory of real tiles (tile/data/..., tile/0/..., tile/names/...)
// as a static log. The tree size and root come from the level-0 hash tiles, and a
// checkpoint for them is signed with a fresh key, since real checkpoints cannot be re-signed.
func NewStaticDir(dir string) (*Log, error) {
	l, err := newLog(ctlog.TypeStatic, dir)
	if err != nil {
		return nil, err
	}
	hashes, err := readHashTiles(dir)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hashes = hashes
	l.published = int64(len(hashes))
	if err := l.rebuildLocked(); err != nil {
		l.Close()
		return nil, err
	}
	if err := l.signLocked(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func newLog(typ, dir string) (*Log, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	wrong, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	l := &Log{typ: typ, key: key, keyDER: keyDER, wrong: wrong, issuers: map[[32]byte][]byte{}, dir: dir}
	l.Server = httptest.NewServer(http.HandlerFunc(l.serve))
	l.name = "test " + typ + " " + l.Server.Listener.Addr().String()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.signLocked(); err != nil {
		l.Server.Close()
		return nil, err
	}
	return l, nil
}

// Close stops the server.
func (l *Log) Close() { l.Server.Close() }

// Info describes the log for ctlog: its URL, type and public key.
func (l *Log) Info() ctlog.LogInfo {
	info, err := ctlog.NewLogInfo(l.name, l.Server.URL+"/", l.typ, l.keyDER)
	if err != nil {
		panic(err) // the log's own URL and key are always valid
	}
	if l.typ == ctlog.TypeStatic {
		info.SubmissionURL = l.Server.URL + "/"
	}
	return info
}

// SetFaults replaces the faults in force.
func (l *Log) SetFaults(f Faults) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faults = f
}

// RequestURIs returns the paths and queries requested so far, in order.
func (l *Log) RequestURIs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.uris...)
}

// Paths returns the paths requested so far, in order.
func (l *Log) Paths() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.paths...)
}

// Size returns the number of entries added, published or not.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.hashes))
}

// Add appends entries and returns the index of the first; Publish makes them visible.
func (l *Log) Add(entries ...Entry) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dir != "" {
		return 0, errors.New("ctlogtest: a directory log is read-only")
	}
	first := int64(len(l.leaves))
	for i, e := range entries {
		lf, err := l.makeLeaf(e, first+int64(i))
		if err != nil {
			l.leaves, l.hashes = l.leaves[:first], l.hashes[:first]
			return 0, fmt.Errorf("ctlogtest: entry %d: %w", i, err)
		}
		l.leaves = append(l.leaves, lf)
		h := sha256.New()
		h.Write([]byte{0, 0, 0})
		h.Write(lf.entry)
		var sum [32]byte
		h.Sum(sum[:0])
		if err := l.appendHashLocked(sum); err != nil {
			return 0, err
		}
	}
	return first, nil
}

// appendHashLocked adds a leaf hash to the tree and its stored hashes.
func (l *Log) appendHashLocked(h [32]byte) error {
	hashes, err := tlog.StoredHashesForRecordHash(int64(len(l.hashes)), h, l.hashReader())
	if err != nil {
		return err
	}
	l.hashes = append(l.hashes, h)
	l.stored = append(l.stored, hashes...)
	return nil
}

// rebuildLocked recomputes the stored hashes from the leaf hashes.
func (l *Log) rebuildLocked() error {
	hashes := l.hashes
	l.hashes, l.stored = nil, nil
	for _, h := range hashes {
		if err := l.appendHashLocked(h); err != nil {
			return err
		}
	}
	return nil
}

func (l *Log) hashReader() tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(l.stored)) {
				return nil, fmt.Errorf("ctlogtest: stored hash %d not in the tree", x)
			}
			out[i] = l.stored[x]
		}
		return out, nil
	})
}

// Tamper makes the log serve e at index instead of the entry its tree holds, as a log
// that altered an entry after signing would; the tree and its heads are unchanged.
func (l *Log) Tamper(index int64, e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.replaceLeafLocked(index, e)
	return err
}

// replaceLeafLocked makes the log serve e at index, leaving its tree alone.
func (l *Log) replaceLeafLocked(index int64, e Entry) (leaf, error) {
	if index < 0 || index >= int64(len(l.leaves)) {
		return leaf{}, fmt.Errorf("ctlogtest: no entry %d", index)
	}
	lf, err := l.makeLeaf(e, index)
	if err != nil {
		return leaf{}, err
	}
	l.leaves[index] = lf
	return lf, nil
}

// Rewrite replaces the entry at index in the log's tree itself, so that the next Publish
// signs a head that is not consistent with the earlier ones (a forked log).
func (l *Log) Rewrite(index int64, e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	lf, err := l.replaceLeafLocked(index, e)
	if err != nil {
		return err
	}
	l.hashes[index] = tlog.RecordHash(append([]byte{0, 0}, lf.entry...))
	return l.rebuildLocked()
}

// Publish signs a tree head covering every entry added so far.
func (l *Log) Publish() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.published = int64(len(l.hashes))
	return l.signLocked()
}

func (l *Log) makeLeaf(e Entry, index int64) (leaf, error) {
	ts := e.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	var te cryptobyte.Builder
	te.AddUint64(uint64(ts.UnixMilli()))
	switch {
	case e.Cert != nil && e.Precert == nil:
		te.AddUint16(0)
		te.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Cert) })
	case e.Precert != nil && e.Cert == nil:
		if len(e.Chain) == 0 {
			return leaf{}, errors.New("a precert entry needs its issuer in Chain")
		}
		issuer, err := x509.ParseCertificate(e.Chain[0])
		if err != nil {
			return leaf{}, fmt.Errorf("issuer: %w", err)
		}
		tbs, err := testcert.RemovePoison(e.Precert)
		if err != nil {
			return leaf{}, err
		}
		keyHash := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
		te.AddUint16(1)
		te.AddBytes(keyHash[:])
		te.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(tbs) })
	default:
		return leaf{}, errors.New("set exactly one of Cert and Precert")
	}
	var lf leaf
	if l.typ == ctlog.TypeRFC6962 {
		te.AddUint16(0) // no extensions
		entry, err := te.Bytes()
		if err != nil {
			return leaf{}, err
		}
		var extra cryptobyte.Builder
		if e.Precert != nil {
			extra.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Precert) })
		}
		extra.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range e.Chain {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
			}
		})
		extraData, err := extra.Bytes()
		if err != nil {
			return leaf{}, err
		}
		if e.Corrupt {
			extraData = extraData[:len(extraData)/2]
		}
		item, err := json.Marshal(map[string][]byte{"leaf_input": append([]byte{0, 0}, entry...), "extra_data": extraData})
		return leaf{entry: entry, json: item}, err
	}
	leafIndex := index
	if e.Corrupt {
		leafIndex = index + 1000
	}
	te.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(0) // leaf_index
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint8(uint8(leafIndex >> 32))
			b.AddUint32(uint32(leafIndex))
		})
	})
	entry, err := te.Bytes()
	if err != nil {
		return leaf{}, err
	}
	tl := cryptobyte.NewBuilder(append([]byte(nil), entry...))
	if e.Precert != nil {
		tl.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Precert) })
	}
	tl.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range e.Chain {
			fp := sha256.Sum256(c)
			l.issuers[fp] = c
			b.AddBytes(fp[:])
		}
	})
	lf.entry = entry
	lf.tileLeaf, err = tl.Bytes()
	return lf, err
}

// signLocked signs the tree head for the published size with the log's key.
func (l *Log) signLocked() error {
	head, err := l.headLocked(l.key)
	l.head = head
	return err
}

// headLocked returns the STH JSON or checkpoint for the published size signed with key.
func (l *Log) headLocked(key *ecdsa.PrivateKey) ([]byte, error) {
	var root [32]byte
	if l.published == 0 {
		root = sha256.Sum256(nil)
	} else {
		var err error
		if root, err = tlog.TreeHash(l.published, l.hashReader()); err != nil {
			return nil, err
		}
	}
	ts := uint64(time.Now().UnixMilli())
	if ts <= l.headTime {
		ts = l.headTime + 1
	}
	l.headTime = ts
	msg := binary.BigEndian.AppendUint64([]byte{0, 1}, ts)
	msg = binary.BigEndian.AppendUint64(msg, uint64(l.published))
	msg = append(msg, root[:]...)
	digest := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	var ds cryptobyte.Builder
	ds.AddUint8(4) // SHA-256
	ds.AddUint8(3) // ECDSA
	ds.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sig) })
	digitallySigned, err := ds.Bytes()
	if err != nil {
		return nil, err
	}
	if l.typ == ctlog.TypeRFC6962 {
		return json.Marshal(map[string]any{
			"tree_size": l.published, "timestamp": ts,
			"sha256_root_hash": root[:], "tree_head_signature": digitallySigned,
		})
	}
	origin := strings.TrimPrefix(l.Server.URL, "http://")
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, l.published, base64.StdEncoding.EncodeToString(root[:]))
	// Key ID per static-ct-api: SHA-256(origin || "\n" || 0x05 || LogID)[:4].
	logID := sha256.Sum256(l.keyDER)
	h := sha256.New()
	h.Write([]byte(origin + "\n\x05"))
	h.Write(logID[:])
	noteSig := h.Sum(nil)[:4]
	noteSig = binary.BigEndian.AppendUint64(noteSig, ts)
	noteSig = append(noteSig, digitallySigned...)
	return fmt.Appendf(nil, "%s\n— %s %s\n", text, origin, base64.StdEncoding.EncodeToString(noteSig)), nil
}

func (l *Log) serve(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.requests++
	l.paths = append(l.paths, r.URL.Path)
	l.uris = append(l.uris, r.URL.RequestURI())
	f := l.faults
	n := l.requests
	l.mu.Unlock()
	if f.RateLimitEvery > 0 && n%f.RateLimitEvery == 0 {
		ra := f.RetryAfter
		if ra == "" {
			ra = "0"
		}
		w.Header().Set("Retry-After", ra)
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	if f.UnavailableEvery > 0 && n%f.UnavailableEvery == 0 {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	switch {
	case l.typ == ctlog.TypeRFC6962 && r.URL.Path == "/ct/v1/get-sth":
		l.serveHead(w)
	case l.typ == ctlog.TypeRFC6962 && r.URL.Path == "/ct/v1/get-entries":
		l.serveEntries(w, r)
	case l.typ == ctlog.TypeRFC6962 && r.URL.Path == "/ct/v1/get-sth-consistency":
		l.serveConsistency(w, r)
	case l.typ == ctlog.TypeRFC6962 && r.URL.Path == "/ct/v1/get-proof-by-hash":
		l.serveProofByHash(w, r)
	case l.typ == ctlog.TypeStatic && r.URL.Path == "/checkpoint":
		l.serveHead(w)
	case l.typ == ctlog.TypeStatic && strings.HasPrefix(r.URL.Path, "/issuer/"):
		l.serveIssuer(w, r)
	case l.typ == ctlog.TypeStatic && l.dir != "" && strings.HasPrefix(r.URL.Path, "/tile/") && l.serveDirTile(w, r):
	case l.typ == ctlog.TypeStatic && isHashTilePath(r.URL.Path):
		l.serveHashTile(w, r)
	case l.typ == ctlog.TypeStatic && strings.HasPrefix(r.URL.Path, "/tile/data/"):
		l.serveDataTile(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (l *Log) serveHead(w http.ResponseWriter) {
	l.mu.Lock()
	head := l.head
	if l.faults.BadSignatures > 0 {
		l.faults.BadSignatures--
		var err error
		if head, err = l.headLocked(l.wrong); err != nil {
			l.mu.Unlock()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	l.mu.Unlock()
	w.Write(head)
}

func (l *Log) serveEntries(w http.ResponseWriter, r *http.Request) {
	start, err1 := strconv.ParseInt(r.URL.Query().Get("start"), 10, 64)
	end, err2 := strconv.ParseInt(r.URL.Query().Get("end"), 10, 64)
	l.mu.Lock()
	if err1 != nil || err2 != nil || start < 0 || end < start || start >= l.published {
		l.mu.Unlock()
		http.Error(w, "bad start or end", http.StatusBadRequest)
		return
	}
	end = min(end, l.published-1)
	count := end - start + 1
	if l.faults.BatchCap > 0 {
		count = min(count, int64(l.faults.BatchCap))
	}
	if l.faults.ShortAnswers && count > 1 {
		count = 1 + int64(l.requests)%(count-1)
	}
	items := make([][]byte, 0, count)
	for _, lf := range l.leaves[start : start+count] {
		items = append(items, lf.json)
	}
	l.mu.Unlock()
	body := append([]byte(`{"entries":[`), bytes.Join(items, []byte(","))...)
	w.Write(append(body, "]}"...))
}

func (l *Log) serveIssuer(w http.ResponseWriter, r *http.Request) {
	raw, err := hex.DecodeString(strings.TrimPrefix(r.URL.Path, "/issuer/"))
	var fp [32]byte
	if err != nil || len(raw) != 32 {
		http.NotFound(w, r)
		return
	}
	copy(fp[:], raw)
	l.mu.Lock()
	der, ok := l.issuers[fp]
	ok = ok && !l.faults.MissingIssuers
	l.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(der)
}

// serveDataTile serves a data tile of the published tree, full or partial as asked.
func (l *Log) serveDataTile(w http.ResponseWriter, r *http.Request) {
	n, width, ok := parseTilePath(strings.TrimPrefix(r.URL.Path, "/tile/data/"))
	l.mu.Lock()
	start := n * ctlog.TileWidth
	if !ok || start+int64(width) > l.published {
		l.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	if width < ctlog.TileWidth && start+int64(width) != l.published {
		l.mu.Unlock()
		http.NotFound(w, r) // only the tree's own partial tile exists, as on Skylight
		return
	}
	var body []byte
	for _, lf := range l.leaves[start : start+int64(width)] {
		body = append(body, lf.tileLeaf...)
	}
	if l.faults.TruncatedTiles > 0 {
		l.faults.TruncatedTiles--
		body = body[:len(body)/2]
	}
	gz := l.faults.GzipTiles
	l.mu.Unlock()
	if gz {
		zw := gzip.NewWriter(w)
		zw.Write(body)
		zw.Close()
		return
	}
	w.Write(body)
}

// serveDirTile serves a file of the tile directory, truncated when that fault is set; it
// reports false, having written nothing, when there is no such file.
func (l *Log) serveDirTile(w http.ResponseWriter, r *http.Request) bool {
	rel := strings.TrimPrefix(r.URL.Path, "/")
	if strings.Contains(rel, "..") {
		return false
	}
	body, err := readFile(l.dir, rel)
	if err != nil {
		return false
	}
	l.mu.Lock()
	if l.faults.TruncatedTiles > 0 && strings.HasPrefix(rel, "tile/data/") {
		l.faults.TruncatedTiles--
		body = body[:len(body)/2]
	}
	l.mu.Unlock()
	w.Write(body)
	return true
}

// parseTilePath reads "x001/234" or "x001/234.p/17" into a tile number and width.
func parseTilePath(p string) (n int64, width int, ok bool) {
	width = ctlog.TileWidth
	if base, w, found := strings.Cut(p, ".p/"); found {
		wi, err := strconv.Atoi(w)
		if err != nil || wi <= 0 || wi >= ctlog.TileWidth {
			return 0, 0, false
		}
		p, width = base, wi
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if i < len(parts)-1 {
			if !strings.HasPrefix(part, "x") {
				return 0, 0, false
			}
			part = part[1:]
		}
		d, err := strconv.Atoi(part)
		if err != nil || len(part) != 3 {
			return 0, 0, false
		}
		n = n*1000 + int64(d)
	}
	return n, width, ctlog.TilePath(n, width) == "tile/data/"+p+suffix(width)
}

func suffix(width int) string {
	if width < ctlog.TileWidth {
		return ".p/" + strconv.Itoa(width)
	}
	return ""
}
