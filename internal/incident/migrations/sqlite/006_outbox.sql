-- The notification outbox is a cluster's (PostgreSQL, migrations/postgres/006_outbox.sql): a
-- single process notifies from memory. This no-op keeps both backends' migration lists alike.
SELECT 1;
