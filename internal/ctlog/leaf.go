package ctlog

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/certhunt/certhunt/internal/certs"
)

// RFC 6962 LogEntryType values.
const (
	entryX509    = 0
	entryPrecert = 1
)

// timestampedEntry is the decoded TimestampedEntry shared by RFC 6962 leaves and tile leaves.
type timestampedEntry struct {
	timestamp  uint64
	entryType  uint16
	cert       []byte // x509 entry: the certificate
	issuerHash []byte // precert entry: SHA-256 of the issuer's SPKI
	tbs        []byte // precert entry: the TBSCertificate
	extensions []byte
}

// readTimestampedEntry reads a TimestampedEntry (RFC 6962 3.4) from s.
func readTimestampedEntry(s *cryptobyte.String) (timestampedEntry, error) {
	var e timestampedEntry
	if !s.ReadUint64(&e.timestamp) || !s.ReadUint16(&e.entryType) {
		return e, errors.New("truncated timestamped entry")
	}
	switch e.entryType {
	case entryX509:
		var cert cryptobyte.String
		if !s.ReadUint24LengthPrefixed(&cert) || len(cert) == 0 {
			return e, errors.New("truncated x509 entry")
		}
		e.cert = cert
	case entryPrecert:
		var tbs cryptobyte.String
		if !s.ReadBytes(&e.issuerHash, 32) || !s.ReadUint24LengthPrefixed(&tbs) || len(tbs) == 0 {
			return e, errors.New("truncated precert entry")
		}
		e.tbs = tbs
	default:
		return e, fmt.Errorf("unknown entry type %d", e.entryType)
	}
	var ext cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&ext) {
		return e, errors.New("truncated extensions")
	}
	e.extensions = ext
	return e, nil
}

func (e timestampedEntry) time() time.Time { return time.UnixMilli(int64(e.timestamp)).UTC() }

func (e timestampedEntry) typ() certs.EntryType {
	if e.entryType == entryPrecert {
		return certs.Precert
	}
	return certs.X509
}

// decodeRFC6962Entry decodes one get-entries item: a MerkleTreeLeaf and its extra_data.
func decodeRFC6962Entry(log certs.LogRef, index int64, leafInput, extraData []byte) (certs.Entry, error) {
	s := cryptobyte.String(leafInput)
	var version, leafType uint8
	if !s.ReadUint8(&version) || !s.ReadUint8(&leafType) {
		return certs.Entry{}, errors.New("truncated leaf")
	}
	if version != 0 || leafType != 0 {
		return certs.Entry{}, fmt.Errorf("unknown leaf version %d type %d", version, leafType)
	}
	te, err := readTimestampedEntry(&s)
	if err != nil {
		return certs.Entry{}, err
	}
	if !s.Empty() {
		return certs.Entry{}, errors.New("trailing bytes after leaf")
	}
	entry := certs.Entry{Log: log, Index: index, Timestamp: te.time(), Type: te.typ()}
	extra := cryptobyte.String(extraData)
	switch te.entryType {
	case entryX509:
		entry.DER = te.cert
		entry.Chain, err = readCertList(&extra)
		if err != nil {
			return certs.Entry{}, fmt.Errorf("extra_data: %w", err)
		}
	case entryPrecert:
		entry.TBS = te.tbs
		var pre cryptobyte.String
		if !extra.ReadUint24LengthPrefixed(&pre) || len(pre) == 0 {
			return certs.Entry{}, errors.New("extra_data: truncated pre_certificate")
		}
		entry.DER = pre
		entry.Chain, err = readCertList(&extra)
		if err != nil {
			return certs.Entry{}, fmt.Errorf("extra_data: %w", err)
		}
	}
	if !extra.Empty() {
		return certs.Entry{}, errors.New("extra_data: trailing bytes")
	}
	return entry, nil
}

// readCertList reads an ASN.1Cert list with a 24-bit length, as extra_data carries chains.
func readCertList(s *cryptobyte.String) ([][]byte, error) {
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) {
		return nil, errors.New("truncated certificate chain")
	}
	var chain [][]byte
	for !list.Empty() {
		var c cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&c) {
			return nil, errors.New("truncated certificate in chain")
		}
		chain = append(chain, c)
	}
	return chain, nil
}

// tileLeaf is one decoded static-ct-api TileLeaf.
type tileLeaf struct {
	entry timestampedEntry
	// raw is the TimestampedEntry bytes, from which the Merkle leaf hash is computed.
	raw          []byte
	preCert      []byte
	fingerprints [][32]byte
	// all is the TileLeaf's whole encoding, kept for malformed records.
	all []byte
}

// readTileLeaf reads one TileLeaf from a data tile. An error means the tile itself cannot be
// read further (truncated); it is not a per-entry problem.
func readTileLeaf(s *cryptobyte.String) (tileLeaf, error) {
	start := *s
	var l tileLeaf
	var err error
	if l.entry, err = readTimestampedEntry(s); err != nil {
		return l, err
	}
	l.raw = start[:len(start)-len(*s)]
	if l.entry.entryType == entryPrecert {
		var pre cryptobyte.String
		if !s.ReadUint24LengthPrefixed(&pre) || len(pre) == 0 {
			return l, errors.New("truncated pre_certificate")
		}
		l.preCert = pre
	}
	var chain cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&chain) || len(chain)%32 != 0 {
		return l, errors.New("truncated certificate_chain")
	}
	l.fingerprints = make([][32]byte, len(chain)/32)
	for i := range l.fingerprints {
		copy(l.fingerprints[i][:], chain[i*32:])
	}
	l.all = start[:len(start)-len(*s)]
	return l, nil
}

// leafIndex returns the leaf_index extension (type 0, a 40-bit index) of a static log entry.
func leafIndex(extensions []byte) (int64, error) {
	s := cryptobyte.String(extensions)
	for !s.Empty() {
		var typ uint8
		var data cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint16LengthPrefixed(&data) {
			return 0, errors.New("truncated extension")
		}
		if typ != 0 {
			continue
		}
		var hi uint8
		var lo uint32
		if len(data) != 5 || !data.ReadUint8(&hi) || !data.ReadUint32(&lo) {
			return 0, fmt.Errorf("leaf_index extension of %d bytes, want 5", len(data))
		}
		return int64(hi)<<32 | int64(lo), nil
	}
	return 0, errors.New("no leaf_index extension")
}

// toEntry turns a tile leaf read at index into an Entry, checking its leaf_index.
func (l tileLeaf) toEntry(log certs.LogRef, index int64) (certs.Entry, error) {
	got, err := leafIndex(l.entry.extensions)
	if err != nil {
		return certs.Entry{}, err
	}
	if got != index {
		return certs.Entry{}, fmt.Errorf("leaf_index %d at position %d", got, index)
	}
	e := certs.Entry{Log: log, Index: index, Timestamp: l.entry.time(), Type: l.entry.typ()}
	if l.entry.entryType == entryPrecert {
		e.DER, e.TBS = l.preCert, l.entry.tbs
	} else {
		e.DER = l.entry.cert
	}
	return e, nil
}
