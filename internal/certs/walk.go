package certs

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The walk reads only the fields a Cert holds, in one pass over the DER with cryptobyte, and
// forgives what crypto/x509 refuses (negative serials, badly encoded strings, duplicate
// extensions, odd time formats, trailing bytes) while noting each such defect, so that Parse
// knows when to ask crypto/x509 for its verdict. It fails only when the TBSCertificate's
// layout up to the subject cannot be read.

// Limits on what one certificate may hold. Real certificates stay far below them (a dozen
// extensions, a few hundred SANs at most, short names); a certificate beyond them is hostile or
// broken, and is refused as malformed so that it costs little and cannot slow everyone else.
const (
	MaxExtensions     = 256
	MaxSANEntries     = 10000
	MaxNameAttributes = 256
	MaxNameLength     = 1024 // bytes of one dNSName or attribute value
)

// ErrLimit is wrapped by Parse's error when a certificate exceeds one of the limits above.
var ErrLimit = errors.New("certificate exceeds a parsing limit")

// walk is the state of one pass: the certificate being filled, the first defect forgiven and
// the limit exceeded, if any.
type walk struct {
	cert   *Cert
	defect string
	err    error
}

// refuse records that a limit was exceeded; the walk stops reading and fails.
func (w *walk) refuse(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: %s", ErrLimit, fmt.Sprintf(format, args...))
	}
}

// forgive records a defect the walk read past; the first one is kept.
func (w *walk) forgive(format string, args ...any) {
	if w.defect == "" {
		w.defect = fmt.Sprintf(format, args...)
	}
}

// walkCertificate reads a full Certificate.
func walkCertificate(der []byte) (*Cert, string, error) {
	in := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) {
		return nil, "", errors.New("not a DER SEQUENCE")
	}
	if !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, "", errors.New("no TBSCertificate SEQUENCE inside the certificate")
	}
	w := walk{cert: &Cert{DER: der}}
	if !in.Empty() {
		w.forgive("%d bytes after the certificate", len(in))
	}
	if !cert.SkipASN1(cbasn1.SEQUENCE) || !cert.SkipASN1(cbasn1.BIT_STRING) || !cert.Empty() {
		w.forgive("bad signature algorithm or value after the TBSCertificate")
	}
	if err := w.tbs(tbs); err != nil {
		return nil, "", err
	}
	return w.cert, w.defect, nil
}

// walkTBS reads a bare TBSCertificate, as a precert entry's leaf carries it.
func walkTBS(der []byte) (*Cert, string, error) {
	in := cryptobyte.String(der)
	var tbs cryptobyte.String
	if !in.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, "", errors.New("TBSCertificate is not a DER SEQUENCE")
	}
	w := walk{cert: &Cert{DER: der}}
	if !in.Empty() {
		w.forgive("%d bytes after the TBSCertificate", len(in))
	}
	if err := w.tbs(tbs); err != nil {
		return nil, "", err
	}
	return w.cert, w.defect, nil
}

var (
	tagVersion    = cbasn1.Tag(0).Constructed().ContextSpecific()
	tagIssuerUID  = cbasn1.Tag(1).ContextSpecific()
	tagSubjectUID = cbasn1.Tag(2).ContextSpecific()
	tagExtensions = cbasn1.Tag(3).Constructed().ContextSpecific()
	tagSANDNSName = cbasn1.Tag(2).ContextSpecific()
)

func (w *walk) tbs(tbs cryptobyte.String) error {
	c := w.cert
	var version cryptobyte.String
	var hasVersion bool
	if !tbs.ReadOptionalASN1(&version, &hasVersion, tagVersion) {
		return errors.New("bad version field")
	}
	if hasVersion {
		var v int64
		if !version.ReadASN1Int64WithTag(&v, cbasn1.INTEGER) || v < 0 || v > 2 {
			w.forgive("bad version")
		}
	}
	var serial cryptobyte.String
	if !tbs.ReadASN1(&serial, cbasn1.INTEGER) {
		return errors.New("no serial number INTEGER")
	}
	c.Serial = w.serial(serial)

	var sigAlg cryptobyte.String
	if !tbs.ReadASN1(&sigAlg, cbasn1.SEQUENCE) {
		return errors.New("no signature AlgorithmIdentifier")
	}
	c.SignatureAlgorithm = signatureAlgorithmName(sigAlg)

	var issuer, validity, subject cryptobyte.String
	if !tbs.ReadASN1(&issuer, cbasn1.SEQUENCE) {
		return errors.New("no issuer Name")
	}
	if !tbs.ReadASN1(&validity, cbasn1.SEQUENCE) {
		return errors.New("no validity SEQUENCE")
	}
	if !tbs.ReadASN1(&subject, cbasn1.SEQUENCE) {
		return errors.New("no subject Name")
	}
	c.Issuer = w.name(issuer, "issuer")
	c.Subject = w.name(subject, "subject")
	if w.err != nil {
		return w.err
	}
	c.NotBefore = w.time(&validity, "notBefore")
	c.NotAfter = w.time(&validity, "notAfter")

	if !tbs.SkipASN1(cbasn1.SEQUENCE) {
		w.forgive("no subjectPublicKeyInfo")
	}
	tbs.SkipOptionalASN1(tagIssuerUID)
	tbs.SkipOptionalASN1(tagSubjectUID)
	var san []string
	var exts cryptobyte.String
	var hasExts bool
	if !tbs.ReadOptionalASN1(&exts, &hasExts, tagExtensions) {
		w.forgive("unreadable extensions")
	} else if hasExts {
		var list cryptobyte.String
		if !exts.ReadASN1(&list, cbasn1.SEQUENCE) || !exts.Empty() {
			w.forgive("extensions are not one SEQUENCE")
		}
		san = w.extensions(list)
	}
	if w.err != nil {
		return w.err
	}
	if !tbs.Empty() {
		w.forgive("%d unexpected bytes at the end of the TBSCertificate", len(tbs))
	}
	c.DNSNames = DNSNames(san, c.Subject.CN)
	return nil
}

// serial renders the INTEGER's two's-complement content as lowercase hex of its magnitude,
// "-" first when negative.
func (w *walk) serial(content []byte) string {
	if len(content) == 0 {
		w.forgive("empty serial number")
		return "00"
	}
	if len(content) > 1 && (content[0] == 0 && content[1] < 0x80 || content[0] == 0xff && content[1] >= 0x80) {
		w.forgive("serial number is not minimally encoded")
	}
	if content[0]&0x80 == 0 {
		for len(content) > 1 && content[0] == 0 {
			content = content[1:]
		}
		return hex.EncodeToString(content)
	}
	w.forgive("negative serial number")
	// Negate the two's-complement value: invert every byte, then add one.
	mag := make([]byte, len(content))
	carry := 1
	for i := len(content) - 1; i >= 0; i-- {
		v := int(^content[i]) + carry
		mag[i] = byte(v)
		carry = v >> 8
	}
	for len(mag) > 1 && mag[0] == 0 {
		mag = mag[1:]
	}
	return "-" + hex.EncodeToString(mag)
}

// OIDs are compared by the DER content of the OBJECT IDENTIFIER, which needs no decoding and
// no allocation on the hot path.
const (
	oidSubjectAltName   = "\x55\x1d\x11" // 2.5.29.17
	oidBasicConstraints = "\x55\x1d\x13" // 2.5.29.19
)

// Signature algorithm OIDs, named as crypto/x509.SignatureAlgorithm.String names them.
var signatureAlgorithmNames = map[string]string{
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04": "MD5-RSA",      // 1.2.840.113549.1.1.4
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05": "SHA1-RSA",     // 1.2.840.113549.1.1.5
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b": "SHA256-RSA",   // 1.2.840.113549.1.1.11
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c": "SHA384-RSA",   // 1.2.840.113549.1.1.12
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d": "SHA512-RSA",   // 1.2.840.113549.1.1.13
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a": "RSASSA-PSS",   // 1.2.840.113549.1.1.10
	"\x2a\x86\x48\xce\x38\x04\x03":         "DSA-SHA1",     // 1.2.840.10040.4.3
	"\x60\x86\x48\x01\x65\x03\x04\x03\x02": "DSA-SHA256",   // 2.16.840.1.101.3.4.3.2
	"\x2a\x86\x48\xce\x3d\x04\x01":         "ECDSA-SHA1",   // 1.2.840.10045.4.1
	"\x2a\x86\x48\xce\x3d\x04\x03\x02":     "ECDSA-SHA256", // 1.2.840.10045.4.3.2
	"\x2a\x86\x48\xce\x3d\x04\x03\x03":     "ECDSA-SHA384", // 1.2.840.10045.4.3.3
	"\x2a\x86\x48\xce\x3d\x04\x03\x04":     "ECDSA-SHA512", // 1.2.840.10045.4.3.4
	"\x2b\x65\x70":                         "Ed25519",      // 1.3.101.112
}

// signatureAlgorithmName names a known algorithm and gives the dotted OID of any other.
func signatureAlgorithmName(algID cryptobyte.String) string {
	var oid cryptobyte.String
	if !algID.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
		return ""
	}
	if name, ok := signatureAlgorithmNames[string(oid)]; ok {
		return name
	}
	return dottedOID(oid)
}

func dottedOID(content []byte) string {
	var oid asn1.ObjectIdentifier
	if len(content) > 127 {
		return "#" + hex.EncodeToString(content)
	}
	if _, err := asn1.Unmarshal(append([]byte{byte(cbasn1.OBJECT_IDENTIFIER), byte(len(content))}, content...), &oid); err != nil {
		return "#" + hex.EncodeToString(content)
	}
	return oid.String()
}

// Attribute types, keyed by OID content, with their RFC 2253 short names.
var attributeShortNames = map[string]string{
	"\x55\x04\x03": "CN",
	"\x55\x04\x05": "SERIALNUMBER",
	"\x55\x04\x06": "C",
	"\x55\x04\x07": "L",
	"\x55\x04\x08": "ST",
	"\x55\x04\x09": "STREET",
	"\x55\x04\x0a": "O",
	"\x55\x04\x0b": "OU",
	"\x55\x04\x11": "POSTALCODE",
	"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19": "DC",
	"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01": "UID",
}

// name reads an X.501 Name into the fields analysts read and its RFC 2253 string. Like
// crypto/x509, the last CN wins and repeated O, OU, C, L and ST values are joined with ", ";
// the values are gathered and joined once, so that many repeats cost linear time.
func (w *walk) name(der cryptobyte.String, which string) Name {
	der0 := der
	var n Name
	var o, ou, country, l, st []string
	count := 0
	type attribute struct {
		short, oid, value string
		hexValue          bool // value is "#" and the hex of a non-string element
	}
	var rdns [][]attribute
	for !der.Empty() {
		var set cryptobyte.String
		if !der.ReadASN1(&set, cbasn1.SET) {
			w.forgive("%s: unreadable RDN", which)
			break
		}
		var rdn []attribute
		for !set.Empty() {
			var atv, oid, value cryptobyte.String
			var tag cbasn1.Tag
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) ||
				!atv.ReadAnyASN1Element(&value, &tag) {
				w.forgive("%s: unreadable attribute", which)
				break
			}
			if count++; count > MaxNameAttributes {
				w.refuse("%s has more than %d attributes", which, MaxNameAttributes)
				return n
			}
			if len(value) > MaxNameLength+8 { // the element's header included
				w.refuse("%s attribute of %d bytes (limit %d)", which, len(value), MaxNameLength)
				return n
			}
			a := attribute{short: attributeShortNames[string(oid)]}
			if a.short == "" {
				a.oid = dottedOID(oid)
			}
			text, ok := w.directoryString(tag, value, which)
			if ok {
				a.value = text
			} else {
				a.value, a.hexValue = "#"+hex.EncodeToString(value), true
			}
			rdn = append(rdn, a)
			if !ok {
				continue
			}
			switch a.short {
			case "CN":
				n.CN = text
			case "O":
				o = append(o, text)
			case "OU":
				ou = append(ou, text)
			case "C":
				country = append(country, text)
			case "L":
				l = append(l, text)
			case "ST":
				st = append(st, text)
			}
		}
		if len(rdn) > 0 {
			rdns = append(rdns, rdn)
		}
	}
	n.O, n.OU, n.C = strings.Join(o, ", "), strings.Join(ou, ", "), strings.Join(country, ", ")
	n.L, n.ST = strings.Join(l, ", "), strings.Join(st, ", ")
	var raw strings.Builder
	raw.Grow(len(der0))
	for i := len(rdns) - 1; i >= 0; i-- {
		if i != len(rdns)-1 {
			raw.WriteByte(',')
		}
		for j, a := range rdns[i] {
			if j > 0 {
				raw.WriteByte('+')
			}
			if a.short != "" {
				raw.WriteString(a.short)
			} else {
				raw.WriteString(a.oid)
			}
			raw.WriteByte('=')
			if a.hexValue {
				raw.WriteString(a.value)
			} else {
				writeEscaped(&raw, a.value)
			}
		}
	}
	n.Raw = raw.String()
	return n
}

// writeEscaped writes an attribute value escaped as RFC 4514 asks, and control characters as
// \XX hex pairs so that the string is safe to log.
func writeEscaped(b *strings.Builder, v string) {
	if !needsEscaping(v) {
		b.WriteString(v)
		return
	}
	for i, r := range v {
		switch {
		case r == ',' || r == '+' || r == '"' || r == '\\' || r == '<' || r == '>' || r == ';',
			r == ' ' && (i == 0 || i == len(v)-1),
			r == '#' && i == 0:
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, "\\%02X", r)
		default:
			b.WriteRune(r)
		}
	}
}

func needsEscaping(v string) bool {
	if v == "" {
		return false
	}
	if v[0] == ' ' || v[0] == '#' || v[len(v)-1] == ' ' {
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f || strings.IndexByte(",+\"\\<>;", c) >= 0 {
			return true
		}
	}
	return false
}

// directoryString decodes an attribute value element of any of the usual string types. Bytes
// that are not valid text become U+FFFD and the defect is noted. It reports false for a value
// that is not a string at all.
func (w *walk) directoryString(tag cbasn1.Tag, element cryptobyte.String, which string) (string, bool) {
	var b cryptobyte.String
	var t cbasn1.Tag
	if !element.ReadAnyASN1(&b, &t) {
		return "", false
	}
	switch tag {
	case cbasn1.UTF8String:
		if !utf8.Valid(b) {
			w.forgive("%s: invalid UTF-8", which)
			return strings.ToValidUTF8(string(b), "\uFFFD"), true
		}
		return string(b), true
	case cbasn1.PrintableString, cbasn1.IA5String, cbasn1.Tag(18): // 18: NumericString
		for _, c := range b {
			if c >= 0x80 || (tag == cbasn1.PrintableString && !isPrintable(c)) {
				w.forgive("%s: bad characters in a %s", which, stringTypeName(tag))
				return strings.ToValidUTF8(string(b), "\uFFFD"), true
			}
		}
		return string(b), true
	case cbasn1.T61String:
		if utf8.Valid(b) {
			return string(b), true
		}
		// T.61 strings are Latin-1 in practice.
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs), true
	case cbasn1.Tag(30): // BMPString, UTF-16BE
		if len(b)%2 != 0 {
			w.forgive("%s: BMPString of odd length", which)
		}
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u)), true
	case cbasn1.Tag(28): // UniversalString, UTF-32BE
		w.forgive("%s: UniversalString", which)
		var sb strings.Builder
		for i := 0; i+3 < len(b); i += 4 {
			r := rune(uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3]))
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		}
		return sb.String(), true
	}
	w.forgive("%s: attribute of ASN.1 tag %d is not a string", which, tag)
	return "", false
}

func stringTypeName(tag cbasn1.Tag) string {
	switch tag {
	case cbasn1.PrintableString:
		return "PrintableString"
	case cbasn1.IA5String:
		return "IA5String"
	}
	return "NumericString"
}

// isPrintable accepts PrintableString's characters, and '*' and '&' as crypto/x509 does.
func isPrintable(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte(" '()+,-./:=?*&", c) >= 0
}

// time reads one UTCTime or GeneralizedTime, leaving the zero time when it cannot.
func (w *walk) time(validity *cryptobyte.String, which string) time.Time {
	var tag cbasn1.Tag
	var value cryptobyte.String
	if !validity.ReadAnyASN1(&value, &tag) {
		w.forgive("%s missing", which)
		return time.Time{}
	}
	if t, ok := strictTime(tag, value); ok {
		return t
	}
	w.forgive("%s %q is not a DER time", which, value)
	return laxTime(tag, string(value))
}

// strictTime parses the two forms RFC 5280 allows, YYMMDDHHMMSSZ and YYYYMMDDHHMMSSZ, by hand:
// it is on the hot path and time.Parse is several times slower.
func strictTime(tag cbasn1.Tag, s []byte) (time.Time, bool) {
	var year int
	switch {
	case tag == cbasn1.UTCTime && len(s) == 13:
		yy, ok := digits(s[:2])
		if !ok {
			return time.Time{}, false
		}
		year = 1900 + yy
		if yy < 50 {
			year = 2000 + yy
		}
		s = s[2:]
	case tag == cbasn1.GeneralizedTime && len(s) == 15:
		y, ok := digits(s[:4])
		if !ok {
			return time.Time{}, false
		}
		year = y
		s = s[4:]
	default:
		return time.Time{}, false
	}
	if s[10] != 'Z' {
		return time.Time{}, false
	}
	month, ok1 := digits(s[0:2])
	day, ok2 := digits(s[2:4])
	hour, ok3 := digits(s[4:6])
	minute, ok4 := digits(s[6:8])
	second, ok5 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, time.UTC)
	if t.Day() != day { // 31 February and the like
		return time.Time{}, false
	}
	return t, true
}

func digits(s []byte) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

var (
	utcTimeLayouts         = []string{"060102150405Z0700", "0601021504Z0700", "060102150405", "0601021504"}
	generalizedTimeLayouts = []string{"20060102150405Z0700", "20060102150405.999999999Z0700", "200601021504Z0700", "20060102150405"}
)

// laxTime tries the time forms that misissued certificates use: no seconds, offsets, fractions,
// no zone at all (read as UTC).
func laxTime(tag cbasn1.Tag, s string) time.Time {
	layouts := generalizedTimeLayouts
	if tag == cbasn1.UTCTime {
		layouts = utcTimeLayouts
	}
	for _, layout := range layouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if tag == cbasn1.UTCTime && t.Year() >= 2050 { // RFC 5280 4.1.2.5.1
			t = t.AddDate(-100, 0, 0)
		}
		return t.UTC()
	}
	return time.Time{}
}

// extensions collects SAN dNSNames from every subjectAltName extension (a duplicate included)
// and the basicConstraints cA flag, skipping extensions it cannot read. Duplicates are found
// by a scan of the first few OIDs (a real certificate has a dozen; no allocation) and a set
// beyond them, so the check stays linear in the number of extensions.
func (w *walk) extensions(list cryptobyte.String) (dnsNames []string) {
	var firstBuf [16]cryptobyte.String
	first := firstBuf[:0]
	var more map[string]struct{}
	count, sans := 0, 0
	for !list.Empty() {
		if count++; count > MaxExtensions {
			w.refuse("more than %d extensions", MaxExtensions)
			return nil
		}
		var ext, oid, value cryptobyte.String
		if !list.ReadASN1(&ext, cbasn1.SEQUENCE) {
			w.forgive("unreadable extension")
			return dnsNames
		}
		if !ext.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
			w.forgive("extension without an OID")
			continue
		}
		dup := slices.ContainsFunc(first, func(o cryptobyte.String) bool { return bytes.Equal(o, oid) })
		if !dup && more != nil {
			_, dup = more[string(oid)]
		}
		switch {
		case dup:
			if w.defect == "" { // dottedOID only for the one defect kept
				w.forgive("duplicate extension %s", dottedOID(oid))
			}
		case len(first) < cap(first):
			first = append(first, oid)
		default:
			if more == nil {
				more = map[string]struct{}{}
			}
			more[string(oid)] = struct{}{}
		}
		if !readOptionalBoolean(&ext, new(bool)) {
			w.forgive("extension %s: bad critical flag", dottedOID(oid))
			ext.SkipOptionalASN1(cbasn1.BOOLEAN)
		}
		if !ext.ReadASN1(&value, cbasn1.OCTET_STRING) {
			w.forgive("extension %s: no value", dottedOID(oid))
			continue
		}
		switch string(oid) {
		case oidSubjectAltName:
			dnsNames = append(dnsNames, w.sanDNSNames(value, &sans)...)
			if w.err != nil {
				return nil
			}
		case oidBasicConstraints:
			w.cert.IsCA = w.basicConstraintsCA(value)
		}
	}
	return dnsNames
}

// sanDNSNames reads one subjectAltName's dNSNames; *count is the running number of
// GeneralNames over all subjectAltName extensions, held to MaxSANEntries.
func (w *walk) sanDNSNames(value cryptobyte.String, count *int) []string {
	var names cryptobyte.String
	if !value.ReadASN1(&names, cbasn1.SEQUENCE) {
		w.forgive("unreadable subjectAltName")
		return nil
	}
	var out []string
	for !names.Empty() {
		var tag cbasn1.Tag
		var name cryptobyte.String
		if !names.ReadAnyASN1(&name, &tag) {
			w.forgive("unreadable subjectAltName entry")
			break
		}
		if *count++; *count > MaxSANEntries {
			w.refuse("more than %d subjectAltName entries", MaxSANEntries)
			return nil
		}
		if tag != tagSANDNSName {
			continue
		}
		if len(name) > MaxNameLength {
			w.refuse("subjectAltName dNSName of %d bytes (limit %d)", len(name), MaxNameLength)
			return nil
		}
		for _, c := range name {
			if c >= 0x80 {
				w.forgive("subjectAltName dNSName %q is not ASCII", name)
				break
			}
		}
		out = append(out, strings.ToValidUTF8(string(name), "\uFFFD"))
	}
	return out
}

func (w *walk) basicConstraintsCA(value cryptobyte.String) bool {
	var bc cryptobyte.String
	var isCA bool
	if !value.ReadASN1(&bc, cbasn1.SEQUENCE) || !readOptionalBoolean(&bc, &isCA) {
		w.forgive("unreadable basicConstraints")
		return false
	}
	return isCA
}

// readOptionalBoolean reads an untagged BOOLEAN that may be absent (DEFAULT FALSE).
func readOptionalBoolean(s *cryptobyte.String, out *bool) bool {
	if !s.PeekASN1Tag(cbasn1.BOOLEAN) {
		*out = false
		return true
	}
	return s.ReadASN1Boolean(out)
}
