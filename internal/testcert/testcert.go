// Package testcert issues real DER certificates and CT precertificates for tests.
//
// A CA is a root and an intermediate (ECDSA P-256). Keys are generated once per process and
// shared, so issuing is cheap enough to build logs of many thousands of entries in a test.
// A precertificate and its final certificate made with the same Options share their serial,
// validity and names, as a real CA's pair does.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// PoisonOID is the critical CT poison extension that marks a precertificate (RFC 6962 3.1).
var PoisonOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 3}

// CA issues leaf certificates from an intermediate that chains to a root.
type CA struct {
	// RootDER and IntermediateDER are the CA certificates; IntermediateDER issues every leaf.
	RootDER, IntermediateDER []byte

	intermediate *x509.Certificate
	signer       *ecdsa.PrivateKey
	leafKey      *ecdsa.PrivateKey
}

// Options shape one issued certificate. The zero value is valid.
type Options struct {
	// Serial defaults to a fresh, process-unique serial.
	Serial *big.Int
	// CommonName defaults to the first name.
	CommonName   string
	Organization string
	// NotBefore defaults to 2026-01-01 UTC; NotAfter to NotBefore + 90 days.
	NotBefore, NotAfter time.Time
}

// Pair is a precertificate and the final certificate issued for it.
type Pair struct {
	// Precert is the precertificate DER, with the critical poison extension.
	Precert []byte
	// TBS is the precertificate's TBSCertificate with the poison extension removed, as an
	// RFC 6962 precert leaf carries it.
	TBS []byte
	// Final is the certificate issued after logging.
	Final []byte
	// Issuer is the DER of the certificate that signed both.
	Issuer []byte
}

var (
	defaultOnce sync.Once
	defaultCA   *CA
	defaultErr  error
	serials     atomic.Int64
)

// Default returns the process-wide CA, creating it on first use.
func Default() (*CA, error) {
	defaultOnce.Do(func() { defaultCA, defaultErr = New("certhunt test") })
	return defaultCA, defaultErr
}

// New creates a CA whose certificates carry name in their subjects.
func New(name string) (*CA, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	notBefore := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " Root", Organization: []string{name}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}
	interTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: name + " Intermediate", Organization: []string{name}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	interDER, err := x509.CreateCertificate(rand.Reader, interTmpl, root, &interKey.PublicKey, rootKey)
	if err != nil {
		return nil, err
	}
	inter, err := x509.ParseCertificate(interDER)
	if err != nil {
		return nil, err
	}
	return &CA{RootDER: rootDER, IntermediateDER: interDER, intermediate: inter, signer: interKey, leafKey: leafKey}, nil
}

// Chain returns the issuing chain of every leaf: intermediate, then root.
func (ca *CA) Chain() [][]byte { return [][]byte{ca.IntermediateDER, ca.RootDER} }

// Issue returns the DER of a final certificate for names.
func (ca *CA) Issue(names []string, opts Options) ([]byte, error) {
	tmpl, err := ca.template(names, opts)
	if err != nil {
		return nil, err
	}
	return x509.CreateCertificate(rand.Reader, tmpl, ca.intermediate, &ca.leafKey.PublicKey, ca.signer)
}

// Precert returns a precertificate for names and its TBSCertificate without the poison
// extension.
func (ca *CA) Precert(names []string, opts Options) (precert, tbs []byte, err error) {
	tmpl, err := ca.template(names, opts)
	if err != nil {
		return nil, nil, err
	}
	tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: PoisonOID, Critical: true, Value: asn1.NullBytes})
	precert, err = x509.CreateCertificate(rand.Reader, tmpl, ca.intermediate, &ca.leafKey.PublicKey, ca.signer)
	if err != nil {
		return nil, nil, err
	}
	tbs, err = RemovePoison(precert)
	if err != nil {
		return nil, nil, err
	}
	return precert, tbs, nil
}

// Pair issues a precertificate and its final certificate with one serial.
func (ca *CA) Pair(names []string, opts Options) (Pair, error) {
	if opts.Serial == nil {
		opts.Serial = nextSerial()
	}
	pre, tbs, err := ca.Precert(names, opts)
	if err != nil {
		return Pair{}, err
	}
	final, err := ca.Issue(names, opts)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Precert: pre, TBS: tbs, Final: final, Issuer: ca.IntermediateDER}, nil
}

func (ca *CA) template(names []string, opts Options) (*x509.Certificate, error) {
	if len(names) == 0 && opts.CommonName == "" {
		return nil, errors.New("testcert: a certificate needs at least one name")
	}
	serial := opts.Serial
	if serial == nil {
		serial = nextSerial()
	}
	cn := opts.CommonName
	if cn == "" {
		cn = names[0]
	}
	notBefore := opts.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	notAfter := opts.NotAfter
	if notAfter.IsZero() {
		notAfter = notBefore.AddDate(0, 0, 90)
	}
	subject := pkix.Name{CommonName: cn}
	if opts.Organization != "" {
		subject.Organization = []string{opts.Organization}
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, nil
}

// nextSerial is unique within the process and starts from the clock so that separate test
// runs do not repeat serials.
func nextSerial() *big.Int {
	n := serials.Add(1)
	return new(big.Int).Add(big.NewInt(time.Now().UnixNano()), big.NewInt(n<<20))
}

// RemovePoison returns the TBSCertificate of a precertificate DER with the poison extension
// removed, keeping every other byte as it was.
func RemovePoison(precert []byte) ([]byte, error) {
	in := cryptobyte.String(precert)
	var cert, tbs cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("testcert: precertificate is not a DER certificate")
	}
	var b cryptobyte.Builder
	var found bool
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for !tbs.Empty() {
			var elem cryptobyte.String
			var tag cbasn1.Tag
			if !tbs.ReadAnyASN1Element(&elem, &tag) {
				b.SetError(errors.New("testcert: truncated TBSCertificate"))
				return
			}
			if tag != cbasn1.Tag(3).Constructed().ContextSpecific() {
				b.AddBytes(elem)
				continue
			}
			var exts cryptobyte.String
			if !elem.ReadASN1(&elem, tag) || !elem.ReadASN1(&exts, cbasn1.SEQUENCE) {
				b.SetError(errors.New("testcert: bad extensions"))
				return
			}
			b.AddASN1(tag, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for !exts.Empty() {
						var ext, body cryptobyte.String
						var oid asn1.ObjectIdentifier
						if !exts.ReadASN1Element(&ext, cbasn1.SEQUENCE) {
							b.SetError(errors.New("testcert: bad extension"))
							return
						}
						body = ext
						if !body.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1ObjectIdentifier(&oid) {
							b.SetError(errors.New("testcert: bad extension"))
							return
						}
						if oid.Equal(PoisonOID) {
							found = true
							continue
						}
						b.AddBytes(ext)
					}
				})
			})
		}
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("testcert: no poison extension in the precertificate")
	}
	return out, nil
}
