package certstream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/certhunt/certhunt/internal/certs"
)

// latestSize is how many messages latest.json holds, as certstream servers do.
const latestSize = 25

// streamKind is one of the three feeds a client can subscribe to.
type streamKind int

const (
	streamLite streamKind = iota
	streamFull
	streamDomains
	streamKinds
)

func (k streamKind) String() string {
	switch k {
	case streamFull:
		return "full-stream"
	case streamDomains:
		return "domains-only"
	default:
		return "lite"
	}
}

// HubOptions configure the certstream server. Zero values take the defaults on each field.
type HubOptions struct {
	// Prefix is the path the feed is served under; default "/certstream", "/" for the root.
	// The lite stream is Prefix+"/" (and Prefix), the others Prefix+"/full-stream",
	// "/domains-only", "/example.json" and "/latest.json". A client may add ?domain=substring
	// to receive only certificates with a name containing it.
	Prefix string
	// Logger receives client connects and disconnects; default: discard.
	Logger *slog.Logger
	// QueueSize is how many messages may wait for one client; beyond it the client loses
	// messages. Default 1024.
	QueueSize int
	// MaxBehind is how long a client may keep losing messages (its queue never draining)
	// before it is disconnected. Default 30s.
	MaxBehind time.Duration
	// WriteTimeout bounds one write to a client; a client that accepts nothing for this long
	// is disconnected. Default 10s.
	WriteTimeout time.Duration
	// PingInterval is how often each client is pinged; one that does not answer within the
	// interval is dropped. Default 30s.
	PingInterval time.Duration
	// HeartbeatInterval is how often a heartbeat message is sent to each client. Default 10s:
	// the CaliDog client drops a connection after 15 s without a frame.
	HeartbeatInterval time.Duration
	// OriginPatterns lists the browser origins (host patterns) allowed besides the server's
	// own; non-browser clients send no Origin and are always accepted.
	OriginPatterns []string
}

// Hub fans the certificates certhunt ingests out to certstream websocket clients. Publish
// never blocks: each message is encoded once per stream kind and offered to each client's
// bounded queue.
type Hub struct {
	opts HubOptions
	log  *slog.Logger

	// clients is a copy-on-write snapshot so Publish reads it without locking.
	clients atomic.Pointer[[]*hubClient]
	mu      sync.Mutex // serialises changes to clients and to the latest ring

	latest    [latestSize]*certs.Cert
	latestPos int
	latestLen int

	chains chainCache

	published       atomic.Uint64
	sent            atomic.Uint64
	dropped         atomic.Uint64
	slowDisconnects atomic.Uint64

	closeOnce sync.Once
	closed    chan struct{}
}

// NewHub returns a hub with no clients.
func NewHub(opts HubOptions) *Hub {
	if opts.Prefix == "" {
		opts.Prefix = "/certstream"
	}
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	if opts.Prefix != "" && !strings.HasPrefix(opts.Prefix, "/") {
		opts.Prefix = "/" + opts.Prefix
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1024
	}
	if opts.MaxBehind <= 0 {
		opts.MaxBehind = 30 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 10 * time.Second
	}
	h := &Hub{opts: opts, log: opts.Logger, closed: make(chan struct{})}
	h.clients.Store(&[]*hubClient{})
	return h
}

// HubStats are the hub's counters for metrics.
type HubStats struct {
	Clients int
	// Published counts certificates given to Publish.
	Published uint64
	// Sent and Dropped count messages written to, and lost by, clients (summed over clients,
	// including ones since disconnected).
	Sent, Dropped uint64
	// SlowDisconnects counts clients dropped for falling behind, accepting nothing for
	// WriteTimeout, or not answering pings.
	SlowDisconnects uint64
	PerClient       []ClientStats
}

// ClientStats describe one connected client.
type ClientStats struct {
	Remote      string
	Stream      string
	Filter      string
	ConnectedAt time.Time
	Sent        uint64
	Dropped     uint64
	Queued      int
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	clients := *h.clients.Load()
	s := HubStats{
		Clients:         len(clients),
		Published:       h.published.Load(),
		Sent:            h.sent.Load(),
		Dropped:         h.dropped.Load(),
		SlowDisconnects: h.slowDisconnects.Load(),
		PerClient:       make([]ClientStats, 0, len(clients)),
	}
	for _, cl := range clients {
		s.PerClient = append(s.PerClient, ClientStats{
			Remote:      cl.remote,
			Stream:      cl.kind.String(),
			Filter:      cl.filter,
			ConnectedAt: cl.connectedAt,
			Sent:        cl.sent.Load(),
			Dropped:     cl.dropped.Load(),
			Queued:      len(cl.queue),
		})
	}
	return s
}

// Publish offers c to every client. It never blocks: a client whose queue is full loses the
// message, and nothing is encoded for it. The hub keeps c for latest.json, so the caller must
// not modify it afterwards.
func (h *Hub) Publish(c *certs.Cert) {
	if c == nil {
		return
	}
	h.published.Add(1)
	h.remember(c)
	var encoded [streamKinds][]byte
	for _, cl := range *h.clients.Load() {
		if !cl.wants(c) {
			continue
		}
		if len(cl.queue) == cap(cl.queue) {
			h.drop(cl)
			continue
		}
		msg := encoded[cl.kind]
		if msg == nil {
			var err error
			if msg, err = h.encode(c, cl.kind); err != nil {
				h.log.Error("certstream hub: cannot encode certificate", "sha256", c.SHA256, "err", err)
				return
			}
			encoded[cl.kind] = msg
		}
		select {
		case cl.queue <- msg:
		default:
			h.drop(cl)
		}
	}
}

// drop counts a message cl lost and lets cl go once it has been losing messages for longer
// than MaxBehind.
func (h *Hub) drop(cl *hubClient) {
	cl.dropped.Add(1)
	h.dropped.Add(1)
	now := time.Now().UnixNano()
	// One load: the writer may reset behindSince to 0 at any moment.
	since := cl.behindSince.Load()
	if since == 0 {
		cl.behindSince.CompareAndSwap(0, now)
		return
	}
	if now-since > int64(h.opts.MaxBehind) && cl.kick("fell behind") {
		h.slowDisconnects.Add(1)
	}
}

func (h *Hub) remember(c *certs.Cert) {
	h.mu.Lock()
	h.latest[h.latestPos] = c
	h.latestPos = (h.latestPos + 1) % latestSize
	h.latestLen = min(h.latestLen+1, latestSize)
	h.mu.Unlock()
}

// newest returns up to n remembered certificates, newest first.
func (h *Hub) newest(n int) []*certs.Cert {
	h.mu.Lock()
	defer h.mu.Unlock()
	n = min(n, h.latestLen)
	out := make([]*certs.Cert, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, h.latest[(h.latestPos-i+latestSize)%latestSize])
	}
	return out
}

// Close disconnects every client; later connections are refused.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closeOnce.Do(func() { close(h.closed) })
	h.mu.Unlock()
	for _, cl := range *h.clients.Load() {
		cl.kick("server shutting down")
	}
}

// Handler serves the feed. Its patterns include the prefix, so mount it on the main mux at
// Prefix+"/" (and Prefix for clients that omit the trailing slash).
func (h *Hub) Handler() http.Handler {
	p := h.opts.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"/{$}", h.serveStream(streamLite))
	if p != "" {
		mux.HandleFunc("GET "+p, h.serveStream(streamLite))
	}
	mux.HandleFunc("GET "+p+"/full-stream", h.serveStream(streamFull))
	mux.HandleFunc("GET "+p+"/domains-only", h.serveStream(streamDomains))
	mux.HandleFunc("GET "+p+"/example.json", h.serveExample)
	mux.HandleFunc("GET "+p+"/latest.json", h.serveLatest)
	return mux
}

func (h *Hub) serveExample(w http.ResponseWriter, r *http.Request) {
	newest := h.newest(1)
	if len(newest) == 0 {
		writeJSONError(w, http.StatusNotFound, "no certificate seen yet")
		return
	}
	msg, err := h.encode(newest[0], streamLite)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "cannot encode certificate")
		return
	}
	setJSONHeaders(w)
	w.Write(msg)
}

// serveLatest answers {"messages": [...]} with the newest messages first.
func (h *Hub) serveLatest(w http.ResponseWriter, r *http.Request) {
	newest := h.newest(latestSize)
	msgs := make([]json.RawMessage, 0, len(newest))
	for _, c := range newest {
		msg, err := h.encode(c, streamLite)
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "cannot encode certificate")
			return
		}
		msgs = append(msgs, msg)
	}
	setJSONHeaders(w)
	json.NewEncoder(w).Encode(struct {
		Messages []json.RawMessage `json:"messages"`
	}{msgs})
}

// setJSONHeaders keeps browsers from reading certificate text as anything but JSON.
func setJSONHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	setJSONHeaders(w)
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// hubClient is one websocket subscriber.
type hubClient struct {
	kind        streamKind
	filter      string // lowercase substring a name must contain; "" for all
	remote      string
	connectedAt time.Time
	queue       chan []byte

	sent, dropped atomic.Uint64
	// behindSince is when the client began losing messages (UnixNano), 0 while it keeps up.
	behindSince atomic.Int64
	// writingSince is when the write in progress began (UnixNano), 0 between writes.
	writingSince atomic.Int64

	kickOnce   sync.Once
	kicked     chan struct{}
	kickReason string
}

// wants reports whether c passes the client's domain filter.
func (cl *hubClient) wants(c *certs.Cert) bool {
	if cl.filter == "" {
		return true
	}
	for _, n := range c.DNSNames { // lowercase already, as certs.Cert keeps them
		if strings.Contains(n, cl.filter) {
			return true
		}
	}
	return false
}

// kick asks the client's writer to disconnect it; only the first reason counts, and kick
// reports whether it was the first.
func (cl *hubClient) kick(reason string) (first bool) {
	cl.kickOnce.Do(func() {
		cl.kickReason = reason
		close(cl.kicked)
		first = true
	})
	return first
}

// add registers cl; it reports false once the hub is closed.
func (h *Hub) add(cl *hubClient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.closed:
		return false
	default:
	}
	old := *h.clients.Load()
	next := make([]*hubClient, len(old), len(old)+1)
	copy(next, old)
	next = append(next, cl)
	h.clients.Store(&next)
	return true
}

func (h *Hub) remove(cl *hubClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.clients.Load()
	next := make([]*hubClient, 0, len(old))
	for _, o := range old {
		if o != cl {
			next = append(next, o)
		}
	}
	h.clients.Store(&next)
}

// serveStream upgrades to a websocket and writes the client's queue until it leaves, falls
// behind, stops answering pings, or the hub closes.
func (h *Hub) serveStream(kind streamKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-h.closed:
			http.Error(w, "certstream server closed", http.StatusServiceUnavailable)
			return
		default:
		}
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: h.opts.OriginPatterns})
		if err != nil {
			h.log.Debug("certstream hub: websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
			return
		}
		defer conn.CloseNow()
		cl := &hubClient{
			kind:        kind,
			filter:      strings.ToLower(r.URL.Query().Get("domain")),
			remote:      r.RemoteAddr,
			connectedAt: time.Now(),
			queue:       make(chan []byte, h.opts.QueueSize),
			kicked:      make(chan struct{}),
		}
		if !h.add(cl) {
			conn.Close(websocket.StatusGoingAway, "server shutting down")
			return
		}
		defer h.remove(cl)
		h.log.Info("certstream client connected", "remote", cl.remote, "stream", kind.String(), "filter", cl.filter)

		// CloseRead answers pings and pongs and ends ctx when the client goes away.
		ctx := conn.CloseRead(r.Context())
		go h.pingLoop(ctx, conn, cl)
		go h.watchdog(ctx, conn, cl)
		reason := h.writeLoop(ctx, conn, cl)
		h.log.Info("certstream client disconnected", "remote", cl.remote, "stream", kind.String(),
			"reason", reason, "sent", cl.sent.Load(), "dropped", cl.dropped.Load())
	}
}

func (h *Hub) pingLoop(ctx context.Context, conn *websocket.Conn, cl *hubClient) {
	t := time.NewTicker(h.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.kicked:
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, h.opts.PingInterval)
		err := conn.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			if cl.kick("ping unanswered") {
				h.slowDisconnects.Add(1)
			}
			return
		}
	}
}

// writeLoop returns why the client was let go. Writes carry no context deadline (that would
// cost a timer per message); watchdog bounds them instead.
func (h *Hub) writeLoop(ctx context.Context, conn *websocket.Conn, cl *hubClient) string {
	heartbeat := time.NewTicker(h.opts.HeartbeatInterval)
	defer heartbeat.Stop()
	for {
		var msg []byte
		isCert := false
		select {
		case <-ctx.Done():
			return "client closed"
		case <-cl.kicked:
			return cl.kickReason
		case <-heartbeat.C:
			msg = fmt.Appendf(nil, `{"message_type":"heartbeat","timestamp":%.3f}`, toUnixSeconds(time.Now()))
		case msg = <-cl.queue:
			isCert = true
		}
		cl.writingSince.Store(time.Now().UnixNano())
		err := conn.Write(context.Background(), websocket.MessageText, msg)
		cl.writingSince.Store(0)
		if err != nil {
			select {
			case <-cl.kicked:
				return cl.kickReason
			default:
				return "write failed: " + err.Error()
			}
		}
		if !isCert {
			continue
		}
		cl.sent.Add(1)
		h.sent.Add(1)
		if len(cl.queue) == 0 {
			cl.behindSince.Store(0)
		}
	}
}

// watchdog ends the connection of a kicked client, which also ends a write blocked on a
// client that reads nothing, and kicks a client that has accepted nothing for WriteTimeout.
func (h *Hub) watchdog(ctx context.Context, conn *websocket.Conn, cl *hubClient) {
	t := time.NewTicker(max(h.opts.WriteTimeout/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.kicked:
			conn.CloseNow()
			return
		case <-t.C:
		}
		if since := cl.writingSince.Load(); since != 0 && time.Now().UnixNano()-since > int64(h.opts.WriteTimeout) {
			if cl.kick("write timed out") {
				h.slowDisconnects.Add(1)
			}
		}
	}
}
