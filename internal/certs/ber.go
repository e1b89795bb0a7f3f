package certs

import (
	"errors"
	"fmt"
)

// Some misissued certificates use BER where DER is required: lengths in a longer form than
// needed, or indefinite lengths closed by end-of-contents octets. Neither crypto/x509 nor
// cryptobyte reads them, so Parse re-encodes such lengths as DER before walking again.

const maxBERDepth = 32

// berToDER re-encodes every length in the element tree of in as DER, recursing into
// constructed elements and copying primitive contents as they are. Bytes after the first
// element are kept, so the walk can note them as a defect.
func berToDER(in []byte) ([]byte, error) {
	out, rest, err := berElement(nil, in, 0)
	if err != nil {
		return nil, err
	}
	return append(out, rest...), nil
}

// berElement appends the DER form of the element at the start of in to out and returns the
// bytes after it.
func berElement(out, in []byte, depth int) (_, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, fmt.Errorf("BER nested more than %d deep", maxBERDepth)
	}
	identLen := 1
	if len(in) > 0 && in[0]&0x1f == 0x1f { // high tag number: base-128 digits follow
		for identLen < len(in) && in[identLen]&0x80 != 0 {
			identLen++
		}
		identLen++
	}
	if identLen >= len(in) {
		return nil, nil, errors.New("BER element truncated in its header")
	}
	ident, constructed := in[:identLen], in[0]&0x20 != 0
	in = in[identLen:]
	lengthByte := in[0]
	in = in[1:]

	if lengthByte == 0x80 { // indefinite: constructed contents up to end-of-contents
		if !constructed {
			return nil, nil, errors.New("BER primitive element with indefinite length")
		}
		var content []byte
		for {
			if len(in) >= 2 && in[0] == 0 && in[1] == 0 {
				return appendElement(out, ident, content), in[2:], nil
			}
			if len(in) == 0 {
				return nil, nil, errors.New("BER indefinite length without end-of-contents")
			}
			if content, in, err = berElement(content, in, depth+1); err != nil {
				return nil, nil, err
			}
		}
	}

	n := int(lengthByte)
	if lengthByte > 0x80 {
		size := int(lengthByte & 0x7f)
		if size > 4 || size > len(in) {
			return nil, nil, errors.New("BER length unreadable")
		}
		n = 0
		for _, b := range in[:size] {
			n = n<<8 | int(b)
		}
		in = in[size:]
	}
	if n > len(in) {
		return nil, nil, fmt.Errorf("BER element of %d bytes truncated to %d", n, len(in))
	}
	body, rest := in[:n], in[n:]
	if !constructed {
		return appendElement(out, ident, body), rest, nil
	}
	var content []byte
	for len(body) > 0 {
		if content, body, err = berElement(content, body, depth+1); err != nil {
			return nil, nil, err
		}
	}
	return appendElement(out, ident, content), rest, nil
}

// appendElement appends ident, the DER length of content, and content.
func appendElement(out, ident, content []byte) []byte {
	out = append(out, ident...)
	n := len(content)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 1<<8:
		out = append(out, 0x81, byte(n))
	case n < 1<<16:
		out = append(out, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		out = append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, content...)
}
