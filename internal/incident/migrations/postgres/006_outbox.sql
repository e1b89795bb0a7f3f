-- The cluster's notification outbox (SPEC.md "Cluster"): one row per incident change that
-- notifies, written in the transaction of the incident write itself, so that no change is
-- ever left without its notification; nodes claim due rows (FOR UPDATE SKIP LOCKED) until
-- claim_until, so that a dead claimer's rows return to the pool. Only used with SetOutbox
-- (a cluster with notify targets); SQLite has no twin because a single process notifies from
-- memory as before.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    -- change_key is "<incident id>:<kind>:<change number of that incident>": the receivers'
    -- idempotency key, unique so that one change is never queued twice.
    change_key  TEXT NOT NULL UNIQUE,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    claimed_by  TEXT,
    claim_until BIGINT,
    rounds      INTEGER NOT NULL DEFAULT 0,
    done_at     BIGINT
);
CREATE INDEX outbox_due ON outbox (due_at, id) WHERE done_at IS NULL;
CREATE INDEX outbox_incident ON outbox (incident_id);

-- What each target made of each row; a delivered (row, target) is never sent again.
CREATE TABLE outbox_deliveries (
    outbox_id  BIGINT NOT NULL REFERENCES outbox (id),
    target     TEXT NOT NULL,
    status     TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    node       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (outbox_id, target)
);
