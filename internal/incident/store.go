package incident

import (
	"context"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	sev "github.com/certhunt/certhunt/internal/severity"
	"github.com/certhunt/certhunt/internal/source"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the embedded database
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// ErrNotFound is returned for an unknown incident ID.
var ErrNotFound = errors.New("incident not found")

// ErrBadCursor is returned for a paging cursor List did not make.
var ErrBadCursor = errors.New("bad cursor")

// ErrBadFilter is returned by List for a filter Validate refuses.
var ErrBadFilter = errors.New("bad filter")

// Store keeps incidents in SQLite or PostgreSQL; both behave the same. All methods are safe
// for concurrent use, also from several processes sharing one PostgreSQL database. Record is
// idempotent: recording the same alert and certificate sighting again changes nothing.
type Store struct {
	db  *sql.DB
	d   dialect
	now func() time.Time
	// recording queues this process's Records of one incident before they reach the
	// database, whose locks (which still order several processes) are far slower to hand over.
	recording keyLocks

	// campaigns caches the grouping of incidents into campaigns (campaign.go).
	campaigns campaignCache

	// outbox: changes that notify are also written to the outbox table (SetOutbox, outbox.go).
	outbox bool

	malformedPruned  atomic.Int64 // unix ns of the last retention sweep
	malformedDropped atomic.Int64
}

// keyLocks is a mutex per key, held while waiting callers remain.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch      chan struct{} // holds a token while locked
	waiters int           // callers holding or waiting for it
}

// lock waits for key's lock, or for ctx to end. The returned function unlocks it.
func (k *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.m[key] = l
	}
	l.waiters++
	k.mu.Unlock()
	done := func() {
		k.mu.Lock()
		if l.waiters--; l.waiters == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// dialect is what differs between the two databases.
type dialect struct {
	name string
	// migrations is the folder of migrations/ holding this backend's schema.
	migrations string
	// forUpdate locks the rows a SELECT read inside a transaction (SQLite's transactions are
	// already exclusive: they begin with BEGIN IMMEDIATE).
	forUpdate string
	// least and greatest are the two-argument scalar min and max.
	least, greatest string
	// eventOrder orders an incident's events by insertion.
	eventOrder string
	// like is the case-insensitive LIKE operator (SQLite's LIKE already is, for ASCII).
	like string
	// tx is the options every transaction begins with.
	tx *sql.TxOptions
	// text makes strings storable: PostgreSQL rejects NUL bytes and invalid UTF-8 in TEXT.
	text func(string) string
}

var sqliteDialect = dialect{
	name: "sqlite", migrations: "sqlite", least: "min", greatest: "max", eventOrder: "at, rowid", like: "LIKE",
}

var postgresDialect = dialect{
	name: "postgres", migrations: "postgres", forUpdate: " FOR UPDATE", least: "LEAST", greatest: "GREATEST",
	eventOrder: "at, id", like: "ILIKE",
	// Record's SELECT ... FOR UPDATE after a conflicting INSERT must see the other transaction's
	// row, which READ COMMITTED guarantees whatever default_transaction_isolation says.
	tx: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	text: func(s string) string {
		return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	},
}

// args adapts query arguments to the database (see dialect.text).
func (d dialect) args(args []any) []any {
	if d.text == nil {
		return args
	}
	for i, a := range args {
		if v, ok := a.(string); ok {
			args[i] = d.text(v)
		}
	}
	return args
}

// Open opens the store a configuration names: the embedded SQLite database in dataDir when
// database is empty, else the PostgreSQL database at the postgres:// or postgresql:// URL.
func Open(ctx context.Context, dataDir, database string) (*Store, error) {
	switch {
	case database == "":
		return OpenSQLite(dataDir)
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return OpenPostgres(ctx, database)
	}
	return nil, fmt.Errorf("database: must be empty (SQLite) or a postgres:// URL")
}

// OpenSQLite opens (creating if needed) the database file in dataDir and applies migrations.
func OpenSQLite(dataDir string) (*Store, error) {
	path := filepath.Join(dataDir, "certhunt.db")
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One writer at a time is SQLite's rule; a small pool lets reads proceed beside it.
	db.SetMaxOpenConns(4)
	s := &Store{db: db, d: sqliteDialect, now: time.Now}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return s, nil
}

// privateFiles creates the database file readable by its owner only (SQLite gives its WAL and
// shared-memory files the database file's mode) and tightens files an older version left 0644:
// the database holds every incident and analyst note.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	return nil
}

// OpenPostgres connects to the PostgreSQL database at url (postgres://user:pass@host/db?...)
// and applies migrations. Tables are created in the connection's current schema, so a
// search_path parameter in the URL selects where certhunt lives.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	where := redact(cfg)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, d: postgresDialect, now: time.Now}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", where, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", where, err)
	}
	return s, nil
}

// redact names a PostgreSQL database for messages, without its password.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Backend returns "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// migrate applies, in one transaction, the migrations not applied yet. Each is recorded as
// migrations/NAME.sql whatever the backend, which is what databases made before PostgreSQL
// support hold. Concurrent openers wait for each other: SQLite's transaction is exclusive,
// PostgreSQL's takes an advisory lock for the current schema.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/"+s.d.migrations+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.d.name == "postgres" {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(1131568212, hashtext(coalesce(current_schema(), '')))`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	for _, file := range names {
		name := "migrations/" + path.Base(file)
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			continue
		}
		body, _ := migrations.ReadFile(file)
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Change says what Record did.
type Change struct {
	// Incident is the incident after Record, with only the certificate just recorded (and
	// that sighting) in Certificates, so that Record's cost does not grow with the incident;
	// Get returns them all.
	Incident Incident
	// Created: a new incident was opened. Raised: an existing one's severity went up.
	// NewSighting: the (log, index) entry was not known yet.
	Created, Raised, NewSighting bool
}

// Record opens or joins the incident for alert a, and attaches certificate c with its log
// sighting. A better score replaces the incident's score, reasons and matched domain.
func (s *Store) Record(ctx context.Context, a detect.Alert, c *certs.Cert) (Change, error) {
	var ch Change
	now := s.now().UTC()
	seen := c.SeenAt
	if seen.IsZero() {
		seen = now
	}
	unlock, err := s.recording.lock(ctx, a.Asset+"\x00"+a.RegisteredDomain)
	if err != nil {
		return ch, err
	}
	defer unlock()
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return ch, err
	}
	defer tx.Rollback()

	// The incident's row is locked for the rest of the transaction, so that concurrent
	// Records of one (asset, registered domain) apply one after the other. When it does not
	// exist yet, INSERT ... ON CONFLICT DO NOTHING waits for any transaction inserting it at
	// the same moment: if that one wins, the row is read (and locked) once it has committed.
	// (On SQLite every write transaction is exclusive from its BEGIN IMMEDIATE.)
	id, score, severity, err := s.lookup(ctx, tx, a.Asset, a.RegisteredDomain)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `INSERT INTO incidents
			(asset, registered_domain, domain, domain_unicode, severity, score, matched, reasons, intel_hits,
			 created_at, updated_at, first_seen, last_seen)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10,$11,$11)
			ON CONFLICT (asset, registered_domain) DO NOTHING RETURNING id`,
			s.d.args([]any{a.Asset, a.RegisteredDomain, a.Domain, a.DomainUnicode, a.Severity, a.Score,
				mustJSON(a.Matched), mustJSON(nonNil(a.Reasons)), mustJSON(nonNil(a.IntelHits)), now.UnixNano(), seen.UnixNano()})...).Scan(&id)
		switch {
		case err == nil:
			ch.Created = true
		case errors.Is(err, sql.ErrNoRows): // another transaction created it meanwhile
			id, score, severity, err = s.lookup(ctx, tx, a.Asset, a.RegisteredDomain)
		}
	}
	switch {
	case err != nil:
		return ch, err
	case !ch.Created && a.Score > score:
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET domain=$1, domain_unicode=$2, severity=$3, score=$4,
			matched=$5, reasons=$6, intel_hits=$7, updated_at=$8 WHERE id=$9`,
			s.d.args([]any{a.Domain, a.DomainUnicode, a.Severity, a.Score, mustJSON(a.Matched), mustJSON(nonNil(a.Reasons)),
				mustJSON(nonNil(a.IntelHits)), now.UnixNano(), id})...); err != nil {
			return ch, err
		}
		ch.Raised = sev.Rank(a.Severity) > sev.Rank(severity)
	}

	details := certDetails(c)
	key := certKey(c)
	res, err := tx.ExecContext(ctx, `INSERT INTO certificates (incident_id, sha256, details, der, added_at)
		VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`, s.d.args([]any{id, key, mustJSON(details), c.DER, now.UnixNano()})...)
	if err != nil {
		return ch, err
	}
	if n, _ := res.RowsAffected(); n > 0 { // a certificate new to the incident: its campaign links
		if err := s.addLinks(ctx, tx, id, certLinks(c)); err != nil {
			return ch, err
		}
	}
	res, err = tx.ExecContext(ctx, `INSERT INTO sightings (incident_id, sha256, log_url, log_name, log_index, seen_at)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING`, s.d.args([]any{id, key, c.Log.URL, c.Log.Name, c.Index, seen.UnixNano()})...)
	if err != nil {
		return ch, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		ch.NewSighting = true
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET sightings = sightings + 1,
			first_seen = `+s.d.least+`(first_seen, $1), last_seen = `+s.d.greatest+`(last_seen, $1), updated_at = $2 WHERE id = $3`,
			seen.UnixNano(), now.UnixNano(), id); err != nil {
			return ch, err
		}
	}
	// Only the incident's row and this certificate are read back: reloading every certificate
	// made Record slower as the incident grew (97 ms at 6,000 certificates).
	inc, err := scanIncident(tx.QueryRowContext(ctx, selectIncident+" WHERE id = $1", id))
	if err != nil {
		return ch, err
	}
	if len(c.DER) > 0 {
		details.PEM = certs.PEM(c.DER)
	}
	details.Sightings = []Sighting{{Log: details.Log, SeenAt: seen.UTC()}}
	inc.Certificates = []Certificate{details}
	ch.Incident = *inc
	switch {
	case ch.Created:
		err = s.queueChange(ctx, tx, id, ChangeNew)
	case ch.Raised:
		err = s.queueChange(ctx, tx, id, ChangeSeverityRaised)
	}
	if err != nil {
		return ch, err
	}
	return ch, tx.Commit()
}

func (s *Store) lookup(ctx context.Context, tx *sql.Tx, asset, regDomain string) (id int64, score int, severity string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT id, score, severity FROM incidents WHERE asset=$1 AND registered_domain=$2`+s.d.forUpdate,
		s.d.args([]any{asset, regDomain})...).Scan(&id, &score, &severity)
	return
}

// certKey identifies a certificate within an incident: its SHA-256, or what a source that
// carries no SHA-256 (a CaliDog lite message) gives instead.
func certKey(c *certs.Cert) string {
	switch {
	case c.SHA256 != "":
		return c.SHA256
	case c.SHA1 != "":
		return "sha1:" + c.SHA1
	}
	return fmt.Sprintf("entry:%s#%d", c.Log.URL, c.Index)
}

// certDetails is what a certificate row keeps besides its DER.
func certDetails(c *certs.Cert) Certificate {
	return Certificate{
		SHA256: c.SHA256, SHA1: c.SHA1, Serial: c.Serial, EntryType: c.EntryType,
		Subject: c.Subject, Issuer: c.Issuer, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		DNSNames: c.DNSNames, SignatureAlgorithm: c.SignatureAlgorithm,
		Log: LogPosition{Name: c.Log.Name, URL: c.Log.URL, Index: c.Index}, SeenAt: c.SeenAt,
	}
}

// Malformed records are bounded: a hostile source can send endless broken entries under keys
// of its choosing (1,500 certstream frames once made 90 MB). Beyond the caps a record is
// dropped and counted (MalformedDropped); records older than the retention are deleted.
const (
	MaxMalformedPerLog  = 1000
	MaxMalformed        = 10000
	MalformedRetention  = 30 * 24 * time.Hour
	maxMalformedData    = 16 << 10 // bytes of the entry kept for diagnosis
	malformedPruneEvery = time.Hour
)

// RecordMalformed keeps an entry that could not be read, within the caps above. Recording it
// twice is harmless.
func (s *Store) RecordMalformed(ctx context.Context, m source.Malformed) error {
	now := s.now()
	if last := s.malformedPruned.Load(); now.UnixNano()-last >= int64(malformedPruneEvery) &&
		s.malformedPruned.CompareAndSwap(last, now.UnixNano()) {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM malformed WHERE at < $1`, now.Add(-MalformedRetention).UnixNano()); err != nil {
			return err
		}
	}
	var perLog, total int64
	if err := s.db.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM (SELECT 1 FROM malformed WHERE log_url = $1 LIMIT $2) p),
			(SELECT count(*) FROM (SELECT 1 FROM malformed LIMIT $3) t)`,
		s.d.args([]any{m.Log.URL, MaxMalformedPerLog, MaxMalformed})...).Scan(&perLog, &total); err != nil {
		return err
	}
	if perLog >= MaxMalformedPerLog || total >= MaxMalformed {
		s.malformedDropped.Add(1)
		return nil
	}
	data := m.Data
	if len(data) > maxMalformedData {
		data = data[:maxMalformedData]
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO malformed (log_url, log_name, log_index, error, data, at)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING`,
		s.d.args([]any{m.Log.URL, m.Log.Name, m.Index, truncate(m.Err, 1024), data, now.UnixNano()})...)
	return err
}

// MalformedDropped is how many malformed records this process dropped at the caps.
func (s *Store) MalformedDropped() int64 { return s.malformedDropped.Load() }

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// MalformedCount returns how many malformed entries are recorded for a log URL ("" for all).
func (s *Store) MalformedCount(ctx context.Context, logURL string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM malformed WHERE $1 = '' OR log_url = $1`, s.d.args([]any{logURL})...).Scan(&n)
	return n, err
}

// Filter selects incidents for List. Empty fields match everything; Status and Severity
// accept comma-separated lists; Since and Until bound the creation time; Query matches the
// domain (either form), the registered domain or the asset.
type Filter struct {
	Status, Severity, Asset, Query string
	// Verdict accepts a comma-separated list too; "none" stands for no verdict yet.
	Verdict      string
	Since, Until time.Time
	Limit        int
	Cursor       string
}

// Validate checks the filter's values, so that a request cannot make List build a query of
// unbounded size (20,000 status values once did) or compare against values no row can hold.
func (f Filter) Validate() error {
	check := func(name, csv string, allowed ...string) error {
		for v := range strings.SplitSeq(csv, ",") {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(allowed, v) {
				return fmt.Errorf("%w: %s %q is not one of %s", ErrBadFilter, name, truncate(v, 64), strings.Join(allowed, ", "))
			}
		}
		return nil
	}
	if err := check("verdict", f.Verdict, "none", VerdictTruePositive, VerdictFalsePositive, VerdictBenign); err != nil {
		return err
	}
	if len(f.Status) > 256 || len(f.Severity) > 256 || len(f.Verdict) > 256 {
		return fmt.Errorf("%w: status or severity list too long", ErrBadFilter)
	}
	if err := check("status", f.Status, StatusNew, StatusInvestigating, StatusClosed); err != nil {
		return err
	}
	if err := check("severity", f.Severity, sev.All...); err != nil {
		return err
	}
	if len(f.Asset) > 253 || len(f.Query) > 253 || len(f.Cursor) > 64 {
		return fmt.Errorf("%w: asset and q are at most 253 characters, cursor 64", ErrBadFilter)
	}
	return nil
}

// List returns incidents newest first (without certificates) and the cursor of the next page
// ("" on the last page).
func (s *Store) List(ctx context.Context, f Filter) ([]Incident, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	where := []string{"1=1"}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	inList := func(col, csv string) {
		var ph []string
		seen := map[string]bool{}
		for _, v := range strings.Split(csv, ",") {
			if v = strings.TrimSpace(v); v != "" && !seen[v] {
				seen[v] = true
				ph = append(ph, arg(v))
			}
		}
		if len(ph) > 0 {
			where = append(where, col+" IN ("+strings.Join(ph, ",")+")")
		}
	}
	inList("status", f.Status)
	inList("severity", f.Severity)
	if f.Verdict != "" {
		// "none" (no verdict yet, stored as VerdictNone) gets its own clause beside the IN list.
		var ors, ph []string
		none := false
		for v := range strings.SplitSeq(f.Verdict, ",") {
			switch v = strings.TrimSpace(v); v {
			case "":
			case "none":
				none = true
			default:
				ph = append(ph, arg(v))
			}
		}
		if none {
			ors = append(ors, "verdict = ''")
		}
		if len(ph) > 0 {
			ors = append(ors, "verdict IN ("+strings.Join(ph, ",")+")")
		}
		if len(ors) > 0 {
			where = append(where, "("+strings.Join(ors, " OR ")+")")
		}
	}
	if f.Asset != "" {
		where = append(where, "asset = "+arg(f.Asset))
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		p := arg("%" + escapeLike(q) + "%")
		var ors []string
		for _, col := range []string{"domain", "domain_unicode", "registered_domain", "asset"} {
			ors = append(ors, col+" "+s.d.like+" "+p+" ESCAPE '\\'")
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= "+arg(f.Since.UnixNano()))
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < "+arg(f.Until.UnixNano()))
	}
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		before, err2 := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || err2 != nil {
			return nil, "", fmt.Errorf("%w %q", ErrBadCursor, f.Cursor)
		}
		where = append(where, "id < "+arg(before))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, selectIncident+" WHERE "+strings.Join(where, " AND ")+
		" ORDER BY id DESC LIMIT "+arg(limit+1), s.d.args(args)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, *inc)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(out[limit-1].ID))
	}
	if out == nil {
		out = []Incident{}
	}
	return out, next, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

const selectIncident = `SELECT id, asset, registered_domain, domain, domain_unicode, status, verdict, note, severity,
	score, matched, reasons, intel_hits, sightings, created_at, updated_at, first_seen, last_seen, enrichment FROM incidents`

type scanner interface{ Scan(...any) error }

func scanIncident(r scanner) (*Incident, error) {
	var inc Incident
	var id int64
	var matched, reasons, hits string
	var created, updated, first, last int64
	var enrichment sql.NullString
	if err := r.Scan(&id, &inc.Asset, &inc.RegisteredDomain, &inc.Domain, &inc.DomainUnicode, &inc.Status,
		&inc.Verdict, &inc.Note, &inc.Severity, &inc.Score, &matched, &reasons, &hits, &inc.Sightings,
		&created, &updated, &first, &last, &enrichment); err != nil {
		return nil, err
	}
	inc.ID = strconv.FormatInt(id, 10)
	inc.CreatedAt, inc.UpdatedAt = fromNanos(created), fromNanos(updated)
	inc.FirstSeen, inc.LastSeen = fromNanos(first), fromNanos(last)
	var err error
	inc.Enrichment, err = decodeEnrichment(enrichment)
	if err := errors.Join(json.Unmarshal([]byte(matched), &inc.Matched), json.Unmarshal([]byte(reasons), &inc.Reasons),
		json.Unmarshal([]byte(hits), &inc.IntelHits), err); err != nil {
		return nil, fmt.Errorf("incident %d: %w", id, err)
	}
	return &inc, nil
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Get returns one incident with its certificates, sightings, history, deliveries and campaign
// (so that notifications carry it as the API does; a failure to group leaves it empty).
func (s *Store) Get(ctx context.Context, id string) (*Incident, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, ErrNotFound
	}
	inc, err := s.get(ctx, s.db, n)
	if err != nil {
		return nil, err
	}
	if of, err := s.CampaignOf(ctx, inc.ID); err == nil {
		inc.Campaign = of[inc.ID]
	}
	return inc, nil
}

// Brief returns one incident with its certificates' details but without their PEM and
// sightings, the history or the deliveries: what a background reader (the enricher) needs,
// at a third of Get's cost, so that it takes less from ingestion.
func (s *Store) Brief(ctx context.Context, id string) (*Incident, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, ErrNotFound
	}
	inc, _, err := s.getCertificates(ctx, s.db, n, false)
	return inc, err
}

// getCertificates reads the incident row and its certificates, with their PEM when withDER;
// index gives each certificate's place by SHA-256.
func (s *Store) getCertificates(ctx context.Context, q querier, id int64, withDER bool) (inc *Incident, index map[string]int, err error) {
	inc, err = scanIncident(q.QueryRowContext(ctx, selectIncident+" WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	der := "NULL"
	if withDER {
		der = "der"
	}
	rows, err := q.QueryContext(ctx, `SELECT sha256, details, `+der+` FROM certificates WHERE incident_id = $1 ORDER BY added_at, sha256`, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	index = map[string]int{}
	for rows.Next() {
		var sha, details string
		var der []byte
		if err := rows.Scan(&sha, &details, &der); err != nil {
			return nil, nil, err
		}
		var c Certificate
		if err := json.Unmarshal([]byte(details), &c); err != nil {
			return nil, nil, fmt.Errorf("certificate %s: %w", sha, err)
		}
		if len(der) > 0 {
			c.PEM = certs.PEM(der)
		}
		c.Sightings = []Sighting{}
		index[sha] = len(inc.Certificates)
		inc.Certificates = append(inc.Certificates, c)
	}
	return inc, index, rows.Err()
}

func (s *Store) get(ctx context.Context, q querier, id int64) (*Incident, error) {
	inc, index, err := s.getCertificates(ctx, q, id, true)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT sha256, log_url, log_name, log_index, seen_at FROM sightings WHERE incident_id = $1 ORDER BY seen_at, log_url, log_index`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sha string
		var sg Sighting
		var seen int64
		if err := rows.Scan(&sha, &sg.Log.URL, &sg.Log.Name, &sg.Log.Index, &seen); err != nil {
			rows.Close()
			return nil, err
		}
		sg.SeenAt = fromNanos(seen)
		if i, ok := index[sha]; ok {
			inc.Certificates[i].Sightings = append(inc.Certificates[i].Sightings, sg)
		}
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT at, field, value, author FROM events WHERE incident_id = $1 ORDER BY `+s.d.eventOrder, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.Field, &e.Value, &e.Author); err != nil {
			rows.Close()
			return nil, err
		}
		e.At = fromNanos(at)
		inc.History = append(inc.History, e)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT target, status, attempts, last_error, at FROM deliveries WHERE incident_id = $1 ORDER BY target`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d Delivery
		var at int64
		if err := rows.Scan(&d.Target, &d.Status, &d.Attempts, &d.LastError, &at); err != nil {
			return nil, err
		}
		d.At = fromNanos(at)
		inc.Deliveries = append(inc.Deliveries, d)
	}
	return inc, rows.Err()
}

// Patch is an analyst's change; nil fields stay as they are.
type Patch struct {
	Status  *string `json:"status"`
	Verdict *string `json:"verdict"`
	Note    *string `json:"note"`
	Author  string  `json:"-"`
}

// Validate checks the patch's values.
func (p Patch) Validate() error {
	if p.Status != nil {
		switch *p.Status {
		case StatusNew, StatusInvestigating, StatusClosed:
		default:
			return fmt.Errorf("status %q is not new, investigating or closed", *p.Status)
		}
	}
	if p.Verdict != nil {
		switch *p.Verdict {
		case VerdictNone, VerdictTruePositive, VerdictFalsePositive, VerdictBenign:
		default:
			return fmt.Errorf("verdict %q is not empty, true_positive, false_positive or benign", *p.Verdict)
		}
	}
	if p.Note != nil && len(*p.Note) > 64<<10 {
		return fmt.Errorf("note is longer than 64 KiB")
	}
	return nil
}

// Update applies p, recording each changed field in the incident's history.
func (s *Store) Update(ctx context.Context, id string, p Patch) (*Incident, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, ErrNotFound
	}
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cur, err := scanIncident(tx.QueryRowContext(ctx, selectIncident+" WHERE id = $1"+s.d.forUpdate, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().UnixNano()
	for _, f := range []struct {
		col string
		new *string
		old string
	}{{"status", p.Status, cur.Status}, {"verdict", p.Verdict, cur.Verdict}, {"note", p.Note, cur.Note}} {
		if f.new == nil || *f.new == f.old {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET `+f.col+` = $1, updated_at = $2 WHERE id = $3`, s.d.args([]any{*f.new, now, n})...); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (incident_id, at, field, value, author) VALUES ($1,$2,$3,$4,$5)`,
			s.d.args([]any{n, now, f.col, *f.new, p.Author})...); err != nil {
			return nil, err
		}
	}
	inc, err := s.get(ctx, tx, n)
	if err != nil {
		return nil, err
	}
	return inc, tx.Commit()
}

// Delivery is the state of one notification target for one incident.
type Delivery struct {
	Target    string    `json:"target"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	At        time.Time `json:"at"`
}

// SetDelivery records a notification target's latest state for an incident.
func (s *Store) SetDelivery(ctx context.Context, incidentID string, d Delivery) error {
	n, err := strconv.ParseInt(incidentID, 10, 64)
	if err != nil {
		return ErrNotFound
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO deliveries (incident_id, target, status, attempts, last_error, at)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (incident_id, target) DO UPDATE SET
		status = excluded.status, attempts = excluded.attempts, last_error = excluded.last_error, at = excluded.at`,
		s.d.args([]any{n, d.Target, d.Status, d.Attempts, d.LastError, d.At.UnixNano()})...)
	return err
}

// Allow adds a name to the analysts' allow list.
func (s *Store) Allow(ctx context.Context, domain, reason string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO allowed (domain, added_at, reason) VALUES ($1,$2,$3)
		ON CONFLICT (domain) DO NOTHING`, s.d.args([]any{domain, s.now().UnixNano(), reason})...)
	return err
}

// Allowed lists the analysts' allow list.
func (s *Store) Allowed(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT domain FROM allowed ORDER BY domain`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// OpenDomains returns the domains of incidents that are not closed, for re-checking them when
// threat intel changes.
func (s *Store) OpenDomains(ctx context.Context) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.id, c.details FROM incidents i JOIN certificates c ON c.incident_id = i.id
		WHERE i.status != 'closed'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id int64
		var details string
		if err := rows.Scan(&id, &details); err != nil {
			return nil, err
		}
		var c Certificate
		if json.Unmarshal([]byte(details), &c) == nil {
			out[strconv.FormatInt(id, 10)] = append(out[strconv.FormatInt(id, 10)], c.DNSNames...)
		}
	}
	return out, rows.Err()
}

// Raise applies a higher-scoring alert (say, with a new intel hit) to an existing incident.
// It reports whether the severity went up.
func (s *Store) Raise(ctx context.Context, id string, a detect.Alert) (raised bool, err error) {
	return s.raise(ctx, id, a, true)
}

// RaiseAlongside is Raise for an alert that comes with a change already queued for the
// notifiers (an enrichment look's event, LookEvent): the severity rises without a
// severity_raised change of its own in the outbox, as one process notifies only the event.
func (s *Store) RaiseAlongside(ctx context.Context, id string, a detect.Alert) (raised bool, err error) {
	return s.raise(ctx, id, a, false)
}

func (s *Store) raise(ctx context.Context, id string, a detect.Alert, queue bool) (raised bool, err error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return false, ErrNotFound
	}
	tx, err := s.db.BeginTx(ctx, s.d.tx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var score int
	var severity string
	err = tx.QueryRowContext(ctx, `SELECT score, severity FROM incidents WHERE id = $1`+s.d.forUpdate, n).Scan(&score, &severity)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, err
	}
	if a.Score <= score && len(a.IntelHits) == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET score = `+s.d.greatest+`(score, $1), severity = $2, reasons = $3, intel_hits = $4,
		updated_at = $5 WHERE id = $6`, s.d.args([]any{a.Score, pickSeverity(a.Severity, severity), mustJSON(nonNil(a.Reasons)),
		mustJSON(nonNil(a.IntelHits)), s.now().UnixNano(), n})...); err != nil {
		return false, err
	}
	raised = sev.Rank(a.Severity) > sev.Rank(severity)
	if raised && queue {
		if err := s.queueChange(ctx, tx, n, ChangeSeverityRaised); err != nil {
			return false, err
		}
	}
	return raised, tx.Commit()
}

func pickSeverity(a, b string) string {
	if sev.Rank(a) > sev.Rank(b) {
		return a
	}
	return b
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs are marshalled here
	}
	return string(b)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
