package incident

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sev "github.com/certhunt/certhunt/internal/severity"
)

// Campaigns: incidents that share infrastructure (SPEC.md "Enrichment"), grouped as the
// connected components of the graph whose edges are shared values (links.go).
//
// Which shared values link two incidents is what makes the grouping trustworthy:
//   - a certificate always links: one certificate naming several lookalikes was requested by
//     one subscriber, who proved control of every name in it;
//   - a key, an address, a name-server set or a registrar with a creation day links, unless
//     the value is common: held by more than CommonAbove incidents of more than one asset. A
//     CDN's or hoster's address, a registrar's default name servers or a busy registrar's day
//     is shared by unrelated incidents of every brand; a campaign against one brand stays
//     whole however large it grows, since its incidents all share that one asset;
//   - a registrar with a creation day is the weakest of these (a big registrar registers
//     thousands of names a day, some of them lookalikes of one brand by unrelated people): it
//     is common above CommonAbove incidents whatever their assets. A bulk registration by one
//     actor usually shares addresses or name servers too, which still link it;
//   - an issuer never links (Let's Encrypt alone would join nearly everything); it is listed
//     with the campaign's shared values as context.
//
// Parked domains contribute no addresses or name servers (they are the parking service's).

// CommonAbove is how many incidents of more than one asset (of any, for a registration) may
// share a value before it is taken for a provider's and no longer links them.
const CommonAbove = 10

// campaignPrefix starts every campaign ID, so one is never taken for an incident ID.
const campaignPrefix = "c"

// Campaign is one group of incidents sharing infrastructure.
type Campaign struct {
	// ID is "c" followed by the campaign's oldest incident's ID: stable while the campaign
	// grows, and when two campaigns merge the older one's ID is kept.
	ID string `json:"id"`
	// Size counts the incidents; Open those not closed.
	Size int `json:"size"`
	Open int `json:"open"`
	// Status counts the incidents per status.
	Status map[string]int `json:"status"`
	// Severity is the highest of the incidents' severities.
	Severity string `json:"severity"`
	// Assets are the protected domains the incidents imitate, sorted.
	Assets []string `json:"assets"`
	// Shared are the values at least two of the incidents show, those that link first.
	Shared    []Shared  `json:"shared"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Incidents summarises the members, oldest first; only Campaign (one) fills it.
	Incidents []CampaignIncident `json:"incidents,omitempty"`

	members []int64
	newest  int64
}

// Shared is one value several incidents of a campaign show.
type Shared struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Count is how many of the campaign's incidents show it.
	Count int `json:"count"`
	// Links says whether it joined incidents; false for an issuer and for a common value.
	Links bool `json:"links"`
	// Common: held by more than CommonAbove incidents of several assets, so ignored.
	Common bool `json:"common,omitempty"`
}

// CampaignIncident is one member in a campaign's list.
type CampaignIncident struct {
	ID            string    `json:"id"`
	Asset         string    `json:"asset"`
	Domain        string    `json:"domain"`
	DomainUnicode string    `json:"domain_unicode"`
	Status        string    `json:"status"`
	Verdict       string    `json:"verdict"`
	Severity      string    `json:"severity"`
	Score         int       `json:"score"`
	CreatedAt     time.Time `json:"created_at"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
}

// CampaignFilter selects campaigns: Status (comma-separated) keeps those with an incident in
// one of the statuses, Asset those imitating that asset; Limit bounds the answer (default 50).
type CampaignFilter struct {
	Status, Asset string
	Limit         int
}

// grouping is the graph's components, computed from infra_links and cached until the table
// changes.
type grouping struct {
	// fingerprint is infra_links' count, max(seq) and sum(seq): a delete and an insert in one
	// transaction keep the count, and on PostgreSQL a transaction that commits late may hold
	// a seq below the max already seen; the sum moves all the same.
	fingerprint [3]int64
	of          map[int64]string // incident → campaign ID
	campaigns   map[string]*groupCampaign
}

type groupCampaign struct {
	members []int64 // sorted
	shared  []Shared
}

// campaignCache is the Store's cached grouping.
type campaignCache struct {
	mu sync.Mutex
	g  *grouping
}

// group returns the current grouping, recomputing it when infra_links changed: its row count
// and seqs are read each time (other processes sharing a PostgreSQL database write
// links too), the grouping only when they moved.
func (s *Store) group(ctx context.Context) (*grouping, error) {
	s.campaigns.mu.Lock()
	defer s.campaigns.mu.Unlock()
	var fp [3]int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(seq), 0), CAST(coalesce(sum(seq), 0) AS BIGINT) FROM infra_links`).Scan(&fp[0], &fp[1], &fp[2]); err != nil {
		return nil, err
	}
	if g := s.campaigns.g; g != nil && g.fingerprint == fp {
		return g, nil
	}
	g, err := s.computeGrouping(ctx)
	if err != nil {
		return nil, err
	}
	g.fingerprint = fp
	s.campaigns.g = g
	return g, nil
}

// computeGrouping reads the values held by two or more incidents (the others link nothing)
// and joins incidents with union-find.
func (s *Store) computeGrouping(ctx context.Context) (*grouping, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.kind, l.value, l.incident_id, i.asset FROM infra_links l
		JOIN incidents i ON i.id = l.incident_id
		WHERE (l.kind, l.value) IN (SELECT kind, value FROM infra_links GROUP BY kind, value HAVING count(*) > 1)
		ORDER BY l.kind, l.value, l.incident_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type value struct {
		link
		incidents []int64
		assets    map[string]bool
	}
	var values []*value
	for rows.Next() {
		var l link
		var id int64
		var asset string
		if err := rows.Scan(&l.kind, &l.value, &id, &asset); err != nil {
			return nil, err
		}
		if n := len(values); n == 0 || values[n-1].link != l {
			values = append(values, &value{link: l, assets: map[string]bool{}})
		}
		v := values[len(values)-1]
		v.incidents = append(v.incidents, id)
		v.assets[asset] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	uf := unionFind{}
	common := func(v *value) bool {
		return len(v.incidents) > CommonAbove && (len(v.assets) > 1 || v.kind == LinkRegistration)
	}
	linking := func(v *value) bool {
		switch v.kind {
		case LinkIssuer:
			return false
		case LinkCert:
			return true
		}
		return !common(v)
	}
	for _, v := range values {
		if linking(v) {
			for _, id := range v.incidents[1:] {
				uf.union(v.incidents[0], id)
			}
		}
	}
	g := &grouping{of: map[int64]string{}, campaigns: map[string]*groupCampaign{}}
	for id := range uf.parent {
		root := uf.find(id)
		cid := campaignPrefix + strconv.FormatInt(root, 10)
		c := g.campaigns[cid]
		if c == nil {
			c = &groupCampaign{}
			g.campaigns[cid] = c
		}
		c.members = append(c.members, id)
		g.of[id] = cid
	}
	for _, c := range g.campaigns {
		slices.Sort(c.members)
	}
	// Each value shared inside a campaign, counted within it.
	for _, v := range values {
		counts := map[string]int{}
		for _, id := range v.incidents {
			if cid, ok := g.of[id]; ok {
				counts[cid]++
			}
		}
		for cid, n := range counts {
			if n < 2 {
				continue
			}
			c := g.campaigns[cid]
			c.shared = append(c.shared, Shared{Kind: v.kind, Value: v.value, Count: n, Links: linking(v), Common: common(v)})
		}
	}
	for _, c := range g.campaigns {
		slices.SortFunc(c.shared, func(a, b Shared) int {
			if a.Links != b.Links {
				if a.Links {
					return -1
				}
				return 1
			}
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), strings.Compare(a.Value, b.Value))
		})
	}
	return g, nil
}

// kindOrder lists the most telling kinds first.
func kindOrder(kind string) int {
	return slices.Index([]string{LinkCert, LinkKey, LinkIP, LinkNS, LinkRegistration, LinkIssuer}, kind)
}

// unionFind joins incident IDs; the root of a component is its smallest ID (the oldest).
type unionFind struct{ parent map[int64]int64 }

func (u *unionFind) find(x int64) int64 {
	if u.parent == nil {
		u.parent = map[int64]int64{}
	}
	if _, ok := u.parent[x]; !ok {
		u.parent[x] = x
	}
	for u.parent[x] != x { // path halving
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *unionFind) union(a, b int64) {
	ra, rb := u.find(a), u.find(b)
	switch {
	case ra < rb:
		u.parent[rb] = ra
	case rb < ra:
		u.parent[ra] = rb
	}
}

// CampaignOf returns the campaign ID of each of the given incidents that belongs to one.
func (s *Store) CampaignOf(ctx context.Context, ids ...string) (map[string]string, error) {
	g, err := s.group(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, id := range ids {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			if cid, ok := g.of[n]; ok {
				out[id] = cid
			}
		}
	}
	return out, nil
}

// Campaigns lists campaigns, the one with the newest incident first, without their incident
// lists.
func (s *Store) Campaigns(ctx context.Context, f CampaignFilter) ([]Campaign, error) {
	if err := (Filter{Status: f.Status, Asset: f.Asset}).Validate(); err != nil {
		return nil, err
	}
	g, err := s.group(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for id := range g.of {
		ids = append(ids, id)
	}
	members, err := s.campaignMembers(ctx, ids)
	if err != nil {
		return nil, err
	}
	statuses := map[string]bool{}
	for v := range strings.SplitSeq(f.Status, ",") {
		if v = strings.TrimSpace(v); v != "" {
			statuses[v] = true
		}
	}
	out := []Campaign{}
	for cid, gc := range g.campaigns {
		c := summarise(cid, gc, members)
		if c.Size < 2 {
			continue // a member vanished between the two reads
		}
		if len(statuses) > 0 && !slices.ContainsFunc(c.statuses(), func(st string) bool { return statuses[st] }) {
			continue
		}
		if f.Asset != "" && !slices.Contains(c.Assets, f.Asset) {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Campaign) int { return cmp.Compare(b.newest, a.newest) })
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (c Campaign) statuses() []string {
	var out []string
	for st, n := range c.Status {
		if n > 0 {
			out = append(out, st)
		}
	}
	return out
}

// ErrCampaignNotFound is returned for an ID that names no campaign.
var ErrCampaignNotFound = errors.New("campaign not found")

// Campaign returns one campaign with its incidents. The ID of a campaign that has since
// merged into an older one finds the older one (its ID names one of its incidents).
func (s *Store) Campaign(ctx context.Context, id string) (*Campaign, error) {
	num, ok := strings.CutPrefix(id, campaignPrefix)
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil {
		return nil, ErrCampaignNotFound
	}
	g, err := s.group(ctx)
	if err != nil {
		return nil, err
	}
	cid, ok := g.of[n]
	if !ok {
		return nil, ErrCampaignNotFound
	}
	gc := g.campaigns[cid]
	members, err := s.campaignMembers(ctx, gc.members)
	if err != nil {
		return nil, err
	}
	c := summarise(cid, gc, members)
	if c.Size < 2 {
		return nil, ErrCampaignNotFound
	}
	for _, m := range c.members {
		c.Incidents = append(c.Incidents, members[m])
	}
	return &c, nil
}

func summarise(cid string, gc *groupCampaign, members map[int64]CampaignIncident) Campaign {
	c := Campaign{ID: cid, Status: map[string]int{StatusNew: 0, StatusInvestigating: 0, StatusClosed: 0},
		Shared: gc.shared, Assets: []string{}}
	for _, id := range gc.members {
		m, ok := members[id]
		if !ok {
			continue
		}
		c.members = append(c.members, id)
		c.Size++
		c.Status[m.Status]++
		if m.Status != StatusClosed {
			c.Open++
		}
		if sev.Rank(m.Severity) > sev.Rank(c.Severity) {
			c.Severity = m.Severity
		}
		if !slices.Contains(c.Assets, m.Asset) {
			c.Assets = append(c.Assets, m.Asset)
		}
		if c.FirstSeen.IsZero() || m.FirstSeen.Before(c.FirstSeen) {
			c.FirstSeen = m.FirstSeen
		}
		if m.LastSeen.After(c.LastSeen) {
			c.LastSeen = m.LastSeen
		}
		c.newest = max(c.newest, id)
	}
	slices.Sort(c.Assets)
	if c.Shared == nil {
		c.Shared = []Shared{}
	}
	return c
}

// campaignMembers reads the summaries of the given incidents, in chunks that keep each
// query's parameter list short.
func (s *Store) campaignMembers(ctx context.Context, ids []int64) (map[int64]CampaignIncident, error) {
	out := make(map[int64]CampaignIncident, len(ids))
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		ph := make([]string, len(part))
		args := make([]any, len(part))
		for i, id := range part {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, asset, domain, domain_unicode, status, verdict, severity, score,
			created_at, first_seen, last_seen FROM incidents WHERE id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var m CampaignIncident
			var id, created, first, last int64
			if err := rows.Scan(&id, &m.Asset, &m.Domain, &m.DomainUnicode, &m.Status, &m.Verdict, &m.Severity, &m.Score,
				&created, &first, &last); err != nil {
				rows.Close()
				return nil, err
			}
			m.ID = strconv.FormatInt(id, 10)
			m.CreatedAt, m.FirstSeen, m.LastSeen = fromNanos(created), fromNanos(first), fromNanos(last)
			out[id] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CloseCampaign closes every open incident of the campaign with verdict, through Update (so
// each change joins the incident's history with its author). The note is added to each
// incident's note, never replacing what an analyst wrote there. It returns the campaign
// after, and the IDs it closed.
func (s *Store) CloseCampaign(ctx context.Context, id, verdict, note, author string) (*Campaign, []string, error) {
	switch verdict {
	case VerdictTruePositive, VerdictFalsePositive, VerdictBenign:
	default:
		return nil, nil, fmt.Errorf("%w: verdict %q is not true_positive, false_positive or benign", ErrBadFilter, verdict)
	}
	if len(note) > 64<<10 {
		return nil, nil, fmt.Errorf("%w: note is longer than 64 KiB", ErrBadFilter)
	}
	c, err := s.Campaign(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	closed := []string{}
	status := StatusClosed
	for _, m := range c.Incidents {
		if m.Status == StatusClosed {
			continue
		}
		p := Patch{Status: &status, Verdict: &verdict, Author: author}
		if note != "" {
			var cur string // the note alone: Get would read every certificate too
			if err := s.db.QueryRowContext(ctx, `SELECT note FROM incidents WHERE id = $1`, m.ID).Scan(&cur); err != nil {
				return nil, closed, err
			}
			n := note
			if cur != "" {
				n = cur + "\n\n" + note
			}
			if len(n) <= 64<<10 {
				p.Note = &n
			}
		}
		if _, err := s.Update(ctx, m.ID, p); err != nil {
			return nil, closed, err
		}
		closed = append(closed, m.ID)
	}
	after, err := s.Campaign(ctx, c.ID)
	return after, closed, err
}
