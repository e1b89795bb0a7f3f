// Package intel loads threat-intel feeds and answers whether a certificate name, or one of
// its parents, is listed in one.
//
// # Feeds
//
// A feed is a URL or a file in one of the formats of SPEC.md: domains, urls (OpenPhish),
// phishtank, urlhaus, threatfox (CSV), misp (feed directory), stix (2.1 bundle) and taxii
// (2.1 collection). Every indicator is reduced to a host name, the form certificates are
// matched in: lowercase, IDNA to ASCII, no trailing dot. IP addresses and public suffixes are
// counted and skipped.
//
// # Refresh
//
// Manager.Run refreshes each feed on its own interval with conditional requests (ETag,
// If-Modified-Since; added_after for TAXII), retries failures with a doubling backoff, and
// caps each download. A refresh either yields a complete new set, swapped in atomically, or
// changes nothing but the feed's last_error: a truncated, oversized or corrupt download never
// replaces a good set. Each good set is also written to the data directory and read back at
// start, so a restart without network keeps its indicators.
//
// # Lookup
//
// Manager.Lookup implements detect.Intel: a few map reads per name (the name and each parent)
// per feed, without locks or allocation unless there is a hit.
package intel
