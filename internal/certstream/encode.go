package certstream

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/certhunt/certhunt/internal/certs"
)

// encode renders c as one message of the given stream kind.
func (h *Hub) encode(c *certs.Cert, kind streamKind) ([]byte, error) {
	if kind == streamDomains {
		return jsonv2.Marshal(domainsMessage{MessageType: typeDNSEntries, Data: nonNil(c.DNSNames)}, jsonOptions)
	}
	msg := updateMessage{MessageType: typeCertificateUpdate, Data: updateData{
		UpdateType: updateX509,
		LeafCert:   leafFromCert(c),
		CertIndex:  c.Index,
		CertLink:   certLink(c.Log, c.Index),
		Seen:       toUnixSeconds(c.SeenAt),
		Source:     wireSource{URL: c.Log.URL, Name: c.Log.Name, Type: sourceType(c.Log.Type)},
	}}
	if c.EntryType == certs.Precert {
		msg.Data.UpdateType = updatePrecert
	}
	if kind == streamFull {
		if isCertificate(c.DER) {
			msg.Data.LeafCert.AsDER = base64.StdEncoding.EncodeToString(c.DER)
		}
		for _, der := range c.Chain {
			msg.Data.Chain = append(msg.Data.Chain, h.chains.element(der))
		}
	}
	b, err := jsonv2.Marshal(msg, jsonOptions)
	if err != nil {
		return nil, fmt.Errorf("encode certificate %s: %w", c.SHA256, err)
	}
	return b, nil
}

func leafFromCert(c *certs.Cert) wireCert {
	sans := make([]string, len(c.DNSNames))
	for i, n := range c.DNSNames {
		sans[i] = "DNS:" + n
	}
	return wireCert{
		Subject:            wireNameFrom(c.Subject),
		Issuer:             wireNameFrom(c.Issuer),
		Extensions:         wireExtensions{SubjectAltName: strings.Join(sans, ", "), BasicConstraints: basicConstraints(c.IsCA)},
		NotBefore:          float64(unixOrZero(c.NotBefore)),
		NotAfter:           float64(unixOrZero(c.NotAfter)),
		SerialNumber:       strings.ToUpper(c.Serial),
		Fingerprint:        colonHex(c.SHA1),
		SHA1:               colonHex(c.SHA1),
		SHA256:             colonHex(c.SHA256),
		SignatureAlgorithm: c.SignatureAlgorithm,
		IsCA:               c.IsCA,
		AllDomains:         nonNil(c.DNSNames),
	}
}

func wireNameFrom(n certs.Name) wireName {
	return wireName{
		Aggregated: aggregate([2]string{"C", n.C}, [2]string{"CN", n.CN}, [2]string{"L", n.L},
			[2]string{"O", n.O}, [2]string{"OU", n.OU}, [2]string{"ST", n.ST}),
		C: n.C, ST: n.ST, L: n.L, O: n.O, OU: n.OU, CN: n.CN,
	}
}

func basicConstraints(isCA bool) string {
	if isCA {
		return "CA:TRUE"
	}
	return "CA:FALSE"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sourceType names the log API the way certstream-server-go does.
func sourceType(t string) string {
	if t == "static" {
		return "tiled"
	}
	return t
}

// certLink points at the entry in its log when the log speaks RFC 6962.
func certLink(log certs.LogRef, index int64) string {
	if log.Type != "rfc6962" || log.URL == "" || index < 0 {
		return ""
	}
	return fmt.Sprintf("%s/ct/v1/get-entries?start=%d&end=%d", strings.TrimRight(log.URL, "/"), index, index)
}

// isCertificate reports whether der is a whole certificate (not a bare TBSCertificate, which
// is what certs keeps for a precert read from its TBS): a certificate's first element is the
// TBS SEQUENCE, a TBS's first is the [0] version or the serial INTEGER.
func isCertificate(der []byte) bool {
	s := cryptobyte.String(der)
	var outer cryptobyte.String
	if !s.ReadASN1(&outer, cbasn1.SEQUENCE) {
		return false
	}
	return outer.PeekASN1Tag(cbasn1.SEQUENCE)
}

// chainCache remembers rendered chain certificates: a handful of intermediates issue nearly
// every leaf, so each is parsed once rather than once per message.
type chainCache struct {
	mu sync.Mutex
	m  map[string]wireCert
}

const maxChainCache = 4096

func (cc *chainCache) element(der []byte) wireCert {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if w, ok := cc.m[string(der)]; ok {
		return w
	}
	w := chainElement(der)
	if cc.m == nil || len(cc.m) >= maxChainCache {
		cc.m = make(map[string]wireCert)
	}
	cc.m[string(der)] = w
	return w
}

// chainElement renders an issuing certificate; one that crypto/x509 refuses keeps only its
// DER and fingerprints.
func chainElement(der []byte) wireCert {
	s256 := sha256.Sum256(der)
	s1 := sha1.Sum(der)
	w := wireCert{
		Fingerprint: colonHex(hex.EncodeToString(s1[:])),
		SHA1:        colonHex(hex.EncodeToString(s1[:])),
		SHA256:      colonHex(hex.EncodeToString(s256[:])),
		AsDER:       base64.StdEncoding.EncodeToString(der),
	}
	xc, err := x509.ParseCertificate(der)
	if err != nil {
		return w
	}
	isCA := xc.BasicConstraintsValid && xc.IsCA
	w.Subject = wireNameFrom(nameOf(xc.Subject))
	w.Issuer = wireNameFrom(nameOf(xc.Issuer))
	w.Extensions = wireExtensions{BasicConstraints: basicConstraints(isCA)}
	w.NotBefore = float64(xc.NotBefore.Unix())
	w.NotAfter = float64(xc.NotAfter.Unix())
	w.SerialNumber = strings.ToUpper(xc.SerialNumber.Text(16))
	w.SignatureAlgorithm = xc.SignatureAlgorithm.String()
	w.IsCA = isCA
	return w
}

func nameOf(n pkix.Name) certs.Name {
	return certs.Name{CN: n.CommonName, O: strings.Join(n.Organization, ", "),
		OU: strings.Join(n.OrganizationalUnit, ", "), C: strings.Join(n.Country, ", "),
		L: strings.Join(n.Locality, ", "), ST: strings.Join(n.Province, ", ")}
}

// unixOrZero keeps an unknown time as 0 rather than year 1.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
