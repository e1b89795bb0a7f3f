// Package cluster is what certhunt nodes share when several run together (SPEC.md "Cluster"):
// membership through a NATS connection with JetStream, per-CT-log leases in a JetStream
// key-value bucket so that exactly one node follows each log, and CT cursors in PostgreSQL so
// that the node taking a log over resumes where the last one committed.
package cluster
