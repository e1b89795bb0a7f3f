-- Infrastructure each incident shows (certificate, key, issuer, addresses, name servers,
-- registration), one row per (incident, kind, value); campaigns are computed from it. seq
-- is new on every insert, so that the count and the seqs tell a cached grouping it is stale.
CREATE TABLE infra_links (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    UNIQUE (incident_id, kind, value)
);
CREATE INDEX infra_links_value ON infra_links (kind, value);
-- Certificates recorded before this table existed; DNS and RDAP values come with each next look.
INSERT INTO infra_links (incident_id, kind, value)
    SELECT incident_id, 'cert', sha256 FROM certificates
    WHERE sha256 NOT LIKE 'sha1:%' AND sha256 NOT LIKE 'entry:%' AND sha256 != ''
    ON CONFLICT DO NOTHING;
