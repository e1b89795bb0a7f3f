// Package cluster is what certhunt nodes share when several run together (SPEC.md "Cluster"):
// membership through a NATS connection with JetStream and a presence bucket (live nodes, unique
// names), per-source leases in a JetStream key-value bucket so that exactly one node follows
// each CT log or certstream server (spread over the live ingest nodes), CT cursors in
// PostgreSQL so that the node taking a log over resumes where the last one committed, the batch
// transport from ingest to detect nodes (a work-queue stream and one shared durable consumer,
// batches.go and wire.go), and the relay of handled certificates to every api node's
// certstream server.
package cluster
