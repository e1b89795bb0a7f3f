package certs

import "encoding/pem"

// PEM renders DER as a PEM "CERTIFICATE" block, the form analysts paste into other tools.
func PEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
