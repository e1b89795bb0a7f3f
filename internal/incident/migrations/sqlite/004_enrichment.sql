-- Triage evidence (DNS, RDAP) as JSON, and when it is next due, for the recheck schedule.
ALTER TABLE incidents ADD COLUMN enrichment TEXT;
ALTER TABLE incidents ADD COLUMN enrich_next BIGINT;
CREATE INDEX incidents_enrich_next ON incidents (enrich_next);
-- The incidents never looked at, found without scanning the others.
CREATE INDEX incidents_unenriched ON incidents (id) WHERE enrichment IS NULL;
