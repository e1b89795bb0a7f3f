package certs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SPKISHA256 returns the hex SHA-256 of the SubjectPublicKeyInfo of a certificate or of a bare
// TBSCertificate (what certs.Cert.DER holds for a precert logged without its certificate): the
// value certspotter and `openssl pkey -pubin -outform DER | sha256sum` print, which stays the
// same across renewals with one key.
func SPKISHA256(der []byte) (string, error) {
	in := cryptobyte.String(der)
	var outer cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) {
		return "", errors.New("not a DER SEQUENCE")
	}
	tbs := outer
	if outer.PeekASN1Tag(cbasn1.SEQUENCE) { // a certificate: its first element is the TBS
		if !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
			return "", errors.New("unreadable TBSCertificate")
		}
	}
	tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) // version
	for _, what := range []struct {
		tag  cbasn1.Tag
		name string
	}{{cbasn1.INTEGER, "serial"}, {cbasn1.SEQUENCE, "signature algorithm"}, {cbasn1.SEQUENCE, "issuer"},
		{cbasn1.SEQUENCE, "validity"}, {cbasn1.SEQUENCE, "subject"}} {
		if !tbs.SkipASN1(what.tag) {
			return "", errors.New("unreadable " + what.name)
		}
	}
	var spki cryptobyte.String
	if !tbs.ReadASN1Element(&spki, cbasn1.SEQUENCE) {
		return "", errors.New("unreadable SubjectPublicKeyInfo")
	}
	sum := sha256.Sum256(spki)
	return hex.EncodeToString(sum[:]), nil
}
