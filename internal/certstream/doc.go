// Package certstream reads certstream servers as a certificate source and serves certhunt's
// own certstream-compatible feed.
//
// # Wire format
//
// Messages follow certstream-server-go's JSON schema, a superset of CaliDog's: a
// certificate_update carries data.leaf_cert (subject, issuer, extensions, validity, serial,
// fingerprints, all_domains and, on the full stream, as_der), data.chain (full stream only),
// cert_index, cert_link, seen and source. The domains-only stream sends dns_entries messages
// whose data is the list of names. Both servers send heartbeat messages.
//
// # Client
//
// Client implements source.Source. A full-stream message with as_der becomes an Entry with the
// DER (and chain) so the pipeline parses the real certificate; a lite message becomes an Entry
// whose Parsed holds what the message carries; a dns_entries message gives only names. The
// client pings, reconnects forever with exponential backoff and jitter, limits frame size, and
// counts malformed or unknown frames instead of failing.
//
// A dns_entries message names no log index, so its entry has Index UnknownIndex (-1) and is
// attributed to the server it came from. CaliDog's lite messages carry only a SHA-1
// fingerprint, so their Cert has an empty SHA256.
//
// # Hub
//
// Hub serves the feed of everything certhunt ingests: websocket streams under a prefix
// (default /certstream: / lite, /full-stream, /domains-only, each with an optional
// ?domain=substring filter) plus example.json and latest.json. Each message is encoded once
// per stream kind; every websocket client has a bounded queue, so a slow client loses
// messages (counted) and is eventually disconnected, and never slows Publish or the other
// clients.
package certstream
