package certstream

import (
	"math"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Message types on the wire.
const (
	typeCertificateUpdate = "certificate_update"
	typeDNSEntries        = "dns_entries"
	typeHeartbeat         = "heartbeat"
)

// Update types of a certificate_update.
const (
	updateX509    = "X509LogEntry"
	updatePrecert = "PrecertLogEntry"
)

// inbound is any message a client reads. CaliDog writes "data" before "message_type", so
// data is decoded by its JSON kind in the same pass and checked against the type afterwards.
type inbound struct {
	MessageType string      `json:"message_type"`
	Data        inboundData `json:"data"`
}

// inboundData is a certificate_update's object or a dns_entries list of names.
type inboundData struct {
	update *updateData
	names  []string
	kind   jsontext.Kind
}

// UnmarshalJSONFrom decodes data by its kind without a second parse.
func (d *inboundData) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	d.kind = dec.PeekKind()
	switch d.kind {
	case '{':
		d.update = new(updateData)
		return jsonv2.UnmarshalDecode(dec, d.update)
	case '[':
		return jsonv2.UnmarshalDecode(dec, &d.names)
	default:
		return dec.SkipValue()
	}
}

// updateMessage is a certificate_update as certhunt writes it.
type updateMessage struct {
	MessageType string     `json:"message_type"`
	Data        updateData `json:"data"`
}

// domainsMessage is a dns_entries message.
type domainsMessage struct {
	MessageType string   `json:"message_type"`
	Data        []string `json:"data"`
}

type updateData struct {
	UpdateType string     `json:"update_type"`
	LeafCert   wireCert   `json:"leaf_cert"`
	Chain      []wireCert `json:"chain,omitempty"`
	CertIndex  int64      `json:"cert_index"`
	CertLink   string     `json:"cert_link"`
	Seen       float64    `json:"seen"`
	Source     wireSource `json:"source"`
}

type wireSource struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

// wireCert is a leaf_cert or chain element. Times are Unix seconds: CaliDog writes integers,
// some servers floats, so they decode into float64.
type wireCert struct {
	Subject            wireName       `json:"subject"`
	Issuer             wireName       `json:"issuer"`
	Extensions         wireExtensions `json:"extensions"`
	NotBefore          float64        `json:"not_before"`
	NotAfter           float64        `json:"not_after"`
	SerialNumber       string         `json:"serial_number"`
	Fingerprint        string         `json:"fingerprint"`
	SHA1               string         `json:"sha1"`
	SHA256             string         `json:"sha256"`
	SignatureAlgorithm string         `json:"signature_algorithm"`
	IsCA               bool           `json:"is_ca"`
	AllDomains         []string       `json:"all_domains"`
	AsDER              string         `json:"as_der,omitempty"`
}

// wireExtensions holds the extensions certhunt can render from its certificate model; readers
// of other servers' messages ignore the rest.
type wireExtensions struct {
	SubjectAltName   string `json:"subjectAltName,omitempty"`
	BasicConstraints string `json:"basicConstraints,omitempty"`
}

// wireName is a subject or issuer. Absent parts are written as null, as both servers do, and
// a null part reads as "".
type wireName struct {
	Aggregated   string `json:"aggregated"`
	C            string `json:"C"`
	ST           string `json:"ST"`
	L            string `json:"L"`
	O            string `json:"O"`
	OU           string `json:"OU"`
	CN           string `json:"CN"`
	EmailAddress string `json:"email_address"`
}

// MarshalJSONTo writes empty parts as null.
func (n wireName) MarshalJSONTo(enc *jsontext.Encoder) error {
	parts := [...]struct{ key, value string }{
		{"aggregated", n.Aggregated}, {"C", n.C}, {"ST", n.ST}, {"L", n.L},
		{"O", n.O}, {"OU", n.OU}, {"CN", n.CN}, {"email_address", n.EmailAddress},
	}
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, p := range parts {
		value := jsontext.Null
		if p.value != "" {
			value = jsontext.String(p.value)
		}
		if err := enc.WriteToken(jsontext.String(p.key)); err != nil {
			return err
		}
		if err := enc.WriteToken(value); err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// jsonOptions make both directions lenient: invalid UTF-8, which real certificate subjects
// contain, is read and written as U+FFFD, and a repeated member name does not reject a
// message from another server.
var jsonOptions = jsonv2.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

// aggregate renders a name the way certstream servers do: "/C=US/CN=R3/O=Let's Encrypt".
func aggregate(parts ...[2]string) string {
	var b strings.Builder
	for _, p := range parts {
		if p[1] == "" {
			continue
		}
		b.WriteByte('/')
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(p[1])
	}
	return b.String()
}

// unixSeconds converts a (possibly fractional) Unix time to a time.Time, to the microsecond
// (float seconds carry no more); zero stays zero.
func unixSeconds(s float64) time.Time {
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}

// toUnixSeconds is the inverse of unixSeconds, with millisecond precision for seen times.
func toUnixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// plainHex turns "AB:CD:EF" into "abcdef", the form certs.Cert uses.
func plainHex(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, ":", ""))
}

// colonHex turns "abcdef" into "AB:CD:EF", the form certstream fingerprints use.
func colonHex(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(s[i:min(i+2, len(s))])
	}
	return b.String()
}
