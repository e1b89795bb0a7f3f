-- PostgreSQL twin of migrations/sqlite/001_init.sql: same tables, columns and keys.
-- Times are Unix nanoseconds (BIGINT), JSON is kept as TEXT, exactly as in SQLite.

-- Incidents grouped by (asset, registered domain).
CREATE TABLE incidents (
    id                BIGSERIAL PRIMARY KEY,
    asset             TEXT NOT NULL,
    registered_domain TEXT NOT NULL,
    domain            TEXT NOT NULL,
    domain_unicode    TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'new',
    verdict           TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    severity          TEXT NOT NULL,
    score             INTEGER NOT NULL,
    matched           TEXT NOT NULL,
    reasons           TEXT NOT NULL,
    intel_hits        TEXT NOT NULL DEFAULT '[]',
    sightings         BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    first_seen        BIGINT NOT NULL,
    last_seen         BIGINT NOT NULL,
    UNIQUE (asset, registered_domain)
);
CREATE INDEX incidents_registered_domain ON incidents (registered_domain);

-- Every certificate that joined an incident, whole.
CREATE TABLE certificates (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    sha256      TEXT NOT NULL,
    details     TEXT NOT NULL,
    der         BYTEA,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (incident_id, sha256)
);

-- Every log entry holding one of those certificates.
CREATE TABLE sightings (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    sha256      TEXT NOT NULL,
    log_url     TEXT NOT NULL,
    log_name    TEXT NOT NULL,
    log_index   BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (incident_id, log_url, log_index)
);

-- Analyst changes. id keeps insertion order (SQLite's rowid).
CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    at          BIGINT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    author      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_incident ON events (incident_id);

-- Notification delivery status per incident and target.
CREATE TABLE deliveries (
    incident_id BIGINT NOT NULL,
    target      TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL,
    PRIMARY KEY (incident_id, target)
);

-- Log entries that could not be read at all.
CREATE TABLE malformed (
    log_url   TEXT NOT NULL,
    log_name  TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    error     TEXT NOT NULL,
    data      BYTEA,
    at        BIGINT NOT NULL,
    PRIMARY KEY (log_url, log_index)
);

-- Names analysts declared false positives: never alert again.
CREATE TABLE allowed (
    domain   TEXT PRIMARY KEY,
    added_at BIGINT NOT NULL,
    reason   TEXT NOT NULL DEFAULT ''
);
