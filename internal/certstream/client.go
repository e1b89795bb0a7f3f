package certstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	bo "github.com/certhunt/certhunt/internal/backoff"
	"github.com/certhunt/certhunt/internal/buildinfo"
	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/redact"
	"github.com/certhunt/certhunt/internal/source"
)

// SourceType is the LogRef and Status type of everything read from a certstream server.
const SourceType = "certstream"

// UnknownIndex is the Index of entries whose message names no log index (dns_entries) and of
// malformed frames.
const UnknownIndex = -1

// maxMalformedData caps how much of a malformed frame is kept for the record.
const maxMalformedData = 64 << 10

// ClientOptions configure one certstream source. Zero durations and sizes take the defaults
// given on each field.
type ClientOptions struct {
	// URL is the stream to read: ws:// or wss:// (http:// and https:// are accepted too). The
	// path picks the stream: .../full-stream carries the DER, / the lite form, /domains-only
	// names only.
	URL string
	// Name identifies the source in status, logs and metric labels; default: the URL with its
	// secrets (user:password@, ?token=) masked.
	Name string
	// Logger receives connection events; default: discard.
	Logger *slog.Logger
	// HTTPClient dials the websocket (proxies, TLS settings); default: http.DefaultClient.
	HTTPClient *http.Client
	// PingInterval is how often the server is pinged; a ping unanswered within the same
	// interval drops the connection. Pongs arrive with the data, so a pipeline that holds the
	// client back for longer also costs the connection (the server would drop it anyway).
	// Default 15s.
	PingInterval time.Duration
	// ReadLimit is the largest frame accepted, in bytes; a larger one drops the connection.
	// Default 1 MiB.
	ReadLimit int64
	// BatchSize is the most entries handed to the pipeline at once. Default 64.
	BatchSize int
	// FlushInterval is the longest an entry waits for its batch to fill. Default 200ms.
	FlushInterval time.Duration
	// MinBackoff and MaxBackoff bound the exponential, jittered wait between reconnects.
	// Defaults 1s and 2m.
	MinBackoff, MaxBackoff time.Duration
}

// Client reads one certstream server and implements source.Source. Its counters are safe to
// read from any goroutine while Run is going.
type Client struct {
	opts ClientOptions
	log  *slog.Logger
	ref  certs.LogRef
	// shown is the URL as status, logs and errors show it: secrets masked.
	shown string

	connected   atomic.Bool
	messages    atomic.Int64
	reconnects  atomic.Int64
	errs        atomic.Int64
	malformed   atomic.Int64
	processed   atomic.Int64
	lagMillis   atomic.Int64
	everDialled atomic.Bool
	// hashMismatches counts messages whose sha256 is not the hash of their DER (or is the
	// hash of empty input, which certstream-server-go sends for tiled precerts).
	hashMismatches atomic.Int64
	// gaps and missed count jumps in a log's cert_index and the indexes skipped.
	gaps, missed atomic.Int64
	// lastIndex is each log's highest cert_index seen; only the session goroutine uses it.
	lastIndex map[string]int64

	mu        sync.Mutex
	lastError string
}

// NewClient returns a client for opts; nothing is dialled until Run.
func NewClient(opts ClientOptions) *Client {
	shown := redact.URL(opts.URL)
	if opts.Name == "" {
		opts.Name = shown
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 15 * time.Second
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = 1 << 20
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 64
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 200 * time.Millisecond
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 2 * time.Minute
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	return &Client{
		opts:  opts,
		log:   opts.Logger.With("source", opts.Name),
		ref:   certs.LogRef{Name: opts.Name, URL: shown, Type: SourceType},
		shown: shown,
	}
}

// Status reports the client's counters for GET /api/v1/sources.
func (c *Client) Status() source.Status {
	connected := c.connected.Load()
	c.mu.Lock()
	lastError := c.lastError
	c.mu.Unlock()
	return source.Status{
		Name:             c.opts.Name,
		URL:              c.shown,
		Type:             SourceType,
		EntriesProcessed: c.processed.Load(),
		Malformed:        c.malformed.Load(),
		Errors:           c.errs.Load(),
		LastError:        lastError,
		LagSeconds:       float64(c.lagMillis.Load()) / 1000,
		Connected:        &connected,
		Messages:         c.messages.Load(),
		Reconnects:       c.reconnects.Load(),
		HashMismatches:   c.hashMismatches.Load(),
		IndexGaps:        c.gaps.Load(),
		MissedEntries:    c.missed.Load(),
	}
}

// item is one decoded frame on its way to a batch: an entry or a malformed record.
type item struct {
	entry     certs.Entry
	malformed *source.Malformed
}

// Run reads the server until ctx ends, reconnecting forever. It returns nil when ctx ends and
// an error only when the URL cannot be used at all.
func (c *Client) Run(ctx context.Context, out chan<- source.Batch) error {
	if err := CheckURL(c.opts.URL); err != nil {
		return err
	}
	items := make(chan item, 4*c.opts.BatchSize)
	batcherDone := make(chan struct{})
	go func() {
		defer close(batcherDone)
		c.batch(ctx, items, out)
	}()
	defer func() { <-batcherDone }()

	wait := backoff{min: c.opts.MinBackoff, max: c.opts.MaxBackoff}
	for {
		delivered, err := c.session(ctx, items)
		if ctx.Err() != nil {
			return nil
		}
		c.recordError(err)
		if delivered {
			wait.reset()
		}
		d := wait.next()
		c.log.Warn("certstream connection lost; reconnecting", "err", err, "in", d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// CheckURL reports whether raw is a URL the client can connect to (ws, wss, http or https, with
// a host); the configuration's validation calls it.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return redact.Error(fmt.Errorf("certstream: bad URL %q: %w", redact.URL(raw), err), raw)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Errorf("certstream: URL %q: scheme must be ws, wss, http or https", redact.URL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("certstream: URL %q has no host", redact.URL(raw))
	}
	return nil
}

// session runs one connection until it fails. delivered reports whether any frame was read,
// which resets the backoff.
func (c *Client) session(ctx context.Context, items chan<- item) (delivered bool, err error) {
	conn, _, err := websocket.Dial(ctx, c.opts.URL, &websocket.DialOptions{
		HTTPClient: c.opts.HTTPClient,
		HTTPHeader: http.Header{"User-Agent": {buildinfo.UserAgent("")}},
	})
	if err != nil {
		return false, redact.Error(fmt.Errorf("dial %s: %w", c.shown, err), c.opts.URL)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(c.opts.ReadLimit)
	if c.everDialled.Swap(true) {
		c.reconnects.Add(1)
	}
	c.connected.Store(true)
	defer c.connected.Store(false)
	c.log.Info("certstream connected", "url", c.shown)

	sessCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go c.ping(sessCtx, conn, cancel)
	// Reads carry no context (that would cost a timer per message); ending the session
	// closes the connection, which ends a blocked read.
	stop := context.AfterFunc(sessCtx, func() { conn.CloseNow() })
	defer stop()

	var buf bytes.Buffer
	for {
		typ, r, err := conn.Reader(context.Background())
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if cause := context.Cause(sessCtx); cause != nil && ctx.Err() == nil {
				err = cause
			}
			return delivered, redact.Error(fmt.Errorf("read %s: %w", c.shown, err), c.opts.URL)
		}
		delivered = true
		c.messages.Add(1)
		it, ok := c.decode(typ, buf.Bytes(), time.Now())
		if !ok {
			continue
		}
		select {
		case items <- it:
		case <-ctx.Done():
			return delivered, ctx.Err()
		}
	}
}

// ping keeps the connection honest: a server that stops answering ends the session.
func (c *Client) ping(ctx context.Context, conn *websocket.Conn, cancel context.CancelCauseFunc) {
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, done := context.WithTimeout(ctx, c.opts.PingInterval)
		err := conn.Ping(pctx)
		done()
		if err != nil {
			cancel(fmt.Errorf("ping unanswered: %w", err))
			return
		}
	}
}

// decode turns one frame into an item. ok is false for heartbeats and for frames that are
// only counted (unknown message types).
func (c *Client) decode(typ websocket.MessageType, frame []byte, now time.Time) (it item, ok bool) {
	if typ != websocket.MessageText {
		return c.malformedItem(frame, errors.New("binary frame")), true
	}
	var msg inbound
	if err := jsonv2.Unmarshal(frame, &msg, jsonOptions); err != nil {
		return c.malformedItem(frame, fmt.Errorf("not a certstream message: %w", err)), true
	}
	switch msg.MessageType {
	case typeHeartbeat:
		return item{}, false
	case typeCertificateUpdate:
		if msg.Data.update == nil {
			return c.malformedItem(frame, fmt.Errorf("certificate_update data is %s, want an object", kindName(msg.Data.kind))), true
		}
		e, err := c.entryFromUpdate(msg.Data.update)
		if err != nil {
			// Kept under this source, not the log the frame names: a sender must not choose
			// the keys its records are stored (and capped) under.
			m := c.malformedItem(frame, fmt.Errorf("entry %d of log %q: %w", e.Index, e.Log.URL, err))
			m.malformed.Index = e.Index
			return m, true
		}
		if !e.Timestamp.IsZero() {
			c.lagMillis.Store(max(0, now.Sub(e.Timestamp).Milliseconds()))
		}
		c.trackIndex(e.Log.URL, e.Index)
		return item{entry: e}, true
	case typeDNSEntries:
		if msg.Data.kind != '[' {
			return c.malformedItem(frame, fmt.Errorf("dns_entries data is %s, want a list of names", kindName(msg.Data.kind))), true
		}
		c.lagMillis.Store(0)
		return item{entry: certs.Entry{
			Log:       c.ref,
			Index:     UnknownIndex,
			Timestamp: now.UTC(),
			Type:      certs.X509,
			Parsed:    &certs.Cert{DNSNames: certs.DNSNames(msg.Data.names, ""), Log: c.ref, Index: UnknownIndex, SeenAt: now.UTC()},
		}}, true
	default:
		c.malformed.Add(1)
		c.log.Debug("certstream: unknown message type skipped", "message_type", msg.MessageType)
		return item{}, false
	}
}

func (c *Client) malformedItem(frame []byte, err error) item {
	c.malformed.Add(1)
	c.log.Debug("certstream: malformed frame recorded", "err", err, "bytes", len(frame))
	return item{malformed: &source.Malformed{
		Log:   c.ref,
		Index: UnknownIndex,
		Err:   err.Error(),
		Data:  bytes.Clone(frame[:min(len(frame), maxMalformedData)]),
	}}
}

// entryFromUpdate builds the entry for a certificate_update: with the DER when the message
// carries as_der, otherwise with Parsed holding the message's own fields. On error the
// returned entry still names the log and index.
func (c *Client) entryFromUpdate(d *updateData) (certs.Entry, error) {
	e := certs.Entry{
		Log:       c.logRef(d.Source),
		Index:     d.CertIndex,
		Timestamp: unixSeconds(d.Seen),
		Type:      certs.X509,
	}
	if d.UpdateType == updatePrecert {
		e.Type = certs.Precert
	}
	if d.LeafCert.AsDER == "" {
		if plainHex(d.LeafCert.SHA256) == emptySHA256 {
			// A hash of nothing identifies no certificate: not stored, counted.
			c.hashMismatches.Add(1)
			d.LeafCert.SHA256 = ""
		}
		e.Parsed = parsedFromWire(d, &e)
		return e, nil
	}
	der, err := decodeBase64(d.LeafCert.AsDER)
	if err != nil {
		return e, fmt.Errorf("leaf_cert.as_der: %w", err)
	}
	// Some servers send a precert's bare TBSCertificate as as_der; certs.Parse reads that
	// from TBS.
	if isCertificate(der) {
		e.DER = der
		// certhunt keys certificates by the hash of the DER it read, never the sent one.
		if sent := plainHex(d.LeafCert.SHA256); sent != "" {
			if sum := sha256.Sum256(der); sent != hex.EncodeToString(sum[:]) {
				c.hashMismatches.Add(1)
			}
		}
	} else {
		e.TBS = der
	}
	for i, link := range d.Chain {
		if link.AsDER == "" {
			e.Chain = nil
			break
		}
		der, err := decodeBase64(link.AsDER)
		if err != nil {
			return e, fmt.Errorf("chain[%d].as_der: %w", i, err)
		}
		e.Chain = append(e.Chain, der)
	}
	return e, nil
}

// emptySHA256 is the SHA-256 of empty input, in plain lower-case hex.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// maxTrackedLogs bounds the per-log index memory: a feed names a few dozen logs, a hostile
// one could name millions.
const maxTrackedLogs = 4096

// trackIndex counts a gap when a log's cert_index jumps past the next one expected. Indexes
// that go back (a replay, another server's order) are not gaps.
func (c *Client) trackIndex(log string, index int64) {
	if index < 0 {
		return
	}
	if c.lastIndex == nil || len(c.lastIndex) >= maxTrackedLogs {
		c.lastIndex = map[string]int64{}
	}
	last, seen := c.lastIndex[log]
	if seen && index > last+1 {
		c.gaps.Add(1)
		c.missed.Add(index - last - 1)
	}
	if !seen || index > last {
		c.lastIndex[log] = index
	}
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 0:
		return "missing"
	case 'n':
		return "null"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case '[':
		return "a list"
	default:
		return "an object"
	}
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b2, err2 := base64.URLEncoding.DecodeString(s); err2 == nil {
			return b2, nil
		}
	}
	return b, err
}

// logRef is the log a message names; messages that name none are attributed to the server.
func (c *Client) logRef(s wireSource) certs.LogRef {
	if s.URL == "" && s.Name == "" {
		return c.ref
	}
	return certs.LogRef{Name: s.Name, URL: s.URL, Type: SourceType}
}

// parsedFromWire fills a Cert from a message without DER. A CaliDog message has no issuer;
// its chain's first element is the issuer.
func parsedFromWire(d *updateData, e *certs.Entry) *certs.Cert {
	leaf := &d.LeafCert
	issuer := leaf.Issuer
	if issuer == (wireName{}) && len(d.Chain) > 0 {
		issuer = d.Chain[0].Subject
	}
	sha1 := leaf.SHA1
	if sha1 == "" {
		sha1 = leaf.Fingerprint
	}
	return &certs.Cert{
		SHA256:             plainHex(leaf.SHA256),
		SHA1:               plainHex(sha1),
		Serial:             strings.ToLower(leaf.SerialNumber),
		EntryType:          e.Type,
		Subject:            nameFromWire(leaf.Subject),
		Issuer:             nameFromWire(issuer),
		NotBefore:          unixSeconds(leaf.NotBefore),
		NotAfter:           unixSeconds(leaf.NotAfter),
		DNSNames:           certs.DNSNames(leaf.AllDomains, leaf.Subject.CN),
		IsCA:               leaf.IsCA || leaf.Extensions.BasicConstraints == "CA:TRUE",
		SignatureAlgorithm: leaf.SignatureAlgorithm,
		Log:                e.Log,
		Index:              e.Index,
		SeenAt:             e.Timestamp,
	}
}

func nameFromWire(n wireName) certs.Name {
	return certs.Name{CN: n.CN, O: n.O, OU: n.OU, C: n.C, L: n.L, ST: n.ST}
}

// batch groups items into batches of up to BatchSize, flushing a partial batch after
// FlushInterval, and sends them to out until ctx ends.
func (c *Client) batch(ctx context.Context, items <-chan item, out chan<- source.Batch) {
	t := time.NewTicker(c.opts.FlushInterval)
	defer t.Stop()
	b := source.Batch{Source: c.ref}
	flush := func() bool {
		if len(b.Entries) == 0 && len(b.Malformed) == 0 {
			return true
		}
		select {
		case out <- b:
			c.processed.Add(int64(len(b.Entries)))
			b = source.Batch{Source: c.ref}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-items:
			if it.malformed != nil {
				b.Malformed = append(b.Malformed, *it.malformed)
			} else {
				b.Entries = append(b.Entries, it.entry)
			}
			if len(b.Entries)+len(b.Malformed) >= c.opts.BatchSize && !flush() {
				return
			}
		case <-t.C:
			if !flush() {
				return
			}
		}
	}
}

func (c *Client) recordError(err error) {
	if err == nil {
		return
	}
	c.errs.Add(1)
	c.mu.Lock()
	c.lastError = redact.Text(err.Error(), c.opts.URL)
	c.mu.Unlock()
}

// backoff is internal/backoff's schedule: each wait is drawn from the upper half of the
// current step, so reconnecting clients spread out without ever retrying at once.
type backoff struct {
	min, max time.Duration
	b        bo.Backoff
}

func (b *backoff) next() time.Duration {
	b.b.Min, b.b.Max = b.min, b.max
	return b.b.Next()
}

func (b *backoff) reset() { b.b.Reset() }

var _ source.Source = (*Client)(nil)
