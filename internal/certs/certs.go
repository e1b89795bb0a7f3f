// Package certs holds the one Entry type that every source (RFC 6962 follower, static-ct-api
// follower, certstream client) produces, and the parsed certificate model that detection,
// incidents and the certstream server consume.
//
// # Parsing
//
// Parse reads a certificate in one cryptobyte pass that extracts only the fields a Cert holds;
// crypto/x509.ParseCertificate also decodes the public key and every extension, which costs more
// than the rest of the pipeline's per-entry work. The pass forgives what crypto/x509 refuses
// (negative serials, badly encoded strings, duplicate extensions, invalid times, trailing bytes),
// so that a single odd certificate never hides its names; when it had to forgive something it
// asks crypto/x509 for its verdict and sets Cert.Lax if that refuses the certificate too. An
// entry that cannot be read at all yields an error naming it; callers record it as malformed.
package certs

import "time"

// EntryType says whether a log entry is a final certificate or a precertificate.
type EntryType string

const (
	X509    EntryType = "x509"
	Precert EntryType = "precert"
)

// LogRef names where an entry came from.
type LogRef struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Type is rfc6962, static or certstream.
	Type string `json:"type,omitempty"`
}

// Entry is one log entry as a source read it, before parsing.
type Entry struct {
	Log   LogRef
	Index int64
	// Timestamp is the entry's CT timestamp (the SCT time).
	Timestamp time.Time
	Type      EntryType
	// DER is the certificate for an x509 entry, and the pre_certificate (the precertificate
	// with its poison extension, as submitted) for a precert entry.
	DER []byte
	// TBS is the precert entry's TBSCertificate from the leaf, used only when DER is absent.
	TBS []byte
	// Chain holds the DER of the issuing chain when the source carries it (may be nil).
	Chain [][]byte
	// Parsed is set by sources that deliver certificate fields without DER (a certstream lite
	// message); Parse returns it as is.
	Parsed *Cert
	// Unverified is set by a CT follower once the log's contents stop matching its signed
	// tree heads: the entry is handled like any other (a phishing certificate is one whoever
	// logged it), and says so.
	Unverified bool
}

// Name is the subset of a distinguished name that analysts read.
type Name struct {
	CN string `json:"CN,omitempty"`
	O  string `json:"O,omitempty"`
	OU string `json:"OU,omitempty"`
	C  string `json:"C,omitempty"`
	L  string `json:"L,omitempty"`
	ST string `json:"ST,omitempty"`
	// Raw is the RFC 2253 string form of the whole name.
	Raw string `json:"raw,omitempty"`
}

// Cert is a parsed certificate or precertificate together with where it was seen.
type Cert struct {
	SHA256    string    `json:"sha256"` // hex, of DER (pre_certificate for precerts)
	SHA1      string    `json:"sha1"`
	Serial    string    `json:"serial"` // hex, colon-free, lowercase
	EntryType EntryType `json:"entry_type"`
	Subject   Name      `json:"subject"`
	Issuer    Name      `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// DNSNames are the SAN DNS names followed by the subject CN when it looks like a host
	// name and is not already among them; lowercased, de-duplicated, wildcards kept.
	DNSNames           []string `json:"dns_names"`
	IsCA               bool     `json:"is_ca"`
	SignatureAlgorithm string   `json:"signature_algorithm,omitempty"`
	// Lax is true when crypto/x509 refuses the certificate and its fields were read forgivingly
	// (text that is not valid as U+FFFD, an unreadable time as the zero time).
	Lax bool `json:"lax,omitempty"`

	Log    LogRef    `json:"log"`
	Index  int64     `json:"index"`
	SeenAt time.Time `json:"seen_at"` // the entry timestamp

	DER   []byte   `json:"-"`
	Chain [][]byte `json:"-"`
}
