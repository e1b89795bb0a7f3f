package intel

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/certhunt/certhunt/internal/redact"
)

// taxiiMediaType is the TAXII 2.1 media type a client sends in Accept.
const taxiiMediaType = "application/taxii+json;version=2.1"

// maxTAXIIPages bounds one refresh of a TAXII collection, against a server that pages forever.
const maxTAXIIPages = 10000

// budget is a refresh's byte allowance, shared by every document it reads.
type budget struct {
	limit, used int64
}

// document is one fetched feed document: decompressed when it is gzip, and failing once the
// refresh's budget is spent, so a runaway download cannot exhaust memory.
type document struct {
	r      io.Reader
	closer io.Closer
	budget *budget
	n      int64
}

func newDocument(body io.ReadCloser, b *budget) (*document, error) {
	br := bufio.NewReader(body)
	d := &document{r: br, closer: body, budget: b}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			body.Close()
			return nil, fmt.Errorf("reading gzip: %w", err)
		}
		d.r = zr
	}
	return d, nil
}

func (d *document) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.n += int64(n)
	d.budget.used += int64(n)
	if d.budget.used > d.budget.limit {
		return n, fmt.Errorf("download exceeds max_bytes (%d bytes)", d.budget.limit)
	}
	return n, err
}

func (d *document) read() int64 { return d.n }

func (d *document) Close() error { return d.closer.Close() }

// opened is a document, or a nil body when the source is unchanged since state.
type opened struct {
	body  *document
	state fetchState
}

// open reads one document of feed f: loc is a URL for URL feeds and a path for file feeds.
// A conditional request (ETag, If-Modified-Since; or a file's size and modification time)
// lets an unchanged source skip the download and the parse.
func (m *Manager) open(ctx context.Context, f *feed, loc string, state fetchState, b *budget) (opened, error) {
	if f.cfg.URL == "" {
		return openFile(loc, state, b)
	}
	header := http.Header{}
	if state.ETag != "" {
		header.Set("If-None-Match", state.ETag)
	}
	if state.LastModified != "" {
		header.Set("If-Modified-Since", state.LastModified)
	}
	resp, err := m.get(ctx, f, loc, header)
	if err != nil {
		return opened{}, err
	}
	if resp.StatusCode == http.StatusNotModified && (state.ETag != "" || state.LastModified != "") {
		resp.Body.Close()
		return opened{state: state}, nil
	}
	if err := checkResponse(resp, loc); err != nil {
		resp.Body.Close()
		return opened{}, err
	}
	doc, err := newDocument(resp.Body, b)
	if err != nil {
		return opened{}, err
	}
	return opened{body: doc, state: fetchState{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}}, nil
}

func openFile(path string, state fetchState, b *budget) (opened, error) {
	info, err := os.Stat(path)
	if err != nil {
		return opened{}, err
	}
	if info.IsDir() {
		return opened{}, fmt.Errorf("%s is a directory", path)
	}
	now := fetchState{FileModTime: info.ModTime(), FileSize: info.Size()}
	if !state.FileModTime.IsZero() && state.FileModTime.Equal(now.FileModTime) && state.FileSize == now.FileSize {
		return opened{state: state}, nil
	}
	file, err := os.Open(path)
	if err != nil {
		return opened{}, err
	}
	doc, err := newDocument(file, b)
	if err != nil {
		return opened{}, fmt.Errorf("%s: %w", path, err)
	}
	return opened{body: doc, state: now}, nil
}

// get sends an authenticated GET. Errors name the server but not the URL's path or query,
// which often hold an API key (PhishTank's does) and end up in the status API.
func (m *Manager) get(ctx context.Context, f *feed, loc string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL %s", redactURL(loc))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "certhunt")
	switch {
	case f.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+f.cfg.Token)
	case f.cfg.Username != "":
		req.SetBasicAuth(f.cfg.Username, f.cfg.Password)
	}
	client := *m.client
	client.CheckRedirect = redirectPolicy(req.URL)
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, redact.Error(fmt.Errorf("GET %s: %w", redactURL(loc), err), loc)
	}
	return resp, nil
}

// redirectPolicy keeps a feed's credentials on the origin (scheme, host and port) they were
// configured for (net/http forwards them to another port of the same host), and refuses a
// redirect from a public address to a loopback, private or link-local one: a feed must not
// make certhunt read an internal service. The origin is resolved only when a redirect comes,
// not on every fetch.
func redirectPolicy(origin *url.URL) func(*http.Request, []*http.Request) error {
	resolved, originInternal := false, false
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if req.URL.Scheme != origin.Scheme || !strings.EqualFold(req.URL.Host, origin.Host) {
			req.Header.Del("Authorization")
			req.Header.Del("Cookie")
		}
		if !resolved {
			resolved, originInternal = true, internalHost(req.Context(), origin.Hostname())
		}
		if !originInternal && internalHost(req.Context(), req.URL.Hostname()) {
			return fmt.Errorf("redirect from %s to an internal address (%s) refused", redactURL(origin.String()), req.URL.Hostname())
		}
		return nil
	}
}

// internalHost says whether host is, or resolves to, a loopback, private, link-local or
// unspecified address. A name that does not resolve is not internal (the fetch then fails).
func internalHost(ctx context.Context, host string) bool {
	internal := func(ip net.IP) bool {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified()
	}
	if ip := net.ParseIP(host); ip != nil {
		return internal(ip)
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if internal(a.IP) {
			return true
		}
	}
	return false
}

// checkResponse refuses error statuses and HTML pages (a login or error page answering 200).
func checkResponse(resp *http.Response, loc string) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: HTTP %s", redactURL(loc), resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		return fmt.Errorf("GET %s: answered an HTML page, not a feed", redactURL(loc))
	}
	return nil
}

// redactURL keeps a URL's scheme and host only.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host
}

// fetchMISP reads a MISP feed: manifest.json (conditionally), then every event it lists.
func (m *Manager) fetchMISP(ctx context.Context, f *feed, state fetchState, prev *indicatorSet, b *budget) (fetchResult, error) {
	join := func(name string) string {
		if f.cfg.URL != "" {
			base := strings.TrimSuffix(strings.TrimSuffix(f.cfg.URL, "manifest.json"), "/")
			return base + "/" + name
		}
		dir := f.cfg.File
		if filepath.Base(dir) == "manifest.json" {
			dir = filepath.Dir(dir)
		}
		return filepath.Join(dir, name)
	}
	manifest, err := m.open(ctx, f, join("manifest.json"), state, b)
	if err != nil || manifest.body == nil {
		return fetchResult{state: manifest.state}, err
	}
	ids, err := parseMISPManifest(manifest.body)
	manifest.body.Close()
	if err != nil {
		return fetchResult{}, err
	}
	slices.Sort(ids)
	out := newBuilder()
	for _, id := range ids {
		ev, err := m.open(ctx, f, join(id+".json"), fetchState{}, b)
		if err != nil {
			return fetchResult{}, fmt.Errorf("MISP event %s: %w", id, err)
		}
		err = parseMISPEvent(ev.body, out, id)
		ev.body.Close()
		if err != nil {
			return fetchResult{}, err
		}
	}
	if err := checkStats(out.stats); err != nil {
		return fetchResult{}, err
	}
	return out.result(manifest.state)
}

// taxiiEnvelope is a TAXII 2.1 envelope, the answer of a collection's objects endpoint.
type taxiiEnvelope struct {
	More    bool         `json:"more"`
	Next    string       `json:"next"`
	Objects []stixObject `json:"objects"`
}

// fetchTAXII reads the objects a TAXII 2.1 collection gained since the last refresh
// (added_after), following the server's paging (next, or X-TAXII-Date-Added-Last), and adds
// them to the feed's set. A failure on any page discards the whole refresh.
func (m *Manager) fetchTAXII(ctx context.Context, f *feed, state fetchState, prev *indicatorSet, b *budget) (fetchResult, error) {
	base, err := url.Parse(f.cfg.URL)
	if err != nil {
		return fetchResult{}, fmt.Errorf("bad URL %s", redactURL(f.cfg.URL))
	}
	out := extendBuilder(prev)
	addedAfter, latest, next := state.AddedAfter, state.AddedAfter, ""
	objects := 0
	for page := 1; ; page++ {
		if page > maxTAXIIPages {
			return fetchResult{}, fmt.Errorf("TAXII collection still has more after %d pages", maxTAXIIPages)
		}
		u := *base
		q := u.Query()
		if addedAfter != "" {
			q.Set("added_after", addedAfter)
		}
		if next != "" {
			q.Set("next", next)
		}
		u.RawQuery = q.Encode()
		resp, err := m.get(ctx, f, u.String(), http.Header{"Accept": {taxiiMediaType}})
		if err != nil {
			return fetchResult{}, err
		}
		if err := checkResponse(resp, f.cfg.URL); err != nil {
			resp.Body.Close()
			return fetchResult{}, err
		}
		var env taxiiEnvelope
		doc, err := newDocument(resp.Body, b)
		if err == nil {
			err = decodeJSON(doc, &env)
			doc.Close()
		}
		if err != nil {
			return fetchResult{}, fmt.Errorf("TAXII page %d: %w", page, err)
		}
		addSTIXObjects(out, env.Objects, m.now())
		objects += len(env.Objects)
		if last := resp.Header.Get("X-TAXII-Date-Added-Last"); last != "" {
			latest = last
		}
		if !env.More {
			break
		}
		switch {
		case env.Next != "" && env.Next != next:
			next = env.Next
		case env.Next == "" && latest != addedAfter:
			addedAfter, next = latest, ""
		default:
			return fetchResult{}, fmt.Errorf("TAXII page %d says more but gives no new next or X-TAXII-Date-Added-Last", page)
		}
	}
	newState := fetchState{AddedAfter: latest}
	if objects == 0 && prev != nil {
		return fetchResult{state: newState}, nil
	}
	if err := checkStats(out.stats); err != nil {
		return fetchResult{}, err
	}
	return out.result(newState)
}
