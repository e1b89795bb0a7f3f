-- The protected domains' own certificates seen in CT (the issuance inventory), one row per
-- (asset, certificate): a certificate seen again in another log, or replayed, changes nothing.
CREATE TABLE own_certificates (
    asset       TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    entry_type  TEXT NOT NULL,
    serial      TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    spki_sha256 TEXT NOT NULL,
    names       TEXT NOT NULL,
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    verdict     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    log_name    TEXT NOT NULL,
    log_url     TEXT NOT NULL,
    log_index   BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (asset, sha256)
);
CREATE INDEX own_certificates_seen ON own_certificates (asset, seen_at);

-- Every own name seen, with the certificate it was first seen in and its newest expiry.
CREATE TABLE own_names (
    asset      TEXT NOT NULL,
    name       TEXT NOT NULL,
    first_cert TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    not_after  BIGINT NOT NULL,
    PRIMARY KEY (asset, name)
);
