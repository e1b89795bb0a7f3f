package intel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certhunt/certhunt/internal/backoff"
	"github.com/certhunt/certhunt/internal/detect"
)

// Defaults for the optional parts of a FeedConfig.
const (
	DefaultRefresh  = time.Hour
	DefaultWeight   = 80
	DefaultMaxBytes = 256 << 20
	// firstRetry is the wait after a first failure; it doubles per failure up to Refresh.
	firstRetry = 30 * time.Second
)

// FeedConfig is one feed of the intel.feeds configuration.
type FeedConfig struct {
	// Name identifies the feed in hits, status and metrics; unique.
	Name string
	// URL (http or https) or File (a local path; for misp a directory) is where the feed is
	// read from; exactly one is set. For taxii, URL is the collection's objects endpoint; for
	// misp it is the feed's base URL (or its manifest.json).
	URL, File string
	// Format is one of Formats.
	Format string
	// Refresh is how often the feed is re-read (DefaultRefresh when zero).
	Refresh time.Duration
	// Weight is the points a hit on this feed adds to an alert's score (DefaultWeight when zero).
	Weight int
	// Username and Password (basic auth) or Token (bearer) authenticate HTTP requests.
	Username, Password, Token string
	// MaxBytes caps one refresh's download, after decompression (DefaultMaxBytes when zero).
	MaxBytes int64
}

// Options are the Manager's collaborators.
type Options struct {
	// DataDir keeps each feed's last good copy (under DataDir/intel) so a restart without
	// network still has indicators. Empty: nothing is kept.
	DataDir string
	// HTTPClient fetches feeds; a client with a 2-minute timeout when nil.
	HTTPClient *http.Client
	// Logger receives refresh outcomes; discarded when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// FeedStatus is one feed's state, as GET /api/v1/intel/feeds shows it. Counters only grow,
// so they can be exported as Prometheus counters.
type FeedStatus struct {
	Name       string `json:"name"`
	Format     string `json:"format"`
	Indicators int    `json:"indicators"`
	// LastRefresh is when the feed was last loaded or confirmed unchanged; null when never.
	LastRefresh *time.Time `json:"last_refresh"`
	// LastError is the last attempt's error, "" after a success.
	LastError string `json:"last_error"`
	// NextRefresh is when Run tries next; null when Run is not running.
	NextRefresh *time.Time `json:"next_refresh"`
	// Refreshes counts successful refreshes, NotModified those the source answered unchanged.
	Refreshes   uint64 `json:"refreshes"`
	NotModified uint64 `json:"not_modified"`
	Failures    uint64 `json:"failures"`
	// ConsecutiveFailures drives the retry backoff; 0 when the last attempt succeeded.
	ConsecutiveFailures int `json:"consecutive_failures"`
	// LastParse explains how the loaded indicators were counted.
	LastParse parseStats `json:"last_parse"`
}

// Manager loads threat-intel feeds, keeps them fresh, and looks names up in them. Lookup is
// safe for concurrent use and never blocks: each feed's indicators are an immutable set
// swapped atomically when a refresh succeeds.
type Manager struct {
	feeds  []*feed
	byName map[string]*feed
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	cache  string // directory of last good copies; "" when none are kept

	mu       sync.Mutex
	onUpdate []func(feed string, added []string)
}

type feed struct {
	cfg FeedConfig
	set atomic.Pointer[indicatorSet]

	refreshing sync.Mutex // one refresh of a feed at a time

	mu     sync.Mutex // guards status and state
	status FeedStatus
	state  fetchState
}

// fetchState is what a refresh remembers for the next one's conditional request.
type fetchState struct {
	ETag         string
	LastModified string
	AddedAfter   string // TAXII: X-TAXII-Date-Added-Last of the last page read
	FileModTime  time.Time
	FileSize     int64
}

// NewManager checks the feed configuration and loads each feed's last good copy from
// opts.DataDir, so lookups work before Run's first refresh completes.
func NewManager(feeds []FeedConfig, opts Options) (*Manager, error) {
	m := &Manager{
		byName: make(map[string]*feed, len(feeds)),
		client: opts.HTTPClient,
		log:    opts.Logger,
		now:    opts.Now,
	}
	if m.client == nil {
		m.client = &http.Client{Timeout: 2 * time.Minute}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	if opts.DataDir != "" {
		m.cache = cacheDir(opts.DataDir)
	}
	checked, err := checkFeeds(feeds, func(i int, name string) string {
		if name == "" {
			return fmt.Sprintf("intel feed #%d: ", i+1)
		}
		return fmt.Sprintf("intel feed %q: ", name)
	})
	if err != nil {
		return nil, err
	}
	for _, cfg := range checked {
		f := &feed{cfg: cfg, status: FeedStatus{Name: cfg.Name, Format: cfg.Format}}
		m.feeds = append(m.feeds, f)
		m.byName[cfg.Name] = f
	}
	for _, f := range m.feeds {
		m.loadLastGood(f)
	}
	return m, nil
}

// unjoin splits an errors.Join result so each problem can carry the feed's name.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// CheckFeeds validates feed configurations exactly as NewManager does, without building
// anything, so that "config check" accepts what serve accepts. Errors start with
// "feeds[i].field".
func CheckFeeds(feeds []FeedConfig) error {
	_, err := checkFeeds(feeds, func(i int, _ string) string { return fmt.Sprintf("feeds[%d].", i) })
	return err
}

// checkFeeds is the one set of rules; prefix names feed i in its errors. It returns the feeds
// with their defaults filled in (checkFeed).
func checkFeeds(feeds []FeedConfig, prefix func(i int, name string) string) ([]FeedConfig, error) {
	var problems []error
	seen := map[string]bool{}
	checked := make([]FeedConfig, len(feeds))
	for i, cfg := range feeds {
		cfg, err := checkFeed(cfg)
		checked[i] = cfg
		if err == nil && seen[cfg.Name] {
			err = errors.New("name: used by another feed")
		}
		seen[cfg.Name] = true
		for _, e := range unjoin(err) {
			if e != nil {
				problems = append(problems, fmt.Errorf("%s%w", prefix(i, cfg.Name), e))
			}
		}
	}
	return checked, errors.Join(problems...)
}

// checkFeed validates one feed and fills in defaults; errors name the field.
func checkFeed(c FeedConfig) (FeedConfig, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(c.Name) == "" {
		bad("name", "must be set")
	}
	if !slices.Contains(Formats, c.Format) {
		bad("format", "%q is not one of %s", c.Format, strings.Join(Formats, ", "))
	}
	switch {
	case (c.URL == "") == (c.File == ""):
		bad("url", "set exactly one of url and file")
	case c.URL != "":
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("url", "%q is not an http(s) URL", redactURL(c.URL))
		}
	case c.Format == FormatTAXII:
		bad("file", "a taxii feed is read from a TAXII server: set url")
	}
	if c.Refresh < 0 {
		bad("refresh", "%s is negative", c.Refresh)
	}
	if c.Weight < 0 || c.Weight > 100 {
		bad("weight", "%d is not between 0 and 100", c.Weight)
	}
	if c.MaxBytes < 0 {
		bad("max_bytes", "%d is negative", c.MaxBytes)
	}
	if c.Token != "" && (c.Username != "" || c.Password != "") {
		bad("token", "set either token or username/password, not both")
	}
	if c.File != "" && (c.Token != "" || c.Username != "" || c.Password != "") {
		bad("file", "a file feed takes no token, username or password (they are for url feeds)")
	}
	if c.Refresh == 0 {
		c.Refresh = DefaultRefresh
	}
	if c.Weight == 0 {
		c.Weight = DefaultWeight
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	return c, errors.Join(errs...)
}

var _ detect.Intel = (*Manager)(nil)

// Lookup returns one hit per feed that lists name or one of its parents, the most specific
// listed name winning. name must be lowercase ASCII (punycode) with any "*." stripped, as
// detect.Intel specifies. Public suffixes are never loaded as indicators, so walking every
// parent is the same as stopping above the public suffix, without the suffix-list lookup.
func (m *Manager) Lookup(name string) []detect.IntelHit {
	name = strings.TrimSuffix(name, ".")
	var hits []detect.IntelHit
	for _, f := range m.feeds {
		s := f.set.Load()
		if s.len() == 0 {
			continue
		}
		for n := name; strings.IndexByte(n, '.') > 0; {
			if e, ok := s.find(n); ok {
				// The copy keeps a long-lived hit from pinning the whole set's arena.
				hit := detect.IntelHit{Feed: f.cfg.Name, Indicator: strings.Clone(e.indicator), ThreatType: e.threatType, Weight: f.cfg.Weight}
				if e.firstSeen != 0 {
					hit.FirstSeen = time.Unix(e.firstSeen, 0).UTC()
				}
				hits = append(hits, hit)
				break
			}
			n = n[strings.IndexByte(n, '.')+1:]
		}
	}
	return hits
}

// OnUpdate registers fn to run after a refresh changes a feed, with the indicator host names
// the feed did not list before (all of them on a feed's first load; none for the last good
// copy read at start). fn runs on the refreshing goroutine, after the new set is in place,
// while that feed's refreshes are held: it should return quickly and must not call Refresh.
func (m *Manager) OnUpdate(fn func(feed string, added []string)) {
	m.mu.Lock()
	m.onUpdate = append(m.onUpdate, fn)
	m.mu.Unlock()
}

// Status returns every feed's status, in configuration order.
func (m *Manager) Status() []FeedStatus {
	out := make([]FeedStatus, 0, len(m.feeds))
	for _, f := range m.feeds {
		f.mu.Lock()
		st := f.status
		f.mu.Unlock()
		st.Indicators = f.set.Load().len()
		out = append(out, st)
	}
	return out
}

// Run refreshes every feed on its interval until ctx ends. A feed whose last good copy is
// fresh waits out the rest of its interval; a failed refresh is retried after 30s, doubling
// per consecutive failure up to the feed's interval.
func (m *Manager) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, f := range m.feeds {
		wg.Go(func() { m.follow(ctx, f) })
	}
	wg.Wait()
}

func (m *Manager) follow(ctx context.Context, f *feed) {
	next := m.now()
	f.mu.Lock()
	if f.status.LastRefresh != nil {
		next = f.status.LastRefresh.Add(f.cfg.Refresh)
	}
	f.mu.Unlock()
	defer f.setNext(time.Time{})
	for {
		f.setNext(next)
		timer := time.NewTimer(next.Sub(m.now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		err := m.refresh(ctx, f)
		if ctx.Err() != nil {
			return
		}
		f.mu.Lock()
		if err == nil {
			next = f.status.LastRefresh.Add(f.cfg.Refresh)
		} else {
			next = m.now().Add(retryAfter(f.status.ConsecutiveFailures, f.cfg.Refresh))
		}
		f.mu.Unlock()
	}
}

// retryAfter is the wait after n consecutive failures: internal/backoff's schedule from
// firstRetry up to the feed's refresh interval, so feeds that failed together do not retry together.
func retryAfter(n int, refresh time.Duration) time.Duration {
	return backoff.Jitter(backoff.Step(min(firstRetry, refresh), refresh, n))
}

func (f *feed) setNext(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.IsZero() {
		f.status.NextRefresh = nil
		return
	}
	f.status.NextRefresh = &t
}

// Refresh reads the named feed now. On any error the loaded indicators stay as they were and
// the error is kept in the feed's status.
func (m *Manager) Refresh(ctx context.Context, name string) error {
	f := m.byName[name]
	if f == nil {
		return fmt.Errorf("intel: no feed named %q", name)
	}
	return m.refresh(ctx, f)
}

func (m *Manager) refresh(ctx context.Context, f *feed) error {
	f.refreshing.Lock()
	defer f.refreshing.Unlock()
	f.mu.Lock()
	state := f.state
	f.mu.Unlock()
	prev := f.set.Load()
	started := m.now()
	res, err := m.fetch(ctx, f, state, prev)
	now := m.now()
	if err != nil {
		f.mu.Lock()
		f.status.Failures++
		f.status.ConsecutiveFailures++
		f.status.LastError = err.Error()
		f.mu.Unlock()
		m.log.Warn("intel feed refresh failed", "feed", f.cfg.Name, "format", f.cfg.Format, "err", err)
		return fmt.Errorf("intel feed %q: %w", f.cfg.Name, err)
	}
	var added []string
	var listeners []func(string, []string)
	if res.set != nil {
		m.mu.Lock()
		listeners = slices.Clone(m.onUpdate)
		m.mu.Unlock()
		if len(listeners) > 0 {
			added = newHosts(prev, res.set)
		}
		if err := m.saveLastGood(f, res, now); err != nil {
			m.log.Warn("intel feed: keeping the last good copy failed", "feed", f.cfg.Name, "err", err)
		}
		f.set.Store(res.set)
		m.log.Info("intel feed loaded", "feed", f.cfg.Name, "indicators", res.set.len(), "records", res.stats.Records,
			"invalid", res.stats.Invalid, "took", now.Sub(started))
	}
	f.mu.Lock()
	f.state = res.state
	f.status.LastRefresh = &now
	f.status.LastError = ""
	f.status.ConsecutiveFailures = 0
	if res.set == nil {
		f.status.NotModified++
	} else {
		f.status.Refreshes++
		f.status.LastParse = res.stats
	}
	f.mu.Unlock()
	if len(added) > 0 {
		for _, fn := range listeners {
			fn(f.cfg.Name, added)
		}
	}
	return nil
}

// newHosts lists the hosts in next that prev lacks.
func newHosts(prev, next *indicatorSet) []string {
	var added []string
	for h := range next.all() {
		if prev != nil {
			if _, ok := prev.find(h); ok {
				continue
			}
		}
		added = append(added, strings.Clone(h))
	}
	slices.Sort(added)
	return added
}

// fetchResult is one successful refresh: a new set, or nil when the source is unchanged.
type fetchResult struct {
	set   *indicatorSet
	state fetchState
	stats parseStats
}

func (m *Manager) fetch(ctx context.Context, f *feed, state fetchState, prev *indicatorSet) (fetchResult, error) {
	if prev == nil {
		state = fetchState{} // nothing to be unchanged from
	}
	allowance := &budget{limit: f.cfg.MaxBytes}
	switch f.cfg.Format {
	case FormatTAXII:
		return m.fetchTAXII(ctx, f, state, prev, allowance)
	case FormatMISP:
		return m.fetchMISP(ctx, f, state, prev, allowance)
	}
	doc, err := m.open(ctx, f, f.cfg.URL+f.cfg.File, state, allowance)
	if err != nil || doc.body == nil {
		return fetchResult{state: doc.state}, err
	}
	defer doc.body.Close()
	b := newBuilder()
	if err := parseDocument(f.cfg.Format, doc.body, b, m.now()); err != nil {
		return fetchResult{}, err
	}
	if err := finish(doc.body, b); err != nil {
		return fetchResult{}, err
	}
	return b.result(doc.state)
}

func parseDocument(format string, r io.Reader, b *builder, now time.Time) error {
	switch format {
	case FormatDomains:
		return parseDomains(r, b)
	case FormatURLs:
		return parseURLs(r, b)
	case FormatPhishTank:
		return parseCSV(r, b, phishtankLayout)
	case FormatURLhaus:
		return parseCSV(r, b, urlhausLayout)
	case FormatThreatFox:
		return parseCSV(r, b, threatfoxLayout)
	case FormatSTIX:
		return parseSTIXBundle(r, b, now)
	}
	return fmt.Errorf("format %q has no document parser", format)
}

// finish rejects a document that held nothing, or mostly things that are not host names.
func finish(doc *document, b *builder) error {
	if doc.read() == 0 {
		return errors.New("empty document")
	}
	return checkStats(b.stats)
}

// checkStats rejects a parse whose records are mostly not host names: what a login page, an
// error page or a corrupted download looks like.
func checkStats(s parseStats) error {
	if s.Invalid > 0 && s.Invalid*2 > s.Records {
		return fmt.Errorf("%d of %d records hold no usable host name: corrupt, or not this format", s.Invalid, s.Records)
	}
	return nil
}
