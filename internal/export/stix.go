package export

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/certhunt/certhunt/internal/incident"
)

// STIX identifiers are deterministic, so exporting the same incidents twice yields the same
// objects and a consumer updates instead of duplicating:
//   - cyber-observables (domain-name, x509-certificate) use the STIX 2.1 namespace over their
//     ID-contributing properties (STIX 2.1 section 2.9), so other producers derive the same ids;
//   - certhunt's own objects (identity, indicators, relationships) use a certhunt namespace over
//     what names them (the incident id, the two ends of a relationship).
var (
	stixSCONamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")
	certhuntNS       = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/certhunt/certhunt/stix"))
	identityID       = "identity--" + uuid.NewSHA1(certhuntNS, []byte("identity:certhunt")).String()
	// identityCreated is fixed: the identity object never changes.
	identityCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

const stixVersion = "2.1"

type stixBundle struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Objects []any  `json:"objects"`
}

type stixIdentity struct {
	Type          string `json:"type"`
	SpecVersion   string `json:"spec_version"`
	ID            string `json:"id"`
	Created       string `json:"created"`
	Modified      string `json:"modified"`
	Name          string `json:"name"`
	IdentityClass string `json:"identity_class"`
}

type stixExternalRef struct {
	SourceName string `json:"source_name"`
	URL        string `json:"url,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

type stixIndicator struct {
	Type           string            `json:"type"`
	SpecVersion    string            `json:"spec_version"`
	ID             string            `json:"id"`
	CreatedByRef   string            `json:"created_by_ref"`
	Created        string            `json:"created"`
	Modified       string            `json:"modified"`
	Name           string            `json:"name"`
	Description    string            `json:"description"`
	IndicatorTypes []string          `json:"indicator_types"`
	Pattern        string            `json:"pattern"`
	PatternType    string            `json:"pattern_type"`
	PatternVersion string            `json:"pattern_version"`
	ValidFrom      string            `json:"valid_from"`
	Confidence     int               `json:"confidence"`
	Labels         []string          `json:"labels"`
	ExternalRefs   []stixExternalRef `json:"external_references"`
	// Enrichment is the triage evidence (DNS, RDAP) as certhunt's API gives it, a custom
	// property (STIX 2.1 section 11.1).
	Enrichment *incident.Enrichment `json:"x_certhunt_enrichment,omitempty"`
}

type stixDomainName struct {
	Type        string `json:"type"`
	SpecVersion string `json:"spec_version"`
	ID          string `json:"id"`
	Value       string `json:"value"`
}

type stixX509 struct {
	Type               string            `json:"type"`
	SpecVersion        string            `json:"spec_version"`
	ID                 string            `json:"id"`
	Hashes             map[string]string `json:"hashes,omitempty"`
	SerialNumber       string            `json:"serial_number,omitempty"`
	SignatureAlgorithm string            `json:"signature_algorithm,omitempty"`
	Issuer             string            `json:"issuer,omitempty"`
	Subject            string            `json:"subject,omitempty"`
	ValidityNotBefore  string            `json:"validity_not_before,omitempty"`
	ValidityNotAfter   string            `json:"validity_not_after,omitempty"`
	Extensions         *stixX509Ext      `json:"x509_v3_extensions,omitempty"`
	// EntryType is x509 or precert: STIX has no precertificate notion of its own.
	EntryType string `json:"x_certhunt_entry_type,omitempty"`
}

type stixX509Ext struct {
	SubjectAltName string `json:"subject_alternative_name,omitempty"`
}

type stixRelationship struct {
	Type             string `json:"type"`
	SpecVersion      string `json:"spec_version"`
	ID               string `json:"id"`
	CreatedByRef     string `json:"created_by_ref"`
	Created          string `json:"created"`
	Modified         string `json:"modified"`
	RelationshipType string `json:"relationship_type"`
	Description      string `json:"description,omitempty"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// Indicates says whether inc may be shared as an indicator: an analyst's false_positive or
// benign verdict means the domain is not a threat, and a feed consumer would block it.
func Indicates(inc incident.Incident) bool {
	return inc.Verdict != incident.VerdictFalsePositive && inc.Verdict != incident.VerdictBenign
}

// STIX writes incs as one STIX 2.1 bundle, leaving out incidents judged false_positive or
// benign (see Indicates): certhunt's identity; per incident an indicator whose
// pattern matches the domain, the domain-name observable and one x509-certificate observable per
// certificate (from Incident.Certificates), each tied to the indicator by a related-to
// relationship. now stands in for timestamps an incident lacks.
func STIX(w io.Writer, incs []incident.Incident, now time.Time) error {
	objects := []any{stixIdentity{
		Type: "identity", SpecVersion: stixVersion, ID: identityID,
		Created: stixTime(identityCreated), Modified: stixTime(identityCreated),
		Name: "certhunt", IdentityClass: "system",
	}}
	ids := []string{identityID}
	seen := map[string]bool{identityID: true}
	add := func(id string, obj any) {
		if seen[id] {
			return
		}
		seen[id] = true
		ids = append(ids, id)
		objects = append(objects, obj)
	}
	for _, inc := range incs {
		if !Indicates(inc) {
			continue
		}
		if inc.Domain == "" {
			return fmt.Errorf("incident %q has no domain", inc.ID)
		}
		created := orNow(inc.CreatedAt, now)
		modified := orNow(inc.UpdatedAt, created)
		if modified.Before(created) {
			modified = created
		}
		ind := indicator(inc, created, modified, now)
		add(ind.ID, ind)
		relate := func(target, description string) {
			id := "relationship--" + uuid.NewSHA1(certhuntNS, []byte("related-to|"+ind.ID+"|"+target)).String()
			add(id, stixRelationship{
				Type: "relationship", SpecVersion: stixVersion, ID: id, CreatedByRef: identityID,
				Created: stixTime(created), Modified: stixTime(modified), RelationshipType: "related-to",
				Description: description, SourceRef: ind.ID, TargetRef: target,
			})
		}
		dn, err := domainName(inc.Domain)
		if err != nil {
			return fmt.Errorf("incident %q: %w", inc.ID, err)
		}
		add(dn.ID, dn)
		relate(dn.ID, "The indicator matches this domain name.")
		for _, c := range inc.Certificates {
			cert, err := x509Certificate(c)
			if err != nil {
				return fmt.Errorf("incident %q, certificate %s: %w", inc.ID, c.SHA256, err)
			}
			add(cert.ID, cert)
			desc := "A certificate for the domain"
			if c.Log.Name != "" || c.Log.URL != "" {
				desc += fmt.Sprintf(", logged in %s at index %d", cmp.Or(c.Log.Name, c.Log.URL), c.Log.Index)
			}
			relate(cert.ID, desc+".")
		}
	}
	slices.Sort(ids)
	bundle := stixBundle{
		Type:    "bundle",
		ID:      "bundle--" + uuid.NewSHA1(certhuntNS, []byte("bundle|"+strings.Join(ids, "|"))).String(),
		Objects: objects,
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(bundle); err != nil {
		return fmt.Errorf("writing STIX bundle: %w", err)
	}
	return nil
}

func indicator(inc incident.Incident, created, modified, now time.Time) stixIndicator {
	id := "indicator--" + uuid.NewSHA1(certhuntNS, []byte("incident:"+inc.ID)).String()
	var desc strings.Builder
	fmt.Fprintf(&desc, "Certificate Transparency shows certificates for %s", inc.Domain)
	if inc.DomainUnicode != "" && inc.DomainUnicode != inc.Domain {
		fmt.Fprintf(&desc, " (%s)", inc.DomainUnicode)
	}
	if inc.Asset != "" {
		fmt.Fprintf(&desc, ", a lookalike of %s", inc.Asset)
	}
	fmt.Fprintf(&desc, ": %s match on %q. Score %d (%s).", inc.Matched.Kind, inc.Matched.Value, inc.Score, inc.Severity)
	for _, r := range inc.Reasons {
		fmt.Fprintf(&desc, " %s (+%d): %s.", r.Rule, r.Points, r.Detail)
	}
	types := []string{"anomalous-activity"}
	switch inc.Verdict {
	case incident.VerdictTruePositive:
		types = []string{"malicious-activity"}
	}
	labels := []string{"lookalike-domain"}
	if inc.Matched.Kind != "" {
		labels = append(labels, inc.Matched.Kind)
	}
	if inc.Severity != "" {
		labels = append(labels, "severity-"+inc.Severity)
	}
	name := "Lookalike domain " + inc.Domain
	if inc.Asset != "" {
		name = "Lookalike of " + inc.Asset + ": " + inc.Domain
	}
	pattern := "[domain-name:value = '" + PatternString(inc.Domain) + "']"
	description := desc.String()
	if inc.Matched.Kind == "issuance" {
		name, description, labels, pattern = ownCertificate(inc, labels, pattern)
	}
	return stixIndicator{
		Type: "indicator", SpecVersion: stixVersion, ID: id, CreatedByRef: identityID,
		Created: stixTime(created), Modified: stixTime(modified),
		Name: name, Description: description, IndicatorTypes: types,
		Pattern:     pattern,
		PatternType: "stix", PatternVersion: stixVersion,
		ValidFrom:  stixTime(orNow(inc.FirstSeen, orNow(inc.CreatedAt, now))),
		Confidence: min(max(inc.Score, 0), 100),
		Labels:     labels,
		ExternalRefs: []stixExternalRef{
			{SourceName: "certhunt", ExternalID: inc.ID},
			{SourceName: "crt.sh", URL: "https://crt.sh/?identity=" + url.QueryEscape(inc.Domain)},
		},
		Enrichment: inc.Enrichment,
	}
}

// PatternString escapes s for a STIX pattern string literal: backslash and single quote take a
// backslash (STIX 2.1 patterning, section 9.3).
func PatternString(s string) string { return patternEscaper.Replace(s) }

var patternEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

func domainName(value string) (stixDomainName, error) {
	id, err := scoID("domain-name", map[string]any{"value": value})
	return stixDomainName{Type: "domain-name", SpecVersion: stixVersion, ID: id, Value: value}, err
}

func x509Certificate(c incident.Certificate) (stixX509, error) {
	hashes := map[string]string{}
	if c.SHA256 != "" {
		hashes["SHA-256"] = c.SHA256
	}
	if c.SHA1 != "" {
		hashes["SHA-1"] = c.SHA1
	}
	serial := colonHex(c.Serial)
	// The ID-contributing properties are hashes and serial_number; of several hashes only the
	// preferred one counts (MD5, then SHA-1, then SHA-256).
	contrib := map[string]any{}
	switch {
	case hashes["SHA-1"] != "":
		contrib["hashes"] = map[string]string{"SHA-1": hashes["SHA-1"]}
	case hashes["SHA-256"] != "":
		contrib["hashes"] = map[string]string{"SHA-256": hashes["SHA-256"]}
	}
	if serial != "" {
		contrib["serial_number"] = serial
	}
	if len(contrib) == 0 {
		return stixX509{}, fmt.Errorf("certificate has neither hash nor serial number")
	}
	id, err := scoID("x509-certificate", contrib)
	if err != nil {
		return stixX509{}, err
	}
	cert := stixX509{
		Type: "x509-certificate", SpecVersion: stixVersion, ID: id,
		Hashes: hashes, SerialNumber: serial, SignatureAlgorithm: c.SignatureAlgorithm,
		Issuer:            cmp.Or(c.Issuer.Raw, dn("CN", c.Issuer.CN, "O", c.Issuer.O)),
		Subject:           cmp.Or(c.Subject.Raw, dn("CN", c.Subject.CN, "O", c.Subject.O)),
		ValidityNotBefore: stixTimeOrEmpty(c.NotBefore), ValidityNotAfter: stixTimeOrEmpty(c.NotAfter),
		EntryType: string(c.EntryType),
	}
	if len(c.DNSNames) > 0 {
		sans := make([]string, len(c.DNSNames))
		for i, n := range c.DNSNames {
			sans[i] = "DNS:" + n
		}
		cert.Extensions = &stixX509Ext{SubjectAltName: strings.Join(sans, ", ")}
	}
	return cert, nil
}

// scoID derives a cyber-observable's deterministic id: UUIDv5 in the STIX namespace over the
// canonical JSON (RFC 8785) of its ID-contributing properties. encoding/json sorts map keys and,
// without HTML escaping, matches RFC 8785 for the ASCII values used here.
func scoID(typ string, contrib map[string]any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(contrib); err != nil {
		return "", fmt.Errorf("deriving %s id: %w", typ, err)
	}
	return typ + "--" + uuid.NewSHA1(stixSCONamespace, []byte(strings.TrimSuffix(b.String(), "\n"))).String(), nil
}

// colonHex writes a hex serial as STIX shows serials: byte pairs joined by colons.
func colonHex(h string) string {
	h = strings.ToLower(strings.ReplaceAll(h, ":", ""))
	if h == "" {
		return ""
	}
	if len(h)%2 == 1 {
		h = "0" + h
	}
	pairs := make([]string, 0, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return strings.Join(pairs, ":")
}

func dn(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			parts = append(parts, kv[i]+"="+kv[i+1])
		}
	}
	return strings.Join(parts, ", ")
}

// stixTime formats t as STIX timestamps must be: UTC, "Z", millisecond precision.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func stixTimeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stixTime(t)
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// ownCertificate words an issuance incident (internal/issuance): the domain is the
// organisation's own, so the indicator is the certificates, never the domain, which a platform
// would otherwise block.
func ownCertificate(inc incident.Incident, labels []string, domainPattern string) (name, description string, _ []string, pattern string) {
	var desc strings.Builder
	fmt.Fprintf(&desc, "Certificate Transparency shows a certificate for %s, a name of the protected domain %s.", inc.Domain, inc.Asset)
	for _, r := range inc.Reasons {
		fmt.Fprintf(&desc, " %s: %s.", r.Rule, r.Detail)
	}
	labels = append([]string{"own-domain-certificate"}, labels[1:]...)
	var terms []string
	for _, c := range inc.Certificates {
		if c.SHA256 != "" {
			terms = append(terms, "[x509-certificate:hashes.'SHA-256' = '"+PatternString(c.SHA256)+"']")
		}
	}
	pattern = domainPattern // no certificate given: the name is all there is
	if len(terms) > 0 {
		pattern = strings.Join(terms, " OR ")
	}
	return "Certificate for own domain " + inc.Asset + ": " + inc.Domain, desc.String(), labels, pattern
}
