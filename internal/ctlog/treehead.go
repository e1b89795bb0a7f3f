package ctlog

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/mod/sumdb/note"
)

// TreeHead is a verified (or, for a log without a key, unverified) signed tree head.
type TreeHead struct {
	Size      int64
	Timestamp time.Time
	RootHash  [32]byte
}

// treeHeadSignatureInput is the RFC 6962 3.5 TreeHeadSignature: version v1, signature type
// tree_hash, timestamp, tree size, root hash.
func treeHeadSignatureInput(timestampMillis uint64, size uint64, root [32]byte) []byte {
	b := make([]byte, 0, 2+8+8+32)
	b = append(b, 0, 1)
	b = binary.BigEndian.AppendUint64(b, timestampMillis)
	b = binary.BigEndian.AppendUint64(b, size)
	return append(b, root[:]...)
}

// TLS 1.2 HashAlgorithm and SignatureAlgorithm codes used by CT logs.
const (
	hashSHA256   = 4
	sigAlgRSA    = 1
	sigAlgECDSA  = 3
	maxSignature = 1 << 12
)

// verifyDigitallySigned checks a TLS DigitallySigned struct over msg with key.
func verifyDigitallySigned(key crypto.PublicKey, msg, digitallySigned []byte) error {
	s := cryptobyte.String(digitallySigned)
	var hashAlg, sigAlg uint8
	var sig cryptobyte.String
	if !s.ReadUint8(&hashAlg) || !s.ReadUint8(&sigAlg) || !s.ReadUint16LengthPrefixed(&sig) || !s.Empty() {
		return errors.New("malformed DigitallySigned")
	}
	if hashAlg != hashSHA256 {
		return fmt.Errorf("hash algorithm %d, want SHA-256", hashAlg)
	}
	digest := sha256.Sum256(msg)
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if sigAlg != sigAlgECDSA {
			return fmt.Errorf("signature algorithm %d for an ECDSA key", sigAlg)
		}
		if !ecdsa.VerifyASN1(k, digest[:], sig) {
			return errors.New("ECDSA signature does not verify")
		}
	case *rsa.PublicKey:
		if sigAlg != sigAlgRSA {
			return fmt.Errorf("signature algorithm %d for an RSA key", sigAlg)
		}
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig); err != nil {
			return fmt.Errorf("RSA signature does not verify: %w", err)
		}
	default:
		return fmt.Errorf("unsupported log key type %T", key)
	}
	return nil
}

// sthJSON is the get-sth answer.
type sthJSON struct {
	TreeSize          int64  `json:"tree_size"`
	Timestamp         uint64 `json:"timestamp"`
	SHA256RootHash    []byte `json:"sha256_root_hash"`
	TreeHeadSignature []byte `json:"tree_head_signature"`
}

// verifySTH checks a get-sth answer against key (nil: accepted unverified).
func (s sthJSON) verify(key crypto.PublicKey) (TreeHead, error) {
	if s.TreeSize < 0 || len(s.SHA256RootHash) != 32 {
		return TreeHead{}, fetchErr(KindDecode, "get-sth: tree size %d, root hash of %d bytes", s.TreeSize, len(s.SHA256RootHash))
	}
	th := TreeHead{Size: s.TreeSize, Timestamp: time.UnixMilli(int64(s.Timestamp)).UTC()}
	copy(th.RootHash[:], s.SHA256RootHash)
	if key == nil {
		return th, nil
	}
	msg := treeHeadSignatureInput(s.Timestamp, uint64(s.TreeSize), th.RootHash)
	if err := verifyDigitallySigned(key, msg, s.TreeHeadSignature); err != nil {
		return TreeHead{}, fetchErr(KindSignature, "get-sth signature (size %d): %v", s.TreeSize, err)
	}
	return th, nil
}

// checkpointBody is the text of a tlog-checkpoint: origin, size, root hash.
type checkpointBody struct {
	origin string
	size   int64
	root   [32]byte
}

func parseCheckpointText(text string) (checkpointBody, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return checkpointBody{}, errors.New("checkpoint has fewer than three lines")
	}
	var c checkpointBody
	c.origin = lines[0]
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[0] == "" {
		return checkpointBody{}, fmt.Errorf("checkpoint size %q", lines[1])
	}
	c.size = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return checkpointBody{}, fmt.Errorf("checkpoint root hash %q", lines[2])
	}
	copy(c.root[:], root)
	return c, nil
}

// rfc6962NoteKeyHash is the signed-note key ID of a CT log's key (static-ct-api): the first
// four bytes of SHA-256(name || "\n" || 0x05 || LogID), where LogID is SHA-256 of the DER SPKI.
func rfc6962NoteKeyHash(name string, spki []byte) uint32 {
	logID := sha256.Sum256(spki)
	h := sha256.New()
	h.Write([]byte(name + "\n\x05"))
	h.Write(logID[:])
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// rfc6962NoteVerifier verifies static-ct-api checkpoint signatures: an 8-byte timestamp
// followed by a DigitallySigned TreeHeadSignature over the checkpoint's size and root.
type rfc6962NoteVerifier struct {
	name string
	hash uint32
	key  crypto.PublicKey
	// timestamp is set by a successful Verify.
	timestamp uint64
}

func (v *rfc6962NoteVerifier) Name() string    { return v.name }
func (v *rfc6962NoteVerifier) KeyHash() uint32 { return v.hash }

func (v *rfc6962NoteVerifier) Verify(msg, sig []byte) bool {
	body, err := parseCheckpointText(string(msg))
	if err != nil || len(sig) < 8 {
		return false
	}
	ts := binary.BigEndian.Uint64(sig)
	if verifyDigitallySigned(v.key, treeHeadSignatureInput(ts, uint64(body.size), body.root), sig[8:]) != nil {
		return false
	}
	v.timestamp = ts
	return true
}

// openCheckpoint parses a signed checkpoint and, when info has a key, verifies it. The origin
// is the log's expected one when known, else the checkpoint's own first line.
func openCheckpoint(info LogInfo, signed []byte) (TreeHead, error) {
	text, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return TreeHead{}, fetchErr(KindDecode, "checkpoint: no signature block")
	}
	body, err := parseCheckpointText(string(text) + "\n")
	if err != nil {
		return TreeHead{}, fetchErr(KindDecode, "checkpoint: %v", err)
	}
	if want := info.origin(); want != "" && body.origin != want {
		return TreeHead{}, fetchErr(KindSignature, "checkpoint origin %q, want %q", body.origin, want)
	}
	th := TreeHead{Size: body.size, RootHash: body.root}
	if info.Key == nil {
		return th, nil
	}
	v := &rfc6962NoteVerifier{name: body.origin, hash: rfc6962NoteKeyHash(body.origin, info.KeyDER), key: info.Key}
	if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
		return TreeHead{}, fetchErr(KindSignature, "checkpoint (size %d): %v", body.size, err)
	}
	th.Timestamp = time.UnixMilli(int64(v.timestamp)).UTC()
	return th, nil
}
