// Package ctlog reads Certificate Transparency logs of both APIs and hands their entries to
// the pipeline as source.Batch values.
//
// # Logs
//
// LoadLogList reads a v3 log_list.json (the embedded copy, a file or a URL) and returns the
// logs to follow: RFC 6962 logs ("logs") and static-ct-api logs ("tiled_logs") in state
// usable, qualified or readonly. NewLogInfo describes a log added by hand.
//
// # Following
//
// A Follower (a source.Source) polls one log's tree head, verifies its signature with the
// log's key (an STH for RFC 6962, a signed-note checkpoint for static-ct-api), and reads new
// entries with a few requests in flight, emitting batches in log order:
//
//   - RFC 6962: get-entries in batches, always advancing by the number of entries the log
//     actually returned, since logs cap batches.
//   - static-ct-api: full data tiles; the last, partial tile only once the tree has kept its
//     size for FollowerOptions.PartialTileAge, as the spec asks; issuers by hash when
//     FollowerOptions.FullChain is set.
//
// Every failed request (network, HTTP status, 429, undecodable answer, bad signature) is
// counted by kind and retried with jittered exponential backoff, honouring Retry-After; a
// follower never gives up. An entry that cannot be decoded is put in Batch.Malformed with
// its index, never dropped.
//
// Requests in flight adapt per log: halved when the log answers 429 or 503, grown back by
// one per limit's worth of successes up to FollowerOptions.Parallel. Requests carry the
// User-Agent "certhunt/VERSION (+CONTACT)".
//
// # Verification
//
// Entries are checked against the log's signed tree heads before they are handed on, and
// each head against the previous one (verify.go has the details). A log that fails is
// reported in Status (VerificationError, VerifiedSize) and still read, its entries marked
// certs.Entry.Unverified.
//
// # Cursors
//
// A batch's Commit writes the log's cursor (the next index to read) to a file in the data
// dir, atomically, so a restarted follower resumes after the last batch the pipeline
// durably handled: entries may be handed on again after a crash, never skipped. A saved
// cursor always beats FollowerOptions.Start.
//
// # Scanning
//
// ScanRange reads a fixed range of one log for `certhunt scan`, partial tiles at once and
// without cursors, verifying it like a follower; ScanBounds checks a range before any work,
// and FindLog names a log as the log list does.
package ctlog
